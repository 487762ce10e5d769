//! Settings kept in the meta table: the replicated history limits, the pause flag, and
//! small JSON values and counters.

use redb::{ReadableTable, Table};

use crate::StoreError;
use crate::command::Retention;
use crate::error::engine;

/// Meta key of the replicated history limits.
pub(crate) const RETENTION_KEY: &str = "retention";

/// Meta key present while scheduling is paused cluster-wide.
pub(crate) const PAUSED_KEY: &str = "paused";

/// Reads whether scheduling is paused cluster-wide.
pub(crate) fn read_paused(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<bool, StoreError> {
    Ok(meta
        .get(PAUSED_KEY)
        .map_err(engine("reading the pause flag"))?
        .is_some())
}

/// Reads the replicated history limits, or the defaults before any were set.
pub(crate) fn read_retention(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Retention, StoreError> {
    read_meta_json(meta, RETENTION_KEY)
}

/// Reads a setting kept as JSON under `key` in meta, or its default before it was set.
pub(crate) fn read_meta_json<T: serde::de::DeserializeOwned + Default>(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &'static str,
) -> Result<T, StoreError> {
    let Some(bytes) = meta.get(key).map_err(engine("reading meta"))? else {
        return Ok(T::default());
    };
    serde_json::from_slice(bytes.value()).map_err(|error| StoreError::Corrupt {
        kind: "meta",
        key: key.to_string(),
        message: error.to_string(),
    })
}

/// Keeps a setting as JSON under `key` in meta.
pub(crate) fn write_meta_json<T: serde::Serialize>(
    meta: &mut Table<'_, &'static str, &'static [u8]>,
    key: &'static str,
    value: &T,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(value).expect("settings are plain data and always serialise");
    meta.insert(key, bytes.as_slice())
        .map_err(engine("writing meta"))?;
    Ok(())
}

/// Reads a counter kept in meta (0 before it was written).
pub(crate) fn read_counter(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<u64, StoreError> {
    let value = meta.get(key).map_err(engine("reading a counter"))?;
    Ok(value
        .and_then(|bytes| bytes.value().try_into().ok().map(u64::from_le_bytes))
        .unwrap_or(0))
}

/// Keeps a counter in meta.
pub(crate) fn write_counter(
    meta: &mut Table<'_, &'static str, &'static [u8]>,
    key: &'static str,
    value: u64,
) -> Result<(), StoreError> {
    meta.insert(key, value.to_le_bytes().as_slice())
        .map_err(engine("writing a counter"))?;
    Ok(())
}
