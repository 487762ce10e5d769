//! The suite's own network: one network namespace per node and one for the bridge that joins
//! them, private addresses inside those namespaces only. Nothing is added to the host's
//! network; the suite's HTTP client runs inside the bridge namespace (the controller).

use std::process::Command;

use anyhow::{Context, bail};

/// Every namespace, interface and mount of the suite starts with this.
pub const PREFIX: &str = "dkchaos";
/// The namespace of the bridge, where the controller also runs.
pub const BRIDGE_NS: &str = "dkchaos-br";
/// The bridge's own address: the controller's, exempt from every fault.
pub const CONTROLLER_IP: &str = "10.213.77.1";
const SUBNET_BITS: &str = "24";

/// A node's place in the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAddress {
    pub name: String,
    pub ip: String,
}

impl NodeAddress {
    pub fn namespace(&self) -> String {
        format!("{PREFIX}-{}", self.name)
    }
}

/// Runs a command and fails with its stderr when it fails.
pub fn run(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    if !output.status.success() {
        bail!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs a command inside a namespace.
pub fn run_in(namespace: &str, program: &str, args: &[&str]) -> anyhow::Result<String> {
    let mut full = vec!["netns", "exec", namespace, program];
    full.extend_from_slice(args);
    run("ip", &full)
}

/// The suite's namespaces that exist now (from this run or an earlier one).
pub fn namespaces() -> anyhow::Result<Vec<String>> {
    Ok(run("ip", &["netns", "list"])?
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| name.starts_with(PREFIX))
        .map(str::to_string)
        .collect())
}

/// The processes running inside a namespace.
pub fn pids_in(namespace: &str) -> Vec<i32> {
    run("ip", &["netns", "pids", namespace])
        .map(|text| {
            text.lines()
                .filter_map(|line| line.trim().parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Creates the bridge namespace and one namespace per node, each node's `eth0` plugged into
/// the bridge.
pub fn create(nodes: &[NodeAddress]) -> anyhow::Result<()> {
    run("ip", &["netns", "add", BRIDGE_NS])?;
    run_in(BRIDGE_NS, "ip", &["link", "set", "lo", "up"])?;
    run(
        "ip",
        &["-n", BRIDGE_NS, "link", "add", "br0", "type", "bridge"],
    )?;
    run("ip", &["-n", BRIDGE_NS, "link", "set", "br0", "up"])?;
    let controller = format!("{CONTROLLER_IP}/{SUBNET_BITS}");
    run(
        "ip",
        &["-n", BRIDGE_NS, "addr", "add", &controller, "dev", "br0"],
    )?;
    for (index, node) in nodes.iter().enumerate() {
        plug(node, index)?;
    }
    Ok(())
}

fn plug(node: &NodeAddress, index: usize) -> anyhow::Result<()> {
    let namespace = node.namespace();
    let port = format!("p{index}");
    run("ip", &["netns", "add", &namespace])?;
    run(
        "ip",
        &[
            "link", "add", "eth0", "netns", &namespace, "type", "veth", "peer", "name", &port,
            "netns", BRIDGE_NS,
        ],
    )?;
    let address = format!("{}/{SUBNET_BITS}", node.ip);
    run(
        "ip",
        &["-n", &namespace, "addr", "add", &address, "dev", "eth0"],
    )?;
    run("ip", &["-n", &namespace, "link", "set", "eth0", "up"])?;
    run("ip", &["-n", &namespace, "link", "set", "lo", "up"])?;
    run(
        "ip",
        &["-n", BRIDGE_NS, "link", "set", &port, "master", "br0"],
    )?;
    run("ip", &["-n", BRIDGE_NS, "link", "set", &port, "up"])?;
    Ok(())
}

/// The suite's tmpfs mounts (their source names start with the prefix).
pub fn mounts() -> Vec<String> {
    std::fs::read_to_string("/proc/mounts")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let source = fields.next()?;
            let target = fields.next()?;
            source.starts_with(PREFIX).then(|| target.to_string())
        })
        .collect()
}

/// Removes every namespace and mount of the suite, first killing (by id) the processes the
/// suite started inside them. Fails when something is left.
pub fn remove_all() -> anyhow::Result<()> {
    for namespace in namespaces()? {
        for pid in pids_in(&namespace) {
            let _gone = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
    for namespace in namespaces()? {
        // the processes just killed may take a moment to let go of the namespace
        let mut attempts = 0;
        while let Err(error) = run("ip", &["netns", "del", &namespace]) {
            attempts += 1;
            if attempts > 20 {
                return Err(error);
            }
            pause_briefly();
        }
    }
    for target in mounts() {
        run("umount", &["-l", &target])?;
    }
    let left = namespaces()?;
    if !left.is_empty() || !mounts().is_empty() {
        bail!(
            "left over after cleaning: namespaces {left:?}, mounts {:?}",
            mounts()
        );
    }
    Ok(())
}

#[allow(
    clippy::disallowed_methods,
    reason = "cleanup runs outside the async runtime (also from Drop on panic)"
)]
fn pause_briefly() {
    std::thread::sleep(std::time::Duration::from_millis(100));
}

/// Probes whether `tc netem` exists in this kernel (on a node's interface, then removed).
pub fn netem_available(node: &NodeAddress) -> bool {
    let namespace = node.namespace();
    let added = run_in(
        &namespace,
        "tc",
        &[
            "qdisc", "add", "dev", "eth0", "root", "netem", "delay", "1ms",
        ],
    )
    .is_ok();
    if added {
        let _removed = run_in(&namespace, "tc", &["qdisc", "del", "dev", "eth0", "root"]);
    }
    added
}
