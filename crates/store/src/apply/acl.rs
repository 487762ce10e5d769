//! The ACL commands: the one-time bootstrap, policies and tokens. Their tables are opened
//! here, by these commands only, never for a batch of run records.

use dkron_acl::{Policy, Rules, Token};
use redb::{ReadableTable, Table};

use super::batch::Tables;
use crate::StoreError;
use crate::command::{ApplyError, CommandResult};
use crate::error::engine;
use crate::records::Record;
use crate::tables::{ACL_POLICIES, ACL_TOKENS};

/// Meta key present once the ACL system was bootstrapped (it stays after the bootstrap token
/// is deleted: a second bootstrap would let anyone who reaches the API take over).
pub(crate) const ACL_BOOTSTRAPPED_KEY: &str = "acl_bootstrapped";

/// The message a second bootstrap gets.
pub const ALREADY_BOOTSTRAPPED: &str = "ACL bootstrap already done: only the first bootstrap \
     makes a token; create more with a management token (dkron acl token create)";

fn failed(error: ApplyError) -> Result<CommandResult, StoreError> {
    Ok(CommandResult::Failed(error))
}

type AclTable<'txn> = Table<'txn, &'static str, &'static [u8]>;

fn open_tokens<'txn>(tables: &Tables<'txn>) -> Result<AclTable<'txn>, StoreError> {
    tables
        .txn
        .open_table(ACL_TOKENS)
        .map_err(engine("opening acl tokens"))
}

/// Stores the first management token, once.
pub(super) fn bootstrap(
    tables: &mut Tables<'_>,
    token: Token,
) -> Result<CommandResult, StoreError> {
    let done = tables
        .meta
        .get(ACL_BOOTSTRAPPED_KEY)
        .map_err(engine("reading the acl bootstrap flag"))?
        .is_some();
    if done {
        return failed(ApplyError::Rejected(ALREADY_BOOTSTRAPPED.to_owned()));
    }
    tables
        .meta
        .insert(ACL_BOOTSTRAPPED_KEY, [1u8].as_slice())
        .map_err(engine("writing the acl bootstrap flag"))?;
    let mut tokens = open_tokens(tables)?;
    insert_token(&mut tokens, token)
}

/// Stores a new token.
pub(super) fn create_token(
    tables: &mut Tables<'_>,
    token: Token,
) -> Result<CommandResult, StoreError> {
    let mut tokens = open_tokens(tables)?;
    if find_by_accessor(&tokens, &token.accessor_id)?.is_some() {
        let message = format!("ACL token accessor {} is already in use", token.accessor_id);
        return failed(ApplyError::Rejected(message));
    }
    insert_token(&mut tokens, token)
}

fn insert_token(tokens: &mut AclTable<'_>, token: Token) -> Result<CommandResult, StoreError> {
    let key = token.secret_hash.as_str().to_owned();
    let taken = tokens
        .get(key.as_str())
        .map_err(engine("reading an acl token"))?
        .is_some();
    if taken {
        return failed(ApplyError::Rejected(
            "ACL token secret is already in use".to_owned(),
        ));
    }
    tokens
        .insert(key.as_str(), token.encode().as_slice())
        .map_err(engine("writing an acl token"))?;
    Ok(CommandResult::AclToken(Box::new(token)))
}

/// Returns the key (secret hash) and the token with this accessor id.
pub(crate) fn find_by_accessor(
    tokens: &impl ReadableTable<&'static str, &'static [u8]>,
    accessor_id: &str,
) -> Result<Option<(String, Token)>, StoreError> {
    // Tokens are few (people and services, not runs): a scan is fine, and keying by the
    // secret's hash keeps the per-request lookup to one read.
    for item in tokens.iter().map_err(engine("listing acl tokens"))? {
        let (key, value) = item.map_err(engine("listing acl tokens"))?;
        let token = Token::decode(key.value(), value.value())?;
        if token.accessor_id == accessor_id {
            return Ok(Some((key.value().to_owned(), token)));
        }
    }
    Ok(None)
}

/// Deletes a token by accessor id.
pub(super) fn delete_token(
    tables: &mut Tables<'_>,
    accessor_id: &str,
) -> Result<CommandResult, StoreError> {
    let mut tokens = open_tokens(tables)?;
    let Some((key, token)) = find_by_accessor(&tokens, accessor_id)? else {
        return failed(ApplyError::AclNotFound(format!(
            "ACL token {accessor_id} not found"
        )));
    };
    tokens
        .remove(key.as_str())
        .map_err(engine("deleting an acl token"))?;
    Ok(CommandResult::AclToken(Box::new(token)))
}

/// Creates or replaces a policy whose rules parse.
pub(super) fn upsert_policy(
    tables: &mut Tables<'_>,
    policy: Policy,
) -> Result<CommandResult, StoreError> {
    // The API checks the rules first; checking again keeps a bad document out of the state
    // whoever proposed it.
    if let Err(error) = Rules::parse(&policy.rules) {
        return failed(ApplyError::Rejected(error.to_string()));
    }
    let mut policies = tables
        .txn
        .open_table(ACL_POLICIES)
        .map_err(engine("opening acl policies"))?;
    policies
        .insert(policy.name.as_str(), policy.encode().as_slice())
        .map_err(engine("writing an acl policy"))?;
    Ok(CommandResult::Done)
}

/// Deletes a policy.
pub(super) fn delete_policy(
    tables: &mut Tables<'_>,
    name: &str,
) -> Result<CommandResult, StoreError> {
    let mut policies = tables
        .txn
        .open_table(ACL_POLICIES)
        .map_err(engine("opening acl policies"))?;
    let removed = policies
        .remove(name)
        .map_err(engine("deleting an acl policy"))?
        .is_some();
    if !removed {
        return failed(ApplyError::AclNotFound(format!(
            "ACL policy {name} not found"
        )));
    }
    Ok(CommandResult::Done)
}
