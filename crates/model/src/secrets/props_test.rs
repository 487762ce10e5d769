//! Properties of hiding and restoring secrets over generated jobs.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

/// Every generated secret contains this marker, so a leak is easy to spot.
const MARK: &str = "S3KRIT";

fn secret() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]{1,12}".prop_map(|tail| format!("{MARK}{tail}"))
}

fn env_value() -> impl Strategy<Value = String> {
    proptest::collection::vec(("[A-Z][A-Z0-9_]{0,6}", secret()), 0..5).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join(",")
    })
}

fn headers_value() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("Authorization"),
        Just("X-Api-Key"),
        Just("cookie"),
        Just("Proxy-Authorization")
    ];
    (
        proptest::collection::vec((name, secret()), 0..4),
        any::<bool>(),
    )
        .prop_map(|(entries, spaced)| {
            let mut list: Vec<String> = entries
                .iter()
                .map(|(name, value)| format!("{name}: Bearer {value}"))
                .collect();
            list.push("Accept: text/plain".to_owned());
            let compact = serde_json::to_string(&list).unwrap_or_default();
            if spaced {
                compact.replace("\",\"", "\", \"")
            } else {
                compact
            }
        })
}

fn url_value() -> impl Strategy<Value = String> {
    (secret(), secret(), "[a-z]{1,8}").prop_map(|(password, token, host)| {
        format!("https://user:{password}@{host}.test/p?page=1&access_token={token}#f")
    })
}

fn job_with_secrets() -> impl Strategy<Value = Job> {
    (
        env_value(),
        headers_value(),
        url_value(),
        secret(),
        secret(),
    )
        .prop_map(|(env, headers, url, password, processor_password)| {
            let config = BTreeMap::from([
                ("command".to_owned(), "env".to_owned()),
                ("env".to_owned(), env),
                ("headers".to_owned(), headers),
                ("url".to_owned(), url),
                ("saslPassword".to_owned(), password),
            ]);
            let processor = BTreeMap::from([
                ("forward".to_owned(), "true".to_owned()),
                ("password".to_owned(), processor_password),
            ]);
            Job {
                name: "job".to_owned(),
                executor: "shell".to_owned(),
                executor_config: Some(config),
                processors: Some(BTreeMap::from([("elasticsearch".to_owned(), processor)])),
                ..Job::default()
            }
        })
}

proptest! {
    #[test]
    fn redacted_jobs_show_no_secret(job in job_with_secrets()) {
        let shown = serde_json::to_string(&redact_job(&job)).unwrap_or_default();
        prop_assert!(!shown.contains(MARK), "{shown}");
    }

    #[test]
    fn posting_back_a_redacted_job_keeps_every_secret(job in job_with_secrets()) {
        let mut posted_back = redact_job(&job);
        prop_assert_eq!(
            holds_redacted_secrets(&posted_back),
            serde_json::to_string(&job).unwrap_or_default().contains(MARK)
        );
        restore_redacted_secrets(&mut posted_back, Some(&job)).map_err(|error| {
            TestCaseError::fail(error.to_string())
        })?;
        prop_assert_eq!(posted_back, job);
    }

    #[test]
    fn redacting_twice_changes_nothing_more(job in job_with_secrets()) {
        let once = redact_job(&job);
        prop_assert_eq!(redact_job(&once), once);
    }

    #[test]
    fn a_new_job_with_placeholders_is_refused_unchanged(job in job_with_secrets()) {
        let mut submitted = redact_job(&job);
        let before = submitted.clone();
        let result = restore_redacted_secrets(&mut submitted, None);
        prop_assert!(result.is_err());
        prop_assert_eq!(submitted, before);
    }
}

#[test]
fn the_refusal_names_the_field_and_the_secret() {
    let job = Job {
        executor_config: Some(BTreeMap::from([(
            "env".to_owned(),
            "TOKEN=<redacted>".to_owned(),
        )])),
        ..Job::default()
    };
    let mut submitted = job.clone();
    let error = restore_redacted_secrets(&mut submitted, None).unwrap_err();
    assert_eq!(error.field, "executor_config.env");
    assert_eq!(error.what, "variable TOKEN");
    assert!(error.to_string().contains("send the real value"));
}
