//! A processor plugin as the node uses it, speaking go-plugin 1.x's net/rpc protocol: dial the
//! handshake's address, open the control stream then the plugin's stdout and stderr streams
//! (in the order the plugin's server accepts them), dispense `"processor"` on the control
//! stream, dial the dispensed id through the plugin's `MuxBroker`, and call
//! `Plugin.Process` there.

use tokio::net::{TcpStream, UnixStream};
use tokio::sync::Mutex;

use super::dkron_types::{GoExecution, ProcessorArgs, processor_args_type};
use super::error::NetRpcError;
use super::gob::{GobType, GobValue};
use super::relay::{RelayTargets, relay};
use super::rpc_connection::RpcConnection;
use super::yamux::{Session, YamuxError};
use crate::handshake::PluginAddress;

/// The plugin key Dkron dispenses from a processor binary.
const PROCESSOR_KEY: &str = "processor";

/// A connected processor plugin. Usable from concurrent callers: calls are serialised.
#[derive(Debug)]
pub(crate) struct NetRpcPlugin {
    name: String,
    session: Session,
    control: Mutex<RpcConnection>,
    processor: Mutex<RpcConnection>,
}

impl NetRpcPlugin {
    /// Connects to the plugin `name` listening at `address`, relaying its printed output to
    /// this process's standard output and error.
    pub(crate) async fn connect(
        name: &str,
        address: &PluginAddress,
    ) -> Result<NetRpcPlugin, NetRpcError> {
        NetRpcPlugin::connect_with(name, address, RelayTargets::process_streams()).await
    }

    /// Connects, relaying the plugin's printed output to `relay_to`.
    pub(crate) async fn connect_with(
        name: &str,
        address: &PluginAddress,
        relay_to: RelayTargets,
    ) -> Result<NetRpcPlugin, NetRpcError> {
        let session = dial(address).await?;
        let control = session.open().await?;
        let stdout = session.open().await?;
        let stderr = session.open().await?;
        tokio::spawn(relay(name.to_string(), "stdout", stdout, relay_to.stdout));
        tokio::spawn(relay(name.to_string(), "stderr", stderr, relay_to.stderr));
        let mut control = RpcConnection::new(control);
        let dispensed = control
            .call(
                "Dispenser.Dispense",
                &GobType::String,
                &GobValue::String(PROCESSOR_KEY.to_string()),
            )
            .await?;
        let id = match dispensed {
            GobValue::Uint(id) => u32::try_from(id)
                .map_err(|_| NetRpcError::Protocol(format!("dispensed id {id} is not a uint32")))?,
            other => {
                return Err(NetRpcError::Protocol(format!(
                    "Dispense returned a {}",
                    other.kind()
                )));
            }
        };
        let processor = session.open().await?;
        // go-plugin's MuxBroker.Dial: the id, little-endian, then the same id back as the ack.
        processor.write_all(&id.to_le_bytes()).await?;
        let ack = processor.read_exact(4).await?;
        if ack != id.to_le_bytes() {
            return Err(NetRpcError::Protocol(format!(
                "broker ack {ack:?} for id {id}"
            )));
        }
        Ok(NetRpcPlugin {
            name: name.to_string(),
            session,
            control: Mutex::new(control),
            processor: Mutex::new(RpcConnection::new(processor)),
        })
    }

    /// `Plugin.Process(args) → Execution`. There is no time limit here: the caller wraps the
    /// call in `tokio::time::timeout` (the call is cancel-safe; the plugin's late reply is
    /// skipped). Calls wait for each other, and that wait counts in the caller's limit.
    pub(crate) async fn process(&self, args: &ProcessorArgs) -> Result<GoExecution, NetRpcError> {
        let reply = self
            .processor
            .lock()
            .await
            .call("Plugin.Process", &processor_args_type(), &args.to_gob())
            .await?;
        let execution = GoExecution::from_gob(&reply)?;
        tracing::debug!(plugin = %self.name, job = %execution.job_name, "processor plugin answered");
        Ok(execution)
    }

    /// Asks the plugin to exit (`Control.Quit`), then ends the session; the plugin's process
    /// exits by itself (the caller still watches it and kills it if it lingers, as go-plugin's
    /// `Kill` does). The plugin may exit before its reply is written — go-plugin's server
    /// returns from `Serve` as soon as `Quit` runs — so a connection that closes instead of
    /// answering counts as done.
    pub(crate) async fn quit(&self) -> Result<(), NetRpcError> {
        let answered = self
            .control
            .lock()
            .await
            .call("Control.Quit", &GobType::Bool, &GobValue::Bool(true))
            .await;
        self.session.close("the plugin was asked to quit");
        match answered {
            Ok(_) | Err(NetRpcError::Connection(YamuxError::Closed(_))) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Why the connection ended, once it has.
    #[cfg(test)]
    pub(crate) fn closed_reason(&self) -> Option<String> {
        self.session.closed_reason()
    }
}

async fn dial(address: &PluginAddress) -> Result<Session, NetRpcError> {
    let failed = |error: std::io::Error| NetRpcError::Connect {
        address: address.to_string(),
        reason: error.to_string(),
    };
    Ok(match address {
        PluginAddress::Unix(path) => {
            Session::client(UnixStream::connect(path).await.map_err(failed)?)
        }
        PluginAddress::Tcp(host_port) => {
            let stream = TcpStream::connect(host_port).await.map_err(failed)?;
            let _no_delay = stream.set_nodelay(true);
            Session::client(stream)
        }
    })
}
