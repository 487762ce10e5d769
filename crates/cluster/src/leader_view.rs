//! Whether this server knows a leader that can take a write right now (issue 14).
//!
//! openraft keeps a leader leading for as long as no other server is elected, even when it
//! has not heard from any follower for minutes: on the minority side of a partition it
//! would name itself leader, append writes it can never commit, and commit them after the
//! partition heals. A follower cut off from its leader keeps naming it too. This module
//! decides from plain facts (no clock, no I/O) whether the leader a server knows is
//! believable: a leader must have been acknowledged by a quorum, and a follower must have
//! heard from its leader, within the last `window`.

use std::time::Duration;

/// What this server knows about the leader, as the facts below let it judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaderView {
    /// This server leads and a quorum acknowledged it within the window.
    Me,
    /// Another server (this Raft id) leads and was heard from within the window.
    Other(u64),
    /// No leader can be trusted to take a write; the reason says why.
    Unknown(UnknownLeader),
}

/// Why no leader is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownLeader {
    /// No server has won an election that this server knows of.
    NoneElected,
    /// This server won an election but has no quorum of servers behind it: none
    /// acknowledged it for `silent_for` (`None`: not once since it was elected).
    NoQuorum {
        /// Time since a quorum last acknowledged this leader.
        silent_for: Option<Duration>,
    },
    /// The leader this server followed has not been heard from for `silent_for` (`None`:
    /// not once since this process started).
    LeaderSilent {
        /// The Raft id of the silent leader.
        leader: u64,
        /// Time since its last message.
        silent_for: Option<Duration>,
    },
}

/// What a server knows when it judges: read from openraft's metrics and the time of the
/// last message from a leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaderFacts {
    /// This server's Raft id.
    pub me: u64,
    /// The leader openraft names, if any.
    pub named_leader: Option<u64>,
    /// Whether this server alone is a quorum (a one-voter cluster).
    pub alone_is_quorum: bool,
    /// Time since a quorum last acknowledged this server as leader (leaders only).
    pub quorum_acked_ago: Option<Duration>,
    /// Time since this server last took an append or snapshot from a leader.
    pub leader_heard_ago: Option<Duration>,
}

/// Decides whether the leader named in `facts` is believable within `window`.
pub fn judge(facts: &LeaderFacts, window: Duration) -> LeaderView {
    let fresh = |ago: Option<Duration>| ago.is_some_and(|ago| ago <= window);
    match facts.named_leader {
        None => LeaderView::Unknown(UnknownLeader::NoneElected),
        Some(leader) if leader == facts.me => {
            if facts.alone_is_quorum || fresh(facts.quorum_acked_ago) {
                LeaderView::Me
            } else {
                LeaderView::Unknown(UnknownLeader::NoQuorum {
                    silent_for: facts.quorum_acked_ago,
                })
            }
        }
        Some(leader) => {
            if fresh(facts.leader_heard_ago) {
                LeaderView::Other(leader)
            } else {
                LeaderView::Unknown(UnknownLeader::LeaderSilent {
                    leader,
                    silent_for: facts.leader_heard_ago,
                })
            }
        }
    }
}

/// Seconds with one decimal, for messages.
fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

impl std::fmt::Display for UnknownLeader {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnknownLeader::NoneElected => write!(formatter, "no leader is elected"),
            UnknownLeader::NoQuorum {
                silent_for: Some(silent_for),
            } => write!(
                formatter,
                "no quorum reachable: this server was elected leader but no quorum of servers has answered it for {}",
                seconds(*silent_for)
            ),
            UnknownLeader::NoQuorum { silent_for: None } => write!(
                formatter,
                "no quorum reachable: this server was elected leader but no quorum of servers has answered it yet"
            ),
            UnknownLeader::LeaderSilent {
                leader,
                silent_for: Some(silent_for),
            } => write!(
                formatter,
                "no leader is known: the last leader (raft id {leader}) has not been heard from for {}",
                seconds(*silent_for)
            ),
            UnknownLeader::LeaderSilent {
                leader,
                silent_for: None,
            } => write!(
                formatter,
                "no leader is known: the last leader (raft id {leader}) has not been heard from since this server started"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_millis(1_500);

    fn facts(named_leader: Option<u64>) -> LeaderFacts {
        LeaderFacts {
            me: 1,
            named_leader,
            alone_is_quorum: false,
            quorum_acked_ago: None,
            leader_heard_ago: None,
        }
    }

    fn ms(millis: u64) -> Option<Duration> {
        Some(Duration::from_millis(millis))
    }

    #[test]
    fn a_leader_acknowledged_by_a_quorum_within_the_window_leads() {
        let leading = LeaderFacts {
            quorum_acked_ago: ms(200),
            ..facts(Some(1))
        };
        assert_eq!(judge(&leading, WINDOW), LeaderView::Me);
    }

    #[test]
    fn a_leader_without_a_quorum_for_longer_than_the_window_is_not_a_leader() {
        let isolated = LeaderFacts {
            quorum_acked_ago: ms(1_600),
            ..facts(Some(1))
        };
        let view = judge(&isolated, WINDOW);
        assert_eq!(
            view,
            LeaderView::Unknown(UnknownLeader::NoQuorum {
                silent_for: ms(1_600)
            })
        );
        let LeaderView::Unknown(reason) = view else {
            unreachable!()
        };
        assert!(reason.to_string().starts_with("no quorum reachable"));
        assert!(reason.to_string().contains("1.6 s"), "{reason}");
    }

    #[test]
    fn a_leader_never_acknowledged_is_not_a_leader_unless_it_is_the_only_voter() {
        assert!(matches!(
            judge(&facts(Some(1)), WINDOW),
            LeaderView::Unknown(UnknownLeader::NoQuorum { silent_for: None })
        ));
        let single = LeaderFacts {
            alone_is_quorum: true,
            ..facts(Some(1))
        };
        assert_eq!(judge(&single, WINDOW), LeaderView::Me);
    }

    #[test]
    fn a_follower_trusts_a_leader_it_heard_from_within_the_window() {
        let following = LeaderFacts {
            leader_heard_ago: ms(100),
            ..facts(Some(2))
        };
        assert_eq!(judge(&following, WINDOW), LeaderView::Other(2));
        let cut_off = LeaderFacts {
            leader_heard_ago: ms(5_000),
            ..facts(Some(2))
        };
        let view = judge(&cut_off, WINDOW);
        assert_eq!(
            view,
            LeaderView::Unknown(UnknownLeader::LeaderSilent {
                leader: 2,
                silent_for: ms(5_000)
            })
        );
        assert!(matches!(
            judge(&facts(Some(2)), WINDOW),
            LeaderView::Unknown(UnknownLeader::LeaderSilent {
                silent_for: None,
                ..
            })
        ));
    }

    #[test]
    fn no_named_leader_means_none_elected_whatever_else_is_known() {
        let stale = LeaderFacts {
            quorum_acked_ago: ms(1),
            leader_heard_ago: ms(1),
            ..facts(None)
        };
        assert_eq!(
            judge(&stale, WINDOW),
            LeaderView::Unknown(UnknownLeader::NoneElected)
        );
        assert_eq!(
            UnknownLeader::NoneElected.to_string(),
            "no leader is elected"
        );
    }
}
