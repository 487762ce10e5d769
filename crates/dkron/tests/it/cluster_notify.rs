//! Notifications across a leader change, on a 3-server cluster of real processes: a webhook
//! the leader could not finish sending is sent by the next leader.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::cluster_harness::Cluster;
use crate::notify::{Received, bodies, listen_scripted};

/// Waits for the `n`th webhook call (from 1) and returns its body.
async fn nth_webhook(
    cluster: &Cluster,
    received: &Arc<Mutex<Vec<Received>>>,
    n: usize,
    limit: Duration,
) -> String {
    let what = format!("webhook call {n} arrives");
    cluster
        .wait_until(&what, limit, |_| {
            let count = bodies(received, "/hook").len();
            async move { count >= n }
        })
        .await;
    bodies(received, "/hook")[n - 1].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_cut_short_by_a_leader_crash_is_sent_by_the_next_leader() {
    // The endpoint hangs on its first call, so the leader is mid-send when it dies.
    let (base, received) = listen_scripted(1, 0).await;
    let dir = tempfile::tempdir().unwrap();
    let hook = format!("--webhook-endpoint={base}/hook");
    let mut cluster = Cluster::start_with(
        dir.path(),
        3,
        &[],
        &[
            &hook,
            "--webhook-payload={{.JobName}} {{.ReportingNode}} {{.Success}} {{.ExecutionID}}",
        ],
    )
    .await;
    let handle = cluster.clone_handle();
    let job = json!({
        "name": "report",
        "schedule": "@manually",
        "executor": "shell",
        "executor_config": {"command": "echo done"},
        "tags": {"server": "true:1"},
    });
    handle.create_job(handle.ports[0], &job).await;
    // Reads are local (as in Dkron): another server knows the job once it applied the write.
    let seen_at = format!("http://127.0.0.1:{}/v1/jobs/report", handle.ports[1]);
    cluster
        .wait_until(
            "a second server has the job",
            Duration::from_secs(10),
            |c| {
                let client = c.clone_handle().client;
                let url = seen_at.clone();
                async move {
                    let response = client.get(&url).send().await;
                    response.is_ok_and(|response| response.status() == 200)
                }
            },
        )
        .await;
    let (status, body) = handle
        .post(handle.ports[1], "/v1/jobs/report/run", "")
        .await;
    assert_eq!(status, 202, "{body}");

    let first = nth_webhook(&cluster, &received, 1, Duration::from_secs(30)).await;
    let words: Vec<&str> = first.split(' ').collect();
    if (words[0], words[2]) != ("report", "true") {
        let executions = handle.get_json_any("/v1/jobs/report/executions").await;
        panic!(
            "the first report says {first}\nexecutions: {executions:?}\n{}",
            cluster.log_tails(120)
        );
    }
    let sender = words[1].to_string();
    tracing::info!(%sender, "the webhook call hangs; SIGKILL its sender");
    let index = cluster.index_of(&sender);
    cluster.nodes[index].kill();

    let second = nth_webhook(&cluster, &received, 2, Duration::from_secs(60)).await;
    let words: Vec<&str> = second.split(' ').collect();
    assert_eq!((words[0], words[2]), ("report", "true"), "{second}");
    assert_ne!(words[1], sender, "sent by the next leader: {second}");
    let first_id = first.split(' ').nth(3).unwrap();
    assert_eq!(words[3], first_id, "the same execution: {first} / {second}");
    assert!(first_id.contains("-server"), "an execution id: {first}");

    // Answered and acknowledged: nobody sends it again, not even the old leader restarted.
    cluster.restart(index);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let all = bodies(&received, "/hook");
    assert_eq!(all.len(), 2, "{all:?}");
}
