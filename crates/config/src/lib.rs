//! Agent configuration: every `dkron agent` setting, its default, and how it is loaded.
//!
//! Keys, flags and `DKRON_*` variables are Dkron's. Loading takes two steps: figment merges the
//! sources (defaults < config file < environment < flags) into a raw form of text and
//! numbers, which is then parsed into the typed [`AgentConfig`] and checked by
//! [`AgentConfig::validate`]. Every error names the key and the source that set it. The user
//! reference is `docs/configuration.md`; `README.md` says what this crate owns.

mod agent_config;
mod error;
mod go_duration;
mod lenient;
mod load;
mod mail_tls;
mod notify_on;
mod raw;
mod types;

#[cfg(test)]
mod load_test;

pub use agent_config::AgentConfig;
pub use error::{ConfigError, ConfigWarning, ValidationError, ValueOrigin};
pub use go_duration::format_go_duration;
pub use load::{ConfigSources, LoadedConfig, known_keys, load, load_with_warnings};
pub use mail_tls::{MailTls, ParseMailTlsError};
pub use notify_on::{NotifyOn, ParseNotifyOnError};
pub use types::{GossipKey, GossipProfile, HostPort, LogFormat, LogLevel, MisfirePolicy, Secret};
