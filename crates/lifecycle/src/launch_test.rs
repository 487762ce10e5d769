//! Launch and skip rules, as tables of cases.

use dkron_model::{
    CONCURRENCY_ALLOW, CONCURRENCY_FORBID, CONCURRENCY_QUEUE, CONCURRENCY_REPLACE, OccurrenceState,
    SkipReason, Trigger,
};

use crate::test_support::{Book, at, intent, job, stored};
use crate::{LaunchOutcome, Refusal, SkippedRange};

/// One launch intent against a job in a given state, and what it must come to.
struct Case {
    name: &'static str,
    concurrency: &'static str,
    busy: bool,
    queued: bool,
    paused: bool,
    disabled: bool,
    trigger: Trigger,
    nodes: &'static [&'static str],
    expected: Expected,
}

#[derive(Debug, PartialEq)]
enum Expected {
    Skip(SkipReason),
    Queue,
    Start { replaces_active: bool },
}

const BASE: Case = Case {
    name: "",
    concurrency: CONCURRENCY_ALLOW,
    busy: false,
    queued: false,
    paused: false,
    disabled: false,
    trigger: Trigger::Schedule,
    nodes: &["n1"],
    expected: Expected::Start {
        replaces_active: false,
    },
};

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    use Expected::*;
    vec![
        Case { name: "allow runs beside an active run", busy: true, ..BASE },
        Case { name: "forbid skips while a run is active", concurrency: CONCURRENCY_FORBID, busy: true, expected: Skip(SkipReason::Overlap), ..BASE },
        Case { name: "forbid runs when nothing is active", concurrency: CONCURRENCY_FORBID, ..BASE },
        Case { name: "queue waits while a run is active", concurrency: CONCURRENCY_QUEUE, busy: true, expected: Queue, ..BASE },
        Case { name: "queue holds at most one", concurrency: CONCURRENCY_QUEUE, busy: true, queued: true, expected: Skip(SkipReason::Overlap), ..BASE },
        Case { name: "queue runs at once when nothing is active", concurrency: CONCURRENCY_QUEUE, ..BASE },
        Case { name: "replace stops what is active", concurrency: CONCURRENCY_REPLACE, busy: true, expected: Start { replaces_active: true }, ..BASE },
        Case { name: "replace with nothing active replaces nothing", concurrency: CONCURRENCY_REPLACE, ..BASE },
        Case { name: "no target is a skip", nodes: &[], expected: Skip(SkipReason::NoTarget), ..BASE },
        Case { name: "a pause skips the schedule", paused: true, expected: Skip(SkipReason::Paused), ..BASE },
        Case { name: "a pause skips parent triggers", paused: true, trigger: Trigger::Parent, expected: Skip(SkipReason::Paused), ..BASE },
        Case { name: "a pause lets manual runs through", paused: true, trigger: Trigger::Manual, ..BASE },
        Case { name: "a disabled child of a parent is skipped", disabled: true, trigger: Trigger::Parent, expected: Skip(SkipReason::Disabled), ..BASE },
        Case { name: "the pause is checked before the overlap", paused: true, concurrency: CONCURRENCY_FORBID, busy: true, expected: Skip(SkipReason::Paused), ..BASE },
        Case { name: "no target is checked before the overlap", nodes: &[], concurrency: CONCURRENCY_FORBID, busy: true, expected: Skip(SkipReason::NoTarget), ..BASE },
    ]
}

