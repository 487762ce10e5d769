//! Tests of `validate_job` and `parent_cycle`.

use chrono::{TimeZone, Utc};

use super::*;
use crate::StringMap;

fn job(name: &str, schedule: &str) -> Job {
    Job {
        name: name.to_string(),
        schedule: schedule.to_string(),
        ..Job::default()
    }
}

fn message(job: &Job) -> String {
    validate_job(job).unwrap_err().to_string()
}

fn shell(config: &[(&str, &str)]) -> Job {
    let config: StringMap = config
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    Job {
        executor: "shell".into(),
        executor_config: Some(config),
        ..job("a", "@daily")
    }
}

#[test]
fn accepts_dkron_examples() {
    validate_job(&job("job1", "@every 10s")).unwrap();
    validate_job(&job(
        "abcdefghijklmnopqrstuvwxyz0123456789-_ßñëäïüøüáéíóýćàèìòùâêîôûæšłç",
        "0 0 ~ * * *",
    ))
    .unwrap();
    let child = Job {
        parent_job: "parent".into(),
        ..job("child", "")
    };
    validate_job(&child).unwrap();
}

#[test]
fn checks_the_name() {
    assert_eq!(message(&job("", "@daily")), "name cannot be empty");
    assert_eq!(
        message(&job("BAD JOB NAME!", "@daily")),
        "name contains illegal character 'B'"
    );
    assert_eq!(
        message(&job("bad job", "@daily")),
        "name contains illegal character ' '"
    );
    // Lowercase by Unicode property but not of category Ll: ordinal indicator, Roman numeral.
    assert_eq!(
        message(&job("aª", "@daily")),
        "name contains illegal character 'ª'"
    );
    assert_eq!(
        message(&job("ⅰ", "@daily")),
        "name contains illegal character 'ⅰ'"
    );
    let own_parent = Job {
        parent_job: "a".into(),
        ..job("a", "@daily")
    };
    assert_eq!(
        message(&own_parent),
        "the job can not have itself as parent"
    );
}

/// Issue 14, failure 7: a 100,000-character name was stored and then could not be addressed.
#[test]
fn limits_the_name_length_in_characters() {
    let longest = "é".repeat(MAX_JOB_NAME_CHARS);
    validate_job(&job(&longest, "@daily")).unwrap();
    let too_long = job(&"a".repeat(MAX_JOB_NAME_CHARS + 1), "@daily");
    assert_eq!(
        message(&too_long),
        "name is 257 characters long, the most allowed is 256"
    );
    assert_eq!(validate_job(&too_long).unwrap_err().field(), "name");
    let huge = job(&"a".repeat(100_000), "@daily");
    assert!(message(&huge).starts_with("name is 100000 characters long"));
}

#[test]
fn checks_the_schedule_unless_a_child_has_none() {
    assert_eq!(
        message(&job("a", "")),
        "can't parse job schedule: empty spec string"
    );
    assert_eq!(
        message(&job("a", "* * * * *")),
        "can't parse job schedule: expected exactly 6 fields, found 5: [* * * * *]"
    );
    assert_eq!(
        message(&job("a", "@foo")),
        "can't parse job schedule: unrecognized descriptor: @foo"
    );
    let child_with_bad_schedule = Job {
        parent_job: "p".into(),
        ..job("a", "@foo")
    };
    assert!(validate_job(&child_with_bad_schedule).is_err());
}

