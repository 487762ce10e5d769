//! The in-memory backend's ACL state: the same rules as the store (bootstrap once, tokens
//! keyed by their secret's hash, policies by name).

use std::collections::BTreeMap;
use std::sync::MutexGuard;

use dkron_acl::{Policy, SecretHash, Token};

use crate::acl::{AclBackend, AclChange};
use crate::backend::BackendError;
use crate::testsuite::InMemoryBackend;

/// Policies, tokens and the bootstrap flag.
#[derive(Debug, Default)]
pub(crate) struct AclMemory {
    policies: BTreeMap<String, Policy>,
    tokens: BTreeMap<SecretHash, Token>,
    bootstrapped: bool,
}

impl AclMemory {
    fn insert_token(&mut self, token: Token) -> Result<Option<Token>, BackendError> {
        let accessor_taken = self
            .tokens
            .values()
            .any(|stored| stored.accessor_id == token.accessor_id);
        if accessor_taken || self.tokens.contains_key(&token.secret_hash) {
            return Err(BackendError::Rejected("ACL token is already in use".into()));
        }
        self.tokens.insert(token.secret_hash.clone(), token.clone());
        Ok(Some(token))
    }

    fn apply(&mut self, change: AclChange) -> Result<Option<Token>, BackendError> {
        match change {
            AclChange::Bootstrap(_) if self.bootstrapped => {
                Err(BackendError::Rejected("ACL bootstrap already done".into()))
            }
            AclChange::Bootstrap(token) => {
                self.bootstrapped = true;
                self.insert_token(token)
            }
            AclChange::CreateToken(token) => self.insert_token(token),
            AclChange::UpsertPolicy(policy) => {
                self.policies.insert(policy.name.clone(), policy);
                Ok(None)
            }
            AclChange::DeletePolicy(name) => match self.policies.remove(&name) {
                Some(_) => Ok(None),
                None => Err(BackendError::NotFound(format!(
                    "ACL policy {name} not found"
                ))),
            },
            AclChange::DeleteToken(accessor) => {
                let key = self
                    .tokens
                    .iter()
                    .find(|(_, token)| token.accessor_id == accessor)
                    .map(|(key, _)| key.clone())
                    .ok_or_else(|| {
                        BackendError::NotFound(format!("ACL token {accessor} not found"))
                    })?;
                Ok(self.tokens.remove(&key))
            }
        }
    }
}

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
