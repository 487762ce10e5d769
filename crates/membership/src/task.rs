//! The one task that owns foca: it feeds foca datagrams, timers and commands, carries out
//! what foca asks for (send, schedule, notify), and keeps the shared member table.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use dkron_model::MemberStatus;
use foca::{AccumulatingRuntime, Foca, NoCustomBroadcast, OwnedNotification, PostcardCodec, Timer};
use futures::StreamExt;
use rand::rngs::StdRng;
use tokio::net::UdpSocket;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::MissedTickBehavior;
use tokio_util::time::DelayQueue;
use tracing::{debug, info, warn};

use crate::MembershipEvent;
use crate::cipher::{DatagramCipher, SEAL_OVERHEAD};
use crate::config::MAX_PACKET_SIZE;
use crate::frame::{self, Frame, LeaveNotice};
use crate::identity::NodeIdentity;
use crate::log_limit::LogLimit;
use crate::table::MemberTable;

/// foca as this crate instantiates it.
pub(crate) type FocaInstance = Foca<NodeIdentity, PostcardCodec, StdRng, NoCustomBroadcast>;

/// How often a dropped datagram or a failed send may be logged.
const LOG_PERIOD: Duration = Duration::from_secs(10);

/// What the `Gossip` handle asks of the task.
pub(crate) enum Command {
    /// Announce to these seeds (again every probe period) until one answers.
    Join {
        seeds: Vec<SocketAddr>,
        answered: oneshot::Sender<()>,
    },
    /// Switch to a new generation of our identity carrying these tags.
    SetTags {
        tags: BTreeMap<String, String>,
        done: oneshot::Sender<()>,
    },
    /// Tell every member we leave, then stop.
    Leave { done: oneshot::Sender<()> },
    /// Stop without a word.
    Shutdown,
}

/// What the task and the handles share.
pub(crate) struct Shared {
    pub(crate) table: Mutex<MemberTable>,
    pub(crate) events: broadcast::Sender<MembershipEvent>,
}

impl Shared {
    /// Locks the member table; no guard is ever held across an await.
    pub(crate) fn table(&self) -> MutexGuard<'_, MemberTable> {
        // the table stays consistent even if a holder panicked: every update is one call
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A `join` waiting for a seed to answer.
struct PendingJoin {
    seeds: Vec<SocketAddr>,
    /// Seeds that turned out to be this very node.
    ourselves: HashSet<SocketAddr>,
    answered: oneshot::Sender<()>,
}

impl PendingJoin {
    fn is_answered(&self, responsive: &HashSet<SocketAddr>) -> bool {
        let other_seed_answered = self.seeds.iter().any(|seed| responsive.contains(seed));
        let only_ourselves = self.seeds.iter().all(|seed| self.ourselves.contains(seed));
        other_seed_answered || only_ourselves
    }
}

/// Everything the task needs to start.
pub(crate) struct TaskParts {
    pub(crate) foca: FocaInstance,
    pub(crate) socket: UdpSocket,
    pub(crate) cipher: DatagramCipher,
    pub(crate) nonce_rng: StdRng,
    pub(crate) shared: Arc<Shared>,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) probe_period: Duration,
}

/// The state of the running gossip node.
pub(crate) struct GossipTask {
    foca: FocaInstance,
    effects: AccumulatingRuntime<NodeIdentity>,
    socket: UdpSocket,
    cipher: DatagramCipher,
    nonce_rng: StdRng,
    timers: DelayQueue<Timer<NodeIdentity>>,
    shared: Arc<Shared>,
    commands: mpsc::Receiver<Command>,
    probe_period: Duration,
    local_status: MemberStatus,
    pending_joins: Vec<PendingJoin>,
    dropped_datagrams: LogLimit,
    foca_errors: LogLimit,
    send_errors: LogLimit,
}

impl GossipTask {
    /// Returns the task ready to run.
    pub(crate) fn new(parts: TaskParts) -> Self {
        GossipTask {
            foca: parts.foca,
            effects: AccumulatingRuntime::new(),
            socket: parts.socket,
            cipher: parts.cipher,
            nonce_rng: parts.nonce_rng,
            timers: DelayQueue::new(),
            shared: parts.shared,
            commands: parts.commands,
            probe_period: parts.probe_period,
            local_status: MemberStatus::Alive,
            pending_joins: Vec::new(),
            dropped_datagrams: LogLimit::new(LOG_PERIOD),
            foca_errors: LogLimit::new(LOG_PERIOD),
            send_errors: LogLimit::new(LOG_PERIOD),
        }
    }

