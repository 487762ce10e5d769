//! The handle the agent holds: start, join, read members, watch events, leave.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dkron_model::MemberStatus;
use foca::{Foca, PostcardCodec};
use rand::SeedableRng;
use rand::rngs::{StdRng, SysRng};
use tokio::net::UdpSocket;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::cipher::DatagramCipher;
use crate::identity::NodeIdentity;
use crate::seeds::resolve_seeds;
use crate::table::MemberTable;
use crate::task::{Command, GossipTask, Shared, TaskParts};
use crate::{GossipConfig, GossipError, MemberView, MembershipEvent};

/// Events a slow subscriber may fall behind by before it misses some.
const EVENT_CAPACITY: usize = 1024;

/// A running gossip node; clones share it.
///
/// Dropping the last clone stops the node without a word, like `shutdown`.
#[derive(Clone)]
pub struct Gossip {
    inner: Arc<Inner>,
}

struct Inner {
    node_name: String,
    advertised: SocketAddr,
    bound: SocketAddr,
    join_timeout: Duration,
    commands: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    task: tokio::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Gossip {
    /// Binds the UDP socket and starts the gossip task; the node is alone until `join`.
    pub async fn start(config: GossipConfig) -> Result<Gossip, GossipError> {
        if config.node_name.is_empty() {
            return Err(GossipError::EmptyNodeName);
        }
        config.timing.validate()?;
        let cipher = DatagramCipher::new(config.key.as_deref())?;
        let bind_error = |source| GossipError::Bind {
            addr: config.bind,
            source,
        };
        let socket = UdpSocket::bind(config.bind).await.map_err(bind_error)?;
        let bound = socket.local_addr().map_err(bind_error)?;
        let advertised = config.advertise_addr(bound);

        let identity = NodeIdentity::new(config.node_name.clone(), advertised, config.tags);
        identity.check_size()?;
        let table = MemberTable::new(identity.view(MemberStatus::Alive));
        let foca = Foca::new(
            identity,
            config.timing.foca_config(),
            secure_rng()?,
            PostcardCodec,
        );
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let shared = Arc::new(Shared {
            table: Mutex::new(table),
            events,
        });
        let (commands, command_receiver) = mpsc::channel(16);
        let task = GossipTask::new(TaskParts {
            foca,
            socket,
            cipher,
            nonce_rng: secure_rng()?,
            shared: shared.clone(),
            commands: command_receiver,
            probe_period: config.timing.probe_period,
        });
        let span = info_span!("gossip", node = %config.node_name);
        let handle = tokio::spawn(task.run().instrument(span));
        info!(
            node = %config.node_name,
            bind = %bound,
            advertise = %advertised,
            encrypted = config.key.is_some(),
            "gossip started"
        );
        Ok(Gossip {
            inner: Arc::new(Inner {
                node_name: config.node_name,
                advertised,
                bound,
                join_timeout: config.timing.join_timeout,
                commands,
                shared,
                task: tokio::sync::Mutex::new(Some(handle)),
            }),
        })
    }

    /// Returns the address other nodes use to reach this one.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.advertised
    }

    /// Joins the cluster through seeds ("host" or "host:port", default port 8946) and
    /// returns how many members are alive, this node included.
    ///
    /// Waits until a seed answers, at most `timing.join_timeout`; no answer (nobody
    /// there, or another encryption key) is an error. Seeds that are this node are
    /// skipped; if no other seed is left, the node simply stays on its own.
    pub async fn join(&self, seeds: &[String]) -> Result<usize, GossipError> {
        if seeds.is_empty() {
            return Err(GossipError::NoSeeds);
        }
        let resolved = resolve_seeds(seeds, self.inner.bound).await?;
        let others: Vec<SocketAddr> = resolved
            .into_iter()
            .filter(|seed| *seed != self.inner.advertised && *seed != self.inner.bound)
            .collect();
        if others.is_empty() {
            debug!("every seed is this node; nothing to join");
            return Ok(self.alive_count());
        }
        let (answered, answer) = oneshot::channel();
        let join = Command::Join {
            seeds: others.clone(),
            answered,
        };
        self.inner
            .commands
            .send(join)
            .await
            .map_err(|_| GossipError::Stopped)?;
        let seed_list = || {
            let texts: Vec<String> = others.iter().map(ToString::to_string).collect();
            texts.join(", ")
        };
        match tokio::time::timeout(self.inner.join_timeout, answer).await {
            Ok(Ok(())) => {
                let alive = self.alive_count();
                info!(seeds = %seed_list(), alive, "joined the gossip cluster");
                Ok(alive)
            }
            Ok(Err(_)) => Err(GossipError::Stopped),
            Err(_) => Err(GossipError::NoSeedAnswered {
                seeds: seed_list(),
                timeout: self.inner.join_timeout,
            }),
        }
    }

    /// Returns every member sorted by name, this node included (alive while running,
    /// left after `leave`). Failed and left members stay listed for `timing.reap_after`.
    pub fn members(&self) -> Vec<MemberView> {
        self.inner.shared.table().members()
    }

    /// Returns one member by name (this node included), as `members` lists it.
    pub fn member(&self, name: &str) -> Option<MemberView> {
        self.inner.shared.table().member(name)
    }

    /// Returns a receiver of every membership change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<MembershipEvent> {
        self.inner.shared.events.subscribe()
    }

    /// Replaces this node's tags; the other members see an `Updated` event.
    ///
    /// Tags too large for a packet are refused with a warning and the old ones stay.
    pub async fn set_tags(&self, tags: BTreeMap<String, String>) {
        let (done, finished) = oneshot::channel();
        let command = Command::SetTags { tags, done };
        if self.inner.commands.send(command).await.is_err() {
            debug!("gossip has stopped; tags not changed");
            return;
        }
        let _stopped_meanwhile_is_fine = finished.await;
    }

    /// Leaves gracefully: the other members list this node as left, not failed. Then
    /// stops the node.
    pub async fn leave(&self) {
        let (done, finished) = oneshot::channel();
        if self
            .inner
            .commands
            .send(Command::Leave { done })
            .await
            .is_ok()
        {
            let _stopped_meanwhile_is_fine = finished.await;
        }
        self.wait_for_task().await;
    }

    /// Stops without telling anyone: the other members will declare this node failed.
    pub async fn shutdown(&self) {
        // an error means the task is gone already, which is what we want
        let _already_stopped_is_fine = self.inner.commands.send(Command::Shutdown).await;
        self.wait_for_task().await;
    }

    fn alive_count(&self) -> usize {
        self.inner.shared.table().alive_count()
    }

    /// Waits until the task has exited, so the UDP port is free when this returns.
    async fn wait_for_task(&self) {
        // held across the await on purpose: a second caller waits for the same exit
        let mut task = self.inner.task.lock().await;
        if let Some(handle) = task.take()
            && let Err(error) = handle.await
        {
            warn!(error = %error, "gossip task ended abnormally");
        }
    }
}

impl fmt::Debug for Gossip {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Gossip")
            .field("node_name", &self.inner.node_name)
            .field("local_addr", &self.inner.advertised)
            .finish_non_exhaustive()
    }
}

/// Returns a CSPRNG seeded by the operating system (foca's choices, AES-GCM nonces).
fn secure_rng() -> Result<StdRng, GossipError> {
    StdRng::try_from_rng(&mut SysRng).map_err(|error| GossipError::Entropy {
        reason: error.to_string(),
    })
}
