//! Snapshots: the whole state as JSON lines, streamed to and from a file.
//!
//! Each line is one row: `{"t":<table>,"k":<key as JSON array>,"v":<value text>}`. The first
//! line carries the format version so a future format can still read old snapshots.

use std::io::{BufRead, Write};

use redb::{Durability, ReadableTable};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::engine;
use crate::tables::{
    ACL_POLICIES, ACL_TOKENS, ACTIVE, AUDIT, EXECUTIONS, JOBS, LEDGER, META, NOTICES,
};
use crate::{StateStore, StoreError};

const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Row {
    t: String,
    k: Value,
    v: String,
}

fn snapshot_error(action: &'static str) -> impl Fn(std::io::Error) -> StoreError {
    move |error| StoreError::Snapshot {
        action,
        message: error.to_string(),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_row(
    writer: &mut impl Write,
    table: &str,
    key: Value,
    value: String,
) -> Result<(), StoreError> {
    let row = Row {
        t: table.to_string(),
        k: key,
        v: value,
    };
    serde_json::to_writer(&mut *writer, &row).map_err(|error| StoreError::Snapshot {
        action: "writing",
        message: error.to_string(),
    })?;
    writer.write_all(b"\n").map_err(snapshot_error("writing"))
}

impl StateStore {
    /// Writes a consistent copy of the whole state (one read transaction) to `writer` and
    /// returns the meta rows of that same state, so callers can label the snapshot exactly.
    pub fn write_snapshot(
        &self,
        writer: &mut impl Write,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(engine("reading for a snapshot"))?;
        writeln!(writer, "{}", json!({ "format": FORMAT_VERSION }))
            .map_err(snapshot_error("writing"))?;
        write_named_rows(&txn, writer, JOBS, "jobs")?;
        write_named_rows(&txn, writer, ACL_POLICIES, "acl_policies")?;
        write_named_rows(&txn, writer, ACL_TOKENS, "acl_tokens")?;
        let table = txn
            .open_table(EXECUTIONS)
            .map_err(engine("reading for a snapshot"))?;
        for item in table.iter().map_err(engine("reading for a snapshot"))? {
            let (key, value) = item.map_err(engine("reading for a snapshot"))?;
            let (job, group, id) = key.value();
            write_row(
                writer,
                "executions",
                json!([job, group, id]),
                text(value.value()),
            )?;
        }
        let table = txn
            .open_table(LEDGER)
            .map_err(engine("reading for a snapshot"))?;
        for item in table.iter().map_err(engine("reading for a snapshot"))? {
            let (key, value) = item.map_err(engine("reading for a snapshot"))?;
            let (job, nominal) = key.value();
            write_row(writer, "ledger", json!([job, nominal]), text(value.value()))?;
        }
        let table = txn
            .open_table(ACTIVE)
            .map_err(engine("reading for a snapshot"))?;
        for item in table.iter().map_err(engine("reading for a snapshot"))? {
            let (key, _) = item.map_err(engine("reading for a snapshot"))?;
            let (node, job, nominal, id) = key.value();
            write_row(
                writer,
                "active",
                json!([node, job, nominal, id]),
                String::new(),
            )?;
        }
        let table = txn
            .open_table(NOTICES)
            .map_err(engine("reading for a snapshot"))?;
        for item in table.iter().map_err(engine("reading for a snapshot"))? {
            let (key, value) = item.map_err(engine("reading for a snapshot"))?;
            write_row(writer, "notices", json!([key.value()]), text(value.value()))?;
        }
        let table = txn
            .open_table(AUDIT)
            .map_err(engine("reading for a snapshot"))?;
        for item in table.iter().map_err(engine("reading for a snapshot"))? {
            let (key, value) = item.map_err(engine("reading for a snapshot"))?;
            write_row(writer, "audit", json!([key.value()]), text(value.value()))?;
        }
        let table = txn
            .open_table(META)
            .map_err(engine("reading for a snapshot"))?;
        let mut meta = Vec::new();
        for item in table.iter().map_err(engine("reading for a snapshot"))? {
            let (key, value) = item.map_err(engine("reading for a snapshot"))?;
            write_row(writer, "meta", json!([key.value()]), text(value.value()))?;
            meta.push((key.value().to_string(), value.value().to_vec()));
        }
        writer.flush().map_err(snapshot_error("writing"))?;
        Ok(meta)
    }

    /// Replaces the whole state with a snapshot written by `write_snapshot`, atomically.
    pub fn install_snapshot(&self, reader: impl BufRead) -> Result<(), StoreError> {
        let mut txn = self
            .db
            .begin_write()
            .map_err(engine("installing a snapshot"))?;
        txn.set_durability(Durability::Immediate)
            .map_err(engine("installing a snapshot"))?;
        {
            let mut tables = EmptiedTables::open(&txn)?;
            for (index, line) in reader.lines().enumerate() {
                let line = line.map_err(snapshot_error("reading"))?;
                if index == 0 {
                    check_header(&line)?;
                    continue;
                }
                let row: Row = serde_json::from_str(&line).map_err(|e| bad_row(e.to_string()))?;
                tables.insert(&row)?;
            }
        }
        txn.commit().map_err(engine("installing a snapshot"))
    }
}

/// Writes every row of a table keyed by one name (jobs, ACL policies and tokens).
fn write_named_rows(
    txn: &redb::ReadTransaction,
    writer: &mut impl Write,
    definition: redb::TableDefinition<&str, &[u8]>,
    name: &str,
) -> Result<(), StoreError> {
    let table = txn
        .open_table(definition)
        .map_err(engine("reading for a snapshot"))?;
    for item in table.iter().map_err(engine("reading for a snapshot"))? {
        let (key, value) = item.map_err(engine("reading for a snapshot"))?;
        write_row(writer, name, json!([key.value()]), text(value.value()))?;
    }
    Ok(())
}

fn bad_row(message: String) -> StoreError {
    StoreError::Snapshot {
        action: "reading",
        message,
    }
}

/// Refuses a snapshot whose first line is not this format's header.
fn check_header(line: &str) -> Result<(), StoreError> {
    let header: Value = serde_json::from_str(line).map_err(|e| bad_row(e.to_string()))?;
    if header["format"] != json!(FORMAT_VERSION) {
        return Err(bad_row(format!(
            "unknown snapshot format {}",
            header["format"]
        )));
    }
    Ok(())
}

/// Every table of the state, emptied inside the installing transaction.
struct EmptiedTables<'txn> {
    jobs: redb::Table<'txn, &'static str, &'static [u8]>,
    executions: redb::Table<'txn, (&'static str, i64, &'static str), &'static [u8]>,
    ledger: redb::Table<'txn, (&'static str, i64), &'static [u8]>,
    active: redb::Table<'txn, (&'static str, &'static str, i64, &'static str), ()>,
    meta: redb::Table<'txn, &'static str, &'static [u8]>,
    notices: redb::Table<'txn, u64, &'static [u8]>,
    audit: redb::Table<'txn, u64, &'static [u8]>,
    acl_policies: redb::Table<'txn, &'static str, &'static [u8]>,
    acl_tokens: redb::Table<'txn, &'static str, &'static [u8]>,
}

