//! Noticing that the scheduler falls behind, once per episode.
//!
//! The lag is how long ago the oldest occurrence still waiting for a decision, or the oldest
//! committed launch still waiting for dispatch, fell due. An episode begins when the lag
//! reaches `BEHIND_AT` and ends once it has stayed under `CAUGHT_UP_BELOW` for
//! `CAUGHT_UP_FOR`, so a lag that hovers around the threshold logs one episode, not many.

use chrono::{DateTime, TimeDelta, Utc};

/// A lag this long starts an episode (runs start visibly late; the on-time grace is 2 s).
pub const BEHIND_AT: TimeDelta = TimeDelta::milliseconds(500);
/// The lag must fall under this to count as caught up.
pub const CAUGHT_UP_BELOW: TimeDelta = TimeDelta::milliseconds(100);
/// ... and stay there this long for the episode to end.
pub const CAUGHT_UP_FOR: TimeDelta = TimeDelta::seconds(5);

/// What changed with one observation of the lag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverloadChange {
    /// The scheduler fell behind.
    Began {
        /// The lag that started the episode.
        lag: TimeDelta,
    },
    /// The scheduler caught up.
    Ended {
        /// From the first observation at or over `BEHIND_AT` to the end.
        lasted: TimeDelta,
        /// The largest lag seen in the episode.
        max_lag: TimeDelta,
    },
}

/// The episode the scheduler is in, if any.
#[derive(Debug, Clone, Default)]
pub struct OverloadWatch {
    episode: Option<Episode>,
}

#[derive(Debug, Clone)]
struct Episode {
    began: DateTime<Utc>,
    max_lag: TimeDelta,
    /// Since when the lag has been under `CAUGHT_UP_BELOW`.
    calm_since: Option<DateTime<Utc>>,
}

impl OverloadWatch {
    /// Takes the lag observed at `now`; returns a change when an episode begins or ends.
    pub fn observe(&mut self, now: DateTime<Utc>, lag: TimeDelta) -> Option<OverloadChange> {
        let Some(episode) = &mut self.episode else {
            if lag < BEHIND_AT {
                return None;
            }
            self.episode = Some(Episode {
                began: now,
                max_lag: lag,
                calm_since: None,
            });
            return Some(OverloadChange::Began { lag });
        };
        episode.max_lag = episode.max_lag.max(lag);
        if lag >= CAUGHT_UP_BELOW {
            episode.calm_since = None;
            return None;
        }
        let calm_since = *episode.calm_since.get_or_insert(now);
        if now - calm_since < CAUGHT_UP_FOR {
            return None;
        }
        let ended = OverloadChange::Ended {
            lasted: now - episode.began,
            max_lag: episode.max_lag,
        };
        self.episode = None;
        Some(ended)
    }

    /// When the current episode began, if the scheduler is behind.
    pub fn behind_since(&self) -> Option<DateTime<Utc>> {
        self.episode.as_ref().map(|episode| episode.began)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::milliseconds(ms)
    }

    fn ms(value: i64) -> TimeDelta {
        TimeDelta::milliseconds(value)
    }

    #[test]
    fn a_small_lag_is_not_an_episode() {
        let mut watch = OverloadWatch::default();
        for step in 0..100 {
            assert_eq!(watch.observe(at(step * 100), ms(499)), None);
        }
        assert_eq!(watch.behind_since(), None);
    }

    #[test]
    fn an_episode_begins_once_and_ends_after_a_calm_stretch() {
        let mut watch = OverloadWatch::default();
        assert_eq!(
            watch.observe(at(0), ms(800)),
            Some(OverloadChange::Began { lag: ms(800) })
        );
        // Hovering around the threshold logs nothing more.
        assert_eq!(watch.observe(at(1_000), ms(4_200)), None);
        assert_eq!(watch.observe(at(2_000), ms(50)), None);
        assert_eq!(watch.observe(at(3_000), ms(700)), None);
        assert_eq!(watch.behind_since(), Some(at(0)));
        // Calm from 4 s on: the episode ends 5 s later, not before.
        assert_eq!(watch.observe(at(4_000), ms(10)), None);
        assert_eq!(watch.observe(at(8_999), ms(10)), None);
        assert_eq!(
            watch.observe(at(9_000), ms(10)),
            Some(OverloadChange::Ended {
                lasted: ms(9_000),
                max_lag: ms(4_200)
            })
        );
        assert_eq!(watch.behind_since(), None);
        assert_eq!(
            watch.observe(at(10_000), ms(600)),
            Some(OverloadChange::Began { lag: ms(600) })
        );
    }
}
