//! Tests of the pure planner, with small hand-made schedules (see `nominal_test.rs` for the
//! real schedule language).

use chrono::{DurationRound, TimeZone};
use proptest::prelude::*;

use super::*;

/// `@every period`: the next time is `after` truncated to the second plus the period.
struct Every(TimeDelta);

impl NominalSchedule for Every {
    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let truncated = after.duration_trunc(TimeDelta::seconds(1)).ok()?;
        truncated.checked_add_signed(self.0)
    }

    fn is_manual(&self) -> bool {
        false
    }
}

/// `@at instant`.
struct At(DateTime<Utc>);

impl NominalSchedule for At {
    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (self.0 > after).then_some(self.0)
    }

    fn is_manual(&self) -> bool {
        false
    }
}

/// `@manually`.
struct Manually;

impl NominalSchedule for Manually {
    fn next_after(&self, _after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        None
    }

    fn is_manual(&self) -> bool {
        true
    }
}

/// A broken schedule that never moves forward.
struct Stuck(DateTime<Utc>);

impl NominalSchedule for Stuck {
    fn next_after(&self, _after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Some(self.0)
    }

    fn is_manual(&self) -> bool {
        false
    }
}

fn at(hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, hour, minute, second)
        .single()
        .expect("valid test time")
}

fn job(name: &str) -> Job {
    Job {
        name: name.to_string(),
        ..Job::default()
    }
}

fn rules(policy: MisfirePolicy) -> PlanRules {
    PlanRules {
        misfire_policy: policy,
        ..PlanRules::default()
    }
}

fn launch(nominal: DateTime<Utc>, trigger: Trigger) -> Decision {
    Decision::Launch {
        job: "j".to_string(),
        nominal,
        trigger,
    }
}

fn misfire(nominal: DateTime<Utc>) -> Decision {
    Decision::Skip {
        job: "j".to_string(),
        nominal,
        trigger: Trigger::Schedule,
        reason: SkipReason::Misfire,
    }
}

#[test]
fn on_time_occurrence_launches_on_schedule() {
    let plan = plan_job(
        &job("j"),
        &Every(TimeDelta::seconds(10)),
        Some(at(12, 0, 0)),
        at(12, 0, 10),
        &rules(MisfirePolicy::RunOnce),
    );
    assert_eq!(
        plan.decisions,
        vec![launch(at(12, 0, 10), Trigger::Schedule)]
    );
    assert_eq!(plan.cursor, at(12, 0, 10));
    assert_eq!(plan.next, Some(at(12, 0, 20)));
    assert!(!plan.truncated);
}

#[test]
fn launch_lead_decides_occurrences_just_ahead_of_now() {
    let now = at(12, 0, 10) - TimeDelta::milliseconds(150);
    let plan = plan_job(
        &job("j"),
        &Every(TimeDelta::seconds(10)),
        Some(at(12, 0, 0)),
        now,
        &rules(MisfirePolicy::RunOnce),
    );
    assert_eq!(
        plan.decisions,
        vec![launch(at(12, 0, 10), Trigger::Schedule)]
    );
    let too_early = plan_job(
        &job("j"),
        &Every(TimeDelta::seconds(10)),
        Some(at(12, 0, 0)),
        at(12, 0, 9),
        &rules(MisfirePolicy::RunOnce),
    );
    assert!(too_early.decisions.is_empty());
    assert_eq!(too_early.cursor, at(12, 0, 0));
    assert_eq!(too_early.next, Some(at(12, 0, 10)));
}

#[test]
fn occurrences_within_grace_are_on_time_and_older_ones_missed() {
    let plan = plan_job(
        &job("j"),
        &Every(TimeDelta::seconds(1)),
        Some(at(12, 0, 0)),
        at(12, 0, 5),
        &rules(MisfirePolicy::Skip),
    );
    assert_eq!(
        plan.decisions,
        vec![
            misfire(at(12, 0, 1)),
            misfire(at(12, 0, 2)),
            launch(at(12, 0, 3), Trigger::Schedule),
            launch(at(12, 0, 4), Trigger::Schedule),
            launch(at(12, 0, 5), Trigger::Schedule),
        ]
    );
}

