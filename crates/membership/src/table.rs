//! The member list this node shows, derived from foca's view plus the leave notices.
//!
//! Rather than interpreting each foca notification on its own, the table is rebuilt from
//! foca's full membership state whenever something changed, and the difference with the
//! previous table gives the events. That keeps renames (restarts, tag changes), several
//! runs of one name on different addresses, and the order in which a leave notice and
//! foca's "down" arrive from leaking into the result.

use std::collections::{BTreeMap, HashMap};

use dkron_model::MemberStatus;

use crate::frame::LeaveNotice;
use crate::identity::NodeIdentity;
use crate::{MemberView, MembershipEvent};

/// Members by name, ourselves included, and the leaves announced to us.
pub(crate) struct MemberTable {
    local: MemberView,
    others: BTreeMap<String, MemberView>,
    /// name -> generation that announced its leave
    leaves: HashMap<String, u64>,
}

impl MemberTable {
    /// Returns a table that only knows this node.
    pub(crate) fn new(local: MemberView) -> Self {
        MemberTable {
            local,
            others: BTreeMap::new(),
            leaves: HashMap::new(),
        }
    }

    /// Replaces what we show for this node (after a tag change, a renewal, a leave).
    pub(crate) fn set_local(&mut self, local: MemberView) {
        self.local = local;
    }

    /// Remembers that a node announced its leave; returns whether it is news.
    pub(crate) fn record_leave(&mut self, notice: LeaveNotice) -> bool {
        let previous = self.leaves.insert(notice.name, notice.generation);
        previous != Some(notice.generation)
    }

    /// Rebuilds the table from foca's members (identity, active) and returns the changes.
    ///
    /// For each name the newest generation counts: an older run of the node may still
    /// be listed by foca under another address until it is reaped. A name foca no longer
    /// lists has been reaped and disappears without an event.
    pub(crate) fn reconcile<'a>(
        &mut self,
        foca_members: impl IntoIterator<Item = (&'a NodeIdentity, bool)>,
    ) -> Vec<MembershipEvent> {
        let mut newest: BTreeMap<&str, (&NodeIdentity, bool)> = BTreeMap::new();
        for (identity, active) in foca_members {
            if identity.name.is_empty() || identity.name == self.local.name {
                // a previous run of ourselves, or a placeholder: never a peer
                continue;
            }
            let is_newer = newest
                .get(identity.name.as_str())
                .is_none_or(|(known, _)| identity.generation > known.generation);
            if is_newer {
                newest.insert(&identity.name, (identity, active));
            }
        }

        let mut events = Vec::new();
        let mut rebuilt = BTreeMap::new();
        for (name, (identity, active)) in newest {
            let announced_leave = self.leaves.get(name) == Some(&identity.generation);
            let status = match (announced_leave, active) {
                (true, _) => MemberStatus::Left,
                (false, true) => MemberStatus::Alive,
                (false, false) => MemberStatus::Failed,
            };
            let view = identity.view(status);
            if let Some(event) = change_event(self.others.get(name), &view) {
                events.push(event);
            }
            rebuilt.insert(name.to_string(), view);
        }
        self.others = rebuilt;
        self.leaves.retain(|name, _| self.others.contains_key(name));
        events
    }

    /// Returns every member sorted by name, this node included.
    pub(crate) fn members(&self) -> Vec<MemberView> {
        let mut members: Vec<MemberView> = self.others.values().cloned().collect();
        members.push(self.local.clone());
        members.sort_by(|left, right| left.name.cmp(&right.name));
        members
    }

    /// Returns one member by name, this node included.
    pub(crate) fn member(&self, name: &str) -> Option<MemberView> {
        if self.local.name == name {
            return Some(self.local.clone());
        }
        self.others.get(name).cloned()
    }

    /// Returns how many members are alive, this node included.
    pub(crate) fn alive_count(&self) -> usize {
        let others_alive = self
            .others
            .values()
            .filter(|view| view.status == MemberStatus::Alive)
            .count();
        others_alive + usize::from(self.local.status == MemberStatus::Alive)
    }
}

