//! The leader's side of the notification outbox: send pending notices, a few at a time and
//! in order within each job, and acknowledge each once it is done with.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use dkron_cluster::RunObservation;
use dkron_notify::NotifySettings;
use dkron_store::{Command, Notice};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::{Id, JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use super::deliver::{Context, deliver};
use super::wanted::wants_notices;
use crate::node::Node;

/// Most notices being sent at once.
const MAX_IN_FLIGHT: usize = dkron_model::limits::MAX_NOTIFICATIONS_IN_FLIGHT;
/// Most pending notices read per pass.
const READ_AT_ONCE: usize = 512;
/// How often the outbox is looked at without a new run record to prompt it.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// A burst of run records is read as one pass.
const SETTLE: Duration = Duration::from_millis(20);

/// Notices of this term: being sent, or sent and waiting for their acknowledgement.
#[derive(Default)]
struct Sending {
    /// Sequence numbers not to start again.
    taken: HashSet<u64>,
    /// Jobs with a notice being sent (a job's notices go out in order).
    jobs: HashSet<String>,
    /// Sends in flight.
    tasks: JoinSet<()>,
    /// The notice (sequence number and job) each send in flight is for.
    owners: HashMap<Id, (u64, String)>,
    /// Sent, acknowledgement not written yet.
    done: Vec<u64>,
}

/// Works through the outbox until `term` ends. Sends cut short by the end of the term are
/// not acknowledged, so the next leader sends them again.
pub async fn follow(node: Arc<Node>, settings: Arc<NotifySettings>, term: CancellationToken) {
    // A leader that sends nothing only clears what an earlier leader left: no need to wake
    // for every run record.
    let mut prompts = wants_notices(&settings).then(|| node.raft.run_observations());
    // https:// endpoints need a TLS provider; building the client needs one chosen.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let mut sending = Sending::default();
    let mut dropped_seen = node.raft.store().notices_dropped().unwrap_or(0);
    let mut tick = tokio::time::interval(POLL_EVERY);
    loop {
        start_ready(&node, &settings, &client, &mut sending);
        tokio::select! {
            _ = term.cancelled() => return,
            prompt = next_prompt(&mut prompts) => {
                if matches!(prompt, Err(RecvError::Closed)) {
                    return;
                }
                tokio::time::sleep(SETTLE).await;
                prompts = prompts.map(|prompts| prompts.resubscribe());
            }
            _ = tick.tick() => warn_if_dropped(&node, &mut dropped_seen),
            Some(ended) = sending.tasks.join_next_with_id() => {
                finish(&mut sending, ended);
                while let Some(ended) = sending.tasks.try_join_next_with_id() {
                    finish(&mut sending, ended);
                }
            }
        }
        acknowledge(&node, &mut sending).await;
    }
}

/// The next run record, or never when the outbox is not prompted by them.
async fn next_prompt(
    prompts: &mut Option<Receiver<RunObservation>>,
) -> Result<RunObservation, RecvError> {
    match prompts {
        Some(prompts) => prompts.recv().await,
        None => std::future::pending().await,
    }
}

/// Starts sending the oldest pending notices whose job has none in flight.
fn start_ready(
    node: &Arc<Node>,
    settings: &Arc<NotifySettings>,
    client: &reqwest::Client,
    sending: &mut Sending,
) {
    if sending.tasks.len() >= MAX_IN_FLIGHT {
        return;
    }
    let taken = &sending.taken;
    let pending = match node
        .raft
        .store()
        .pending_notices(READ_AT_ONCE, |seq| taken.contains(&seq))
    {
        Ok(pending) => pending,
        Err(error) => {
            tracing::warn!(error = %error, "cannot read pending notifications");
            return;
        }
    };
    // A job whose notice is in flight, or whose earlier notice waits, takes no other now.
    let mut blocked = sending.jobs.clone();
    for (seq, notice) in pending {
        if sending.tasks.len() >= MAX_IN_FLIGHT {
            break;
        }
        let job = notice.execution.job_name.clone();
        if !blocked.insert(job.clone()) {
            continue;
        }
        sending.taken.insert(seq);
        sending.jobs.insert(job.clone());
        let node = node.clone();
        let settings = settings.clone();
        let client = client.clone();
        let task = sending.tasks.spawn(async move {
            send(&node, &settings, &client, &notice).await;
        });
        sending.owners.insert(task.id(), (seq, job));
    }
}

async fn send(node: &Node, settings: &NotifySettings, client: &reqwest::Client, notice: &Notice) {
    let context = Context {
        store: node.raft.store(),
        settings,
        client,
        reporting_node: &node.node_name,
    };
    deliver(&context, notice).await;
}

/// Marks a send as ended. A send that panicked counts as done too: sending it again would
/// fail the same way.
fn finish(sending: &mut Sending, ended: Result<(Id, ()), JoinError>) {
    let id = match ended {
        Ok((id, ())) => id,
        Err(error) => {
            tracing::error!(error = %error, "a notification send failed");
            error.id()
        }
    };
    if let Some((seq, job)) = sending.owners.remove(&id) {
        sending.jobs.remove(&job);
        sending.done.push(seq);
    }
}

/// Writes the acknowledgements of finished sends; kept for the next pass if that fails.
async fn acknowledge(node: &Node, sending: &mut Sending) {
    if sending.done.is_empty() {
        return;
    }
    let seqs = sending.done.clone();
    match node.recorder.record(Command::AckNotices { seqs }).await {
        Ok(_) => {
            for seq in sending.done.drain(..) {
                sending.taken.remove(&seq);
            }
        }
        Err(error) => {
            tracing::warn!(error = %error, "cannot mark notifications as sent; will try again");
        }
    }
}

fn warn_if_dropped(node: &Node, seen: &mut u64) {
    let Ok(dropped) = node.raft.store().notices_dropped() else {
        return;
    };
    if dropped > *seen {
        tracing::warn!(
            dropped = dropped - *seen,
            "the notification outbox was full: the oldest notifications were dropped unsent"
        );
        *seen = dropped;
    }
}
