//! The runs this node received, so a repeated order never starts a run twice.
//!
//! A run is remembered in three stages. While it runs, and after it finished until its
//! result is written, it is kept unconditionally: a leader asking about it then must hear
//! "running" or "finished", never "unknown" (which would make it record the run as lost).
//! Once the result is written no leader asks about it again and no leader sends it again;
//! only an order already in flight could still arrive, so the run is remembered for a
//! while longer, bounded by age and by count, and then forgotten.
//!
//! Every operation is O(1) amortised: forgetting pops the oldest entries off a queue kept
//! in the order results were written, never a scan of the map.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dkron_model::limits;

use crate::order::{RunKey, RunState};

/// How long, and how many, runs whose result is written are still remembered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordedRunBound {
    /// Runs whose result was written longer ago than this are forgotten.
    pub keep_for: Duration,
    /// At most this many of them are remembered; the oldest go first.
    pub max_count: usize,
}

impl Default for RecordedRunBound {
    fn default() -> Self {
        RecordedRunBound {
            keep_for: limits::RECORDED_RUN_MEMORY,
            max_count: limits::MAX_RECORDED_RUNS_REMEMBERED,
        }
    }
}

/// Where a remembered run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Running,
    /// Finished; its result is queued and not yet written.
    Finished,
    /// Finished and written; `ticket` is its place in the forgetting queue.
    Recorded {
        ticket: u64,
    },
}

/// The runs this node received (orders can arrive twice: a new leader resends what it
/// cannot confirm was received), in memory bounded as the module header says.
#[derive(Debug)]
pub struct ReceivedRuns {
    bound: RecordedRunBound,
    runs: HashMap<Arc<RunKey>, Stage>,
    /// Recorded runs, oldest first: (when written, ticket, key).
    recorded: VecDeque<(Instant, u64, Arc<RunKey>)>,
    next_ticket: u64,
}

impl Default for ReceivedRuns {
    fn default() -> Self {
        ReceivedRuns::new(RecordedRunBound::default())
    }
}

impl ReceivedRuns {
    /// Creates an empty memory with the given bound on recorded runs.
    pub fn new(bound: RecordedRunBound) -> Self {
        ReceivedRuns {
            bound,
            runs: HashMap::new(),
            recorded: VecDeque::new(),
            next_ticket: 0,
        }
    }

    /// Takes a new run; returns false (and changes nothing) when the run is remembered.
    pub fn admit(&mut self, key: &RunKey, now: Instant) -> bool {
        self.forget_old(now);
        if self.runs.contains_key(key) {
            return false;
        }
        self.runs.insert(Arc::new(key.clone()), Stage::Running);
        true
    }

    /// Notes that a run ended; its result is about to be queued for writing.
    pub fn finish(&mut self, key: &RunKey) {
        match self.runs.get_mut(key) {
            Some(stage @ Stage::Running) => *stage = Stage::Finished,
            Some(_) => {}
            None => {
                self.runs.insert(Arc::new(key.clone()), Stage::Finished);
            }
        }
    }

    /// Notes that a finished run's result is written: from now on it may be forgotten.
    pub fn recorded(&mut self, key: &RunKey, now: Instant) {
        let Some((shared_key, stage)) = self.runs.get_key_value(key) else {
            return;
        };
        if *stage != Stage::Finished {
            return;
        }
        let shared_key = Arc::clone(shared_key);
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.runs
            .insert(Arc::clone(&shared_key), Stage::Recorded { ticket });
        self.recorded.push_back((now, ticket, shared_key));
        self.forget_old(now);
    }

    /// Returns what this node knows of a run.
    pub fn state(&self, key: &RunKey) -> RunState {
        match self.runs.get(key) {
            Some(Stage::Running) => RunState::Running,
            Some(Stage::Finished | Stage::Recorded { .. }) => RunState::Finished,
            None => RunState::Unknown,
        }
    }

    /// Returns how many runs are remembered, in every stage.
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    /// Returns true when no run is remembered.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Returns how many recorded runs are remembered (the part the bound applies to).
    pub fn recorded_len(&self) -> usize {
        self.recorded.len()
    }

