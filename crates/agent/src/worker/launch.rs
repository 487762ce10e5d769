//! Running one execution: start record, executor, live output, timeout, result record.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::Utc;
use dkron_exec::{ExecRequest, ProcessorContext, Processors};
use dkron_model::Execution;
use dkron_store::{Command, RunReport};
use tokio_util::sync::CancellationToken;

use super::order::{RunEvent, RunOrder};
use super::{Events, RunKey, Worker};

/// Most bytes of live output kept per running execution for `/v1/busy`.
const LIVE_TAIL_BYTES: usize = dkron_model::limits::LIVE_VIEW_BYTES_PER_RUN;

/// First line of the output of a run stopped through the kill endpoint.
const KILLED_ON_REQUEST: &str = "killed on request";

/// Why the worker stopped a run before it ended by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StopReason {
    /// The kill endpoint asked for it.
    KillRequest,
    /// A newer occurrence of a `concurrency: replace` job took its place.
    Replaced,
    /// The job's `timeout` passed.
    Timeout(std::time::Duration),
}

impl StopReason {
    /// A run stopped on purpose is not retried; one that ran out of time is.
    pub(super) fn is_deliberate(self) -> bool {
        matches!(self, StopReason::KillRequest | StopReason::Replaced)
    }

    /// The first line of the stopped run's output.
    fn line(self) -> String {
        match self {
            StopReason::KillRequest => KILLED_ON_REQUEST.to_string(),
            StopReason::Replaced => {
                "killed: replaced by a newer run (concurrency: replace)".to_string()
            }
            StopReason::Timeout(limit) => {
                format!("killed: the job's timeout of {limit:?} passed")
            }
        }
    }
}

pub(super) struct Running {
    pub(super) execution: Execution,
    pub(super) cancel: CancellationToken,
    /// Set when the worker stops the run, so the record says why.
    pub(super) stop: Option<StopReason>,
}

impl Worker {
    pub(super) fn launch(&self, order: RunOrder, key: RunKey, events: Option<Events>) {
        let started_at = Utc::now();
        let attempt = order.attempt;
        let lateness_ms = (started_at - order.nominal).num_milliseconds();
        tracing::debug!(job = %order.job.name, execution = %order.execution_id, lateness_ms, "starting run");
        self.recorder.record_later(Command::RunStarted {
            job: order.job.name.clone(),
            nominal: order.nominal,
            execution_id: order.execution_id.clone(),
            node_name: self.node_name.clone(),
            attempt,
            started_at,
        });
        let cancel = CancellationToken::new();
        let execution = Execution {
            id: order.execution_id.clone(),
            job_name: order.job.name.clone(),
            started_at,
            node_name: self.node_name.clone(),
            group: order.nominal.timestamp_nanos_opt().unwrap_or(0),
            attempt,
            ..Execution::default()
        };
        self.running
            .lock()
            .expect("running map lock is never poisoned")
            .insert(
                key.clone(),
                Running {
                    execution,
                    cancel: cancel.clone(),
                    stop: None,
                },
            );
        let request = ExecRequest {
            job_name: order.job.name.clone(),
            execution_id: order.execution_id.clone(),
            nominal_time: order.nominal,
            attempt,
            executor: order.job.executor.clone(),
            config: order.job.executor_config.clone().unwrap_or_default(),
        };
        let timeout = order.job.run_timeout();
        let registry = self.registry.clone();
        let limits = self.limits.clone();
        let recorder = self.recorder.clone();
        let running = self.running.clone();
        let received = self.received.clone();
        let node_name = self.node_name.clone();
        let context = ProcessorContext {
            job_name: order.job.name.clone(),
            execution_id: order.execution_id.clone(),
            node_name: self.node_name.clone(),
        };
        let processors = Processors::new(order.job.processors.as_ref(), &context);
        self.tasks.spawn(async move {
            let (live_sender, live) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
            let follow = tokio::spawn(follow_output(
                live,
                running.clone(),
                key.clone(),
                events.clone(),
                processors,
            ));
            let deadline =
                timeout.map(|limit| tokio::spawn(stop_after(limit, running.clone(), key.clone())));
            let outcome = registry
                .run(request, &limits, Some(live_sender), cancel)
                .await;
            if let Some(deadline) = deadline {
                deadline.abort();
            }
            // The follower ends with the channel and hands the processors back.
            let mut processors = follow
                .await
                .unwrap_or_else(|_| Processors::new(None, &context));
            let stopped = running
                .lock()
                .expect("running map lock is never poisoned")
                .remove(&key)
                .and_then(|run| run.stop);
            received
                .lock()
                .expect("received lock is never poisoned")
                .finish(&key);
            if let Some(events) = &events {
                let _dispatcher_may_be_gone = events.send(RunEvent::Finished {
                    success: outcome.success,
                });
            }
            let stored = match stopped {
                Some(reason) => format!("{}\n{}", reason.line(), outcome.output),
                None => outcome.output,
            };
            let success = outcome.success;
            // Processors may write files or call a log server: off the async threads. Most
            // jobs have none, and a blocking thread per run would only add threads (and
            // allocator arenas) for nothing.
            let output = if processors.is_empty() {
                stored
            } else {
                tokio::task::spawn_blocking(move || processors.finish(success, stored))
                    .await
                    .unwrap_or_else(|error| format!("dkron-rs: output processors failed: {error}"))
            };
            let report = Command::RunFinished {
                report: RunReport {
                    job: order.job.name,
                    nominal: order.nominal,
                    execution_id: order.execution_id,
                    node_name,
                    attempt,
                    started_at,
                    finished_at: Utc::now(),
                    success: outcome.success,
                    output,
                    exit_code: outcome.exit_code,
                    killed: outcome.killed || stopped.is_some(),
                    no_retry: stopped.is_some_and(StopReason::is_deliberate),
                },
            };
            let written = Box::new(move || {
                received
                    .lock()
                    .expect("received lock is never poisoned")
                    .recorded(&key, std::time::Instant::now());
            });
            recorder.record_later_then(report, written);
        });
    }
}