#[test]
fn every_launch_comes_to_what_the_rules_say() {
    for case in cases() {
        let mut state = stored(job("j", case.concurrency, 0));
        state.job.disabled = case.disabled;
        if case.busy {
            state.active_runs = 1;
        }
        if case.queued {
            state.queued = Some(crate::QueuedLaunch {
                nominal: at(-5),
                runs: Vec::new(),
            });
        }
        let launch = crate::launch(
            &mut state,
            false,
            case.paused,
            intent(at(0), case.trigger, case.nodes),
        )
        .expect("a new occurrence is never refused");
        let got = match launch.outcome {
            LaunchOutcome::Skipped(reason) => Expected::Skip(reason),
            LaunchOutcome::Queued => Expected::Queue,
            LaunchOutcome::Started {
                replaces_active, ..
            } => Expected::Start { replaces_active },
        };
        assert_eq!(got, case.expected, "{}", case.name);
        let expected_state = match case.expected {
            Expected::Skip(_) => OccurrenceState::Skipped,
            _ => OccurrenceState::Launched,
        };
        assert_eq!(launch.entry.state, expected_state, "{}", case.name);
        assert_eq!(
            state.ledger_count, 1,
            "{}: every decision is one ledger entry",
            case.name
        );
    }
}

#[test]
fn an_occurrence_already_recorded_is_refused_and_changes_nothing_but_its_parent_trigger() {
    let mut state = stored(job("j", CONCURRENCY_ALLOW, 0));
    state.pending_triggers = vec![at(0)];
    let before_cursor = state.cursor;
    let refusal = crate::launch(
        &mut state,
        true,
        false,
        intent(at(0), Trigger::Parent, &["n1"]),
    );
    assert_eq!(
        refusal.expect_err("recorded"),
        Refusal::AlreadyRecorded {
            job: "j".into(),
            nominal: at(0)
        }
    );
    assert!(
        state.pending_triggers.is_empty(),
        "the parent trigger is settled"
    );
    assert_eq!(
        (state.cursor, state.ledger_count, state.active_runs),
        (before_cursor, 0, 0)
    );
}

#[test]
fn the_cursor_follows_scheduled_occurrences_only_and_never_goes_back() {
    let mut state = stored(job("j", CONCURRENCY_ALLOW, 0));
    crate::launch(
        &mut state,
        false,
        false,
        intent(at(10), Trigger::Schedule, &["n1"]),
    )
    .unwrap();
    assert_eq!(state.cursor, Some(at(10)));
    crate::launch(
        &mut state,
        false,
        false,
        intent(at(5), Trigger::CatchUp, &["n1"]),
    )
    .unwrap();
    assert_eq!(
        state.cursor,
        Some(at(10)),
        "an older catch-up does not move it back"
    );
    crate::launch(
        &mut state,
        false,
        false,
        intent(at(20), Trigger::Manual, &["n1"]),
    )
    .unwrap();
    assert_eq!(
        state.cursor,
        Some(at(10)),
        "manual runs are not the schedule"
    );
    let range = SkippedRange {
        first: at(11),
        last: at(30),
        count: 20,
    };
    let entry = crate::skip_range(&mut state, false, range, &SkipReason::Misfire, at(31)).unwrap();
    assert_eq!(state.cursor, Some(at(30)));
    assert_eq!(entry.range.map(|range| range.count), Some(20));
    assert!(entry.reason.starts_with("misfire"), "{}", entry.reason);
}

#[test]
fn a_started_occurrence_counts_its_runs_as_active() {
    let mut book = Book::new(job("j", CONCURRENCY_ALLOW, 0));
    book.launch(intent(at(0), Trigger::Schedule, &["n1", "n2", "n3"]))
        .unwrap();
    assert_eq!(book.job.active_runs, 3);
    assert_eq!(book.active.len(), 3);
    assert_eq!(book.ledger[&at(0)].runs.len(), 3);
}

#[test]
fn a_start_report_for_a_run_that_is_not_active_is_refused() {
    let mut book = Book::new(job("j", CONCURRENCY_ALLOW, 0));
    book.launch(intent(at(0), Trigger::Schedule, &["n1"]))
        .unwrap();
    let run = book.active.first().unwrap().clone();
    book.start(&run, 1).unwrap();
    book.start(&run, 1).unwrap();
    assert_eq!(
        book.job.execution_count, 1,
        "a repeated start report counts once"
    );
    assert_eq!(book.notices, 1, "and notifies once");
    let finished = book.report_for(&run, true);
    book.finish(finished, None).unwrap();
    assert_eq!(
        book.start(&run, 1),
        Err(Refusal::NotActive(run.execution_id.clone()))
    );
}
