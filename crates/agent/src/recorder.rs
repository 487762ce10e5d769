//! Batches replicated writes: everything queued while one write is in flight goes into the
//! next `Command::Batch`, so a burst of run starts and results costs a few disk syncs, not
//! one per run (DESIGN §2.7).
//!
//! Two lanes: launch intents and API writes go first, run records (starts and results) after,
//! so a burst of results never delays the intents that let the next runs start on time.

use std::sync::Arc;

use dkron_cluster::{ClusterError, RaftNode};
use dkron_store::{Command, CommandResult};
use tokio::sync::{mpsc, oneshot};

/// Most commands put into one log entry.
const MAX_BATCH: usize = 2_048;

type Reply = oneshot::Sender<Result<CommandResult, String>>;
type Queued = (Command, Option<Reply>);

/// A handle that queues commands for the batching writer task.
#[derive(Clone)]
pub struct Recorder {
    urgent: mpsc::UnboundedSender<Queued>,
    background: mpsc::UnboundedSender<Queued>,
}

impl Recorder {
    /// Starts the writer task over `raft`.
    pub fn start(raft: Arc<RaftNode>) -> Recorder {
        let (urgent, urgent_queue) = mpsc::unbounded_channel();
        let (background, background_queue) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(raft, urgent_queue, background_queue));
        Recorder { urgent, background }
    }

    /// Queues a command ahead of run records and waits for its result.
    pub async fn record(&self, command: Command) -> Result<CommandResult, String> {
        let (reply, answer) = oneshot::channel();
        self.urgent
            .send((command, Some(reply)))
            .map_err(|_| "the recorder has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the recorder dropped the command".to_string())?
    }

    /// Queues a run record without waiting; failures are logged by the writer.
    pub fn record_later(&self, command: Command) {
        if self.background.send((command, None)).is_err() {
            tracing::warn!("recorder stopped; a run record was not written");
        }
    }

    /// Waits until every run record queued before this call is written.
    pub async fn flush(&self) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.background
            .send((Command::Batch(Vec::new()), Some(reply)))
            .map_err(|_| "the recorder has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the recorder dropped the command".to_string())?
            .map(drop)
    }
}

/// Takes what is queued, urgent lane first, up to `MAX_BATCH` commands.
fn drain(
    urgent: &mut mpsc::UnboundedReceiver<Queued>,
    background: &mut mpsc::UnboundedReceiver<Queued>,
    batch: &mut Vec<Queued>,
) {
    while batch.len() < MAX_BATCH {
        match urgent.try_recv() {
            Ok(item) => batch.push(item),
            Err(_) => break,
        }
    }
    while batch.len() < MAX_BATCH {
        match background.try_recv() {
            Ok(item) => batch.push(item),
            Err(_) => break,
        }
    }
}

async fn write_loop(
    raft: Arc<RaftNode>,
    mut urgent: mpsc::UnboundedReceiver<Queued>,
    mut background: mpsc::UnboundedReceiver<Queued>,
) {
    loop {
        let first = tokio::select! {
            biased;
            Some(item) = urgent.recv() => item,
            Some(item) = background.recv() => item,
            else => break,
        };
        let mut batch = vec![first];
        drain(&mut urgent, &mut background, &mut batch);
        let (commands, replies): (Vec<Command>, Vec<Option<Reply>>) = batch.into_iter().unzip();
        let count = commands.len();
        let started = std::time::Instant::now();
        let outcome = raft.write(Command::Batch(commands)).await;
        tracing::debug!(
            commands = count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "batch written"
        );
        deliver(outcome, replies, count);
    }
    tracing::debug!("recorder stopped");
}

fn deliver(
    outcome: Result<CommandResult, ClusterError>,
    replies: Vec<Option<Reply>>,
    count: usize,
) {
    match outcome {
        Ok(CommandResult::Batch(results)) => {
            for (result, reply) in results.into_iter().zip(replies) {
                if let CommandResult::Failed(error) = &result {
                    tracing::debug!(error = %error, "recorded command changed nothing");
                }
                if let Some(reply) = reply {
                    let _ignored_if_caller_left = reply.send(Ok(result));
                }
            }
        }
        Ok(other) => tracing::error!(result = ?other, "batch write returned a non-batch result"),
        Err(error) => {
            tracing::warn!(error = %error, commands = count, "replicated write failed");
            for reply in replies.into_iter().flatten() {
                let _ignored_if_caller_left = reply.send(Err(error.to_string()));
            }
        }
    }
}
