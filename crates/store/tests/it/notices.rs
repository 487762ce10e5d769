//! The notification outbox: which run records leave a notice, acknowledging them, its bound,
//! and that notices survive what deletes their job and travel in snapshots.

use dkron_model::{Job, Trigger};
use dkron_store::{Command, NoticeKind, NoticeSettings, RunPlan, StateStore};

use super::chaining::run;
use super::{apply_one, at, job, open, put, run_started};

fn want_all(store: &StateStore) {
    apply_one(
        store,
        Command::SetNotices(NoticeSettings {
            started: true,
            finished: true,
            ..NoticeSettings::default()
        }),
    );
}

fn kinds(store: &StateStore) -> Vec<(NoticeKind, String)> {
    store
        .pending_notices(100, |_| false)
        .unwrap()
        .into_iter()
        .map(|(_, notice)| (notice.kind, notice.execution.id))
        .collect()
}

#[test]
fn no_notices_are_left_until_a_leader_asks_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, job("a"));
    run(&store, "a", "2026-01-01T00:00:10Z", true);
    assert!(store.pending_notices(10, |_| false).unwrap().is_empty());
    assert_eq!(store.notice_settings().unwrap(), NoticeSettings::default());
}

#[test]
fn starts_and_final_results_leave_notices_until_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    want_all(&store);
    put(
        &store,
        Job {
            owner_email: "ops@example.test".into(),
            notify_on: "failure".into(),
            retries: 1,
            ..job("a")
        },
    );
    let nominal = "2026-01-01T00:00:10Z";
    apply_one(
        &store,
        Command::Launch {
            job: "a".into(),
            nominal: at(nominal),
            trigger: Trigger::Schedule,
            runs: vec![RunPlan {
                execution_id: dkron_model::execution_id(at(nominal), "n1", 1),
                node_name: "n1".into(),
            }],
            decided_at: at(nominal),
        },
    );
    apply_one(&store, run_started("a", nominal, "n1", nominal));
    // A start reported twice is one start.
    apply_one(&store, run_started("a", nominal, "n1", nominal));
    let first = dkron_model::execution_id(at(nominal), "n1", 1);
    assert_eq!(kinds(&store), vec![(NoticeKind::Started, first.clone())]);

    // The failed first attempt is retried: not final, no notice. The second attempt's
    // failure is final.
    apply_one(
        &store,
        Command::RunFinished {
            report: super::attempt_report("a", nominal, 1, false),
        },
    );
    assert_eq!(kinds(&store).len(), 1);
    apply_one(
        &store,
        Command::RunFinished {
            report: super::attempt_report("a", nominal, 2, false),
        },
    );
    let pending = store.pending_notices(100, |_| false).unwrap();
    assert_eq!(pending.len(), 2);
    let (seq, finished) = &pending[1];
    assert_eq!(finished.kind, NoticeKind::Finished);
    assert_eq!(finished.execution.attempt, 2);
    assert!(!finished.execution.success);
    assert_eq!(finished.owner_email, "ops@example.test");
    assert_eq!(finished.notify_on, "failure");
    let first = pending[0].0;
    let others = store.pending_notices(100, |seq| seq == first).unwrap();
    assert_eq!(
        others.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
        [*seq],
        "notices being sent are left out"
    );

    apply_one(
        &store,
        Command::AckNotices {
            seqs: vec![pending[0].0, 999],
        },
    );
    let left = store.pending_notices(100, |_| false).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].0, *seq, "only the acknowledged notice is gone");
}

#[test]
fn an_ephemeral_job_deleted_by_its_success_still_has_its_notice() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    want_all(&store);
    put(
        &store,
        Job {
            ephemeral: true,
            ..job("once")
        },
    );
    run(&store, "once", "2026-01-01T00:00:10Z", true);
    assert!(store.job("once").unwrap().is_none(), "deleted");
    let pending = store.pending_notices(10, |_| false).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].1.execution.job_name, "once");
    assert!(pending[0].1.execution.success);
}

#[test]
fn a_full_outbox_drops_its_oldest_notice_and_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply_one(
        &store,
        Command::SetNotices(NoticeSettings {
            started: true,
            finished: false,
            limit: 3,
        }),
    );
    put(&store, job("wide"));
    let nominal = "2026-01-01T00:00:10Z";
    let nodes: Vec<String> = (0..5).map(|index| format!("n{index}")).collect();
    apply_one(
        &store,
        Command::Launch {
            job: "wide".into(),
            nominal: at(nominal),
            trigger: Trigger::Schedule,
            runs: nodes
                .iter()
                .map(|node| RunPlan {
                    execution_id: dkron_model::execution_id(at(nominal), node, 1),
                    node_name: node.clone(),
                })
                .collect(),
            decided_at: at(nominal),
        },
    );
    let starts = nodes
        .iter()
        .map(|node| run_started("wide", nominal, node, nominal))
        .collect();
    store.apply(vec![Command::Batch(starts)], &[]).unwrap();
    let pending = store.pending_notices(usize::MAX, |_| false).unwrap();
    let seqs: Vec<u64> = pending.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, vec![2, 3, 4], "the two oldest were dropped");
    assert_eq!(store.notices_dropped().unwrap(), 2);
}

#[test]
fn notices_travel_in_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    want_all(&store);
    put(&store, job("a"));
    run(&store, "a", "2026-01-01T00:00:10Z", false);
    let mut buffer = Vec::new();
    store.write_snapshot(&mut buffer).unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let other = open(&other_dir);
    other.install_snapshot(buffer.as_slice()).unwrap();
    assert_eq!(
        other.pending_notices(10, |_| false).unwrap(),
        store.pending_notices(10, |_| false).unwrap()
    );
    assert_eq!(
        other.notice_settings().unwrap(),
        store.notice_settings().unwrap()
    );
}
