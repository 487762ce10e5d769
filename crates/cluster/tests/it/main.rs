//! Tests of the consensus layer: openraft's storage conformance suite on our stores, and a
//! single server that bootstraps, writes, restarts and keeps its state.

#![allow(clippy::unwrap_used)]

mod node_rpc_tls;
mod unreached_peers;

use std::sync::Arc;
use std::time::Duration;

use dkron_cluster::rpc::Channels;
use dkron_cluster::{Bootstrap, LogStore, RaftNode, RaftOptions, StateMachine, TypeConfig};
use dkron_model::Job;
use dkron_store::{Command, CommandResult, StateStore};
use openraft::StorageError;
use openraft::testing::log::{StoreBuilder, Suite};

struct RedbBuilder;

impl StoreBuilder<TypeConfig, LogStore, StateMachine, tempfile::TempDir> for RedbBuilder {
    async fn build(
        &self,
    ) -> Result<(tempfile::TempDir, LogStore, StateMachine), StorageError<TypeConfig>> {
        let dir = tempfile::tempdir().unwrap();
        let log = LogStore::open(&dir.path().join("raft-log.redb")).unwrap();
        let store = Arc::new(StateStore::open(&dir.path().join("state.redb"), 1 << 20).unwrap());
        let machine = StateMachine::new(store, &dir.path().join("snapshots")).unwrap();
        Ok((dir, log, machine))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_store_passes_openraft_conformance_suite() {
    Suite::test_all(RedbBuilder).await.unwrap();
}

/// Starts the server again once openraft's last background task has let go of the files
/// (in a real restart the old process is gone; in one process its tasks may linger a moment).
async fn start_when_released(dir: &tempfile::TempDir) -> RaftNode {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match RaftNode::start(options(dir), Channels::default()).await {
            Ok(node) => return node,
            Err(error) if error.to_string().contains("already open") => {
                assert!(std::time::Instant::now() < deadline, "{error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("{error}"),
        }
    }
}

fn options(dir: &tempfile::TempDir) -> RaftOptions {
    RaftOptions {
        data_dir: dir.path().to_path_buf(),
        node_id: 7,
        node_name: "solo".into(),
        rpc_addr: "127.0.0.1:6868".into(),
        state_cache_bytes: 1 << 20,
        raft_multiplier: 1,
        snapshot_every_entries: 20,
        bootstrap: Bootstrap::Single,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_server_bootstraps_writes_snapshots_and_restarts() {
    tracing::info!("phase: a fresh server leads and applies writes");
    let dir = tempfile::tempdir().unwrap();
    let node = RaftNode::start(options(&dir), Channels::default())
        .await
        .unwrap();
    node.wait_for_leadership(Duration::from_secs(10))
        .await
        .unwrap();
    for index in 0..50 {
        let job = Job {
            name: format!("job-{index}"),
            schedule: "@every 1s".into(),
            ..Job::default()
        };
        let now = chrono::Utc::now();
        let result = node
            .write(Command::PutJob {
                job: Box::new(job),
                now,
            })
            .await
            .unwrap();
        assert!(matches!(result, CommandResult::Job(_)), "{result:?}");
    }
    assert_eq!(node.store().jobs().unwrap().len(), 50);
    node.shutdown().await;
    drop(node);
    let snapshots: Vec<_> = std::fs::read_dir(dir.path().join("snapshots"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        snapshots.iter().any(|name| name.ends_with(".jsonl")),
        "{snapshots:?}"
    );

    tracing::info!("phase: the restarted server keeps its state and leads again");
    let node = start_when_released(&dir).await;
    node.wait_for_leadership(Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(node.store().jobs().unwrap().len(), 50);
    let result = node
        .write(Command::DeleteJob {
            name: "job-3".into(),
        })
        .await
        .unwrap();
    assert!(matches!(result, CommandResult::Job(_)));
    assert_eq!(node.store().jobs().unwrap().len(), 49);
    node.shutdown().await;
}

fn put_job(name: &str) -> Command {
    let job = Job {
        name: name.into(),
        schedule: "@every 1s".into(),
        ..Job::default()
    };
    Command::PutJob {
        job: Box::new(job),
        now: chrono::Utc::now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_during_the_first_election_waits_for_the_leader() {
    let dir = tempfile::tempdir().unwrap();
    let node = RaftNode::start(options(&dir), Channels::default())
        .await
        .unwrap();
    // No wait for leadership: the write itself waits for the election.
    let result = node.write_anywhere(put_job("early")).await.unwrap();
    assert!(matches!(result, CommandResult::Job(_)), "{result:?}");
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_without_any_leader_is_refused_after_a_bounded_wait() {
    let dir = tempfile::tempdir().unwrap();
    let waiting = RaftOptions {
        bootstrap: Bootstrap::Wait,
        ..options(&dir)
    };
    let node = RaftNode::start(waiting, Channels::default()).await.unwrap();
    let started = std::time::Instant::now();
    let error = node.write_anywhere(put_job("nobody")).await.unwrap_err();
    let waited = started.elapsed();
    assert!(
        error
            .to_string()
            .contains("no leader is elected; the write was not made"),
        "{error}"
    );
    assert!(
        waited >= Duration::from_millis(1500),
        "gave up after {waited:?}"
    );
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
    assert!(
        node.store().jobs().unwrap().is_empty(),
        "nothing was written"
    );
    node.shutdown().await;
}
