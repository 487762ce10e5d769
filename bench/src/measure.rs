//! Collecting executions and ledger entries after the run, and the figures printed from them.

use chrono::{DateTime, Timelike, Utc};
use futures::StreamExt;
use serde_json::Value;

/// What was measured inside the window.
pub struct Results {
    /// Start lateness of every execution whose nominal time is in the window, in ms.
    pub lateness_ms: Vec<f64>,
    /// Executions in the window that succeeded.
    pub succeeded: usize,
    /// Ledger entries in the window by state.
    pub ledger_states: std::collections::BTreeMap<String, usize>,
    /// Reasons given for occurrences in the window that did not succeed, with counts.
    pub reasons: std::collections::BTreeMap<String, usize>,
    /// Every execution seen: (nominal, actual start), whatever its window.
    pub starts: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Seconds of the window (by nominal time) with runs that started over
    /// `LATE_MS` late: how many runs, and the latest start, in ms.
    pub late_seconds: std::collections::BTreeMap<DateTime<Utc>, (usize, f64)>,
}

/// A start later than this counts as late in the per-second summary.
const LATE_MS: f64 = 100.0;
/// Late seconds listed by the summary, worst first.
const LATE_SECONDS_LISTED: usize = 8;

fn parse_time(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str()?.parse().ok()
}

/// Where the REST API of a server is.
pub struct Api<'a> {
    pub client: &'a reqwest::Client,
    pub base: &'a str,
}

async fn get(api: &Api<'_>, path: String) -> anyhow::Result<Value> {
    let response = api.client.get(format!("{}{path}", api.base)).send().await?;
    Ok(response.json().await?)
}

/// Reads the executions and ledger of jobs `bench-0` … and keeps what falls in the window.
pub async fn collect(
    api: &Api<'_>,
    jobs: usize,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    concurrency: usize,
) -> anyhow::Result<Results> {
    let names = (0..jobs).map(|index| format!("bench-{index}"));
    collect_named(api, names, start, end, concurrency).await
}

