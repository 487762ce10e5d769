//! Tests of the pure planner, with small hand-made schedules (see `nominal_test.rs` for the
//! real schedule language).

use super::test_support::{At, Every, Manually, Stuck, at, job};
use super::*;
use dkron_model::Job;

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
    // `@every` counts from `starts_at`; 12:02:30 is past `expires_at`.
    let nominals: Vec<_> = plan.decisions.iter().map(Decision::last_nominal).collect();
    assert_eq!(nominals, vec![at(12, 0, 30), at(12, 1, 30)]);
    assert_eq!(plan.next, None);
    let before_start = plan_job(
        &bounded,
        &Every(TimeDelta::minutes(1)),
        Some(at(11, 0, 0)),
        at(11, 30, 0),
        &rules(MisfirePolicy::RunAll),
    );
    assert!(before_start.decisions.is_empty());
    assert_eq!(before_start.next, Some(at(12, 0, 30)));
}

#[test]
fn the_first_occurrence_after_starts_at() {
    let starting = |starts_at| Job {
        starts_at: Some(starts_at),
        ..job("j")
    };
    let every = Every(TimeDelta::seconds(10));
    let half_past = at(12, 0, 30) + TimeDelta::milliseconds(500);
    // On a whole second `@every` fires at `starts_at`; otherwise at the next whole second
    // of its rhythm.
    assert_eq!(
        next_occurrence(&starting(at(12, 0, 30)), &every, at(11, 0, 0)),
        Some(at(12, 0, 30))
    );
    assert_eq!(
        next_occurrence(&starting(half_past), &every, at(11, 0, 0)),
        Some(at(12, 0, 40))
    );
    let real_every =
        dkron_model::Schedule::parse("@every 10s", "j", "UTC", chrono_tz::UTC).expect("valid");
    assert_eq!(
        next_occurrence(&starting(at(12, 0, 30)), &real_every, at(11, 0, 0)),
        Some(at(12, 0, 30))
    );
    // A calendar schedule may fire exactly at `starts_at`.
    let hourly = parsed_hourly();
    assert_eq!(
        next_occurrence(&starting(at(13, 0, 0)), &hourly, at(11, 0, 0)),
        Some(at(13, 0, 0))
    );
    assert_eq!(
        next_occurrence(&starting(at(13, 0, 1)), &hourly, at(11, 0, 0)),
        Some(at(14, 0, 0))
    );
    // Once past `starts_at`, the cursor alone decides.
    assert_eq!(
        next_occurrence(&starting(at(12, 0, 30)), &every, at(12, 0, 35)),
        Some(at(12, 0, 45))
    );
}

fn parsed_hourly() -> dkron_model::Schedule {
    dkron_model::Schedule::parse("0 0 * * * *", "j", "UTC", chrono_tz::UTC).expect("valid")
}

/// dkron#460: an `@at` time that passed while no leader ran must not vanish silently.
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

fn overloaded(nominal: DateTime<Utc>, behind_ms: u64) -> Decision {
    Decision::Skip {
        job: "j".to_string(),
        nominal,
        trigger: Trigger::Schedule,
        reason: SkipReason::Overloaded { behind_ms },
    }
}

#[test]
fn a_scheduler_that_fell_behind_says_so_and_by_how_much() {
    let rules = PlanRules {
        overload_since: at(11, 0, 0),
        ..rules(MisfirePolicy::RunOnce)
    };
    let plan = plan_job(
        &job("j"),
        &Every(TimeDelta::seconds(10)),
        Some(at(12, 0, 0)),
        at(12, 0, 35),
        &rules,
    );
    assert_eq!(
        plan.decisions,
        vec![
            overloaded(at(12, 0, 10), 25_000),
            overloaded(at(12, 0, 20), 15_000),
            launch(at(12, 0, 30), Trigger::CatchUp),
        ]
    );
    assert_eq!(
        SkipReason::Overloaded { behind_ms: 4_250 }.to_string(),
        "overloaded: the scheduler was 4.2 s behind"
    );
}

