//! An executor plugin as one of dkron-exec's executors: a run calls the plugin's `Execute`,
//! its `StatusHelper` updates stream into the run's live output, and its reply decides the
//! result as in Dkron (a non-empty `error` fails the run; the reply's `output` is stored).

use std::sync::Arc;

use dkron_exec::{ExecReport, ExecRequest, Executor, OutputSink};
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::grpc::{ExecuteReply, GrpcError, StatusUpdate};
use crate::slot::{Connection, InFlight, Live, Slot};

/// Runs jobs whose `executor` names this plugin.
pub(crate) struct PluginExecutor {
    slot: Arc<Slot>,
}

impl PluginExecutor {
    pub(crate) fn new(slot: Arc<Slot>) -> Self {
        PluginExecutor { slot }
    }
}

impl Executor for PluginExecutor {
    fn run<'run>(
        &'run self,
        request: &'run ExecRequest,
        output: &'run mut OutputSink,
        cancel: &'run CancellationToken,
    ) -> BoxFuture<'run, ExecReport> {
        self.run_plugin(request, output, cancel).boxed()
    }
}

impl PluginExecutor {
    async fn run_plugin(
        &self,
        request: &ExecRequest,
        output: &mut OutputSink,
        cancel: &CancellationToken,
    ) -> ExecReport {
        let name = &self.slot.found.name;
        let live = tokio::select! {
            biased;
            () = cancel.cancelled() => return ExecReport::killed(format!("executor plugin {name}: run cancelled before the plugin was ready")),
            live = self.slot.live() => live,
        };
        let live = match live {
            Ok(live) => live,
            Err(error) => {
                return ExecReport::failed(format!(
                    "executor plugin {name} is not running: {error}"
                ));
            }
        };
        let in_flight = InFlight::new(live.clone());
        let ended = follow_call(&live, request, output, cancel).await;
        match ended {
            CallEnd::Replied(reply) => report_reply(name, reply, output),
            CallEnd::Failed(error) => {
                // A call that broke because the process died says so rather than "transport
                // error"; the connection often breaks a moment before the exit is seen.
                let lost = matches!(
                    error,
                    GrpcError::ConnectionLost(_) | GrpcError::BrokerClosed
                );
                match live.exit_soon(lost).await {
                    Some(status) => exited_report(name, &live, &status),
                    None => ExecReport::failed(format!("executor plugin {name}: {error}")),
                }
            }
            CallEnd::Exited(status) => exited_report(name, &live, &status),
            CallEnd::Cancelled => {
                if in_flight.alone() {
                    // Dkron's plugins do not watch the call's context, so the only way to stop
                    // the work for sure is to stop the process; it starts again at its next use.
                    tracing::info!(plugin = %name, job = %request.job_name,
                        "run stopped; stopping the executor plugin, which no other run is using");
                    live.process.kill().await;
                } else {
                    tracing::info!(plugin = %name, job = %request.job_name,
                        "run stopped; the executor plugin serves other runs too, so only this call is abandoned");
                }
                ExecReport::killed(format!("executor plugin {name}: run stopped"))
            }
        }
    }
}

/// How one `Execute` call ended.
enum CallEnd {
    Replied(ExecuteReply),
    Failed(GrpcError),
    Exited(String),
    Cancelled,
}

/// Makes the call and writes every status update to `output` until it ends.
async fn follow_call(
    live: &Live,
    request: &ExecRequest,
    output: &mut OutputSink,
    cancel: &CancellationToken,
) -> CallEnd {
    let Connection::Executor(grpc) = &live.connection else {
        return CallEnd::Failed(GrpcError::NotServing("not an executor plugin".to_string()));
    };
    let (updates, mut received) = mpsc::unbounded_channel::<StatusUpdate>();
    let call = grpc.execute(&request.job_name, &request.config, updates);
    let exited = live.process.exited();
    tokio::pin!(call, exited);
    let ended = loop {
        tokio::select! {
            biased;
            () = cancel.cancelled() => break CallEnd::Cancelled,
            Some(update) = received.recv() => output.write(&update.output),
            reply = &mut call => break match reply {
                Ok(reply) => CallEnd::Replied(reply),
                Err(error) => CallEnd::Failed(error),
            },
            status = &mut exited => break CallEnd::Exited(status),
        }
    };
    // Updates sent before the reply are still queued: they belong to this run.
    while let Ok(update) = received.try_recv() {
        output.write(&update.output);
    }
    ended
}

fn report_reply(name: &str, reply: ExecuteReply, output: &mut OutputSink) -> ExecReport {
    // Dkron stores the reply's output; a plugin that only streamed keeps what it streamed.
    if !reply.output.is_empty() {
        output.replace_kept(&reply.output);
    }
    if reply.error.is_empty() {
        ExecReport::success(None)
    } else {
        tracing::debug!(plugin = %name, error = %reply.error, "executor plugin reported an error");
        ExecReport::failed(reply.error)
    }
}

fn exited_report(name: &str, live: &Live, status: &str) -> ExecReport {
    ExecReport::failed(format!(
        "executor plugin {name} exited ({status}) during the run{}",
        live.process.last_words()
    ))
}
