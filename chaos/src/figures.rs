//! Unavailability figures: occurrences that did not succeed, attributed to the fault in
//! force at their nominal time (or within a settling time after it healed) and grouped by
//! reason. Pure.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};

use crate::check::{FileLine, LedgerEntry};

/// One fault as it happened: what, on which node, from when to when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultWindow {
    pub kind: String,
    pub node: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Counts per fault kind (`none` outside every fault).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindFigures {
    pub faults: usize,
    pub failed: usize,
    pub skipped: usize,
    pub lost: usize,
    /// Reason (numbers and node names folded) → count.
    pub reasons: BTreeMap<String, usize>,
}

/// Occurrences in each state, and the figures per fault kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub states: BTreeMap<String, usize>,
    pub kinds: BTreeMap<String, KindFigures>,
}

/// The fault blamed for an occurrence: the last one that started at or before its nominal
/// time and healed less than `settle` before it.
fn blamed(windows: &[FaultWindow], at: DateTime<Utc>, settle: Duration) -> &str {
    windows
        .iter()
        .rev()
        .find(|window| window.from <= at && at <= window.to + settle)
        .map_or("none", |window| window.kind.as_str())
}

pub fn figures(ledger: &[LedgerEntry], windows: &[FaultWindow], settle: Duration) -> Figures {
    let mut figures = Figures::default();
    for window in windows {
        figures.kinds.entry(window.kind.clone()).or_default().faults += 1;
    }
    for entry in ledger {
        *figures.states.entry(entry.state.clone()).or_default() += 1;
        if !matches!(entry.state.as_str(), "failed" | "skipped" | "lost") {
            continue;
        }
        let kind = figures
            .kinds
            .entry(blamed(windows, entry.nominal, settle).to_string())
            .or_default();
        match entry.state.as_str() {
            "failed" => kind.failed += 1,
            "skipped" => kind.skipped += 1,
            _ => kind.lost += 1,
        }
        *kind.reasons.entry(reason_of(entry)).or_default() += 1;
    }
    figures
}

/// Gives failed occurrences without a reason the last output line of their failed run
/// (`outputs`: execution id → that line), so the figures say why they failed.
pub fn explain_failures(ledger: &mut [LedgerEntry], outputs: &BTreeMap<String, String>) {
    for entry in ledger
        .iter_mut()
        .filter(|entry| entry.state == "failed" && entry.reason.is_empty())
    {
        let failed = entry.runs.iter().find(|run| !run.success);
        if let Some(line) = failed.and_then(|run| outputs.get(&run.execution_id)) {
            entry.reason = format!("run failed: {line}");
        }
    }
}

/// How many `lost` occurrences had a run that wrote its line all the same.
pub fn lost_but_ran(ledger: &[LedgerEntry], lines: &[FileLine]) -> usize {
    let ran: BTreeSet<&str> = lines
        .iter()
        .map(|line| line.execution_id.as_str())
        .collect();
    ledger
        .iter()
        .filter(|entry| entry.state == "lost")
        .filter(|entry| {
            entry
                .runs
                .iter()
                .any(|run| ran.contains(run.execution_id.as_str()))
        })
        .count()
}

/// The entry's reason with digits folded to `#` (node names, times and counts differ from
/// one occurrence to the next; the cause does not), capped in length.
fn reason_of(entry: &LedgerEntry) -> String {
    let text = if !entry.reason.is_empty() {
        entry.reason.clone()
    } else if let Some(run) = entry.runs.iter().find(|run| !run.success) {
        format!("run failed: exit code {}", run.exit_code)
    } else {
        "no reason".to_string()
    };
    let mut folded = String::new();
    for character in text.chars() {
        let character = if character.is_ascii_digit() {
            '#'
        } else {
            character
        };
        if !(character == '#' && folded.ends_with('#')) {
            folded.push(character);
        }
    }
    folded.chars().take(140).collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(second: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + second, 0)
            .single()
            .expect("a time")
    }

    fn entry(second: i64, state: &str, reason: &str) -> LedgerEntry {
        LedgerEntry {
            job: "a".into(),
            nominal: at(second),
            state: state.into(),
            reason: reason.into(),
            runs: vec![],
        }
    }

    #[test]
    fn losses_are_blamed_on_the_fault_in_force_and_reasons_are_grouped() {
        let windows = vec![FaultWindow {
            kind: "leader-kill".into(),
            node: "s1".into(),
            from: at(10),
            to: at(20),
        }];
        let ledger = vec![
            entry(5, "succeeded", ""),
            entry(12, "lost", "lost: node s1 restarted"),
            entry(24, "lost", "lost: node s2 restarted"),
            entry(40, "skipped", "no_target: no node"),
        ];
        let figures = figures(&ledger, &windows, Duration::seconds(5));
        assert_eq!(figures.states["lost"], 2);
        let kill = &figures.kinds["leader-kill"];
        assert_eq!((kill.faults, kill.lost, kill.failed), (1, 2, 0));
        assert_eq!(kill.reasons["lost: node s# restarted"], 2);
        assert_eq!(figures.kinds["none"].skipped, 1);
    }

    #[test]
    fn a_lost_occurrence_whose_run_wrote_its_line_is_counted() {
        let mut lost = entry(3, "lost", "node a1 failed during the run");
        lost.runs.push(crate::check::LedgerRun {
            execution_id: "x-a1".into(),
            node: "a1".into(),
            success: false,
            exit_code: 0,
        });
        let other = entry(4, "lost", "node a1 failed during the run");
        let line = FileLine {
            job: "a".into(),
            nominal: at(3),
            node: "a1".into(),
            execution_id: "x-a1".into(),
        };
        assert_eq!(lost_but_ran(&[lost.clone(), other.clone()], &[line]), 1);
        assert_eq!(lost_but_ran(&[lost, other], &[]), 0);
    }
}
