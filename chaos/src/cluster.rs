//! The cluster under test: three servers and two agents, each in its own namespace.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::api::Api;
use crate::net::NodeAddress;
use crate::node::{GOSSIP_PORT, Launch, Node};

const SERVERS: [(&str, &str); 3] = [
    ("s1", "10.213.77.11"),
    ("s2", "10.213.77.12"),
    ("s3", "10.213.77.13"),
];
const AGENTS: [(&str, &str); 2] = [("a1", "10.213.77.21"), ("a2", "10.213.77.22")];

/// Every node's name and address, servers first.
pub fn addresses() -> Vec<(NodeAddress, bool)> {
    let servers = SERVERS.iter().map(|entry| (entry, true));
    let agents = AGENTS.iter().map(|entry| (entry, false));
    servers
        .chain(agents)
        .map(|((name, ip), server)| {
            (
                NodeAddress {
                    name: (*name).into(),
                    ip: (*ip).into(),
                },
                server,
            )
        })
        .collect()
}

/// The gossip addresses of the servers, which every node joins.
pub fn seeds() -> Vec<String> {
    SERVERS
        .iter()
        .map(|(_, ip)| format!("{ip}:{GOSSIP_PORT}"))
        .collect()
}

pub struct Cluster {
    pub nodes: Vec<Node>,
    pub launch: Launch,
    pub api: Api,
}

impl Cluster {
    pub fn new(launch: Launch) -> anyhow::Result<Cluster> {
        let nodes: Vec<Node> = addresses()
            .into_iter()
            .map(|(address, server)| Node::new(address, server))
            .collect();
        let bases = nodes
            .iter()
            .filter(|node| node.server)
            .map(Node::http_base)
            .collect();
        let api = Api::new(bases, Duration::from_secs(10))?;
        Ok(Cluster { nodes, launch, api })
    }

    pub fn start_all(&mut self) -> anyhow::Result<()> {
        for node in &mut self.nodes {
            node.start(&self.launch)?;
        }
        Ok(())
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|node| node.name() == name)
    }

    pub fn base_of(&self, name: &str) -> Option<String> {
        self.index_of(name)
            .map(|index| self.nodes[index].http_base())
    }

    /// Waits until a leader is known and it sees every node alive; returns the leader's name.
    pub async fn wait_ready(&self, limit: Duration) -> anyhow::Result<String> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(leader) = self.api.leader().await
                && let Some(base) = self.base_of(&leader)
                && self.api.alive_members(&base).await == self.nodes.len()
            {
                return Ok(leader);
            }
            if Instant::now() > deadline {
                anyhow::bail!(
                    "no leader seeing all {} nodes alive after {limit:?}",
                    self.nodes.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// SIGTERM to every node at once; those that have not exited after `limit` are killed.
    /// Returns the names of those that did not exit by themselves.
    pub async fn stop_all(&mut self, limit: Duration) -> Vec<String> {
        for node in &self.nodes {
            let _continued = node.signal(Signal::SIGCONT);
            let _asked = node.signal(Signal::SIGTERM);
        }
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline && !self.nodes.iter_mut().all(Node::exited) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let mut hung = Vec::new();
        for node in &mut self.nodes {
            if !node.exited() {
                hung.push(node.name().to_string());
                node.kill();
            }
        }
        hung
    }
}
