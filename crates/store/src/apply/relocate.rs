//! Moving a run that never reached its node (issue 14, ADR 19), applied as load → decide
//! (`dkron_lifecycle::move_run`) → write. Only this command's apply touches the tables it
//! needs; the per-batch table set is unchanged.

use chrono::{DateTime, Utc};
use dkron_lifecycle::{MoveFacts, MoveRequest};

use super::batch::Tables;
use super::runs::refused;
use crate::StoreError;
use crate::command::{ApplyError, CommandResult};
use crate::error::engine;
use crate::records::nanos;

/// Moves one active run of `job`'s occurrence at `nominal` from one node to another, or
/// answers why it stays (changing nothing).
pub(super) fn move_run(
    tables: &mut Tables<'_>,
    job: &str,
    nominal: DateTime<Utc>,
    request: MoveRequest<'_>,
) -> Result<CommandResult, StoreError> {
    let Some(mut stored) = tables.load_job(job)? else {
        return Ok(CommandResult::Failed(ApplyError::JobNotFound(
            job.to_string(),
        )));
    };
    let facts = MoveFacts {
        active_on_old_node: tables.is_active(
            request.from_node,
            job,
            nominal,
            request.execution_id,
        )?,
        start_recorded: tables
            .load_execution(job, nominal, request.execution_id)?
            .is_some(),
    };
    let mut ledger = tables.load_ledger(job, nominal)?;
    if let Err(refusal) = dkron_lifecycle::move_run(&mut stored, ledger.as_mut(), facts, request) {
        return refused(refusal);
    }
    let group = nanos(nominal);
    tables
        .active
        .remove((request.from_node, job, group, request.execution_id))
        .map_err(engine("moving an active run"))?;
    tables
        .active
        .insert((request.to_node, job, group, request.execution_id), ())
        .map_err(engine("moving an active run"))?;
    if let Some(entry) = &ledger {
        tables.save_ledger(entry)?;
    }
    tables.save_job(stored)?;
    Ok(CommandResult::Done)
}
