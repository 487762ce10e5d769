//! The shell executor's limits: timeout, memory, cancellation, output cap, live streaming, and
//! killing the whole process group.

use std::time::{Duration, Instant};

use dkron_exec::{ExecLimits, Registry};
use tokio_util::sync::CancellationToken;

use crate::support::{first_pid, process_alive, receive_until, run, shell, wait_for};

/// Prints the pid of a background grandchild, then waits; both hold the output pipe.
const PARENT_WITH_GRANDCHILD: &str = "sleep 1000 & echo $!; sleep 1000";

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    tracing::info!("a job whose background child would outlive its shell");
    let started = Instant::now();
    let outcome = run(shell(&[
        ("command", PARENT_WITH_GRANDCHILD),
        ("shell", "true"),
        ("timeout", "1s"),
    ]))
    .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!outcome.success);
    assert!(outcome.killed);
    assert_eq!(outcome.exit_code, None);
    assert!(
        outcome.output.starts_with("signal: killed\n"),
        "{}",
        outcome.output
    );
    let notice = format!(
        "shell: Job '{PARENT_WITH_GRANDCHILD}' execution time exceeding defined timeout 1s. \
         Job was killed\n"
    );
    assert!(outcome.output.ends_with(&notice), "{}", outcome.output);

    tracing::info!("the grandchild must be gone too");
    let grandchild = first_pid(&outcome.output);
    wait_for("the grandchild to die", Duration::from_secs(5), || {
        !process_alive(grandchild)
    })
    .await;
}

#[tokio::test]
async fn mem_limit_kills_a_memory_hog() {
    tracing::info!("tail keeps 100 MiB without a newline in memory until its input closes");
    let command = "(head -c 100M /dev/zero; sleep 60) | tail -n 1";
    let started = Instant::now();
    let outcome = run(shell(&[
        ("command", command),
        ("shell", "true"),
        ("mem_limit", "20MB"),
        ("timeout", "50s"),
    ]))
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "killed by memory, not timeout"
    );
    assert!(!outcome.success);
    assert!(outcome.killed);
    assert!(
        outcome.output.starts_with("signal: killed\n"),
        "{}",
        outcome.output
    );
    assert!(
        outcome
            .output
            .contains("bytes) exceeding defined limit (20971520 bytes). Job was killed"),
        "{}",
        outcome.output
    );
}

#[tokio::test]
async fn cancellation_kills_the_group() {
    let (live_sender, mut live) = tokio::sync::mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let run = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            Registry::builtin()
                .run(
                    shell(&[("command", PARENT_WITH_GRANDCHILD), ("shell", "true")]),
                    &ExecLimits::default(),
                    Some(live_sender),
                    cancel,
                )
                .await
        }
    });
    let printed = receive_until(&mut live, "\n").await;
    let grandchild = first_pid(&printed);
    assert!(process_alive(grandchild));

    tracing::info!("cancel while both processes run");
    cancel.cancel();
    let outcome = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("run ends soon after cancellation")
        .unwrap();
    assert!(!outcome.success);
    assert!(outcome.killed);
    assert!(
        outcome
            .output
            .contains("execution cancelled. Job was killed")
    );
    wait_for("the grandchild to die", Duration::from_secs(5), || {
        !process_alive(grandchild)
    })
    .await;
}

#[tokio::test]
async fn cancellation_after_the_main_process_exited_still_kills_the_group() {
    tracing::info!("the shell exits at once; its background child keeps the output open");
    let (live_sender, mut live) = tokio::sync::mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let run = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            Registry::builtin()
                .run(
                    shell(&[("command", "sleep 1000 & echo $!"), ("shell", "true")]),
                    &ExecLimits::default(),
                    Some(live_sender),
                    cancel,
                )
                .await
        }
    });
    let grandchild = first_pid(&receive_until(&mut live, "\n").await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!run.is_finished(), "the output is still open");
    cancel.cancel();
    let outcome = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("run ends soon after cancellation")
        .unwrap();
    assert!(!outcome.success);
    assert!(outcome.killed);
    wait_for("the grandchild to die", Duration::from_secs(5), || {
        !process_alive(grandchild)
    })
    .await;
}

#[tokio::test]
async fn dropping_the_run_kills_the_group() {
    let (live_sender, mut live) = tokio::sync::mpsc::unbounded_channel();
    let run = tokio::spawn(async move {
        Registry::builtin()
            .run(
                shell(&[("command", PARENT_WITH_GRANDCHILD), ("shell", "true")]),
                &ExecLimits::default(),
                Some(live_sender),
                CancellationToken::new(),
            )
            .await
    });
    let grandchild = first_pid(&receive_until(&mut live, "\n").await);
    run.abort();
    wait_for("the grandchild to die", Duration::from_secs(5), || {
        !process_alive(grandchild)
    })
    .await;
}

#[tokio::test]
async fn background_children_that_closed_their_output_are_left_alone() {
    let outcome = run(shell(&[
        ("command", "sleep 1000 >/dev/null 2>&1 & echo $!"),
        ("shell", "true"),
    ]))
    .await;
    assert!(outcome.success, "{outcome:?}");
    let daemon = first_pid(&outcome.output);
    assert!(
        process_alive(daemon),
        "a finished run does not kill detached children"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
}

#[tokio::test]
async fn output_cap_keeps_the_tail() {
    let limits = ExecLimits {
        output_cap_bytes: 1000,
    };
    let (live_sender, mut live) = tokio::sync::mpsc::unbounded_channel();
    let outcome = Registry::builtin()
        .run(
            shell(&[("command", "seq 1 100000")]),
            &limits,
            Some(live_sender),
            CancellationToken::new(),
        )
        .await;
    assert!(outcome.success);
    assert!(outcome.output_truncated);
    assert!(outcome.output.len() <= 1000);
    assert!(outcome.output.ends_with("99999\n100000\n"));

    tracing::info!("the live stream still saw every byte");
    let mut streamed = 0;
    while let Some(chunk) = live.recv().await {
        streamed += chunk.len();
    }
    assert_eq!(streamed, 588_895, "bytes printed by seq 1 100000");
}

#[tokio::test]
async fn failed_output_keeps_the_error_line_within_the_cap() {
    let limits = ExecLimits {
        output_cap_bytes: 100,
    };
    let outcome = Registry::builtin()
        .run(
            shell(&[("command", "seq 1 1000; exit 4"), ("shell", "true")]),
            &limits,
            None,
            CancellationToken::new(),
        )
        .await;
    assert!(outcome.output.starts_with("exit status 4\n"));
    assert!(outcome.output.ends_with("999\n1000\n"));
    assert!(outcome.output.len() <= 100);
    assert!(outcome.output_truncated);
}

#[tokio::test]
async fn live_chunks_arrive_before_completion() {
    let (live_sender, mut live) = tokio::sync::mpsc::unbounded_channel();
    let run = tokio::spawn(async move {
        Registry::builtin()
            .run(
                shell(&[
                    ("command", "echo first; sleep 2; echo second"),
                    ("shell", "true"),
                ]),
                &ExecLimits::default(),
                Some(live_sender),
                CancellationToken::new(),
            )
            .await
    });
    let seen = receive_until(&mut live, "first\n").await;
    assert!(!seen.contains("second"));
    assert!(
        !run.is_finished(),
        "the first chunk arrived while the job still ran"
    );
    let outcome = run.await.unwrap();
    assert_eq!(outcome.output, "first\nsecond\n");
}
