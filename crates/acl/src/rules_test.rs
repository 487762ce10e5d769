//! The rules against Dkron Pro's documented policies, typed in here as fixtures.

use super::*;
use crate::DEFAULT_POLICY_RULES as PRO_DEFAULT_POLICY;
use Capability::{Create, Delete, List, Read, Update};

/// Pro's documented read-only policy.
pub(crate) const PRO_READONLY_POLICY: &str = r#"{
    "path": {
        "/v1/members": { "capabilities": ["read"] },
        "/v1/jobs": { "capabilities": ["list", "read"] },
        "/v1/jobs/*": { "capabilities": ["read"] },
        "/v1/jobs/*/executions*": { "capabilities": ["read"] },
        "/v1/jobs/*/executions/*": { "capabilities": ["read"] },
        "/v1/leader": { "capabilities": ["read"] },
        "/v1/isleader": { "capabilities": ["read"] },
        "/v1/busy": { "capabilities": ["read"] }
    }
}"#;

#[test]
fn pro_default_policy_allows_job_work_but_not_acl_or_backup() {
    let rules = Rules::parse(PRO_DEFAULT_POLICY).unwrap();
    assert!(rules.allows(List, "/v1/jobs"));
    assert!(rules.allows(Create, "/v1/jobs"));
    assert!(rules.allows(Update, "/v1/jobs/nightly"));
    assert!(rules.allows(Delete, "/v1/jobs/nightly"));
    assert!(rules.allows(Create, "/v1/jobs/nightly/run"));
    assert!(rules.allows(Create, "/v1/jobs/nightly/toggle"));
    assert!(rules.allows(Read, "/v1/jobs/nightly/executions"));
    assert!(rules.allows(Read, "/v1/jobs/nightly/executions/1-node"));
    assert!(rules.allows(Create, "/v1/restore"));
    assert!(!rules.allows(Delete, "/v1/jobs/nightly/executions"));
    assert!(!rules.allows(Read, "/v1/backup"));
    assert!(!rules.allows(Read, "/v1/acl/policies"));
    assert!(!rules.allows(Create, "/v1/members"));
}

#[test]
fn pro_readonly_policy_reads_everything_it_names_and_writes_nothing() {
    let rules = Rules::parse(PRO_READONLY_POLICY).unwrap();
    for path in [
        "/v1/members",
        "/v1/jobs",
        "/v1/jobs/a",
        "/v1/leader",
        "/v1/busy",
    ] {
        assert!(rules.allows(Read, path), "{path}");
    }
    assert!(rules.allows(List, "/v1/jobs"));
    assert!(rules.allows(Read, "/v1/jobs/a/executions"));
    assert!(rules.allows(Read, "/v1/jobs/a/executions/7"));
    for capability in [Create, Update, Delete] {
        for path in ["/v1/jobs", "/v1/jobs/a", "/v1/jobs/a/run", "/v1/leave"] {
            assert!(!rules.allows(capability, path), "{capability} {path}");
        }
    }
}

#[test]
fn bad_documents_are_refused_with_what_is_wrong() {
    let unknown = r#"{"path": {"/v1/jobs": {"capabilities": ["read", "write"]}}}"#;
    assert_eq!(
        Rules::parse(unknown).unwrap_err(),
        PolicyError::UnknownCapability("write".into())
    );
    assert_eq!(Rules::parse("  ").unwrap_err(), PolicyError::Empty);
    assert_eq!(
        Rules::parse(r#"{"path": {}}"#).unwrap_err(),
        PolicyError::Empty
    );
    let not_json = Rules::parse("{path").unwrap_err();
    assert!(matches!(not_json, PolicyError::BadJson(_)), "{not_json:?}");
    let no_path = Rules::parse(r#"{"paths": {}}"#).unwrap_err();
    assert!(
        no_path.to_string().contains("missing field `path`"),
        "{no_path}"
    );
    let relative = Rules::parse(r#"{"path": {"v1": {"capabilities": []}}}"#).unwrap_err();
    assert!(matches!(relative, PolicyError::BadGlob { .. }));
}

#[test]
fn other_top_level_keys_are_ignored() {
    let rules =
        Rules::parse(r#"{"path": {"/v1": {"capabilities": ["read"]}}, "engine": "opa"}"#).unwrap();
    assert!(rules.allows(Read, "/v1"));
    assert_eq!(rules.grants().count(), 1);
}
