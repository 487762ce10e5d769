//! What a job write changed: the fields a client sets whose values differ between the job as
//! stored before and the job as submitted.

use serde_json::{Map, Value};

use super::entry::AuditChange;
use crate::Job;

/// Job fields whose values may hold secrets (passwords and tokens in executor and processor
/// settings, environment values): the audit log names the keys that changed, never a value.
pub const SECRET_JOB_FIELDS: &[&str] = &["executor_config", "env", "processors"];

/// Fields the server owns: a submitted value for them is ignored, so it changes nothing.
const SERVER_OWNED_FIELDS: &[&str] = &[
    "id",
    "success_count",
    "error_count",
    "last_success",
    "last_error",
    "dependent_jobs",
    "status",
    "next",
];

/// Returns the changes a write of `submitted` makes to `before` (`None`: the job is new, and
/// every field set to something other than its default is a change), in field-name order.
pub fn job_changes(before: Option<&Job>, submitted: &Job) -> Vec<AuditChange> {
    let before = before.cloned().unwrap_or_else(|| Job {
        name: submitted.name.clone(),
        ..Job::default()
    });
    let before = fields_of(before);
    let after = fields_of(submitted.clone());
    let mut changes = Vec::new();
    for (field, after_value) in &after {
        if SERVER_OWNED_FIELDS.contains(&field.as_str()) {
            continue;
        }
        let before_value = before.get(field).unwrap_or(&Value::Null);
        if before_value == after_value {
            continue;
        }
        changes.push(if SECRET_JOB_FIELDS.contains(&field.as_str()) {
            AuditChange::secret_keys(field, changed_keys(before_value, after_value))
        } else {
            AuditChange::value(
                field,
                shown(before_value, before.contains_key(field)),
                Some(after_value.to_string()),
            )
        });
    }
    changes
}

/// The job's JSON fields as stored (empty maps are `null`, as a stored job has them).
fn fields_of(job: Job) -> Map<String, Value> {
    match serde_json::to_value(job.normalized_for_storage()) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    }
}

/// The value as JSON text, unless the field did not exist before (an omitted optional field).
fn shown(value: &Value, present: bool) -> Option<String> {
    present.then(|| value.to_string())
}

/// The keys of two JSON objects (or `null`) whose values differ, in key order.
fn changed_keys(before: &Value, after: &Value) -> Vec<String> {
    let empty = Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|key| before.get(*key) != after.get(*key))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StringMap;

    fn shell_job(command: &str, secret: &str) -> Job {
        Job {
            name: "backup".into(),
            schedule: "@every 1m".into(),
            executor: "shell".into(),
            executor_config: Some(StringMap::from([
                ("command".to_owned(), command.to_owned()),
                ("env".to_owned(), format!("TOKEN={secret}")),
            ])),
            ..Job::default()
        }
    }

    fn fields(changes: &[AuditChange]) -> Vec<&str> {
        changes.iter().map(|change| change.field.as_str()).collect()
    }

    #[test]
    fn an_update_lists_only_the_fields_that_differ_with_their_values() {
        let before = shell_job("date", "s3cret");
        let after = Job {
            schedule: "@every 5m".into(),
            disabled: true,
            // Server-owned: a client's value for it changes nothing.
            success_count: 99,
            ..before.clone()
        };
        let changes = job_changes(Some(&before), &after);
        assert_eq!(fields(&changes), ["disabled", "schedule"]);
        assert_eq!(changes[0].to.as_deref(), Some("true"));
        assert_eq!(changes[1].from.as_deref(), Some("\"@every 1m\""));
        assert_eq!(changes[1].to.as_deref(), Some("\"@every 5m\""));
    }

    #[test]
    fn secret_fields_name_the_changed_keys_and_never_a_value() {
        let before = shell_job("date", "old-s3cret");
        let after = shell_job("date", "new-s3cret");
        let changes = job_changes(Some(&before), &after);
        assert_eq!(fields(&changes), ["executor_config"]);
        assert_eq!(changes[0].keys, ["env"]);
        let recorded = serde_json::to_string(&changes).unwrap();
        assert!(!recorded.contains("s3cret"), "{recorded}");
    }

    #[test]
    fn a_new_job_lists_what_it_sets_and_hides_its_secrets() {
        let changes = job_changes(None, &shell_job("date", "s3cret"));
        assert_eq!(
            fields(&changes),
            ["executor", "executor_config", "schedule"]
        );
        assert_eq!(changes[2].from.as_deref(), Some("\"\""));
        assert_eq!(changes[1].keys, ["command", "env"]);
        let recorded = serde_json::to_string(&changes).unwrap();
        assert!(!recorded.contains("s3cret"), "{recorded}");
    }

    #[test]
    fn resubmitting_the_stored_job_changes_nothing() {
        let stored = shell_job("date", "s3cret").normalized_for_storage();
        let mut submitted = shell_job("date", "s3cret");
        submitted.tags = Some(StringMap::new());
        assert!(job_changes(Some(&stored), &submitted).is_empty());
    }
}
