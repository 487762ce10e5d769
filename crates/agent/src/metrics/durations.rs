//! Run duration histograms per job, kept for existing jobs only.
//!
//! A histogram is created for a job the first time one of its runs finishes. Jobs are
//! deleted without this module being told, so once the map reaches its check size, every
//! name in it is checked against the stored jobs and those of deleted jobs are dropped; the
//! next check comes when the map has doubled again. A check costs one lookup per entry and
//! comes after at least as many new entries, so each new job costs O(1) lookups amortised.

use std::collections::HashMap;

use super::histogram::Histogram;

/// Duration histograms by job name, bounded by twice the jobs alive at the last check (and
/// never less than the first check size).
#[derive(Debug)]
pub(super) struct JobDurations {
    buckets: &'static [f64],
    by_job: HashMap<String, Histogram>,
    check_from: usize,
    check_at: usize,
}

/// Whether the map reached its check size and should be checked against the stored jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(super) enum CheckJobs {
    Due,
    NotYet,
}

impl JobDurations {
    /// Returns an empty map of histograms with these buckets, first checked at `check_from`.
    pub(super) fn new(buckets: &'static [f64], check_from: usize) -> Self {
        let check_from = check_from.max(1);
        JobDurations {
            buckets,
            by_job: HashMap::new(),
            check_from,
            check_at: check_from,
        }
    }

    /// Counts one run duration of `job`, in seconds.
    pub(super) fn observe(&mut self, job: String, seconds: f64) -> CheckJobs {
        let buckets = self.buckets;
        self.by_job
            .entry(job)
            .or_insert_with(|| Histogram::new(buckets))
            .observe(seconds);
        if self.by_job.len() >= self.check_at {
            CheckJobs::Due
        } else {
            CheckJobs::NotYet
        }
    }

    /// Keeps the histograms of jobs `exists` knows and sets the next check size.
    pub(super) fn keep_existing(&mut self, mut exists: impl FnMut(&str) -> bool) {
        self.by_job.retain(|name, _| exists(name));
        self.check_at = (2 * self.by_job.len()).max(self.check_from);
    }

    /// Returns the histograms, by job name.
    pub(super) fn histograms(&self) -> &HashMap<String, Histogram> {
        &self.by_job
    }

    /// Returns how many histograms are kept, and the size at which they are checked next
    /// (the bound: the map never grows past it).
    pub(super) fn len_and_bound(&self) -> (usize, usize) {
        (self.by_job.len(), self.check_at)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    const BUCKETS: &[f64] = &[1.0, 10.0];

    #[test]
    fn histograms_of_deleted_jobs_go_without_any_scrape() {
        let mut durations = JobDurations::new(BUCKETS, 100);
        let mut alive: HashSet<String> = HashSet::new();
        let mut largest = 0;
        // Short-lived jobs: each created, run a few times and deleted; a few stay for good.
        for index in 0..50_000 {
            let job = format!("job-{index}");
            alive.insert(job.clone());
            for _ in 0..3 {
                if durations.observe(job.clone(), 2.0) == CheckJobs::Due {
                    durations.keep_existing(|name| alive.contains(name));
                }
                let (kept, bound) = durations.len_and_bound();
                assert!(kept <= bound, "{kept} histograms, bound {bound}");
                largest = largest.max(kept);
            }
            if index % 1_000 != 0 {
                alive.remove(&job);
            }
        }
        assert!(largest <= 2 * 100, "at most twice the floor: {largest}");
        // The jobs that stayed keep every observation they had.
        durations.keep_existing(|name| alive.contains(name));
        let histograms = durations.histograms();
        assert_eq!(histograms.len(), alive.len());
        for name in &alive {
            assert_eq!(histograms[name].count(), 3, "{name}");
        }
    }

    #[test]
    fn many_existing_jobs_raise_the_bound_instead_of_losing_figures() {
        let mut durations = JobDurations::new(BUCKETS, 10);
        for index in 0..1_000 {
            if durations.observe(format!("job-{index}"), 0.5) == CheckJobs::Due {
                durations.keep_existing(|_| true);
            }
        }
        let (kept, bound) = durations.len_and_bound();
        assert_eq!(kept, 1_000);
        assert!(bound > kept && bound <= 2 * 1_000);
    }
}
