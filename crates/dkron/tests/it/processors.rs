//! Output processors against the real binary: `files` keeps every byte even when the stored
//! copy is capped, `log` prints the output on the node, `forward` decides what is stored.

use serde_json::json;

use crate::harness::Server;

#[tokio::test]
async fn files_keeps_all_output_and_log_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--max-output-bytes=1000"]).await;
    let log_dir = dir.path().join("job-logs");
    let job = json!({
        "name": "big", "schedule": "@manually", "executor": "shell",
        "executor_config": {"shell": "true", "command": "head -c 5000 /dev/zero | tr '\\\\0' x; echo; echo tail-line"},
        "processors": {
            "files": {"log_dir": log_dir.to_str().unwrap()},
            "log": {"forward": "true"}
        }
    });
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.send("POST", "/v1/jobs/big/run?wait=true", "").await;
    assert_eq!(status, 200, "{body}");

    let executions = server.get_json("/v1/jobs/big/executions").await;
    let execution = &executions[0];
    let id = execution["id"].as_str().unwrap();
    let path = log_dir.join(format!("{id}.log"));
    assert_eq!(
        execution["output"].as_str().unwrap(),
        path.to_str().unwrap(),
        "files does not forward: the stored output is the file's path"
    );
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        written.len(),
        5000 + 1 + "tail-line\n".len(),
        "every byte, past the 1000-byte cap"
    );
    assert!(written.ends_with("\ntail-line\n"));

    let log = server.log();
    assert!(
        log.contains(&format!("----- BEGIN OUTPUT job=big execution={id} -----")),
        "{log}"
    );
    assert!(log.contains("----- END OUTPUT -----"));
}
