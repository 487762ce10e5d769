//! Test helpers (feature `testsuite`): an in-memory [`RunRecords`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dkron_lifecycle::RunReport;
use tokio::sync::Notify;

use crate::records::{OnWritten, RunRecords, RunStart};

/// Run records kept in memory; each result counts as written as soon as it is queued.
/// Clones share the same records.
#[derive(Clone, Default)]
pub struct MemoryRunRecords {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    records: Mutex<Records>,
    /// Notified on every new record.
    changed: Notify,
}

#[derive(Default)]
struct Records {
    starts: Vec<RunStart>,
    results: Vec<RunReport>,
}

impl MemoryRunRecords {
    /// Creates an empty record book.
    pub fn new() -> MemoryRunRecords {
        MemoryRunRecords::default()
    }

    /// Returns the start records, in the order they were queued.
    pub fn starts(&self) -> Vec<RunStart> {
        self.records().starts.clone()
    }

    /// Returns the results, in the order they were queued.
    pub fn results(&self) -> Vec<RunReport> {
        self.records().results.clone()
    }

    /// Waits up to `limit` for the result of `execution_id`; returns `None` when it did not
    /// come in time.
    pub async fn wait_result(&self, execution_id: &str, limit: Duration) -> Option<RunReport> {
        let wait = async {
            loop {
                let changed = self.shared.changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                let found = self
                    .records()
                    .results
                    .iter()
                    .find(|report| report.execution_id == execution_id)
                    .cloned();
                if let Some(report) = found {
                    return report;
                }
                changed.await;
            }
        };
        tokio::time::timeout(limit, wait).await.ok()
    }

    fn records(&self) -> std::sync::MutexGuard<'_, Records> {
        self.shared
            .records
            .lock()
            .expect("records lock is never poisoned")
    }
}

impl RunRecords for MemoryRunRecords {
    fn started(&self, start: RunStart) {
        self.records().starts.push(start);
        self.shared.changed.notify_waiters();
    }

    fn finished(&self, report: RunReport, written: OnWritten) {
        self.records().results.push(report);
        written();
        self.shared.changed.notify_waiters();
    }
}
