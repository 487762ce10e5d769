//! The ACL part of the API's backend: reads from the local store, changes through Raft.

use dkron_acl::{Policy, SecretHash, Token};
use dkron_api::{AclBackend, AclChange, BackendError};
use dkron_store::{Command, CommandResult, StoreError};

use crate::api_seam::ApiSeam;

fn internal(error: StoreError) -> BackendError {
    BackendError::Internal(error.to_string())
}

impl AclBackend for ApiSeam {
    async fn acl_token_by_secret(&self, hash: &SecretHash) -> Result<Option<Token>, BackendError> {
        self.0
            .raft
            .store()
            .acl_token_by_secret(hash)
            .map_err(internal)
    }

    async fn acl_token(&self, accessor_id: &str) -> Result<Option<Token>, BackendError> {
        self.0.raft.store().acl_token(accessor_id).map_err(internal)
    }

    async fn acl_tokens(&self) -> Result<Vec<Token>, BackendError> {
        self.0.raft.store().acl_tokens().map_err(internal)
    }

    async fn acl_policy(&self, name: &str) -> Result<Option<Policy>, BackendError> {
        self.0.raft.store().acl_policy(name).map_err(internal)
    }

    async fn acl_policies(&self) -> Result<Vec<Policy>, BackendError> {
        self.0.raft.store().acl_policies().map_err(internal)
    }

    async fn acl_change(&self, change: AclChange) -> Result<Option<Token>, BackendError> {
        let command = match change {
            AclChange::Bootstrap(token) => Command::AclBootstrap {
                token: Box::new(token),
            },
            AclChange::UpsertPolicy(policy) => Command::AclUpsertPolicy(policy),
            AclChange::DeletePolicy(name) => Command::AclDeletePolicy { name },
            AclChange::CreateToken(token) => Command::AclCreateToken {
                token: Box::new(token),
            },
            AclChange::DeleteToken(accessor_id) => Command::AclDeleteToken { accessor_id },
        };
        match self.write(command).await? {
            CommandResult::AclToken(token) => Ok(Some(*token)),
            _ => Ok(None),
        }
    }
}
