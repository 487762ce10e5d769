//! The worker's run records, written through the batching recorder: a start becomes
//! `Command::RunStarted` and a result `Command::RunFinished`, both on the run-record lane.

use chrono::Utc;
use dkron_store::{Command, RunReport};
use dkron_worker::{OnWritten, RunRecords, RunStart, Worker};

use crate::recorder::Recorder;

impl RunRecords for Recorder {
    fn started(&self, start: RunStart) {
        self.record_later(Command::RunStarted {
            job: start.job,
            nominal: start.nominal,
            execution_id: start.execution_id,
            node_name: start.node_name,
            attempt: start.attempt,
            started_at: start.started_at,
        });
    }

    fn finished(&self, report: RunReport, written: OnWritten) {
        self.record_later_then(Command::RunFinished { report }, written);
    }
}

/// The command that ends, as lost, the runs this node's previous process started. Runs
/// `worker` takes meanwhile are not touched: their start records carry a later time, or none
/// yet (see `Command::LoseRuns`).
pub(crate) fn end_previous_runs_command(worker: &Worker) -> Command {
    Command::LoseRuns {
        node_name: worker.node_name().to_string(),
        reason: "the node restarted while the run was in progress; its result is unknown".into(),
        at: Utc::now(),
        started_before: Some(worker.created_at()),
    }
}
