//! The openraft state machine over the redb-backed [`StateStore`].
//!
//! Each `apply` batch is one durable redb transaction that also records the last applied log
//! id and membership, so a crash can never leave data and "applied up to" disagreeing.

use std::io::{self, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dkron_store::{Command, CommandResult, StateStore};
use futures::StreamExt;
use openraft::storage::{EntryResponder, RaftStateMachine};
use openraft::{EntryPayload, OptionalSend, RaftSnapshotBuilder};
use serde::{Deserialize, Serialize};

use crate::disk_watch::{DiskWatch, RoomRetry};
use crate::log_store::LogStore;
use crate::observations::{self, RunObservation};
use crate::snapshot_pace::{PacedWriter, SnapshotPace};
use crate::types::{LogId, StoredMembership, TypeConfig};

type Snapshot = openraft::alias::SnapshotOf<TypeConfig, SnapshotFile>;
type SnapshotMeta = openraft::alias::SnapshotMetaOf<TypeConfig>;

const LAST_APPLIED: &str = "raft_last_applied";
const MEMBERSHIP: &str = "raft_membership";
const CURRENT_SNAPSHOT: &str = "current.json";
const BUILDING_SNAPSHOT: &str = "building.jsonl.tmp";

/// A snapshot on disk: a JSON-lines dump written by `StateStore::write_snapshot`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFile {
    /// Where the dump lives.
    pub path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct CurrentSnapshot {
    meta: SnapshotMeta,
    file: String,
}

fn io_error(error: impl std::fmt::Display) -> io::Error {
    io::Error::other(error.to_string())
}

/// A job created, changed or deleted by an applied command, on whichever server took the
/// request: the leader's scheduler follows these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobChange {
    /// Job name.
    pub name: String,
    /// True when the command deleted the job.
    pub removed: bool,
}

/// How many job changes a slow listener may fall behind before it must reload everything.
const CHANGE_FEED_DEPTH: usize = 4_096;

/// The state machine handed to openraft; clones share the store.
#[derive(Clone)]
pub struct StateMachine {
    store: Arc<StateStore>,
    snapshot_dir: PathBuf,
    changes: tokio::sync::broadcast::Sender<JobChange>,
    observations: tokio::sync::broadcast::Sender<RunObservation>,
    pace: Arc<SnapshotPace>,
    /// The data volume: writes wait while it is full and retry after failing for lack of room.
    disk: Option<Arc<DiskWatch>>,
    /// The log, to read a batch again after its write failed (its commands were consumed).
    log: Option<LogStore>,
}

fn collect_job_changes(command: &Command, changes: &mut Vec<JobChange>) {
    match command {
        Command::PutJob { job, .. } => changes.push(JobChange {
            name: job.name.clone(),
            removed: false,
        }),
        Command::ToggleJob { name, .. } => changes.push(JobChange {
            name: name.clone(),
            removed: false,
        }),
        Command::DeleteJob { name } => changes.push(JobChange {
            name: name.clone(),
            removed: true,
        }),
        Command::Batch(commands) => {
            for command in commands {
                collect_job_changes(command, changes);
            }
        }
        _ => {}
    }
}

/// Children whose parents' results gave them a pending run: the leader's scheduler learns of
/// them through the same feed as edited jobs.
fn collect_triggered(result: &CommandResult, changes: &mut Vec<JobChange>) {
    match result {
        CommandResult::Finished(followups) => {
            changes.extend(followups.children.iter().map(|name| JobChange {
                name: name.clone(),
                removed: false,
            }));
            if followups.runs_pending || followups.deleted {
                changes.push(JobChange {
                    name: followups.job.clone(),
                    removed: followups.deleted,
                });
            }
        }
        CommandResult::Batch(results) => {
            for result in results {
                collect_triggered(result, changes);
            }
        }
        _ => {}
    }
}

