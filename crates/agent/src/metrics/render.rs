//! Reads the node and writes the exposition.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use dkron_model::{MemberStatus, STATUS_FAILED, STATUS_PARTIALLY_FAILED, STATUS_SUCCESS};
use dkron_store::{StoreError, StoredJob};

use super::completeness::{MAX_EXPECTED, Tally, tally};
use super::exposition::{Exposition, Kind};
use super::{CompletenessFigures, Metrics};
use crate::node::Node;

/// The window the completeness figure looks at, ending `COMPLETENESS_GRACE` ago.
const COMPLETENESS_WINDOW: TimeDelta = TimeDelta::minutes(10);
/// Occurrences this recent may not be decided yet.
const COMPLETENESS_GRACE: TimeDelta = TimeDelta::seconds(5);
/// How long computed completeness figures are served again, when computing them was slow.
const COMPLETENESS_REUSE: Duration = Duration::from_secs(30);
/// Computing the figures faster than this is done on every scrape.
const COMPLETENESS_CHEAP: Duration = Duration::from_millis(100);

/// Completeness figures and when they were computed.
#[derive(Debug)]
pub(super) struct CompletenessCache {
    computed: Instant,
    took: Duration,
    figures: CompletenessFigures,
}

/// Writes every metric family.
pub(super) fn render(node: &Node, metrics: &Metrics) -> Result<String, StoreError> {
    let jobs = node.raft.store().jobs()?;
    let mut out = Exposition::default();
    write_jobs(&mut out, &jobs);
    write_observed(&mut out, metrics, &jobs);
    write_completeness(&mut out, &completeness(node, metrics, &jobs)?);
    write_cluster(&mut out, node)?;
    write_scheduler(&mut out, node);
    write_bounds(&mut out, node, metrics);
    Ok(out.finish())
}

fn write_jobs(out: &mut Exposition, jobs: &[StoredJob]) {
    let mut by_status: BTreeMap<&str, u64> = [
        STATUS_SUCCESS,
        STATUS_FAILED,
        STATUS_PARTIALLY_FAILED,
        "untriggered",
    ]
    .into_iter()
    .map(|status| (status, 0))
    .collect();
    for stored in jobs {
        let status = match stored.job.status.as_str() {
            "" => "untriggered",
            status => status,
        };
        *by_status.entry(status).or_default() += 1;
    }
    out.family(
        "dkron_jobs",
        "Jobs by the status of their last run.",
        Kind::Gauge,
    );
    for (status, count) in &by_status {
        out.sample("dkron_jobs", &[("status", status)], *count as f64);
    }
    let disabled = jobs.iter().filter(|stored| stored.job.disabled).count();
    out.family("dkron_jobs_disabled", "Disabled jobs.", Kind::Gauge);
    out.sample("dkron_jobs_disabled", &[], disabled as f64);
    out.family(
        "dkron_job_executions_succeeded_total",
        "Successful executions per job (Dkron's name; reset when its history is deleted).",
        Kind::Counter,
    );
    for stored in jobs {
        let labels = [("job_name", stored.job.name.as_str())];
        out.sample(
            "dkron_job_executions_succeeded_total",
            &labels,
            stored.job.success_count as f64,
        );
    }
    out.family(
        "dkron_job_executions_failed_total",
        "Failed executions per job (Dkron's name; reset when its history is deleted).",
        Kind::Counter,
    );
    for stored in jobs {
        let labels = [("job_name", stored.job.name.as_str())];
        out.sample(
            "dkron_job_executions_failed_total",
            &labels,
            stored.job.error_count as f64,
        );
    }
}

fn write_observed(out: &mut Exposition, metrics: &Metrics, jobs: &[StoredJob]) {
    let mut observed = metrics
        .observed
        .lock()
        .expect("metrics lock is never poisoned");
    // Deleted jobs leave the figures.
    let names: std::collections::HashSet<&str> =
        jobs.iter().map(|stored| stored.job.name.as_str()).collect();
    observed
        .durations
        .keep_existing(|name| names.contains(name));
    out.family(
        "dkron_job_execution_duration_seconds",
        "How long runs took, per job, since this server started.",
        Kind::Histogram,
    );
    let histograms = observed.durations.histograms();
    let mut names: Vec<&String> = histograms.keys().collect();
    names.sort();
    for name in names {
        if let Some(histogram) = histograms.get(name) {
            out.histogram(
                "dkron_job_execution_duration_seconds",
                &[("job_name", name)],
                histogram,
            );
        }
    }
    out.family(
        "dkron_scheduler_lateness_seconds",
        "How long after its nominal time each run started, since this server started.",
        Kind::Histogram,
    );
    out.histogram("dkron_scheduler_lateness_seconds", &[], &observed.lateness);
}

