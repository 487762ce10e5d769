//! The runs this node received, so a repeated order never starts a run twice.

use std::collections::HashMap;

use super::RunKey;
use super::order::RunState;

/// How long a finished run is remembered, so a repeated order for it is refused.
const REMEMBER_FINISHED: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// dispatched) must not start a run twice.
#[derive(Default)]
pub(super) struct Received {
    runs: HashMap<RunKey, (RunState, std::time::Instant)>,
}

impl Received {
    pub(super) fn admit(&mut self, key: &RunKey) -> bool {
        if self.runs.len() > 10_000 {
            self.runs.retain(|_, (state, at)| {
                *state == RunState::Running || at.elapsed() < REMEMBER_FINISHED
            });
        }
        if self.runs.contains_key(key) {
            return false;
        }
        self.runs
            .insert(key.clone(), (RunState::Running, std::time::Instant::now()));
        true
    }

    pub(super) fn finish(&mut self, key: &RunKey) {
        self.runs
            .insert(key.clone(), (RunState::Finished, std::time::Instant::now()));
    }

    pub(super) fn state(&self, key: &RunKey) -> RunState {
        self.runs
            .get(key)
            .map_or(RunState::Unknown, |(state, _)| *state)
    }
}
