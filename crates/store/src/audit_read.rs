//! Reading the audit log newest first, a page at a time.

use dkron_model::AuditEntry;
use redb::{ReadableTable, ReadableTableMetadata};

use crate::StoreError;
use crate::audit::{AuditFilter, decode_audit};
use crate::error::engine;
use crate::state_store::StateStore;
use crate::tables::AUDIT;

impl StateStore {
    /// Returns the entries matching `filter`, newest first, from the `start`-th match, at
    /// most `limit`, and how many entries match in all. Without a filter only the returned
    /// entries are decoded; with one every entry is (the log is bounded by its retention).
    pub fn audit_page(
        &self,
        filter: &AuditFilter,
        start: usize,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, usize), StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(engine("reading the audit log"))?;
        let table = txn
            .open_table(AUDIT)
            .map_err(engine("reading the audit log"))?;
        let rows = table.iter().map_err(engine("reading the audit log"))?.rev();
        let mut page = Vec::new();
        if filter.is_empty() {
            let total = table.len().map_err(engine("counting the audit log"))? as usize;
            for item in rows.skip(start).take(limit) {
                let (key, value) = item.map_err(engine("reading the audit log"))?;
                page.push(decode_audit(key.value(), value.value())?);
            }
            return Ok((page, total));
        }
        let mut total = 0;
        for item in rows {
            let (key, value) = item.map_err(engine("reading the audit log"))?;
            let entry = decode_audit(key.value(), value.value())?;
            if !filter.matches(&entry) {
                continue;
            }
            if total >= start && page.len() < limit {
                page.push(entry);
            }
            total += 1;
        }
        Ok((page, total))
    }
}
