//! What the notifier sends, read from the agent's configuration.

use dkron_config::{AgentConfig, NotifyOn};

use crate::mail::MailSettings;
use crate::webhook::Hook;

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
