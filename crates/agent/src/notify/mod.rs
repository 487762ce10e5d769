//! Notifications about executions (Dkron §9): the webhook and mail after each execution and
//! the pre-webhook when one starts, with Dkron's templates. The state machine leaves a notice
//! in its replicated outbox for each run record a notification follows; the leader sends them
//! and removes what it sent. A leader change delays a notification rather than dropping it:
//! the next leader sends what is left (at least once; a send cut short may be repeated).
//!
//! Beyond Dkron, `notify-on` (or a job's `notify_on`) limits them to failures or to changes of
//! outcome, and an execution that is retried is notified once, after its last attempt.

mod cronitor;
mod deliver;
mod mail;
mod outbox;
mod report;
mod template;
mod webhook;

use dkron_config::{AgentConfig, NotifyOn};
use dkron_store::{Command, NoticeSettings};

use self::mail::MailSettings;
pub use self::outbox::follow;
pub use self::webhook::Hook;
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
    /// Cronitor's ping URL base: pinged when each execution starts and ends.
    pub cronitor: Option<String>,
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
            cronitor: config
                .cronitor_endpoint
                .clone()
                .filter(|endpoint| !endpoint.is_empty()),
            notify_on: config.notify_on,
        }
    }

    /// Whether this server sends anything.
    fn wants_notices(&self) -> bool {
        let wanted = self.notices();
        wanted.started || wanted.finished
    }

    /// Which run records should leave a notice for these settings.
    fn notices(&self) -> NoticeSettings {
        NoticeSettings {
            started: self.pre_webhook.is_some() || self.cronitor.is_some(),
            finished: self.webhook.is_some() || self.mail.is_some() || self.cronitor.is_some(),
            ..NoticeSettings::default()
        }
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

/// Makes the replicated notice settings match this server's notification settings; the
/// leader calls it before it schedules anything, so its first runs are notified too.
pub async fn apply_settings(node: &Node, settings: &NotifySettings) {
    let wanted = settings.notices();
    match node.raft.store().notice_settings() {
        Ok(current) if current == wanted => {}
        Ok(_) => {
            if let Err(error) = node.recorder.record(Command::SetNotices(wanted)).await {
                tracing::warn!(error = %error, "cannot set which runs are notified");
            }
        }
        Err(error) => tracing::warn!(error = %error, "cannot read which runs are notified"),
    }
}
