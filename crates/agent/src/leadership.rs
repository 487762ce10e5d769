//! What a server does while it leads: run the scheduler, follow job changes made through any
//! server, keep the Raft configuration in line with gossip, and make sure every launched run
//! ends up recorded (DESIGN §2.5).

use std::sync::Arc;
use std::time::Duration;

use dkron_scheduler::{ScheduledJob, Scheduler, SchedulerConfig, SystemClock};
use dkron_store::{Command, CommandResult, Retention};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::chaining;
use crate::node::Node;
use crate::pending_runs;
use crate::reconcile::{self, Pass};
use crate::scheduler_seam::SchedulerSeam;

/// How often the leader reconciles runs and servers with membership.
const RECONCILE_EVERY: Duration = Duration::from_secs(1);
/// How often the leader deletes history past its age limit.
const PRUNE_EVERY: Duration = Duration::from_secs(15);
/// Most records one prune write deletes.
const PRUNE_BATCH: u32 = 2_000;
/// Pause between the writes of one prune pass, so that a pass over many jobs is spread out
/// instead of holding the write lane it shares with launch intents.
const PRUNE_PAUSE: Duration = Duration::from_millis(50);
/// Pause between attempts to have a quorum confirm this server's leadership.
const CONFIRM_AGAIN_AFTER: Duration = Duration::from_secs(1);
/// Every how many reconcile ticks alive nodes are asked about their long-running runs.
const ASK_NODES_EVERY_TICKS: u32 = 10;

/// Settings of the leader's duties.
#[derive(Clone)]
pub struct LeaderDuties {
    /// The scheduler's settings.
    pub scheduler: SchedulerConfig,
    /// History limits the leader makes the replicated ones.
    pub retention: Retention,
    /// Webhooks the leader sends.
    pub notify: Arc<dkron_notify::NotifySettings>,
    /// The audit log's retention, whose age limit the leader enforces.
    pub audit: dkron_store::AuditRetention,
}

/// Follows leadership until `stop` fires: leads while this server is the leader.
pub async fn follow(node: Arc<Node>, duties: LeaderDuties, stop: CancellationToken) {
    let mut leader = node.raft.leader_watch();
    let me = node.raft.node_id();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            changed = leader.wait_for(|leader| *leader == Some(me)) => {
                if changed.is_err() { return; }
            }
        }
        let term = CancellationToken::new();
        let lost = {
            let term = term.clone();
            let mut leader = leader.clone();
            async move {
                // An error means the watch closed: Raft itself stopped.
                let raft_stopped = leader.wait_for(|leader| *leader != Some(me)).await.is_err();
                term.cancel();
                raft_stopped
            }
        };
        let mut ended_by_itself = false;
        let mut raft_stopped = false;
        tokio::select! {
            _ = stop.cancelled() => { term.cancel(); }
            stopped = lost => { raft_stopped = stopped; }
            () = lead(node.clone(), duties.clone(), term.clone()) => { ended_by_itself = true; }
        }
        term.cancel();
        step_down(&node).await;
        if stop.is_cancelled() {
            return;
        }
        if raft_stopped {
            // A closed watch keeps its last value (this server), so looping would lead again
            // at once, forever.
            tracing::error!(
                "raft stopped on this server: it no longer leads; see the earlier error"
            );
            return;
        }
        if ended_by_itself {
            // Raft may still name this server the leader: lead again, but not in a tight loop.
            tokio::time::sleep(CONFIRM_AGAIN_AFTER).await;
        }
    }
}

async fn step_down(node: &Node) {
    let scheduler = node
        .scheduler
        .lock()
        .expect("scheduler slot lock is never poisoned")
        .take();
    if let Some(scheduler) = scheduler {
        let undispatched = scheduler.stop().await;
        tracing::warn!(
            undispatched = undispatched.len(),
            "no longer the leader: scheduler stopped; the next leader dispatches what was launched"
        );
    }
}

/// The leader's work for one term; returns when `term` is cancelled, or early when the
/// scheduler stopped by itself.
async fn lead(node: Arc<Node>, duties: LeaderDuties, term: CancellationToken) {
    if !confirm_leadership(&node, &term).await {
        return;
    }
    // The term a quorum just confirmed; a later term read from metrics could be a successor's.
    let leader_term = node.raft.current_term();
    node.leader_term
        .store(leader_term, std::sync::atomic::Ordering::Release);
    tracing::info!(node = %node.node_name, leader_term, "this server is the leader");
    apply_retention(&node, duties.retention).await;
    crate::notices::apply_settings(&node, &duties.notify).await;
    let inherited = match node.raft.store().active_runs(None) {
        Ok(runs) => runs,
        Err(error) => {
            tracing::error!(error = %error, "cannot read active runs; not scheduling");
            term.cancelled().await;
            return;
        }
    };
    let changes = node.raft.job_changes();
    let scheduler = Scheduler::start(
        Arc::new(SchedulerSeam(node.clone())),
        duties.scheduler.clone(),
        Arc::new(SystemClock),
    );
    *node
        .scheduler
        .lock()
        .expect("scheduler slot lock is never poisoned") = Some(scheduler.clone());
    tokio::spawn(follow_job_changes(node.clone(), changes, term.clone()));
    tokio::spawn(prune_aged_history(node.clone(), term.clone()));
    tokio::spawn(crate::audit_log::prune_aged(
        node.clone(),
        duties.audit,
        term.clone(),
    ));
    tokio::spawn(crate::notices::follow(
        node.clone(),
        duties.notify.clone(),
        term.clone(),
    ));
    let scheduler_exit = scheduler_exited(scheduler.watch_status());
    tokio::pin!(scheduler_exit);
    tokio::spawn(chaining::launch_all_pending(node.clone(), scheduler));
    reconcile::runs(&node, &inherited, Pass::Takeover).await;
    let mut tick = tokio::time::interval(RECONCILE_EVERY);
    let mut ticks = 0u32;
    loop {
        tokio::select! {
            _ = term.cancelled() => return,
            () = &mut scheduler_exit => {
                tracing::warn!("the scheduler stopped: its writes found this server not leading; leading again once a quorum confirms it");
                return;
            }
            _ = tick.tick() => {}
        }
        ticks = ticks.wrapping_add(1);
        reconcile::servers(&node).await;
        let pass = if ticks.is_multiple_of(ASK_NODES_EVERY_TICKS) {
            Pass::AskNodes
        } else {
            Pass::DeadNodes
        };
        match node.raft.store().active_runs(None) {
            Ok(active) => {
                node.deliveries.retain_active(&active);
                reconcile::runs(&node, &active, pass).await
            }
            Err(error) => tracing::warn!(error = %error, "cannot read active runs"),
        }
    }
}

