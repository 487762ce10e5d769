//! Mail to a job's `owner_email` after each finished execution (Dkron §9.4), over SMTP with
//! STARTTLS when the server offers it (Dkron's behaviour), required STARTTLS, implicit TLS, or
//! none, as `mail-tls` says.

use std::fmt;
use std::time::Duration;

use dkron_config::MailTls;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::error::SendError;

/// Longest one mail may take to hand over.
const MAIL_DEADLINE: Duration = Duration::from_secs(30);

/// Where and how mail is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// SMTP server.
    pub host: String,
    /// SMTP port.
    pub port: u16,
    /// User and password, when both are set.
    pub credentials: Option<(String, String)>,
    /// Sender address.
    pub from: String,
    /// Body template; empty sends the raw output.
    pub payload: String,
    /// Text before every subject.
    pub subject_prefix: String,
    /// Connection protection.
    pub tls: MailTls,
    /// PEM file of extra trusted roots.
    pub ca_file: Option<String>,
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("MailSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

/// One mail about one execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The job's owner.
    pub to: String,
    /// Dkron's subject: `<prefix><Success|Failed> <job> execution report`.
    pub subject: String,
    /// The text body.
    pub body: String,
}

/// Dkron's subject line.
pub fn subject(prefix: &str, job: &str, success: bool) -> String {
    let outcome = if success { "Success" } else { "Failed" };
    format!("{prefix}{outcome} {job} execution report")
}

fn transport(settings: &MailSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
    let parameters = || {
        let mut builder = TlsParameters::builder(settings.host.clone());
        if let Some(path) = &settings.ca_file {
            let unusable = |message: String| SendError::MailCaFile {
                path: path.clone(),
                message,
            };
            let pem = std::fs::read(path).map_err(|error| unusable(error.to_string()))?;
            let roots = Certificate::from_pem(&pem).map_err(|error| unusable(error.to_string()))?;
            builder = builder.add_root_certificate(roots);
        }
        builder.build_rustls().map_err(|error| SendError::MailTls {
            host: settings.host.clone(),
            message: error.to_string(),
        })
    };
    let tls = match settings.tls {
        MailTls::Auto => Tls::Opportunistic(parameters()?),
        MailTls::StartTls => Tls::Required(parameters()?),
        MailTls::Tls => Tls::Wrapper(parameters()?),
        MailTls::None => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
        .port(settings.port)
        .tls(tls)
        .timeout(Some(MAIL_DEADLINE));
    if let Some((user, password)) = &settings.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// Sends one mail.
pub async fn send(settings: &MailSettings, mail: Mail) -> Result<(), SendError> {
    let address = |field: &'static str, value: &str| {
        let value = value.to_string();
        move |error: lettre::address::AddressError| SendError::MailAddress {
            field,
            value,
            message: error.to_string(),
        }
    };
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(address("mail-from", &settings.from))?;
    let to: Mailbox = mail.to.parse().map_err(address("owner_email", &mail.to))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject)
        .body(mail.body)
        .map_err(|error| SendError::MailMessage(error.to_string()))?;
    transport(settings)?
        .send(message)
        .await
        .map_err(|error| SendError::MailRefused {
            to: mail.to.clone(),
            host: settings.host.clone(),
            port: settings.port,
            message: error.to_string(),
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_dkrons_subject() {
        assert_eq!(
            subject("[Dkron]", "job1", true),
            "[Dkron]Success job1 execution report"
        );
        assert_eq!(subject("", "job1", false), "Failed job1 execution report");
    }
}
