//! Properties of the lifecycle over random histories of one job: launches, starts, results
//! and losses in any order, under every concurrency policy.

use dkron_model::{
    CONCURRENCY_ALLOW, CONCURRENCY_FORBID, CONCURRENCY_QUEUE, CONCURRENCY_REPLACE, OccurrenceState,
    Trigger,
};
use proptest::prelude::*;

use crate::test_support::{ActiveRun, Book, at, intent, job};

const NODES: [&str; 3] = ["n1", "n2", "n3"];

#[derive(Debug, Clone)]
enum Event {
    /// A launch intent on this many nodes.
    Launch { nodes: usize, manual: bool },
    /// The start report of the active run at this index (modulo).
    Start(usize),
    /// The final report of the active run at this index.
    Finish {
        run: usize,
        success: bool,
        stopped: bool,
    },
    /// The node of the active run at this index dies.
    Lose(usize),
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (0..=3usize, any::<bool>()).prop_map(|(nodes, manual)| Event::Launch { nodes, manual }),
        any::<usize>().prop_map(Event::Start),
        (any::<usize>(), any::<bool>(), prop::bool::weighted(0.2)).prop_map(
            |(run, success, stopped)| Event::Finish {
                run,
                success,
                stopped
            }
        ),
        any::<usize>().prop_map(Event::Lose),
    ]
}

fn concurrency() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        CONCURRENCY_ALLOW,
        CONCURRENCY_FORBID,
        CONCURRENCY_QUEUE,
        CONCURRENCY_REPLACE,
    ])
}

fn pick(book: &Book, index: usize) -> Option<ActiveRun> {
    let count = book.active.len();
    (count > 0).then(|| book.active.iter().nth(index % count).cloned())?
}

/// Applies one event; checks what must hold of that step alone.
fn apply(book: &mut Book, step: i64, event: &Event) {
    match *event {
        Event::Launch { nodes, manual } => {
            let trigger = if manual {
                Trigger::Manual
            } else {
                Trigger::Schedule
            };
            book.launch(intent(at(step), trigger, &NODES[..nodes]))
                .expect("each step launches a new occurrence");
        }
        Event::Start(index) => {
            if let Some(run) = pick(book, index) {
                let attempt = book.attempt_of(&run);
                book.start(&run, attempt).expect("an active run may start");
            }
        }
        Event::Finish {
            run,
            success,
            stopped,
        } => {
            let Some(run) = pick(book, run) else { return };
            let mut report = book.report_for(&run, success);
            report.killed = stopped;
            report.no_retry = stopped;
            let attempt = report.attempt;
            let finish = book.finish(report, None).expect("the run is active");
            assert!(
                !(stopped && finish.retry.is_some()),
                "a run stopped on purpose is retried"
            );
            assert!(!(success && finish.retry.is_some()), "a success is retried");
            if let Some(retry) = finish.retry {
                assert_eq!(retry.attempt, attempt + 1);
                assert!(
                    retry.attempt <= book.job.job.retries + 1,
                    "more attempts than allowed"
                );
            }
        }
        Event::Lose(index) => {
            if let Some(run) = pick(book, index) {
                let finish = book.lose(&run, at(step));
                assert!(finish.retry.is_none(), "a lost run is retried");
                assert_eq!(book.ledger[&run.nominal].state, OccurrenceState::Lost);
            }
        }
    }
}

/// What must hold after every step.
fn check_invariants(book: &Book) {
    assert_eq!(
        book.job.active_runs as usize,
        book.active.len(),
        "active count drifted"
    );
    for pending in &book.job.pending_runs {
        assert!(
            book.active
                .iter()
                .any(|run| run.execution_id == pending.execution_id),
            "pending run {} is not active",
            pending.execution_id
        );
    }
    let queued = book.job.queued.as_ref().map(|queued| queued.nominal);
    let mut waiting = 0;
    for (nominal, entry) in &book.ledger {
        let awaited = entry.runs.iter().any(|run| run.success.is_none());
        if entry.state == OccurrenceState::Launched {
            assert!(awaited, "{nominal}: every run reported, yet still launched");
            let running = book.active.iter().any(|run| run.nominal == *nominal);
            assert!(
                running || queued == Some(*nominal),
                "{nominal}: open with nothing to close it"
            );
            waiting += usize::from(!running);
        }
    }
    assert!(
        waiting <= 1,
        "{waiting} occurrences wait: a queue holds at most one"
    );
    if book.job.job.concurrency != CONCURRENCY_QUEUE {
        assert!(queued.is_none());
    }
}

/// Lets every run that is still out succeed (retries and released occurrences included).
fn drain(book: &mut Book) {
    for _ in 0..1_000 {
        let Some(run) = book.active.first().cloned() else {
            return;
        };
        let report = book.report_for(&run, true);
        book.finish(report, None).expect("the run is active");
    }
    panic!("runs kept coming after 1,000 results");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_occurrence_ends_in_exactly_one_final_state(
        concurrency in concurrency(),
        retries in 0..3u32,
        events in prop::collection::vec(event(), 1..60),
    ) {
        let mut book = Book::new(job("j", concurrency, retries));
        for (step, event) in events.iter().enumerate() {
            apply(&mut book, step as i64, event);
            check_invariants(&book);
        }
        drain(&mut book);
        check_invariants(&book);
        prop_assert_eq!(book.job.active_runs, 0);
        prop_assert!(book.job.queued.is_none());
        prop_assert!(book.job.pending_runs.is_empty());
        prop_assert_eq!(book.ledger.len() as u32, book.job.ledger_count);
        for (nominal, entry) in &book.ledger {
            prop_assert!(entry.state.is_final(), "{} is {:?}", nominal, entry.state);
        }
        let executions = book.executions.len() as u32;
        prop_assert_eq!(executions, book.job.execution_count, "one count per record");
    }
}
