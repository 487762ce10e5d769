//! Launch intents, results, overlap, retention and lost runs.

use dkron_model::{Job, OccurrenceState, SkipReason, Trigger, gotime};
use dkron_store::{ApplyError, Command, CommandResult, Retention, RunReport};

use super::{apply_one, at, job, launch, open, put, run_started};

fn report(job: &str, nominal: &str, node: &str, success: bool) -> Command {
    Command::RunFinished {
        report: RunReport {
            job: job.into(),
            nominal: at(nominal),
            execution_id: format!("{}-{node}", at(nominal).timestamp_nanos_opt().unwrap()),
            node_name: node.into(),
            attempt: 1,
            started_at: at(nominal),
            finished_at: at(nominal) + chrono::TimeDelta::milliseconds(5),
            success,
            output: "out\n".into(),
            exit_code: Some(if success { 0 } else { 3 }),
            killed: false,
            no_retry: false,
        },
    }
}

#[test]
fn an_occurrence_runs_once_and_is_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, job("a"));
    let nominal = "2026-01-01T00:00:10Z";
    assert!(matches!(
        apply_one(&store, launch("a", nominal, "n1")),
        CommandResult::Launched(_)
    ));
    let again = apply_one(&store, launch("a", nominal, "n1"));
    assert!(
        matches!(again, CommandResult::Failed(ApplyError::Rejected(_))),
        "{again:?}"
    );
    assert_eq!(store.job("a").unwrap().unwrap().cursor, Some(at(nominal)));

    let id = format!("{}-n1", at(nominal).timestamp_nanos_opt().unwrap());
    apply_one(
        &store,
        Command::RunStarted {
            job: "a".into(),
            nominal: at(nominal),
            execution_id: id.clone(),
            node_name: "n1".into(),
            attempt: 1,
            started_at: at(nominal),
        },
    );
    let running = store.execution("a", &id).unwrap().unwrap();
    assert!(running.execution.is_running());

    assert_eq!(
        apply_one(&store, report("a", nominal, "n1", false)),
        CommandResult::Done
    );
    let duplicate = apply_one(&store, report("a", nominal, "n1", true));
    assert!(matches!(
        duplicate,
        CommandResult::Failed(ApplyError::Rejected(_))
    ));

    let stored = store.job("a").unwrap().unwrap();
    assert_eq!((stored.job.success_count, stored.job.error_count), (0, 1));
    assert_eq!(stored.job.status, "failed");
    assert_eq!(stored.active_runs, 0);
    let entry = store.ledger_entry("a", at(nominal)).unwrap().unwrap();
    assert_eq!(entry.state, OccurrenceState::Failed);
    assert_eq!(entry.runs[0].exit_code, Some(3));
    let finished = store.execution("a", &id).unwrap().unwrap();
    assert_eq!(finished.execution.output, "out\n");
    assert_eq!(
        finished.execution.group,
        at(nominal).timestamp_nanos_opt().unwrap()
    );
}

#[test]
fn forbid_skips_while_a_run_is_active_and_no_target_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(
        &store,
        dkron_model::Job {
            concurrency: "forbid".into(),
            ..job("f")
        },
    );
    apply_one(&store, launch("f", "2026-01-01T00:00:10Z", "n1"));
    let second = apply_one(&store, launch("f", "2026-01-01T00:00:20Z", "n1"));
    assert_eq!(second, CommandResult::Skipped(SkipReason::Overlap));
    apply_one(&store, report("f", "2026-01-01T00:00:10Z", "n1", true));
    let third = apply_one(&store, launch("f", "2026-01-01T00:00:30Z", "n1"));
    assert!(matches!(third, CommandResult::Launched(_)));

    let no_target = apply_one(
        &store,
        Command::Launch {
            job: "f".into(),
            nominal: at("2026-01-01T00:00:40Z"),
            trigger: Trigger::Schedule,
            runs: vec![],
            decided_at: at("2026-01-01T00:00:40Z"),
        },
    );
    assert_eq!(no_target, CommandResult::Skipped(SkipReason::NoTarget));
    let states: Vec<_> = store
        .ledger("f", 10)
        .unwrap()
        .iter()
        .map(|e| e.state)
        .collect();
    assert_eq!(
        states,
        [
            OccurrenceState::Skipped,
            OccurrenceState::Launched,
            OccurrenceState::Skipped,
            OccurrenceState::Succeeded
        ]
    );
}

