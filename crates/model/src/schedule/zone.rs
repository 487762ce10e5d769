//! Time zone names as jobs and spec prefixes write them.

use chrono_tz::Tz;

use super::error::ScheduleError;

/// The name that stands for the server's own zone, as in Go's `time.LoadLocation`.
pub const LOCAL_ZONE_NAME: &str = "Local";

/// A zone chosen by name, before the server's local zone is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZoneChoice {
    /// The server's zone (`""` or `Local` as a job timezone).
    Local,
    /// A named IANA zone.
    Named(Tz),
}

impl ZoneChoice {
    /// Returns the zone, given the server's local zone.
    pub(crate) fn resolve(self, local_zone: Tz) -> Tz {
        match self {
            ZoneChoice::Local => local_zone,
            ZoneChoice::Named(zone) => zone,
        }
    }
}

/// Reads a job's `timezone` field: `""` and `Local` mean the server's zone.
pub(crate) fn job_zone(name: &str) -> Result<ZoneChoice, ScheduleError> {
    if name.is_empty() || name == LOCAL_ZONE_NAME {
        return Ok(ZoneChoice::Local);
    }
    name.parse::<Tz>()
        .map(ZoneChoice::Named)
        .map_err(|_| ScheduleError::UnknownTimeZone(name.to_string()))
}

/// Reads the zone of a `TZ=`/`CRON_TZ=` prefix: empty means UTC and `Local` the server's
/// zone, as Go's `time.LoadLocation` has it.
pub(crate) fn prefix_zone(name: &str) -> Result<ZoneChoice, ScheduleError> {
    if name.is_empty() {
        return Ok(ZoneChoice::Named(Tz::UTC));
    }
    if name == LOCAL_ZONE_NAME {
        return Ok(ZoneChoice::Local);
    }
    name.parse::<Tz>()
        .map(ZoneChoice::Named)
        .map_err(|_| ScheduleError::BadLocation {
            name: name.to_string(),
        })
}

/// Returns the zone a job's `timezone` field names; `""` and `Local` give `local_zone`.
pub fn resolve_time_zone(name: &str, local_zone: Tz) -> Result<Tz, ScheduleError> {
    job_zone(name).map(|choice| choice.resolve(local_zone))
}

/// Checks a job's `timezone` field without knowing the server's zone.
pub fn check_time_zone(name: &str) -> Result<(), ScheduleError> {
    job_zone(name).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_job_zones() {
        let local = Tz::Asia__Tokyo;
        assert_eq!(resolve_time_zone("", local), Ok(local));
        assert_eq!(resolve_time_zone("Local", local), Ok(local));
        assert_eq!(resolve_time_zone("UTC", local), Ok(Tz::UTC));
        assert_eq!(
            resolve_time_zone("Europe/Berlin", local),
            Ok(Tz::Europe__Berlin)
        );
        assert_eq!(
            check_time_zone("notatimezone").unwrap_err().to_string(),
            "unknown time zone notatimezone"
        );
        // Zone names are case-sensitive, as on Linux.
        assert!(check_time_zone("europe/berlin").is_err());
    }

    #[test]
    fn reads_prefix_zones() {
        assert_eq!(prefix_zone(""), Ok(ZoneChoice::Named(Tz::UTC)));
        assert_eq!(prefix_zone("Local"), Ok(ZoneChoice::Local));
        assert_eq!(
            prefix_zone("Mars/Base").unwrap_err().to_string(),
            "provided bad location Mars/Base: unknown time zone Mars/Base"
        );
    }
}