fn completeness(
    node: &Node,
    metrics: &Metrics,
    jobs: &[StoredJob],
) -> Result<CompletenessFigures, StoreError> {
    let mut cache = metrics
        .completeness
        .lock()
        .expect("metrics lock is never poisoned");
    let reusable = |cached: &&CompletenessCache| {
        cached.took >= COMPLETENESS_CHEAP && cached.computed.elapsed() < COMPLETENESS_REUSE
    };
    if let Some(cached) = cache.as_ref().filter(reusable) {
        return Ok(cached.figures.clone());
    }
    let began = Instant::now();
    let until = Utc::now() - COMPLETENESS_GRACE;
    let window_start = until - COMPLETENESS_WINDOW;
    let mut per_job = Vec::new();
    let mut total = Tally::default();
    for stored in jobs {
        let job = &stored.job;
        if job.disabled || job.is_child() {
            continue;
        }
        let Ok(schedule) = node.schedule(job) else {
            continue;
        };
        if schedule.is_manual() {
            continue;
        }
        let after = stored
            .schedule_since
            .map_or(window_start, |since| since.max(window_start));
        let ledger = node
            .raft
            .store()
            .ledger_between(&job.name, after, until, MAX_EXPECTED)?;
        let figures = tally(&schedule, after, until, &ledger);
        total.add(figures);
        per_job.push((job.name.clone(), figures));
    }
    let figures = (per_job, total);
    *cache = Some(CompletenessCache {
        computed: Instant::now(),
        took: began.elapsed(),
        figures: figures.clone(),
    });
    Ok(figures)
}

fn write_completeness(out: &mut Exposition, (per_job, total): &CompletenessFigures) {
    out.family(
        "dkron_ledger_completeness",
        "Per job, of the occurrences its schedule called for in the last 10 minutes, the share the ledger records (ran, skipped or lost). Below 1: occurrences went by undecided.",
        Kind::Gauge,
    );
    for (name, figures) in per_job {
        out.sample(
            "dkron_ledger_completeness",
            &[("job_name", name)],
            figures.ratio(),
        );
    }
    out.family(
        "dkron_ledger_occurrences_expected",
        "Occurrences all schedules called for in the last 10 minutes.",
        Kind::Gauge,
    );
    out.sample(
        "dkron_ledger_occurrences_expected",
        &[],
        total.expected as f64,
    );
    out.family(
        "dkron_ledger_occurrences_recorded",
        "Of those, occurrences the ledger records.",
        Kind::Gauge,
    );
    out.sample(
        "dkron_ledger_occurrences_recorded",
        &[],
        total.recorded as f64,
    );
}

fn write_cluster(out: &mut Exposition, node: &Node) -> Result<(), StoreError> {
    let raft = node.raft.raft_status();
    let gauges: [(&str, &str, f64); 6] = [
        (
            "dkron_raft_term",
            "The current Raft term.",
            raft.term as f64,
        ),
        (
            "dkron_raft_last_log_index",
            "Index of the last entry in this server's log.",
            raft.last_log_index as f64,
        ),
        (
            "dkron_raft_last_applied_index",
            "Index of the last entry applied to the state.",
            raft.last_applied_index as f64,
        ),
        (
            "dkron_raft_is_leader",
            "1 on the leader.",
            f64::from(u8::from(raft.is_leader)),
        ),
        (
            "dkron_raft_leader_known",
            "1 while this server knows a leader.",
            f64::from(u8::from(raft.leader_known)),
        ),
        (
            "dkron_raft_voters",
            "Voting servers in the configuration.",
            raft.voters as f64,
        ),
    ];
    for (name, help, value) in gauges {
        out.family(name, help, Kind::Gauge);
        out.sample(name, &[], value);
    }
    let mut members: BTreeMap<(&'static str, &'static str), u64> = BTreeMap::new();
    for member in node.gossip.members() {
        let role = if member
            .tags
            .get("server")
            .is_some_and(|value| value == "true")
        {
            "server"
        } else {
            "agent"
        };
        *members.entry((role, member.status.text())).or_default() += 1;
    }
    for role in ["server", "agent"] {
        members
            .entry((role, MemberStatus::Alive.text()))
            .or_default();
    }
    out.family(
        "dkron_members",
        "Cluster members seen by gossip, by role and status.",
        Kind::Gauge,
    );
    for ((role, status), count) in &members {
        out.sample(
            "dkron_members",
            &[("role", role), ("status", status)],
            *count as f64,
        );
    }
    out.family(
        "dkron_paused",
        "1 while scheduling is paused cluster-wide.",
        Kind::Gauge,
    );
    out.sample(
        "dkron_paused",
        &[],
        f64::from(u8::from(node.raft.store().paused()?)),
    );
    let store = node.raft.store();
    out.family(
        "dkron_notifications_pending",
        "Notifications in the replicated outbox, not sent yet.",
        Kind::Gauge,
    );
    out.sample(
        "dkron_notifications_pending",
        &[],
        store.pending_notice_count()? as f64,
    );
    out.family(
        "dkron_notifications_dropped_total",
        "Notifications dropped unsent because the outbox was full.",
        Kind::Counter,
    );
    out.sample(
        "dkron_notifications_dropped_total",
        &[],
        store.notices_dropped()? as f64,
    );
    out.family(
        "dkron_running_executions",
        "Executions running on this node.",
        Kind::Gauge,
    );
    out.sample(
        "dkron_running_executions",
        &[],
        node.worker.running_count() as f64,
    );
    Ok(())
}