#[test]
fn run_once_launches_only_the_latest_missed_occurrence() {
    let plan = plan_job(
        &job("j"),
        &Every(TimeDelta::minutes(10)),
        Some(at(12, 0, 0)),
        at(12, 35, 0),
        &rules(MisfirePolicy::RunOnce),
    );
    assert_eq!(
        plan.decisions,
        vec![
            misfire(at(12, 10, 0)),
            misfire(at(12, 20, 0)),
            launch(at(12, 30, 0), Trigger::CatchUp),
        ]
    );
    assert_eq!(plan.next, Some(at(12, 40, 0)));
}

#[test]
fn run_all_launches_every_missed_occurrence_inside_the_window() {
    let rules = PlanRules {
        catch_up_window: TimeDelta::minutes(20),
        ..rules(MisfirePolicy::RunAll)
    };
    let plan = plan_job(
        &job("j"),
        &Every(TimeDelta::minutes(10)),
        Some(at(12, 0, 0)),
        at(12, 35, 0),
        &rules,
    );
    assert_eq!(
        plan.decisions,
        vec![
            misfire(at(12, 10, 0)),
            launch(at(12, 20, 0), Trigger::CatchUp),
            launch(at(12, 30, 0), Trigger::CatchUp),
        ]
    );
}

#[test]
fn missed_occurrences_outside_the_window_are_skipped_even_under_run_once() {
    let rules = PlanRules {
        catch_up_window: TimeDelta::minutes(1),
        ..rules(MisfirePolicy::RunOnce)
    };
    let plan = plan_job(
        &job("j"),
        &Every(TimeDelta::minutes(10)),
        Some(at(12, 0, 0)),
        at(12, 35, 0),
        &rules,
    );
    assert_eq!(plan.decisions.len(), 3);
    assert!(plan.decisions.iter().all(|decision| !decision.is_launch()));
}

#[test]
fn a_day_of_downtime_of_a_one_second_job_is_summarised() {
    let cursor = at(0, 0, 0);
    let now = cursor + TimeDelta::days(1);
    let plan = plan_job(
        &job("j"),
        &Every(TimeDelta::seconds(1)),
        Some(cursor),
        now,
        &rules(MisfirePolicy::RunOnce),
    );
    // 86,400 occurrences: 3 on time (grace 2 s), the latest missed one runs as catch-up,
    // the newest 100 other misses are individual and the rest is one range.
    assert_eq!(plan.decisions.len(), 1 + 100 + 1 + 3);
    let Decision::SkipRange {
        first, last, count, ..
    } = &plan.decisions[0]
    else {
        panic!("expected a range first, got {:?}", plan.decisions[0]);
    };
    assert_eq!(*first, cursor + TimeDelta::seconds(1));
    assert_eq!(*count, 86_400 - 3 - 1 - 100);
    assert_eq!(*last, cursor + TimeDelta::seconds(86_296));
    assert_eq!(
        plan.decisions[101],
        launch(now - TimeDelta::seconds(3), Trigger::CatchUp)
    );
    let covered: u64 = plan.decisions.iter().map(Decision::occurrence_count).sum();
    assert_eq!(covered, 86_400);
}

#[test]
fn no_individual_skips_puts_every_skip_in_the_range() {
    let rules = PlanRules {
        max_individual_skips: 0,
        ..rules(MisfirePolicy::Skip)
    };
    let plan = plan_job(
        &job("j"),
        &Every(TimeDelta::minutes(1)),
        Some(at(12, 0, 0)),
        at(13, 0, 30),
        &rules,
    );
    assert_eq!(plan.decisions.len(), 1);
    assert_eq!(plan.decisions[0].occurrence_count(), 60);
}

#[test]
fn disabled_child_and_manual_jobs_produce_nothing() {
    let disabled = Job {
        disabled: true,
        ..job("j")
    };
    let child = Job {
        parent_job: "parent".to_string(),
        ..job("j")
    };
    let every = Every(TimeDelta::seconds(1));
    for quiet in [&disabled, &child] {
        let plan = plan_job(
            quiet,
            &every,
            Some(at(12, 0, 0)),
            at(13, 0, 0),
            &PlanRules::default(),
        );
        assert!(plan.decisions.is_empty());
        assert_eq!(plan.cursor, at(12, 0, 0));
        assert_eq!(plan.next, None);
    }
    let manual = plan_job(
        &job("j"),
        &Manually,
        None,
        at(13, 0, 0),
        &PlanRules::default(),
    );
    assert!(manual.decisions.is_empty());
    assert_eq!(manual.cursor, at(13, 0, 0));
}

