//! Why a notification was not delivered. A delivery that fails is tried again by the agent's
//! outbox; the text goes to its log.

/// Why one webhook call, Cronitor ping or mail did not go out.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The request did not reach the endpoint (`channel` is `webhook` or `cronitor`).
    #[error("{channel} {url}: {message}")]
    Unreachable {
        /// Which notifier.
        channel: &'static str,
        /// Where it was sent.
        url: String,
        /// What the HTTP client said.
        message: String,
    },
    /// The endpoint answered with a server error (5xx), which is worth another try.
    #[error("{channel} {url} answered {status}")]
    ServerError {
        /// Which notifier.
        channel: &'static str,
        /// Where it was sent.
        url: String,
        /// The status line, e.g. `503 Service Unavailable`.
        status: String,
    },
    /// `mail-ca-file` cannot be read or holds no certificate.
    #[error("mail-ca-file {path}: {message}")]
    MailCaFile {
        /// The configured file.
        path: String,
        /// Why it cannot be used.
        message: String,
    },
    /// The TLS settings for the mail server do not build.
    #[error("mail TLS for {host}: {message}")]
    MailTls {
        /// The mail server.
        host: String,
        /// Why.
        message: String,
    },
    /// `mail-from` or the job's `owner_email` is not a mail address.
    #[error("{field} {value:?}: {message}")]
    MailAddress {
        /// `mail-from` or `owner_email`.
        field: &'static str,
        /// The rejected value.
        value: String,
        /// Why it does not parse.
        message: String,
    },
    /// The message could not be put together.
    #[error("cannot build the mail: {0}")]
    MailMessage(String),
    /// The mail server did not take the mail.
    #[error("mail to {to} via {host}:{port}: {message}")]
    MailRefused {
        /// The recipient.
        to: String,
        /// The mail server.
        host: String,
        /// Its port.
        port: u16,
        /// What the SMTP client said.
        message: String,
    },
}
