//! Reading the notification outbox (the leader sends what it holds).

use redb::{ReadableTable, ReadableTableMetadata};

use crate::StoreError;
use crate::error::engine;
use crate::meta::read_counter;
use crate::notices::{DROPPED_KEY, Notice, NoticeSettings, read_settings};
use crate::state_store::StateStore;
use crate::tables::{META, NOTICES};

impl StateStore {
    /// Returns up to `limit` pending notices, oldest first, with their sequence numbers,
    /// leaving out (undecoded: a notice holds a run's output) those `skip` names.
    pub fn pending_notices(
        &self,
        limit: usize,
        skip: impl Fn(u64) -> bool,
    ) -> Result<Vec<(u64, Notice)>, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading notices"))?;
        let table = txn.open_table(NOTICES).map_err(engine("reading notices"))?;
        let mut notices = Vec::new();
        for item in table.iter().map_err(engine("reading notices"))? {
            if notices.len() >= limit {
                break;
            }
            let (key, value) = item.map_err(engine("reading notices"))?;
            let seq = key.value();
            if !skip(seq) {
                notices.push((seq, Notice::decode(seq, value.value())?));
            }
        }
        Ok(notices)
    }

    /// Returns how many notices wait to be sent.
    pub fn pending_notice_count(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading notices"))?;
        let table = txn.open_table(NOTICES).map_err(engine("reading notices"))?;
        table.len().map_err(engine("reading notices"))
    }

    /// Returns which records leave notices.
    pub fn notice_settings(&self) -> Result<NoticeSettings, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading meta"))?;
        let table = txn.open_table(META).map_err(engine("reading meta"))?;
        read_settings(&table)
    }

    /// Returns how many notices were dropped because the outbox was full.
    pub fn notices_dropped(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading meta"))?;
        let table = txn.open_table(META).map_err(engine("reading meta"))?;
        read_counter(&table, DROPPED_KEY)
    }
}
