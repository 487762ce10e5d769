//! The ACL state: bootstrap once, secrets only as hashes, policies and tokens in snapshots.

use dkron_acl::{Policy, Token, TokenKind, hash_secret};
use dkron_store::{ALREADY_BOOTSTRAPPED, ApplyError, Command, CommandResult, StateStore};

use crate::{at, open};

const READONLY: &str = r#"{"path": {"/v1/jobs": {"capabilities": ["list", "read"]}}}"#;

fn token(name: &str, kind: TokenKind, secret: &str) -> Token {
    Token {
        accessor_id: format!("accessor-{name}"),
        name: name.into(),
        kind,
        policies: vec!["readonly".into()],
        create_time: at("2026-12-06T12:00:00Z"),
        expiration_time: None,
        secret_hash: hash_secret(secret),
    }
}

fn apply(store: &StateStore, command: Command) -> CommandResult {
    store.apply(vec![command], &[]).unwrap().remove(0)
}

#[test]
fn bootstrap_works_once_and_the_second_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert!(!store.acl_bootstrapped().unwrap());
    let first = token("bootstrap", TokenKind::Management, "first-secret");
    let result = apply(
        &store,
        Command::AclBootstrap {
            token: Box::new(first.clone()),
        },
    );
    assert_eq!(result, CommandResult::AclToken(Box::new(first.clone())));
    assert!(store.acl_bootstrapped().unwrap());

    let second = token("again", TokenKind::Management, "second-secret");
    let result = apply(
        &store,
        Command::AclBootstrap {
            token: Box::new(second),
        },
    );
    assert_eq!(
        result,
        CommandResult::Failed(ApplyError::Rejected(ALREADY_BOOTSTRAPPED.into()))
    );
    assert_eq!(store.acl_tokens().unwrap(), std::slice::from_ref(&first));

    // Deleting the bootstrap token does not open the door again.
    apply(
        &store,
        Command::AclDeleteToken {
            accessor_id: first.accessor_id.clone(),
        },
    );
    let third = token("third", TokenKind::Management, "third-secret");
    let result = apply(
        &store,
        Command::AclBootstrap {
            token: Box::new(third),
        },
    );
    assert!(matches!(
        result,
        CommandResult::Failed(ApplyError::Rejected(_))
    ));
    assert!(store.acl_tokens().unwrap().is_empty());
}

#[test]
fn tokens_are_found_by_the_hash_of_their_secret_and_the_secret_is_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    {
        let store = open(&dir);
        let alice = token("alice", TokenKind::Client, "alice-very-secret");
        apply(
            &store,
            Command::AclCreateToken {
                token: Box::new(alice.clone()),
            },
        );
        let found = store
            .acl_token_by_secret(&hash_secret("alice-very-secret"))
            .unwrap();
        assert_eq!(found, Some(alice.clone()));
        assert_eq!(
            store.acl_token_by_secret(&hash_secret("guess")).unwrap(),
            None
        );
        assert_eq!(
            store.acl_token("accessor-alice").unwrap(),
            Some(alice.clone())
        );
        let again = apply(
            &store,
            Command::AclCreateToken {
                token: Box::new(alice),
            },
        );
        assert!(matches!(
            again,
            CommandResult::Failed(ApplyError::Rejected(_))
        ));
    }
    let bytes = std::fs::read(&path).unwrap();
    let needle = b"alice-very-secret";
    assert!(
        !bytes.windows(needle.len()).any(|window| window == needle),
        "the secret is in the database file"
    );
}

#[test]
fn policies_are_upserted_deleted_and_bad_rules_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let policy = Policy {
        name: "readonly".into(),
        rules: READONLY.into(),
    };
    assert_eq!(
        apply(&store, Command::AclUpsertPolicy(policy.clone())),
        CommandResult::Done
    );
    assert_eq!(store.acl_policy("readonly").unwrap(), Some(policy.clone()));

    let bad = Policy {
        name: "readonly".into(),
        rules: r#"{"path": {"/v1": {"capabilities": ["write"]}}}"#.into(),
    };
    let result = apply(&store, Command::AclUpsertPolicy(bad));
    assert!(
        matches!(result, CommandResult::Failed(ApplyError::Rejected(message)) if message.contains("write"))
    );
    assert_eq!(store.acl_policies().unwrap(), [policy]);

    let result = apply(
        &store,
        Command::AclDeletePolicy {
            name: "readonly".into(),
        },
    );
    assert_eq!(result, CommandResult::Done);
    let result = apply(
        &store,
        Command::AclDeletePolicy {
            name: "readonly".into(),
        },
    );
    assert_eq!(
        result,
        CommandResult::Failed(ApplyError::AclNotFound(
            "ACL policy readonly not found".into()
        ))
    );
    let result = apply(
        &store,
        Command::AclDeleteToken {
            accessor_id: "nobody".into(),
        },
    );
    assert!(matches!(
        result,
        CommandResult::Failed(ApplyError::AclNotFound(_))
    ));
}

#[test]
fn the_acl_state_travels_in_snapshots() {
    let source_dir = tempfile::tempdir().unwrap();
    let source = open(&source_dir);
    let manager = token("bootstrap", TokenKind::Management, "m");
    apply(
        &source,
        Command::AclBootstrap {
            token: Box::new(manager.clone()),
        },
    );
    let policy = Policy {
        name: "readonly".into(),
        rules: READONLY.into(),
    };
    apply(&source, Command::AclUpsertPolicy(policy.clone()));
    let mut snapshot = Vec::new();
    source.write_snapshot(&mut snapshot).unwrap();
    assert!(!String::from_utf8_lossy(&snapshot).contains("\"m\""));

    let target_dir = tempfile::tempdir().unwrap();
    let target = open(&target_dir);
    apply(
        &target,
        Command::AclCreateToken {
            token: Box::new(token("stale", TokenKind::Client, "x")),
        },
    );
    target.install_snapshot(snapshot.as_slice()).unwrap();
    assert_eq!(target.acl_tokens().unwrap(), [manager]);
    assert_eq!(target.acl_policies().unwrap(), [policy]);
    assert!(target.acl_bootstrapped().unwrap());
}
