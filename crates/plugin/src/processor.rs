//! A processor plugin as one of dkron-exec's external processors: the ended execution goes to
//! the plugin's `Plugin.Process` as Dkron's `ProcessorArgs`, and the output of the execution it
//! returns is what is stored. Dkron stores the whole returned execution; here only its output
//! is taken, because the run's other fields (success, times, node) are this node's record.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dkron_exec::{EndedExecution, ExternalProcessor};
use dkron_model::StringMap;

use crate::netrpc::{GoExecution, GoTimestamp, NetRpcError, ProcessorArgs};
use crate::slot::{Connection, InFlight, Slot};

/// How long a processor plugin may take over one execution (Dkron has no limit; a stuck
/// plugin would hold the run's result forever).
pub(crate) const PROCESS_TIME_LIMIT: Duration = Duration::from_secs(30);

/// Hands ended executions to one processor plugin.
pub(crate) struct PluginProcessor {
    slot: Arc<Slot>,
    runtime: tokio::runtime::Handle,
}

impl PluginProcessor {
    pub(crate) fn new(slot: Arc<Slot>, runtime: tokio::runtime::Handle) -> Self {
        PluginProcessor { slot, runtime }
    }

    async fn process_async(
        &self,
        execution: &EndedExecution,
        config: &StringMap,
    ) -> Result<String, String> {
        let live = self
            .slot
            .live()
            .await
            .map_err(|error| format!("the plugin is not running: {error}"))?;
        let _in_flight = InFlight::new(live.clone());
        let Connection::Processor(rpc) = &live.connection else {
            return Err("not a processor plugin".to_string());
        };
        let args = ProcessorArgs {
            execution: to_go(execution),
            config: config.clone().into_iter().collect(),
        };
        let call = tokio::time::timeout(PROCESS_TIME_LIMIT, rpc.process(&args));
        tokio::select! {
            returned = call => match returned {
                Ok(Ok(returned)) => Ok(String::from_utf8_lossy(&returned.output).into_owned()),
                Ok(Err(error)) => {
                    let lost = matches!(error, NetRpcError::Connection(_));
                    Err(match live.exit_soon(lost).await {
                        Some(status) => format!("it {}", live.process.exit_text(&status)),
                        None => error.to_string(),
                    })
                }
                Err(_) => Err(format!("no answer within {PROCESS_TIME_LIMIT:?}")),
            },
            status = live.process.exited() => {
                Err(format!("it {}", live.process.exit_text(&status)))
            }
        }
    }
}

impl ExternalProcessor for PluginProcessor {
    fn process(&self, execution: &EndedExecution, config: &StringMap) -> Result<String, String> {
        // Called on a blocking thread (dkron-exec runs processors off the async threads).
        self.runtime.block_on(self.process_async(execution, config))
    }
}

fn to_go(execution: &EndedExecution) -> GoExecution {
    let context = &execution.context;
    GoExecution {
        job_name: context.job_name.clone(),
        success: execution.success,
        output: execution.output.clone().into_bytes(),
        node_name: context.node_name.clone(),
        group: context.group,
        attempt: context.attempt,
        started_at: Some(timestamp(context.started_at)),
        finished_at: Some(timestamp(execution.finished_at)),
    }
}

fn timestamp(at: DateTime<Utc>) -> GoTimestamp {
    GoTimestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}
