//! Tests of the `gcppubsub` keys.

use super::*;

fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

fn fault(pairs: &[(&str, &str)]) -> ConfigFault {
    check(&config(pairs)).unwrap_err()
}

#[test]
fn dkrons_example_job_is_read_whole() {
    let parsed = PubSubConfig::from_map(&config(&[
        ("project", "project-id"),
        ("topic", "topic-name"),
        ("data", "aGVsbG8gd29ybGQ="),
        ("attributes", r#"{"hello":"world","waka":"paka"}"#),
    ]))
    .unwrap();
    assert_eq!(parsed.topic_path, "projects/project-id/topics/topic-name");
    assert_eq!(parsed.data, b"hello world");
    assert_eq!(parsed.attributes["hello"], "world");
    assert_eq!(parsed.attributes["waka"], "paka");
}

#[test]
fn required_keys_use_dkrons_words() {
    let missing_project = fault(&[("topic", "topic-name"), ("data", "eA==")]);
    assert_eq!(
        (
            missing_project.key.as_str(),
            missing_project.message.as_str()
        ),
        ("project", "missing project")
    );
    let missing_topic = fault(&[("project", "p"), ("topic", ""), ("data", "eA==")]);
    assert_eq!(
        (missing_topic.key.as_str(), missing_topic.message.as_str()),
        ("topic", "missing topic")
    );
    let nothing = fault(&[("project", "p"), ("topic", "topic-name")]);
    assert_eq!(nothing.key, "data");
    assert_eq!(
        nothing.message,
        "at least one of these fields should be set 'attributes, data'"
    );
    let error = PubSubConfig::from_map(&config(&[("topic", "t")])).unwrap_err();
    assert_eq!(error.run_error_line(), "missing project");
}

#[test]
fn either_data_or_attributes_is_enough() {
    let only_attributes = config(&[
        ("project", "p"),
        ("topic", "topic-name"),
        ("attributes", r#"{"a":"b"}"#),
    ]);
    assert!(check(&only_attributes).is_ok());
    assert!(
        check(&config(&[
            ("project", "p"),
            ("topic", "topic-name"),
            ("data", "eA==")
        ]))
        .is_ok()
    );
    // An empty object and no data leave the message empty, which Pub/Sub refuses.
    let empty = fault(&[
        ("project", "p"),
        ("topic", "topic-name"),
        ("attributes", "{}"),
    ]);
    assert_eq!(empty.key, "data");
}

#[test]
fn data_must_be_standard_base64() {
    let bad = fault(&[
        ("project", "p"),
        ("topic", "topic-name"),
        ("data", "not base64!"),
    ]);
    assert_eq!(bad.key, "data");
    assert!(
        bad.message.starts_with("not valid base64"),
        "{}",
        bad.message
    );
    let error = PubSubConfig::from_map(&config(&[
        ("project", "p"),
        ("topic", "topic-name"),
        ("data", "%%%"),
    ]))
    .unwrap_err();
    assert!(
        error
            .run_error_line()
            .starts_with("gcppubsub: data: not valid base64")
    );
}

#[test]
fn attributes_must_be_an_object_of_strings() {
    for (attributes, expected) in [
        ("{\"a\":", "not valid JSON"),
        ("[\"a\"]", "must be a JSON object"),
        ("{\"n\":1}", "the value of \"n\" must be a string"),
        ("{\"\":\"x\"}", "an attribute name cannot be empty"),
    ] {
        let bad = fault(&[
            ("project", "p"),
            ("topic", "topic-name"),
            ("attributes", attributes),
        ]);
        assert_eq!(bad.key, "attributes", "{attributes}");
        assert!(
            bad.message.starts_with(expected),
            "{attributes}: {}",
            bad.message
        );
    }
}

#[test]
fn topic_ids_follow_pubsubs_rule() {
    for good in ["abc", "topic-name", "a.b_c~d+e%f", "Orders2"] {
        assert!(
            check(&config(&[
                ("project", "p"),
                ("topic", good),
                ("data", "eA==")
            ]))
            .is_ok(),
            "{good}"
        );
    }
    let long = "t".repeat(256);
    for bad in [
        "ab",
        "1topic",
        "has/slash",
        "has space",
        "goog-topic",
        long.as_str(),
    ] {
        let refused = fault(&[("project", "p"), ("topic", bad), ("data", "eA==")]);
        assert_eq!(refused.key, "topic", "{bad}");
    }
}

#[test]
fn project_ids_cannot_break_the_resource_path() {
    for good in ["project-id", "example.com:app", "emulator_project"] {
        assert!(
            check(&config(&[
                ("project", good),
                ("topic", "topic-name"),
                ("data", "eA==")
            ]))
            .is_ok(),
            "{good}"
        );
    }
    for bad in ["a/b", "a b", "a\nb"] {
        assert_eq!(
            fault(&[("project", bad), ("topic", "topic-name"), ("data", "eA==")]).key,
            "project"
        );
    }
}
