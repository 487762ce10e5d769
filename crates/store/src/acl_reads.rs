//! Reading the ACL state: policies, tokens, and whether the bootstrap happened.

use dkron_acl::{Policy, SecretHash, Token};
use redb::{ReadableTable, TableDefinition};

use crate::apply::{ACL_BOOTSTRAPPED_KEY, find_by_accessor};
use crate::error::engine;
use crate::records::Record;
use crate::tables::{ACL_POLICIES, ACL_TOKENS, META};
use crate::{StateStore, StoreError};

/// An ACL table: rows keyed by a name (policies) or a secret's hash (tokens).
type AclTable = TableDefinition<'static, &'static str, &'static [u8]>;

impl StateStore {
    /// Returns every ACL policy in name order.
    pub fn acl_policies(&self) -> Result<Vec<Policy>, StoreError> {
        self.acl_rows(ACL_POLICIES, "listing acl policies", Policy::decode)
    }

    /// Returns one ACL policy.
    pub fn acl_policy(&self, name: &str) -> Result<Option<Policy>, StoreError> {
        self.acl_row(ACL_POLICIES, name, "reading an acl policy", Policy::decode)
    }

    /// Returns every ACL token (hashes only, never secrets), oldest first.
    pub fn acl_tokens(&self) -> Result<Vec<Token>, StoreError> {
        let mut tokens = self.acl_rows(ACL_TOKENS, "listing acl tokens", Token::decode)?;
        tokens.sort_by_key(|token| token.create_time);
        Ok(tokens)
    }

    /// Returns the token whose secret has this hash: one lookup, on every request.
    pub fn acl_token_by_secret(&self, hash: &SecretHash) -> Result<Option<Token>, StoreError> {
        self.acl_row(
            ACL_TOKENS,
            hash.as_str(),
            "reading an acl token",
            Token::decode,
        )
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

    /// Decodes every row of an ACL table, in key order.
    fn acl_rows<T>(
        &self,
        definition: AclTable,
        action: &'static str,
        decode: impl Fn(&str, &[u8]) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let txn = self.db.begin_read().map_err(engine(action))?;
        let table = txn.open_table(definition).map_err(engine(action))?;
        let mut rows = Vec::new();
        for item in table.iter().map_err(engine(action))? {
            let (key, value) = item.map_err(engine(action))?;
            rows.push(decode(key.value(), value.value())?);
        }
        Ok(rows)
    }

    /// Decodes the row of an ACL table under `key`, if there is one.
    fn acl_row<T>(
        &self,
        definition: AclTable,
        key: &str,
        action: &'static str,
        decode: impl Fn(&str, &[u8]) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let txn = self.db.begin_read().map_err(engine(action))?;
        let table = txn.open_table(definition).map_err(engine(action))?;
        let value = table.get(key).map_err(engine(action))?;
        value.map(|bytes| decode(key, bytes.value())).transpose()
    }
}
