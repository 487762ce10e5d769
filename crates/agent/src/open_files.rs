//! The open-files limit (ADR 22): raised to its hard ceiling at start, and the share of it
//! the HTTP API may spend on connections.

use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// File descriptors kept back from HTTP connections, at the least: job processes (three
/// pipes and a pid file descriptor each), Raft and gossip sockets, node RPC and the redb
/// files. Above 1,024 a quarter of the limit is kept back instead.
const RESERVED_AT_LEAST: u64 = 256;
/// Fewest connections the API is given however low the limit, so it stays reachable.
const FEWEST_CONNECTIONS: u64 = 16;

/// The open-files limit of this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OpenFilesLimit {
    /// The soft limit found at start.
    pub(crate) soft_before: u64,
    /// The soft limit now (the hard limit, unless raising it failed).
    pub(crate) soft: u64,
    /// The hard limit.
    pub(crate) hard: u64,
}

/// Raises the soft open-files limit to the hard limit and logs both figures. A failure is
/// logged and the limit found is kept.
pub(crate) fn raise_open_files_limit() -> OpenFilesLimit {
    let (soft_before, hard) = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok(limits) => limits,
        Err(error) => {
            tracing::warn!(error = %error, "cannot read the open-files limit");
            return OpenFilesLimit {
                soft_before: 1024,
                soft: 1024,
                hard: 1024,
            };
        }
    };
    let mut soft = soft_before;
    if soft_before < hard {
        match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => soft = hard,
            Err(error) => {
                tracing::warn!(error = %error, soft_before, hard, "cannot raise the open-files limit")
            }
        }
    }
    tracing::info!(soft_before, soft, hard, "open-files limit");
    OpenFilesLimit {
        soft_before,
        soft,
        hard,
    }
}

/// Returns the most HTTP connections to keep open: `configured` (0 = automatic) but never
/// more than the soft limit minus the reserve, and the reason when `configured` was lowered.
pub(crate) fn http_connection_cap(configured: u32, soft_limit: u64) -> (usize, Option<String>) {
    let reserve = RESERVED_AT_LEAST.max(soft_limit / 4);
    let ceiling = soft_limit.saturating_sub(reserve).max(FEWEST_CONNECTIONS);
    let cap = match u64::from(configured) {
        0 => (ceiling, None),
        wanted if wanted > ceiling => (
            ceiling,
            Some(format!(
                "http-max-connections {wanted} leaves too few of the {soft_limit} open files \
                 for jobs and the cluster; using {ceiling}"
            )),
        ),
        wanted => (wanted, None),
    };
    (usize::try_from(cap.0).unwrap_or(usize::MAX), cap.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_automatic_cap_keeps_a_reserve_of_descriptors() {
        assert_eq!(http_connection_cap(0, 512), (256, None));
        assert_eq!(http_connection_cap(0, 1024), (768, None));
        assert_eq!(http_connection_cap(0, 1_048_576), (786_432, None));
        // A tiny limit still leaves the API a few connections.
        assert_eq!(http_connection_cap(0, 100), (16, None));
    }

    #[test]
    fn a_configured_cap_is_kept_below_the_ceiling() {
        assert_eq!(http_connection_cap(100, 1024), (100, None));
        let (cap, reason) = http_connection_cap(5000, 1024);
        assert_eq!(cap, 768);
        assert!(reason.unwrap().contains("using 768"));
    }

    #[test]
    fn raising_keeps_the_hard_limit_and_never_lowers_the_soft_one() {
        let limit = raise_open_files_limit();
        assert!(limit.soft >= limit.soft_before);
        assert!(limit.soft <= limit.hard);
    }
}