impl StateMachine {
    /// Wraps the store; snapshots are kept in `snapshot_dir`.
    pub fn new(store: Arc<StateStore>, snapshot_dir: &Path) -> io::Result<StateMachine> {
        std::fs::create_dir_all(snapshot_dir)?;
        let machine = StateMachine {
            store,
            snapshot_dir: snapshot_dir.to_path_buf(),
            changes: tokio::sync::broadcast::channel(CHANGE_FEED_DEPTH).0,
            observations: tokio::sync::broadcast::channel(CHANGE_FEED_DEPTH).0,
            pace: Arc::default(),
            disk: None,
            log: None,
        };
        if let Some(current) = machine.current()? {
            let path = snapshot_dir.join(current.file);
            machine
                .pace
                .dump_finished(std::fs::metadata(path).map_or(0, |m| m.len()));
        }
        Ok(machine)
    }

    /// Makes applies and snapshots wait while `disk` finds the volume full, and try a batch
    /// again (read back from `log`) when its write fails for lack of room, instead of
    /// failing: openraft stops for good on a storage error.
    pub fn watch_disk(mut self, disk: Arc<DiskWatch>, log: LogStore) -> StateMachine {
        self.disk = Some(disk);
        self.log = Some(log);
        self
    }

    /// The log written since the last snapshot against its size: the log store reports
    /// every entry it writes here.
    pub(crate) fn snapshot_pace(&self) -> Arc<SnapshotPace> {
        self.pace.clone()
    }

    /// Follows jobs changed by applied commands (a lagging listener gets `Lagged` and should
    /// reload every job).
    pub fn job_changes(&self) -> tokio::sync::broadcast::Receiver<JobChange> {
        self.changes.subscribe()
    }

    /// Follows the run records applied (for metrics; a lagging listener misses some).
    pub fn run_observations(&self) -> tokio::sync::broadcast::Receiver<RunObservation> {
        self.observations.subscribe()
    }

    fn current(&self) -> io::Result<Option<CurrentSnapshot>> {
        let path = self.snapshot_dir.join(CURRENT_SNAPSHOT);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(io_error),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Makes `file` the current snapshot and removes older dumps.
    fn promote(&self, meta: &SnapshotMeta, file: &Path) -> io::Result<()> {
        let name = file
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| io_error("snapshot file has no name"))?
            .to_string();
        let current = CurrentSnapshot {
            meta: meta.clone(),
            file: name.clone(),
        };
        let temporary = self.snapshot_dir.join("current.json.tmp");
        std::fs::write(&temporary, serde_json::to_vec(&current).map_err(io_error)?)?;
        std::fs::rename(&temporary, self.snapshot_dir.join(CURRENT_SNAPSHOT))?;
        for entry in std::fs::read_dir(&self.snapshot_dir)? {
            let path = entry?.path();
            let stale_dump = path.extension().is_some_and(|ext| ext == "jsonl")
                && path.file_name().and_then(|n| n.to_str()) != Some(name.as_str());
            if stale_dump {
                std::fs::remove_file(path)?;
            }
        }
        Ok(())
    }

    fn applied(&self) -> io::Result<(Option<LogId>, StoredMembership)> {
        let last = self.store.meta(LAST_APPLIED).map_err(io_error)?;
        let membership = self.store.meta(MEMBERSHIP).map_err(io_error)?;
        decode_pair(last.as_deref(), membership.as_deref())
    }
}

