//! What the rest of the agent sees of the membership: member views and change events.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use dkron_model::MemberStatus;

/// One member as this node currently sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    /// Node name.
    pub name: String,
    /// Gossip address the node advertises.
    pub addr: SocketAddr,
    /// Node tags.
    pub tags: BTreeMap<String, String>,
    /// Serf status: alive, leaving (only ourselves), left or failed.
    pub status: MemberStatus,
}

/// A change of the member list, in Serf's event vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipEvent {
    /// A member appeared, or came back after failing or leaving.
    Joined(MemberView),
    /// An alive member changed its tags or address.
    Updated(MemberView),
    /// A member stopped answering and was declared dead.
    Failed(MemberView),
    /// A member left on purpose.
    Left(MemberView),
}

impl MembershipEvent {
    /// Returns the member the event is about.
    pub fn member(&self) -> &MemberView {
        match self {
            MembershipEvent::Joined(view)
            | MembershipEvent::Updated(view)
            | MembershipEvent::Failed(view)
            | MembershipEvent::Left(view) => view,
        }
    }
}