/// Stops a run when the job's `timeout` passes (aborted when the run ends first).
async fn stop_after(
    limit: std::time::Duration,
    running: Arc<Mutex<HashMap<RunKey, Running>>>,
    key: RunKey,
) {
    tokio::time::sleep(limit).await;
    let mut running = running.lock().expect("running map lock is never poisoned");
    if let Some(run) = running.get_mut(&key) {
        tracing::info!(job = %key.0, execution = %key.1, ?limit, "the job's timeout passed; stopping the run");
        run.stop.get_or_insert(StopReason::Timeout(limit));
        run.cancel.cancel();
    }
}

async fn follow_output(
    mut live: tokio::sync::mpsc::UnboundedReceiver<Bytes>,
    running: Arc<Mutex<HashMap<RunKey, Running>>>,
    key: RunKey,
    events: Option<Events>,
    mut processors: Processors,
) -> Processors {
    while let Some(chunk) = live.recv().await {
        processors.chunk(&chunk);
        if let Some(events) = &events {
            let _dispatcher_may_be_gone = events.send(RunEvent::Output(chunk.clone()));
        }
        let mut running = running.lock().expect("running map lock is never poisoned");
        let Some(run) = running.get_mut(&key) else {
            continue;
        };
        append_to_live_view(&mut run.execution.output, &chunk);
    }
    processors
}

/// Appends a chunk to a running execution's live view, keeping its last `LIVE_TAIL_BYTES`
/// (cut at a character boundary, so the view stays valid text).
fn append_to_live_view(view: &mut String, chunk: &[u8]) {
    view.push_str(&String::from_utf8_lossy(chunk));
    if view.len() > LIVE_TAIL_BYTES {
        let mut cut = view.len() - LIVE_TAIL_BYTES;
        while !view.is_char_boundary(cut) {
            cut += 1;
        }
        view.drain(..cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_view_keeps_the_last_bytes_far_past_its_bound() {
        let mut view = String::new();
        // 100 times the bound, in text with multi-byte characters (cuts must fall between them).
        let line = "ünïcödé line of output\n".repeat(100);
        let mut written = String::new();
        while written.len() < 100 * LIVE_TAIL_BYTES {
            append_to_live_view(&mut view, line.as_bytes());
            written.push_str(&line);
            assert!(view.len() <= LIVE_TAIL_BYTES, "{} bytes kept", view.len());
        }
        assert!(
            view.len() > LIVE_TAIL_BYTES - 4,
            "the view is full, not emptied"
        );
        assert!(
            written.ends_with(&view),
            "the view is the newest output, unchanged"
        );
    }
}
