//! Pass or fail for `dkron-bench --check`: facts that do not depend on how fast the machine
//! is, at a load well below what it can carry.

use crate::measure::Results;

/// What a checked run must show.
pub struct Limits {
    /// Latest start accepted, in ms after the nominal time.
    pub max_late_ms: f64,
    /// Most the RSS may grow in the window, in MiB: the median of its last five one-second
    /// samples against the median of its first five (single samples jump with bursts).
    pub rss_margin_mib: f64,
}

/// Returns every way the run broke the limits (empty: it passed).
pub fn failures(
    results: &Results,
    expected: f64,
    rss_samples_kib: &[u64],
    limits: &Limits,
) -> Vec<String> {
    let mut failures = Vec::new();
    for (reason, count) in &results.reasons {
        failures.push(format!(
            "{count} occurrences in the window did not succeed: {reason}"
        ));
    }
    let recorded: usize = results.ledger_states.values().sum();
    // Whole intervals at the window's edges may fall either side: one interval's worth.
    if (recorded as f64) < expected * 0.97 {
        failures.push(format!(
            "the ledger records {recorded} occurrences in the window, about {expected:.0} were due"
        ));
    }
    if results.lateness_ms.len() != results.succeeded {
        failures.push(format!(
            "{} runs started in the window but {} succeeded",
            results.lateness_ms.len(),
            results.succeeded
        ));
    }
    let late = results
        .lateness_ms
        .iter()
        .filter(|late| **late > limits.max_late_ms)
        .count();
    if late > 0 {
        let worst = results.lateness_ms.iter().copied().fold(0.0, f64::max);
        failures.push(format!(
            "{late} runs started more than {} ms late (worst {worst:.0} ms)",
            limits.max_late_ms
        ));
    }
    if let Some(growth_mib) = rss_growth_mib(rss_samples_kib)
        && growth_mib > limits.rss_margin_mib
    {
        failures.push(format!(
            "RSS grew by {growth_mib:.1} MiB in the window (limit {} MiB): samples {:?} KiB",
            limits.rss_margin_mib, rss_samples_kib
        ));
    }
    failures
}

/// The median of the last five samples minus the median of the first five, in MiB; `None`
/// with fewer than ten samples.
fn rss_growth_mib(samples_kib: &[u64]) -> Option<f64> {
    const EDGE: usize = 5;
    if samples_kib.len() < 2 * EDGE {
        return None;
    }
    let median = |slice: &[u64]| {
        let mut sorted = slice.to_vec();
        sorted.sort_unstable();
        sorted[sorted.len() / 2]
    };
    let first = median(&samples_kib[..EDGE]);
    let last = median(&samples_kib[samples_kib.len() - EDGE..]);
    Some((last as f64 - first as f64) / 1024.0)
}

/// Checks the bounded structures the server reports in `/metrics`: none above its bound,
/// and the worker's memory of runs at most `in_flight_allowance` above the bound on its
/// recorded part (runs running or with results not written yet are kept on purpose).
pub fn bound_failures(metrics: &str, in_flight_allowance: f64) -> Vec<String> {
    let mut entries = std::collections::BTreeMap::new();
    let mut limits = std::collections::BTreeMap::new();
    let mut remembered = None;
    for line in metrics.lines().filter(|line| !line.starts_with('#')) {
        let Some((name, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let structure = name
            .split_once("structure=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(structure, _)| structure.to_string());
        if name.starts_with("dkron_bounded_entries{") {
            entries.insert(structure.unwrap_or_default(), value);
        } else if name.starts_with("dkron_bounded_limit{") {
            limits.insert(structure.unwrap_or_default(), value);
        } else if name == "dkron_worker_remembered_runs" {
            remembered = Some(value);
        }
    }
    let mut failures = Vec::new();
    if entries.is_empty() {
        failures.push("the server reported no bounded structure in /metrics".to_string());
    }
    for (structure, value) in &entries {
        match limits.get(structure) {
            Some(limit) if value > limit => failures.push(format!(
                "{structure} holds {value} entries, over its bound of {limit}"
            )),
            Some(_) => {}
            None => failures.push(format!("{structure} reports no bound")),
        }
    }
    let recorded_limit = limits.get("worker_recorded_runs").copied().unwrap_or(0.0);
    match remembered {
        Some(value) if value > recorded_limit + in_flight_allowance => failures.push(format!(
            "the worker remembers {value} runs, more than its bound of {recorded_limit} plus {in_flight_allowance} in flight"
        )),
        Some(_) => {}
        None => failures.push("the server did not report dkron_worker_remembered_runs".into()),
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_compares_the_medians_of_both_ends_not_single_bursts() {
        let flat_with_a_burst = [100, 101, 140, 100, 99, 100, 150, 100, 101, 100];
        let growth = rss_growth_mib(&flat_with_a_burst.map(|mib| mib * 1024)).unwrap();
        assert_eq!(growth, 0.0);
        let growing: Vec<u64> = (0..20).map(|second| (100 + 2 * second) * 1024).collect();
        assert_eq!(rss_growth_mib(&growing).unwrap(), 30.0);
        assert_eq!(rss_growth_mib(&[1, 2, 3]), None);
    }

    #[test]
    fn a_structure_over_its_bound_or_without_one_fails() {
        let text = "# HELP x\n\
            dkron_bounded_entries{structure=\"worker_recorded_runs\"} 16384\n\
            dkron_bounded_limit{structure=\"worker_recorded_runs\"} 16384\n\
            dkron_bounded_entries{structure=\"channels\"} 9\n\
            dkron_bounded_limit{structure=\"channels\"} 8\n\
            dkron_bounded_entries{structure=\"orphan\"} 1\n\
            dkron_worker_remembered_runs 30000\n";
        let failures = bound_failures(text, 5000.0);
        assert_eq!(failures.len(), 3, "{failures:?}");
        assert!(failures[0].contains("channels holds 9 entries, over its bound of 8"));
        assert!(failures[1].contains("orphan reports no bound"));
        assert!(failures[2].contains("remembers 30000 runs"));
        let healthy = "dkron_bounded_entries{structure=\"a\"} 1\n\
            dkron_bounded_limit{structure=\"a\"} 2\n\
            dkron_worker_remembered_runs 3\n";
        assert_eq!(bound_failures(healthy, 5000.0), Vec::<String>::new());
        assert_eq!(bound_failures("", 5000.0).len(), 2);
    }
}
