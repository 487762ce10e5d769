//! The ACL state of the in-memory backend, with the store's rules (bootstrap once, tokens
//! keyed by their secret's hash, policies by name). `testsuite_acl.rs` serves it.

use std::collections::BTreeMap;

use dkron_acl::{Policy, SecretHash, Token};

use crate::acl::AclChange;
use crate::backend::BackendError;

/// Policies, tokens and the bootstrap flag.
#[derive(Debug, Default)]
pub(crate) struct AclMemory {
    pub(crate) policies: BTreeMap<String, Policy>,
    pub(crate) tokens: BTreeMap<SecretHash, Token>,
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

    pub(crate) fn apply(&mut self, change: AclChange) -> Result<Option<Token>, BackendError> {
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