/// The leader's scheduler: how far behind it is. Only the server whose scheduler runs
/// writes these families.
fn write_scheduler(out: &mut Exposition, node: &Node) {
    let Some(scheduler) = node.scheduler() else {
        return;
    };
    let status = scheduler.status();
    out.family(
        "dkron_scheduler_lag_seconds",
        "How long ago the oldest occurrence still waiting for the scheduler fell due (0 when it keeps up).",
        Kind::Gauge,
    );
    out.sample(
        "dkron_scheduler_lag_seconds",
        &[],
        status.lag_ms as f64 / 1000.0,
    );
    out.family(
        "dkron_scheduler_behind",
        "1 while the scheduler is in an overload episode (lag of 0.5 s or more, until 5 s back under 0.1 s).",
        Kind::Gauge,
    );
    out.sample(
        "dkron_scheduler_behind",
        &[],
        f64::from(u8::from(status.behind_since.is_some())),
    );
    out.family(
        "dkron_scheduler_occurrences_overloaded_total",
        "Occurrences skipped because this scheduler reached them too late, since it started.",
        Kind::Counter,
    );
    out.sample(
        "dkron_scheduler_occurrences_overloaded_total",
        &[],
        status.occurrences_overloaded as f64,
    );
}

/// Every bounded in-memory structure with its size and its bound (`dkron_model::limits`), so
/// an operator, and the load check in CI, can see that none outgrows its bound.
fn write_bounds(out: &mut Exposition, node: &Node, metrics: &Metrics) {
    let (recorded_runs, remembered_runs) = node.worker.remembered_runs();
    let (peer_channels, peer_channels_bound) = node.channels.len_and_capacity();
    let (duration_histograms, duration_histograms_bound) = metrics.duration_histograms();
    let bounded = [
        (
            "worker_recorded_runs",
            recorded_runs,
            dkron_model::limits::MAX_RECORDED_RUNS_REMEMBERED,
        ),
        ("rpc_peer_channels", peer_channels, peer_channels_bound),
        (
            "job_duration_histograms",
            duration_histograms,
            duration_histograms_bound,
        ),
    ];
    out.family(
        "dkron_bounded_entries",
        "Entries in each bounded in-memory structure (see docs/operations.md).",
        Kind::Gauge,
    );
    for (structure, entries, _) in &bounded {
        out.sample(
            "dkron_bounded_entries",
            &[("structure", structure)],
            *entries as f64,
        );
    }
    out.family(
        "dkron_bounded_limit",
        "The bound of each bounded in-memory structure.",
        Kind::Gauge,
    );
    for (structure, _, limit) in &bounded {
        out.sample(
            "dkron_bounded_limit",
            &[("structure", structure)],
            *limit as f64,
        );
    }
    out.family(
        "dkron_worker_remembered_runs",
        "Runs this node remembers so a repeated order is refused: running, finished with the result not yet written, and recently written (bounded).",
        Kind::Gauge,
    );
    out.sample("dkron_worker_remembered_runs", &[], remembered_runs as f64);
}