#[test]
fn starts_at_and_expires_at_bound_the_occurrences() {
    let bounded = Job {
        starts_at: Some(at(12, 0, 30)),
        expires_at: Some(at(12, 2, 0)),
        ..job("j")
    };
    let plan = plan_job(
        &bounded,
        &Every(TimeDelta::minutes(1)),
        Some(at(11, 0, 0)),
        at(12, 5, 0),
        &rules(MisfirePolicy::RunAll),
    );
    let nominals: Vec<_> = plan.decisions.iter().map(Decision::last_nominal).collect();
    // The first search starts just before `starts_at`; the second occurrence is past expiry.
    assert_eq!(nominals, vec![at(12, 1, 29)]);
    assert_eq!(plan.next, None);
    let before_start = plan_job(
        &bounded,
        &Every(TimeDelta::minutes(1)),
        Some(at(11, 0, 0)),
        at(11, 30, 0),
        &rules(MisfirePolicy::RunAll),
    );
    assert!(before_start.decisions.is_empty());
    assert_eq!(before_start.next, Some(at(12, 1, 29)));
}

#[test]
fn past_at_runs_once_as_catch_up_inside_the_window() {
    let plan = plan_job(
        &job("j"),
        &At(at(12, 0, 0)),
        Some(at(11, 0, 0)),
        at(12, 30, 0),
        &rules(MisfirePolicy::RunOnce),
    );
    assert_eq!(plan.decisions, vec![launch(at(12, 0, 0), Trigger::CatchUp)]);
    assert_eq!(plan.next, None);
}

#[test]
fn past_at_outside_the_window_is_a_recorded_misfire() {
    let plan = plan_job(
        &job("j"),
        &At(at(12, 0, 0)),
        Some(at(11, 0, 0)),
        at(14, 0, 0),
        &rules(MisfirePolicy::RunOnce),
    );
    assert_eq!(plan.decisions, vec![misfire(at(12, 0, 0))]);
}

#[test]
fn at_before_the_cursor_is_nothing() {
    // A job created after its `@at` instant: the cursor (creation time) is past it.
    let plan = plan_job(
        &job("j"),
        &At(at(12, 0, 0)),
        Some(at(12, 0, 1)),
        at(12, 0, 2),
        &PlanRules::default(),
    );
    assert!(plan.decisions.is_empty());
    assert_eq!(plan.next, None);
}

#[test]
fn a_schedule_that_does_not_move_forward_ends() {
    let plan = plan_job(
        &job("j"),
        &Stuck(at(12, 0, 0)),
        Some(at(11, 0, 0)),
        at(13, 0, 0),
        &PlanRules::default(),
    );
    assert_eq!(plan.decisions.len(), 1);
    assert_eq!(plan.next, None);
}

#[test]
fn truncated_plans_continue_from_their_cursor() {
    let rules = PlanRules {
        max_occurrences: 1000,
        ..rules(MisfirePolicy::RunOnce)
    };
    let every = Every(TimeDelta::seconds(1));
    let now = at(13, 0, 0);
    let mut cursor = Some(at(12, 0, 0));
    let mut chunks = Vec::new();
    loop {
        let plan = plan_job(&job("j"), &every, cursor, now, &rules);
        cursor = Some(plan.cursor);
        chunks.push(plan.decisions);
        if !plan.truncated {
            break;
        }
        assert!(plan.next.is_some_and(|next| next <= now));
    }
    assert_eq!(chunks.len(), 4);
    assert_eq!(
        chunks[0].len(),
        1,
        "a truncated chunk of skips is one range"
    );
    let all: Vec<Decision> = chunks.into_iter().flatten().collect();
    let covered: u64 = all.iter().map(Decision::occurrence_count).sum();
    assert_eq!(covered, 3600);
    let catch_ups = all
        .iter()
        .filter(|decision| {
            matches!(
                decision,
                Decision::Launch {
                    trigger: Trigger::CatchUp,
                    ..
                }
            )
        })
        .count();
    assert_eq!(catch_ups, 1);
}

