//! What applied run records tell about timing, for metrics: how late each run started and how
//! long each took. Every server applies every record, so each server sees the whole cluster.

use chrono::TimeDelta;
use dkron_model::gotime;
use dkron_store::{Command, CommandResult};

/// One run record the state machine accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunObservation {
    /// A run started, `lateness` after its occurrence's nominal time (negative when early).
    Started {
        /// Job name.
        job: String,
        /// Execution id (the stored execution has the details).
        execution_id: String,
        /// Start time minus nominal time.
        lateness: TimeDelta,
    },
    /// A run ended.
    Finished {
        /// Job name.
        job: String,
        /// Execution id (the stored execution has the details).
        execution_id: String,
        /// How long it ran; `None` when it never started (lost, or never delivered).
        duration: Option<TimeDelta>,
        /// Whether it succeeded.
        success: bool,
    },
}

/// Where a command sits in a batch: its index, and its index inside a nested batch.
type Slot = (usize, Option<usize>);

fn observation(command: &Command) -> Option<RunObservation> {
    match command {
        Command::RunStarted {
            job,
            nominal,
            execution_id,
            started_at,
            ..
        } => Some(RunObservation::Started {
            job: job.clone(),
            execution_id: execution_id.clone(),
            lateness: *started_at - *nominal,
        }),
        Command::RunFinished { report } => Some(RunObservation::Finished {
            job: report.job.clone(),
            execution_id: report.execution_id.clone(),
            duration: (!gotime::is_zero(&report.started_at))
                .then(|| report.finished_at - report.started_at),
            success: report.success,
        }),
        _ => None,
    }
}

/// Collects the run observations of a batch of commands, before they are applied.
pub(crate) fn collect(commands: &[Command]) -> Vec<(Slot, RunObservation)> {
    let mut found = Vec::new();
    for (index, command) in commands.iter().enumerate() {
        match command {
            Command::Batch(inner) => {
                for (inner_index, command) in inner.iter().enumerate() {
                    if let Some(seen) = observation(command) {
                        found.push(((index, Some(inner_index)), seen));
                    }
                }
            }
            command => {
                if let Some(seen) = observation(command) {
                    found.push(((index, None), seen));
                }
            }
        }
    }
    found
}

/// Keeps the observations whose command the store accepted (a repeated record is refused).
pub(crate) fn accepted(
    found: Vec<(Slot, RunObservation)>,
    results: &[CommandResult],
) -> Vec<RunObservation> {
    let result_at = |(index, inner): Slot| match (results.get(index), inner) {
        (Some(CommandResult::Batch(inner_results)), Some(inner)) => inner_results.get(inner),
        (result, None) => result,
        (Some(_), Some(_)) => None,
        (None, _) => None,
    };
    found
        .into_iter()
        .filter_map(|(slot, seen)| {
            let result = result_at(slot)?;
            (!matches!(result, CommandResult::Failed(_))).then_some(seen)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use dkron_store::{ApplyError, RunReport};

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("valid RFC 3339")
    }

    fn started(job: &str) -> Command {
        Command::RunStarted {
            job: job.into(),
            nominal: at("2026-01-01T00:00:00Z"),
            execution_id: "1-n".into(),
            node_name: "n".into(),
            attempt: 1,
            started_at: at("2026-01-01T00:00:00.004Z"),
        }
    }

    fn finished(job: &str, started_at: DateTime<Utc>) -> Command {
        Command::RunFinished {
            report: RunReport {
                job: job.into(),
                nominal: at("2026-01-01T00:00:00Z"),
                execution_id: "1-n".into(),
                node_name: "n".into(),
                attempt: 1,
                started_at,
                finished_at: at("2026-01-01T00:00:02Z"),
                success: true,
                output: String::new(),
                exit_code: Some(0),
                killed: false,
                no_retry: false,
            },
        }
    }

    #[test]
    fn reads_lateness_and_duration_of_accepted_records_only() {
        let commands = vec![
            started("a"),
            Command::Batch(vec![
                finished("a", at("2026-01-01T00:00:00.5Z")),
                finished("b", gotime::zero_time()),
            ]),
            started("refused"),
        ];
        let retried = CommandResult::Finished(dkron_store::Followups {
            job: "b".into(),
            runs_pending: true,
            ..Default::default()
        });
        let results = vec![
            CommandResult::Done,
            CommandResult::Batch(vec![CommandResult::Done, retried]),
            CommandResult::Failed(ApplyError::Rejected("not active".into())),
        ];
        let seen = accepted(collect(&commands), &results);
        assert_eq!(
            seen,
            [
                RunObservation::Started {
                    job: "a".into(),
                    execution_id: "1-n".into(),
                    lateness: TimeDelta::milliseconds(4)
                },
                RunObservation::Finished {
                    job: "a".into(),
                    execution_id: "1-n".into(),
                    duration: Some(TimeDelta::milliseconds(1500)),
                    success: true,
                },
                RunObservation::Finished {
                    job: "b".into(),
                    execution_id: "1-n".into(),
                    duration: None,
                    success: true,
                },
            ]
        );
    }
}
