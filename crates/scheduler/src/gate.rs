//! The dispatch gate: once closed, no launch is handed to the dispatcher any more.
//!
//! The loop dispatches while holding the gate's lock, and `stop` closes it under the same lock,
//! so when `stop` has closed the gate no dispatch is in progress and none will start.

use std::sync::{Mutex, PoisonError};

/// A one-way switch guarding every call to `SchedulerBackend::dispatch`.
#[derive(Debug, Default)]
pub(crate) struct DispatchGate {
    closed: Mutex<bool>,
}

impl DispatchGate {
    /// Closes the gate; waits for a dispatch in progress to return.
    pub(crate) fn close(&self) {
        *self.closed.lock().unwrap_or_else(PoisonError::into_inner) = true;
    }

    /// Returns true once the gate is closed.
    pub(crate) fn is_closed(&self) -> bool {
        *self.closed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `action` with `value` while the gate is open, or gives `value` back when closed.
    pub(crate) fn pass<T>(&self, value: T, action: impl FnOnce(T)) -> Result<(), T> {
        let closed = self.closed.lock().unwrap_or_else(PoisonError::into_inner);
        if *closed {
            return Err(value);
        }
        action(value);
        drop(closed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_gate_gives_the_value_back() {
        let gate = DispatchGate::default();
        let mut seen = Vec::new();
        assert_eq!(gate.pass(1, |value| seen.push(value)), Ok(()));
        gate.close();
        assert!(gate.is_closed());
        assert_eq!(gate.pass(2, |value| seen.push(value)), Err(2));
        assert_eq!(seen, vec![1]);
    }
}
