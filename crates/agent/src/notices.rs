//! Notifications about executions, the agent's side (Dkron §9). The state machine leaves a
//! notice in its replicated outbox for each run record a notification follows; the leader
//! sends them through `dkron-notify` and removes what it sent. A leader change delays a
//! notification rather than dropping it: the next leader sends what is left (at least once; a
//! send cut short may be repeated).
//!
//! Beyond Dkron, `notify-on` (or a job's `notify_on`) limits them to failures or to changes of
//! outcome, and an execution that is retried is notified once, after its last attempt.

mod deliver;
mod outbox;
mod wanted;

pub use outbox::follow;
pub use wanted::apply_settings;
