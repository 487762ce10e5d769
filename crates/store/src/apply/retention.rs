//! Count limits on history, applied as a job's records are written: the oldest finished
//! executions and settled ledger entries past the job's limit go.

use dkron_lifecycle::{StoredExecution, StoredJob, excess, executions_kept};
use redb::ReadableTable;

use super::batch::Tables;
use crate::StoreError;
use crate::error::engine;
use crate::records::{Record, decode_ledger};
use crate::tables::MAX_ID;

/// Walks a job's records oldest first and keeps what `pick` returns for the first `wanted`
/// records it accepts (records still in use are passed over).
pub(super) fn oldest_removable<K: redb::Key + 'static, T>(
    range: redb::Range<'_, K, &'static [u8]>,
    wanted: usize,
    mut pick: impl for<'k> FnMut(K::SelfType<'k>, &[u8]) -> Result<Option<T>, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut picked = Vec::with_capacity(wanted);
    for item in range {
        if picked.len() == wanted {
            break;
        }
        let (key, value) = item.map_err(engine("reading history for retention"))?;
        if let Some(owned) = pick(key.value(), value.value())? {
            picked.push(owned);
        }
    }
    Ok(picked)
}

/// Deletes the job's oldest finished executions past its execution limit.
pub(super) fn prune_executions(
    tables: &mut Tables<'_>,
    stored: &mut StoredJob,
) -> Result<(), StoreError> {
    let limit = executions_kept(&stored.job, tables.retention.executions_per_job);
    let wanted = excess(stored.execution_count, limit);
    if wanted == 0 {
        return Ok(());
    }
    let job = stored.job.name.as_str();
    let range = tables
        .executions
        .range((job, i64::MIN, "")..=(job, i64::MAX, MAX_ID))
        .map_err(engine("reading executions"))?;
    let doomed = oldest_removable(range, wanted, |(_, group, id), bytes| {
        let finished = !StoredExecution::decode(id, bytes)?.execution.is_running();
        Ok(finished.then(|| (group, id.to_string())))
    })?;
    for (group, id) in &doomed {
        tables
            .executions
            .remove((job, *group, id.as_str()))
            .map_err(engine("pruning executions"))?;
    }
    stored.execution_count -= doomed.len() as u32;
    Ok(())
}

/// Deletes the job's oldest settled ledger entries past the ledger limit.
pub(super) fn prune_ledger(
    tables: &mut Tables<'_>,
    stored: &mut StoredJob,
) -> Result<(), StoreError> {
    let wanted = excess(stored.ledger_count, tables.retention.ledger_per_job);
    if wanted == 0 {
        return Ok(());
    }
    let job = stored.job.name.as_str();
    let range = tables
        .ledger
        .range((job, i64::MIN)..=(job, i64::MAX))
        .map_err(engine("reading the ledger"))?;
    let doomed = oldest_removable(range, wanted, |(_, nominal), bytes| {
        let settled = decode_ledger(job, bytes)?.state.is_final();
        Ok(settled.then_some(nominal))
    })?;
    for nominal in &doomed {
        tables
            .ledger
            .remove((job, *nominal))
            .map_err(engine("pruning the ledger"))?;
    }
    stored.ledger_count -= doomed.len() as u32;
    Ok(())
}