    /// Runs until `leave`, `shutdown`, or the last handle is dropped.
    pub(crate) async fn run(mut self) {
        let mut buffer = vec![0u8; MAX_PACKET_SIZE + SEAL_OVERHEAD + 1];
        let mut announce_again = tokio::time::interval(self.probe_period);
        announce_again.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(Command::Leave { done }) => {
                        self.leave().await;
                        let _receiver_may_be_gone = done.send(());
                        break;
                    }
                    Some(Command::Shutdown) | None => break,
                    Some(command) => self.handle_command(command).await,
                },
                received = self.socket.recv_from(&mut buffer) => match received {
                    Ok((length, from)) => self.handle_datagram(&buffer[..length], from).await,
                    Err(error) => {
                        if let Some(suppressed) = self.send_errors.allow(Instant::now()) {
                            debug!(error = %error, suppressed, "gossip socket receive failed");
                        }
                    }
                },
                Some(expired) = self.timers.next(), if !self.timers.is_empty() => {
                    self.handle_timer(expired.into_inner()).await;
                }
                _ = announce_again.tick(), if !self.pending_joins.is_empty() => {
                    self.announce_to_pending_seeds().await;
                }
            }
        }
        debug!(node = %self.foca.identity().name, "gossip task stopped");
    }

    async fn handle_command(&mut self, command: Command) {
        match command {
            Command::Join { seeds, answered } => {
                self.pending_joins.push(PendingJoin {
                    seeds,
                    ourselves: HashSet::new(),
                    answered,
                });
                // a seed that is already a member answers at once
                self.settle_joins(None);
                self.announce_to_pending_seeds().await;
            }
            Command::SetTags { tags, done } => {
                self.set_tags(tags).await;
                let _receiver_may_be_gone = done.send(());
            }
            // handled by the loop itself, which stops afterwards
            Command::Leave { .. } | Command::Shutdown => {}
        }
    }

    async fn set_tags(&mut self, tags: BTreeMap<String, String>) {
        let renewed = self.foca.identity().with_tags(tags);
        if let Err(error) = renewed.check_size() {
            warn!(error = %error, "node tags not changed");
            return;
        }
        // foca spreads the new generation as a rename of the old one
        if let Err(error) = self.foca.change_identity(renewed, &mut self.effects) {
            warn!(error = %error, "node tags not changed");
            return;
        }
        self.flush(true).await;
    }

    async fn handle_datagram(&mut self, datagram: &[u8], from: SocketAddr) {
        let frame_bytes = match self.cipher.open(datagram) {
            Ok(frame_bytes) => frame_bytes,
            Err(error) => return self.note_dropped(from, error.reason()),
        };
        match frame::decode(&frame_bytes) {
            None => self.note_dropped(from, "not a gossip frame"),
            Some(Frame::Foca(packet)) => {
                let handled = self.foca.handle_data(packet, &mut self.effects);
                // the table must show what the packet taught before a join is answered
                self.flush(false).await;
                match handled {
                    Ok(()) if self.foca.num_members() > 0 => self.settle_joins(Some(from)),
                    Ok(()) => {}
                    Err(foca::Error::DataFromOurselves) => self.note_ourselves(from),
                    Err(error) => {
                        if let Some(suppressed) = self.foca_errors.allow(Instant::now()) {
                            debug!(%from, error = %error, suppressed, "gossip packet rejected");
                        }
                    }
                }
            }
            Some(Frame::Leave(notice)) => {
                debug!(%from, member = %notice.name, "leave notice received");
                let is_news = self.shared.table().record_leave(notice);
                if is_news {
                    self.reconcile();
                }
            }
        }
    }

    async fn handle_timer(&mut self, timer: Timer<NodeIdentity>) {
        // foca forgets a down member silently; the table must follow
        let forgets_member = matches!(timer, Timer::RemoveDown(_));
        if let Err(error) = self.foca.handle_timer(timer, &mut self.effects)
            && let Some(suppressed) = self.foca_errors.allow(Instant::now())
        {
            debug!(error = %error, suppressed, "gossip timer failed");
        }
        self.flush(forgets_member).await;
    }

    /// Carries out what foca asked for during the last call into it.
    async fn flush(&mut self, mut membership_changed: bool) {
        while let Some((to, packet)) = self.effects.to_send() {
            self.send_frame(&frame::encode_foca(&packet), to.addr).await;
        }
        while let Some((after, timer)) = self.effects.to_schedule() {
            self.timers.insert(timer, after);
        }
        while let Some(notification) = self.effects.to_notify() {
            match notification {
                OwnedNotification::MemberUp(_)
                | OwnedNotification::MemberDown(_)
                | OwnedNotification::Rename(_, _) => membership_changed = true,
                OwnedNotification::Active => debug!("gossip reached the cluster"),
                OwnedNotification::Idle => debug!("no other gossip member is reachable"),
                OwnedNotification::Defunct if self.local_status == MemberStatus::Alive => {
                    warn!("the cluster declared this node down");
                }
                OwnedNotification::Defunct => {}
                OwnedNotification::Rejoin(identity) => {
                    info!(
                        generation = identity.generation,
                        "rejoined after being declared down"
                    );
                    membership_changed = true;
                }
            }
        }
        if membership_changed {
            self.reconcile();
        }
    }

    /// Rebuilds the member table from foca and publishes the changes.
    fn reconcile(&mut self) {
        let local = self.foca.identity().view(self.local_status);
        let events = {
            let mut table = self.shared.table();
            table.set_local(local);
            let foca_members = self.foca.iter_membership_state().map(|member| {
                let active = member.state() != foca::State::Down;
                (member.id(), active)
            });
            table.reconcile(foca_members)
        };
        for event in events {
            log_event(&event);
            // nobody subscribed is fine: the table is the source of truth
            let _no_subscriber_is_fine = self.shared.events.send(event);
        }
        self.settle_joins(None);
    }

    /// Answers the joins a seed has answered; `responder` just sent us a valid packet.
    fn settle_joins(&mut self, responder: Option<SocketAddr>) {
        if self.pending_joins.is_empty() {
            return;
        }
        let mut responsive: HashSet<SocketAddr> = self
            .foca
            .iter_members()
            .map(|member| member.id().addr)
            .collect();
        responsive.extend(responder);
        let (answered, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_joins)
            .into_iter()
            .filter(|join| !join.answered.is_closed())
            .partition(|join| join.is_answered(&responsive));
        self.pending_joins = waiting;
        for join in answered {
            let _caller_may_have_timed_out = join.answered.send(());
        }
    }

    /// Our own announce came back: that seed is this node.
    fn note_ourselves(&mut self, from: SocketAddr) {
        for join in &mut self.pending_joins {
            if join.seeds.contains(&from) {
                join.ourselves.insert(from);
            }
        }
        self.settle_joins(None);
    }

    async fn announce_to_pending_seeds(&mut self) {
        self.pending_joins.retain(|join| !join.answered.is_closed());
        let seeds: Vec<SocketAddr> = self
            .pending_joins
            .iter()
            .flat_map(|join| {
                join.seeds
                    .iter()
                    .filter(|seed| !join.ourselves.contains(seed))
            })
            .copied()
            .collect();
        for seed in seeds {
            // the seed's name is unknown: foca accepts an announce sent to its address
            let target = NodeIdentity::seed_placeholder(seed);
            if let Err(error) = self.foca.announce(target, &mut self.effects) {
                debug!(%seed, error = %error, "cannot announce to seed");
            }
        }
        self.flush(false).await;
    }

    /// Tells every member we leave (so they list us as left, not failed), then lets
    /// foca declare us down.
    async fn leave(&mut self) {
        self.local_status = MemberStatus::Leaving;
        self.reconcile();
        let notice = LeaveNotice {
            name: self.foca.identity().name.clone(),
            generation: self.foca.identity().generation,
        };
        let peers: Vec<SocketAddr> = self
            .foca
            .iter_members()
            .map(|member| member.id().addr)
            .collect();
        match frame::encode_leave(&notice) {
            Ok(frame) => {
                for peer in &peers {
                    self.send_frame(&frame, *peer).await;
                }
            }
            Err(error) => warn!(error = %error, "cannot encode the leave notice"),
        }
        if let Err(error) = self.foca.leave_cluster(&mut self.effects) {
            warn!(error = %error, "cannot announce the leave to the cluster");
        }
        self.flush(false).await;
        self.local_status = MemberStatus::Left;
        self.reconcile();
        info!(node = %notice.name, peers = peers.len(), "left the gossip cluster");
    }

    async fn send_frame(&mut self, frame: &[u8], to: SocketAddr) {
        let datagram = match self.cipher.seal(frame, &mut self.nonce_rng) {
            Ok(datagram) => datagram,
            Err(error) => {
                warn!(%to, error = %error, "cannot seal a gossip datagram");
                return;
            }
        };
        if let Err(error) = self.socket.send_to(&datagram, to).await
            && let Some(suppressed) = self.send_errors.allow(Instant::now())
        {
            debug!(%to, error = %error, suppressed, "gossip send failed");
        }
    }

    fn note_dropped(&mut self, from: SocketAddr, reason: &str) {
        if let Some(suppressed) = self.dropped_datagrams.allow(Instant::now()) {
            warn!(%from, reason, suppressed, "gossip datagram dropped");
        }
    }
}

fn log_event(event: &MembershipEvent) {
    let member = event.member();
    let (name, addr) = (&member.name, member.addr);
    match event {
        MembershipEvent::Joined(_) => info!(member = %name, %addr, "member joined"),
        MembershipEvent::Updated(_) => info!(member = %name, %addr, "member updated"),
        MembershipEvent::Failed(_) => info!(member = %name, %addr, "member failed"),
        MembershipEvent::Left(_) => info!(member = %name, %addr, "member left"),
    }
}
