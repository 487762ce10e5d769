//! Batches replicated writes: everything queued while one write is in flight goes into the
//! next `Command::Batch`, so a burst of run starts and results costs a few disk syncs, not
//! one per run (DESIGN §2.7).
//!
//! Two lanes, each with its own writer task: launch intents and API writes in one, run records
//! (starts and results) in the other. A write of run records can take a few hundred
//! milliseconds on a busy cluster (a new leader taking over a backlog); the intents that let
//! the next runs start on time never wait behind it. Within a lane, commands are written in
//! the order they were queued; across lanes there is no order (the state machine needs none:
//! a run's records only exist once its launch is applied).
//!
//! Run records are never dropped: when a write fails (the leader died, no leader yet, the
//! server is unreachable) they are kept and written again after a pause, to whichever server
//! leads by then. A record applied twice changes nothing (the store refuses a second result).

use std::sync::Arc;
use std::time::Duration;

use dkron_model::limits::MAX_RECORD_BATCH_BYTES;
use dkron_store::{Command, CommandResult};
use tokio::sync::{mpsc, oneshot, watch};

use crate::error::WriteError;
use crate::writer::Writer;

/// Most commands put into one log entry.
const MAX_BATCH: usize = 2_048;
/// First pause before writing failed run records again; doubles up to `RETRY_MAX`.
const RETRY_FIRST: Duration = Duration::from_millis(100);
/// Longest pause between attempts to write failed run records.
const RETRY_MAX: Duration = Duration::from_secs(2);

/// Who hears how a queued command ended.
enum Reply {
    /// A caller waits for the state machine's answer; a failed write is its to retry.
    Caller(oneshot::Sender<Result<CommandResult, WriteError>>),
    /// A run record: written again until it is applied, then `written` is called.
    Record(Option<OnWritten>),
}

/// Called once a run record is written (whatever the state machine answered).
pub type OnWritten = Box<dyn FnOnce() + Send>;

type Queued = (Command, Reply);

/// A handle that queues commands for the batching writer task.
#[derive(Clone)]
pub struct Recorder {
    urgent: mpsc::UnboundedSender<Queued>,
    background: mpsc::UnboundedSender<Queued>,
    /// Set once at shutdown: the writer tasks stop trying, and log what they could not write.
    give_up: Arc<watch::Sender<Option<String>>>,
    lanes: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Recorder {
    /// Starts the writer task over `writer`.
    pub fn start(writer: Arc<Writer>) -> Recorder {
        let (urgent, urgent_queue) = mpsc::unbounded_channel();
        let (background, background_queue) = mpsc::unbounded_channel();
        let (give_up, given_up) = watch::channel(None);
        let lanes = vec![
            tokio::spawn(write_loop(
                writer.clone(),
                urgent_queue,
                "intents",
                given_up.clone(),
            )),
            tokio::spawn(write_loop(
                writer,
                background_queue,
                "run records",
                given_up,
            )),
        ];
        Recorder {
            urgent,
            background,
            give_up: Arc::new(give_up),
            lanes: Arc::new(std::sync::Mutex::new(lanes)),
        }
    }

    /// At shutdown, once waiting longer is not an option: stops writing, logs every command
    /// still unwritten with `reason` (`shutdown: could not record …`), and returns once both
    /// writer tasks have stopped (or after `limit`).
    pub async fn give_up(&self, reason: &str, limit: Duration) {
        self.give_up.send_replace(Some(reason.to_owned()));
        let lanes = std::mem::take(
            &mut *self
                .lanes
                .lock()
                .expect("recorder lane lock is never poisoned"),
        );
        let stopped = futures::future::join_all(lanes);
        if tokio::time::timeout(limit, stopped).await.is_err() {
            tracing::warn!("shutdown: the recorder did not stop in time");
        }
    }

    /// Queues a command ahead of run records and waits for its result.
    pub async fn record(&self, command: Command) -> Result<CommandResult, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.urgent
            .send((command, Reply::Caller(reply)))
            .map_err(|_| WriteError::RecorderStopped)?;
        answer.await.map_err(|_| WriteError::Dropped)?
    }

    /// Queues a run record without waiting; failures are logged by the writer.
    pub fn record_later(&self, command: Command) {
        self.queue_record(command, None);
    }

    /// Queues a run record without waiting; `written` is called once it is written.
    pub fn record_later_then(&self, command: Command, written: OnWritten) {
        self.queue_record(command, Some(written));
    }

    fn queue_record(&self, command: Command, written: Option<OnWritten>) {
        if self
            .background
            .send((command, Reply::Record(written)))
            .is_err()
        {
            tracing::warn!("recorder stopped; a run record was not written");
        }
    }

