//! Batches replicated writes: everything queued while one write is in flight goes into the
//! next `Command::Batch`, so a burst of run starts and results costs a few disk syncs, not
//! one per run (DESIGN §2.7).

use std::sync::Arc;

use dkron_cluster::{ClusterError, RaftNode};
use dkron_store::{Command, CommandResult};
use tokio::sync::{mpsc, oneshot};

/// Most commands put into one log entry.
const MAX_BATCH: usize = 4_096;

type Reply = oneshot::Sender<Result<CommandResult, String>>;

/// A handle that queues commands for the batching writer task.
#[derive(Clone)]
pub struct Recorder {
    queue: mpsc::UnboundedSender<(Command, Option<Reply>)>,
}

impl Recorder {
    /// Starts the writer task over `raft`.
    pub fn start(raft: Arc<RaftNode>) -> Recorder {
        let (queue, receiver) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(raft, receiver));
        Recorder { queue }
    }

    /// Queues a command and waits for its result.
    pub async fn record(&self, command: Command) -> Result<CommandResult, String> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((command, Some(reply)))
            .map_err(|_| "the recorder has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the recorder dropped the command".to_string())?
    }

    /// Queues a command without waiting; failures are logged by the writer.
    pub fn record_later(&self, command: Command) {
        if self.queue.send((command, None)).is_err() {
            tracing::warn!("recorder stopped; a run record was not written");
        }
    }
}

async fn write_loop(
    raft: Arc<RaftNode>,
    mut receiver: mpsc::UnboundedReceiver<(Command, Option<Reply>)>,
) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        let (commands, replies): (Vec<Command>, Vec<Option<Reply>>) = batch.into_iter().unzip();
        let count = commands.len();
        let outcome = raft.write(Command::Batch(commands)).await;
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
