//! `acl.enabled` in its three forms: Pro's nested file key, the flag, the environment.

use super::*;

#[test]
fn acls_are_off_unless_enabled_in_any_form() {
    assert!(!load(sources()).unwrap().acl_enabled);
    let dir = tempfile::tempdir().unwrap();
    let nested = write_file(dir.path(), "dkron.yml", "acl:\n  enabled: true\n");
    assert!(load(with_file(&nested)).unwrap().acl_enabled);
    assert!(
        load(with_env(&[("DKRON_ACL_ENABLED", "true")]))
            .unwrap()
            .acl_enabled
    );
    assert!(
        load(with_flags(&[("acl-enabled", &["true"])]))
            .unwrap()
            .acl_enabled
    );
}

#[test]
fn the_flag_and_the_environment_win_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let nested = write_file(dir.path(), "dkron.yml", "acl:\n  enabled: true\n");
    let sources = ConfigSources {
        flags: flag_map(&[("acl-enabled", &["false"])]),
        ..with_file(&nested)
    };
    assert!(!load(sources).unwrap().acl_enabled);
    let sources = ConfigSources {
        env: BTreeMap::from([("DKRON_ACL_ENABLED".to_string(), "false".to_string())]),
        ..with_file(&nested)
    };
    assert!(!load(sources).unwrap().acl_enabled);
}

#[test]
fn a_bad_value_is_refused_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write_file(dir.path(), "dkron.yml", "acl:\n  enabled: maybe\n");
    let error = load(with_file(&bad)).unwrap_err().to_string();
    assert!(error.contains("acl"), "{error}");
}