#[test]
fn lost_runs_end_failed_and_late_reports_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, job("a"));
    apply_one(&store, launch("a", "2026-01-01T00:00:10Z", "n1"));
    apply_one(&store, launch("a", "2026-01-01T00:00:20Z", "n2"));
    let lost = apply_one(
        &store,
        Command::LoseRuns {
            node_name: "n1".into(),
            reason: "node restarted".into(),
            at: at("2026-01-01T00:01:00Z"),
            started_before: None,
        },
    );
    assert_eq!(lost, CommandResult::Lost(1));
    let entry = store
        .ledger_entry("a", at("2026-01-01T00:00:10Z"))
        .unwrap()
        .unwrap();
    assert_eq!(entry.state, OccurrenceState::Lost);
    assert_eq!(store.active_runs(None).unwrap().len(), 1);
    let late = apply_one(&store, report("a", "2026-01-01T00:00:10Z", "n1", true));
    assert!(matches!(late, CommandResult::Failed(_)));
    let stored = store.job("a").unwrap().unwrap();
    assert_eq!((stored.job.success_count, stored.job.error_count), (0, 1));
    let executions = store.executions("a").unwrap().unwrap();
    assert!(!executions[0].execution.is_running());
    assert_eq!(executions[0].execution.output, "lost: node restarted");
}

/// A restarted node ends its previous process's runs while its new process already takes
/// runs: only runs the previous process recorded as started are lost. A run without a start
/// record may be on its way to the new process (it was launched before the command was
/// written but reaches the node after), so it is left for the leader to settle.
#[test]
fn a_restarted_node_loses_only_the_runs_its_previous_process_started() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, job("a"));
    let nominals = [
        "2026-01-01T00:00:10Z",
        "2026-01-01T00:00:20Z",
        "2026-01-01T00:00:30Z",
        "2026-01-01T00:00:31Z",
    ];
    for nominal in nominals {
        apply_one(&store, launch("a", nominal, "n1"));
    }
    // The old process started the first run. The new process, started at 00:00:25, started
    // the third. The second and fourth have no start record.
    apply_one(&store, run_started("a", nominals[0], "n1", nominals[0]));
    apply_one(
        &store,
        run_started("a", nominals[2], "n1", "2026-01-01T00:00:30Z"),
    );
    let lost = apply_one(
        &store,
        Command::LoseRuns {
            node_name: "n1".into(),
            reason: "node restarted".into(),
            at: at("2026-01-01T00:00:31Z"),
            started_before: Some(at("2026-01-01T00:00:25Z")),
        },
    );
    assert_eq!(lost, CommandResult::Lost(1));
    let state_of = |nominal: &str| store.ledger_entry("a", at(nominal)).unwrap().unwrap().state;
    let states: Vec<OccurrenceState> = nominals.iter().map(|nominal| state_of(nominal)).collect();
    assert_eq!(
        states,
        [
            OccurrenceState::Lost,
            OccurrenceState::Launched,
            OccurrenceState::Launched,
            OccurrenceState::Launched,
        ]
    );
    // A run that reaches the new process after the command is written starts and ends as
    // usual.
    let accepted = apply_one(&store, run_started("a", nominals[3], "n1", nominals[3]));
    assert!(
        !matches!(accepted, CommandResult::Failed(_)),
        "{accepted:?}"
    );
    let finished = apply_one(&store, report("a", nominals[3], "n1", true));
    assert!(
        !matches!(finished, CommandResult::Failed(_)),
        "{finished:?}"
    );
    assert_eq!(state_of(nominals[3]), OccurrenceState::Succeeded);
    let finished = apply_one(&store, report("a", nominals[2], "n1", true));
    assert!(
        !matches!(finished, CommandResult::Failed(_)),
        "{finished:?}"
    );
    assert_eq!(state_of(nominals[2]), OccurrenceState::Succeeded);

    // Without a process start, every active run of the node is lost, started or not.
    let lost = apply_one(
        &store,
        Command::LoseRuns {
            node_name: "n1".into(),
            reason: "node failed".into(),
            at: at("2026-01-01T00:00:40Z"),
            started_before: None,
        },
    );
    assert_eq!(lost, CommandResult::Lost(1));
    assert_eq!(state_of(nominals[1]), OccurrenceState::Lost);
    assert!(store.active_runs(None).unwrap().is_empty());
}

