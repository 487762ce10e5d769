//! Access control for the API (ADR 16): the guard that names every caller and refuses
//! what its token may not do, and the `/v1/acl` routes that manage policies and tokens.
//! The rules themselves live in crate `dkron-acl`.

mod backend;
mod guard;
mod handlers;
mod ids;
mod views;

pub use backend::{AclBackend, AclChange};
pub(crate) use guard::{AclGuard, identify_caller};
pub(crate) use handlers::{
    bootstrap, create_token, delete_policy, delete_token, get_policy, get_token, list_policies,
    list_tokens, token_self, upsert_policy,
};
