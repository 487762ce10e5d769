//! Notifications about finished executions (Dkron §9): the webhook after each execution and
//! the pre-webhook when one starts, with Dkron's templates. The leader sends them, from the
//! run records the state machine applies; a server that leads only for part of a run's life
//! sends what falls in its term (a leader change can drop or, rarely, repeat one).
//!
//! Beyond Dkron, `notify-on` (or a job's `notify_on`) limits them to failures or to changes of
//! outcome, and an execution that is retried is notified once, after its last attempt.

mod mail;
mod policy;
mod report;
mod template;
mod webhook;

use std::sync::Arc;

use dkron_cluster::RunObservation;
use dkron_model::{Execution, OccurrenceState};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

pub use self::mail::MailTls;
use self::mail::{Mail, MailSettings};
pub use self::policy::NotifyOn;
use self::template::Fields;
pub use self::webhook::Hook;
use crate::config::AgentConfig;
use crate::node::Node;

/// What the notifier sends, read from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySettings {
    /// After each execution.
    pub webhook: Option<Hook>,
    /// When an execution starts.
    pub pre_webhook: Option<Hook>,
    /// Mail to the job's owner after each execution.
    pub mail: Option<MailSettings>,
    /// The default policy.
    pub notify_on: NotifyOn,
}

impl NotifySettings {
    /// Reads the settings; a webhook needs both an endpoint and a payload, as in Dkron.
    pub fn from_config(config: &AgentConfig) -> NotifySettings {
        let hook = |endpoint: &Option<String>, payload: &str, headers: &[String]| {
            let endpoint = endpoint.clone().filter(|endpoint| !endpoint.is_empty())?;
            (!payload.is_empty()).then(|| Hook {
                endpoint,
                payload: payload.to_string(),
                headers: headers.to_vec(),
            })
        };
        NotifySettings {
            webhook: hook(
                &config.webhook_endpoint,
                &config.webhook_payload,
                &config.webhook_headers,
            ),
            pre_webhook: hook(
                &config.pre_webhook_endpoint,
                &config.pre_webhook_payload,
                &config.pre_webhook_headers,
            ),
            mail: mail_settings(config),
            notify_on: config.notify_on,
        }
    }

    fn is_empty(&self) -> bool {
        self.webhook.is_none() && self.pre_webhook.is_none() && self.mail.is_none()
    }
}

/// Mail needs a host; the port defaults to 25 and the sender to `dkron@localhost`.
fn mail_settings(config: &AgentConfig) -> Option<MailSettings> {
    let host = config.mail_host.clone().filter(|host| !host.is_empty())?;
    let credentials = match (&config.mail_username, &config.mail_password) {
        (Some(user), Some(password)) if !user.is_empty() => {
            Some((user.clone(), password.expose().to_string()))
        }
        _ => None,
    };
    Some(MailSettings {
        host,
        port: config.mail_port.filter(|port| *port != 0).unwrap_or(25),
        credentials,
        from: config
            .mail_from
            .clone()
            .filter(|from| !from.is_empty())
            .unwrap_or_else(|| "dkron@localhost".to_string()),
        payload: config.mail_payload.clone(),
        subject_prefix: config.mail_subject_prefix.clone(),
        tls: config.mail_tls,
        ca_file: config.mail_ca_file.clone(),
    })
}

/// What one run record asks to send.
#[derive(Debug, Default)]
struct Outbox {
    webhook: Option<(Hook, String)>,
    mail: Option<Mail>,
}

/// Sends notifications while `term` (a leadership term) lasts.
pub async fn follow(node: Arc<Node>, settings: Arc<NotifySettings>, term: CancellationToken) {
    if settings.is_empty() {
        return;
    }
    let mut records = node.raft.run_observations();
    // https:// endpoints need a TLS provider; building the client needs one chosen.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    loop {
        let seen = tokio::select! {
            _ = term.cancelled() => return,
            seen = records.recv() => seen,
        };
        let seen = match seen {
            Ok(seen) => seen,
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "notifications fell behind the run records; some were not sent"
                );
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let outbox = message(&node, &settings, seen);
        if let Some((hook, body)) = outbox.webhook {
            let client = client.clone();
            tokio::spawn(async move {
                if let Err(error) = webhook::send(&client, &hook, body).await {
                    tracing::warn!(error = %error, "webhook not sent");
                }
            });
        }
        if let (Some(mail), Some(mail_settings)) = (outbox.mail, settings.mail.clone()) {
            tokio::spawn(async move {
                match mail::send(&mail_settings, mail).await {
                    Ok(()) => tracing::debug!("notification mail sent"),
                    Err(error) => tracing::warn!(error = %error, "notification mail not sent"),
                }
            });
        }
    }
}

