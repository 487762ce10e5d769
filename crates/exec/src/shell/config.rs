//! The `shell` executor's keys, parsed and validated from Dkron's string map.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;

use super::split::split_command;
use crate::ShellConfigError;
use crate::gobool::parse_go_bool;

/// Shell used when `shell` is true.
pub(super) const SYSTEM_SHELL: &str = "/bin/sh";

/// The `su` key: a user, and optionally a group, by name or number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchUser {
    /// User name or numeric uid.
    pub user: String,
    /// Group name or numeric gid; `None` means the user's primary group.
    pub group: Option<String>,
}

/// A validated `shell` executor config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellConfig {
    /// `command`: the command line as the user wrote it.
    pub command: String,
    /// `shell`: run through `/bin/sh -c` (Go `ParseBool`; anything invalid reads as false).
    pub shell: bool,
    /// The program and its arguments, derived from `command` and `shell`.
    pub argv: Vec<String>,
    /// `env`: `KEY=VALUE` pairs added to the inherited environment.
    pub env: Vec<(String, String)>,
    /// `env` entries without `=`, ignored and reported as warning lines.
    pub ignored_env_entries: Vec<String>,
    /// `cwd`: working directory; `None` inherits the agent's.
    pub cwd: Option<PathBuf>,
    /// `timeout`: kill the process group after this long; `None` (or zero) means never.
    pub timeout: Option<Duration>,
    /// `mem_limit`: kill the process group once its resident memory exceeds this many bytes.
    pub mem_limit_bytes: Option<u64>,
    /// `payload`: bytes written to stdin (decoded from base64), after which stdin is closed.
    pub payload: Option<Vec<u8>>,
    /// `su`: run as this user (and group).
    pub su: Option<SwitchUser>,
}

