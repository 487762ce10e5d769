//! The pure planner: from a job, its cursor and the current time to a list of decisions.
//!
//! No I/O, no async runtime, no clock: `now` is an argument, so every rule here is tested
//! without waiting (see `plan_test.rs`).

use std::collections::VecDeque;

use chrono::{DateTime, TimeDelta, Utc};
use dkron_model::{MisfirePolicy, SkipReason, Trigger};

use crate::config::PlanRules;
use crate::decision::Decision;
use crate::nominal::NominalSchedule;
use crate::planned_job::PlannedJob;

/// The outcome of planning one job at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPlan {
    /// Decisions for every occurrence in `(cursor, now + launch_lead]`, oldest first.
    pub decisions: Vec<Decision>,
    /// The cursor once the decisions are committed: the newest nominal time decided, or the
    /// starting point when nothing was decided (`now` for a job that never had a cursor).
    pub cursor: DateTime<Utc>,
    /// The next nominal time not decided yet, or `None` when the job never fires again.
    pub next: Option<DateTime<Utc>>,
    /// True when `max_occurrences` cut the plan short: `next` is already due and the caller
    /// plans again from `cursor` with the same `now`.
    pub truncated: bool,
}

/// Returns true when the scheduler fires the job by itself: enabled, not a child of another
/// job (children run after their parent), and not `@manually`.
pub fn is_scheduled(job: &impl PlannedJob, schedule: &impl NominalSchedule) -> bool {
    !job.is_disabled() && !job.is_child() && !schedule.is_manual()
}

/// Returns the job's first nominal time strictly after `after`, honouring `starts_at` (nothing
/// before it) and `expires_at` (nothing after it), or `None` when there is none.
///
/// Before `starts_at`, the search starts at `starts_at` itself: a calendar schedule may fire
/// exactly at `starts_at`, and an `@every` schedule counts its interval from `starts_at` (its
/// first occurrence is `starts_at` on a whole second, else one interval later, rounded down).
///
/// A schedule that answers a time not strictly after the time asked for is treated as
/// exhausted, so a faulty schedule can never make the planner loop in place.
pub fn next_occurrence(
    job: &impl PlannedJob,
    schedule: &impl NominalSchedule,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let nominal = match job.starts_at() {
        Some(starts_at) if starts_at > after => first_from_start(schedule, starts_at, after)?,
        _ => next_strictly_after(schedule, after)?,
    };
    if job
        .expires_at()
        .is_some_and(|expires_at| nominal > expires_at)
    {
        return None;
    }
    Some(nominal)
}

fn next_strictly_after(
    schedule: &impl NominalSchedule,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let nominal = schedule.next_after(after)?;
    (nominal > after).then_some(nominal)
}

/// Returns the first occurrence at or after `starts_at` (and strictly after `after`).
fn first_from_start(
    schedule: &impl NominalSchedule,
    starts_at: DateTime<Utc>,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    /// From `starts_at - interval`, an `@every` schedule lands before `starts_at` at most once
    /// (when `starts_at` is not a whole second); a calendar schedule never does.
    const MAX_STEPS: usize = 4;
    let step_back = schedule.interval().unwrap_or(TimeDelta::nanoseconds(1));
    let mut search_from = starts_at
        .checked_sub_signed(step_back)
        .unwrap_or(starts_at)
        .max(after);
    for _ in 0..MAX_STEPS {
        let nominal = next_strictly_after(schedule, search_from)?;
        if nominal >= starts_at {
            return Some(nominal);
        }
        search_from = nominal;
    }
    None
}

/// Returns the job's first nominal time after `now` on the sequence the scheduler follows from
/// `cursor`: what to show as the job's next run. When the cursor is behind `now` (no leader
/// for a while), the times in between are the misfire policy's to decide; the sequence resumes
/// from the last of them, so an `@every` job keeps its rhythm instead of one restarted at `now`.
pub fn next_after_now(
    job: &impl PlannedJob,
    schedule: &impl NominalSchedule,
    cursor: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let next = next_occurrence(job, schedule, cursor)?;
    if next > now {
        return Some(next);
    }
    let resume_from = match schedule.interval() {
        Some(interval) if interval.num_seconds() > 0 => {
            let whole_intervals = (now - next).num_seconds() / interval.num_seconds();
            next.checked_add_signed(interval.checked_mul(i32::try_from(whole_intervals).ok()?)?)?
        }
        _ => now,
    };
    next_occurrence(job, schedule, resume_from)
}

