//! Which run records leave a notice in the replicated outbox, decided from this server's
//! notification settings.

use dkron_notify::NotifySettings;
use dkron_store::{Command, NoticeSettings};

use crate::node::Node;

/// Returns whether this server sends anything.
pub(super) fn wants_notices(settings: &NotifySettings) -> bool {
    let wanted = notices(settings);
    wanted.started || wanted.finished
}

/// Returns which run records should leave a notice for these settings.
fn notices(settings: &NotifySettings) -> NoticeSettings {
    NoticeSettings {
        started: settings.pre_webhook.is_some() || settings.cronitor.is_some(),
        finished: settings.webhook.is_some()
            || settings.mail.is_some()
            || settings.cronitor.is_some(),
        ..NoticeSettings::default()
    }
}

/// Makes the replicated notice settings match this server's notification settings; the
/// leader calls it before it schedules anything, so its first runs are notified too.
pub async fn apply_settings(node: &Node, settings: &NotifySettings) {
    let wanted = notices(settings);
    match node.raft.store().notice_settings() {
        Ok(current) if current == wanted => {}
        Ok(_) => {
            if let Err(error) = node.recorder.record(Command::SetNotices(wanted)).await {
                tracing::warn!(error = %error, "cannot set which runs are notified");
            }
        }
        Err(error) => tracing::warn!(error = %error, "cannot read which runs are notified"),
    }
}
