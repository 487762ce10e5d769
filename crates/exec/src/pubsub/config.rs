//! The `gcppubsub` keys of a job, checked without the network: `project`, `topic`, `data`
//! (standard base64) and `attributes` (a JSON object of strings, written as a string).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use dkron_model::ConfigFault;

use super::error::PubSubConfigError;

/// The validated form of a `gcppubsub` job's `executor_config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubSubConfig {
    /// The topic's resource name, `projects/<project>/topics/<topic>`.
    pub topic_path: String,
    /// The message body, decoded from the `data` key (empty when the key is absent).
    pub data: Vec<u8>,
    /// The message attributes, from the `attributes` key.
    pub attributes: BTreeMap<String, String>,
}

impl PubSubConfig {
    /// Parses Dkron's string map, refusing what Pub/Sub would certainly refuse.
    pub fn from_map(config: &BTreeMap<String, String>) -> Result<Self, PubSubConfigError> {
        let value_of = |key: &str| config.get(key).map(String::as_str).unwrap_or_default();
        let project = value_of("project");
        if project.is_empty() {
            return Err(PubSubConfigError::MissingProject);
        }
        let topic = value_of("topic");
        if topic.is_empty() {
            return Err(PubSubConfigError::MissingTopic);
        }
        let (data_text, attributes_text) = (value_of("data"), value_of("attributes"));
        if data_text.is_empty() && attributes_text.is_empty() {
            return Err(PubSubConfigError::NothingToPublish);
        }
        check_project(project)?;
        check_topic(topic)?;
        let data = STANDARD
            .decode(data_text)
            .map_err(|error| PubSubConfigError::DataNotBase64(error.to_string()))?;
        let attributes = parse_attributes(attributes_text)?;
        if data.is_empty() && attributes.is_empty() {
            // Pub/Sub refuses a message with neither a body nor an attribute.
            return Err(PubSubConfigError::NothingToPublish);
        }
        Ok(PubSubConfig {
            topic_path: format!("projects/{project}/topics/{topic}"),
            data,
            attributes,
        })
    }
}

/// The submission check of [`crate::Executor::check_config`].
pub(super) fn check(config: &BTreeMap<String, String>) -> Result<(), ConfigFault> {
    PubSubConfig::from_map(config)
        .map(drop)
        .map_err(|error| ConfigFault::new(error.key(), error.to_string()))
}

/// A project id goes into the topic's resource path, so it cannot hold a `/` (or blanks).
/// Project ids are otherwise left alone: old domain-scoped ids (`example.com:app`) and the
/// emulator's free-form ids are valid too.
fn check_project(project: &str) -> Result<(), PubSubConfigError> {
    let unusable = project
        .chars()
        .any(|character| character == '/' || character.is_whitespace() || character.is_control());
    if unusable {
        return Err(PubSubConfigError::BadProject(
            "a project id cannot contain '/', blanks or control characters".to_owned(),
        ));
    }
    Ok(())
}

/// Pub/Sub's documented rule for topic ids: 3 to 255 characters, starting with a letter, made
/// of letters, digits and `-_.~+%`, and not starting with `goog`.
fn check_topic(topic: &str) -> Result<(), PubSubConfigError> {
    let starts_with_letter = topic.starts_with(|first: char| first.is_ascii_alphabetic());
    let allowed =
        |character: char| character.is_ascii_alphanumeric() || "-_.~+%".contains(character);
    let problem = if !(3..=255).contains(&topic.len()) {
        Some("a topic id has 3 to 255 characters")
    } else if !starts_with_letter {
        Some("a topic id starts with a letter")
    } else if !topic.chars().all(allowed) {
        Some("a topic id has only letters, digits and - _ . ~ + %")
    } else if topic.to_ascii_lowercase().starts_with("goog") {
        Some("a topic id cannot start with \"goog\"")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(PubSubConfigError::BadTopic(problem.to_owned())),
        None => Ok(()),
    }
}

/// Reads `attributes`: empty means none; otherwise a JSON object whose values are strings
/// and whose keys are not empty (Pub/Sub refuses an empty attribute key).
fn parse_attributes(text: &str) -> Result<BTreeMap<String, String>, PubSubConfigError> {
    if text.is_empty() {
        return Ok(BTreeMap::new());
    }
    let bad = |why: String| PubSubConfigError::BadAttributes(why);
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| bad(format!("not valid JSON: {error}")))?;
    let serde_json::Value::Object(entries) = value else {
        return Err(bad(
            "must be a JSON object, e.g. {\"origin\":\"dkron\"}".to_owned()
        ));
    };
    let mut attributes = BTreeMap::new();
    for (name, value) in entries {
        let serde_json::Value::String(text) = value else {
            return Err(bad(format!("the value of {name:?} must be a string")));
        };
        if name.is_empty() {
            return Err(bad("an attribute name cannot be empty".to_owned()));
        }
        attributes.insert(name, text);
    }
    Ok(attributes)
}

#[cfg(test)]
#[path = "config_test.rs"]
mod tests;
