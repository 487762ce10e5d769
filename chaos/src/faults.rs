//! Injecting and healing the planned faults on the running cluster.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use nix::sys::signal::Signal;

use crate::cluster::Cluster;
use crate::net::{CONTROLLER_IP, run_in};
use crate::node::set_clock_offset;
use crate::plan::{FaultKind, PlannedFault};

/// How `Delay` slows a node down on this kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelayMethod {
    /// `tc netem delay 300ms 100ms`.
    Netem,
    /// No netem here: a token bucket at 256 kbit/s that queues packets up to 2 s.
    Shaping,
}

impl DelayMethod {
    pub fn describe(self) -> &'static str {
        match self {
            DelayMethod::Netem => "tc netem delay 300ms ±100ms",
            DelayMethod::Shaping => {
                "no netem in this kernel: tc tbf shaping to 256 kbit/s, queueing up to 2 s"
            }
        }
    }
}

/// What has to be undone when a fault heals.
#[derive(Debug)]
enum Undo {
    Restart(usize),
    Continue(usize),
    DropRules(Vec<usize>),
    ClearQdisc(usize),
    RemoveBallast(PathBuf),
    ResetClock(usize),
}

/// A fault in force.
#[derive(Debug)]
pub struct Active {
    /// The nodes it hit, for the report.
    pub nodes: Vec<String>,
    undo: Undo,
}

const TABLE: &str = "dkchaos";

fn servers(cluster: &Cluster) -> Vec<usize> {
    (0..cluster.nodes.len())
        .filter(|&index| cluster.nodes[index].server)
        .collect()
}

fn agents(cluster: &Cluster) -> Vec<usize> {
    (0..cluster.nodes.len())
        .filter(|&index| !cluster.nodes[index].server)
        .collect()
}

fn choose(candidates: &[usize], pick: u64) -> usize {
    candidates[(pick % candidates.len() as u64) as usize]
}

/// The leader's index, or a server chosen by `pick` while none is known.
async fn leader(cluster: &Cluster, pick: u64) -> usize {
    match cluster
        .api
        .leader()
        .await
        .and_then(|name| cluster.index_of(&name))
    {
        Some(index) => index,
        None => choose(&servers(cluster), pick),
    }
}

async fn follower(cluster: &Cluster, pick: u64) -> usize {
    let leader = leader(cluster, pick).await;
    let followers: Vec<usize> = servers(cluster)
        .into_iter()
        .filter(|&i| i != leader)
        .collect();
    choose(&followers, pick)
}

pub async fn inject(
    cluster: &mut Cluster,
    fault: &PlannedFault,
    delay: DelayMethod,
) -> anyhow::Result<Active> {
    let everyone: Vec<usize> = (0..cluster.nodes.len()).collect();
    let (hit, undo) = match fault.kind {
        FaultKind::LeaderKill | FaultKind::FollowerKill => {
            let index = if fault.kind == FaultKind::LeaderKill {
                leader(cluster, fault.pick).await
            } else {
                follower(cluster, fault.pick).await
            };
            cluster.nodes[index].kill();
            (vec![index], Undo::Restart(index))
        }
        FaultKind::Pause => {
            let index = choose(&everyone, fault.pick);
            cluster.nodes[index].signal(Signal::SIGSTOP)?;
            (vec![index], Undo::Continue(index))
        }
        FaultKind::PartitionLeader => {
            let index = leader(cluster, fault.pick).await;
            partition(cluster, &[index])?
        }
        FaultKind::PartitionAgent => partition(cluster, &[choose(&agents(cluster), fault.pick)])?,
        FaultKind::PartitionMinority => {
            let server = follower(cluster, fault.pick).await;
            let agent = choose(&agents(cluster), fault.pick / 7);
            partition(cluster, &[server, agent])?
        }
        FaultKind::OneWayLoss => {
            let index = choose(&everyone, fault.pick);
            one_way_loss(cluster, index, fault.amount)?;
            (vec![index], Undo::DropRules(vec![index]))
        }
        FaultKind::Delay => {
            let index = choose(&everyone, fault.pick);
            slow_down(cluster, index, delay)?;
            (vec![index], Undo::ClearQdisc(index))
        }
        FaultKind::DiskFull => {
            let index = choose(&servers(cluster), fault.pick);
            let ballast = cluster.nodes[index]
                .data_dir(&cluster.launch)
                .join("chaos-ballast");
            fill(&ballast)?;
            (vec![index], Undo::RemoveBallast(ballast))
        }
        FaultKind::ClockJump => {
            let index = choose(&everyone, fault.pick);
            set_clock_offset(
                &cluster.nodes[index].clock_file(&cluster.launch),
                fault.amount,
            )?;
            (vec![index], Undo::ResetClock(index))
        }
    };
    let nodes = hit
        .iter()
        .map(|&index| cluster.nodes[index].name().to_string())
        .collect();
    Ok(Active { nodes, undo })
}