/// Reads the executions and ledger of the named jobs and keeps what falls in the window.
pub async fn collect_named(
    api: &Api<'_>,
    names: impl Iterator<Item = String>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    concurrency: usize,
) -> anyhow::Result<Results> {
    let in_window = |nominal: DateTime<Utc>| nominal >= start && nominal < end;
    let per_job: Vec<anyhow::Result<(Value, Value)>> = futures::stream::iter(names)
        .map(|name| async move {
            let executions = get(api, format!("/v1/jobs/{name}/executions")).await?;
            let ledger = get(api, format!("/v1/jobs/{name}/ledger?limit=1000")).await?;
            Ok((executions, ledger))
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut results = Results {
        lateness_ms: Vec::new(),
        succeeded: 0,
        ledger_states: Default::default(),
        starts: Vec::new(),
        reasons: Default::default(),
        late_seconds: Default::default(),
    };
    for item in per_job {
        let (executions, ledger) = item?;
        for execution in executions.as_array().into_iter().flatten() {
            let nominal = DateTime::from_timestamp_nanos(execution["group"].as_i64().unwrap_or(0));
            // A run that never started (lost, not delivered) has Go's zero time.
            let Some(started) = parse_time(&execution["started_at"])
                .filter(|t| *t > nominal - chrono::TimeDelta::days(1))
            else {
                continue;
            };
            results.starts.push((nominal, started));
            if !in_window(nominal) {
                continue;
            }
            let lateness_ms = (started - nominal).num_microseconds().unwrap_or(0) as f64 / 1000.0;
            results.lateness_ms.push(lateness_ms);
            if lateness_ms > LATE_MS {
                let second = nominal.with_nanosecond(0).unwrap_or(nominal);
                let entry = results.late_seconds.entry(second).or_insert((0, 0.0));
                entry.0 += 1;
                entry.1 = entry.1.max(lateness_ms);
            }
            if execution["success"] == true {
                results.succeeded += 1;
            }
        }
        for entry in ledger.as_array().into_iter().flatten() {
            let Some(nominal) = parse_time(&entry["nominal_time"]) else {
                continue;
            };
            if in_window(nominal) {
                let state = entry["state"].as_str().unwrap_or("?").to_string();
                if state != "succeeded" {
                    let reason = format!("{state}: {}", entry["reason"].as_str().unwrap_or(""));
                    *results.reasons.entry(reason).or_default() += 1;
                }
                *results.ledger_states.entry(state).or_default() += 1;
            }
        }
    }
    Ok(results)
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index]
}

/// Prints the figures; returns how many occurrences the window should hold.
pub fn report(
    results: &Results,
    jobs: usize,
    every_secs: u64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> f64 {
    let seconds = (end - start).num_milliseconds() as f64 / 1000.0;
    let expected = jobs as f64 * seconds / every_secs as f64;
    println!("window: {seconds:.1} s");
    println!(
        "executions: {} started, {} succeeded = {:.0} executions/s (expected about {:.0}/s)",
        results.lateness_ms.len(),
        results.succeeded,
        results.lateness_ms.len() as f64 / seconds,
        expected / seconds
    );
    print_window(results);
    let recorded: usize = results.ledger_states.values().sum();
    println!("ledger in window: {recorded} entries of about {expected:.0} expected");
    expected
}

/// Prints start lateness and the ledger's states and reasons in the window.
pub fn print_window(results: &Results) {
    let mut lateness = results.lateness_ms.clone();
    lateness.sort_by(f64::total_cmp);
    println!(
        "start lateness ({} runs): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lateness.len(),
        percentile(&lateness, 0.50),
        percentile(&lateness, 0.99),
        lateness.last().copied().unwrap_or(f64::NAN)
    );
    println!("ledger by state: {:?}", results.ledger_states);
    for line in reason_lines(&results.reasons) {
        println!("  {line}");
    }
    print_late_seconds(results);
}

/// Where late starts happened: the seconds (by nominal time) holding runs over `LATE_MS`
/// late, worst first, so one stall is told apart from a steady overload.
fn print_late_seconds(results: &Results) {
    if results.late_seconds.is_empty() {
        println!("no run started over {LATE_MS:.0} ms late");
        return;
    }
    let late_runs: usize = results.late_seconds.values().map(|(count, _)| count).sum();
    let mut worst: Vec<_> = results.late_seconds.iter().collect();
    worst.sort_by(|left, right| right.1.1.total_cmp(&left.1.1));
    let listed: Vec<String> = worst
        .iter()
        .take(LATE_SECONDS_LISTED)
        .map(|(second, (count, max))| {
            format!(
                "{} ({count} runs, up to {max:.0} ms)",
                second.format("%H:%M:%S")
            )
        })
        .collect();
    println!(
        "runs over {LATE_MS:.0} ms late: {late_runs}, in {} seconds; worst: {}",
        results.late_seconds.len(),
        listed.join(", ")
    );
}

/// One line per kind of reason: reasons that differ only in a figure in seconds (the
/// scheduler's lag) are counted together, with the range of the figure.
pub fn reason_lines(reasons: &std::collections::BTreeMap<String, usize>) -> Vec<String> {
    let mut families: std::collections::BTreeMap<(String, String), (usize, f64, f64)> =
        Default::default();
    for (reason, count) in reasons {
        let (before, figure, after) = split_seconds(reason);
        let family = families
            .entry((before.to_string(), after.to_string()))
            .or_insert((0, f64::INFINITY, f64::NEG_INFINITY));
        family.0 += count;
        if let Some(figure) = figure {
            family.1 = family.1.min(figure);
            family.2 = family.2.max(figure);
        }
    }
    families
        .into_iter()
        .map(|((before, after), (count, low, high))| match (low, high) {
            (low, high) if low > high => format!("{count} × {before}{after}"),
            (low, high) if low == high => format!("{count} × {before}{low:.1}{after}"),
            (low, high) => format!("{count} × {before}{low:.1}–{high:.1}{after}"),
        })
        .collect()
}

/// Splits "… was 4.2 s behind" around its figure in seconds, if it has one.
fn split_seconds(reason: &str) -> (&str, Option<f64>, &str) {
    let Some(unit) = reason
        .find(" s ")
        .or_else(|| reason.strip_suffix(" s").map(str::len))
    else {
        return (reason, None, "");
    };
    let start = reason[..unit]
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(0, |space| space + 1);
    match reason[start..unit].parse::<f64>() {
        Ok(figure) => (&reason[..start], Some(figure), &reason[unit..]),
        Err(_) => (reason, None, ""),
    }
}

/// Times of one `GET` asked several times, in ms.
pub struct GetTimes {
    pub median_ms: f64,
    pub slowest_ms: f64,
    /// The last answer's `X-Total-Count` (`?` without one).
    pub total_count: String,
}

/// Asks `GET url` `times` times (at least once), each answer read whole; fails on a status
/// other than 2xx.
pub async fn time_get(
    client: &reqwest::Client,
    url: &str,
    times: usize,
) -> anyhow::Result<GetTimes> {
    let mut elapsed = Vec::new();
    let mut total_count = String::from("?");
    for _ in 0..times.max(1) {
        let started = std::time::Instant::now();
        let response = client.get(url).send().await?;
        if !response.status().is_success() {
            anyhow::bail!("GET {url} answered {}", response.status());
        }
        if let Some(total) = response
            .headers()
            .get("x-total-count")
            .and_then(|value| value.to_str().ok())
        {
            total_count = total.to_string();
        }
        let _body = response.bytes().await?;
        elapsed.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    elapsed.sort_by(f64::total_cmp);
    Ok(GetTimes {
        median_ms: elapsed[elapsed.len() / 2],
        slowest_ms: elapsed[elapsed.len() - 1],
        total_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_figures_are_counted_together_with_their_range() {
        let reasons = [
            ("skipped: overloaded: the scheduler was 12.0 s behind", 250),
            ("skipped: overloaded: the scheduler was 18.6 s behind", 22),
            ("skipped: overloaded: the scheduler was 14.1 s behind", 500),
            ("lost: the node restarted", 3),
        ]
        .into_iter()
        .map(|(reason, count)| (reason.to_string(), count))
        .collect();
        assert_eq!(
            reason_lines(&reasons),
            [
                "3 × lost: the node restarted",
                "772 × skipped: overloaded: the scheduler was 12.0–18.6 s behind",
            ]
        );
    }

    #[test]
    fn a_single_figure_is_printed_as_it_was() {
        let reasons = [(
            "skipped: overloaded: the scheduler was 0.6 s behind".to_string(),
            7,
        )]
        .into_iter()
        .collect();
        assert_eq!(
            reason_lines(&reasons),
            ["7 × skipped: overloaded: the scheduler was 0.6 s behind"]
        );
    }
}
