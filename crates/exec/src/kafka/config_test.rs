use super::*;

fn parse(pairs: &[(&str, &str)]) -> Result<KafkaConfig, KafkaConfigError> {
    let map = pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    KafkaConfig::from_map(&map)
}

fn with_minimal(extra: &[(&str, &str)]) -> Result<KafkaConfig, KafkaConfigError> {
    let mut pairs = vec![("brokerAddress", "127.0.0.1:9092"), ("topic", "jobs")];
    pairs.extend_from_slice(extra);
    parse(&pairs)
}

fn fault(pairs: &[(&str, &str)]) -> (String, &'static str) {
    let error = with_minimal(pairs).unwrap_err();
    (error.to_string(), error.key())
}

#[test]
fn dkrons_example_job_parses() {
    let config = parse(&[
        ("brokerAddress", "localhost:9092,another.host:9092"),
        ("key", "My key"),
        ("message", "My message"),
        ("topic", "my_topic"),
    ])
    .unwrap();
    assert_eq!(config.brokers, ["localhost:9092", "another.host:9092"]);
    assert_eq!(config.topic, "my_topic");
    assert_eq!(config.key.as_deref(), Some("My key"));
    assert_eq!(config.message, "My message");
    assert!(!config.tls && !config.tls_skip_verify && !config.debug);
    assert_eq!(config.sasl, None);
}

#[test]
fn broker_address_and_topic_are_required_with_dkrons_texts() {
    let missing = parse(&[("topic", "jobs")]).unwrap_err();
    assert_eq!(missing.to_string(), "brokerAddress is empty");
    assert_eq!(missing.key(), "brokerAddress");
    let missing = parse(&[("brokerAddress", "127.0.0.1:9092")]).unwrap_err();
    assert_eq!(missing.to_string(), "topic is empty");
    assert_eq!(missing.key(), "topic");
    let blank = parse(&[("brokerAddress", "  "), ("topic", "jobs")]).unwrap_err();
    assert_eq!(blank, KafkaConfigError::BrokerAddressMissing);
}

#[test]
fn every_broker_entry_must_be_host_and_port() {
    for good in [
        "kafka:9092",
        "127.0.0.1:1",
        "[::1]:9093",
        "a.example.com:65535",
        " a:1 , b:2 ",
    ] {
        assert!(
            parse(&[("brokerAddress", good), ("topic", "t")]).is_ok(),
            "{good}"
        );
    }
    for bad in [
        "kafka",
        "kafka:",
        ":9092",
        "kafka:port",
        "kafka:0",
        "kafka:70000",
        "a:1,,b:2",
        "a:1,",
        "::1:9092",
        "[nothost]:1",
        "tcp://kafka:9092",
        "user@kafka:9092",
    ] {
        let error = parse(&[("brokerAddress", bad), ("topic", "t")]).unwrap_err();
        assert_eq!(error.key(), "brokerAddress", "{bad}");
        assert!(error.to_string().contains("is not host:port"), "{bad}");
    }
}

#[test]
fn an_empty_key_means_no_key() {
    assert_eq!(with_minimal(&[("key", "")]).unwrap().key, None);
    assert_eq!(with_minimal(&[]).unwrap().message, "");
}

#[test]
fn flags_take_gos_spellings_and_refuse_the_rest() {
    let config = with_minimal(&[("tlsEnable", "true"), ("tlsInsecureSkipVerify", "1")]).unwrap();
    assert!(config.tls && config.tls_skip_verify);
    let config = with_minimal(&[("tlsEnable", "false"), ("tlsInsecureSkipVerify", "")]).unwrap();
    assert!(!config.tls && !config.tls_skip_verify);
    let (text, key) = fault(&[("tlsEnable", "yes")]);
    assert_eq!(
        (text.as_str(), key),
        ("tlsEnable must be true or false, not 'yes'", "tlsEnable")
    );
    let (_, key) = fault(&[("tlsInsecureSkipVerify", "on")]);
    assert_eq!(key, "tlsInsecureSkipVerify");
}

#[test]
fn debug_is_any_non_empty_value() {
    assert!(with_minimal(&[("debug", "x")]).unwrap().debug);
    assert!(!with_minimal(&[("debug", "")]).unwrap().debug);
}

#[test]
fn both_credentials_and_a_mechanism_make_a_scram_login() {
    for (text, mechanism) in [
        ("sha256", ScramMechanism::Sha256),
        ("sha512", ScramMechanism::Sha512),
    ] {
        let config = with_minimal(&[
            ("saslUsername", "alice"),
            ("saslPassword", "pw"),
            ("saslMechanism", text),
        ])
        .unwrap();
        let login = config.sasl.unwrap();
        assert_eq!(login.mechanism, mechanism);
        assert_eq!(
            (login.username.as_str(), login.password.as_str()),
            ("alice", "pw")
        );
    }
}

#[test]
fn credentials_without_a_valid_mechanism_get_dkrons_error() {
    for mechanism in ["", "SHA256", "plain", "sha1"] {
        let (text, key) = fault(&[
            ("saslUsername", "alice"),
            ("saslPassword", "pw"),
            ("saslMechanism", mechanism),
        ]);
        assert_eq!(text, "invalid SASL mechanism, must be 'sha256' or 'sha512'");
        assert_eq!(key, "saslMechanism");
    }
}

#[test]
fn one_credential_alone_is_refused_with_the_missing_key() {
    let (_, key) = fault(&[("saslUsername", "alice"), ("saslMechanism", "sha256")]);
    assert_eq!(key, "saslPassword");
    let (text, key) = fault(&[("saslPassword", "hunter2")]);
    assert_eq!(key, "saslUsername");
    assert!(!text.contains("hunter2"));
}

#[test]
fn a_mechanism_without_credentials_is_ignored_unless_invalid() {
    assert_eq!(
        with_minimal(&[("saslMechanism", "sha512")]).unwrap().sasl,
        None
    );
    let (_, key) = fault(&[("saslMechanism", "md5")]);
    assert_eq!(key, "saslMechanism");
}

#[test]
fn debug_output_of_a_login_hides_the_credentials() {
    let config = with_minimal(&[
        ("saslUsername", "alice-key"),
        ("saslPassword", "hunter2"),
        ("saslMechanism", "sha256"),
    ])
    .unwrap();
    let shown = format!("{config:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("alice-key"),
        "{shown}"
    );
}