pub fn heal(cluster: &mut Cluster, active: Active) -> anyhow::Result<()> {
    match active.undo {
        Undo::Restart(index) => cluster.nodes[index].start(&cluster.launch),
        Undo::Continue(index) => cluster.nodes[index].signal(Signal::SIGCONT),
        Undo::DropRules(indexes) => {
            for index in indexes {
                let namespace = cluster.nodes[index].address.namespace();
                run_in(&namespace, "nft", &["delete", "table", "inet", TABLE])?;
            }
            Ok(())
        }
        Undo::ClearQdisc(index) => {
            let namespace = cluster.nodes[index].address.namespace();
            run_in(&namespace, "tc", &["qdisc", "del", "dev", "eth0", "root"]).map(drop)
        }
        Undo::RemoveBallast(path) => {
            std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))
        }
        Undo::ResetClock(index) => {
            set_clock_offset(&cluster.nodes[index].clock_file(&cluster.launch), 0)
        }
    }
}

/// Loads an nftables table into a node's namespace.
fn load_rules(cluster: &Cluster, index: usize, chains: &str) -> anyhow::Result<()> {
    let namespace = cluster.nodes[index].address.namespace();
    let rules = format!("table inet {TABLE} {{\n{chains}\n}}\n");
    let path = cluster
        .launch
        .work_dir
        .join(format!("{}.nft", cluster.nodes[index].name()));
    std::fs::write(&path, rules)?;
    run_in(&namespace, "nft", &["-f", &path.to_string_lossy()]).map(drop)
}

/// Cuts `side` off from every other node (both directions); the controller still reaches
/// both sides, as a client on either side of a real partition would.
fn partition(cluster: &Cluster, side: &[usize]) -> anyhow::Result<(Vec<usize>, Undo)> {
    let others: Vec<String> = (0..cluster.nodes.len())
        .filter(|index| !side.contains(index))
        .map(|index| cluster.nodes[index].address.ip.clone())
        .collect();
    let set = others.join(", ");
    let chains = format!(
        "chain input {{ type filter hook input priority 0; policy accept; ip saddr {{ {set} }} drop; }}\n\
         chain output {{ type filter hook output priority 0; policy accept; ip daddr {{ {set} }} drop; }}"
    );
    for &index in side {
        load_rules(cluster, index, &chains)?;
    }
    Ok((side.to_vec(), Undo::DropRules(side.to_vec())))
}

/// Drops `percent` % of what a node sends to the other nodes (what it receives is untouched).
fn one_way_loss(cluster: &Cluster, index: usize, percent: i64) -> anyhow::Result<()> {
    let chains = format!(
        "chain output {{ type filter hook output priority 0; policy accept; \
         ip daddr != {CONTROLLER_IP} numgen random mod 100 < {percent} drop; }}"
    );
    load_rules(cluster, index, &chains)
}

fn slow_down(cluster: &Cluster, index: usize, method: DelayMethod) -> anyhow::Result<()> {
    let namespace = cluster.nodes[index].address.namespace();
    let qdisc: &[&str] = match method {
        DelayMethod::Netem => &["netem", "delay", "300ms", "100ms"],
        DelayMethod::Shaping => &["tbf", "rate", "256kbit", "burst", "1600", "latency", "2s"],
    };
    let mut args = vec!["qdisc", "add", "dev", "eth0", "root"];
    args.extend_from_slice(qdisc);
    run_in(&namespace, "tc", &args).map(drop)
}

/// Writes a ballast file until the volume is full.
fn fill(path: &PathBuf) -> anyhow::Result<()> {
    let mut file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let chunk = vec![0xA5u8; 1 << 20];
    loop {
        if let Err(error) = file.write_all(&chunk) {
            if error.kind() == std::io::ErrorKind::StorageFull {
                return Ok(());
            }
            return Err(error).context("writing the ballast");
        }
    }
}
