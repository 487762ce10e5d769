//! The leader's scheduler: decides about every occurrence `(job, nominal time)` and hands the
//! committed launches to the dispatcher.
//!
//! The decision code ([`plan_job`] and its helpers) is pure: time is an argument and nothing
//! in it touches tokio. A thin async loop ([`Scheduler`]) drives it against a
//! [`SchedulerBackend`], which commits decisions through the replicated log and dispatches the
//! accepted launches. `docs/scheduling.md` describes the rules for users; this crate's
//! `README.md` describes the design.

mod backend;
mod clock;
mod config;
mod decision;
mod error;
mod gate;
mod nominal;
mod overload;
mod plan;
mod planned_job;
mod queues;
mod runner;
mod scheduler;
mod status;

#[cfg(any(test, feature = "testsuite"))]
pub mod testsuite;

pub use backend::{AcceptedLaunch, CommitOutcome, PlannedRun, ScheduledJob, SchedulerBackend};
pub use clock::{Clock, Sleep, SystemClock};
pub use config::{PlanRules, SchedulerConfig};
pub use decision::Decision;
// The misfire policy is a model type: a job's `misfire_policy` and the agent's setting share it.
pub use dkron_model::{MisfirePolicy, ParseMisfirePolicyError};
pub use error::{ConfigError, SchedulerError};
pub use nominal::NominalSchedule;
pub use overload::{BEHIND_AT, OverloadChange, OverloadWatch};
pub use plan::{JobPlan, is_scheduled, next_after_now, next_occurrence, next_scheduled, plan_job};
pub use planned_job::{PlannedJob, PlanningFacts};
pub use scheduler::{STOP_DEADLINE, Scheduler, SchedulerHandle};
pub use status::SchedulerStatus;
