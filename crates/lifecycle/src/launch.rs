//! Launch intents and skips: whether an occurrence runs now, waits, replaces what runs, or
//! is recorded as skipped, and what that does to its job.

use chrono::{DateTime, Utc};
use dkron_model::{CONCURRENCY_QUEUE, CONCURRENCY_REPLACE, Job, LedgerEntry, SkipReason, Trigger};

use crate::job_state::{QueuedLaunch, StoredJob};
use crate::ledger::{launched_entry, skipped_entry, skipped_range_entry};
use crate::refusal::Refusal;
use crate::run::RunPlan;

/// The leader's intent to run an occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchIntent {
    /// Nominal time of the occurrence.
    pub nominal: DateTime<Utc>,
    /// What caused it.
    pub trigger: Trigger,
    /// Where it runs (empty: no node matched).
    pub runs: Vec<RunPlan>,
    /// Leader time of the decision.
    pub decided_at: DateTime<Utc>,
}

/// What a launch intent comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchOutcome {
    /// Recorded as skipped for this reason; nothing runs.
    Skipped(SkipReason),
    /// Launched, waiting for the job's active runs to end (`concurrency: queue`); the job
    /// holds it in `queued`.
    Queued,
    /// Launched: these runs are active from now and are to be sent to their nodes.
    Started {
        /// The runs, now active.
        runs: Vec<RunPlan>,
        /// The job's runs that were active are to be stopped (`concurrency: replace`).
        replaces_active: bool,
    },
}

/// A launch intent decided: the ledger entry to write and what happens to the runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The occurrence's new ledger entry.
    pub entry: LedgerEntry,
    /// What happens to its runs.
    pub outcome: LaunchOutcome,
}

fn is_scheduled(trigger: Trigger) -> bool {
    matches!(trigger, Trigger::Schedule | Trigger::CatchUp)
}

/// Moves the schedule cursor to `nominal` for occurrences of the schedule (never back).
fn advance_cursor(stored: &mut StoredJob, trigger: Trigger, nominal: DateTime<Utc>) {
    if is_scheduled(trigger) {
        stored.cursor = Some(stored.cursor.map_or(nominal, |cursor| cursor.max(nominal)));
    }
}

/// Takes an occurrence into the job's ledger count, moving the cursor to `cursor_to` for the
/// schedule's occurrences; refused when the occurrence at `nominal` is already recorded
/// (this is what makes launches and skips at most once).
fn take_new_occurrence(
    stored: &mut StoredJob,
    already_recorded: bool,
    nominal: DateTime<Utc>,
    trigger: Trigger,
    cursor_to: DateTime<Utc>,
) -> Result<(), Refusal> {
    if already_recorded {
        return Err(Refusal::AlreadyRecorded {
            job: stored.job.name.clone(),
            nominal,
        });
    }
    advance_cursor(stored, trigger, cursor_to);
    stored.ledger_count += 1;
    Ok(())
}

/// Dkron's `isRunnable` window: before `starts_at` or after `expires_at`.
fn outside_window(job: &Job, at: DateTime<Utc>) -> bool {
    job.starts_at.is_some_and(|starts_at| at < starts_at)
        || job.expires_at.is_some_and(|expires_at| at > expires_at)
}

fn queues(job: &Job) -> bool {
    job.concurrency == CONCURRENCY_QUEUE
}

fn replaces(job: &Job) -> bool {
    job.concurrency == CONCURRENCY_REPLACE
}

