//! Scheduler configuration and the planning rules derived from it.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use dkron_model::MisfirePolicy;

use crate::error::ConfigError;

/// The longest `launch_lead` accepted: intents committed further ahead would hold the cursor
/// far in the future for no benefit.
pub(crate) const MAX_LAUNCH_LEAD: Duration = Duration::from_secs(60);

/// How the leader's scheduler plans, commits and dispatches occurrences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// What to do with occurrences missed while no scheduler ran.
    pub misfire_policy: MisfirePolicy,
    /// Missed occurrences older than this (relative to now) are always skipped as misfires.
    pub catch_up_window: Duration,
    /// An occurrence due at most this long ago is still on time (trigger `schedule`).
    pub on_time_grace: Duration,
    /// Launch intents are committed this long before their nominal time.
    pub launch_lead: Duration,
    /// Committed launches are handed to the backend this long before their nominal time (at
    /// most `launch_lead`); the backend then starts them at the nominal time itself, so the
    /// transport to a remote worker is not between the tick and the start.
    pub dispatch_lead: Duration,
    /// Most decisions per replicated write.
    pub max_batch: usize,
    /// Newest missed occurrences per job recorded one by one; older ones become one range.
    pub max_individual_skips: usize,
    /// Most occurrences one planning call iterates for one job; the rest waits for the next call.
    pub max_occurrences_per_plan: usize,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            misfire_policy: MisfirePolicy::RunOnce,
            catch_up_window: Duration::from_secs(3600),
            on_time_grace: Duration::from_secs(2),
            launch_lead: Duration::from_millis(200),
            dispatch_lead: Duration::ZERO,
            max_batch: 500,
            max_individual_skips: 100,
            max_occurrences_per_plan: 1_000_000,
        }
    }
}

impl SchedulerConfig {
    /// Checks every value and returns the first one out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_batch == 0 {
            return Err(ConfigError::Zero { field: "max_batch" });
        }
        if self.max_occurrences_per_plan == 0 {
            return Err(ConfigError::Zero {
                field: "max_occurrences_per_plan",
            });
        }
        if self.launch_lead > MAX_LAUNCH_LEAD {
            return Err(ConfigError::TooLong {
                field: "launch_lead",
                max_secs: MAX_LAUNCH_LEAD.as_secs(),
            });
        }
        if self.dispatch_lead > self.launch_lead {
            return Err(ConfigError::DispatchAfterLaunch);
        }
        Ok(())
    }

    /// Returns the rules the pure planner applies.
    pub fn plan_rules(&self) -> PlanRules {
        PlanRules {
            misfire_policy: self.misfire_policy,
            catch_up_window: saturating_delta(self.catch_up_window),
            on_time_grace: saturating_delta(self.on_time_grace),
            launch_lead: saturating_delta(self.launch_lead),
            max_individual_skips: self.max_individual_skips,
            max_occurrences: self.max_occurrences_per_plan.max(1),
            overload_since: DateTime::<Utc>::MAX_UTC,
        }
    }
}

/// The part of the configuration that decides about occurrences, in chrono units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanRules {
    /// What to do with missed occurrences inside the catch-up window.
    pub misfire_policy: MisfirePolicy,
    /// Missed occurrences older than `now - catch_up_window` are skipped.
    pub catch_up_window: TimeDelta,
    /// Occurrences at or after `now - on_time_grace` are on time.
    pub on_time_grace: TimeDelta,
    /// Occurrences up to `now + launch_lead` are decided now.
    pub launch_lead: TimeDelta,
    /// Newest skips recorded individually; older ones are summarised in one range.
    pub max_individual_skips: usize,
    /// Most occurrences iterated per job per call (at least 1).
    pub max_occurrences: usize,
    /// Since when a scheduler has been running: an occurrence due at or after this instant
    /// and reached late was missed because the scheduler fell behind (overload), not because
    /// none ran (an outage). The runner sets it when it starts; `MAX_UTC` treats every late
    /// occurrence as missed in an outage.
    pub overload_since: DateTime<Utc>,
}

impl PlanRules {
    /// Returns the rules for one job: its own `misfire_policy` and `catch_up_window` when set
    /// (validated when the job was saved; a value that does not parse keeps the server's).
    pub fn for_job(&self, job: &impl crate::PlannedJob) -> PlanRules {
        let mut rules = *self;
        if let Some(policy) = job.misfire_policy() {
            rules.misfire_policy = policy;
        }
        if let Some(window) = job.catch_up_window() {
            rules.catch_up_window = window;
        }
        rules
    }
}

impl Default for PlanRules {
    fn default() -> Self {
        SchedulerConfig::default().plan_rules()
    }
}

/// Converts a std duration, saturating at chrono's largest delta.
pub(crate) fn saturating_delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let config = SchedulerConfig::default();
        assert_eq!(config.validate(), Ok(()));
        let rules = config.plan_rules();
        assert_eq!(rules.on_time_grace, TimeDelta::seconds(2));
        assert_eq!(rules.launch_lead, TimeDelta::milliseconds(200));
        assert_eq!(rules.max_individual_skips, 100);
    }

    #[test]
    fn rejects_zero_batch_and_long_lead() {
        let zero_batch = SchedulerConfig {
            max_batch: 0,
            ..SchedulerConfig::default()
        };
        assert_eq!(
            zero_batch.validate(),
            Err(ConfigError::Zero { field: "max_batch" })
        );
        let long_lead = SchedulerConfig {
            launch_lead: Duration::from_secs(61),
            ..SchedulerConfig::default()
        };
        assert!(matches!(
            long_lead.validate(),
            Err(ConfigError::TooLong {
                field: "launch_lead",
                ..
            })
        ));
    }

    #[test]
    fn a_job_overrides_the_misfire_settings_it_sets() {
        let server = SchedulerConfig::default().plan_rules();
        let plain = dkron_model::Job::default();
        assert_eq!(server.for_job(&plain), server);
        let own = dkron_model::Job {
            misfire_policy: "run_all".into(),
            catch_up_window: "90s".into(),
            ..dkron_model::Job::default()
        };
        let rules = server.for_job(&own);
        assert_eq!(rules.misfire_policy, MisfirePolicy::RunAll);
        assert_eq!(rules.catch_up_window, TimeDelta::seconds(90));
        assert_eq!(
            rules.launch_lead, server.launch_lead,
            "the rest is the server's"
        );
    }

    #[test]
    fn huge_durations_saturate() {
        let config = SchedulerConfig {
            catch_up_window: Duration::MAX,
            ..SchedulerConfig::default()
        };
        assert_eq!(config.plan_rules().catch_up_window, TimeDelta::MAX);
    }
}
