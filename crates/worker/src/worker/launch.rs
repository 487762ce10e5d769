//! Running one execution: start record, executor, live output, timeout, result record.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use dkron_exec::{ExecLimits, ExecOutcome, ExecRequest, ProcessorContext, Processors, Registry};
use dkron_lifecycle::RunReport;
use dkron_model::Execution;
use tokio_util::sync::CancellationToken;

use super::Worker;
use crate::order::{Events, RunEvent, RunKey, RunOrder};
use crate::received::ReceivedRuns;
use crate::records::{RunRecords, RunStart};
use crate::running::{Running, RunningRuns, StopReason};

/// Most bytes of live output kept per running execution for `/v1/busy`.
const LIVE_TAIL_BYTES: usize = dkron_model::limits::LIVE_VIEW_BYTES_PER_RUN;

/// What the executor is given for one run, prepared when the run starts.
struct Execute {
    registry: Registry,
    limits: ExecLimits,
    request: ExecRequest,
    timeout: Option<std::time::Duration>,
    cancel: CancellationToken,
    context: ProcessorContext,
    processors: Processors,
}

/// One run from its start to its recorded result: the worker's task for it.
struct RunTask {
    order: RunOrder,
    key: RunKey,
    events: Option<Events>,
    started_at: DateTime<Utc>,
    node_name: String,
    records: Arc<dyn RunRecords>,
    running: RunningRuns,
    received: Arc<Mutex<ReceivedRuns>>,
}

impl Worker {
    /// Starts a run now: records its start, shows it as running and spawns its task.
    pub(super) fn launch(&self, order: RunOrder, key: RunKey, events: Option<Events>) {
        let started_at = Utc::now();
        let lateness_ms = (started_at - order.nominal).num_milliseconds();
        tracing::debug!(job = %order.job.name, execution = %order.execution_id, lateness_ms, "starting run");
        self.records.started(RunStart {
            job: order.job.name.clone(),
            nominal: order.nominal,
            execution_id: order.execution_id.clone(),
            node_name: self.node_name.clone(),
            attempt: order.attempt,
            started_at,
        });
        let cancel = CancellationToken::new();
        self.show_running(&order, &key, started_at, cancel.clone());
        let execute = self.prepare(&order, started_at, cancel);
        let task = RunTask {
            order,
            key,
            events,
            started_at,
            node_name: self.node_name.clone(),
            records: self.records.clone(),
            running: self.running.clone(),
            received: self.received.clone(),
        };
        self.tasks.spawn(task.run(execute));
    }

    /// Puts a starting run into the live view, where it can be stopped.
    fn show_running(
        &self,
        order: &RunOrder,
        key: &RunKey,
        started_at: DateTime<Utc>,
        cancel: CancellationToken,
    ) {
        let execution = Execution {
            id: order.execution_id.clone(),
            job_name: order.job.name.clone(),
            started_at,
            node_name: self.node_name.clone(),
            group: order.nominal.timestamp_nanos_opt().unwrap_or(0),
            attempt: order.attempt,
            ..Execution::default()
        };
        self.running
            .lock()
            .expect("running map lock is never poisoned")
            .insert(
                key.clone(),
                Running {
                    execution,
                    cancel,
                    stop: None,
                },
            );
    }

    /// Builds what the executor is given: the request, the job's timeout and its output
    /// processors.
    fn prepare(
        &self,
        order: &RunOrder,
        started_at: DateTime<Utc>,
        cancel: CancellationToken,
    ) -> Execute {
        let request = ExecRequest {
            job_name: order.job.name.clone(),
            execution_id: order.execution_id.clone(),
            nominal_time: order.nominal,
            attempt: order.attempt,
            executor: order.job.executor.clone(),
            config: order.job.executor_config.clone().unwrap_or_default(),
        };
        let context = ProcessorContext {
            job_name: order.job.name.clone(),
            execution_id: order.execution_id.clone(),
            node_name: self.node_name.clone(),
            group: order.nominal.timestamp_nanos_opt().unwrap_or(0),
            attempt: order.attempt,
            started_at,
        };
        let processors = Processors::with_external(
            order.job.processors.as_ref(),
            &context,
            self.external_processors.as_deref(),
        );
        Execute {
            registry: self.registry.clone(),
            limits: self.limits.clone(),
            request,
            timeout: order.job.run_timeout(),
            cancel,
            context,
            processors,
        }
    }
}

