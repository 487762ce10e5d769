//! The jobs under test and the lines their runs append. Pure: the job set comes from the seed.

use std::path::Path;

use serde_json::{Value, json};

use crate::api::parse_time;
use crate::check::{FileLine, JobShape};
use crate::rng::Rng;

/// Prefix of the scheduled jobs under test.
pub const JOB_PREFIX: &str = "chaos-job-";

/// A scheduled job of the suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedJob {
    pub shape: JobShape,
    /// Target tags, `None` for every node.
    pub tags: Option<(String, String)>,
}

/// `count` jobs at `@every 1s`–`5s`, a mix of targets: one agent, one server, both agents (`pool=agents`; `role` is
/// reserved),
/// every server, every node.
pub fn job_plan(seed: u64, count: usize) -> Vec<PlannedJob> {
    let mut rng = Rng::new(seed ^ 0x6a6f_6273);
    (0..count)
        .map(|index| {
            let tags = match index % 10 {
                0..=2 | 8 => Some(("pool", "agents:1")),
                3..=5 => Some(("server", "true:1")),
                6 => Some(("pool", "agents")),
                7 => Some(("server", "true")),
                _ => None,
            };
            PlannedJob {
                shape: JobShape {
                    name: format!("{JOB_PREFIX}{index:03}"),
                    period_secs: rng.between(1, 5) as i64,
                    single_node: tags.is_some_and(|(_, value)| value.ends_with(":1")),
                },
                tags: tags.map(|(key, value)| (key.to_string(), value.to_string())),
            }
        })
        .collect()
}

/// The shell command every run executes: one line with what it is and where it ran. One
/// short `echo >>` is a single append, so concurrent runs never interleave their lines.
fn append_command(out_file: &Path) -> String {
    format!(
        "echo \"$DKRON_JOB_NAME $DKRON_NOMINAL_TIME $CHAOS_NODE $DKRON_EXECUTION_ID\" >> {}",
        out_file.display()
    )
}

/// The job as the API takes it.
pub fn job_json(job: &PlannedJob, out_file: &Path, disabled: bool) -> Value {
    let tags = match &job.tags {
        Some((key, value)) => json!({ key: value }),
        None => json!({}),
    };
    json!({
        "name": job.shape.name,
        "schedule": format!("@every {}s", job.shape.period_secs),
        "executor": "shell",
        "executor_config": { "shell": "true", "command": append_command(out_file) },
        "tags": tags,
        "disabled": disabled,
    })
}

/// Parses the outside file; lines that do not parse are returned apart (a torn or foreign
/// line is itself worth reporting).
pub fn parse_lines(text: &str) -> (Vec<FileLine>, Vec<String>) {
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    for raw in text.lines().filter(|raw| !raw.trim().is_empty()) {
        match parse_line(raw) {
            Some(line) => lines.push(line),
            None => bad.push(raw.to_string()),
        }
    }
    (lines, bad)
}

fn parse_line(raw: &str) -> Option<FileLine> {
    let fields: Vec<&str> = raw.split(' ').collect();
    let [job, nominal, node, execution_id] = fields.as_slice() else {
        return None;
    };
    Some(FileLine {
        job: job.to_string(),
        nominal: parse_time(nominal).ok()?,
        node: node.to_string(),
        execution_id: execution_id.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_set_is_seeded_mixed_and_in_range() {
        let jobs = job_plan(11, 52);
        assert_eq!(jobs, job_plan(11, 52));
        assert!(
            jobs.iter()
                .all(|job| (1..=5).contains(&job.shape.period_secs))
        );
        assert!(jobs.iter().any(|job| job.shape.single_node));
        assert!(jobs.iter().any(|job| job.tags.is_none()));
        assert!(
            jobs.iter()
                .any(|job| job.tags == Some(("pool".into(), "agents".into())))
        );
    }

    #[test]
    fn a_line_parses_and_a_torn_line_is_set_apart() {
        let text = "chaos-job-001 2026-12-06T21:00:01Z a1 1796590801000000000-a1\n\
                    chaos-job-001 2026-12-06T21:00\n";
        let (lines, bad) = parse_lines(text);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].node, "a1");
        assert_eq!(lines[0].nominal.to_rfc3339(), "2026-12-06T21:00:01+00:00");
        assert_eq!(bad, vec!["chaos-job-001 2026-12-06T21:00".to_string()]);
    }
}
