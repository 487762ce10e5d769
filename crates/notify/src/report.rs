//! The notification report and times exactly as Dkron writes them.

use chrono::{DateTime, Utc};
use dkron_model::Execution;

/// Go's default `time.Time` format for a UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC`
/// (the fraction without trailing zeros, none at all on a whole second).
pub fn go_time(time: &DateTime<Utc>) -> String {
    let nanos = time.timestamp_subsec_nanos();
    let fraction = if nanos == 0 {
        String::new()
    } else {
        format!(".{nanos:09}").trim_end_matches('0').to_string()
    };
    format!("{}{fraction} +0000 UTC", time.format("%Y-%m-%d %H:%M:%S"))
}

/// Dkron's `{{.Report}}`: the execution, then one line per execution of its group.
pub fn report(execution: &Execution, reporting_node: &str, group: &[Execution]) -> String {
    let mut text = format!(
        "Executed: {}\nReporting node: {}\nStart time: {}\nEnd time: {}\nSuccess: {}\nNode: {}\nOutput: {}\nExecution group: {}\n",
        execution.job_name,
        reporting_node,
        go_time(&execution.started_at),
        go_time(&execution.finished_at),
        execution.success,
        execution.node_name,
        execution.output,
        execution.group,
    );
    for member in group {
        text.push_str(&format!(
            "\t[Node]: {} [Start]: {} [End]: {} [Success]: {}\n",
            member.node_name,
            go_time(&member.started_at),
            go_time(&member.finished_at),
            member.success
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_go_times() {
        let time: DateTime<Utc> = "2026-01-02T03:04:05.5Z".parse().expect("valid");
        assert_eq!(go_time(&time), "2026-01-02 03:04:05.5 +0000 UTC");
        let whole: DateTime<Utc> = "2026-01-02T03:04:05Z".parse().expect("valid");
        assert_eq!(go_time(&whole), "2026-01-02 03:04:05 +0000 UTC");
    }

    #[test]
    fn writes_dkrons_report() {
        let execution = Execution {
            job_name: "backup".into(),
            started_at: "2026-01-02T03:04:05Z".parse().expect("valid"),
            finished_at: "2026-01-02T03:04:06Z".parse().expect("valid"),
            success: true,
            output: "done\n".into(),
            node_name: "n1".into(),
            group: 42,
            ..Execution::default()
        };
        let text = report(&execution, "s1", std::slice::from_ref(&execution));
        assert_eq!(
            text,
            "Executed: backup\nReporting node: s1\nStart time: 2026-01-02 03:04:05 +0000 UTC\n\
             End time: 2026-01-02 03:04:06 +0000 UTC\nSuccess: true\nNode: n1\nOutput: done\n\n\
             Execution group: 42\n\t[Node]: n1 [Start]: 2026-01-02 03:04:05 +0000 UTC \
             [End]: 2026-01-02 03:04:06 +0000 UTC [Success]: true\n"
        );
    }
}
