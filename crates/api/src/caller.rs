//! Who sent a request: the actor the audit log names and the access checks answer for.
//!
//! The caller middleware (`acl::identify_caller`) puts one [`Caller`] in every request's extensions before any
//! handler runs; handlers and later middleware read it with the [`Caller`] extractor. With
//! ACLs off every caller is [`Role::Open`] and named [`ANONYMOUS`].

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::connect_info::MockConnectInfo;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;

/// The actor recorded for requests made while ACLs are off.
pub const ANONYMOUS: &str = "anonymous";

/// What a caller may do before any policy is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// ACLs are off: anyone who reaches the port may do everything.
    Open,
    /// A management token: every route, secrets included.
    Management,
    /// A client token: only what its policies grant.
    Client,
}

/// The sender of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The name written in the audit log: the token's name, or [`ANONYMOUS`].
    pub actor: String,
    /// What the caller may do.
    pub role: Role,
    /// The peer address of the connection, when the server knows it.
    pub address: Option<SocketAddr>,
}

impl Caller {
    /// A caller of a server whose ACLs are off.
    pub fn anonymous(address: Option<SocketAddr>) -> Caller {
        Caller {
            actor: ANONYMOUS.to_owned(),
            role: Role::Open,
            address,
        }
    }

    /// True when the caller may see and back up secrets: ACLs off, or a management token.
    pub fn sees_secrets(&self) -> bool {
        matches!(self.role, Role::Open | Role::Management)
    }
}

/// The connection's peer, from the server's connect info (or a test's stand-in for it).
pub(crate) fn peer_address(request: &Request) -> Option<SocketAddr> {
    let extensions = request.extensions();
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| *address)
        .or_else(|| {
            extensions
                .get::<MockConnectInfo<SocketAddr>>()
                .map(|MockConnectInfo(address)| *address)
        })
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // A router served without the caller middleware (some unit tests) has no caller:
        // treat it as anonymous rather than failing the request.
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or_else(|| Caller::anonymous(None)))
    }
}
