//! `GET /v1/jobs/{job}/executions/{execution}/stream`: an execution's output as server-sent
//! events while it runs, then its stored result (our addition; the web UI's live view).
//!
//! The server follows the execution for the browser: it polls the node that runs it and sends
//! what was added since the last look. Events:
//!
//! * `output` — `{"text": …}` to append;
//! * `reset` — `{"text": …}` to show instead of everything so far (the node keeps a capped
//!   tail, so once the head is dropped the new text no longer extends the old);
//! * `done` — the finished execution as stored; the stream then ends;
//! * `gone` — `{"text": …}` saying why: the job or execution was deleted while followed (the
//!   job removed, or its history pruned); the stream then ends.
//!
//! Every stream starts with a `reset`, so a browser that reconnects starts from a clean view.
//!
//! Each stream polls a node and holds a copy of the output it showed, so a node serves at
//! most `ApiOptions::max_output_streams` at once (`limits::MAX_OUTPUT_STREAM_FOLLOWERS`);
//! one more is refused with 503 until a stream closes.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use dkron_model::{Execution, gotime};
use futures::stream::{self, Stream, StreamExt};
use serde::Serialize;
use tokio::sync::OwnedSemaphorePermit;

use crate::backend::{ApiBackend, BackendError};
use crate::error::ApiError;
use crate::state::SharedState;

/// How often a followed execution is looked at.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// What became of the text a viewer holds, given the output now.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum OutputChange<'a> {
    /// Nothing new.
    Same,
    /// Text to append.
    Append(&'a str),
    /// Text to show instead of everything so far.
    Reset(&'a str),
}

/// Compares the output a viewer was sent with the output now.
pub(crate) fn output_change<'a>(shown: &str, now: &'a str) -> OutputChange<'a> {
    if now == shown {
        OutputChange::Same
    } else if let Some(added) = now.strip_prefix(shown) {
        OutputChange::Append(added)
    } else {
        OutputChange::Reset(now)
    }
}

/// One look at the execution.
enum Sighting {
    /// A node runs it; the output so far.
    Running(String),
    /// It is finished and stored.
    Finished(Box<Execution>),
    /// Neither running nor finished yet (recorded as started on a node we cannot see, or
    /// finished but its record is not written yet): look again.
    Pending,
}

async fn look<B: ApiBackend>(
    state: &SharedState<B>,
    job: &str,
    execution_id: &str,
) -> Result<Sighting, BackendError> {
    if let Some(running) = state.backend.running_execution(job, execution_id).await? {
        return Ok(Sighting::Running(running.output));
    }
    let stored = state.backend.get_execution(job, execution_id).await?;
    if gotime::is_zero(&stored.finished_at) {
        Ok(Sighting::Pending)
    } else {
        Ok(Sighting::Finished(Box::new(stored)))
    }
}

#[derive(Serialize)]
struct TextEvent<'a> {
    text: &'a str,
}

/// Compact JSON never holds a raw line break, which an SSE `data:` line could not carry.
fn text_event(name: &str, text: &str) -> Event {
    let data = serde_json::to_string(&TextEvent { text }).unwrap_or_default();
    Event::default().event(name).data(data)
}

/// The event that brings a viewer holding `shown` up to `now`, and updates `shown`; `None`
/// for a viewer that has seen nothing yet.
fn catch_up(shown: &mut Option<String>, now: &str) -> Option<Event> {
    let change = match shown {
        None => OutputChange::Reset(now),
        Some(shown) => output_change(shown, now),
    };
    let event = match change {
        OutputChange::Same => return None,
        OutputChange::Append(added) => text_event("output", added),
        OutputChange::Reset(whole) => text_event("reset", whole),
    };
    *shown = Some(now.to_owned());
    Some(event)
}

/// Where one follower stands.
struct Follower<B> {
    state: SharedState<B>,
    job: String,
    execution_id: String,
    shown: Option<String>,
    first_look: Option<Sighting>,
    finished: bool,
    /// This stream's place among those served at once, given back when the stream is dropped.
    _place: OwnedSemaphorePermit,
}

impl<B: ApiBackend> Follower<B> {
    /// Waits for the next change and returns its events; `None` once the stream is over.
    async fn next_events(&mut self) -> Option<Vec<Event>> {
        if self.finished {
            return None;
        }
        loop {
            let sighting = match self.first_look.take() {
                Some(sighting) => sighting,
                None => {
                    tokio::time::sleep(POLL_INTERVAL).await;
                    match look(&self.state, &self.job, &self.execution_id).await {
                        Ok(sighting) => sighting,
                        Err(BackendError::NotFound(message)) => {
                            self.finished = true;
                            return Some(vec![text_event("gone", &message)]);
                        }
                        Err(error) => {
                            tracing::debug!(job = %self.job, execution = %self.execution_id,
                                error = %error, "output stream: look failed; trying again");
                            continue;
                        }
                    }
                }
            };
            match sighting {
                Sighting::Running(output) => {
                    if let Some(event) = catch_up(&mut self.shown, &output) {
                        return Some(vec![event]);
                    }
                }
                Sighting::Finished(execution) => {
                    self.finished = true;
                    let mut events: Vec<Event> = catch_up(&mut self.shown, &execution.output)
                        .into_iter()
                        .collect();
                    let done = serde_json::to_string(&*execution).unwrap_or_default();
                    events.push(Event::default().event("done").data(done));
                    return Some(events);
                }
                Sighting::Pending => {}
            }
        }
    }
}

fn follow<B: ApiBackend>(
    follower: Follower<B>,
) -> impl Stream<Item = Result<Event, Infallible>> + Send {
    stream::unfold(follower, |mut follower| async move {
        let events = follower.next_events().await?;
        Some((events, follower))
    })
    .flat_map(|events| stream::iter(events.into_iter().map(Ok)))
}

/// `GET /v1/jobs/{job}/executions/{execution}/stream`.
pub(crate) async fn stream_output<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    Path((job, execution_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let place = Arc::clone(&state.output_streams)
        .try_acquire_owned()
        .map_err(|_| ApiError::TooManyStreams {
            limit: state.options.max_output_streams,
        })?;
    // The first look answers 404 for an unknown job or execution before the stream starts.
    let first_look = look(&state, &job, &execution_id).await?;
    let follower = Follower {
        state,
        job,
        execution_id,
        shown: None,
        first_look: Some(first_look),
        finished: false,
        _place: place,
    };
    Ok(Sse::new(follow(follower))
        .keep_alive(KeepAlive::default())
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_what_extends_the_shown_text() {
        assert_eq!(output_change("", ""), OutputChange::Same);
        assert_eq!(output_change("a\n", "a\n"), OutputChange::Same);
        assert_eq!(output_change("", "a\n"), OutputChange::Append("a\n"));
        assert_eq!(output_change("a\n", "a\nb\n"), OutputChange::Append("b\n"));
    }

    #[test]
    fn resets_when_the_head_was_dropped() {
        assert_eq!(
            output_change("a\nb\n", "b\nc\n"),
            OutputChange::Reset("b\nc\n")
        );
        assert_eq!(output_change("a\nb\n", ""), OutputChange::Reset(""));
    }

    #[test]
    fn catch_up_starts_with_a_reset_and_tracks_what_was_sent() {
        let mut shown = None;
        assert!(
            catch_up(&mut shown, "").is_some(),
            "even empty output opens with a reset"
        );
        assert_eq!(shown.as_deref(), Some(""));
        assert!(catch_up(&mut shown, "").is_none());
        assert!(catch_up(&mut shown, "xy").is_some());
        assert_eq!(shown.as_deref(), Some("xy"));
    }
}
