//! A JSON array of jobs written as the jobs arrive, byte for byte what `Format::jobs` writes
//! for the same jobs, so that a list of any length costs a few jobs of memory.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use dkron_model::Job;
use dkron_model::secrets::redact_job;
use futures::stream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::mpsc::Receiver;

use crate::backend::BackendError;
use crate::render::{Format, JSON_CONTENT_TYPE, to_go_json};

/// Bytes gathered before they are handed to the connection: large enough that a long list
/// is not thousands of tiny writes, small enough to be a bounded part of the memory.
const CHUNK_BYTES: usize = 64 * 1024;

/// The state of an array being written.
struct ArrayWriter {
    jobs: Receiver<Result<Job, BackendError>>,
    pretty: bool,
    /// Show secrets as stored (a backup that asked for them); otherwise they are hidden.
    show_secrets: bool,
    written_any: bool,
    finished: bool,
    /// The heavy-request turn, given back when the answer ends or the client goes away.
    turn: Option<OwnedSemaphorePermit>,
}

impl ArrayWriter {
    /// Appends one job (secrets hidden unless shown on purpose) as the next array element.
    fn push(&mut self, chunk: &mut Vec<u8>, job: &Job) -> Result<(), std::io::Error> {
        let encoded = match self.show_secrets {
            true => to_go_json(job, self.pretty)?,
            false => to_go_json(&redact_job(job), self.pretty)?,
        };
        chunk.extend_from_slice(match (self.written_any, self.pretty) {
            (false, false) => b"[".as_slice(),
            (false, true) => b"[\n".as_slice(),
            (true, false) => b",".as_slice(),
            (true, true) => b",\n".as_slice(),
        });
        self.written_any = true;
        if self.pretty {
            // Each line one level deeper, as an indenting encoder writes array elements
            // (strings never hold a raw line break, so every break is the formatter's).
            for (index, line) in encoded.split(|byte| *byte == b'\n').enumerate() {
                if index > 0 {
                    chunk.push(b'\n');
                }
                chunk.extend_from_slice(b"    ");
                chunk.extend_from_slice(line);
            }
        } else {
            chunk.extend_from_slice(&encoded);
        }
        Ok(())
    }

    /// Closes the array.
    fn close(&mut self, chunk: &mut Vec<u8>) {
        chunk.extend_from_slice(match (self.written_any, self.pretty) {
            (false, _) => b"[]".as_slice(),
            (true, false) => b"]".as_slice(),
            (true, true) => b"\n]".as_slice(),
        });
        self.finished = true;
        self.turn = None;
    }

    /// Returns the next chunk of the answer, `None` once it is complete.
    async fn next_chunk(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        if self.finished {
            return None;
        }
        let mut chunk = Vec::with_capacity(CHUNK_BYTES);
        while chunk.len() < CHUNK_BYTES {
            match self.jobs.recv().await {
                Some(Ok(job)) => {
                    if let Err(error) = self.push(&mut chunk, &job) {
                        return Some(Err(self.fail(error.to_string())));
                    }
                }
                Some(Err(error)) => return Some(Err(self.fail(error.to_string()))),
                None => {
                    self.close(&mut chunk);
                    break;
                }
            }
        }
        Some(Ok(Bytes::from(chunk)))
    }

    /// Ends the answer early: the status is sent already, so the only honest signal left is
    /// a body cut short (the client sees an incomplete array, never a wrong complete one).
    fn fail(&mut self, message: String) -> std::io::Error {
        tracing::warn!(error = %message, "a streamed job list stopped early");
        self.finished = true;
        self.turn = None;
        std::io::Error::other(message)
    }
}

impl Format {
    /// Answers `200` with the jobs from `jobs` as one JSON array, written as they arrive,
    /// their secrets hidden; `turn` is held until the array is complete.
    pub(crate) fn job_array_stream(
        self,
        jobs: Receiver<Result<Job, BackendError>>,
        turn: OwnedSemaphorePermit,
    ) -> Response {
        self.array_stream(jobs, turn, false)
    }

    /// Like [`Format::job_array_stream`], with the secrets as stored (a backup for a caller
    /// who may see them).
    pub(crate) fn job_array_stream_with_secrets(
        self,
        jobs: Receiver<Result<Job, BackendError>>,
        turn: OwnedSemaphorePermit,
    ) -> Response {
        self.array_stream(jobs, turn, true)
    }

    fn array_stream(
        self,
        jobs: Receiver<Result<Job, BackendError>>,
        turn: OwnedSemaphorePermit,
        show_secrets: bool,
    ) -> Response {
        let writer = ArrayWriter {
            jobs,
            pretty: self.pretty,
            show_secrets,
            written_any: false,
            finished: false,
            turn: Some(turn),
        };
        let chunks = stream::unfold(writer, |mut writer| async move {
            let chunk = writer.next_chunk().await?;
            Some((chunk, writer))
        });
        let mut response = Response::new(Body::from_stream(chunks));
        *response.status_mut() = StatusCode::OK;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(JSON_CONTENT_TYPE),
        );
        response
    }
}