/// Returns the next nominal time the scheduler should wake the job for, or `None` when the job
/// is not scheduled or its schedule is exhausted.
pub fn next_scheduled(
    job: &impl PlannedJob,
    schedule: &impl NominalSchedule,
    cursor: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if !is_scheduled(job, schedule) {
        return None;
    }
    next_occurrence(job, schedule, cursor)
}

/// Where an occurrence stands relative to `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lateness {
    /// Older than the catch-up window: always a misfire.
    OutsideWindow,
    /// Missed, but inside the catch-up window: the misfire policy decides.
    InsideWindow,
    /// Due at most `on_time_grace` ago, or not yet due: launched on schedule.
    OnTime,
}

/// The instants that separate the three kinds of lateness, and the two causes of it.
struct LatenessBounds {
    now: DateTime<Utc>,
    window_start: DateTime<Utc>,
    on_time_start: DateTime<Utc>,
    overload_since: DateTime<Utc>,
}

impl LatenessBounds {
    fn new(now: DateTime<Utc>, rules: &PlanRules) -> Self {
        LatenessBounds {
            now,
            window_start: now
                .checked_sub_signed(rules.catch_up_window)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            on_time_start: now
                .checked_sub_signed(rules.on_time_grace)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            overload_since: rules.overload_since,
        }
    }

    /// Why a late occurrence was missed: it fell due while a scheduler ran (so the scheduler
    /// was behind), or before (no scheduler ran).
    fn missed_reason(&self, nominal: DateTime<Utc>) -> SkipReason {
        if nominal < self.overload_since {
            return SkipReason::Misfire;
        }
        let behind = (self.now - nominal).num_milliseconds().max(0);
        SkipReason::Overloaded {
            behind_ms: behind as u64,
        }
    }

    fn classify(&self, nominal: DateTime<Utc>) -> Lateness {
        if nominal >= self.on_time_start {
            Lateness::OnTime
        } else if nominal >= self.window_start {
            Lateness::InsideWindow
        } else {
            Lateness::OutsideWindow
        }
    }
}

/// Decides about every occurrence of `job` with a nominal time in `(cursor, now + launch_lead]`.
///
/// `cursor` is the replicated "last nominal time decided"; `None` starts from `now`. On-time
/// occurrences (due at or after `now - on_time_grace`) are launched with trigger `schedule`.
/// Missed ones inside the catch-up window follow the misfire policy (`run_once`: the latest
/// one runs as `catch_up`, the others are skipped; `run_all`: all run, oldest first; `skip`:
/// none runs); missed ones outside the window are skipped as misfires. Skips older than the
/// newest `max_individual_skips` are summarised in one `SkipRange`.
///
/// Disabled jobs, child jobs and `@manually` produce no decision. At most `max_occurrences`
/// occurrences are iterated; when more are due the plan is `truncated`, all skips of that
/// chunk are folded into one range, and the caller plans again from the returned cursor.
pub fn plan_job(
    job: &impl PlannedJob,
    schedule: &impl NominalSchedule,
    cursor: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    rules: &PlanRules,
) -> JobPlan {
    let start = cursor.unwrap_or(now);
    if !is_scheduled(job, schedule) {
        return JobPlan {
            decisions: Vec::new(),
            cursor: start,
            next: None,
            truncated: false,
        };
    }
    let horizon = now
        .checked_add_signed(rules.launch_lead)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let bounds = LatenessBounds::new(now, rules);
    let mut builder = DecisionBuilder::new(job.name(), rules);
    let mut decided_up_to = start;
    let mut iterated = 0_usize;
    let mut truncated = false;
    let mut upcoming = next_occurrence(job, schedule, start);
    while let Some(nominal) = upcoming {
        if nominal > horizon {
            break;
        }
        if iterated == rules.max_occurrences {
            truncated = true;
            break;
        }
        debug_assert!(
            nominal > decided_up_to,
            "nominal times must strictly increase"
        );
        builder.push(
            nominal,
            bounds.classify(nominal),
            bounds.missed_reason(nominal),
        );
        decided_up_to = nominal;
        iterated += 1;
        upcoming = next_occurrence(job, schedule, nominal);
    }
    let following_is_missed_in_window =
        truncated && upcoming.is_some_and(|next| bounds.classify(next) == Lateness::InsideWindow);
    JobPlan {
        decisions: builder.finish(truncated, following_is_missed_in_window),
        cursor: decided_up_to,
        next: upcoming,
        truncated,
    }
}

