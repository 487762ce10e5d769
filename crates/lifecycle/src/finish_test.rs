//! Finish rules: retries, the ledger's final state, status and counters, the queue,
//! chaining and ephemeral jobs.

use dkron_model::{
    CONCURRENCY_ALLOW, CONCURRENCY_QUEUE, OccurrenceState, STATUS_FAILED, STATUS_SUCCESS, Trigger,
};

use crate::test_support::{Book, at, intent, job};
use crate::{LaunchOutcome, Refusal};

const SCHEDULE: Trigger = Trigger::Schedule;

/// The question a newcomer asks: a run fails with two retries left and a queued occurrence
/// behind it. The failed attempt is replaced by the next on the same node; the queued
/// occurrence keeps waiting, since a retry is still a run of the job; nobody is notified
/// yet; the job's counters see the failure.
#[test]
fn a_run_failing_with_two_retries_left_and_a_queued_occurrence_behind_it() {
    let mut book = Book::new(job("j", CONCURRENCY_QUEUE, 2));
    book.launch(intent(at(0), SCHEDULE, &["n1"])).unwrap();
    assert_eq!(
        book.launch(intent(at(1), SCHEDULE, &["n1"])),
        Ok(LaunchOutcome::Queued)
    );
    let first = book.active.first().unwrap().clone();
    book.start(&first, 1).unwrap();
    let notices_before = book.notices;

    let finish = book.finish(book.report_for(&first, false), None).unwrap();

    let retry = finish.retry.expect("attempt 1 of 3 failed: retried");
    assert_eq!((retry.attempt, retry.run.node_name.as_str()), (2, "n1"));
    assert!(
        finish.released.is_none(),
        "the queued occurrence waits for the retry"
    );
    assert!(!finish.notice, "a retried attempt is not final: no notice");
    assert_eq!(book.notices, notices_before);
    assert_eq!(book.job.active_runs, 1, "the retry is the active run");
    assert_eq!(book.job.pending_runs.len(), 1, "the retry waits to be sent");
    assert_eq!(book.job.job.error_count, 1);
    assert_eq!(book.job.job.status, STATUS_FAILED);
    let entry = &book.ledger[&at(0)];
    assert_eq!(entry.state, OccurrenceState::Launched);
    assert_eq!(
        entry.runs[0].attempt, 2,
        "the ledger names the attempt awaited"
    );
    assert!(book.job.queued.is_some());

    // The second attempt succeeds: the occurrence succeeds, the job is a success, and the
    // queued occurrence starts.
    let second = book.active.first().unwrap().clone();
    let finish = book.finish(book.report_for(&second, true), None).unwrap();
    assert!(finish.retry.is_none());
    assert!(finish.notice);
    assert_eq!(book.ledger[&at(0)].state, OccurrenceState::Succeeded);
    assert_eq!(
        book.job.job.status, STATUS_SUCCESS,
        "a success on a retry makes the job success"
    );
    let released = finish
        .released
        .expect("nothing runs any more: the queued one starts");
    assert_eq!(released.nominal, at(1));
    assert_eq!(book.job.active_runs, 1);
    assert!(book.job.queued.is_none());
}

#[test]
fn the_last_attempt_failing_ends_the_occurrence_failed() {
    let mut book = Book::new(job("j", CONCURRENCY_ALLOW, 1));
    book.launch(intent(at(0), SCHEDULE, &["n1"])).unwrap();
    for attempt in 1..=2 {
        let run = book.active.first().unwrap().clone();
        assert_eq!(book.attempt_of(&run), attempt);
        let finish = book.finish(book.report_for(&run, false), None).unwrap();
        assert_eq!(finish.retry.is_some(), attempt == 1, "attempt {attempt}");
    }
    assert_eq!(book.ledger[&at(0)].state, OccurrenceState::Failed);
    assert!(book.active.is_empty());
    assert_eq!(book.job.active_runs, 0);
    assert_eq!(
        book.job.job.error_count, 2,
        "Dkron counts every failed attempt"
    );
    assert_eq!(book.notices, 1, "notified once, after the last attempt");
}

#[test]
fn a_run_stopped_on_purpose_or_lost_is_never_retried() {
    for lost in [false, true] {
        let mut book = Book::new(job("j", CONCURRENCY_ALLOW, 5));
        book.launch(intent(at(0), SCHEDULE, &["n1"])).unwrap();
        let run = book.active.first().unwrap().clone();
        let finish = if lost {
            book.lose(&run, at(1))
        } else {
            let mut killed = book.report_for(&run, false);
            killed.killed = true;
            killed.no_retry = true;
            book.finish(killed, None).unwrap()
        };
        assert!(finish.retry.is_none(), "lost: {lost}");
        let expected = if lost {
            OccurrenceState::Lost
        } else {
            OccurrenceState::Failed
        };
        assert_eq!(book.ledger[&at(0)].state, expected);
    }
}