impl RunTask {
    /// Runs the executor to its end, then records the result.
    async fn run(self, execute: Execute) {
        let (mut outcome, processors) = self.execute(execute).await;
        let stopped = self.end(outcome.success);
        let stored = stored_output(stopped, std::mem::take(&mut outcome.output));
        let output = process_output(processors, outcome.success, stored).await;
        self.record(&outcome, stopped, output);
    }

    /// Runs the executor, following its output and stopping it when the job's timeout
    /// passes; hands the processors back once the output has ended.
    async fn execute(&self, execute: Execute) -> (ExecOutcome, Processors) {
        let Execute {
            registry,
            limits,
            request,
            timeout,
            cancel,
            context,
            processors,
        } = execute;
        let (live_sender, live) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
        let follow = tokio::spawn(follow_output(
            live,
            self.running.clone(),
            self.key.clone(),
            self.events.clone(),
            processors,
        ));
        let deadline = timeout
            .map(|limit| tokio::spawn(stop_after(limit, self.running.clone(), self.key.clone())));
        let outcome = registry
            .run(request, &limits, Some(live_sender), cancel)
            .await;
        if let Some(deadline) = deadline {
            deadline.abort();
        }
        // The follower ends with the channel and hands the processors back.
        let processors = follow
            .await
            .unwrap_or_else(|_| Processors::new(None, &context));
        (outcome, processors)
    }

    /// Takes the ended run out of the live view, notes it finished and tells whoever
    /// dispatched it; returns why the worker stopped it, if it did.
    fn end(&self, success: bool) -> Option<StopReason> {
        let stopped = self
            .running
            .lock()
            .expect("running map lock is never poisoned")
            .remove(&self.key)
            .and_then(|run| run.stop);
        self.received
            .lock()
            .expect("received lock is never poisoned")
            .finish(&self.key);
        if let Some(events) = &self.events {
            let _dispatcher_may_be_gone = events.send(RunEvent::Finished { success });
        }
        stopped
    }

    /// Queues the run's result; once it is written the run may be forgotten.
    fn record(self, outcome: &ExecOutcome, stopped: Option<StopReason>, output: String) {
        let report = RunReport {
            job: self.order.job.name,
            nominal: self.order.nominal,
            execution_id: self.order.execution_id,
            node_name: self.node_name,
            attempt: self.order.attempt,
            started_at: self.started_at,
            finished_at: Utc::now(),
            success: outcome.success,
            output,
            exit_code: outcome.exit_code,
            killed: outcome.killed || stopped.is_some(),
            no_retry: stopped.is_some_and(StopReason::is_deliberate),
        };
        let received = self.received;
        let key = self.key;
        let written = Box::new(move || {
            received
                .lock()
                .expect("received lock is never poisoned")
                .recorded(&key, std::time::Instant::now());
        });
        self.records.finished(report, written);
    }
}

/// The output to store: the executor's, after a line saying why the worker stopped the run.
fn stored_output(stopped: Option<StopReason>, executor_output: String) -> String {
    match stopped {
        Some(reason) => format!("{}\n{}", reason.line(), executor_output),
        None => executor_output,
    }
}

/// Passes the stored output through the job's processors, which may change it.
async fn process_output(mut processors: Processors, success: bool, stored: String) -> String {
    // Processors may write files or call a log server: off the async threads. Most jobs have
    // none, and a blocking thread per run would only add threads (and allocator arenas) for
    // nothing.
    if processors.is_empty() {
        return stored;
    }
    tokio::task::spawn_blocking(move || processors.finish(success, stored))
        .await
        .unwrap_or_else(|error| format!("dkron-rs: output processors failed: {error}"))
}

/// Stops a run when the job's `timeout` passes (aborted when the run ends first).
async fn stop_after(limit: std::time::Duration, running: RunningRuns, key: RunKey) {
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
    running: RunningRuns,
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