    /// Waits until every run record queued before this call is written.
    pub async fn flush(&self) -> Result<(), WriteError> {
        let (reply, answer) = oneshot::channel();
        self.background
            .send((Command::Batch(Vec::new()), Reply::Caller(reply)))
            .map_err(|_| WriteError::RecorderStopped)?;
        answer.await.map_err(|_| WriteError::Dropped)?.map(drop)
    }
}

/// Takes what is queued in `lane`, up to `MAX_BATCH` commands and about
/// `limits::MAX_RECORD_BATCH_BYTES` (a batch holds at least one command, however large).
fn drain(lane: &mut mpsc::UnboundedReceiver<Queued>, batch: &mut Vec<Queued>) {
    let mut bytes: usize = batch
        .iter()
        .map(|(command, _)| command.encoded_size_estimate())
        .sum();
    while batch.len() < MAX_BATCH && bytes < MAX_RECORD_BATCH_BYTES {
        match lane.try_recv() {
            Ok(item) => {
                bytes += item.0.encoded_size_estimate();
                batch.push(item);
            }
            Err(_) => break,
        }
    }
}

/// Writes one lane's commands, a batch at a time, until every sender is gone or the
/// recorder gives up (shutdown without a leader to take them).
async fn write_loop(
    writer: Arc<Writer>,
    mut lane: mpsc::UnboundedReceiver<Queued>,
    lane_name: &'static str,
    mut given_up: watch::Receiver<Option<String>>,
) {
    let mut retry: Vec<Queued> = Vec::new();
    let mut pause = RETRY_FIRST;
    loop {
        let mut batch = std::mem::take(&mut retry);
        if batch.is_empty() {
            let first = tokio::select! {
                first = lane.recv() => first,
                _ = reason_to_give_up(&mut given_up) => None,
            };
            let Some(first) = first else {
                break;
            };
            batch.push(first);
        }
        drain(&mut lane, &mut batch);
        drop_abandoned(&mut batch);
        if batch.is_empty() {
            continue;
        }
        let (commands, replies): (Vec<Command>, Vec<Reply>) = batch.into_iter().unzip();
        let count = commands.len();
        let started = std::time::Instant::now();
        let outcome = tokio::select! {
            outcome = writer.write(Command::Batch(commands.clone())) => outcome,
            reason = reason_to_give_up(&mut given_up) => {
                report_unwritten(&reason, commands.iter(), &mut lane);
                return;
            }
        };
        tracing::debug!(
            lane = lane_name,
            commands = count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "batch written"
        );
        match outcome {
            Ok(result) => {
                pause = RETRY_FIRST;
                deliver(result, replies);
            }
            Err(error) => {
                retry = keep_run_records(commands, replies, &error);
                if !retry.is_empty() {
                    tracing::warn!(lane = lane_name, error = %error, records = retry.len(), retry_in_ms = pause.as_millis() as u64, "run records not written yet; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        reason = reason_to_give_up(&mut given_up) => {
                            report_unwritten(&reason, retry.iter().map(|(command, _)| command), &mut lane);
                            return;
                        }
                    }
                    pause = (pause * 2).min(RETRY_MAX);
                }
            }
        }
    }
    tracing::debug!(lane = lane_name, "recorder lane stopped");
}

/// Drops the commands whose caller stopped waiting: an API write answered 503 after its
/// time bound was told it may not apply, and one not sent yet then never does.
fn drop_abandoned(batch: &mut Vec<Queued>) {
    batch.retain(|(_, reply)| !matches!(reply, Reply::Caller(caller) if caller.is_closed()));
}

/// Waits until the recorder gives up, and returns why (never, if its sender is gone).
async fn reason_to_give_up(given_up: &mut watch::Receiver<Option<String>>) -> String {
    let reason = given_up
        .wait_for(Option::is_some)
        .await
        .map(|reason| reason.clone().unwrap_or_default());
    match reason {
        Ok(reason) => reason,
        Err(_) => std::future::pending().await,
    }
}

/// Logs, at shutdown, each command that will not be written: those of the batch in hand
/// and those still queued.
fn report_unwritten<'a>(
    reason: &str,
    in_hand: impl Iterator<Item = &'a Command>,
    lane: &mut mpsc::UnboundedReceiver<Queued>,
) {
    let mut report = |command: &Command| {
        for part in unbatched(command) {
            tracing::warn!("shutdown: could not record {}: {reason}", describe(part));
        }
    };
    in_hand.for_each(&mut report);
    while let Ok((command, _)) = lane.try_recv() {
        report(&command);
    }
}

/// The commands inside `command`, batches opened.
fn unbatched(command: &Command) -> Vec<&Command> {
    match command {
        Command::Batch(commands) => commands.iter().flat_map(unbatched).collect(),
        single => vec![single],
    }
}

