//! Applying commands to the tables inside one write transaction.

mod acl;
mod audit;
mod batch;
mod jobs;
mod notices;
mod prune;
mod relocate;
mod retention;
mod runs;

pub use acl::ALREADY_BOOTSTRAPPED;
pub(crate) use acl::{ACL_BOOTSTRAPPED_KEY, find_by_accessor};
pub(crate) use batch::Tables;

use crate::StoreError;
use crate::command::{Command, CommandResult};

/// Applies one command; rule violations come back as `CommandResult::Failed`, storage
/// failures as `Err` (which aborts the whole transaction).
pub(crate) fn apply(
    tables: &mut Tables<'_>,
    command: Command,
) -> Result<CommandResult, StoreError> {
    match command {
        Command::PutJob { job, now } => jobs::put(tables, *job, now),
        Command::DeleteJob { name } => jobs::delete(tables, &name),
        Command::ToggleJob { name, now } => jobs::toggle(tables, &name, now),
        Command::DeleteExecutions { job } => jobs::delete_executions(tables, &job),
        Command::PruneAged { now, limit, from } => prune::aged(tables, now, limit, from.as_deref()),
        Command::AppendAudit { entry, keep } => audit::append(tables, *entry, keep),
        Command::PruneAudit {
            now,
            max_age_secs,
            limit,
        } => audit::prune(tables, now, max_age_secs, limit),
        Command::SetPaused { paused } => {
            tables.paused = paused;
            tables.save_paused()?;
            Ok(CommandResult::Done)
        }
        Command::SetNotices(settings) => {
            notices::set_settings(tables, settings)?;
            Ok(CommandResult::Done)
        }
        Command::AckNotices { seqs } => {
            notices::remove(tables, &seqs)?;
            Ok(CommandResult::Done)
        }
        Command::SetRetention(retention) => {
            tables.retention = retention;
            tables.save_retention()?;
            Ok(CommandResult::Done)
        }
        Command::Batch(commands) => {
            let mut results = Vec::with_capacity(commands.len());
            for command in commands {
                results.push(apply(tables, command)?);
            }
            Ok(CommandResult::Batch(results))
        }
        Command::MoveRun {
            job,
            nominal,
            execution_id,
            from_node,
            to_node,
            to_node_tags,
        } => {
            let request = dkron_lifecycle::MoveRequest {
                execution_id: &execution_id,
                from_node: &from_node,
                to_node: &to_node,
                to_node_tags: &to_node_tags,
            };
            relocate::move_run(tables, &job, nominal, request)
        }
        Command::AclBootstrap { token } => acl::bootstrap(tables, *token),
        Command::AclUpsertPolicy(policy) => acl::upsert_policy(tables, policy),
        Command::AclDeletePolicy { name } => acl::delete_policy(tables, &name),
        Command::AclCreateToken { token } => acl::create_token(tables, *token),
        Command::AclDeleteToken { accessor_id } => acl::delete_token(tables, &accessor_id),
        occurrence_command @ (Command::Launch { .. }
        | Command::Skip { .. }
        | Command::SkipRange { .. }
        | Command::RunStarted { .. }
        | Command::RunFinished { .. }
        | Command::LoseRuns { .. }
        | Command::LoseRun { .. }) => runs::apply(tables, occurrence_command),
    }
}
