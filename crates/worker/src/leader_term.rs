//! Fencing orders by the leader's Raft term (issue 13): a node remembers the highest term it
//! has heard in an order and refuses orders from an older one, so a deposed leader that has
//! not noticed yet cannot start or kill runs behind its successor's back. One atomic: O(1)
//! per order, no lock.

use std::sync::atomic::{AtomicU64, Ordering};

/// An order from a leader older than one this node has already heard from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "refused: the order comes from a leader of term {term}, and this node has already heard from term {highest}"
)]
pub struct StaleLeader {
    /// The term the order carried.
    pub term: u64,
    /// The highest term this node has heard.
    pub highest: u64,
}

/// The highest leader term heard in an order.
#[derive(Debug, Default)]
pub struct LeaderTerms {
    highest: AtomicU64,
}

impl LeaderTerms {
    /// Admits an order sent in leader term `term`, remembering the term when it is the
    /// highest yet; refuses it when an order of a later term has already arrived. Orders
    /// without a term (0, from before terms were sent) are refused once any term is known.
    pub fn admit(&self, term: u64) -> Result<(), StaleLeader> {
        let highest = self.highest.fetch_max(term, Ordering::AcqRel);
        if term < highest {
            return Err(StaleLeader { term, highest });
        }
        Ok(())
    }

    /// Returns the highest term heard.
    pub fn highest(&self) -> u64 {
        self.highest.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_of_an_older_term_is_refused_and_changes_nothing() {
        let terms = LeaderTerms::default();
        assert_eq!(terms.admit(3), Ok(()));
        assert_eq!(terms.admit(3), Ok(()), "the same leader keeps ordering");
        assert_eq!(
            terms.admit(2),
            Err(StaleLeader {
                term: 2,
                highest: 3
            })
        );
        assert_eq!(
            terms.highest(),
            3,
            "a refused order does not lower the term"
        );
        assert_eq!(terms.admit(5), Ok(()), "a newer leader is obeyed");
        assert!(terms.admit(3).is_err(), "and its predecessor no longer");
        assert!(
            terms.admit(0).is_err(),
            "an order without a term once terms are known"
        );
    }
}