#[test]
fn retention_prunes_oldest_and_delete_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply_one(
        &store,
        Command::SetRetention(Retention {
            executions_per_job: 3,
            ledger_per_job: 4,
            max_age_secs: None,
        }),
    );
    put(&store, job("test"));
    put(&store, job("test2"));
    for second in 10..20 {
        let nominal = format!("2026-01-01T00:00:{second}Z");
        for name in ["test", "test2"] {
            apply_one(&store, launch(name, &nominal, "n1"));
            apply_one(&store, report(name, &nominal, "n1", true));
        }
    }
    let kept = store.executions("test").unwrap().unwrap();
    assert_eq!(kept.len(), 3);
    assert_eq!(gotime::format(&kept[0].nominal), "2026-01-01T00:00:17Z");
    assert_eq!(store.ledger("test", 100).unwrap().len(), 4);
    assert_eq!(store.job("test").unwrap().unwrap().job.success_count, 10);

    apply_one(
        &store,
        Command::DeleteJob {
            name: "test".into(),
        },
    );
    assert!(store.executions("test").unwrap().is_none());
    assert!(store.ledger("test", 100).unwrap().is_empty());
    assert_eq!(store.executions("test2").unwrap().unwrap().len(), 3);

    apply_one(
        &store,
        Command::DeleteExecutions {
            job: "test2".into(),
        },
    );
    let cleared = store.job("test2").unwrap().unwrap();
    assert_eq!(
        (cleared.job.success_count, cleared.job.last_success),
        (0, None)
    );
    assert!(store.executions("test2").unwrap().unwrap().is_empty());
}

#[test]
fn while_paused_scheduled_occurrences_are_skipped_and_manual_runs_launch() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, job("a"));
    assert!(!store.paused().unwrap());
    apply_one(&store, Command::SetPaused { paused: true });
    assert!(store.paused().unwrap());

    let skipped = apply_one(&store, launch("a", "2026-01-01T00:00:10Z", "n1"));
    assert_eq!(skipped, CommandResult::Skipped(SkipReason::Paused));
    let entry = &store.ledger("a", 1).unwrap()[0];
    assert_eq!(entry.state, OccurrenceState::Skipped);
    assert!(entry.reason.starts_with("paused"), "{}", entry.reason);

    let mut manual = launch("a", "2026-01-01T00:00:11Z", "n1");
    if let Command::Launch { trigger, .. } = &mut manual {
        *trigger = Trigger::Manual;
    }
    assert!(matches!(
        apply_one(&store, manual),
        CommandResult::Launched(_)
    ));

    apply_one(&store, Command::SetPaused { paused: false });
    assert!(!store.paused().unwrap());
    assert!(matches!(
        apply_one(&store, launch("a", "2026-01-01T00:00:20Z", "n1")),
        CommandResult::Launched(_)
    ));
}

