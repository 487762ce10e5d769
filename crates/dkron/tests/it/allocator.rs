//! The agent restarts itself once with one glibc malloc arena; its jobs never see that.

use crate::harness::Server;

const ENV_JOB: &str = r#"{"name":"show-env","schedule":"@manually","executor":"shell","executor_config":{"command":"env"}}"#;

#[tokio::test]
async fn the_agent_runs_with_one_arena_and_its_jobs_inherit_the_environment_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let environ = std::fs::read(format!("/proc/{}/environ", server.pid())).unwrap();
    let environ = String::from_utf8_lossy(&environ);
    assert!(
        environ
            .split('\0')
            .any(|entry| entry == "DKRON_RS_ORIGINAL_GLIBC_TUNABLES="),
        "the agent restarted itself with the arena tunable: {environ}"
    );

    assert_eq!(server.send("POST", "/v1/jobs", ENV_JOB).await.0, 201);
    let (status, body) = server
        .send("POST", "/v1/jobs/show-env/run?wait=true", "")
        .await;
    assert_eq!(status, 200, "with wait=true the run has ended: {body}");
    let executions = server.get_json("/v1/jobs/show-env/executions").await;
    let output = executions[0]["output"].as_str().unwrap();
    assert!(
        output.contains("PATH="),
        "the job printed its environment: {output}"
    );
    assert!(!output.contains("GLIBC_TUNABLES"), "{output}");
    assert!(
        !output.contains("DKRON_RS_ORIGINAL_GLIBC_TUNABLES"),
        "{output}"
    );
}
