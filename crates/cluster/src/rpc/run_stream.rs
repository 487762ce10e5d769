//! The events of a run streamed back from the node that runs it (`Node.Run`).

use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::Streaming;

use super::error::RpcError;
use super::proto::RunEvent;
use super::proto::run_event::Event;
use super::status::rpc_error;

/// One event of a run, as the node running it streams it to the dispatcher. `F` is what a
/// finished run reports (the worker's summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunStreamEvent<F> {
    /// The order was taken: a new run (`already_known: false`), or one this node already
    /// has or had, so nothing was started (`true`). Always the first event.
    Accepted {
        /// Whether the node knew the run already.
        already_known: bool,
    },
    /// A piece of live output.
    Output(Vec<u8>),
    /// The run ended with this summary; the last event.
    Finished(F),
}

/// Returns the wire form of an event. A summary that cannot be encoded is sent empty (the
/// dispatcher only needs to know the run ended).
pub(crate) fn to_wire<F: Serialize>(event: RunStreamEvent<F>) -> RunEvent {
    let event = match event {
        RunStreamEvent::Accepted { already_known } => Event::Accepted(already_known),
        RunStreamEvent::Output(chunk) => Event::Output(chunk),
        RunStreamEvent::Finished(summary) => {
            Event::Finished(serde_json::to_vec(&summary).unwrap_or_default())
        }
    };
    RunEvent { event: Some(event) }
}

pub(super) fn from_wire<F: DeserializeOwned>(
    event: RunEvent,
) -> Result<RunStreamEvent<F>, RpcError> {
    match event.event {
        Some(Event::Accepted(already_known)) => Ok(RunStreamEvent::Accepted { already_known }),
        Some(Event::Output(chunk)) => Ok(RunStreamEvent::Output(chunk)),
        Some(Event::Finished(summary)) => serde_json::from_slice(&summary)
            .map(RunStreamEvent::Finished)
            .map_err(|error| RpcError::Malformed {
                message: format!("malformed message: {error}"),
            }),
        None => Err(RpcError::Malformed {
            message: "malformed message: a run event without an event".to_string(),
        }),
    }
}

/// The events of one run, read as they arrive.
pub struct RunEventStream<F> {
    events: Streaming<RunEvent>,
    summary: std::marker::PhantomData<fn() -> F>,
}

impl<F: DeserializeOwned> RunEventStream<F> {
    pub(crate) fn new(events: Streaming<RunEvent>) -> RunEventStream<F> {
        RunEventStream {
            events,
            summary: std::marker::PhantomData,
        }
    }

    /// Returns the next event; `Ok(None)` once the node has closed the stream, an error when
    /// the stream broke or the event cannot be read.
    pub async fn next_event(&mut self) -> Result<Option<RunStreamEvent<F>>, RpcError> {
        match self.events.message().await {
            Ok(Some(event)) => from_wire(event).map(Some),
            Ok(None) => Ok(None),
            Err(status) => Err(rpc_error(&status)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_the_wire() {
        let events = [
            RunStreamEvent::Accepted {
                already_known: false,
            },
            RunStreamEvent::Accepted {
                already_known: true,
            },
            RunStreamEvent::Output(b"hello\n".to_vec()),
            RunStreamEvent::Finished(true),
        ];
        for event in events {
            let back: RunStreamEvent<bool> = from_wire(to_wire(event.clone())).expect("decodes");
            assert_eq!(back, event);
        }
        assert_eq!(
            to_wire(RunStreamEvent::Finished(false)).event,
            Some(Event::Finished(b"false".to_vec()))
        );
    }

    #[test]
    fn an_unreadable_event_is_malformed() {
        let empty = RunEvent { event: None };
        assert!(matches!(
            from_wire::<bool>(empty),
            Err(RpcError::Malformed { .. })
        ));
        let garbled = RunEvent {
            event: Some(Event::Finished(b"{".to_vec())),
        };
        assert!(matches!(
            from_wire::<bool>(garbled),
            Err(RpcError::Malformed { .. })
        ));
    }
}
