//! StatsD and DogStatsD (`statsd-addr`, `dog-statsd-addr`, `dog-statsd-tags`): metrics pushed
//! over UDP. Each server sends gauges about itself every 10 s; the leader also sends a counter
//! and timers for every run record the cluster applies (every server applies them all, so
//! only the leader sends, and a total summed over servers is not inflated).

use std::sync::Arc;
use std::time::Duration;

use dkron_cluster::RunObservation;
use dkron_config::AgentConfig;
use tokio::net::UdpSocket;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::node::Node;

/// How often buffered samples are sent.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// How often the server's own gauges are sampled.
const GAUGES_EVERY: Duration = Duration::from_secs(10);
/// Largest datagram sent: fits a common MTU with room for headers.
const MAX_PACKET: usize = 1_432;

/// One configured StatsD server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sink {
    /// `host:port`.
    pub addr: String,
    /// `Some` for DogStatsD: labels become tags, with these global ones added.
    pub dog_tags: Option<Vec<String>>,
}

/// The sinks set in the configuration (none, one or both).
pub fn sinks(config: &AgentConfig) -> Vec<Sink> {
    let set = |addr: &Option<String>| addr.clone().filter(|addr| !addr.is_empty());
    let mut sinks = Vec::new();
    if let Some(addr) = set(&config.statsd_addr) {
        sinks.push(Sink {
            addr,
            dog_tags: None,
        });
    }
    if let Some(addr) = set(&config.dog_statsd_addr) {
        sinks.push(Sink {
            addr,
            dog_tags: Some(config.dog_statsd_tags.clone()),
        });
    }
    sinks
}

/// What a sample is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    /// Milliseconds.
    Timer,
}

/// One line of the StatsD protocol for `sink`. Plain StatsD has no labels: their values are
/// appended to the key, as Dkron's metrics library does; DogStatsD gets them as tags.
pub fn line(sink: &Sink, key: &str, value: f64, kind: Kind, labels: &[(&str, &str)]) -> String {
    let suffix = match kind {
        Kind::Counter => "c",
        Kind::Gauge => "g",
        Kind::Timer => "ms",
    };
    match &sink.dog_tags {
        None => {
            let mut name = key.to_string();
            for (_, value) in labels {
                name.push('.');
                name.push_str(&clean(value));
            }
            format!("{name}:{value}|{suffix}")
        }
        Some(global) => {
            let mut tags: Vec<String> = labels
                .iter()
                .map(|(name, value)| format!("{name}:{}", clean(value)))
                .collect();
            tags.extend(global.iter().cloned());
            if tags.is_empty() {
                format!("{key}:{value}|{suffix}")
            } else {
                format!("{key}:{value}|{suffix}|#{}", tags.join(","))
            }
        }
    }
}

/// Characters that would break a line are replaced, as Dkron's metrics library does.
fn clean(text: &str) -> String {
    text.replace([' ', ':', '|', ',', '#', '\n'], "_")
}

/// The samples one run record makes.
fn run_samples(seen: &RunObservation) -> Vec<(&'static str, f64, Kind, String)> {
    use super::families::statsd_keys as keys;
    use super::observed::seconds;

    match seen {
        RunObservation::Started { job, lateness, .. } => {
            vec![(
                keys::JOB_START_LATENESS,
                seconds(*lateness) * 1e3,
                Kind::Timer,
                job.clone(),
            )]
        }
        RunObservation::Finished {
            job,
            duration,
            success,
            ..
        } => {
            let counter = if *success {
                keys::JOB_EXECUTIONS_SUCCEEDED
            } else {
                keys::JOB_EXECUTIONS_FAILED
            };
            let mut samples = vec![(counter, 1.0, Kind::Counter, job.clone())];
            if let Some(duration) = duration {
                samples.push((
                    keys::JOB_EXECUTION_DURATION,
                    seconds(*duration) * 1e3,
                    Kind::Timer,
                    job.clone(),
                ));
            }
            samples
        }
    }
}

/// A sink with its socket and the lines waiting to go.
struct Connected {
    sink: Sink,
    socket: UdpSocket,
    buffer: String,
}

impl Connected {
    async fn open(sink: Sink) -> Option<Connected> {
        let target = match tokio::net::lookup_host(&sink.addr).await {
            Ok(mut found) => found.next(),
            Err(error) => {
                tracing::warn!(addr = %sink.addr, error = %error, "statsd address not resolved; not sending there");
                return None;
            }
        }?;
        let local = if target.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let socket = UdpSocket::bind(local).await.ok()?;
        if let Err(error) = socket.connect(target).await {
            tracing::warn!(addr = %sink.addr, error = %error, "cannot reach the statsd server");
            return None;
        }
        Some(Connected {
            sink,
            socket,
            buffer: String::new(),
        })
    }

