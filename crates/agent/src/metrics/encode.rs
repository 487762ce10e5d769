//! Writes one scrape's figures through prometheus-client: a [`Collector`] called once by the
//! encoder of the Prometheus text format (0.0.4), family by family in a fixed order, each
//! with the name, type and help text declared in `families.rs`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use dkron_model::{STATUS_FAILED, STATUS_PARTIALLY_FAILED, STATUS_SUCCESS};
use dkron_store::StoredJob;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeGaugeValue, MetricEncoder, NoLabelSet};

use super::families::{self, Family};
use super::figures::{BoundFigures, SchedulerFigures, ScrapeFigures};
use super::histogram::Histogram;
use super::observed::Metrics;

/// The status `dkron_jobs` gives a job that never ran.
const UNTRIGGERED: &str = "untriggered";

/// One scrape: the figures read from the node, and the histograms, read while encoding.
#[derive(Debug)]
pub(super) struct Scrape {
    /// What was read from the node.
    pub(super) figures: ScrapeFigures,
    /// The run durations and start lateness.
    pub(super) metrics: Arc<Metrics>,
}

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let figures = &self.figures;
        write_jobs(&mut encoder, &figures.jobs)?;
        write_histograms(&mut encoder, &self.metrics)?;
        write_completeness(&mut encoder, figures)?;
        write_raft(&mut encoder, figures)?;
        write_disk(&mut encoder, figures)?;
        write_node(&mut encoder, figures)?;
        if let Some(scheduler) = &figures.scheduler {
            write_scheduler(&mut encoder, scheduler)?;
        }
        write_bounds(&mut encoder, &figures.bounds)
    }
}

/// Starts the family: its `# HELP` and `# TYPE` lines.
fn describe<'s>(
    encoder: &'s mut DescriptorEncoder<'_>,
    family: &Family,
) -> Result<MetricEncoder<'s>, fmt::Error> {
    encoder.encode_descriptor(family.encoder_name(), family.help, None, family.kind)
}

/// Writes a family of one gauge without labels.
fn gauge(
    encoder: &mut DescriptorEncoder<'_>,
    family: &Family,
    value: impl EncodeGaugeValue,
) -> fmt::Result {
    describe(encoder, family)?.encode_gauge(&value)
}

/// Writes a family of one counter without labels.
fn counter(encoder: &mut DescriptorEncoder<'_>, family: &Family, value: u64) -> fmt::Result {
    counter_value(&mut describe(encoder, family)?, value)
}

fn counter_value(metric: &mut MetricEncoder<'_>, value: u64) -> fmt::Result {
    metric.encode_counter::<NoLabelSet, u64, u64>(&value, None)
}

