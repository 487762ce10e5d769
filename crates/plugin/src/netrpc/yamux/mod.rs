//! The client side of a hashicorp/yamux session, which go-plugin's net/rpc protocol runs on:
//! many byte streams over one connection, each with its own flow-control window. Only what
//! go-plugin needs: we open streams (odd ids); streams the plugin opens are refused.

mod core;
mod frame;
mod session;
mod stream;
mod stream_state;

pub(crate) use session::Session;
pub(crate) use stream::YamuxStream;

/// Each stream's receive window: yamux's fixed initial window, never grown. A data frame
/// longer than this can never be allowed, so it is refused from its header.
pub(crate) const STREAM_WINDOW: u32 = 256 * 1024;

/// The largest data frame we send (smaller frames keep other streams moving).
const MAX_SEND_FRAME: u32 = 64 * 1024;

/// Why a yamux operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum YamuxError {
    /// The session is over (the connection closed, broke, or carried a protocol error).
    #[error("the connection to the plugin ended: {0}")]
    Closed(String),
    /// The plugin reset the stream.
    #[error("the plugin reset the stream")]
    Reset,
    /// The plugin said it takes no new streams.
    #[error("the plugin accepts no new streams (it sent go-away)")]
    GoAway,
    /// Every stream id has been used.
    #[error("no stream ids are left on this connection")]
    Exhausted,
}
