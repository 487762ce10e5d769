//! Stalls of the benchmark's own machine, seen from outside the servers.
//!
//! When a server stops answering for seconds, the first question is whether the server stopped
//! or the machine did (a virtual machine paused by its host, a hung disk). A thread of the
//! benchmark process that only sleeps and wakes answers it: if it also woke seconds late, the
//! whole machine stood still, whatever the servers were doing. The CPU time the hypervisor
//! took from this machine ("steal" in /proc/stat) is read beside it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// How often the watching thread wakes.
const TICK: Duration = Duration::from_millis(20);
/// A wake-up later than this is recorded as a stall.
const STALL_THRESHOLD: Duration = Duration::from_millis(250);
/// Stalls kept for the report; a machine with more than this many has a plainer problem.
const KEPT_STALLS: usize = 100;

/// One late wake-up of the watching thread.
#[derive(Debug)]
pub struct Stall {
    /// When the thread woke (wall clock).
    pub woke_at: DateTime<Utc>,
    /// How much later than asked it woke.
    pub late_by: Duration,
}

/// A running watch; [`StallWatch::finish`] stops it and says what it saw.
pub struct StallWatch {
    stop: Arc<AtomicBool>,
    stalls: Arc<Mutex<Vec<Stall>>>,
    thread: Option<JoinHandle<()>>,
    steal_start: Option<f64>,
}

/// What a watch saw over its whole life.
pub struct StallReport {
    pub stalls: Vec<Stall>,
    /// CPU seconds the hypervisor took from this machine while the watch ran, if known.
    pub steal_secs: Option<f64>,
}

impl StallWatch {
    pub fn start() -> StallWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let stalls = Arc::new(Mutex::new(Vec::new()));
        let thread = std::thread::Builder::new()
            .name("stall-watch".into())
            .spawn({
                let stop = stop.clone();
                let stalls = stalls.clone();
                move || watch(&stop, &stalls)
            })
            .ok();
        StallWatch {
            stop,
            stalls,
            thread,
            steal_start: steal_secs(),
        }
    }

    pub fn finish(mut self) -> StallReport {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // A watcher that panicked has recorded what it could; the report still stands.
            thread.join().ok();
        }
        let stalls = self
            .stalls
            .lock()
            .map(|mut stalls| std::mem::take(&mut *stalls))
            .unwrap_or_default();
        let steal_secs = match (self.steal_start, steal_secs()) {
            (Some(start), Some(end)) => Some(end - start),
            _ => None,
        };
        StallReport { stalls, steal_secs }
    }
}

fn watch(stop: &AtomicBool, stalls: &Mutex<Vec<Stall>>) {
    while !stop.load(Ordering::Relaxed) {
        let before = Instant::now();
        #[allow(
            clippy::disallowed_methods,
            reason = "a plain OS thread that measures its own oversleep; no runtime involved"
        )]
        std::thread::sleep(TICK);
        let late_by = before.elapsed().saturating_sub(TICK);
        if late_by <= STALL_THRESHOLD {
            continue;
        }
        if let Ok(mut kept) = stalls.lock()
            && kept.len() < KEPT_STALLS
        {
            kept.push(Stall {
                woke_at: Utc::now(),
                late_by,
            });
        }
    }
}

/// Steal time of all CPUs since boot, in seconds (the 8th figure of /proc/stat's `cpu` line).
fn steal_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find_map(|line| line.strip_prefix("cpu "))?;
    let steal: f64 = line.split_whitespace().nth(7)?.parse().ok()?;
    Some(steal / 100.0)
}

impl StallReport {
    /// Prints the report under its own heading.
    pub fn print(&self) {
        println!(
            "--- the machine (a thread of the benchmark that wakes every {} ms; late by > {} ms is a stall) ---",
            TICK.as_millis(),
            STALL_THRESHOLD.as_millis()
        );
        match self.steal_secs {
            Some(steal) => println!("cpu time taken by the hypervisor (steal): {steal:.1} s"),
            None => println!("cpu steal: unknown (no /proc/stat)"),
        }
        if self.stalls.is_empty() {
            println!("machine stalls: none");
        }
        for stall in &self.stalls {
            println!(
                "machine stall: woke {} ms late at {}",
                stall.late_by.as_millis(),
                stall.woke_at.format("%H:%M:%S%.3f")
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_watch_reads_steal_and_ends_when_asked() {
        let watch = StallWatch::start();
        let report = watch.finish();
        assert!(report.steal_secs.is_some_and(|steal| steal >= 0.0));
    }

    #[test]
    fn a_thread_held_back_is_seen_as_a_stall() {
        let stop = AtomicBool::new(false);
        let stalls = Mutex::new(Vec::new());
        // A stopped process is what a paused machine looks like from inside it.
        std::thread::scope(|scope| {
            scope.spawn(|| watch(&stop, &stalls));
            let pid = std::process::id();
            let status = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "sleep 0.1; kill -STOP {pid}; sleep 0.6; kill -CONT {pid}"
                ))
                .status();
            #[allow(clippy::disallowed_methods, reason = "waits for the stop to end")]
            std::thread::sleep(Duration::from_millis(200));
            stop.store(true, Ordering::Relaxed);
            assert!(status.is_ok());
        });
        let stalls = stalls.into_inner().unwrap_or_default();
        assert!(
            stalls
                .iter()
                .any(|stall| stall.late_by >= Duration::from_millis(400)),
            "{stalls:?}"
        );
    }
}
