//! What the ACL guard and routes ask of the node.

use std::future::Future;

use dkron_acl::{Policy, SecretHash, Token};

use crate::backend::BackendError;

/// A change to the replicated ACL state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclChange {
    /// Stores the first management token; refused (`Rejected`) after any bootstrap.
    Bootstrap(Token),
    /// Creates or replaces a policy whose rules were checked.
    UpsertPolicy(Policy),
    /// Deletes a policy (`NotFound` if there is none).
    DeletePolicy(String),
    /// Stores a new token.
    CreateToken(Token),
    /// Deletes a token by accessor id (`NotFound` if there is none).
    DeleteToken(String),
}

/// The ACL state as the API reads and changes it.
pub trait AclBackend: Send + Sync + 'static {
    /// Returns the token whose secret has this hash (asked on every request with ACLs on).
    fn acl_token_by_secret(
        &self,
        hash: &SecretHash,
    ) -> impl Future<Output = Result<Option<Token>, BackendError>> + Send;

    /// Returns the token with this accessor id.
    fn acl_token(
        &self,
        accessor_id: &str,
    ) -> impl Future<Output = Result<Option<Token>, BackendError>> + Send;

    /// Returns every token, oldest first.
    fn acl_tokens(&self) -> impl Future<Output = Result<Vec<Token>, BackendError>> + Send;

    /// Returns one policy.
    fn acl_policy(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<Policy>, BackendError>> + Send;

    /// Returns every policy in name order.
    fn acl_policies(&self) -> impl Future<Output = Result<Vec<Policy>, BackendError>> + Send;

    /// Applies a change through the cluster; returns the token a token change stored or
    /// deleted.
    fn acl_change(
        &self,
        change: AclChange,
    ) -> impl Future<Output = Result<Option<Token>, BackendError>> + Send;
}