type Meta = Vec<(&'static str, Vec<u8>)>;

impl StateMachine {
    /// Stores one batch of commands with its metadata in one transaction. While the volume
    /// is full it waits; when the write fails for lack of room it closes the database, waits,
    /// and applies the same entries again, read back from the log (a failed redb commit
    /// leaves the previous state, and `LAST_APPLIED` shows if it landed after all).
    async fn store_batch(
        &self,
        commands: Vec<Command>,
        meta: Meta,
        batch: std::ops::RangeInclusive<u64>,
    ) -> io::Result<Vec<CommandResult>> {
        if let Some(disk) = &self.disk {
            disk.wait_for_room("state machine apply").await;
        }
        let meta = Arc::new(meta);
        let mut commands = Some(commands);
        let mut retry = RoomRetry::new();
        loop {
            let outcome = match commands.take() {
                Some(commands) => self.store_once(commands, meta.clone()).await,
                None => match self.read_back(&batch).await {
                    Ok(commands) => self.store_once(commands, meta.clone()).await,
                    Err(error) => Err(error),
                },
            };
            let message = match (outcome, &self.disk) {
                (Ok(results), Some(disk)) => {
                    disk.write_succeeded();
                    return Ok(results);
                }
                (Ok(results), None) => return Ok(results),
                (Err(error), Some(_)) if crate::disk_space::needs_reopen(&error.to_string()) => {
                    error.to_string()
                }
                (Err(error), _) => return Err(error),
            };
            let disk = self.disk.as_ref().expect("matched above");
            self.store.close_after_failure();
            retry
                .after_failure(disk, "state machine apply", &message)
                .await;
            if let Ok((Some(applied), _)) = self.applied()
                && applied.index >= *batch.end()
            {
                // Not seen with redb (a failed commit is not durable), but applying the batch
                // again would apply it twice: stopping is the only safe answer left.
                return Err(io_error(format!(
                    "the batch up to log index {} was stored although its write failed; its results are lost",
                    batch.end()
                )));
            }
        }
    }

    async fn store_once(
        &self,
        commands: Vec<Command>,
        meta: Arc<Meta>,
    ) -> io::Result<Vec<CommandResult>> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.apply(commands, &meta))
            .await
            .map_err(io_error)?
            .map_err(io_error)
    }

    /// Reads a batch's commands back from the log, in the order `apply` collected them.
    async fn read_back(&self, batch: &std::ops::RangeInclusive<u64>) -> io::Result<Vec<Command>> {
        use openraft::RaftLogReader;
        let mut log = self
            .log
            .clone()
            .ok_or_else(|| io_error("no log to read a failed batch back from"))?;
        let entries = log.try_get_log_entries(batch.clone()).await?;
        let expected = batch.end() - batch.start() + 1;
        if entries.len() as u64 != expected {
            return Err(io_error(format!(
                "reading a failed batch back: {} of {expected} log entries found",
                entries.len()
            )));
        }
        Ok(entries
            .into_iter()
            .filter_map(|entry| match entry.payload {
                EntryPayload::Normal(command) => Some(command),
                _ => None,
            })
            .collect())
    }
}

fn decode_pair(
    last: Option<&[u8]>,
    membership: Option<&[u8]>,
) -> io::Result<(Option<LogId>, StoredMembership)> {
    let last = last
        .map(serde_json::from_slice)
        .transpose()
        .map_err(io_error)?;
    let membership = membership
        .map(serde_json::from_slice)
        .transpose()
        .map_err(io_error)?
        .unwrap_or_default();
    Ok((last, membership))
}

fn decode_applied(rows: &[(String, Vec<u8>)]) -> io::Result<(Option<LogId>, StoredMembership)> {
    let find = |key: &str| {
        rows.iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_slice())
    };
    decode_pair(find(LAST_APPLIED), find(MEMBERSHIP))
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    type SnapshotData = SnapshotFile;

    async fn build_snapshot(&mut self) -> Result<Snapshot, io::Error> {
        let mut retry = RoomRetry::new();
        loop {
            if let Some(disk) = &self.disk {
                disk.wait_for_room("raft snapshot").await;
            }
            let machine = self.clone();
            let built = tokio::task::spawn_blocking(move || machine.build_snapshot_now())
                .await
                .map_err(io_error)?;
            let (Err(error), Some(disk)) = (&built, &self.disk) else {
                return built;
            };
            if !crate::disk_space::is_out_of_space(&error.to_string()) {
                return built;
            }
            // A dump cut short is useless and takes the room that is missing.
            let _maybe_never_created =
                std::fs::remove_file(self.snapshot_dir.join(BUILDING_SNAPSHOT));
            retry
                .after_failure(disk, "raft snapshot", &error.to_string())
                .await;
        }
    }
}

