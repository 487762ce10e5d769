//! Which gossip members proved, over node RPC, that they hold this cluster's credential
//! (ADR 15). Gossip lets anyone who can reach the gossip port (or, with the gossip key, only
//! holders of the key) into the member list; a member whose TLS handshake fails is marked
//! refused here and never chosen as a job target.
//!
//! The set is pure: `peer_probe.rs` asks it which members are due a probe and records what
//! the probe found. It holds at most one entry per alive member and never more than its
//! capacity, and a run only looks up the candidates' names (nothing when none is refused).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The most members the set remembers a verdict for; members beyond it stay unprobed, and
/// are treated as unprobed members are (they may be targets).
pub const MAX_TRUST_ENTRIES: usize = 8_192;
/// The most probes that may be under way at once.
pub const MAX_PROBES_IN_FLIGHT: usize = 32;
/// How soon a refused member is probed again, so one fixed with the right certificate is
/// admitted without restarting the servers.
pub const RETRY_REFUSED_AFTER: Duration = Duration::from_secs(15);
/// How soon a member that did not answer (down, slow, still starting) is probed again.
pub const RETRY_UNANSWERED_AFTER: Duration = Duration::from_secs(5);

/// What a probe of a member found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// A call succeeded over TLS: the member holds this cluster's credential.
    Trusted,
    /// The TLS handshake failed, for this reason.
    Refused(String),
    /// No verdict: connection refused, timeout or another error that says nothing about
    /// the member's credential.
    Unanswered,
}

/// A member to probe: its name and its RPC address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// Node name.
    pub name: String,
    /// gRPC address (tag `rpc_addr`).
    pub rpc_addr: String,
}

#[derive(Debug)]
struct Entry {
    rpc_addr: String,
    verdict: Probe,
    checked: Instant,
    in_flight: bool,
}

/// Trust verdicts by member name.
#[derive(Debug)]
pub struct PeerTrust {
    entries: Mutex<HashMap<String, Entry>>,
    refused: AtomicUsize,
    capacity: usize,
}

impl Default for PeerTrust {
    fn default() -> Self {
        PeerTrust::with_capacity(MAX_TRUST_ENTRIES)
    }
}

impl PeerTrust {
    /// Returns an empty set remembering at most `capacity` members.
    pub fn with_capacity(capacity: usize) -> Self {
        PeerTrust {
            entries: Mutex::new(HashMap::new()),
            refused: AtomicUsize::new(0),
            capacity,
        }
    }

    /// Forgets members no longer in `alive` and returns those due a probe, marked as under
    /// way: first seen, at a new RPC address, or refused or unanswered long enough ago.
    pub fn due(&self, alive: &[Due], now: Instant) -> Vec<Due> {
        let mut entries = self.lock();
        let names: HashSet<&str> = alive.iter().map(|member| member.name.as_str()).collect();
        entries.retain(|name, _| names.contains(name.as_str()));
        let mut in_flight = entries.values().filter(|entry| entry.in_flight).count();
        let mut due = Vec::new();
        for member in alive {
            if in_flight >= MAX_PROBES_IN_FLIGHT {
                break;
            }
            let is_due = match entries.get(&member.name) {
                None => entries.len() < self.capacity,
                Some(entry) => !entry.in_flight && entry_is_due(entry, &member.rpc_addr, now),
            };
            if !is_due {
                continue;
            }
            let entry = entries.entry(member.name.clone()).or_insert(Entry {
                rpc_addr: member.rpc_addr.clone(),
                verdict: Probe::Unanswered,
                checked: now,
                in_flight: false,
            });
            if entry.rpc_addr != member.rpc_addr {
                // What the old address proved says nothing about the new one.
                entry.rpc_addr.clone_from(&member.rpc_addr);
                entry.verdict = Probe::Unanswered;
            }
            entry.in_flight = true;
            in_flight += 1;
            due.push(member.clone());
        }
        self.count_refused(&entries);
        due
    }

    /// Records what the probe of `member` found; returns true when this is news worth a
    /// warning (the member is refused now, and was not, or for another reason).
    pub fn record(&self, member: &Due, found: Probe, now: Instant) -> bool {
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(&member.name) else {
            return false;
        };
        entry.in_flight = false;
        if entry.rpc_addr != member.rpc_addr {
            // The member moved while it was probed: the next pass probes the new address.
            return false;
        }
        entry.checked = now;
        let news = matches!(&found, Probe::Refused(_)) && entry.verdict != found;
        // A member that did not answer keeps what it proved (or failed to prove) before.
        if found != Probe::Unanswered {
            entry.verdict = found;
        }
        self.count_refused(&entries);
        news
    }

    /// Records that another call (an order) failed the TLS handshake with `member`, so the
    /// member is refused before or without a probe; returns true when this is news worth a
    /// warning, as [`PeerTrust::record`] does.
    pub fn refuse(&self, member: &Due, reason: String, now: Instant) -> bool {
        let mut entries = self.lock();
        if !entries.contains_key(&member.name) && entries.len() >= self.capacity {
            return false;
        }
        let entry = entries.entry(member.name.clone()).or_insert(Entry {
            rpc_addr: member.rpc_addr.clone(),
            verdict: Probe::Unanswered,
            checked: now,
            in_flight: false,
        });
        entry.rpc_addr.clone_from(&member.rpc_addr);
        entry.checked = now;
        let found = Probe::Refused(reason);
        let news = entry.verdict != found;
        entry.verdict = found;
        self.count_refused(&entries);
        news
    }

    /// Why the member `name` at `rpc_addr` is refused, if it is.
    pub fn refusal(&self, name: &str, rpc_addr: Option<&str>) -> Option<String> {
        if self.refused.load(Ordering::Acquire) == 0 {
            return None;
        }
        let entries = self.lock();
        let entry = entries.get(name)?;
        match &entry.verdict {
            Probe::Refused(reason) if Some(entry.rpc_addr.as_str()) == rpc_addr => {
                Some(reason.clone())
            }
            _ => None,
        }
    }

    /// Whether any member is refused (a cheap check before looking names up).
    pub fn any_refused(&self) -> bool {
        self.refused.load(Ordering::Acquire) > 0
    }

    /// How many members the set remembers.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    fn count_refused(&self, entries: &HashMap<String, Entry>) {
        let refused = entries
            .values()
            .filter(|entry| matches!(entry.verdict, Probe::Refused(_)))
            .count();
        self.refused.store(refused, Ordering::Release);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .expect("peer trust lock is never poisoned")
    }
}

fn entry_is_due(entry: &Entry, rpc_addr: &str, now: Instant) -> bool {
    if entry.rpc_addr != rpc_addr {
        return true;
    }
    let since = now.saturating_duration_since(entry.checked);
    match entry.verdict {
        Probe::Trusted => false,
        Probe::Refused(_) => since >= RETRY_REFUSED_AFTER,
        Probe::Unanswered => since >= RETRY_UNANSWERED_AFTER,
    }
}

#[cfg(test)]
#[path = "peer_trust_test.rs"]
mod tests;