/// Collects decisions while occurrences stream by, in bounded memory: skips older than the
/// newest `max_individual_skips` are counted into a range instead of being kept.
///
/// Skips always precede launches in time (missed occurrences come before on-time ones, and
/// within the missed ones the policy only ever launches the newest), so the output is
/// `[range] ++ skips ++ launches`, in nominal order.
struct DecisionBuilder<'a> {
    job: &'a str,
    policy: MisfirePolicy,
    max_individual_skips: usize,
    /// At most two, oldest first: occurrences missed while no scheduler ran all come before
    /// the ones missed because the scheduler was behind, so the cause changes at most once.
    ranges: Vec<SkippedRange>,
    skips: VecDeque<(DateTime<Utc>, SkipReason)>,
    latest_missed: Option<(DateTime<Utc>, SkipReason)>,
    launches: Vec<(DateTime<Utc>, Trigger)>,
}

#[derive(Debug, Clone)]
struct SkippedRange {
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    count: u64,
    /// The reason of the newest occurrence in the range.
    reason: SkipReason,
}

/// True when two skip reasons have the same cause (an overload reason differs by how far
/// behind the scheduler was, which one range summarises by its newest).
fn same_cause(a: &SkipReason, b: &SkipReason) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

impl<'a> DecisionBuilder<'a> {
    fn new(job: &'a str, rules: &PlanRules) -> Self {
        DecisionBuilder {
            job,
            policy: rules.misfire_policy,
            max_individual_skips: rules.max_individual_skips,
            ranges: Vec::new(),
            skips: VecDeque::new(),
            latest_missed: None,
            launches: Vec::new(),
        }
    }

    fn push(&mut self, nominal: DateTime<Utc>, lateness: Lateness, missed: SkipReason) {
        match (lateness, self.policy) {
            (Lateness::OnTime, _) => self.launches.push((nominal, Trigger::Schedule)),
            (Lateness::OutsideWindow, _) | (Lateness::InsideWindow, MisfirePolicy::Skip) => {
                self.skip(nominal, missed)
            }
            (Lateness::InsideWindow, MisfirePolicy::RunAll) => {
                self.launches.push((nominal, Trigger::CatchUp))
            }
            (Lateness::InsideWindow, MisfirePolicy::RunOnce) => {
                if let Some((older, reason)) = self.latest_missed.replace((nominal, missed)) {
                    self.skip(older, reason);
                }
            }
        }
    }

    fn skip(&mut self, nominal: DateTime<Utc>, reason: SkipReason) {
        debug_assert!(self.launches.is_empty(), "a skip never follows a launch");
        self.skips.push_back((nominal, reason));
        while self.skips.len() > self.max_individual_skips {
            let Some((oldest, reason)) = self.skips.pop_front() else {
                break;
            };
            self.fold_into_range(oldest, reason);
        }
    }

    fn fold_into_range(&mut self, nominal: DateTime<Utc>, reason: SkipReason) {
        match self.ranges.last_mut() {
            Some(range) if same_cause(&range.reason, &reason) => {
                range.last = nominal;
                range.count += 1;
                range.reason = reason;
            }
            _ => self.ranges.push(SkippedRange {
                first: nominal,
                last: nominal,
                count: 1,
                reason,
            }),
        }
    }

    /// Turns what was collected into decisions. In a truncated chunk the latest missed
    /// occurrence stays a skip when a newer missed one follows, and every skip joins the range.
    fn finish(mut self, truncated: bool, following_is_missed_in_window: bool) -> Vec<Decision> {
        if let Some((latest_missed, reason)) = self.latest_missed.take() {
            if following_is_missed_in_window {
                self.skip(latest_missed, reason);
            } else {
                self.launches.insert(0, (latest_missed, Trigger::CatchUp));
            }
        }
        if truncated {
            while let Some((oldest, reason)) = self.skips.pop_front() {
                self.fold_into_range(oldest, reason);
            }
        }
        let mut decisions =
            Vec::with_capacity(self.ranges.len() + self.skips.len() + self.launches.len());
        for range in self.ranges {
            decisions.push(Decision::SkipRange {
                job: self.job.to_string(),
                first: range.first,
                last: range.last,
                count: range.count,
                reason: range.reason,
            });
        }
        for (nominal, reason) in self.skips {
            decisions.push(Decision::Skip {
                job: self.job.to_string(),
                nominal,
                trigger: Trigger::Schedule,
                reason,
            });
        }
        for (nominal, trigger) in self.launches {
            decisions.push(Decision::Launch {
                job: self.job.to_string(),
                nominal,
                trigger,
            });
        }
        decisions
    }
}

#[cfg(test)]
#[path = "plan_test_support.rs"]
mod test_support;

#[cfg(test)]
#[path = "plan_test.rs"]
mod tests;

#[cfg(test)]
#[path = "plan_props_test.rs"]
mod props;
