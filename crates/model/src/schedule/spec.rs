//! The top level of a spec: Dkron's own descriptors, the zone prefix, robfig's descriptors
//! and the six cron fields, tried in the order Dkron tries them.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::cron::CronFields;
use super::error::ScheduleError;
use super::zone::{ZoneChoice, prefix_zone};
use crate::parse_go_duration;

/// What a spec means, before it is bound to a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParsedSpec {
    /// Six cron fields (or a descriptor standing for them), with an optional zone prefix.
    Cron {
        fields: CronFields,
        zone: Option<ZoneChoice>,
    },
    /// `@every <duration>`: fires every `interval` counted from the previous fire time.
    Every(Duration),
    /// `@at <RFC 3339 time>`: fires once.
    At(DateTime<Utc>),
    /// `@manually`: never fires by itself.
    Manual,
}

/// Parses a spec whose `~` have already been replaced.
pub(crate) fn parse_spec(spec: &str) -> Result<ParsedSpec, ScheduleError> {
    if spec.is_empty() {
        return Err(ScheduleError::Empty);
    }
    // Dkron's extensions match the whole spec exactly, before any zone prefix is looked at,
    // so `TZ=UTC @manually` is an unknown descriptor, as in Dkron.
    if spec == "@manually" {
        return Ok(ParsedSpec::Manual);
    }
    if let Some(date_text) = spec.strip_prefix("@at ") {
        return parse_at(spec, date_text);
    }
    let (zone, rest) = split_zone_prefix(spec)?;
    if rest.starts_with('@') {
        return parse_descriptor(rest, zone);
    }
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if fields.len() != 6 {
        return Err(ScheduleError::FieldCount {
            found: fields.len(),
            fields: fields.iter().map(|field| field.to_string()).collect(),
        });
    }
    Ok(ParsedSpec::Cron {
        fields: CronFields::parse(&fields)?,
        zone,
    })
}

/// Splits a leading `TZ=<zone> ` or `CRON_TZ=<zone> ` from the spec.
fn split_zone_prefix(spec: &str) -> Result<(Option<ZoneChoice>, &str), ScheduleError> {
    if !(spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=")) {
        return Ok((None, spec));
    }
    let Some(space) = spec.find(' ') else {
        return Err(ScheduleError::ZonePrefixAlone {
            prefix: spec.to_string(),
        });
    };
    let equals = spec.find('=').unwrap_or(0);
    let zone = prefix_zone(&spec[equals + 1..space])?;
    Ok((Some(zone), spec[space..].trim()))
}

/// Parses `@yearly` … `@minutely` and `@every <duration>`.
fn parse_descriptor(spec: &str, zone: Option<ZoneChoice>) -> Result<ParsedSpec, ScheduleError> {
    // Dkron rewrites `@minutely` before the zone prefix is looked at, so only the bare
    // descriptor is known; behind a prefix it is an unknown descriptor, as in Dkron.
    let minutely_allowed = zone.is_none() || spec != "@minutely";
    if minutely_allowed && let Some(fields) = CronFields::descriptor(spec) {
        return Ok(ParsedSpec::Cron { fields, zone });
    }
    if let Some(duration_text) = spec.strip_prefix("@every ") {
        return parse_every(spec, duration_text);
    }
    Err(ScheduleError::UnknownDescriptor(spec.to_string()))
}

/// Parses the duration of `@every`: below one second becomes one second (negative ones
/// included, as Go accepts them), and the sub-second part is dropped.
fn parse_every(spec: &str, duration_text: &str) -> Result<ParsedSpec, ScheduleError> {
    let (negative, magnitude_text) = match duration_text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, duration_text),
    };
    let magnitude = parse_go_duration(magnitude_text).map_err(|mut source| {
        source.input = duration_text.to_string();
        ScheduleError::Duration {
            spec: spec.to_string(),
            source,
        }
    })?;
    let whole_seconds = if negative { 0 } else { magnitude.as_secs() };
    Ok(ParsedSpec::Every(Duration::from_secs(whole_seconds.max(1))))
}