/// What an unwritten command was, in words an operator can look up.
fn describe(command: &Command) -> String {
    match command {
        Command::RunFinished { report } => format!(
            "the end of run {} of job {}",
            report.execution_id, report.job
        ),
        Command::RunStarted {
            job, execution_id, ..
        } => format!("the start of run {execution_id} of job {job}"),
        other => other.to_string(),
    }
}

/// After a failed write: callers waiting for an answer get the error; run records (queued
/// without an answer) are kept to be written again.
fn keep_run_records(
    commands: Vec<Command>,
    replies: Vec<Reply>,
    error: &WriteError,
) -> Vec<Queued> {
    let mut kept = Vec::new();
    for (command, reply) in commands.into_iter().zip(replies) {
        match reply {
            Reply::Caller(reply) => {
                let _ignored_if_caller_left = reply.send(Err(error.clone()));
            }
            record @ Reply::Record(_) => kept.push((command, record)),
        }
    }
    kept
}

fn deliver(result: CommandResult, replies: Vec<Reply>) {
    let CommandResult::Batch(results) = result else {
        tracing::error!(result = %result, "batch write returned a non-batch result");
        return;
    };
    for (result, reply) in results.into_iter().zip(replies) {
        if let CommandResult::Failed(error) = &result {
            tracing::debug!(error = %error, "recorded command changed nothing");
        }
        match reply {
            Reply::Caller(reply) => {
                let _ignored_if_caller_left = reply.send(Ok(result));
            }
            Reply::Record(Some(written)) => written(),
            Reply::Record(None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use dkron_store::RunReport;

    use super::*;

    fn finished(output_bytes: usize) -> Queued {
        let report = RunReport {
            job: "job".into(),
            nominal: Utc::now(),
            execution_id: "1-node".into(),
            node_name: "node".into(),
            attempt: 1,
            started_at: Utc::now(),
            finished_at: Utc::now(),
            success: true,
            output: "x".repeat(output_bytes),
            exit_code: Some(0),
            killed: false,
            no_retry: false,
        };
        (Command::RunFinished { report }, Reply::Record(None))
    }

    fn batch_bytes(batch: &[Queued]) -> usize {
        batch
            .iter()
            .map(|(command, _)| command.encoded_size_estimate())
            .sum()
    }

    #[test]
    fn a_batch_stops_at_the_byte_bound_and_leaves_the_rest_queued() {
        let (background_sender, mut background) = mpsc::unbounded_channel();
        let records = 300;
        for _ in 0..records {
            background_sender.send(finished(100 * 1024)).unwrap();
        }
        let mut taken = 0;
        while taken < records {
            let mut batch = Vec::new();
            drain(&mut background, &mut batch);
            assert!(!batch.is_empty());
            let one_record = finished(100 * 1024).0.encoded_size_estimate();
            assert!(batch_bytes(&batch) < MAX_RECORD_BATCH_BYTES + one_record);
            taken += batch.len();
        }
        assert_eq!(taken, records, "nothing is dropped");
    }

    #[test]
    fn a_record_larger_than_the_bound_goes_alone() {
        let (sender, mut lane) = mpsc::unbounded_channel();
        sender.send(finished(2 * MAX_RECORD_BATCH_BYTES)).unwrap();
        sender.send(finished(10)).unwrap();
        let mut batch = Vec::new();
        drain(&mut lane, &mut batch);
        assert_eq!(batch.len(), 1);
        let mut next = Vec::new();
        drain(&mut lane, &mut next);
        assert_eq!(next.len(), 1, "the small record follows in the next batch");
    }

    #[test]
    fn unwritten_commands_are_named_one_by_one_inside_batches() {
        let (run_end, _) = finished(1);
        let batch = Command::Batch(vec![
            run_end,
            Command::Batch(vec![Command::DeleteJob { name: "old".into() }]),
        ]);
        let named: Vec<String> = unbatched(&batch).into_iter().map(describe).collect();
        assert_eq!(
            named,
            ["the end of run 1-node of job job", "delete_job(old)"]
        );
    }

    #[tokio::test]
    async fn a_queued_write_whose_caller_left_is_never_sent() {
        let (sender, mut lane) = mpsc::unbounded_channel();
        let (reply, answer) = oneshot::channel();
        sender
            .send((
                Command::DeleteJob {
                    name: "gone".into(),
                },
                Reply::Caller(reply),
            ))
            .unwrap();
        drop(answer);
        let (reply, _waiting) = oneshot::channel();
        sender
            .send((
                Command::DeleteJob {
                    name: "kept".into(),
                },
                Reply::Caller(reply),
            ))
            .unwrap();
        sender.send(finished(1)).unwrap();
        let mut batch = Vec::new();
        drain(&mut lane, &mut batch);
        drop_abandoned(&mut batch);
        let left: Vec<String> = batch
            .iter()
            .map(|(command, _)| command.to_string())
            .collect();
        assert_eq!(left, ["delete_job(kept)", "run_finished(1-node)"]);
    }
}