impl<'txn> EmptiedTables<'txn> {
    fn open(txn: &'txn redb::WriteTransaction) -> Result<Self, StoreError> {
        let mut tables = EmptiedTables {
            jobs: txn
                .open_table(JOBS)
                .map_err(engine("installing a snapshot"))?,
            executions: txn
                .open_table(EXECUTIONS)
                .map_err(engine("installing a snapshot"))?,
            ledger: txn
                .open_table(LEDGER)
                .map_err(engine("installing a snapshot"))?,
            active: txn
                .open_table(ACTIVE)
                .map_err(engine("installing a snapshot"))?,
            meta: txn
                .open_table(META)
                .map_err(engine("installing a snapshot"))?,
            notices: txn
                .open_table(NOTICES)
                .map_err(engine("installing a snapshot"))?,
            audit: txn
                .open_table(AUDIT)
                .map_err(engine("installing a snapshot"))?,
            acl_policies: txn
                .open_table(ACL_POLICIES)
                .map_err(engine("installing a snapshot"))?,
            acl_tokens: txn
                .open_table(ACL_TOKENS)
                .map_err(engine("installing a snapshot"))?,
        };
        tables.clear()?;
        Ok(tables)
    }

    fn clear(&mut self) -> Result<(), StoreError> {
        self.jobs
            .retain(|_, _| false)
            .map_err(engine("clearing jobs"))?;
        self.executions
            .retain(|_, _| false)
            .map_err(engine("clearing executions"))?;
        self.ledger
            .retain(|_, _| false)
            .map_err(engine("clearing the ledger"))?;
        self.active
            .retain(|_, _| false)
            .map_err(engine("clearing active runs"))?;
        self.meta
            .retain(|_, _| false)
            .map_err(engine("clearing meta"))?;
        self.notices
            .retain(|_, _| false)
            .map_err(engine("clearing notices"))?;
        self.audit
            .retain(|_, _| false)
            .map_err(engine("clearing the audit log"))?;
        self.acl_policies
            .retain(|_, _| false)
            .map_err(engine("clearing acl policies"))?;
        self.acl_tokens
            .retain(|_, _| false)
            .map_err(engine("clearing acl tokens"))?;
        Ok(())
    }

    /// Writes one row of the snapshot into its table.
    fn insert(&mut self, row: &Row) -> Result<(), StoreError> {
        let key = |i: usize| row.k[i].as_str().unwrap_or_default().to_string();
        let number = |i: usize| row.k[i].as_i64().unwrap_or_default();
        let value = row.v.as_bytes();
        match row.t.as_str() {
            "jobs" => self.jobs.insert(key(0).as_str(), value).map(drop),
            "executions" => self
                .executions
                .insert((key(0).as_str(), number(1), key(2).as_str()), value)
                .map(drop),
            "ledger" => self
                .ledger
                .insert((key(0).as_str(), number(1)), value)
                .map(drop),
            "active" => self
                .active
                .insert(
                    (key(0).as_str(), key(1).as_str(), number(2), key(3).as_str()),
                    (),
                )
                .map(drop),
            "meta" => self.meta.insert(key(0).as_str(), value).map(drop),
            "acl_policies" => self.acl_policies.insert(key(0).as_str(), value).map(drop),
            "acl_tokens" => self.acl_tokens.insert(key(0).as_str(), value).map(drop),
            "notices" => self
                .notices
                .insert(row.k[0].as_u64().unwrap_or_default(), value)
                .map(drop),
            "audit" => self
                .audit
                .insert(row.k[0].as_u64().unwrap_or_default(), value)
                .map(drop),
            other => return Err(bad_row(format!("unknown table {other} in snapshot"))),
        }
        .map_err(engine("installing a snapshot"))
    }
}
