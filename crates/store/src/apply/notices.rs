//! Writing the notification outbox: notices left by run records, removed once sent.

use dkron_model::{Execution, Job};
use redb::ReadableTable;

use super::batch::Tables;
use crate::StoreError;
use crate::error::engine;
use crate::meta::{read_counter, write_counter, write_meta_json};
use crate::notices::{DROPPED_KEY, NEXT_KEY, Notice, NoticeKind, NoticeSettings, SETTINGS_KEY};

/// Leaves a notice of `kind` about `execution` of `job`, if notices of that kind are wanted.
pub(super) fn record(
    tables: &mut Tables<'_>,
    kind: NoticeKind,
    execution: &Execution,
    job: &Job,
) -> Result<(), StoreError> {
    let wanted = match kind {
        NoticeKind::Started => tables.notice_settings.started,
        NoticeKind::Finished => tables.notice_settings.finished,
    };
    if !wanted {
        return Ok(());
    }
    let seq = read_counter(&tables.meta, NEXT_KEY)?;
    let oldest = tables
        .notices
        .first()
        .map_err(engine("reading notices"))?
        .map(|(key, _)| key.value());
    let limit = tables.notice_settings.limit.max(1);
    if oldest.is_some_and(|oldest| seq - oldest >= limit) {
        tables
            .notices
            .pop_first()
            .map_err(engine("dropping a notice"))?;
        let dropped = read_counter(&tables.meta, DROPPED_KEY)?;
        write_counter(&mut tables.meta, DROPPED_KEY, dropped + 1)?;
    }
    let notice = Notice {
        kind,
        execution: execution.clone(),
        owner_email: job.owner_email.clone(),
        notify_on: job.notify_on.clone(),
    };
    tables
        .notices
        .insert(seq, notice.encode().as_slice())
        .map_err(engine("writing a notice"))?;
    write_counter(&mut tables.meta, NEXT_KEY, seq + 1)
}

/// Removes sent notices; unknown sequence numbers are ignored (already removed).
pub(super) fn remove(tables: &mut Tables<'_>, seqs: &[u64]) -> Result<(), StoreError> {
    for seq in seqs {
        tables
            .notices
            .remove(*seq)
            .map_err(engine("removing a notice"))?;
    }
    Ok(())
}

/// Sets which records leave notices from now on.
pub(super) fn set_settings(
    tables: &mut Tables<'_>,
    settings: NoticeSettings,
) -> Result<(), StoreError> {
    tables.notice_settings = settings;
    write_meta_json(&mut tables.meta, SETTINGS_KEY, &settings)
}
