//! Properties of the planner: every occurrence decided exactly once, in order, resumable.

use chrono::TimeZone;
use proptest::prelude::*;

use super::test_support::{Every, at, job};
use super::*;
use dkron_model::Job;

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
        proptest::option::of(0_i64..20_000),
    )
        .prop_map(
            |(policy, window_secs, grace_ms, lead_ms, individual, cap, overload_after)| PlanRules {
                misfire_policy: policy,
                catch_up_window: TimeDelta::seconds(window_secs),
                on_time_grace: TimeDelta::milliseconds(grace_ms),
                launch_lead: TimeDelta::milliseconds(lead_ms),
                max_individual_skips: individual,
                max_occurrences: cap,
                overload_since: overload_after.map_or(DateTime::<Utc>::MAX_UTC, |secs| {
                    at(0, 0, 0) + TimeDelta::seconds(secs)
                }),
            },
        )
}

/// The reason a skip of `nominal` must carry: missed in an outage before the scheduler
/// started, or reached late by a scheduler that was behind.
fn expected_reason(rules: &PlanRules, nominal: DateTime<Utc>, now: DateTime<Utc>) -> SkipReason {
    if nominal < rules.overload_since {
        SkipReason::Misfire
    } else {
        SkipReason::Overloaded {
            behind_ms: (now - nominal).num_milliseconds() as u64,
        }
    }
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
                    prop_assert_eq!(reason, &expected_reason(&rules, *nominal, now));
                }
                Decision::SkipRange { first, last, reason, .. } => {
                    prop_assert!(*last < on_time_start);
                    prop_assert_eq!(reason, &expected_reason(&rules, *last, now));
                    // One range never mixes an outage with an overload.
                    let first_reason = expected_reason(&rules, *first, now);
                    prop_assert_eq!(
                        std::mem::discriminant(reason),
                        std::mem::discriminant(&first_reason)
                    );
                }
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

// ---------------------------------------------------------------------------------------
// The real schedule language

fn parsed(spec: &str, timezone: &str) -> dkron_model::Schedule {
    dkron_model::Schedule::parse(spec, "j", timezone, chrono_tz::UTC).expect("valid spec")
}

#[test]
fn a_cron_schedule_across_a_dst_change_is_decided_exactly_once() {
    // Berlin springs forward on 29 March 2026 at 01:00 UTC (02:00 local becomes 03:00).
    let schedule = parsed("0 */30 * * * *", "Europe/Berlin");
    let cursor = Utc
        .with_ymd_and_hms(2026, 3, 28, 22, 0, 0)
        .single()
        .expect("valid");
    let now = cursor + TimeDelta::hours(6);
    let rules = PlanRules::default();
    let (decisions, _, _) = plan_fully(&job("j"), &schedule, cursor, now, &rules);
    let expected: Vec<_> = schedule
        .fire_times(cursor, now + rules.launch_lead, usize::MAX)
        .collect();
    assert_eq!(expected.len(), 12, "six hours of half-hours");
    assert_exact_cover(&decisions, &expected);
}

fn any_spec() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("@every 7s"),
        Just("@every 1m30s"),
        Just("*/13 * * * * *"),
        Just("0 0 * * * *"),
        Just("0 30 2 * * *"),
        Just("@daily"),
        Just("~ ~ * * * *"),
        Just("@at 2026-01-02T03:04:05Z"),
    ]
}

fn any_zone() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("UTC"), Just("Europe/Berlin"), Just("America/New_York")]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    #[test]
    fn real_schedules_are_decided_exactly_once(
        spec in any_spec(),
        zone in any_zone(),
        rules in any_rules(),
        cursor_secs in 0_i64..(400 * 86_400),
        elapsed_secs in 0_i64..(3 * 86_400),
    ) {
        let schedule = parsed(spec, zone);
        let cursor = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("valid")
            + TimeDelta::seconds(cursor_secs);
        let now = cursor + TimeDelta::seconds(elapsed_secs);
        let (decisions, _, _) = plan_fully(&job("j"), &schedule, cursor, now, &rules);
        let expected: Vec<_> = schedule
            .fire_times(cursor, now + rules.launch_lead, usize::MAX)
            .collect();
        assert_exact_cover(&decisions, &expected);
    }
}