/// Returns the event that turns `before` into `after`, if any.
fn change_event(before: Option<&MemberView>, after: &MemberView) -> Option<MembershipEvent> {
    let after_copy = after.clone();
    match (before.map(|view| view.status), after.status) {
        (None | Some(MemberStatus::Failed | MemberStatus::Left), MemberStatus::Alive) => {
            Some(MembershipEvent::Joined(after_copy))
        }
        (Some(MemberStatus::Alive), MemberStatus::Alive) => {
            (before != Some(after)).then_some(MembershipEvent::Updated(after_copy))
        }
        (Some(MemberStatus::Alive), MemberStatus::Failed) => {
            Some(MembershipEvent::Failed(after_copy))
        }
        (Some(MemberStatus::Alive | MemberStatus::Failed), MemberStatus::Left) => {
            Some(MembershipEvent::Left(after_copy))
        }
        // first heard of while already gone, or no change worth telling
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn identity(name: &str, port: u16, generation: u64) -> NodeIdentity {
        NodeIdentity {
            addr: format!("127.0.0.1:{port}").parse().expect("valid address"),
            name: name.into(),
            generation,
            tags: BTreeMap::from([("role".into(), "dkron".into())]),
        }
    }

    fn table() -> MemberTable {
        MemberTable::new(identity("self", 1, 1).view(MemberStatus::Alive))
    }

    fn statuses(table: &MemberTable) -> Vec<(String, MemberStatus)> {
        let members = table.members();
        members
            .into_iter()
            .map(|view| (view.name, view.status))
            .collect()
    }

    #[test]
    fn join_fail_and_rejoin_under_a_new_generation() {
        let mut table = table();
        let first_run = identity("b", 2, 10);
        let events = table.reconcile([(&first_run, true)]);
        assert!(matches!(events.as_slice(), [MembershipEvent::Joined(view)] if view.name == "b"));

        let events = table.reconcile([(&first_run, false)]);
        assert!(matches!(events.as_slice(), [MembershipEvent::Failed(_)]));
        assert_eq!(table.alive_count(), 1);

        // the restarted node on another port: the old run is still listed, down
        let second_run = identity("b", 3, 20);
        let events = table.reconcile([(&first_run, false), (&second_run, true)]);
        assert!(
            matches!(events.as_slice(), [MembershipEvent::Joined(view)] if view.addr.port() == 3)
        );
        assert_eq!(
            statuses(&table),
            vec![
                ("b".into(), MemberStatus::Alive),
                ("self".into(), MemberStatus::Alive)
            ]
        );
    }

    #[test]
    fn a_member_is_found_by_name_as_members_lists_it() {
        let mut table = table();
        let node = identity("b", 2, 10);
        table.reconcile([(&node, true)]);
        for name in ["self", "b"] {
            let listed = table.members().into_iter().find(|m| m.name == name);
            assert_eq!(table.member(name), listed, "{name}");
        }
        table.reconcile([(&node, false)]);
        assert_eq!(
            table.member("b").map(|m| m.status),
            Some(MemberStatus::Failed)
        );
        assert_eq!(table.member("nobody"), None);
    }

    #[test]
    fn a_leave_notice_wins_over_down_in_either_order() {
        let mut table = table();
        let node = identity("b", 2, 10);
        table.reconcile([(&node, true)]);
        let notice = LeaveNotice {
            name: "b".into(),
            generation: 10,
        };

        // notice first, foca still thinks it is active
        assert!(table.record_leave(notice.clone()));
        let events = table.reconcile([(&node, true)]);
        assert!(matches!(events.as_slice(), [MembershipEvent::Left(_)]));
        assert!(table.reconcile([(&node, false)]).is_empty());

        // down first (reported as failed), the notice corrects it
        let mut table = self::table();
        table.reconcile([(&node, true)]);
        table.reconcile([(&node, false)]);
        table.record_leave(notice);
        let events = table.reconcile([(&node, false)]);
        assert!(matches!(events.as_slice(), [MembershipEvent::Left(_)]));
    }

    #[test]
    fn a_leave_notice_does_not_apply_to_the_next_run() {
        let mut table = table();
        table.record_leave(LeaveNotice {
            name: "b".into(),
            generation: 10,
        });
        let next_run = identity("b", 2, 11);
        let events = table.reconcile([(&next_run, true)]);
        assert!(matches!(events.as_slice(), [MembershipEvent::Joined(_)]));
    }

    #[test]
    fn tag_changes_are_updates_and_reaped_members_vanish() {
        let mut table = table();
        let before = identity("b", 2, 10);
        table.reconcile([(&before, true)]);
        let after = before.with_tags(BTreeMap::from([("dc".into(), "eu".into())]));
        let events = table.reconcile([(&after, true)]);
        assert!(
            matches!(events.as_slice(), [MembershipEvent::Updated(view)] if view.tags.contains_key("dc"))
        );
        assert!(table.reconcile([(&after, true)]).is_empty());

        assert!(table.reconcile([]).is_empty());
        assert_eq!(statuses(&table), vec![("self".into(), MemberStatus::Alive)]);
    }

    #[test]
    fn our_own_name_and_placeholders_are_never_peers() {
        let mut table = table();
        let old_self = identity("self", 1, 0);
        let placeholder = NodeIdentity::seed_placeholder("127.0.0.1:9".parse().expect("valid"));
        assert!(
            table
                .reconcile([(&old_self, false), (&placeholder, true)])
                .is_empty()
        );
        assert_eq!(table.members().len(), 1);
    }
}
