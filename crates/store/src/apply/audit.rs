//! Appending to the audit log and keeping it within its retention, a bounded number of
//! entries per command so that a lowered limit or a long quiet spell never makes one write
//! long.

use chrono::{DateTime, TimeDelta, Utc};
use dkron_model::AuditEntry;
use redb::{ReadableTable, ReadableTableMetadata, Table};

use super::batch::Tables;
use crate::StoreError;
use crate::audit::{
    AUDIT_NEXT_KEY, AUDIT_PRUNE_PER_APPEND, AuditRetention, decode_audit, encode_audit,
};
use crate::command::CommandResult;
use crate::error::engine;
use crate::meta::{read_counter, write_counter};
use crate::tables::AUDIT;

type AuditTable<'txn> = Table<'txn, u64, &'static [u8]>;

/// Appends `entry` under the next sequence number, then removes the oldest entries past
/// `keep` (at most `AUDIT_PRUNE_PER_APPEND`), measuring ages from the entry's time.
pub(super) fn append(
    tables: &mut Tables<'_>,
    entry: AuditEntry,
    keep: AuditRetention,
) -> Result<CommandResult, StoreError> {
    let mut log = tables
        .txn
        .open_table(AUDIT)
        .map_err(engine("opening the audit log"))?;
    // Never reuse a number, even after every entry was pruned or a snapshot was installed.
    let last = log
        .last()
        .map_err(engine("reading the audit log"))?
        .map_or(0, |(key, _)| key.value() + 1);
    let seq = read_counter(&tables.meta, AUDIT_NEXT_KEY)?.max(last);
    let now = entry.time;
    let entry = AuditEntry { seq, ..entry }.bounded();
    log.insert(seq, encode_audit(&entry).as_slice())
        .map_err(engine("writing an audit entry"))?;
    write_counter(&mut tables.meta, AUDIT_NEXT_KEY, seq + 1)?;
    prune_over_count(&mut log, keep.max_entries.max(1), AUDIT_PRUNE_PER_APPEND)?;
    prune_aged(
        &mut log,
        cutoff(now, keep.max_age_secs),
        AUDIT_PRUNE_PER_APPEND,
    )?;
    Ok(CommandResult::Done)
}

/// Removes at most `limit` entries older than `max_age_secs` at `now`; answers how many.
pub(super) fn prune(
    tables: &mut Tables<'_>,
    now: DateTime<Utc>,
    max_age_secs: u64,
    limit: u32,
) -> Result<CommandResult, StoreError> {
    let mut log = tables
        .txn
        .open_table(AUDIT)
        .map_err(engine("opening the audit log"))?;
    let removed = prune_aged(&mut log, cutoff(now, Some(max_age_secs)), limit as usize)?;
    Ok(CommandResult::Pruned {
        removed: removed as u32,
        next: None,
    })
}

/// The time before which entries are past their age; `None` when ages are kept.
fn cutoff(now: DateTime<Utc>, max_age_secs: Option<u64>) -> Option<DateTime<Utc>> {
    let secs = max_age_secs.filter(|secs| *secs > 0)?;
    let age =
        TimeDelta::try_seconds(i64::try_from(secs).unwrap_or(i64::MAX)).unwrap_or(TimeDelta::MAX);
    Some(
        now.checked_sub_signed(age)
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
    )
}

/// Removes the oldest entries while there are more than `max_entries`, at most `limit`.
fn prune_over_count(
    log: &mut AuditTable<'_>,
    max_entries: u64,
    limit: usize,
) -> Result<usize, StoreError> {
    let count = log.len().map_err(engine("counting the audit log"))?;
    let excess = usize::try_from(count.saturating_sub(max_entries)).unwrap_or(usize::MAX);
    let wanted = excess.min(limit);
    for _ in 0..wanted {
        log.pop_first().map_err(engine("pruning the audit log"))?;
    }
    Ok(wanted)
}

/// Removes the oldest entries written before `cutoff`, at most `limit`.
fn prune_aged(
    log: &mut AuditTable<'_>,
    cutoff: Option<DateTime<Utc>>,
    limit: usize,
) -> Result<usize, StoreError> {
    let Some(cutoff) = cutoff else {
        return Ok(0);
    };
    let mut removed = 0;
    while removed < limit {
        let oldest = log.first().map_err(engine("reading the audit log"))?;
        let Some(seq) = oldest
            .map(|(key, value)| {
                let seq = key.value();
                decode_audit(seq, value.value()).map(|entry| (entry.time < cutoff).then_some(seq))
            })
            .transpose()?
            .flatten()
        else {
            break;
        };
        log.remove(seq).map_err(engine("pruning the audit log"))?;
        removed += 1;
    }
    Ok(removed)
}