/// Why an intent is skipped, in the order the rules are checked; `None` runs it.
///
/// A pause skips everything but manual runs. Parent triggers are checked against
/// `disabled` and the window here, because the scheduler checked its own occurrences before
/// proposing them. `forbid` skips while a run is active; `queue` lets one occurrence wait
/// and skips the rest as overlaps.
fn skip_reason(
    stored: &StoredJob,
    trigger: Trigger,
    nominal: DateTime<Utc>,
    has_targets: bool,
    paused: bool,
) -> Option<SkipReason> {
    let busy = stored.active_runs > 0;
    if paused && trigger != Trigger::Manual {
        Some(SkipReason::Paused)
    } else if trigger == Trigger::Parent && stored.job.disabled {
        Some(SkipReason::Disabled)
    } else if trigger == Trigger::Parent && outside_window(&stored.job, nominal) {
        Some(SkipReason::OutsideWindow)
    } else if !has_targets {
        Some(SkipReason::NoTarget)
    } else if busy
        && (stored.job.forbids_overlap() || (queues(&stored.job) && stored.queued.is_some()))
    {
        Some(SkipReason::Overlap)
    } else {
        None
    }
}

/// Decides a launch intent for `stored`, given whether its occurrence is already in the
/// ledger and whether scheduling is paused cluster-wide.
///
/// A parent-triggered intent settles the job's pending trigger whatever comes of it, so the
/// caller writes `stored` back even when the intent is refused.
pub fn launch(
    stored: &mut StoredJob,
    already_recorded: bool,
    paused: bool,
    intent: LaunchIntent,
) -> Result<Launch, Refusal> {
    let LaunchIntent {
        nominal,
        trigger,
        runs,
        decided_at,
    } = intent;
    if trigger == Trigger::Parent {
        stored
            .pending_triggers
            .retain(|pending| *pending != nominal);
    }
    take_new_occurrence(stored, already_recorded, nominal, trigger, nominal)?;
    let name = stored.job.name.as_str();
    if let Some(reason) = skip_reason(stored, trigger, nominal, !runs.is_empty(), paused) {
        let entry = skipped_entry(name, nominal, trigger, reason.to_string(), decided_at);
        let outcome = LaunchOutcome::Skipped(reason);
        return Ok(Launch { entry, outcome });
    }
    let entry = launched_entry(name, nominal, trigger, &runs, decided_at);
    let busy = stored.active_runs > 0;
    if queues(&stored.job) && busy {
        stored.queued = Some(QueuedLaunch { nominal, runs });
        return Ok(Launch {
            entry,
            outcome: LaunchOutcome::Queued,
        });
    }
    let replaces_active = replaces(&stored.job) && busy;
    stored.active_runs += runs.len() as u32;
    let outcome = LaunchOutcome::Started {
        runs,
        replaces_active,
    };
    Ok(Launch { entry, outcome })
}

/// Records an occurrence as skipped without a launch intent (the scheduler's own skips:
/// disabled, outside the window, misfire...). Returns the ledger entry to write.
pub fn skip(
    stored: &mut StoredJob,
    already_recorded: bool,
    nominal: DateTime<Utc>,
    trigger: Trigger,
    reason: &SkipReason,
    decided_at: DateTime<Utc>,
) -> Result<LedgerEntry, Refusal> {
    take_new_occurrence(stored, already_recorded, nominal, trigger, nominal)?;
    let entry = skipped_entry(
        &stored.job.name,
        nominal,
        trigger,
        reason.to_string(),
        decided_at,
    );
    Ok(entry)
}

/// The scheduled occurrences a skip range covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkippedRange {
    /// The first occurrence (the ledger entry is keyed by it).
    pub first: DateTime<Utc>,
    /// The last occurrence.
    pub last: DateTime<Utc>,
    /// How many occurrences, the first and the last included.
    pub count: u64,
}

/// Records a range of missed scheduled occurrences as one ledger entry keyed by the first;
/// the cursor moves to the last.
pub fn skip_range(
    stored: &mut StoredJob,
    already_recorded: bool,
    range: SkippedRange,
    reason: &SkipReason,
    decided_at: DateTime<Utc>,
) -> Result<LedgerEntry, Refusal> {
    let trigger = Trigger::Schedule;
    take_new_occurrence(stored, already_recorded, range.first, trigger, range.last)?;
    let name = stored.job.name.as_str();
    let SkippedRange { first, last, count } = range;
    Ok(skipped_range_entry(
        name, first, last, count, reason, decided_at,
    ))
}
