//! The ledger completeness of every scheduled job, read at scrape time: the tally of
//! `completeness.rs` over each job's recent ledger, shared by scrapes in quick succession when
//! computing it is slow (thousands of jobs).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use dkron_store::{StoreError, StoredJob};

use super::completeness::{MAX_EXPECTED, Tally, tally};
use crate::node::Node;

/// The window the completeness figure looks at, ending `COMPLETENESS_GRACE` ago.
const COMPLETENESS_WINDOW: TimeDelta = TimeDelta::minutes(10);
/// Occurrences this recent may not be decided yet.
const COMPLETENESS_GRACE: TimeDelta = TimeDelta::seconds(5);
/// How long computed completeness figures are served again, when computing them was slow.
const COMPLETENESS_REUSE: Duration = Duration::from_secs(30);
/// Computing the figures faster than this is done on every scrape.
const COMPLETENESS_CHEAP: Duration = Duration::from_millis(100);

/// The completeness of every job with a schedule, and of all of them together.
pub(super) type CompletenessFigures = (Vec<(String, Tally)>, Tally);

/// Completeness figures and when they were computed.
#[derive(Debug)]
pub(super) struct CompletenessCache {
    computed: Instant,
    took: Duration,
    figures: CompletenessFigures,
}

/// Returns the completeness figures of `jobs`: the cached ones while they are fresh and were
/// slow to compute, new ones otherwise (kept in `cache` for the next scrape).
pub(super) fn completeness(
    node: &Node,
    cache: &Mutex<Option<CompletenessCache>>,
    jobs: &[StoredJob],
) -> Result<CompletenessFigures, StoreError> {
    let mut cache = cache.lock().expect("metrics lock is never poisoned");
    let reusable = |cached: &&CompletenessCache| {
        cached.took >= COMPLETENESS_CHEAP && cached.computed.elapsed() < COMPLETENESS_REUSE
    };
    if let Some(cached) = cache.as_ref().filter(reusable) {
        return Ok(cached.figures.clone());
    }
    let began = Instant::now();
    let figures = compute(node, jobs)?;
    *cache = Some(CompletenessCache {
        computed: Instant::now(),
        took: began.elapsed(),
        figures: figures.clone(),
    });
    Ok(figures)
}

/// Tallies the ledger window of every enabled, scheduled, parentless job.
fn compute(node: &Node, jobs: &[StoredJob]) -> Result<CompletenessFigures, StoreError> {
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
    Ok((per_job, total))
}