/// Writes a gauge family with one series per `(label value, value)`.
fn labelled_gauges<'v, V: EncodeGaugeValue + 'v>(
    encoder: &mut DescriptorEncoder<'_>,
    family: &Family,
    label: &'static str,
    series: impl IntoIterator<Item = (&'v str, V)>,
) -> fmt::Result {
    let mut metric = describe(encoder, family)?;
    for (label_value, value) in series {
        let labels = [(label, label_value)];
        metric.encode_family(&labels)?.encode_gauge(&value)?;
    }
    Ok(())
}

/// Writes a counter family with one series per job.
fn job_counters<'j>(
    encoder: &mut DescriptorEncoder<'_>,
    family: &Family,
    series: impl IntoIterator<Item = (&'j str, u64)>,
) -> fmt::Result {
    let mut metric = describe(encoder, family)?;
    for (job_name, value) in series {
        let labels = [(families::JOB_NAME, job_name)];
        counter_value(&mut metric.encode_family(&labels)?, value)?;
    }
    Ok(())
}

/// Writes a histogram's buckets (cumulated by the encoder), sum and count; `buckets` is
/// scratch space, reused from one histogram to the next.
fn histogram(
    metric: &mut MetricEncoder<'_>,
    histogram: &Histogram,
    buckets: &mut Vec<(f64, u64)>,
) -> fmt::Result {
    buckets.clear();
    buckets.extend(histogram.buckets());
    metric.encode_histogram::<NoLabelSet>(histogram.sum(), histogram.count(), buckets, None)
}

/// A run counter as a Prometheus counter (stored counts never go below 0).
fn count(stored: i64) -> u64 {
    u64::try_from(stored).unwrap_or(0)
}

fn bit(flag: bool) -> u64 {
    u64::from(flag)
}

fn write_jobs(encoder: &mut DescriptorEncoder<'_>, jobs: &[StoredJob]) -> fmt::Result {
    let mut by_status: BTreeMap<&str, u64> = [
        STATUS_SUCCESS,
        STATUS_FAILED,
        STATUS_PARTIALLY_FAILED,
        UNTRIGGERED,
    ]
    .into_iter()
    .map(|status| (status, 0))
    .collect();
    for stored in jobs {
        let status = match stored.job.status.as_str() {
            "" => UNTRIGGERED,
            status => status,
        };
        *by_status.entry(status).or_default() += 1;
    }
    labelled_gauges(encoder, &families::JOBS, families::STATUS, by_status)?;
    let disabled = jobs.iter().filter(|stored| stored.job.disabled).count();
    gauge(encoder, &families::JOBS_DISABLED, disabled as u64)?;
    let succeeded = jobs
        .iter()
        .map(|stored| (stored.job.name.as_str(), count(stored.job.success_count)));
    job_counters(encoder, &families::JOB_EXECUTIONS_SUCCEEDED, succeeded)?;
    let failed = jobs
        .iter()
        .map(|stored| (stored.job.name.as_str(), count(stored.job.error_count)));
    job_counters(encoder, &families::JOB_EXECUTIONS_FAILED, failed)
}

/// The duration histograms per job, in job name order, and the lateness histogram. They are
/// encoded in place, under the metrics lock: run records wait for the lock meanwhile, which
/// costs less than copying every histogram.
fn write_histograms(encoder: &mut DescriptorEncoder<'_>, metrics: &Metrics) -> fmt::Result {
    let observed = metrics.lock_observed();
    let mut buckets = Vec::new();
    let mut metric = describe(encoder, &families::JOB_EXECUTION_DURATION)?;
    let by_job = observed.durations.histograms();
    let mut names: Vec<&String> = by_job.keys().collect();
    names.sort();
    for name in names {
        if let Some(durations) = by_job.get(name) {
            let labels = [(families::JOB_NAME, name.as_str())];
            histogram(&mut metric.encode_family(&labels)?, durations, &mut buckets)?;
        }
    }
    let mut metric = describe(encoder, &families::SCHEDULER_LATENESS)?;
    histogram(&mut metric, &observed.lateness, &mut buckets)
}

fn write_completeness(encoder: &mut DescriptorEncoder<'_>, figures: &ScrapeFigures) -> fmt::Result {
    let (per_job, total) = &figures.completeness;
    let ratios = per_job
        .iter()
        .map(|(job_name, tally)| (job_name.as_str(), tally.ratio()));
    labelled_gauges(
        encoder,
        &families::LEDGER_COMPLETENESS,
        families::JOB_NAME,
        ratios,
    )?;
    gauge(
        encoder,
        &families::LEDGER_OCCURRENCES_EXPECTED,
        total.expected,
    )?;
    gauge(
        encoder,
        &families::LEDGER_OCCURRENCES_RECORDED,
        total.recorded,
    )
}

fn write_raft(encoder: &mut DescriptorEncoder<'_>, figures: &ScrapeFigures) -> fmt::Result {
    let raft = &figures.raft;
    let gauges = [
        (&families::RAFT_TERM, raft.term),
        (&families::RAFT_LAST_LOG_INDEX, raft.last_log_index),
        (&families::RAFT_LAST_APPLIED_INDEX, raft.last_applied_index),
        (&families::RAFT_IS_LEADER, bit(raft.is_leader)),
        (&families::RAFT_LEADER_KNOWN, bit(raft.leader_known)),
        (&families::RAFT_VOTERS, raft.voters as u64),
    ];
    for (family, value) in gauges {
        gauge(encoder, family, value)?;
    }
    Ok(())
}

/// The data volume: free bytes, the low-space warning, whether writes are accepted.
fn write_disk(encoder: &mut DescriptorEncoder<'_>, figures: &ScrapeFigures) -> fmt::Result {
    let disk = &figures.disk;
    let low = disk.level != dkron_cluster::SpaceLevel::Plenty;
    gauge(encoder, &families::DISK_FREE_BYTES, disk.free_bytes)?;
    gauge(encoder, &families::DISK_LOW_SPACE, bit(low))?;
    gauge(encoder, &families::STORAGE_WRITABLE, bit(disk.writable()))
}

/// Membership, pause, the outbox and this node's running executions.
fn write_node(encoder: &mut DescriptorEncoder<'_>, figures: &ScrapeFigures) -> fmt::Result {
    let mut metric = describe(encoder, &families::MEMBERS)?;
    for ((role, status), members) in &figures.members {
        let labels = [(families::ROLE, *role), (families::STATUS, *status)];
        metric.encode_family(&labels)?.encode_gauge(members)?;
    }
    gauge(encoder, &families::PAUSED, bit(figures.paused))?;
    gauge(
        encoder,
        &families::NOTIFICATIONS_PENDING,
        figures.notifications_pending,
    )?;
    counter(
        encoder,
        &families::NOTIFICATIONS_DROPPED,
        figures.notifications_dropped,
    )?;
    gauge(
        encoder,
        &families::RUNNING_EXECUTIONS,
        figures.running_executions as u64,
    )
}

/// The leader's scheduler: how far behind it is.
fn write_scheduler(
    encoder: &mut DescriptorEncoder<'_>,
    scheduler: &SchedulerFigures,
) -> fmt::Result {
    gauge(encoder, &families::SCHEDULER_LAG, scheduler.lag_seconds)?;
    gauge(encoder, &families::SCHEDULER_BEHIND, bit(scheduler.behind))?;
    counter(
        encoder,
        &families::SCHEDULER_OCCURRENCES_OVERLOADED,
        scheduler.occurrences_overloaded,
    )
}

fn write_bounds(encoder: &mut DescriptorEncoder<'_>, bounds: &BoundFigures) -> fmt::Result {
    let entries = bounds
        .structures
        .iter()
        .map(|bounded| (bounded.structure, bounded.entries as u64));
    labelled_gauges(
        encoder,
        &families::BOUNDED_ENTRIES,
        families::STRUCTURE,
        entries,
    )?;
    let limits = bounds
        .structures
        .iter()
        .map(|bounded| (bounded.structure, bounded.limit as u64));
    labelled_gauges(
        encoder,
        &families::BOUNDED_LIMIT,
        families::STRUCTURE,
        limits,
    )?;
    gauge(
        encoder,
        &families::WORKER_REMEMBERED_RUNS,
        bounds.remembered_runs as u64,
    )
}

#[cfg(test)]
#[path = "encode_test.rs"]
mod tests;