#[test]
fn no_cursor_starts_from_now() {
    let now = at(12, 0, 0) + TimeDelta::milliseconds(500);
    let plan = plan_job(
        &job("j"),
        &Every(TimeDelta::seconds(10)),
        None,
        now,
        &PlanRules::default(),
    );
    assert!(plan.decisions.is_empty());
    assert_eq!(plan.cursor, now);
    assert_eq!(plan.next, Some(at(12, 0, 10)));
}

// ---------------------------------------------------------------------------------------
// Properties

/// Every occurrence in `(cursor, horizon]`, by brute force.
fn expected_occurrences(
    job: &Job,
    schedule: &impl NominalSchedule,
    cursor: DateTime<Utc>,
    horizon: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let mut all = Vec::new();
    let mut after = cursor;
    while let Some(nominal) = next_occurrence(job, schedule, after) {
        if nominal > horizon {
            break;
        }
        all.push(nominal);
        after = nominal;
    }
    all
}

/// Plans until the plan is no longer truncated, as the scheduler loop does.
fn plan_fully(
    job: &Job,
    schedule: &impl NominalSchedule,
    cursor: DateTime<Utc>,
    now: DateTime<Utc>,
    rules: &PlanRules,
) -> (Vec<Decision>, DateTime<Utc>, usize) {
    let mut decisions = Vec::new();
    let mut cursor = cursor;
    let mut calls = 0;
    loop {
        calls += 1;
        let plan = plan_job(job, schedule, Some(cursor), now, rules);
        assert!(plan.cursor >= cursor, "the cursor never moves back");
        if let Some(last) = plan.decisions.last() {
            assert_eq!(plan.cursor, last.last_nominal());
        }
        cursor = plan.cursor;
        decisions.extend(plan.decisions);
        if !plan.truncated {
            return (decisions, cursor, calls);
        }
    }
}

/// Checks that the decisions cover `expected` exactly once, in order.
fn assert_exact_cover(decisions: &[Decision], expected: &[DateTime<Utc>]) {
    let mut position = 0_usize;
    for decision in decisions {
        let count = usize::try_from(decision.occurrence_count()).expect("fits");
        assert!(count >= 1);
        assert_eq!(
            Some(&decision.first_nominal()),
            expected.get(position),
            "{decision:?}"
        );
        position += count;
        assert_eq!(
            Some(&decision.last_nominal()),
            expected.get(position - 1),
            "{decision:?}"
        );
    }
    assert_eq!(
        position,
        expected.len(),
        "every occurrence decided exactly once"
    );
}

fn any_policy() -> impl Strategy<Value = MisfirePolicy> {
    prop_oneof![
        Just(MisfirePolicy::Skip),
        Just(MisfirePolicy::RunOnce),
        Just(MisfirePolicy::RunAll),
    ]
}

