//! The fault plan: which fault starts when, on what kind of node, for how long. Pure and
//! derived from the seed alone, so a seed printed by a failing run replays the same faults.
//! Which concrete node a fault hits is decided when it starts (the leader then is not known
//! now), from the plan's `pick` number.

use std::time::Duration;

use crate::rng::Rng;

/// The faults the suite injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// SIGKILL the leader, restart it when the fault heals.
    LeaderKill,
    /// SIGKILL a server that is not the leader, restart it when the fault heals.
    FollowerKill,
    /// SIGSTOP any node, SIGCONT when the fault heals.
    Pause,
    /// Cut the leader off from every other node.
    PartitionLeader,
    /// Cut one agent off from every other node.
    PartitionAgent,
    /// Cut one follower server and one agent off from the rest.
    PartitionMinority,
    /// Drop a share of one node's outgoing packets (one-way loss).
    OneWayLoss,
    /// Slow one node's outgoing packets down (netem delay, or shaping where netem is missing).
    Delay,
    /// Fill one server's data volume with a ballast file.
    DiskFull,
    /// Move one node's wall clock forward or back (the monotonic clock is left alone).
    ClockJump,
}

impl FaultKind {
    pub const ALL: [FaultKind; 10] = [
        FaultKind::LeaderKill,
        FaultKind::FollowerKill,
        FaultKind::Pause,
        FaultKind::PartitionLeader,
        FaultKind::PartitionAgent,
        FaultKind::PartitionMinority,
        FaultKind::OneWayLoss,
        FaultKind::Delay,
        FaultKind::DiskFull,
        FaultKind::ClockJump,
    ];

    /// The kind a name stands for (as `name` writes it).
    pub fn named(name: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::LeaderKill => "leader-kill",
            FaultKind::FollowerKill => "follower-kill",
            FaultKind::Pause => "sigstop",
            FaultKind::PartitionLeader => "partition-leader",
            FaultKind::PartitionAgent => "partition-agent",
            FaultKind::PartitionMinority => "partition-minority",
            FaultKind::OneWayLoss => "one-way-loss",
            FaultKind::Delay => "delay",
            FaultKind::DiskFull => "disk-full",
            FaultKind::ClockJump => "clock-jump",
        }
    }
}

/// One planned fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFault {
    /// When it starts, from the start of the fault phase.
    pub at: Duration,
    /// How long it lasts before it heals.
    pub lasts: Duration,
    pub kind: FaultKind,
    /// Chooses the node among the candidates when the fault starts (`pick % candidates`).
    pub pick: u64,
    /// Loss in percent for `OneWayLoss`; clock offset in seconds (signed) for `ClockJump`.
    pub amount: i64,
}

/// The whole plan of a run, with every kind of fault.
#[cfg(test)]
pub fn fault_plan(seed: u64, run: Duration, every: Duration) -> Vec<PlannedFault> {
    fault_plan_of(seed, run, every, &FaultKind::ALL)
}

/// The whole plan of a run, drawing only from `kinds` (all of them unless narrowed by hand).
pub fn fault_plan_of(
    seed: u64,
    run: Duration,
    every: Duration,
    kinds_allowed: &[FaultKind],
) -> Vec<PlannedFault> {
    let mut rng = Rng::new(seed);
    let every_secs = every.as_secs().max(2);
    let shortest = (every_secs / 2).clamp(1, 5);
    let longest = (every_secs * 3 / 4).max(shortest);
    let mut kinds: Vec<FaultKind> = Vec::new();
    let mut plan = Vec::new();
    let mut at = every_secs;
    loop {
        let lasts = rng.between(shortest, longest);
        if at + lasts > run.as_secs() {
            return plan;
        }
        if kinds.is_empty() {
            kinds = shuffled_kinds(&mut rng, kinds_allowed);
        }
        let kind = kinds.remove(0);
        plan.push(PlannedFault {
            at: Duration::from_secs(at),
            lasts: Duration::from_secs(lasts),
            kind,
            pick: rng.next_u64(),
            amount: amount_for(kind, &mut rng),
        });
        at += every_secs;
    }
}

/// Every kind once, in a seeded order: a short run still meets every fault.
fn shuffled_kinds(rng: &mut Rng, allowed: &[FaultKind]) -> Vec<FaultKind> {
    let mut kinds = if allowed.is_empty() {
        FaultKind::ALL.to_vec()
    } else {
        allowed.to_vec()
    };
    for i in (1..kinds.len()).rev() {
        let j = rng.index(i + 1);
        kinds.swap(i, j);
    }
    kinds
}

fn amount_for(kind: FaultKind, rng: &mut Rng) -> i64 {
    match kind {
        FaultKind::OneWayLoss => rng.between(20, 60) as i64,
        FaultKind::ClockJump => {
            let seconds = rng.between(10, 90) as i64;
            if rng.chance(50) { seconds } else { -seconds }
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_replays_the_same_plan_and_another_seed_differs() {
        let run = Duration::from_secs(600);
        let every = Duration::from_secs(20);
        assert_eq!(fault_plan(42, run, every), fault_plan(42, run, every));
        assert_ne!(fault_plan(42, run, every), fault_plan(43, run, every));
    }

    #[test]
    fn faults_do_not_overlap_and_end_before_the_run_does() {
        let run = Duration::from_secs(120);
        let plan = fault_plan(5, run, Duration::from_secs(10));
        assert!(plan.len() >= 10, "{plan:?}");
        for pair in plan.windows(2) {
            assert!(pair[0].at + pair[0].lasts <= pair[1].at, "{pair:?}");
        }
        let last = plan.last().expect("a plan");
        assert!(last.at + last.lasts <= run);
    }

    #[test]
    fn a_short_run_still_meets_every_kind_of_fault() {
        let plan = fault_plan(9, Duration::from_secs(120), Duration::from_secs(10));
        for kind in FaultKind::ALL {
            assert!(
                plan.iter().any(|fault| fault.kind == kind),
                "{kind:?} missing"
            );
        }
    }

    #[test]
    fn a_narrowed_plan_draws_only_the_kinds_asked_for() {
        let only = [FaultKind::DiskFull, FaultKind::Pause];
        let plan = fault_plan_of(4, Duration::from_secs(600), Duration::from_secs(20), &only);
        assert!(plan.len() > 20);
        assert!(plan.iter().all(|fault| only.contains(&fault.kind)));
        assert_eq!(FaultKind::named("disk-full"), Some(FaultKind::DiskFull));
        assert_eq!(FaultKind::named("meteor"), None);
    }

    #[test]
    fn clock_jumps_and_losses_carry_a_sensible_amount() {
        let plan = fault_plan(3, Duration::from_secs(3600), Duration::from_secs(20));
        for fault in plan {
            match fault.kind {
                FaultKind::ClockJump => assert!((10..=90).contains(&fault.amount.abs())),
                FaultKind::OneWayLoss => assert!((20..=60).contains(&fault.amount)),
                _ => assert_eq!(fault.amount, 0),
            }
        }
    }
}
