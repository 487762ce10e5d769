//! Moving a run to another node when its order certainly never reached the node it was
//! planned on (issue 14, ADR 19): the node was not alive, refused the connection, did not
//! connect in time, or failed our TLS handshake. The leader decides that from the transport;
//! these rules decide whether the replicated state allows the move, so that an occurrence
//! with one target still runs on one node only.

use dkron_model::{LedgerEntry, StringMap, node_matches, parse_job_tags};

use crate::job_state::StoredJob;
use crate::refusal::Refusal;

/// A move the leader asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoveRequest<'a> {
    /// Execution id of the run (kept: it names the run, not where it runs).
    pub execution_id: &'a str,
    /// The node the run is on now, which never had it.
    pub from_node: &'a str,
    /// The node it goes to.
    pub to_node: &'a str,
    /// The new node's tags, as gossip showed them to the leader.
    pub to_node_tags: &'a StringMap,
}

/// What the state holds about the run when the move is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoveFacts {
    /// The run is active (launched, not finished) on `from_node`.
    pub active_on_old_node: bool,
    /// A start of the run is recorded: some node has it, so it stays where it is.
    pub start_recorded: bool,
}

/// Decides a move of one run of `stored`'s occurrence whose ledger entry is `ledger`, and
/// writes it into the job and the entry: the entry and any pending attempt name the new
/// node. The caller moves the active run in its table. Refused, changing nothing, unless
/// the run is still active on the old node with no start recorded, the new node is
/// another node carrying every tag of the job, and no other run of the occurrence is on it.
pub fn move_run(
    stored: &mut StoredJob,
    ledger: Option<&mut LedgerEntry>,
    facts: MoveFacts,
    request: MoveRequest<'_>,
) -> Result<(), Refusal> {
    let refuse = |why: String| {
        Err(Refusal::NotMovable {
            execution_id: request.execution_id.to_string(),
            why,
        })
    };
    if request.from_node == request.to_node {
        return refuse(format!("it is already on node {}", request.to_node));
    }
    if !facts.active_on_old_node {
        return refuse(format!("it is not active on node {}", request.from_node));
    }
    if facts.start_recorded {
        return refuse("its start is recorded".to_string());
    }
    let spec = parse_job_tags(stored.job.tags.as_ref());
    if !node_matches(&spec, request.to_node_tags) {
        return refuse(format!(
            "node {} does not carry the job's tags",
            request.to_node
        ));
    }
    if let Some(entry) = &ledger {
        let taken = entry.runs.iter().any(|run| {
            run.node_name == request.to_node && run.execution_id != request.execution_id
        });
        if taken {
            return refuse(format!(
                "another run of the occurrence is on node {}",
                request.to_node
            ));
        }
    }
    if let Some(entry) = ledger {
        for run in &mut entry.runs {
            if run.execution_id == request.execution_id {
                run.node_name = request.to_node.to_string();
            }
        }
    }
    for pending in &mut stored.pending_runs {
        if pending.execution_id == request.execution_id {
            pending.node_name = request.to_node.to_string();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use dkron_model::{LedgerEntry, OccurrenceState, Trigger};

    use super::*;
    use crate::test_support::{at, job, plan, stored};
    use crate::{LaunchIntent, LaunchOutcome, launch};

    fn tags(pairs: &[(&str, &str)]) -> StringMap {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    /// A `role: web:1` job launched on node a; returns the job, the entry and the run's id.
    fn launched_on_a() -> (StoredJob, LedgerEntry, String) {
        let mut web = job("web", "allow", 0);
        web.tags = Some(tags(&[("role", "web:1")]));
        let mut stored = stored(web);
        let run = plan(at(10), "a");
        let intent = LaunchIntent {
            nominal: at(10),
            trigger: Trigger::Schedule,
            runs: vec![run.clone()],
            decided_at: at(9),
        };
        let launched = launch(&mut stored, false, false, intent).expect("a new occurrence");
        assert!(matches!(launched.outcome, LaunchOutcome::Started { .. }));
        (stored, launched.entry, run.execution_id)
    }

    const ACTIVE: MoveFacts = MoveFacts {
        active_on_old_node: true,
        start_recorded: false,
    };

    #[test]
    fn a_run_no_node_had_moves_to_a_matching_node_and_keeps_its_id() {
        let (mut stored, mut entry, id) = launched_on_a();
        let web = tags(&[("role", "web")]);
        let request = MoveRequest {
            execution_id: &id,
            from_node: "a",
            to_node: "b",
            to_node_tags: &web,
        };
        move_run(&mut stored, Some(&mut entry), ACTIVE, request).expect("movable");
        assert_eq!(entry.runs.len(), 1);
        assert_eq!(entry.runs[0].node_name, "b");
        assert_eq!(entry.runs[0].execution_id, id);
        assert_eq!(entry.state, OccurrenceState::Launched);
        assert_eq!(stored.active_runs, 1, "still one run, on another node");
    }

    #[test]
    fn a_run_stays_when_it_may_be_somewhere_or_the_node_does_not_fit() {
        let web = tags(&[("role", "web")]);
        let db = tags(&[("role", "db")]);
        let cases: [(MoveFacts, &str, &str, &StringMap, &str); 5] = [
            (ACTIVE, "a", "a", &web, "already on node a"),
            (
                MoveFacts {
                    active_on_old_node: false,
                    ..ACTIVE
                },
                "a",
                "b",
                &web,
                "not active on node a",
            ),
            (ACTIVE, "c", "b", &web, "not active on node c"),
            (
                MoveFacts {
                    start_recorded: true,
                    ..ACTIVE
                },
                "a",
                "b",
                &web,
                "start is recorded",
            ),
            (ACTIVE, "a", "b", &db, "does not carry the job's tags"),
        ];
        for (facts, from, to, to_tags, why) in cases {
            let (mut stored, mut entry, id) = launched_on_a();
            let before = (stored.clone(), entry.clone());
            // The store only says "active on the old node" for the node the run is on.
            let facts = MoveFacts {
                active_on_old_node: facts.active_on_old_node && from == "a",
                ..facts
            };
            let request = MoveRequest {
                execution_id: &id,
                from_node: from,
                to_node: to,
                to_node_tags: to_tags,
            };
            let refusal =
                move_run(&mut stored, Some(&mut entry), facts, request).expect_err("not movable");
            assert!(refusal.to_string().contains(why), "{refusal} ({why})");
            assert_eq!((stored, entry), before, "a refused move changes nothing");
        }
    }

    #[test]
    fn a_run_never_joins_another_run_of_its_occurrence() {
        let (mut stored, mut entry, id) = launched_on_a();
        let mut second = entry.runs[0].clone();
        second.execution_id = "other".into();
        second.node_name = "b".into();
        entry.runs.push(second);
        let web = tags(&[("role", "web")]);
        let request = MoveRequest {
            execution_id: &id,
            from_node: "a",
            to_node: "b",
            to_node_tags: &web,
        };
        let refusal =
            move_run(&mut stored, Some(&mut entry), ACTIVE, request).expect_err("b is taken");
        assert!(refusal.to_string().contains("another run"), "{refusal}");
        assert_eq!(entry.runs[0].node_name, "a");
    }
}
