//! `mail-tls`: how notification mail is protected on its way to the SMTP server.

use std::fmt;
use std::str::FromStr;

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MailTls {
    /// STARTTLS when the server offers it, plain otherwise (Dkron).
    #[default]
    Auto,
    /// STARTTLS, and refuse a server that does not offer it.
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
    /// No encryption.
    None,
}

/// An unknown `mail-tls` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid mail-tls {value:?}: use \"auto\", \"starttls\", \"tls\" or \"none\"")]
pub struct ParseMailTlsError {
    /// The value given.
    pub value: String,
}

impl FromStr for MailTls {
    type Err = ParseMailTlsError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "auto" => Ok(MailTls::Auto),
            "starttls" => Ok(MailTls::StartTls),
            "tls" => Ok(MailTls::Tls),
            "none" => Ok(MailTls::None),
            other => Err(ParseMailTlsError {
                value: other.to_string(),
            }),
        }
    }
}

impl fmt::Display for MailTls {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            MailTls::Auto => "auto",
            MailTls::StartTls => "starttls",
            MailTls::Tls => "tls",
            MailTls::None => "none",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tls_modes() {
        for mode in [
            MailTls::Auto,
            MailTls::StartTls,
            MailTls::Tls,
            MailTls::None,
        ] {
            assert_eq!(mode.to_string().parse::<MailTls>(), Ok(mode));
        }
        assert!("ssl".parse::<MailTls>().is_err());
    }
}
