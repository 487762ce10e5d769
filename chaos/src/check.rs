//! The checker: compares the lines the jobs appended to the outside file with the ledgers the
//! cluster answers. Pure: the caller reads the file and the API, this module only judges.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Utc};

/// One line of the outside file: a run that really executed its command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLine {
    pub job: String,
    pub nominal: DateTime<Utc>,
    pub node: String,
    pub execution_id: String,
}

/// One run of a ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRun {
    pub execution_id: String,
    pub node: String,
    pub success: bool,
    pub exit_code: i64,
}

/// One ledger entry (an occurrence and what became of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub job: String,
    pub nominal: DateTime<Utc>,
    pub state: String,
    pub reason: String,
    pub runs: Vec<LedgerRun>,
}

/// What the checker knows of a scheduled job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobShape {
    pub name: String,
    /// The `@every` interval in seconds.
    pub period_secs: i64,
    /// True for a `:1` target: one node per occurrence, never two.
    pub single_node: bool,
}

/// A correctness violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// The same occurrence ran twice on one node, or on two nodes for a `:1` target.
    RanTwice {
        job: String,
        nominal: DateTime<Utc>,
        nodes: Vec<String>,
    },
    /// A run executed its command, but the ledger has no such run of that occurrence.
    RunNotInLedger { line: FileLine },
    /// The ledger says a run succeeded, but its command never wrote its line.
    SucceededWithoutRunning {
        job: String,
        nominal: DateTime<Utc>,
        execution_id: String,
    },
    /// An occurrence failed, was skipped or lost without saying why, or has an unknown state.
    Unexplained {
        job: String,
        nominal: DateTime<Utc>,
        state: String,
    },
    /// An occurrence still `launched` after the cluster went quiet.
    Stuck { job: String, nominal: DateTime<Utc> },
    /// Occurrences missing from a ledger between two recorded ones.
    Gap {
        job: String,
        after: DateTime<Utc>,
        before: DateTime<Utc>,
        missing: i64,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::RanTwice {
                job,
                nominal,
                nodes,
            } => {
                write!(f, "ran twice: {job} at {nominal} on {}", nodes.join(", "))
            }
            Violation::RunNotInLedger { line } => write!(
                f,
                "run not in the ledger: {} at {} on {} ({})",
                line.job, line.nominal, line.node, line.execution_id
            ),
            Violation::SucceededWithoutRunning {
                job,
                nominal,
                execution_id,
            } => write!(
                f,
                "recorded as succeeded but never ran: {job} at {nominal} ({execution_id})"
            ),
            Violation::Unexplained {
                job,
                nominal,
                state,
            } => {
                write!(f, "{state} without a reason: {job} at {nominal}")
            }
            Violation::Stuck { job, nominal } => {
                write!(f, "stuck launched after quiescence: {job} at {nominal}")
            }
            Violation::Gap {
                job,
                after,
                before,
                missing,
            } => write!(
                f,
                "gap in the ledger of {job}: {missing} occurrence(s) between {after} and {before}"
            ),
        }
    }
}

type Occurrence = (String, DateTime<Utc>);

/// Every violation found, in a stable order.
pub fn check(jobs: &[JobShape], lines: &[FileLine], ledger: &[LedgerEntry]) -> Vec<Violation> {
    let shapes: BTreeMap<&str, &JobShape> =
        jobs.iter().map(|job| (job.name.as_str(), job)).collect();
    let mut violations = ran_twice(&shapes, lines);
    violations.extend(lines_without_ledger(lines, ledger));
    violations.extend(entries_unaccounted(lines, ledger));
    for job in jobs {
        violations.extend(gaps(job, ledger));
    }
    violations
}

fn ran_twice(shapes: &BTreeMap<&str, &JobShape>, lines: &[FileLine]) -> Vec<Violation> {
    let mut by_occurrence: BTreeMap<Occurrence, Vec<String>> = BTreeMap::new();
    for line in lines {
        by_occurrence
            .entry((line.job.clone(), line.nominal))
            .or_default()
            .push(line.node.clone());
    }
    let mut violations = Vec::new();
    for ((job, nominal), mut nodes) in by_occurrence {
        nodes.sort();
        let distinct: BTreeSet<&String> = nodes.iter().collect();
        let single = shapes
            .get(job.as_str())
            .is_some_and(|shape| shape.single_node);
        if distinct.len() < nodes.len() || (single && nodes.len() > 1) {
            violations.push(Violation::RanTwice {
                job,
                nominal,
                nodes,
            });
        }
    }
    violations
}

fn lines_without_ledger(lines: &[FileLine], ledger: &[LedgerEntry]) -> Vec<Violation> {
    let recorded: BTreeSet<(&str, DateTime<Utc>, &str)> = ledger
        .iter()
        .flat_map(|entry| {
            entry
                .runs
                .iter()
                .map(|run| (entry.job.as_str(), entry.nominal, run.execution_id.as_str()))
        })
        .collect();
    lines
        .iter()
        .filter(|line| {
            !recorded.contains(&(line.job.as_str(), line.nominal, line.execution_id.as_str()))
        })
        .map(|line| Violation::RunNotInLedger { line: line.clone() })
        .collect()
}

fn entries_unaccounted(lines: &[FileLine], ledger: &[LedgerEntry]) -> Vec<Violation> {
    let ran: BTreeSet<&str> = lines
        .iter()
        .map(|line| line.execution_id.as_str())
        .collect();
    let mut violations = Vec::new();
    for entry in ledger {
        let (job, nominal) = (entry.job.clone(), entry.nominal);
        match entry.state.as_str() {
            "launched" => violations.push(Violation::Stuck { job, nominal }),
            "succeeded" => {
                for run in entry.runs.iter().filter(|run| run.success) {
                    if !ran.contains(run.execution_id.as_str()) {
                        violations.push(Violation::SucceededWithoutRunning {
                            job: job.clone(),
                            nominal,
                            execution_id: run.execution_id.clone(),
                        });
                    }
                }
            }
            "failed" if !entry.reason.is_empty() || entry.runs.iter().any(|run| !run.success) => {}
            "skipped" | "lost" if !entry.reason.is_empty() => {}
            state => violations.push(Violation::Unexplained {
                job,
                nominal,
                state: state.to_string(),
            }),
        }
    }
    violations
}

/// Occurrences of an `@every` job are one period apart; a summarised range entry covers up
/// to the last occurrence it names.
fn gaps(job: &JobShape, ledger: &[LedgerEntry]) -> Vec<Violation> {
    let mut entries: Vec<&LedgerEntry> = ledger
        .iter()
        .filter(|entry| entry.job == job.name)
        .collect();
    entries.sort_by_key(|entry| entry.nominal);
    let mut violations = Vec::new();
    for pair in entries.windows(2) {
        let covered_to = range_end(&pair[0].reason).unwrap_or(pair[0].nominal);
        let step = (pair[1].nominal - covered_to).num_seconds();
        if step > job.period_secs {
            violations.push(Violation::Gap {
                job: job.name.clone(),
                after: covered_to,
                before: pair[1].nominal,
                missing: step / job.period_secs - 1,
            });
        }
    }
    violations
}

/// The last occurrence a range entry stands for: its reason ends with
/// `(N occurrences from A to B)`.
pub fn range_end(reason: &str) -> Option<DateTime<Utc>> {
    let inside = reason.rsplit_once('(')?.1.strip_suffix(')')?;
    let (_, last) = inside
        .split_once(" occurrences from ")?
        .1
        .split_once(" to ")?;
    DateTime::parse_from_rfc3339(last)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

#[cfg(test)]
#[path = "check_test.rs"]
mod tests;