    /// Forgets recorded runs past the bound: older than `keep_for`, or beyond `max_count`.
    /// Each call pops at most what it forgets, so the cost is O(1) amortised per run.
    fn forget_old(&mut self, now: Instant) {
        while let Some((written_at, ticket, _)) = self.recorded.front() {
            let too_many = self.recorded.len() > self.bound.max_count;
            let too_old = now.saturating_duration_since(*written_at) > self.bound.keep_for;
            if !too_many && !too_old {
                break;
            }
            let ticket = *ticket;
            if let Some((_, _, key)) = self.recorded.pop_front()
                && self.runs.get(&*key) == Some(&Stage::Recorded { ticket })
            {
                self.runs.remove(&*key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(index: usize) -> RunKey {
        (format!("job-{}", index % 97), format!("{index}-node"))
    }

    fn run_to_recorded(memory: &mut ReceivedRuns, key: &RunKey, at: Instant) {
        assert!(memory.admit(key, at), "a new run is admitted");
        memory.finish(key);
        memory.recorded(key, at);
    }

    #[test]
    fn a_repeated_order_is_refused_in_every_stage_while_remembered() {
        let now = Instant::now();
        let mut memory = ReceivedRuns::default();
        let run = key(1);
        assert!(memory.admit(&run, now));
        assert!(!memory.admit(&run, now), "refused while running");
        assert_eq!(memory.state(&run), RunState::Running);
        memory.finish(&run);
        assert!(
            !memory.admit(&run, now),
            "refused while its result is queued"
        );
        assert_eq!(memory.state(&run), RunState::Finished);
        memory.recorded(&run, now);
        assert!(
            !memory.admit(&run, now),
            "refused after its result is written"
        );
        assert_eq!(memory.state(&run), RunState::Finished);
    }

    #[test]
    fn recorded_runs_stay_within_the_count_bound_far_past_it() {
        let bound = RecordedRunBound {
            keep_for: Duration::from_secs(3600),
            max_count: 1_000,
        };
        let mut memory = ReceivedRuns::new(bound);
        let now = Instant::now();
        for index in 0..50_000 {
            run_to_recorded(&mut memory, &key(index), now);
            assert!(memory.recorded_len() <= bound.max_count);
            assert!(memory.len() <= bound.max_count);
        }
        // The newest `max_count` are still remembered and refused; older ones are forgotten.
        for index in 49_000..50_000 {
            assert!(!memory.admit(&key(index), now), "run {index} is remembered");
        }
        assert_eq!(memory.state(&key(48_999)), RunState::Unknown);
    }

    #[test]
    fn recorded_runs_are_forgotten_after_the_age_bound() {
        let bound = RecordedRunBound {
            keep_for: Duration::from_secs(60),
            max_count: 1_000_000,
        };
        let mut memory = ReceivedRuns::new(bound);
        let start = Instant::now();
        for index in 0..1_000 {
            run_to_recorded(&mut memory, &key(index), start);
        }
        let later = start + Duration::from_secs(30);
        run_to_recorded(&mut memory, &key(1_000), later);
        assert!(!memory.admit(&key(0), later), "30 s old: still remembered");
        let much_later = start + Duration::from_secs(61);
        assert!(memory.admit(&key(5_000), much_later));
        assert_eq!(
            memory.state(&key(0)),
            RunState::Unknown,
            "61 s old: forgotten"
        );
        assert_eq!(
            memory.state(&key(1_000)),
            RunState::Finished,
            "31 s old: kept"
        );
        assert_eq!(memory.recorded_len(), 1);
    }

    #[test]
    fn running_and_unwritten_runs_are_never_forgotten() {
        let bound = RecordedRunBound {
            keep_for: Duration::from_secs(1),
            max_count: 10,
        };
        let mut memory = ReceivedRuns::new(bound);
        let start = Instant::now();
        let running = key(1);
        let unwritten = key(2);
        assert!(memory.admit(&running, start));
        assert!(memory.admit(&unwritten, start));
        memory.finish(&unwritten);
        let later = start + Duration::from_secs(7 * 3600);
        for index in 10..10_000 {
            run_to_recorded(&mut memory, &key(index), later);
        }
        assert_eq!(memory.state(&running), RunState::Running);
        assert_eq!(memory.state(&unwritten), RunState::Finished);
        assert!(!memory.admit(&running, later));
        assert!(!memory.admit(&unwritten, later));
    }

    #[test]
    fn a_forgotten_run_taken_again_is_not_dropped_by_its_old_queue_place() {
        let bound = RecordedRunBound {
            keep_for: Duration::from_secs(10),
            max_count: 2,
        };
        let mut memory = ReceivedRuns::new(bound);
        let now = Instant::now();
        let run = key(1);
        run_to_recorded(&mut memory, &run, now);
        run_to_recorded(&mut memory, &key(2), now);
        run_to_recorded(&mut memory, &key(3), now);
        assert_eq!(memory.state(&run), RunState::Unknown);
        // Taken again (a stale order after it was forgotten) and still running: the old
        // queue place of the earlier run must not forget the new one.
        assert!(memory.admit(&run, now));
        run_to_recorded(&mut memory, &key(4), now);
        run_to_recorded(&mut memory, &key(5), now);
        assert_eq!(memory.state(&run), RunState::Running);
    }
}
