//! A job's status after a run: Dkron's rule over the latest attempt of each node.

use std::collections::HashMap;

use dkron_model::Execution;

use crate::run::StoredExecution;

/// Returns the status of an execution group once `latest` is recorded in it (`latest`
/// takes the place of a stored execution with its id).
///
/// Only each node's latest attempt counts, so a run that succeeds on a retry makes the job
/// `success` (Dkron counts the failed attempts too and reports `partially_failed`). Among
/// equal attempts of one node, the execution with the greater id counts.
pub(crate) fn group_status_with(group: &[StoredExecution], latest: &Execution) -> &'static str {
    let mut by_node: HashMap<&str, (u32, bool)> = HashMap::with_capacity(group.len() + 1);
    let mut latest_counted = false;
    // In id order, as the group is stored, with `latest` in its place.
    for stored in group {
        let execution = &stored.execution;
        if !latest_counted && execution.id.as_str() >= latest.id.as_str() {
            count(latest, &mut by_node);
            latest_counted = true;
        }
        if execution.id != latest.id {
            count(execution, &mut by_node);
        }
    }
    if !latest_counted {
        count(latest, &mut by_node);
    }
    dkron_model::group_status(by_node.into_values().map(|(_, success)| success))
}

/// Keeps `execution` as its node's latest attempt if it is no earlier than the one kept.
fn count<'a>(execution: &'a Execution, by_node: &mut HashMap<&'a str, (u32, bool)>) {
    let slot = by_node
        .entry(execution.node_name.as_str())
        .or_insert((execution.attempt, execution.success));
    if execution.attempt >= slot.0 {
        *slot = (execution.attempt, execution.success);
    }
}
