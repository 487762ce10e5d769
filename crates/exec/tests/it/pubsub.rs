//! The `gcppubsub` executor against a real gRPC server implementing Google's published
//! `google.pubsub.v1.Publisher` (dkron-testservers' `PubSubServer`), reached as an emulator
//! or, with Application Default Credentials, as Google's endpoint would be.

use std::collections::BTreeMap;
use std::sync::Arc;

use dkron_exec::{
    ExecLimits, ExecOutcome, ExecReport, ExecRequest, Executor, OutputSink, PubSubEnvironment,
    PubSubExecutor, Registry,
};
use dkron_testservers::{PubSubServer, silent_listener};
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::contract::{Fixture, executor_contract_in};
use crate::support::request;

/// Dkron's documented example job.
fn example_job() -> ExecRequest {
    request(
        "gcppubsub",
        &[
            ("project", "project-id"),
            ("topic", "topic-name"),
            ("data", "aGVsbG8gd29ybGQ="),
            ("attributes", r#"{"hello":"world","waka":"paka"}"#),
        ],
    )
}

/// A registry whose `gcppubsub` uses `environment` instead of the process environment.
fn registry_with(environment: PubSubEnvironment) -> Registry {
    let mut registry = Registry::builtin();
    registry.register(
        "gcppubsub",
        Arc::new(PubSubExecutor::with_environment(environment)),
    );
    registry
}

async fn run_in(registry: &Registry, request: ExecRequest) -> ExecOutcome {
    registry
        .run(
            request,
            &ExecLimits::default(),
            None,
            CancellationToken::new(),
        )
        .await
}

#[tokio::test]
async fn dkrons_example_job_is_published_and_outputs_the_message_id() {
    let server = PubSubServer::start().await;
    let registry = registry_with(PubSubEnvironment::emulator(&server.host));
    let outcome = run_in(&registry, example_job()).await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.output, "1001\n");
    let received = server.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].topic, "projects/project-id/topics/topic-name");
    assert_eq!(received[0].data, b"hello world");
    let expected = BTreeMap::from([
        ("hello".to_owned(), "world".to_owned()),
        ("waka".to_owned(), "paka".to_owned()),
    ]);
    assert_eq!(received[0].attributes, expected);
    assert_eq!(
        received[0].authorization, None,
        "an emulator gets no credentials"
    );

    tracing::info!("attributes alone are a message too");
    let only_attributes = request(
        "gcppubsub",
        &[
            ("project", "p"),
            ("topic", "topic-name"),
            ("attributes", r#"{"k":"v"}"#),
        ],
    );
    let outcome = run_in(&registry, only_attributes).await;
    assert_eq!(outcome.output, "1002\n");
    assert_eq!(server.received()[1].data, b"");
}

#[tokio::test]
async fn a_refused_publish_fails_with_gos_grpc_status_text() {
    let server = PubSubServer::start().await;
    let registry = registry_with(PubSubEnvironment::emulator(&server.host));
    let missing = request(
        "gcppubsub",
        &[("project", "p"), ("topic", "missing"), ("data", "eA==")],
    );
    let outcome = run_in(&registry, missing).await;
    assert!(!outcome.success);
    assert_eq!(
        outcome.output,
        "rpc error: code = NotFound desc = Resource not found (resource=missing).\n"
    );

    tracing::info!("nothing listening: Unavailable, quickly");
    let nobody = format!("127.0.0.1:{}", dkron_testservers::free_port());
    let outcome = run_in(
        &registry_with(PubSubEnvironment::emulator(nobody)),
        example_job(),
    )
    .await;
    assert!(!outcome.success);
    assert!(
        outcome
            .output
            .starts_with("rpc error: code = Unavailable desc = "),
        "{}",
        outcome.output
    );
}

#[tokio::test]
async fn bad_configs_are_refused_at_their_key_and_fail_a_run_alone() {
    let registry = Registry::builtin();
    for (config, key) in [
        (vec![("topic", "topic-name"), ("data", "eA==")], "project"),
        (vec![("project", "p"), ("data", "eA==")], "topic"),
        (vec![("project", "p"), ("topic", "topic-name")], "data"),
        (
            vec![("project", "p"), ("topic", "topic-name"), ("data", "@@")],
            "data",
        ),
        (
            vec![
                ("project", "p"),
                ("topic", "topic-name"),
                ("attributes", "[1]"),
            ],
            "attributes",
        ),
        (
            vec![("project", "p"), ("topic", "no"), ("data", "eA==")],
            "topic",
        ),
    ] {
        let job = request("gcppubsub", &config);
        let fault = registry.check_config("gcppubsub", &job.config).unwrap_err();
        assert_eq!(fault.key, key, "{config:?}");
        assert_eq!(fault.field(), format!("executor_config.{key}"));
    }
    let outcome = run_in(&registry, request("gcppubsub", &[("topic", "topic-name")])).await;
    assert_eq!(outcome.output, "missing project\n");
    assert!(
        registry
            .check_config("gcppubsub", &example_job().config)
            .is_ok()
    );
}

#[tokio::test]
async fn gcppubsub_keeps_the_executor_contract() {
    let server = PubSubServer::start().await;
    let silent = silent_listener().await;
    // The contract runs everything through one registry; its gcppubsub sends the project
    // `silent` to a listener that never answers, and every other to the real server.
    let mut registry = Registry::builtin();
    let by_project = ByProject {
        silent: PubSubExecutor::with_environment(PubSubEnvironment::emulator(silent.to_string())),
        answering: PubSubExecutor::with_environment(PubSubEnvironment::emulator(&server.host)),
    };
    registry.register("gcppubsub", Arc::new(by_project));
    let mut hanging = example_job();
    hanging
        .config
        .insert("project".to_owned(), "silent".to_owned());
    let fixture = Fixture {
        succeeding: example_job(),
        chatty: false,
        long_running: hanging,
        misconfigured: request("gcppubsub", &[("project", "p"), ("topic", "topic-name")]),
        keep_alive: vec![Box::new(server)],
    };
    executor_contract_in(&registry, "gcppubsub", fixture).await;
}

/// Two gcppubsub executors behind one name, chosen by the job's project.
struct ByProject {
    silent: PubSubExecutor,
    answering: PubSubExecutor,
}

impl Executor for ByProject {
    fn run<'run>(
        &'run self,
        request: &'run ExecRequest,
        output: &'run mut OutputSink,
        cancel: &'run CancellationToken,
    ) -> BoxFuture<'run, ExecReport> {
        let chosen = match request.config.get("project").map(String::as_str) {
            Some("silent") => &self.silent,
            _ => &self.answering,
        };
        chosen.run(request, output, cancel)
    }
}
