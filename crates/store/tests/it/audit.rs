//! The audit log: appends get growing sequence numbers, retention by count and by age with
//! bounded work per command, filtered pages newest first, and snapshots.

use chrono::TimeDelta;
use dkron_model::{AuditChange, AuditEntry};
use dkron_store::{
    AUDIT_PRUNE_PER_APPEND, AuditFilter, AuditRetention, Command, CommandResult, StateStore,
};

use super::{apply_one, at, open};

const START: &str = "2026-01-01T00:00:00Z";

/// An entry written `minutes` after `START`.
fn entry(minutes: i64, actor: &str, action: &str, target: &str) -> AuditEntry {
    AuditEntry {
        seq: 0,
        time: at(START) + TimeDelta::minutes(minutes),
        actor: actor.into(),
        address: "127.0.0.1:4000".into(),
        action: action.into(),
        target: target.into(),
        changes: vec![AuditChange::value(
            "disabled",
            Some("false".into()),
            Some("true".into()),
        )],
    }
}

fn keep(max_entries: u64, max_age_secs: Option<u64>) -> AuditRetention {
    AuditRetention {
        max_entries,
        max_age_secs,
    }
}

fn append(store: &StateStore, entry: AuditEntry, keep: AuditRetention) {
    let result = apply_one(
        store,
        Command::AppendAudit {
            entry: Box::new(entry),
            keep,
        },
    );
    assert_eq!(result, CommandResult::Done);
}

fn all(store: &StateStore) -> Vec<AuditEntry> {
    store
        .audit_page(&AuditFilter::default(), 0, usize::MAX)
        .unwrap()
        .0
}

fn seqs(entries: &[AuditEntry]) -> Vec<u64> {
    entries.iter().map(|entry| entry.seq).collect()
}

#[test]
fn appends_are_numbered_in_order_and_read_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for minute in 0..5 {
        append(
            &store,
            entry(minute, "anonymous", "job.create", "a"),
            keep(100, None),
        );
    }
    let entries = all(&store);
    assert_eq!(seqs(&entries), [4, 3, 2, 1, 0]);
    assert_eq!(entries[0].time, at(START) + TimeDelta::minutes(4));
    assert_eq!(entries[0].changes.len(), 1);
    let (page, total) = store.audit_page(&AuditFilter::default(), 1, 2).unwrap();
    assert_eq!((seqs(&page), total), (vec![3, 2], 5));
    let (page, total) = store.audit_page(&AuditFilter::default(), 9, 2).unwrap();
    assert_eq!((page.len(), total), (0, 5));
}

#[test]
fn filters_match_exactly_and_count_only_matches() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    append(
        &store,
        entry(0, "alice", "job.create", "a"),
        keep(100, None),
    );
    append(&store, entry(1, "bob", "job.delete", "a"), keep(100, None));
    append(
        &store,
        entry(2, "alice", "job.delete", "b"),
        keep(100, None),
    );
    append(
        &store,
        entry(3, "alice", "job.delete", "a"),
        keep(100, None),
    );
    let alice_deletes = AuditFilter {
        actor: Some("alice".into()),
        action: Some("job.delete".into()),
        target: None,
    };
    let (page, total) = store.audit_page(&alice_deletes, 0, 10).unwrap();
    assert_eq!((seqs(&page), total), (vec![3, 2], 2));
    let (page, total) = store.audit_page(&alice_deletes, 1, 10).unwrap();
    assert_eq!((seqs(&page), total), (vec![2], 2));
    let about_a = AuditFilter {
        target: Some("a".into()),
        ..AuditFilter::default()
    };
    assert_eq!(store.audit_page(&about_a, 0, 10).unwrap().1, 3);
    let nobody = AuditFilter {
        actor: Some("ali".into()),
        ..AuditFilter::default()
    };
    assert_eq!(store.audit_page(&nobody, 0, 10).unwrap().1, 0);
}

#[test]
fn the_count_limit_keeps_the_newest_entries() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for minute in 0..10 {
        append(
            &store,
            entry(minute, "anonymous", "job.run", "a"),
            keep(3, None),
        );
    }
    assert_eq!(seqs(&all(&store)), [9, 8, 7]);
    // A limit of zero would drop the write it records: at least one entry is kept.
    append(
        &store,
        entry(10, "anonymous", "job.run", "a"),
        keep(0, None),
    );
    assert_eq!(seqs(&all(&store)), [10]);
}

#[test]
fn a_lowered_limit_is_reached_a_bounded_number_of_entries_per_append() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for minute in 0..40 {
        append(
            &store,
            entry(minute, "anonymous", "job.run", "a"),
            keep(1000, None),
        );
    }
    append(
        &store,
        entry(40, "anonymous", "job.run", "a"),
        keep(5, None),
    );
    // 41 entries, one append: only AUDIT_PRUNE_PER_APPEND of the 36 extra go.
    assert_eq!(all(&store).len(), 41 - AUDIT_PRUNE_PER_APPEND);
    for minute in 41..50 {
        append(
            &store,
            entry(minute, "anonymous", "job.run", "a"),
            keep(5, None),
        );
    }
    assert_eq!(seqs(&all(&store)), [49, 48, 47, 46, 45]);
}

#[test]
fn entries_past_their_age_go_as_writes_arrive_and_by_prune_commands() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let hour = Some(3600);
    for minute in 0..20 {
        append(
            &store,
            entry(minute, "anonymous", "job.run", "a"),
            keep(1000, None),
        );
    }
    // Two hours later the first 20 are past an hour: each append removes at most 8.
    append(
        &store,
        entry(120, "anonymous", "job.run", "a"),
        keep(1000, hour),
    );
    assert_eq!(all(&store).len(), 21 - AUDIT_PRUNE_PER_APPEND);
    let result = apply_one(
        &store,
        Command::PruneAudit {
            now: at(START) + TimeDelta::minutes(120),
            max_age_secs: 3600,
            limit: 5,
        },
    );
    assert_eq!(
        result,
        CommandResult::Pruned {
            removed: 5,
            next: None
        }
    );
    assert_eq!(all(&store).len(), 21 - AUDIT_PRUNE_PER_APPEND - 5);
    apply_one(
        &store,
        Command::PruneAudit {
            now: at(START) + TimeDelta::minutes(120),
            max_age_secs: 3600,
            limit: 1000,
        },
    );
    assert_eq!(seqs(&all(&store)), [20]);
}

#[test]
fn the_log_survives_a_reopen_and_travels_in_snapshots_without_reusing_numbers() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        append(
            &store,
            entry(0, "alice", "job.create", "a"),
            keep(100, None),
        );
        append(
            &store,
            entry(1, "alice", "job.delete", "a"),
            keep(100, None),
        );
    }
    let store = open(&dir);
    assert_eq!(seqs(&all(&store)), [1, 0]);
    let mut buffer = Vec::new();
    store.write_snapshot(&mut buffer).unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let other = open(&other_dir);
    append(
        &other,
        entry(5, "mallory", "job.create", "x"),
        keep(100, None),
    );
    other.install_snapshot(buffer.as_slice()).unwrap();
    assert_eq!(all(&other), all(&store));
    append(&other, entry(2, "alice", "job.run", "a"), keep(100, None));
    assert_eq!(seqs(&all(&other)), [2, 1, 0]);
}
