//! Reading the ACL state: policies, tokens, and whether the bootstrap happened.

use dkron_acl::{Policy, SecretHash, Token};
use redb::{ReadableDatabase, ReadableTable};

use crate::apply::{ACL_BOOTSTRAPPED_KEY, find_by_accessor};
use crate::error::engine;
use crate::records::Record;
use crate::tables::{ACL_POLICIES, ACL_TOKENS, META};
use crate::{StateStore, StoreError};

impl StateStore {
    /// Returns every ACL policy in name order.
    pub fn acl_policies(&self) -> Result<Vec<Policy>, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(engine("listing acl policies"))?;
        let table = txn
            .open_table(ACL_POLICIES)
            .map_err(engine("listing acl policies"))?;
        let mut policies = Vec::new();
        for item in table.iter().map_err(engine("listing acl policies"))? {
            let (key, value) = item.map_err(engine("listing acl policies"))?;
            policies.push(Policy::decode(key.value(), value.value())?);
        }
        Ok(policies)
    }

    /// Returns one ACL policy.
    pub fn acl_policy(&self, name: &str) -> Result<Option<Policy>, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(engine("reading an acl policy"))?;
        let table = txn
            .open_table(ACL_POLICIES)
            .map_err(engine("reading an acl policy"))?;
        let value = table.get(name).map_err(engine("reading an acl policy"))?;
        value
            .map(|bytes| Policy::decode(name, bytes.value()))
            .transpose()
    }

    /// Returns every ACL token (hashes only, never secrets).
    pub fn acl_tokens(&self) -> Result<Vec<Token>, StoreError> {
        let txn = self.db.begin_read().map_err(engine("listing acl tokens"))?;
        let table = txn
            .open_table(ACL_TOKENS)
            .map_err(engine("listing acl tokens"))?;
        let mut tokens = Vec::new();
        for item in table.iter().map_err(engine("listing acl tokens"))? {
            let (key, value) = item.map_err(engine("listing acl tokens"))?;
            tokens.push(Token::decode(key.value(), value.value())?);
        }
        tokens.sort_by_key(|token| token.create_time);
        Ok(tokens)
    }

    /// Returns the token whose secret has this hash: one lookup, on every request.
    pub fn acl_token_by_secret(&self, hash: &SecretHash) -> Result<Option<Token>, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(engine("reading an acl token"))?;
        let table = txn
            .open_table(ACL_TOKENS)
            .map_err(engine("reading an acl token"))?;
        let value = table
            .get(hash.as_str())
            .map_err(engine("reading an acl token"))?;
        value
            .map(|bytes| Token::decode(hash.as_str(), bytes.value()))
            .transpose()
    }

    /// Returns the token with this accessor id.
    pub fn acl_token(&self, accessor_id: &str) -> Result<Option<Token>, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(engine("reading an acl token"))?;
        let table = txn
            .open_table(ACL_TOKENS)
            .map_err(engine("reading an acl token"))?;
        Ok(find_by_accessor(&table, accessor_id)?.map(|(_, token)| token))
    }

    /// Returns true once the ACL bootstrap has happened.
    pub fn acl_bootstrapped(&self) -> Result<bool, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading meta"))?;
        let table = txn.open_table(META).map_err(engine("reading meta"))?;
        Ok(table
            .get(ACL_BOOTSTRAPPED_KEY)
            .map_err(engine("reading meta"))?
            .is_some())
    }
}
