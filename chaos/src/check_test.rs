use chrono::TimeZone;

use super::*;

fn at(second: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + second, 0)
        .single()
        .expect("a time")
}

fn shape(name: &str, period_secs: i64, single_node: bool) -> JobShape {
    JobShape {
        name: name.into(),
        period_secs,
        single_node,
    }
}

fn line(job: &str, second: i64, node: &str) -> FileLine {
    FileLine {
        job: job.into(),
        nominal: at(second),
        node: node.into(),
        execution_id: format!("{second}-{node}-{job}"),
    }
}

fn entry(job: &str, second: i64, state: &str, nodes: &[&str]) -> LedgerEntry {
    LedgerEntry {
        job: job.into(),
        nominal: at(second),
        state: state.into(),
        reason: String::new(),
        runs: nodes
            .iter()
            .map(|node| LedgerRun {
                execution_id: format!("{second}-{node}-{job}"),
                node: (*node).into(),
                success: state != "failed",
                exit_code: if state == "failed" { 1 } else { 0 },
            })
            .collect(),
    }
}

/// Job `a` (one of several nodes, every 2 s) ran at 0, 2, 4 on s1; job `b` (all nodes,
/// every 1 s) ran at 0 and 1 on a1 and a2.
fn clean() -> (Vec<JobShape>, Vec<FileLine>, Vec<LedgerEntry>) {
    let jobs = vec![shape("a", 2, true), shape("b", 1, false)];
    let lines = vec![
        line("a", 0, "s1"),
        line("a", 2, "s2"),
        line("a", 4, "s1"),
        line("b", 0, "a1"),
        line("b", 0, "a2"),
        line("b", 1, "a2"),
        line("b", 1, "a1"),
    ];
    let ledger = vec![
        entry("a", 0, "succeeded", &["s1"]),
        entry("a", 2, "succeeded", &["s2"]),
        entry("a", 4, "succeeded", &["s1"]),
        entry("b", 0, "succeeded", &["a1", "a2"]),
        entry("b", 1, "succeeded", &["a1", "a2"]),
    ];
    (jobs, lines, ledger)
}

#[test]
fn a_clean_run_has_no_violation() {
    let (jobs, lines, ledger) = clean();
    assert_eq!(check(&jobs, &lines, &ledger), vec![]);
}

#[test]
fn an_occurrence_run_twice_on_one_node_is_a_violation() {
    let (jobs, mut lines, ledger) = clean();
    lines.push(line("b", 1, "a1"));
    let violations = check(&jobs, &lines, &ledger);
    assert!(
        violations.contains(&Violation::RanTwice {
            job: "b".into(),
            nominal: at(1),
            nodes: vec!["a1".into(), "a1".into(), "a2".into()],
        }),
        "{violations:?}"
    );
}

#[test]
fn a_single_node_occurrence_on_two_nodes_is_a_violation() {
    let (jobs, mut lines, mut ledger) = clean();
    lines.push(line("a", 2, "s3"));
    ledger[1] = entry("a", 2, "succeeded", &["s2", "s3"]);
    let violations = check(&jobs, &lines, &ledger);
    assert_eq!(
        violations,
        vec![Violation::RanTwice {
            job: "a".into(),
            nominal: at(2),
            nodes: vec!["s2".into(), "s3".into()],
        }]
    );
}

#[test]
fn a_missing_occurrence_is_a_gap_and_a_range_entry_covers_one() {
    let (jobs, lines, mut ledger) = clean();
    ledger.retain(|entry| !(entry.job == "a" && entry.nominal == at(2)));
    let violations = check(&jobs, &lines, &ledger);
    assert!(
        violations.contains(&Violation::Gap {
            job: "a".into(),
            after: at(0),
            before: at(4),
            missing: 1,
        }),
        "{violations:?}"
    );
    let (jobs, _, mut ledger) = clean();
    ledger.retain(|entry| entry.job == "a" && entry.nominal != at(2));
    ledger[0].state = "skipped".into();
    ledger[0].reason = format!(
        "misfire: missed (2 occurrences from {} to {})",
        at(0).to_rfc3339(),
        at(2).to_rfc3339()
    );
    let lines = vec![line("a", 4, "s1")];
    assert_eq!(check(&jobs[..1], &lines, &ledger), vec![]);
}

#[test]
fn a_run_that_wrote_its_line_but_is_not_in_the_ledger_is_a_violation() {
    let (jobs, lines, mut ledger) = clean();
    ledger[3] = entry("b", 0, "succeeded", &["a1"]);
    let violations = check(&jobs, &lines, &ledger);
    assert_eq!(
        violations,
        vec![Violation::RunNotInLedger {
            line: line("b", 0, "a2")
        }]
    );
}

#[test]
fn a_success_whose_command_never_ran_is_a_violation() {
    let (jobs, mut lines, ledger) = clean();
    lines.retain(|line| !(line.job == "a" && line.nominal == at(4)));
    let violations = check(&jobs, &lines, &ledger);
    assert_eq!(
        violations,
        vec![Violation::SucceededWithoutRunning {
            job: "a".into(),
            nominal: at(4),
            execution_id: "4-s1-a".into(),
        }]
    );
}

#[test]
fn a_stuck_run_is_a_violation() {
    let (jobs, lines, mut ledger) = clean();
    ledger[2].state = "launched".into();
    let violations = check(&jobs, &lines, &ledger);
    assert_eq!(
        violations,
        vec![Violation::Stuck {
            job: "a".into(),
            nominal: at(4)
        }]
    );
}

#[test]
fn failures_and_losses_need_a_reason() {
    let (jobs, mut lines, mut ledger) = clean();
    lines.retain(|line| line.job != "a" || line.nominal != at(4));
    ledger[2] = entry("a", 4, "lost", &["s1"]);
    let violations = check(&jobs, &lines, &ledger);
    assert_eq!(
        violations,
        vec![Violation::Unexplained {
            job: "a".into(),
            nominal: at(4),
            state: "lost".into()
        }]
    );
    ledger[2].reason = "lost: the node restarted".into();
    assert_eq!(check(&jobs, &lines, &ledger), vec![]);
    ledger[2] = entry("a", 4, "failed", &["s1"]);
    assert_eq!(check(&jobs, &lines, &ledger), vec![]);
}

#[test]
fn the_end_of_a_range_entry_is_read_from_its_reason() {
    let reason = "misfire: missed while no scheduler was running (3 occurrences from \
                  2026-03-01T00:00:01Z to 2026-03-01T00:00:03Z)";
    assert_eq!(
        range_end(reason).map(|time| time.to_rfc3339()),
        Some("2026-03-01T00:00:03+00:00".into())
    );
    assert_eq!(range_end("overlap: a previous run was still active"), None);
}