impl ShellConfig {
    /// Parses and validates Dkron's `shell` keys; unknown keys are ignored as Dkron does.
    pub fn from_map(config: &BTreeMap<String, String>) -> Result<Self, ShellConfigError> {
        let value = |key: &str| config.get(key).map(String::as_str).unwrap_or("");
        let command = value("command").to_string();
        if command.trim().is_empty() {
            return Err(ShellConfigError::CommandMissing);
        }
        let shell = parse_go_bool(value("shell")).unwrap_or(false);
        let argv = if shell {
            vec![SYSTEM_SHELL.to_string(), "-c".to_string(), command.clone()]
        } else {
            split_command(&command)?
        };
        let (env, ignored_env_entries) = parse_env(value("env"));
        let cwd = non_empty(value("cwd")).map(PathBuf::from);
        let timeout = match non_empty(value("timeout")) {
            None => None,
            Some(text) => {
                let duration =
                    dkron_model::parse_go_duration(text).map_err(ShellConfigError::Timeout)?;
                (!duration.is_zero()).then_some(duration)
            }
        };
        let mem_limit_bytes = non_empty(value("mem_limit"))
            .map(dkron_model::parse_mem_limit)
            .transpose()
            .map_err(ShellConfigError::MemLimit)?;
        let payload = non_empty(value("payload"))
            .map(|text| base64::engine::general_purpose::STANDARD.decode(text))
            .transpose()
            .map_err(|error| ShellConfigError::Payload {
                reason: error.to_string(),
            })?;
        let su = non_empty(value("su")).map(parse_su).transpose()?;
        Ok(ShellConfig {
            command,
            shell,
            argv,
            env,
            ignored_env_entries,
            cwd,
            timeout,
            mem_limit_bytes,
            payload,
            su,
        })
    }
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

/// Splits Dkron's comma-separated `KEY=VALUE` list (values cannot contain commas).
fn parse_env(text: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut pairs = Vec::new();
    let mut ignored = Vec::new();
    for entry in text.split(',').filter(|entry| !entry.is_empty()) {
        match entry.split_once('=') {
            Some((key, value)) if !key.is_empty() => {
                pairs.push((key.to_string(), value.to_string()));
            }
            _ => ignored.push(entry.to_string()),
        }
    }
    (pairs, ignored)
}

fn parse_su(text: &str) -> Result<SwitchUser, ShellConfigError> {
    let invalid = || ShellConfigError::SwitchUser {
        value: text.to_string(),
    };
    let (user, group) = match text.split_once(':') {
        Some((user, group)) => (user, Some(group)),
        None => (text, None),
    };
    if user.is_empty() || group.is_some_and(str::is_empty) {
        return Err(invalid());
    }
    Ok(SwitchUser {
        user: user.to_string(),
        group: group.map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<ShellConfig, ShellConfigError> {
        let map = pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        ShellConfig::from_map(&map)
    }

    #[test]
    fn minimal_config_uses_defaults() {
        let config = parse(&[("command", "echo hi")]).unwrap();
        assert_eq!(config.argv, ["echo", "hi"]);
        assert!(!config.shell);
        assert_eq!(config.timeout, None);
        assert_eq!(config.mem_limit_bytes, None);
        assert_eq!(config.payload, None);
        assert_eq!(config.cwd, None);
        assert_eq!(config.su, None);
    }

    #[test]
    fn shell_true_runs_through_sh() {
        let config = parse(&[("command", "date && echo x"), ("shell", "T")]).unwrap();
        assert_eq!(config.argv, ["/bin/sh", "-c", "date && echo x"]);
    }

    #[test]
    fn invalid_shell_flag_reads_as_false() {
        let config = parse(&[("command", "echo x"), ("shell", "yes")]).unwrap();
        assert!(!config.shell);
        assert_eq!(config.argv, ["echo", "x"]);
    }

    #[test]
    fn empty_command_is_missing() {
        assert_eq!(parse(&[]), Err(ShellConfigError::CommandMissing));
        assert_eq!(
            parse(&[("command", " "), ("shell", "true")]),
            Err(ShellConfigError::CommandMissing)
        );
        assert_eq!(
            ShellConfigError::CommandMissing.to_string(),
            "shell: Command missing"
        );
    }

    #[test]
    fn env_pairs_and_bad_entries() {
        let config = parse(&[("command", "env"), ("env", "A=1,B=x=y,,NOPE,=v")]).unwrap();
        assert_eq!(
            config.env,
            [
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "x=y".to_string())
            ]
        );
        assert_eq!(config.ignored_env_entries, ["NOPE", "=v"]);
    }

    #[test]
    fn timeout_and_mem_limit_use_dkron_syntax() {
        let config = parse(&[
            ("command", "true"),
            ("timeout", "1m30s"),
            ("mem_limit", "512m"),
        ])
        .unwrap();
        assert_eq!(config.timeout, Some(Duration::from_secs(90)));
        assert_eq!(config.mem_limit_bytes, Some(512 * 1024 * 1024));
        assert!(matches!(
            parse(&[("command", "true"), ("timeout", "soon")]),
            Err(ShellConfigError::Timeout(_))
        ));
        assert!(matches!(
            parse(&[("command", "true"), ("mem_limit", "lots")]),
            Err(ShellConfigError::MemLimit(_))
        ));
        let zero = parse(&[("command", "true"), ("timeout", "0s")]).unwrap();
        assert_eq!(zero.timeout, None);
    }

    #[test]
    fn payload_is_base64() {
        let config = parse(&[("command", "cat"), ("payload", "aGVsbG8=")]).unwrap();
        assert_eq!(config.payload.as_deref(), Some(&b"hello"[..]));
        let error = parse(&[("command", "cat"), ("payload", "not base64!")]).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("shell: payload is not valid base64")
        );
    }

    #[test]
    fn su_forms() {
        let user_only = parse(&[("command", "id"), ("su", "nobody")]).unwrap();
        assert_eq!(
            user_only.su,
            Some(SwitchUser {
                user: "nobody".into(),
                group: None
            })
        );
        let with_group = parse(&[("command", "id"), ("su", "1000:100")]).unwrap();
        assert_eq!(with_group.su.unwrap().group.as_deref(), Some("100"));
        for bad in [":grp", "user:", ":"] {
            assert!(
                matches!(
                    parse(&[("command", "id"), ("su", bad)]),
                    Err(ShellConfigError::SwitchUser { .. })
                ),
                "{bad}"
            );
        }
    }
}
