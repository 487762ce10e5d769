//! The `grpc` executor: one unary call to a method found by server reflection, with a JSON
//! body, checked against `expectCode`. Unlike Dkron, whose output is always empty, the
//! response message is the output, as one line of JSON.

mod call;
mod codec;
mod codes;
mod config;
mod error;
mod reflection;

use std::collections::BTreeMap;
use std::time::Duration;

use dkron_model::ConfigFault;
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

pub use config::{GrpcConfig, GrpcHeader, GrpcTarget};
pub use error::{GrpcCallError, GrpcConfigError};

use crate::executor::{Ended, run_bounded};
use crate::{ExecReport, ExecRequest, Executor, OutputSink};
use call::Answer;
use codes::{code_mismatch, go_code_name};

/// Calls a gRPC method per run (Dkron's `grpc` executor).
#[derive(Debug, Default)]
pub struct GrpcExecutor;

impl GrpcExecutor {
    /// Returns a grpc executor.
    pub fn new() -> Self {
        GrpcExecutor
    }
}

enum Interrupted {
    Failed(GrpcCallError),
    TimedOut(Duration),
    Cancelled,
}

async fn run_call(
    request: &ExecRequest,
    output: &mut OutputSink,
    cancel: &CancellationToken,
) -> ExecReport {
    let config = match GrpcConfig::from_map(&request.config) {
        Ok(config) => config,
        Err(error) => return ExecReport::failed(error.to_string()),
    };
    let deadline = config
        .timeout
        .and_then(|timeout| tokio::time::Instant::now().checked_add(timeout));
    let exchange = async {
        match call::call(&config, deadline).await {
            // tonic enforces the deadline it sends, and may notice it first: still our timeout.
            Ok(Answer::Status { code, .. })
                if is_deadline_status(code) && deadline_passed(deadline) =>
            {
                Err(Interrupted::TimedOut(config.timeout.unwrap_or_default()))
            }
            Ok(answer) => Ok(answer),
            Err(error) => Err(Interrupted::Failed(error)),
        }
    };
    // A run cancelled before it started sends nothing.
    let result = match run_bounded(cancel, config.timeout, exchange).await {
        Ended::Done(result) => result,
        Ended::TimedOut(limit) => Err(Interrupted::TimedOut(limit)),
        Ended::Cancelled => Err(Interrupted::Cancelled),
    };
    report_result(result, &config, output)
}

/// Turns the outcome of the call, its timeout and the token into the run's report.
fn report_result(
    result: Result<Answer, Interrupted>,
    config: &GrpcConfig,
    output: &mut OutputSink,
) -> ExecReport {
    let target = &config.target;
    match result {
        Ok(answer) => report_answer(answer, config, output),
        Err(Interrupted::Failed(error)) => ExecReport::failed(error.to_string()),
        Err(Interrupted::TimedOut(timeout)) => ExecReport::killed(format!(
            "grpc: call to {}/{}/{} timed out after {}s",
            target.address,
            target.service,
            target.method,
            timeout.as_secs()
        )),
        Err(Interrupted::Cancelled) => ExecReport::killed("grpc: call cancelled"),
    }
}

fn is_deadline_status(code: tonic::Code) -> bool {
    matches!(code, tonic::Code::Cancelled | tonic::Code::DeadlineExceeded)
}

fn deadline_passed(deadline: Option<tokio::time::Instant>) -> bool {
    deadline.is_some_and(|deadline| tokio::time::Instant::now() >= deadline)
}

/// Writes what the server answered and compares its status with `expectCode`.
fn report_answer(answer: Answer, config: &GrpcConfig, output: &mut OutputSink) -> ExecReport {
    let code = match answer {
        Answer::Message(json) => {
            output.write_line(&json);
            tonic::Code::Ok
        }
        Answer::Status { code, message } if message.is_empty() => {
            output.write_line(go_code_name(code));
            code
        }
        Answer::Status { code, message } => {
            output.write_line(&format!("{}: {}", go_code_name(code), message));
            code
        }
    };
    if code == config.expect_code {
        ExecReport::success(None)
    } else {
        ExecReport::failed(code_mismatch(code, config.expect_code))
    }
}

impl Executor for GrpcExecutor {
    fn run<'run>(
        &'run self,
        request: &'run ExecRequest,
        output: &'run mut OutputSink,
        cancel: &'run CancellationToken,
    ) -> BoxFuture<'run, ExecReport> {
        run_call(request, output, cancel).boxed()
    }

    fn check_config(&self, config: &BTreeMap<String, String>) -> Result<(), ConfigFault> {
        GrpcConfig::from_map(config)
            .map(|_| ())
            .map_err(|error| error.to_fault())
    }
}