/// What a run record asks to send, if anything.
fn message(node: &Node, settings: &NotifySettings, seen: RunObservation) -> Outbox {
    match seen {
        RunObservation::Started {
            job, execution_id, ..
        } => Outbox {
            webhook: pre_webhook(node, settings, &job, &execution_id),
            mail: None,
        },
        RunObservation::Finished {
            job,
            execution_id,
            success,
            retrying: false,
            ..
        } => finished(node, settings, &job, &execution_id, success).unwrap_or_default(),
        RunObservation::Finished { .. } => Outbox::default(),
    }
}

fn pre_webhook(
    node: &Node,
    settings: &NotifySettings,
    job: &str,
    execution_id: &str,
) -> Option<(Hook, String)> {
    let hook = settings.pre_webhook.clone()?;
    let execution = stored_execution(node, job, execution_id)?;
    let body = template::render(&hook.payload, &fields(node, &execution, &[]));
    Some((hook, body))
}

fn finished(
    node: &Node,
    settings: &NotifySettings,
    job: &str,
    execution_id: &str,
    success: bool,
) -> Option<Outbox> {
    let stored = node.raft.store().job(job).ok().flatten()?;
    let policy = stored.job.notify_on.parse().unwrap_or(settings.notify_on);
    let execution = stored_execution(node, job, execution_id)?;
    if !policy.wants(success, previous_outcome(node, &execution)) {
        return None;
    }
    let group = group_of(node, &execution);
    let fields = fields(node, &execution, &group);
    let webhook = settings.webhook.clone().map(|hook| {
        let body = template::render(&hook.payload, &fields);
        (hook, body)
    });
    let owner = stored.job.owner_email.clone();
    let mail = settings
        .mail
        .as_ref()
        .filter(|_| !owner.is_empty())
        .map(|mail| Mail {
            to: owner,
            subject: mail::subject(&mail.subject_prefix, job, success),
            body: if mail.payload.is_empty() {
                execution.output.clone()
            } else {
                template::render(&mail.payload, &fields)
            },
        });
    Some(Outbox { webhook, mail })
}

fn stored_execution(node: &Node, job: &str, execution_id: &str) -> Option<Execution> {
    node.raft
        .store()
        .execution(job, execution_id)
        .ok()
        .flatten()
        .map(|stored| stored.execution)
}

/// The executions of the same occurrence (Dkron lists them in the report).
fn group_of(node: &Node, execution: &Execution) -> Vec<Execution> {
    node.raft
        .store()
        .group_executions(&execution.job_name, execution.group)
        .unwrap_or_default()
        .into_iter()
        .map(|stored| stored.execution)
        .collect()
}

/// Whether the job's last finished occurrence before this one succeeded.
fn previous_outcome(node: &Node, execution: &Execution) -> Option<bool> {
    let ledger = node.raft.store().ledger(&execution.job_name, 50).ok()?;
    ledger
        .iter()
        .filter(|entry| entry.nominal_time.timestamp_nanos_opt() < Some(execution.group))
        .find_map(|entry| match entry.state {
            OccurrenceState::Succeeded => Some(true),
            OccurrenceState::Failed | OccurrenceState::Lost => Some(false),
            _ => None,
        })
}

fn fields(node: &Node, execution: &Execution, group: &[Execution]) -> Fields {
    Fields {
        report: report::report(execution, &node.node_name, group),
        job_name: execution.job_name.clone(),
        reporting_node: node.node_name.clone(),
        start_time: report::go_time(&execution.started_at),
        finished_at: report::go_time(&execution.finished_at),
        success: execution.success.to_string(),
        node_name: execution.node_name.clone(),
        output: execution.output.clone(),
    }
}