/// Waits until a quorum confirms this server's leadership (a read index); false when the
/// term ends first. A restarted server may briefly believe in the leadership its stored vote
/// records, and a leader cut off from its quorum keeps believing it leads: neither may
/// schedule until the others answer.
async fn confirm_leadership(node: &Node, term: &CancellationToken) -> bool {
    let mut logged = false;
    loop {
        match node.raft.catch_up().await {
            Ok(()) => return true,
            Err(error) if !logged => {
                tracing::info!(error = %error, "leadership not confirmed yet; asking again every second");
                logged = true;
            }
            Err(error) => tracing::debug!(error = %error, "leadership not confirmed yet"),
        }
        tokio::select! {
            _ = term.cancelled() => return false,
            _ = tokio::time::sleep(CONFIRM_AGAIN_AFTER) => {}
        }
    }
}

/// Resolves when the scheduler's loop has exited. It exits by itself when its writes find
/// this server no longer leading, which Raft does not always report as a leader change (a
/// leader cut off from its quorum, then reached again in the same term).
async fn scheduler_exited(
    mut status: tokio::sync::watch::Receiver<dkron_scheduler::SchedulerStatus>,
) {
    let _sender_gone_means_stopped_too = status.wait_for(|status| !status.running).await;
}

async fn apply_retention(node: &Node, wanted: Retention) {
    match node.raft.store().retention() {
        Ok(current) if current == wanted => {}
        Ok(_) => {
            if let Err(error) = node.recorder.record(Command::SetRetention(wanted)).await {
                tracing::warn!(error = %error, "cannot set history retention");
            }
        }
        Err(error) => tracing::warn!(error = %error, "cannot read history retention"),
    }
}

/// Deletes history past its age limit while this server leads: a bounded batch per write,
/// so the scheduler's own writes are never held up for long.
async fn prune_aged_history(node: Arc<Node>, term: CancellationToken) {
    let mut tick = tokio::time::interval(PRUNE_EVERY);
    loop {
        tokio::select! {
            _ = term.cancelled() => return,
            _ = tick.tick() => {}
        }
        let mut from = None;
        loop {
            let command = Command::PruneAged {
                now: chrono::Utc::now(),
                limit: PRUNE_BATCH,
                from: from.take(),
            };
            match node.recorder.record(command).await {
                Ok(CommandResult::Pruned { removed, next }) => {
                    if removed > 0 {
                        tracing::info!(removed, "history past its age limit deleted");
                    }
                    if next.is_none() {
                        break;
                    }
                    from = next;
                    tokio::select! {
                        _ = term.cancelled() => return,
                        _ = tokio::time::sleep(PRUNE_PAUSE) => {}
                    }
                }
                Ok(other) => {
                    tracing::warn!(result = %other, "unexpected answer to a history prune");
                    break;
                }
                Err(error) => {
                    tracing::warn!(error = %error, "cannot prune old history; will try again");
                    break;
                }
            }
        }
    }
}

/// Tells the scheduler about every job created, changed or deleted, through whichever server
/// took the request.
async fn follow_job_changes(
    node: Arc<Node>,
    mut changes: tokio::sync::broadcast::Receiver<dkron_cluster::JobChange>,
    term: CancellationToken,
) {
    loop {
        let change = tokio::select! {
            _ = term.cancelled() => return,
            change = changes.recv() => change,
        };
        let Some(scheduler) = node.scheduler() else {
            return;
        };
        let names = match change {
            Ok(change) => vec![change.name],
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "job change feed lagged; rereading every job");
                node.raft.store().job_names().unwrap_or_default()
            }
            Err(RecvError::Closed) => return,
        };
        for name in names {
            match node.raft.store().job(&name) {
                Ok(Some(stored)) => {
                    chaining::launch_pending(&scheduler, &stored);
                    pending_runs::send_pending(&node, &stored);
                    scheduler.job_changed(ScheduledJob {
                        job: stored.job,
                        cursor: stored.cursor,
                    });
                }
                Ok(None) => scheduler.job_removed(&name),
                Err(error) => {
                    tracing::warn!(job = %name, error = %error, "cannot read a changed job")
                }
            }
        }
    }
}
