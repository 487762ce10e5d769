//! Tests of `encode.rs`: the exposition of a scrape, line by line.

use dkron_cluster::{DiskStatus, RaftStatus, SpaceLevel};
use dkron_model::Job;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::registry::Registry;

use super::*;
use crate::metrics::completeness::Tally;
use crate::metrics::figures::{Bounded, MemberCounts};

fn render(collector: impl Collector) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(collector));
    let mut text = String::new();
    prometheus_text::encode(&mut text, &registry).expect("a String takes any text");
    text
}

fn stored(name: &str, status: &str, succeeded: i64, failed: i64) -> StoredJob {
    StoredJob::new(
        Job {
            name: name.into(),
            status: status.into(),
            success_count: succeeded,
            error_count: failed,
            ..Job::default()
        },
        None,
        None,
    )
}

fn figures(jobs: Vec<StoredJob>) -> ScrapeFigures {
    let tally = Tally {
        expected: 4,
        recorded: 3,
    };
    ScrapeFigures {
        jobs,
        completeness: (vec![("a\"b\\c\nd".to_string(), tally)], tally),
        raft: RaftStatus {
            term: 2,
            last_log_index: 10,
            last_applied_index: 9,
            leader_known: true,
            is_leader: true,
            voters: 1,
        },
        disk: DiskStatus {
            free_bytes: 1_000,
            total_bytes: 20 << 20,
            low_below: 2 << 20,
            full_below: 2 << 20,
            level: SpaceLevel::Full,
            problem: Some("the data volume is full".to_string()),
        },
        members: MemberCounts::from([(("server", "alive"), 1), (("agent", "alive"), 0)]),
        paused: false,
        notifications_pending: 0,
        notifications_dropped: 7,
        running_executions: 1,
        scheduler: None,
        bounds: BoundFigures {
            structures: [Bounded {
                structure: "rpc_peer_channels",
                entries: 1,
                limit: 8,
            }; 3],
            remembered_runs: 5,
        },
    }
}

/// The lines of the families whose name starts with `prefix`, `# HELP` and `# TYPE`
/// included.
fn lines_of(text: &str, prefix: &str) -> Vec<String> {
    text.lines()
        .filter(|line| {
            let name = line
                .strip_prefix("# HELP ")
                .or_else(|| line.strip_prefix("# TYPE "))
                .unwrap_or(line);
            name.starts_with(prefix)
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn writes_jobs_with_counters_named_as_scraped_and_escaped_labels() {
    let jobs = vec![stored("tick", "success", 3, 0), stored("new", "", 0, 0)];
    let text = render(Scrape {
        figures: figures(jobs),
        metrics: Arc::new(Metrics::default()),
    });
    assert!(text.starts_with(
        "# HELP dkron_jobs Jobs by the status of their last run.\n\
         # TYPE dkron_jobs gauge\n\
         dkron_jobs{status=\"failed\"} 0\n\
         dkron_jobs{status=\"partially_failed\"} 0\n\
         dkron_jobs{status=\"success\"} 1\n\
         dkron_jobs{status=\"untriggered\"} 1\n\
         # HELP dkron_jobs_disabled Disabled jobs.\n\
         # TYPE dkron_jobs_disabled gauge\n\
         dkron_jobs_disabled 0\n\
         # HELP dkron_job_executions_succeeded_total Successful executions per job (Dkron's name; reset when its history is deleted).\n\
         # TYPE dkron_job_executions_succeeded_total counter\n\
         dkron_job_executions_succeeded_total{job_name=\"tick\"} 3\n\
         dkron_job_executions_succeeded_total{job_name=\"new\"} 0\n"
    ));
    assert_eq!(
        lines_of(&text, "dkron_ledger_completeness"),
        [
            format!("# HELP {}", families::LEDGER_COMPLETENESS.name)
                + " "
                + families::LEDGER_COMPLETENESS.help,
            "# TYPE dkron_ledger_completeness gauge".to_string(),
            "dkron_ledger_completeness{job_name=\"a\\\"b\\\\c\\nd\"} 0.75".to_string(),
        ]
    );
    assert_eq!(
        lines_of(&text, "dkron_notifications_dropped"),
        [
            "# HELP dkron_notifications_dropped_total Notifications dropped unsent because the outbox was full.",
            "# TYPE dkron_notifications_dropped_total counter",
            "dkron_notifications_dropped_total 7",
        ]
    );
    assert_eq!(
        lines_of(&text, "dkron_members"),
        [
            "# HELP dkron_members Cluster members seen by gossip, by role and status.",
            "# TYPE dkron_members gauge",
            "dkron_members{role=\"agent\",status=\"alive\"} 0",
            "dkron_members{role=\"server\",status=\"alive\"} 1",
        ]
    );
    assert!(lines_of(&text, "dkron_scheduler_lag").is_empty(), "{text}");
    assert!(!text.contains("# EOF"), "{text}");
}

#[test]
fn writes_cumulative_histogram_buckets_per_job_in_name_order() {
    let metrics = Arc::new(Metrics::default());
    {
        let mut observed = metrics.lock_observed();
        for (job, seconds) in [("b", 0.05), ("b", 0.5), ("b", 5000.0), ("a", 1.0)] {
            let _not_checked = observed.durations.observe(job.to_string(), seconds);
        }
    }
    let text = render(Scrape {
        figures: figures(Vec::new()),
        metrics,
    });
    let durations = lines_of(&text, "dkron_job_execution_duration_seconds");
    let cumulative = [
        ("0.01", 0),
        ("0.05", 1),
        ("0.1", 1),
        ("0.25", 1),
        ("0.5", 2),
        ("1", 2),
        ("2.5", 2),
        ("5", 2),
        ("10", 2),
        ("30", 2),
        ("60", 2),
        ("300", 2),
        ("900", 2),
        ("3600", 2),
        ("+Inf", 3),
    ];
    let mut expected: Vec<String> = cumulative
        .iter()
        .map(|(le, count)| {
            format!(
                "dkron_job_execution_duration_seconds_bucket{{job_name=\"b\",le=\"{le}\"}} {count}"
            )
        })
        .collect();
    expected.push("dkron_job_execution_duration_seconds_sum{job_name=\"b\"} 5000.55".into());
    expected.push("dkron_job_execution_duration_seconds_count{job_name=\"b\"} 3".into());
    let series: Vec<String> = durations
        .iter()
        .filter(|line| line.contains("job_name=\"b\""))
        .cloned()
        .collect();
    assert_eq!(series, expected);
    let first_a = durations.iter().position(|line| line.contains("\"a\""));
    let first_b = durations.iter().position(|line| line.contains("\"b\""));
    assert!(first_a < first_b, "{durations:?}");
    assert_eq!(
        lines_of(&text, "dkron_scheduler_lateness_seconds_count"),
        ["dkron_scheduler_lateness_seconds_count 0"]
    );
}

#[test]
fn a_full_data_volume_shows_as_low_space_and_not_writable() {
    let text = render(Scrape {
        figures: figures(Vec::new()),
        metrics: Arc::new(Metrics::default()),
    });
    assert_eq!(
        lines_of(&text, "dkron_disk_free_bytes")[2],
        "dkron_disk_free_bytes 1000"
    );
    assert_eq!(
        lines_of(&text, "dkron_disk_low_space")[2],
        "dkron_disk_low_space 1"
    );
    assert_eq!(
        lines_of(&text, "dkron_storage_writable")[2],
        "dkron_storage_writable 0"
    );
}
