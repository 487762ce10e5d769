//! What the clients were told about their job writes, and whether the cluster kept it. Pure.
//!
//! An acknowledged write (2xx) must survive. A write without an answer (timeout, 5xx, refused
//! connection) may or may not have happened, and may even happen late (a server that held
//! it during a partition), so the final state may be the last acknowledged one or any
//! unacknowledged write of that job.

use std::collections::BTreeMap;

/// The state a write asks for: the job with a version mark, or no job.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Wanted {
    Present(String),
    Absent,
}

#[derive(Debug, Clone, Default)]
struct JobWrites {
    acknowledged: Option<Wanted>,
    unanswered: Vec<Wanted>,
    count: usize,
}

/// Every write the suite made and its answer.
#[derive(Debug, Clone, Default)]
pub struct WriteLog {
    jobs: BTreeMap<String, JobWrites>,
}

/// An acknowledged write that the cluster does not show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostWrite {
    pub job: String,
    pub acknowledged: Wanted,
    pub found: Wanted,
}

impl WriteLog {
    pub fn record(&mut self, job: &str, wanted: Wanted, acknowledged: bool) {
        let writes = self.jobs.entry(job.to_string()).or_default();
        writes.count += 1;
        if acknowledged {
            writes.acknowledged = Some(wanted);
        } else {
            writes.unanswered.push(wanted);
        }
    }

    /// (writes, acknowledged jobs' last states, unanswered writes).
    pub fn totals(&self) -> (usize, usize, usize) {
        let writes = self.jobs.values().map(|job| job.count).sum();
        let acknowledged = self
            .jobs
            .values()
            .filter(|job| job.acknowledged.is_some())
            .count();
        let unanswered = self.jobs.values().map(|job| job.unanswered.len()).sum();
        (writes, acknowledged, unanswered)
    }

    pub fn jobs(&self) -> impl Iterator<Item = &str> {
        self.jobs.keys().map(String::as_str)
    }

    /// The acknowledged writes the final state contradicts; `found` gives each job's
    /// version mark (a job absent from it does not exist).
    pub fn lost(&self, found: &BTreeMap<String, String>) -> Vec<LostWrite> {
        let mut lost = Vec::new();
        for (job, writes) in &self.jobs {
            let Some(acknowledged) = &writes.acknowledged else {
                continue;
            };
            let actual = match found.get(job) {
                Some(version) => Wanted::Present(version.clone()),
                None => Wanted::Absent,
            };
            if &actual != acknowledged && !writes.unanswered.contains(&actual) {
                lost.push(LostWrite {
                    job: job.clone(),
                    acknowledged: acknowledged.clone(),
                    found: actual,
                });
            }
        }
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(job, version)| (job.to_string(), version.to_string()))
            .collect()
    }

    #[test]
    fn the_last_acknowledged_write_must_be_what_the_cluster_shows() {
        let mut log = WriteLog::default();
        log.record("w1", Wanted::Present("v1".into()), true);
        log.record("w1", Wanted::Present("v2".into()), true);
        log.record("w2", Wanted::Present("v1".into()), true);
        log.record("w2", Wanted::Absent, true);
        assert_eq!(log.lost(&found(&[("w1", "v2")])), vec![]);
        assert_eq!(
            log.lost(&found(&[("w1", "v1")])),
            vec![LostWrite {
                job: "w1".into(),
                acknowledged: Wanted::Present("v2".into()),
                found: Wanted::Present("v1".into()),
            }]
        );
        assert_eq!(
            log.lost(&found(&[("w1", "v2"), ("w2", "v1")])),
            vec![LostWrite {
                job: "w2".into(),
                acknowledged: Wanted::Absent,
                found: Wanted::Present("v1".into()),
            }]
        );
    }

    #[test]
    fn an_unanswered_write_may_or_may_not_have_happened() {
        let mut log = WriteLog::default();
        log.record("w1", Wanted::Present("v1".into()), true);
        log.record("w1", Wanted::Absent, false);
        assert_eq!(log.lost(&found(&[("w1", "v1")])), vec![]);
        assert_eq!(log.lost(&found(&[])), vec![]);
        assert_eq!(log.lost(&found(&[("w1", "v0")])).len(), 1);
        log.record("w9", Wanted::Present("v1".into()), false);
        assert_eq!(log.lost(&found(&[("w1", "v1")])), vec![]);
        assert_eq!(log.totals(), (3, 1, 2));
    }
}