impl StateMachine {
    /// Writes a snapshot of the state as it is now (blocking).
    fn build_snapshot_now(&self) -> io::Result<Snapshot> {
        let machine = self;
        {
            // The dump and its label come from the same read transaction: an apply racing with
            // the dump must not end up in the data without being in `last_log_id`, or it would
            // be applied twice after installing the snapshot.
            let started = std::time::Instant::now();
            let temporary = machine.snapshot_dir.join(BUILDING_SNAPSHOT);
            let file = std::fs::File::create(&temporary)?;
            let mut writer = PacedWriter::new(BufWriter::new(file));
            let meta_rows = machine
                .store
                .write_snapshot(&mut writer)
                .map_err(io_error)?;
            let dump_bytes = writer.written();
            writer
                .into_inner()
                .into_inner()
                .map_err(io_error)?
                .sync_all()?;
            let (last_log_id, last_membership) = decode_applied(&meta_rows)?;
            let name = match &last_log_id {
                Some(log_id) => format!("snapshot-{}-{}.jsonl", log_id.leader_id, log_id.index),
                None => "snapshot-empty.jsonl".to_string(),
            };
            let path = machine.snapshot_dir.join(&name);
            std::fs::rename(&temporary, &path)?;
            let meta = SnapshotMeta {
                last_log_id,
                last_membership,
            };
            machine.promote(&meta, &path)?;
            machine.pace.dump_finished(dump_bytes);
            tracing::info!(
                bytes = dump_bytes,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "raft snapshot written"
            );
            Ok(Snapshot {
                meta,
                snapshot: SnapshotFile { path },
            })
        }
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotData = SnapshotFile;
    type SnapshotBuilder = StateMachine;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), io::Error> {
        self.applied()
    }

    async fn apply<Strm>(&mut self, mut entries: Strm) -> Result<(), io::Error>
    where
        Strm: futures::Stream<Item = Result<EntryResponder<TypeConfig>, io::Error>>
            + Unpin
            + OptionalSend,
    {
        let mut commands = Vec::new();
        let mut responders = Vec::new();
        let mut first_index = None;
        let mut last_applied = None;
        let mut membership = None;
        let mut changed = Vec::new();
        while let Some(item) = entries.next().await {
            let (entry, responder) = item?;
            first_index.get_or_insert(entry.log_id.index);
            last_applied = Some(entry.log_id);
            let slot = match entry.payload {
                EntryPayload::Blank => None,
                EntryPayload::Normal(command) => {
                    collect_job_changes(&command, &mut changed);
                    commands.push(command);
                    Some(commands.len() - 1)
                }
                EntryPayload::Membership(config) => {
                    membership = Some(StoredMembership::new(Some(entry.log_id), config));
                    None
                }
            };
            responders.push((slot, responder));
        }
        let (Some(first_index), Some(last_applied)) = (first_index, last_applied) else {
            return Ok(());
        };
        let mut meta = vec![(
            LAST_APPLIED,
            serde_json::to_vec(&last_applied).map_err(io_error)?,
        )];
        if let Some(membership) = membership {
            meta.push((
                MEMBERSHIP,
                serde_json::to_vec(&membership).map_err(io_error)?,
            ));
        }
        let command_count = commands.len();
        let observed = observations::collect(&commands);
        let started = std::time::Instant::now();
        let batch = first_index..=last_applied.index;
        let results = self.store_batch(commands, meta, batch).await?;
        tracing::debug!(
            commands = command_count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "state machine applied a batch"
        );
        for result in &results {
            collect_triggered(result, &mut changed);
        }
        for seen in observations::accepted(observed, &results) {
            let _nobody_listening_is_fine = self.observations.send(seen);
        }
        for change in changed {
            let _nobody_listening_is_fine = self.changes.send(change);
        }
        let mut results: Vec<Option<CommandResult>> = results.into_iter().map(Some).collect();
        for (slot, responder) in responders {
            if let Some(responder) = responder {
                let result = slot
                    .and_then(|index| results.get_mut(index).and_then(Option::take))
                    .unwrap_or(CommandResult::Done);
                responder.send(result);
            }
        }
        Ok(())
    }

