use super::*;

const URL: &str = "amqp://guest:guest@127.0.0.1:5672/";

fn parse(pairs: &[(&str, &str)]) -> Result<RabbitMqConfig, RabbitMqConfigError> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    RabbitMqConfig::from_map(&map)
}

fn with_queue(extra: &[(&str, &str)]) -> Result<RabbitMqConfig, RabbitMqConfigError> {
    let mut pairs = vec![("url", URL), ("queue.name", "jobs")];
    pairs.extend_from_slice(extra);
    parse(&pairs)
}

#[test]
fn dkrons_example_job_is_read_with_its_defaults() {
    let config = with_queue(&[
        ("exchange", "amq.default"),
        ("queue.create", "true"),
        ("queue.durable", "true"),
        ("queue.auto_delete", "false"),
        ("queue.exclusive", "false"),
        ("message.content_type", "application/json"),
        ("message.delivery_mode", "2"),
        ("message.messageId", "4373732772"),
        ("message.body", "{\"key\":\"value\"}"),
    ])
    .unwrap();
    assert_eq!(config.queue_name, "jobs");
    assert_eq!(config.exchange, "", "amq.default is the default exchange");
    let durable_only = QueueFlags {
        durable: true,
        ..QueueFlags::default()
    };
    assert_eq!(config.declare, Some(durable_only));
    assert_eq!(config.body, b"{\"key\":\"value\"}");
    assert_eq!(config.content_type, "application/json");
    assert_eq!(config.delivery_mode, 2);
    assert_eq!(config.message_id, "4373732772");
    assert!(config.warnings.is_empty());
}

#[test]
fn defaults_when_only_the_required_keys_are_given() {
    let config = with_queue(&[]).unwrap();
    assert_eq!(config.exchange, "");
    assert_eq!(config.declare, None);
    assert!(config.body.is_empty());
    assert_eq!(config.content_type, "text/plain");
    assert_eq!(config.delivery_mode, 0);
    assert_eq!(config.message_id, "");
}

#[test]
fn required_keys_use_dkrons_texts_and_name_the_key() {
    let error = parse(&[("queue.name", "jobs")]).unwrap_err();
    assert_eq!(error.to_string(), "RabbitMQ url is empty");
    assert_eq!(error.key(), "url");
    let error = parse(&[("url", URL), ("queue.name", "")]).unwrap_err();
    assert_eq!(error.to_string(), "RabbitMQ queue name is empty");
    assert_eq!(error.key(), "queue.name");
}

#[test]
fn queue_create_declares_unless_absent_or_exactly_false() {
    for (create, declares) in [("false", false), ("true", true), ("0", true), ("", true)] {
        let config = with_queue(&[("queue.create", create)]).unwrap();
        assert_eq!(
            config.declare.is_some(),
            declares,
            "queue.create={create:?}"
        );
    }
}

#[test]
fn flags_that_are_not_go_booleans_are_false_with_a_warning() {
    let config = with_queue(&[
        ("queue.create", "true"),
        ("queue.durable", "yes"),
        ("queue.exclusive", "T"),
    ])
    .unwrap();
    let expected = QueueFlags {
        exclusive: true,
        ..QueueFlags::default()
    };
    assert_eq!(config.declare, Some(expected));
    assert_eq!(
        config.warnings,
        vec!["Warning: queue.durable \"yes\" is not a boolean, using false"]
    );
}

#[test]
fn both_bodies_are_refused_only_when_both_are_non_empty() {
    let error = with_queue(&[("message.body", "a"), ("message.base64Body", "Yg==")]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "RabbitMQ message.body and message.base64Body are both set"
    );
    assert_eq!(error.key(), "message.base64Body");
    let config = with_queue(&[("message.body", ""), ("message.base64Body", "Yg==")]).unwrap();
    assert_eq!(config.body, b"b");
}

#[test]
fn a_present_base64_body_wins_even_when_empty() {
    let config = with_queue(&[("message.base64Body", "")]).unwrap();
    assert!(config.body.is_empty());
    let config = with_queue(&[("message.base64Body", "AAEC\r\n/w==")]).unwrap();
    assert_eq!(config.body, vec![0, 1, 2, 255]);
}

#[test]
fn bad_base64_is_refused_with_gos_text() {
    let error = with_queue(&[("message.base64Body", "ab$d")]).unwrap_err();
    assert_eq!(error.to_string(), "illegal base64 data at input byte 2");
    assert_eq!(error.key(), "message.base64Body");
    assert!(with_queue(&[("message.base64Body", "YWJj=")]).is_err());
    assert!(
        with_queue(&[("message.base64Body", "YQ")]).is_err(),
        "padding is required"
    );
}

#[test]
fn delivery_mode_is_a_go_uint8() {
    let mode = |text: &str| with_queue(&[("message.delivery_mode", text)]);
    assert_eq!(mode("255").unwrap().delivery_mode, 255);
    assert_eq!(mode("").unwrap().delivery_mode, 0);
    let error = mode("256").unwrap_err();
    assert_eq!(
        error.to_string(),
        "strconv.ParseUint: parsing \"256\": value out of range"
    );
    assert_eq!(error.key(), "message.delivery_mode");
    for bad in ["+1", "-1", "persistent", " 2"] {
        let text = mode(bad).unwrap_err().to_string();
        assert!(text.ends_with(": invalid syntax"), "{bad}: {text}");
    }
}

#[test]
fn names_longer_than_an_amqp_short_string_are_refused() {
    let long = "q".repeat(256);
    let error = parse(&[("url", URL), ("queue.name", &long)]).unwrap_err();
    assert_eq!(error.key(), "queue.name");
    let error = with_queue(&[("exchange", &long)]).unwrap_err();
    assert_eq!(error.key(), "exchange");
    assert!(with_queue(&[("message.messageId", &"m".repeat(255))]).is_ok());
}

#[test]
fn url_faults_name_the_url_key() {
    let error = parse(&[("url", "redis://h/"), ("queue.name", "jobs")]).unwrap_err();
    assert_eq!(error.key(), "url");
}

#[test]
fn the_key_from_dkrons_docs_is_not_read_but_warned_about() {
    let config = with_queue(&[("message.base64", "YQ==")]).unwrap();
    assert!(
        config.body.is_empty(),
        "as in Dkron, which reads message.base64Body only"
    );
    assert_eq!(
        config.warnings,
        vec!["Warning: message.base64 is not read; the base64 body key is message.base64Body"]
    );
}