    async fn push(&mut self, line: String) {
        if !self.buffer.is_empty() && self.buffer.len() + line.len() + 1 > MAX_PACKET {
            self.flush().await;
        }
        self.buffer.push_str(&line);
        self.buffer.push('\n');
    }

    async fn flush(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let packet = std::mem::take(&mut self.buffer);
        // UDP: a lost or refused datagram is only worth a debug line.
        if let Err(error) = self.socket.send(packet.trim_end().as_bytes()).await {
            tracing::debug!(addr = %self.sink.addr, error = %error, "statsd packet not sent");
        }
    }
}

/// Sends samples to `sinks` until `stop`.
pub async fn run(node: Arc<Node>, sinks: Vec<Sink>, stop: CancellationToken) {
    use super::families::statsd_keys as keys;

    let mut connected = Vec::new();
    for sink in sinks {
        connected.extend(Connected::open(sink).await);
    }
    if connected.is_empty() {
        return;
    }
    let mut records = node.raft.run_observations();
    let leader = node.raft.leader_watch();
    let me = node.raft.node_id();
    let mut flush = tokio::time::interval(FLUSH_EVERY);
    let mut gauges = tokio::time::interval(GAUGES_EVERY);
    loop {
        let mut samples = Vec::new();
        tokio::select! {
            _ = stop.cancelled() => break,
            seen = records.recv() => match seen {
                Ok(seen) if *leader.borrow() == Some(me) => samples = run_samples(&seen),
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            },
            _ = flush.tick() => {
                for sink in &mut connected {
                    sink.flush().await;
                }
            }
            _ = gauges.tick() => {
                let leading = f64::from(u8::from(*leader.borrow() == Some(me)));
                let running = node.worker.running_count() as f64;
                samples = vec![
                    (keys::AGENT_RUNNING_EXECUTIONS, running, Kind::Gauge, String::new()),
                    (keys::AGENT_LEADER, leading, Kind::Gauge, String::new()),
                ];
            }
        }
        for (key, value, kind, job) in samples {
            for sink in &mut connected {
                let labels: Vec<(&str, &str)> = if job.is_empty() {
                    vec![("node", &node.node_name)]
                } else {
                    vec![("job_name", &job)]
                };
                let line = line(&sink.sink, key, value, kind, &labels);
                sink.push(line).await;
            }
        }
    }
    for sink in &mut connected {
        sink.flush().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> Sink {
        Sink {
            addr: "127.0.0.1:8125".into(),
            dog_tags: None,
        }
    }

    fn dog(tags: &[&str]) -> Sink {
        Sink {
            addr: "127.0.0.1:8125".into(),
            dog_tags: Some(tags.iter().map(|tag| tag.to_string()).collect()),
        }
    }

    #[test]
    fn plain_statsd_appends_label_values_to_the_key() {
        assert_eq!(
            line(
                &plain(),
                "dkron.job.executions_failed_total",
                1.0,
                Kind::Counter,
                &[("job_name", "night ly")]
            ),
            "dkron.job.executions_failed_total.night_ly:1|c"
        );
        assert_eq!(
            line(&plain(), "dkron.agent.leader", 0.0, Kind::Gauge, &[]),
            "dkron.agent.leader:0|g"
        );
    }

    #[test]
    fn dogstatsd_sends_labels_and_global_tags_as_tags() {
        assert_eq!(
            line(
                &dog(&["env:prod"]),
                "dkron.job.execution_duration",
                12.5,
                Kind::Timer,
                &[("job_name", "backup")]
            ),
            "dkron.job.execution_duration:12.5|ms|#job_name:backup,env:prod"
        );
        assert_eq!(
            line(&dog(&[]), "dkron.agent.leader", 1.0, Kind::Gauge, &[]),
            "dkron.agent.leader:1|g"
        );
    }

    #[test]
    fn a_finished_run_counts_and_times() {
        let seen = RunObservation::Finished {
            job: "a".into(),
            execution_id: "1-n".into(),
            duration: Some(chrono::TimeDelta::milliseconds(1500)),
            success: true,
        };
        let samples = run_samples(&seen);
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0].0, "dkron.job.executions_succeeded_total");
        assert_eq!(samples[1].1, 1500.0);
    }
}