fn any_rules() -> impl Strategy<Value = PlanRules> {
    (
        any_policy(),
        0_i64..7200,
        0_i64..5000,
        0_i64..1000,
        0_usize..30,
        1_usize..400,
    )
        .prop_map(
            |(policy, window_secs, grace_ms, lead_ms, individual, cap)| PlanRules {
                misfire_policy: policy,
                catch_up_window: TimeDelta::seconds(window_secs),
                on_time_grace: TimeDelta::milliseconds(grace_ms),
                launch_lead: TimeDelta::milliseconds(lead_ms),
                max_individual_skips: individual,
                max_occurrences: cap,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_occurrence_is_decided_exactly_once_and_in_order(
        rules in any_rules(),
        period_secs in 1_i64..600,
        cursor_ms in 0_i64..10_000,
        elapsed_ms in 0_i64..20_000_000,
        starts_offset in proptest::option::of(-3600_i64..20_000),
        expires_offset in proptest::option::of(0_i64..30_000),
    ) {
        let cursor = at(0, 0, 0) + TimeDelta::milliseconds(cursor_ms);
        let now = cursor + TimeDelta::milliseconds(elapsed_ms);
        let job = Job {
            starts_at: starts_offset.map(|offset| cursor + TimeDelta::seconds(offset)),
            expires_at: expires_offset.map(|offset| cursor + TimeDelta::seconds(offset)),
            ..job("j")
        };
        let every = Every(TimeDelta::seconds(period_secs));
        let (decisions, final_cursor, _) = plan_fully(&job, &every, cursor, now, &rules);
        let expected = expected_occurrences(&job, &every, cursor, now + rules.launch_lead);
        assert_exact_cover(&decisions, &expected);
        for pair in decisions.windows(2) {
            prop_assert!(pair[0].last_nominal() < pair[1].first_nominal());
        }
        prop_assert_eq!(final_cursor, expected.last().copied().unwrap_or(cursor));

        let on_time_start = now - rules.on_time_grace;
        let window_start = now - rules.catch_up_window;
        let mut catch_ups = 0;
        for decision in &decisions {
            match decision {
                Decision::Launch { nominal, trigger: Trigger::Schedule, .. } => {
                    prop_assert!(*nominal >= on_time_start);
                }
                Decision::Launch { nominal, trigger: Trigger::CatchUp, .. } => {
                    catch_ups += 1;
                    prop_assert!(*nominal < on_time_start && *nominal >= window_start);
                    prop_assert!(rules.misfire_policy != MisfirePolicy::Skip);
                }
                Decision::Launch { trigger, .. } => prop_assert!(false, "trigger {trigger}"),
                Decision::Skip { nominal, reason, .. } => {
                    prop_assert!(*nominal < on_time_start);
                    prop_assert_eq!(reason, &SkipReason::Misfire);
                }
                Decision::SkipRange { last, .. } => prop_assert!(*last < on_time_start),
            }
        }
        if rules.misfire_policy == MisfirePolicy::RunOnce {
            prop_assert!(catch_ups <= 1, "run_once launches at most one catch-up");
            let missed_in_window = expected
                .iter()
                .any(|nominal| *nominal < on_time_start && *nominal >= window_start);
            prop_assert_eq!(catch_ups == 1, missed_in_window);
        }
    }

    #[test]
    fn resuming_after_a_partial_commit_gives_the_same_remaining_decisions(
        rules in any_rules(),
        period_secs in 1_i64..120,
        elapsed_secs in 0_i64..20_000,
        cut_seed in any::<usize>(),
    ) {
        let rules = PlanRules { max_occurrences: usize::MAX, ..rules };
        let cursor = at(0, 0, 0);
        let now = cursor + TimeDelta::seconds(elapsed_secs);
        let every = Every(TimeDelta::seconds(period_secs));
        let whole = plan_job(&job("j"), &every, Some(cursor), now, &rules);
        prop_assume!(!whole.decisions.is_empty());
        // The backend committed the first `cut` decisions, then the leader crashed.
        let cut = cut_seed % (whole.decisions.len() + 1);
        let resumed_cursor = match cut {
            0 => cursor,
            _ => whole.decisions[cut - 1].last_nominal(),
        };
        let resumed = plan_job(&job("j"), &every, Some(resumed_cursor), now, &rules);
        prop_assert_eq!(&resumed.decisions[..], &whole.decisions[cut..]);
        prop_assert_eq!(resumed.cursor, whole.cursor);
        prop_assert_eq!(resumed.next, whole.next);
    }

    #[test]
    fn two_calls_at_increasing_times_cover_each_occurrence_once(
        rules in any_rules(),
        period_secs in 1_i64..300,
        first_ms in 0_i64..5_000_000,
        second_ms in 0_i64..5_000_000,
    ) {
        let cursor = at(0, 0, 0);
        let first_now = cursor + TimeDelta::milliseconds(first_ms);
        let second_now = first_now + TimeDelta::milliseconds(second_ms);
        let every = Every(TimeDelta::seconds(period_secs));
        let (mut decisions, middle_cursor, _) =
            plan_fully(&job("j"), &every, cursor, first_now, &rules);
        let (later, _, _) = plan_fully(&job("j"), &every, middle_cursor, second_now, &rules);
        decisions.extend(later);
        let expected = expected_occurrences(&job("j"), &every, cursor, second_now + rules.launch_lead);
        assert_exact_cover(&decisions, &expected);
        if rules.misfire_policy == MisfirePolicy::Skip && rules.on_time_grace.is_zero() {
            // With nothing on time but the present, the split changes no launch decision.
            let (single, _, _) = plan_fully(&job("j"), &every, cursor, second_now, &rules);
            let launched = |list: &[Decision]| -> Vec<DateTime<Utc>> {
                list.iter().filter(|d| d.is_launch()).map(Decision::last_nominal).collect()
            };
            let split_launches = launched(&decisions);
            let single_launches = launched(&single);
            prop_assert!(single_launches.iter().all(|nominal| split_launches.contains(nominal)));
        }
    }
}