fn record_run(store: &dkron_store::StateStore, job_name: &str, nominal: &str) {
    apply_one(store, launch(job_name, nominal, "n1"));
    apply_one(store, report(job_name, nominal, "n1", true));
}

/// Server-wide history age limit of one hour.
fn keep_history_for_an_hour(store: &dkron_store::StateStore) {
    apply_one(
        store,
        Command::SetRetention(Retention {
            max_age_secs: Some(3600),
            ..Retention::default()
        }),
    );
}

/// A prune at 05:30 on the day the tests' runs happen.
fn prune_at_half_past_five(limit: u32, from: Option<String>) -> Command {
    Command::PruneAged {
        now: at("2026-01-01T05:30:00Z"),
        limit,
        from,
    }
}

#[test]
fn history_past_its_age_goes_in_bounded_batches_and_a_job_may_keep_less_or_more() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    keep_history_for_an_hour(&store);
    put(&store, job("server-age"));
    put(
        &store,
        Job {
            history_max_age: "24h".into(),
            ..job("own-age")
        },
    );
    for name in ["server-age", "own-age"] {
        record_run(&store, name, "2026-01-01T00:00:10Z");
        record_run(&store, name, "2026-01-01T00:00:20Z");
        record_run(&store, name, "2026-01-01T05:00:00Z");
    }
    let prune = |limit| prune_at_half_past_five(limit, None);
    // Two old executions and two old ledger entries of server-age are due; own-age keeps 24 h.
    assert_eq!(
        apply_one(&store, prune(3)),
        CommandResult::Pruned {
            removed: 3,
            next: Some("server-age".into())
        }
    );
    assert_eq!(
        apply_one(&store, prune(3)),
        CommandResult::Pruned {
            removed: 1,
            next: None
        }
    );
    let kept = store.executions("server-age").unwrap().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(store.ledger("server-age", 10).unwrap().len(), 1);
    assert_eq!(store.job("server-age").unwrap().unwrap().execution_count, 1);
    assert_eq!(store.executions("own-age").unwrap().unwrap().len(), 3);
    assert_eq!(
        apply_one(&store, prune(3)),
        CommandResult::Pruned {
            removed: 0,
            next: None
        }
    );
}

#[test]
fn a_prune_pass_looks_at_a_bounded_number_of_jobs_per_command_and_reaches_every_job() {
    use dkron_model::limits::JOBS_PER_PRUNE_COMMAND;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    keep_history_for_an_hour(&store);
    let jobs = JOBS_PER_PRUNE_COMMAND * 2 + 10;
    let names: Vec<String> = (0..jobs).map(|i| format!("job-{i:05}")).collect();
    for name in &names {
        put(&store, job(name));
        record_run(&store, name, "2026-01-01T00:00:10Z");
    }
    let mut from = None;
    let mut commands = 0;
    let mut removed_in_all = 0;
    loop {
        let answer = apply_one(&store, prune_at_half_past_five(1_000_000, from.clone()));
        let CommandResult::Pruned { removed, next } = answer else {
            panic!("unexpected answer {answer:?}");
        };
        commands += 1;
        // One old execution and one old ledger entry per job looked at.
        assert!(removed as usize <= 2 * JOBS_PER_PRUNE_COMMAND);
        removed_in_all += removed as usize;
        match next {
            Some(name) => from = Some(name),
            None => break,
        }
    }
    assert_eq!(commands, 3);
    assert_eq!(removed_in_all, 2 * jobs);
    for name in &names {
        assert!(
            store.executions(name).unwrap().unwrap().is_empty(),
            "{name}"
        );
    }
}

#[test]
fn a_job_can_keep_its_own_number_of_executions() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(
        &store,
        Job {
            execution_retention: 2,
            ..job("few")
        },
    );
    for second in 10..15 {
        record_run(&store, "few", &format!("2026-01-01T00:00:{second}Z"));
    }
    assert_eq!(store.executions("few").unwrap().unwrap().len(), 2);
}