#[test]
fn checks_concurrency_and_timezone() {
    let forbid = Job {
        concurrency: "forbid".into(),
        ..job("a", "@daily")
    };
    validate_job(&forbid).unwrap();
    let empty = Job {
        concurrency: String::new(),
        ..job("a", "@daily")
    };
    validate_job(&empty).unwrap();
    let unknown = Job {
        concurrency: "sometimes".into(),
        ..job("a", "@daily")
    };
    // Dkron's message, extended with our two policies.
    assert_eq!(
        message(&unknown),
        "invalid concurrency policy value, use \"allow\" or \"forbid\" (or \"queue\" or \"replace\")"
    );
    for ours in ["queue", "replace"] {
        let job = Job {
            concurrency: ours.into(),
            ..job("a", "@daily")
        };
        assert_eq!(validate_job(&job), Ok(()), "{ours}");
    }
    let zone = |timezone: &str| Job {
        timezone: timezone.into(),
        ..job("a", "@daily")
    };
    validate_job(&zone("Local")).unwrap();
    validate_job(&zone("Europe/Berlin")).unwrap();
    assert_eq!(
        message(&zone("notatimezone")),
        "unknown time zone notatimezone"
    );
}

#[test]
fn checks_shell_config() {
    validate_job(&shell(&[("timeout", "1h30m"), ("mem_limit", "512MB")])).unwrap();
    assert_eq!(
        message(&shell(&[("timeout", "ten")])),
        "Error parsing job timeout value"
    );
    assert_eq!(
        message(&shell(&[("timeout", "-1s")])),
        "Error parsing job timeout value"
    );
    assert_eq!(
        message(&shell(&[("mem_limit", "0")])),
        "Error parsing job memory limit value: memory limit must be greater than 0"
    );
    let http = Job {
        executor: "http".into(),
        ..shell(&[("timeout", "ten")])
    };
    validate_job(&http).unwrap();
}

#[test]
fn rules_apply_in_dkron_order() {
    let everything_wrong = Job {
        concurrency: "x".into(),
        timezone: "x".into(),
        ..job("a", "")
    };
    assert_eq!(
        message(&everything_wrong),
        "can't parse job schedule: empty spec string"
    );
    let bad_policy_and_zone = Job {
        concurrency: "x".into(),
        timezone: "x".into(),
        ..job("a", "@daily")
    };
    assert!(message(&bad_policy_and_zone).starts_with("invalid concurrency"));
}

#[test]
fn rejects_expiry_before_start() {
    let start = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let backwards = Job {
        starts_at: Some(start),
        expires_at: Some(start - chrono::TimeDelta::days(1)),
        ..job("a", "@daily")
    };
    assert_eq!(
        message(&backwards),
        "expires_at (2026-04-30T00:00:00+00:00) is before starts_at (2026-05-01T00:00:00+00:00)"
    );
    let same_instant = Job {
        starts_at: Some(start),
        expires_at: Some(start),
        ..job("a", "@daily")
    };
    validate_job(&same_instant).unwrap();
}

#[test]
fn finds_parent_cycles() {
    let parents = |job: &str| -> Vec<String> {
        match job {
            "b" => vec!["c".to_string()],
            "c" => vec!["d".to_string(), "a".to_string()],
            "x" => vec!["y".to_string()],
            "y" => vec!["x".to_string()],
            _ => Vec::new(),
        }
    };
    let names = |list: &[&str]| list.iter().map(|name| name.to_string()).collect::<Vec<_>>();
    assert_eq!(
        parent_cycle("a", &names(&["b"]), parents),
        Some(names(&["a", "b", "c", "a"]))
    );
    assert_eq!(
        parent_cycle("a", &names(&["d", "b"]), parents),
        Some(names(&["a", "b", "c", "a"])),
        "found through the second of several parents"
    );
    assert_eq!(parent_cycle("a", &names(&["d"]), parents), None);
    assert_eq!(parent_cycle("a", &names(&[""]), parents), None);
    // A loop already in the store that does not pass through the job ends the walk.
    assert_eq!(parent_cycle("a", &names(&["x"]), parents), None);
    let path = parent_cycle("b", &names(&["c"]), |job| {
        if job == "c" {
            vec!["b".to_string()]
        } else {
            Vec::new()
        }
    })
    .unwrap();
    assert_eq!(
        parent_cycle_error(path).to_string(),
        "parent_job would create a cycle: b -> c -> b"
    );
}
