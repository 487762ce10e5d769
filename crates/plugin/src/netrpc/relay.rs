//! The plugin's standard output and error streams: go-plugin's net/rpc server sends what the
//! plugin prints over two yamux streams, and Dkron copies them to its own standard output and
//! error (`SyncStdout`, `SyncStderr`). The targets are injectable so tests can read them.

use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::yamux::YamuxStream;

/// Where the plugin's printed output goes.
pub(crate) struct RelayTargets {
    /// For the plugin's standard output.
    pub(crate) stdout: Box<dyn AsyncWrite + Send + Unpin>,
    /// For the plugin's standard error.
    pub(crate) stderr: Box<dyn AsyncWrite + Send + Unpin>,
}

impl RelayTargets {
    /// This process's standard output and error, as Dkron does.
    pub(crate) fn process_streams() -> RelayTargets {
        RelayTargets {
            stdout: Box::new(tokio::io::stdout()),
            stderr: Box::new(tokio::io::stderr()),
        }
    }
}

impl std::fmt::Debug for RelayTargets {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("RelayTargets")
    }
}

/// Copies `stream` to `target` until either ends.
pub(crate) async fn relay(
    name: String,
    which: &'static str,
    stream: YamuxStream,
    mut target: Box<dyn AsyncWrite + Send + Unpin>,
) {
    loop {
        let data = match stream.read(16 * 1024).await {
            Ok(Some(data)) => data,
            Ok(None) => return,
            Err(error) => {
                tracing::debug!(plugin = %name, stream = which, %error, "plugin output stream ended");
                return;
            }
        };
        let written = target.write_all(&data).await;
        if let Err(error) = written.and(target.flush().await) {
            tracing::warn!(plugin = %name, stream = which, %error, "cannot relay the plugin's output");
            return;
        }
    }
}