#[test]
fn an_occurrence_closes_when_its_last_run_reports() {
    let mut book = Book::new(job("j", CONCURRENCY_ALLOW, 0));
    book.launch(intent(at(0), SCHEDULE, &["n1", "n2"])).unwrap();
    let runs: Vec<_> = book.active.iter().cloned().collect();
    book.finish(book.report_for(&runs[0], true), None).unwrap();
    assert_eq!(
        book.ledger[&at(0)].state,
        OccurrenceState::Launched,
        "one run still out"
    );
    let finish = book.finish(book.report_for(&runs[1], false), None).unwrap();
    assert_eq!(book.ledger[&at(0)].state, OccurrenceState::Failed);
    assert!(
        !finish.triggers_children,
        "a failed occurrence triggers nothing"
    );
    assert_eq!(book.job.job.status, "partially_failed");
}

#[test]
fn a_second_final_report_is_refused() {
    let mut book = Book::new(job("j", CONCURRENCY_ALLOW, 0));
    book.launch(intent(at(0), SCHEDULE, &["n1"])).unwrap();
    let run = book.active.first().unwrap().clone();
    let report = book.report_for(&run, true);
    book.finish(report.clone(), None).unwrap();
    let counts = (book.job.job.success_count, book.job.execution_count);
    assert_eq!(
        book.finish(report, None).err(),
        Some(Refusal::AlreadyFinished(run.execution_id.clone()))
    );
    assert_eq!(
        (book.job.job.success_count, book.job.execution_count),
        counts
    );
}

#[test]
fn a_success_triggers_children_and_deletes_an_ephemeral_job() {
    let mut parent = job("p", CONCURRENCY_ALLOW, 0);
    parent.ephemeral = true;
    parent.dependent_jobs = Some(vec!["c".into()]);
    let mut book = Book::new(parent);
    book.launch(intent(at(0), SCHEDULE, &["n1"])).unwrap();
    let run = book.active.first().unwrap().clone();
    let finish = book.finish(book.report_for(&run, true), None).unwrap();
    assert!(finish.triggers_children);
    assert!(finish.delete_job);
}

#[test]
fn an_ephemeral_job_with_runs_left_is_kept() {
    let mut ephemeral = job("e", CONCURRENCY_ALLOW, 0);
    ephemeral.ephemeral = true;
    let mut book = Book::new(ephemeral);
    book.launch(intent(at(0), SCHEDULE, &["n1"])).unwrap();
    book.launch(intent(at(1), SCHEDULE, &["n1"])).unwrap();
    let first = book.active.first().unwrap().clone();
    let finish = book.finish(book.report_for(&first, true), None).unwrap();
    assert!(finish.triggers_children, "its occurrence succeeded");
    assert!(!finish.delete_job, "another run is still active");
}

#[test]
fn a_child_runs_once_all_its_parents_succeeded() {
    let mut child = crate::test_support::stored(job("c", CONCURRENCY_ALLOW, 0));
    child.job.parent_jobs = vec!["a".into(), "b".into()];
    assert!(!crate::parent_succeeded(&mut child, "a", at(1)));
    assert!(
        !crate::parent_succeeded(&mut child, "a", at(2)),
        "the same parent twice is once"
    );
    assert!(crate::parent_succeeded(&mut child, "b", at(3)));
    assert_eq!(child.pending_triggers, vec![at(3)]);
    assert!(child.parents_done.is_empty(), "the set starts over");
}

#[test]
fn a_lost_retry_keeps_its_attempt_and_is_no_longer_pending() {
    let mut book = Book::new(job("j", CONCURRENCY_ALLOW, 3));
    book.launch(intent(at(0), SCHEDULE, &["n1"])).unwrap();
    let run = book.active.first().unwrap().clone();
    book.finish(book.report_for(&run, false), None).unwrap();
    let retry = book.active.first().unwrap().clone();
    let finish = book.lose(&retry, at(5));
    assert_eq!(finish.record.execution.attempt, 2);
    assert!(book.job.pending_runs.is_empty());
    assert_eq!(book.ledger[&at(0)].state, OccurrenceState::Lost);
}

#[test]
fn only_the_runs_of_the_previous_process_are_lost_when_a_node_restarts() {
    assert!(crate::is_lost(None, None), "a dead node loses every run");
    assert!(
        crate::is_lost(Some(at(10)), Some(at(5))),
        "started by the previous process"
    );
    assert!(
        !crate::is_lost(Some(at(10)), Some(at(12))),
        "started by this process"
    );
    assert!(
        !crate::is_lost(Some(at(10)), None),
        "not started: may be on its way"
    );
}
