//! The leader's scheduler: decides about every occurrence `(job, nominal time)` and hands the
//! committed launches to the dispatcher.
//!
//! The decision code (`plan_job` and its helpers) is pure: time is an argument and nothing in
//! it touches tokio. A thin async loop drives it against a [`SchedulerBackend`], which commits
//! decisions through the replicated log and dispatches the accepted launches. See
//! `docs/scheduling.md` for the user-facing rules.

mod config;
mod decision;
mod error;
mod nominal;
mod plan;
mod policy;

pub use config::{PlanRules, SchedulerConfig};
pub use decision::Decision;
pub use error::{ConfigError, ParseMisfirePolicyError, SchedulerError};
pub use nominal::NominalSchedule;
pub use plan::{JobPlan, is_scheduled, next_occurrence, next_scheduled, plan_job};
pub use policy::MisfirePolicy;
