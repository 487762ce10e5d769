//! What a run prints at the end: the correctness verdict and the unavailability figures.

use crate::acks::LostWrite;
use crate::check::Violation;
use crate::figures::Figures;

/// Everything the end of a run found.
#[derive(Debug)]
pub struct Outcome {
    pub violations: Vec<Violation>,
    /// Lines of the outside file that do not parse.
    pub torn: Vec<String>,
    pub lost_writes: Vec<LostWrite>,
    /// (writes, jobs with an acknowledged state, unanswered writes).
    pub write_totals: (usize, usize, usize),
    pub figures: Figures,
    pub lines: usize,
    /// Occurrences recorded `lost` whose run did write its line (it ran; the result was lost).
    pub lost_but_ran: usize,
    /// Nodes that did not exit within the limit after SIGTERM to all at once.
    pub hung_at_stop: Vec<String>,
    /// Why the cluster took no write after every fault healed (the jobs could not be
    /// disabled), if it did not.
    pub not_recovered: Option<String>,
}

impl Outcome {
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
            && self.torn.is_empty()
            && self.lost_writes.is_empty()
            && self.not_recovered.is_none()
    }
}

const SHOWN: usize = 40;

/// A progress line, with the wall-clock time (to match against the nodes' logs).
pub fn say(text: &str) {
    println!("{} {text}", chrono::Utc::now().format("%H:%M:%S"));
}

pub fn print_outcome(seed: u64, outcome: &Outcome) {
    let states: Vec<String> = outcome
        .figures
        .states
        .iter()
        .map(|(state, count)| format!("{state} {count}"))
        .collect();
    println!(
        "\noccurrences: {} ({}); lines in the file: {}",
        outcome.figures.states.values().sum::<usize>(),
        states.join(", "),
        outcome.lines
    );
    println!(
        "lost occurrences whose run wrote its line all the same (it ran; the cluster lost its result): {}",
        outcome.lost_but_ran
    );
    println!(
        "\nunavailability per fault (occurrences blamed on the fault in force at their nominal time, or healed < 10 s before):"
    );
    println!(
        "  {:<20} {:>6} {:>7} {:>8} {:>5}",
        "fault", "faults", "failed", "skipped", "lost"
    );
    for (kind, figures) in &outcome.figures.kinds {
        println!(
            "  {kind:<20} {:>6} {:>7} {:>8} {:>5}",
            figures.faults, figures.failed, figures.skipped, figures.lost
        );
        let mut reasons: Vec<_> = figures.reasons.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1));
        for (reason, count) in reasons.into_iter().take(6) {
            println!("      {count:>5}  {reason}");
        }
    }
    let (writes, acknowledged, unanswered) = outcome.write_totals;
    println!(
        "\njob writes: {writes} made, {unanswered} unanswered, {acknowledged} jobs with an acknowledged last state, {} lost",
        outcome.lost_writes.len()
    );
    for lost in &outcome.lost_writes {
        println!(
            "  LOST WRITE {}: acknowledged {:?}, found {:?}",
            lost.job, lost.acknowledged, lost.found
        );
    }
    if !outcome.hung_at_stop.is_empty() {
        println!(
            "\nnot exited 20 s after SIGTERM to every node at once (killed): {}",
            outcome.hung_at_stop.join(", ")
        );
    }
    if let Some(reason) = &outcome.not_recovered {
        println!("NOT RECOVERED: the cluster took no write once every fault had healed: {reason}");
    }
    for line in outcome.torn.iter().take(SHOWN) {
        println!("TORN LINE {line:?}");
    }
    for violation in outcome.violations.iter().take(SHOWN) {
        println!("VIOLATION {violation}");
    }
    if outcome.violations.len() > SHOWN {
        println!("… and {} more violations", outcome.violations.len() - SHOWN);
    }
    let verdict = if outcome.is_clean() {
        "PASS: no correctness violation"
    } else {
        "FAIL: correctness violations"
    };
    println!("\n{verdict} (seed {seed}; replay with --seed {seed})");
}
