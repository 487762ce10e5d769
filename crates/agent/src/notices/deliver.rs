//! Turning one notice into the webhook, pre-webhook and mail it asks for, and sending them
//! with a few attempts each.

use std::future::Future;
use std::time::Duration;

use dkron_model::{Execution, OccurrenceState};
use dkron_notify::cronitor::{self, Ping};
use dkron_notify::mail::{self, Mail};
use dkron_notify::template::{self, Fields};
use dkron_notify::{NotifySettings, SendError, report, webhook};
use dkron_store::{Notice, NoticeKind, StateStore};

/// Pauses between the attempts of one send: three attempts in all.
const RETRY_PAUSES: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(4)];

/// What the sender needs besides the notice.
pub(super) struct Context<'a> {
    pub store: &'a StateStore,
    pub settings: &'a NotifySettings,
    pub client: &'a reqwest::Client,
    /// This server: `{{.ReportingNode}}`.
    pub reporting_node: &'a str,
}

/// Sends what `notice` asks for; failures are logged, never returned (the notice is done
/// either way).
pub(super) async fn deliver(context: &Context<'_>, notice: &Notice) {
    match notice.kind {
        NoticeKind::Started => started(context, notice).await,
        NoticeKind::Finished => finished(context, notice).await,
    }
}

async fn started(context: &Context<'_>, notice: &Notice) {
    ping_cronitor(context, &notice.execution, Ping::Run).await;
    let Some(hook) = &context.settings.pre_webhook else {
        return;
    };
    let fields = fields(context.reporting_node, &notice.execution, &[]);
    let body = template::render(&hook.payload, &fields);
    with_retries("pre-webhook", || {
        webhook::send(context.client, hook, body.clone())
    })
    .await;
}

async fn finished(context: &Context<'_>, notice: &Notice) {
    let execution = &notice.execution;
    // Monitoring needs every end, whatever `notify_on` says.
    let success = execution.success;
    ping_cronitor(context, execution, Ping::Done { success }).await;
    let policy = notice
        .notify_on
        .parse()
        .unwrap_or(context.settings.notify_on);
    if !policy.wants(execution.success, || {
        previous_outcome(context.store, execution)
    }) {
        return;
    }
    let group = group_of(context.store, execution);
    let fields = fields(context.reporting_node, execution, &group);
    if let Some(hook) = &context.settings.webhook {
        let body = template::render(&hook.payload, &fields);
        with_retries("webhook", || {
            webhook::send(context.client, hook, body.clone())
        })
        .await;
    }
    let Some(settings) = &context.settings.mail else {
        return;
    };
    if notice.owner_email.is_empty() {
        return;
    }
    let mail = Mail {
        to: notice.owner_email.clone(),
        subject: mail::subject(
            &settings.subject_prefix,
            &execution.job_name,
            execution.success,
        ),
        body: if settings.payload.is_empty() {
            execution.output.clone()
        } else {
            template::render(&settings.payload, &fields)
        },
    };
    with_retries("notification mail", || mail::send(settings, mail.clone())).await;
}

async fn ping_cronitor(context: &Context<'_>, execution: &Execution, ping: Ping) {
    let Some(endpoint) = &context.settings.cronitor else {
        return;
    };
    let url = cronitor::url(endpoint, execution, ping);
    with_retries("cronitor ping", || cronitor::send(context.client, &url)).await;
}

/// Runs `send` until it succeeds or its attempts are used up.
async fn with_retries<F, Fut>(what: &str, mut send: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), SendError>>,
{
    let mut pauses = RETRY_PAUSES.iter();
    loop {
        let error = match send().await {
            Ok(()) => {
                tracing::debug!(what, "notification sent");
                return;
            }
            Err(error) => error,
        };
        let Some(pause) = pauses.next() else {
            tracing::warn!(what, error = %error, "notification not sent; giving up");
            return;
        };
        tracing::info!(what, error = %error, retry_in_ms = pause.as_millis() as u64, "notification not sent yet");
        tokio::time::sleep(*pause).await;
    }
}

/// The executions of the same occurrence (Dkron lists them in the report); just this one
/// when its job is gone.
fn group_of(store: &StateStore, execution: &Execution) -> Vec<Execution> {
    let group: Vec<Execution> = store
        .group_executions(&execution.job_name, execution.group)
        .unwrap_or_default()
        .into_iter()
        .map(|stored| stored.execution)
        .collect();
    if group.is_empty() {
        vec![execution.clone()]
    } else {
        group
    }
}

/// Whether the job's last finished occurrence before this one succeeded.
fn previous_outcome(store: &StateStore, execution: &Execution) -> Option<bool> {
    let ledger = store.ledger(&execution.job_name, 50).ok()?;
    ledger
        .iter()
        .filter(|entry| entry.nominal_time.timestamp_nanos_opt() < Some(execution.group))
        .find_map(|entry| match entry.state {
            OccurrenceState::Succeeded => Some(true),
            OccurrenceState::Failed | OccurrenceState::Lost => Some(false),
            _ => None,
        })
}

fn fields(reporting_node: &str, execution: &Execution, group: &[Execution]) -> Fields {
    Fields {
        report: report::report(execution, reporting_node, group),
        job_name: execution.job_name.clone(),
        reporting_node: reporting_node.to_string(),
        start_time: report::go_time(&execution.started_at),
        finished_at: report::go_time(&execution.finished_at),
        success: execution.success.to_string(),
        node_name: execution.node_name.clone(),
        output: execution.output.clone(),
        execution_id: execution.id.clone(),
    }
}