/// Parses `@at <RFC 3339 time>`.
fn parse_at(spec: &str, date_text: &str) -> Result<ParsedSpec, ScheduleError> {
    DateTime::parse_from_rfc3339(date_text)
        .map(|date| ParsedSpec::At(date.to_utc()))
        .map_err(|error| ScheduleError::Date {
            spec: spec.to_string(),
            detail: format!("{date_text:?} is not an RFC 3339 time ({error})"),
        })
}

#[cfg(test)]
mod tests {
    use chrono_tz::Tz;

    use super::*;

    fn error(spec: &str) -> String {
        parse_spec(spec).unwrap_err().to_string()
    }

    #[test]
    fn reads_dkron_extensions() {
        assert_eq!(parse_spec("@manually"), Ok(ParsedSpec::Manual));
        assert_eq!(
            parse_spec("@at 2019-02-04T09:20:00+06:00"),
            Ok(ParsedSpec::At("2019-02-04T03:20:00Z".parse().unwrap()))
        );
        assert_eq!(
            parse_spec("@minutely"),
            parse_spec("0 * * * * *"),
            "@minutely is 0 * * * * *"
        );
    }

    #[test]
    fn reads_every_like_dkron() {
        let every = |text: &str| match parse_spec(text) {
            Ok(ParsedSpec::Every(interval)) => interval,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(every("@every 1h30m10s"), Duration::from_secs(5410));
        assert_eq!(every("@every 500ms"), Duration::from_secs(1));
        assert_eq!(every("@every 0"), Duration::from_secs(1));
        assert_eq!(every("@every 2.7s"), Duration::from_secs(2));
        assert_eq!(every("@every -5s"), Duration::from_secs(1));
        assert_eq!(
            every("TZ=Europe/Berlin @every 10s"),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn reads_zone_prefixes() {
        let zone_of = |text: &str| match parse_spec(text) {
            Ok(ParsedSpec::Cron { zone, .. }) => zone,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(
            zone_of("TZ=Europe/Berlin 0 0 * * * *"),
            Some(ZoneChoice::Named(Tz::Europe__Berlin))
        );
        assert_eq!(
            zone_of("CRON_TZ=UTC @daily"),
            Some(ZoneChoice::Named(Tz::UTC))
        );
        assert_eq!(zone_of("0 0 * * * *"), None);
    }

    #[test]
    fn rejects_with_dkron_messages() {
        assert_eq!(error(""), "empty spec string");
        assert_eq!(
            error("* * * * *"),
            "expected exactly 6 fields, found 5: [* * * * *]"
        );
        assert_eq!(
            error("0 * * * * * 2026"),
            "expected exactly 6 fields, found 7: [0 * * * * * 2026]"
        );
        assert_eq!(error(" "), "expected exactly 6 fields, found 0: []");
        assert_eq!(error("@foo"), "unrecognized descriptor: @foo");
        assert_eq!(error("@daily "), "unrecognized descriptor: @daily ");
        assert_eq!(error("@DAILY"), "unrecognized descriptor: @DAILY");
        assert_eq!(error("@every"), "unrecognized descriptor: @every");
        assert_eq!(
            error("TZ=UTC @minutely"),
            "unrecognized descriptor: @minutely"
        );
        assert_eq!(
            error("TZ=UTC @manually"),
            "unrecognized descriptor: @manually"
        );
        assert_eq!(
            error("@every x"),
            "failed to parse duration @every x: invalid duration \"x\": expected a number"
        );
        assert_eq!(
            error("@at badtime"),
            "failed to parse date @at badtime: \"badtime\" is not an RFC 3339 time \
             (premature end of input)"
        );
        assert_eq!(
            error("0 60 * * * *"),
            "end of range (60) above maximum (59): 60"
        );
        assert_eq!(
            error("0 0 0 * * 7"),
            "end of range (7) above maximum (6): 7"
        );
        assert_eq!(
            error("TZ=Nowhere/Land 0 * * * * *"),
            "provided bad location Nowhere/Land: unknown time zone Nowhere/Land"
        );
        assert_eq!(
            error("TZ=UTC"),
            "time zone prefix TZ=UTC must be followed by a space and a schedule"
        );
        for croner_only in [
            "0 0 0 L * *",
            "0 0 0 15W * *",
            "0 0 0 * * 5#3",
            "0 0 0 * * 5L",
        ] {
            assert!(
                parse_spec(croner_only).is_err(),
                "{croner_only} must be rejected"
            );
        }
    }
}