    async fn try_create_snapshot_builder(&mut self, force: bool) -> Option<Self::SnapshotBuilder> {
        if !force && !self.pace.due() {
            tracing::debug!(
                logged_bytes = self.pace.logged_since(),
                snapshot_bytes = self.pace.last_dump_bytes(),
                "snapshot deferred: less log written since the last one than its size"
            );
            return None;
        }
        self.pace.dump_started();
        Some(self.clone())
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.pace.dump_started();
        self.clone()
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: SnapshotFile,
    ) -> Result<(), io::Error> {
        // Not retried when it fails: a failed install is an error to openraft.
        if let Some(disk) = &self.disk {
            disk.wait_for_room("raft snapshot install").await;
        }
        let machine = self.clone();
        let meta = meta.clone();
        tokio::task::spawn_blocking(move || {
            let file = std::fs::File::open(&snapshot.path)?;
            machine
                .store
                .install_snapshot(BufReader::new(file))
                .map_err(io_error)?;
            let mut entries = vec![(
                MEMBERSHIP,
                serde_json::to_vec(&meta.last_membership).map_err(io_error)?,
            )];
            if let Some(last) = &meta.last_log_id {
                entries.push((LAST_APPLIED, serde_json::to_vec(last).map_err(io_error)?));
            }
            machine
                .store
                .apply(Vec::new(), &entries)
                .map_err(io_error)?;
            machine.promote(&meta, &snapshot.path)?;
            let installed_bytes = std::fs::metadata(&snapshot.path).map_or(0, |m| m.len());
            machine.pace.dump_started();
            machine.pace.dump_finished(installed_bytes);
            Ok(())
        })
        .await
        .map_err(io_error)?
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, io::Error> {
        let Some(current) = self.current()? else {
            return Ok(None);
        };
        Ok(Some(Snapshot {
            meta: current.meta,
            snapshot: SnapshotFile {
                path: self.snapshot_dir.join(current.file),
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(dir: &Path) -> StateMachine {
        let store = StateStore::open(&dir.join("state.redb"), 1 << 20).unwrap();
        StateMachine::new(Arc::new(store), &dir.join("snapshots")).unwrap()
    }

    #[tokio::test]
    async fn a_policy_snapshot_waits_for_as_much_log_as_the_last_dump_but_a_needed_one_never_waits()
    {
        let dir = tempfile::tempdir().unwrap();
        let mut machine = machine(dir.path());
        let mut builder = machine
            .try_create_snapshot_builder(false)
            .await
            .expect("the first snapshot is due at once");
        let snapshot = builder.build_snapshot().await.unwrap();
        let dump_bytes = std::fs::metadata(&snapshot.snapshot.path).unwrap().len();
        assert!(dump_bytes > 0);

        assert!(machine.try_create_snapshot_builder(false).await.is_none());
        assert!(machine.try_create_snapshot_builder(true).await.is_some());
        machine.pace.logged(dump_bytes);
        assert!(machine.try_create_snapshot_builder(false).await.is_some());
    }

    #[tokio::test]
    async fn a_failed_batch_is_read_back_from_the_log_in_the_order_it_was_applied() {
        use openraft::entry::RaftEntry;
        let dir = tempfile::tempdir().unwrap();
        let log = LogStore::open(&dir.path().join("raft-log.redb")).unwrap();
        let machine = machine(dir.path()).watch_disk(DiskWatch::start(dir.path()), log.clone());
        let leader = openraft::impls::leader_id_adv::LeaderId {
            term: 1,
            node_id: 1,
        };
        let delete = |name: &str| Command::DeleteJob { name: name.into() };
        log.append_now(vec![
            crate::types::Entry::new_normal(LogId::new(leader, 1), delete("a")),
            crate::types::Entry::new_blank(LogId::new(leader, 2)),
            crate::types::Entry::new_normal(LogId::new(leader, 3), delete("b")),
        ])
        .await
        .unwrap();

        let commands = machine.read_back(&(1..=3)).await.unwrap();
        assert_eq!(commands, vec![delete("a"), delete("b")]);
        let missing = machine.read_back(&(1..=4)).await.unwrap_err();
        assert!(missing.to_string().contains("3 of 4"), "{missing}");
    }

    #[tokio::test]
    async fn a_restarted_server_measures_its_next_snapshot_against_the_dump_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut machine = machine(dir.path());
            let mut builder = machine.try_create_snapshot_builder(true).await.unwrap();
            builder.build_snapshot().await.unwrap();
        }
        let mut reopened = machine(dir.path());
        assert!(reopened.pace.last_dump_bytes() > 0);
        assert!(reopened.try_create_snapshot_builder(false).await.is_none());
    }
}
