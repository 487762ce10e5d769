//! The shell executor: commands, exit codes, environment, working directory, stdin, users.

use crate::support::{own_uid, run, shell};

#[tokio::test]
async fn success_records_exit_code_zero_and_output() {
    tracing::info!("a plain command without a shell");
    let outcome = run(shell(&[("command", "echo hello world")])).await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.exit_code, Some(0));
    assert_eq!(outcome.output, "hello world\n");
    assert!(!outcome.killed);
    assert!(!outcome.output_truncated);
}

#[tokio::test]
async fn failure_puts_the_exit_status_first() {
    let outcome = run(shell(&[
        ("command", "echo oops; exit 3"),
        ("shell", "true"),
    ]))
    .await;
    assert!(!outcome.success);
    assert_eq!(outcome.exit_code, Some(3));
    assert_eq!(outcome.output, "exit status 3\noops\n");
    assert!(!outcome.killed);
}

#[tokio::test]
async fn stdout_and_stderr_share_the_output() {
    let outcome = run(shell(&[
        ("command", "echo out; sleep 0.1; echo err >&2"),
        ("shell", "1"),
    ]))
    .await;
    assert_eq!(outcome.output, "out\nerr\n");
}

#[tokio::test]
async fn a_signal_death_reads_like_go() {
    let outcome = run(shell(&[("command", "kill -9 $$"), ("shell", "true")])).await;
    assert!(!outcome.success);
    assert_eq!(outcome.exit_code, None);
    assert_eq!(outcome.output, "signal: killed\n");
    assert!(!outcome.killed, "the job killed itself; we did not");
}

#[tokio::test]
async fn without_shell_arguments_are_passed_literally() {
    let outcome = run(shell(&[("command", r#"printf "%s|%s" "a b" '$HOME;x'"#)])).await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.output, "a b|$HOME;x");
}

#[tokio::test]
async fn with_shell_the_line_is_interpreted() {
    let outcome = run(shell(&[
        ("command", "echo $((1 + 2)) && echo done | tr a-z A-Z"),
        ("shell", "True"),
    ]))
    .await;
    assert_eq!(outcome.output, "3\nDONE\n");
}

#[tokio::test]
async fn shell_syntax_without_shell_is_refused_not_truncated() {
    tracing::info!("Dkron would silently run only `date`; we refuse");
    let outcome = run(shell(&[("command", "date && echo x")])).await;
    assert!(!outcome.success);
    assert!(
        outcome.output.contains("set \"shell\": \"true\""),
        "{}",
        outcome.output
    );
}

#[tokio::test]
async fn missing_command_and_missing_binary() {
    let missing = run(shell(&[("command", "")])).await;
    assert_eq!(missing.output, "shell: Command missing\n");
    let not_found = run(shell(&[("command", "definitely-not-a-command-xyz --flag")])).await;
    assert!(!not_found.success);
    assert_eq!(
        not_found.output,
        "exec: \"definitely-not-a-command-xyz\": executable file not found in $PATH\n"
    );
    let bad_path = run(shell(&[("command", "/nonexistent/tool")])).await;
    assert_eq!(
        bad_path.output,
        "fork/exec /nonexistent/tool: no such file or directory\n"
    );
}

#[tokio::test]
async fn environment_is_inherited_plus_env_and_dkron_variables() {
    let script = "echo \"$FOO|$BAR|$ENV_JOB_NAME|$DKRON_JOB_NAME|$DKRON_EXECUTION_ID|\
                  $DKRON_NOMINAL_TIME\"; test -n \"$PATH\" && echo inherited";
    let outcome = run(shell(&[
        ("command", script),
        ("shell", "true"),
        ("env", "FOO=1,BAR=a=b,DKRON_JOB_NAME=spoofed"),
    ]))
    .await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(
        outcome.output,
        "1|a=b|test-job|test-job|1766225730401122334-node1|2025-12-20T10:15:30Z\ninherited\n"
    );
}

#[tokio::test]
async fn malformed_env_entries_are_reported_and_skipped() {
    let outcome = run(shell(&[("command", "echo ok"), ("env", "NOEQUALS,GOOD=1")])).await;
    assert!(outcome.success);
    assert_eq!(
        outcome.output,
        "shell: ignoring env entry \"NOEQUALS\": expected KEY=VALUE\nok\n"
    );
}

#[tokio::test]
async fn cwd_sets_the_working_directory() {
    let directory = tempfile::tempdir().unwrap();
    let expected = directory.path().canonicalize().unwrap();
    let outcome = run(shell(&[
        ("command", "pwd -P"),
        ("shell", "true"),
        ("cwd", directory.path().to_str().unwrap()),
    ]))
    .await;
    assert_eq!(outcome.output.trim_end(), expected.to_str().unwrap());

    let missing = run(shell(&[("command", "pwd"), ("cwd", "/nonexistent/dir")])).await;
    assert!(!missing.success);
    assert_eq!(
        missing.output,
        "chdir /nonexistent/dir: no such file or directory\n"
    );
}

#[tokio::test]
async fn payload_goes_to_stdin_which_is_then_closed() {
    // "hello stdin\n" in base64.
    let outcome = run(shell(&[
        ("command", "cat"),
        ("payload", "aGVsbG8gc3RkaW4K"),
    ]))
    .await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.output, "hello stdin\n");

    let without_payload = run(shell(&[("command", "cat")])).await;
    assert!(
        without_payload.success,
        "stdin is /dev/null, cat must not hang"
    );
    assert_eq!(without_payload.output, "");

    let invalid = run(shell(&[("command", "cat"), ("payload", "%%%")])).await;
    assert!(!invalid.success);
    assert!(
        invalid
            .output
            .starts_with("shell: payload is not valid base64"),
        "{}",
        invalid.output
    );
}

#[tokio::test]
async fn su_runs_as_the_given_user() {
    let uid = own_uid();
    let outcome = run(shell(&[("command", "id -u"), ("su", &uid.to_string())])).await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.output.trim(), uid.to_string());

    if uid == 0 {
        tracing::info!("running as root: switch to nobody for real");
        let nobody = run(shell(&[("command", "id -u"), ("su", "nobody")])).await;
        assert!(nobody.success, "{nobody:?}");
        assert_eq!(nobody.output.trim(), "65534");
    }

    let unknown = run(shell(&[("command", "id"), ("su", "no-such-user-xyz")])).await;
    assert_eq!(
        unknown.output,
        "shell: su: unknown user \"no-such-user-xyz\"\n"
    );
}

#[tokio::test]
async fn invalid_timeout_and_mem_limit_fail_the_run() {
    let timeout = run(shell(&[("command", "true"), ("timeout", "soon")])).await;
    assert!(!timeout.success);
    assert!(timeout.output.starts_with("shell: invalid timeout"));
    let memory = run(shell(&[("command", "true"), ("mem_limit", "-5")])).await;
    assert!(!memory.success);
    assert!(memory.output.starts_with("shell: invalid mem_limit"));
}