#[test]
fn only_occurrences_due_before_the_scheduler_started_are_outage_misfires() {
    let rules = PlanRules {
        overload_since: at(12, 0, 15),
        ..rules(MisfirePolicy::Skip)
    };
    let plan = plan_job(
        &job("j"),
        &Every(TimeDelta::seconds(10)),
        Some(at(12, 0, 0)),
        at(12, 0, 35),
        &rules,
    );
    assert_eq!(
        plan.decisions,
        vec![
            misfire(at(12, 0, 10)),
            overloaded(at(12, 0, 20), 15_000),
            overloaded(at(12, 0, 30), 5_000),
        ]
    );
}

#[test]
fn folded_skips_keep_an_outage_range_apart_from_an_overload_range() {
    let rules = PlanRules {
        overload_since: at(12, 0, 50),
        max_individual_skips: 1,
        ..rules(MisfirePolicy::Skip)
    };
    let plan = plan_job(
        &job("j"),
        &Every(TimeDelta::seconds(10)),
        Some(at(12, 0, 0)),
        at(12, 1, 32),
        &rules,
    );
    let reasons: Vec<(u64, String)> = plan
        .decisions
        .iter()
        .map(|decision| match decision {
            Decision::SkipRange { count, reason, .. } => (*count, reason.to_string()),
            Decision::Skip { reason, .. } => (1, reason.to_string()),
            Decision::Launch { .. } => (0, "launch".to_string()),
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            (
                4,
                "misfire: missed while no scheduler was running".to_string()
            ),
            (3, "overloaded: the scheduler was 22.0 s behind".to_string()),
            (1, "overloaded: the scheduler was 12.0 s behind".to_string()),
            // Due 2 s ago: still inside the on-time grace.
            (0, "launch".to_string()),
        ]
    );
}

#[test]
fn next_after_now_keeps_the_cursors_rhythm_whatever_the_time_of_asking() {
    let hourly_every =
        dkron_model::Schedule::parse("@every 1h", "j", "UTC", chrono_tz::UTC).expect("valid");
    let cursor = at(12, 0, 7);
    for now in [
        at(12, 0, 7) + TimeDelta::milliseconds(100),
        at(12, 0, 8) + TimeDelta::milliseconds(900),
        at(13, 0, 6) + TimeDelta::milliseconds(999),
    ] {
        assert_eq!(
            next_after_now(&job("j"), &hourly_every, cursor, now),
            Some(at(13, 0, 7)),
            "asked at {now}"
        );
    }
    // Behind (no leader for hours): the next time of the same rhythm after now.
    assert_eq!(
        next_after_now(&job("j"), &hourly_every, cursor, at(16, 30, 0)),
        Some(at(17, 0, 7))
    );
    // Exactly on a time of the rhythm: that one has come, the next is an interval later.
    assert_eq!(
        next_after_now(&job("j"), &hourly_every, cursor, at(14, 0, 7)),
        Some(at(15, 0, 7))
    );
}

#[test]
fn next_after_now_is_the_schedulers_next_around_starts_and_expiry() {
    let every = Every(TimeDelta::seconds(10));
    let starting = Job {
        starts_at: Some(at(12, 0, 30)),
        ..job("j")
    };
    // Before `starts_at`, an interval counts from it, as the scheduler fires it.
    assert_eq!(
        next_after_now(&starting, &every, at(11, 0, 0), at(11, 0, 1)),
        next_occurrence(&starting, &every, at(11, 0, 0))
    );
    assert_eq!(
        next_after_now(&starting, &every, at(11, 0, 0), at(11, 0, 1)),
        Some(at(12, 0, 30))
    );
    let expiring = Job {
        expires_at: Some(at(12, 0, 25)),
        ..job("j")
    };
    assert_eq!(
        next_after_now(&expiring, &every, at(12, 0, 0), at(12, 0, 21)),
        None,
        "the next time after now lies past expiry"
    );
    // A calendar schedule behind its cursor resumes at the next time after now.
    let hourly = parsed_hourly();
    assert_eq!(
        next_after_now(&job("j"), &hourly, at(9, 0, 0), at(12, 30, 0)),
        Some(at(13, 0, 0))
    );
}
