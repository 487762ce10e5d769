//! The in-memory backend's ACL routes: its `AclBackend` over the state kept in
//! `testsuite_acl_memory.rs`, and helpers for tests to put tokens and policies in place.

use std::sync::MutexGuard;

use dkron_acl::{Policy, SecretHash, Token};

use crate::acl::{AclBackend, AclChange};
use crate::backend::BackendError;
use crate::testsuite::InMemoryBackend;
use crate::testsuite_acl_memory::AclMemory;

impl InMemoryBackend {
    fn acl_memory(&self) -> MutexGuard<'_, AclMemory> {
        self.acl
            .lock()
            .expect("no test panics while holding the ACL lock")
    }

    /// Stores a token as if it had been created through the API (for tests that need a
    /// token with a chosen secret or expiry).
    pub fn insert_acl_token(&self, token: Token) {
        self.acl_memory()
            .tokens
            .insert(token.secret_hash.clone(), token);
    }

    /// Returns the stored policies.
    pub fn acl_policies_for_test(&self) -> Vec<Policy> {
        self.acl_memory().policies.values().cloned().collect()
    }

    /// Stores a policy without checking its rules.
    pub fn insert_acl_policy(&self, policy: Policy) {
        self.acl_memory()
            .policies
            .insert(policy.name.clone(), policy);
    }
}

impl AclBackend for InMemoryBackend {
    async fn acl_token_by_secret(&self, hash: &SecretHash) -> Result<Option<Token>, BackendError> {
        Ok(self.acl_memory().tokens.get(hash).cloned())
    }

    async fn acl_token(&self, accessor_id: &str) -> Result<Option<Token>, BackendError> {
        Ok(self
            .acl_memory()
            .tokens
            .values()
            .find(|token| token.accessor_id == accessor_id)
            .cloned())
    }

    async fn acl_tokens(&self) -> Result<Vec<Token>, BackendError> {
        let mut tokens: Vec<Token> = self.acl_memory().tokens.values().cloned().collect();
        tokens.sort_by_key(|token| token.create_time);
        Ok(tokens)
    }

    async fn acl_policy(&self, name: &str) -> Result<Option<Policy>, BackendError> {
        Ok(self.acl_memory().policies.get(name).cloned())
    }

    async fn acl_policies(&self) -> Result<Vec<Policy>, BackendError> {
        Ok(self.acl_memory().policies.values().cloned().collect())
    }

    async fn acl_change(&self, change: AclChange) -> Result<Option<Token>, BackendError> {
        self.acl_memory().apply(change)
    }
}
