//! What one HTTP connection is doing, for its deadlines (ADR 22): when bytes last moved,
//! whether a request is in progress, and when the headers of the next one began to arrive.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Stands for "no headers arriving" in `Activity::head_started_ms`.
const NO_HEAD: u64 = u64::MAX;

/// The limits a connection is held to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionDeadlines {
    /// No request in progress and no bytes moving for this long: closed.
    pub(crate) idle: Duration,
    /// A request's headers still incomplete this long after its first byte: closed.
    pub(crate) header: Duration,
}

/// What the watchdog decides about a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Fine; look again after this long.
    KeepFor(Duration),
    /// Idle past the idle deadline.
    Idle,
    /// Headers began to arrive and did not finish in time.
    SlowHeaders,
}

/// One connection's activity, shared by its I/O wrapper, its service and its watchdog.
#[derive(Debug)]
pub(crate) struct Activity {
    origin: Instant,
    last_io_ms: AtomicU64,
    head_started_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    /// Returns the activity of a connection accepted now.
    pub(crate) fn new() -> Arc<Activity> {
        Arc::new(Activity {
            origin: Instant::now(),
            last_io_ms: AtomicU64::new(0),
            head_started_ms: AtomicU64::new(NO_HEAD),
            in_flight: AtomicUsize::new(0),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn bytes_read(&self) {
        let now = self.now_ms();
        self.last_io_ms.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Acquire) == 0 {
            // The first bytes of the next request: its headers' clock starts.
            let _already_started = self.head_started_ms.compare_exchange(
                NO_HEAD,
                now,
                Ordering::AcqRel,
                Ordering::Relaxed,
            );
        }
    }

    fn bytes_written(&self) {
        self.last_io_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Notes that a request's headers are in and its handling begins; the returned guard
    /// ends it (held until the response body is sent, so a long stream is never idle).
    pub(crate) fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started_ms.store(NO_HEAD, Ordering::Release);
        InFlight(self.clone())
    }

    /// Returns whether the connection may stay open, judged now.
    pub(crate) fn verdict(&self, deadlines: ConnectionDeadlines) -> Verdict {
        judge(
            Snapshot {
                now_ms: self.now_ms(),
                last_io_ms: self.last_io_ms.load(Ordering::Relaxed),
                head_started_ms: self.head_started_ms.load(Ordering::Acquire),
                in_flight: self.in_flight.load(Ordering::Acquire),
            },
            deadlines,
        )
    }
}

/// A request in progress on a connection; dropping it ends the request.
#[derive(Debug)]
pub(crate) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.bytes_written();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The activity figures at one moment, in milliseconds since the connection was accepted.
#[derive(Debug, Clone, Copy)]
struct Snapshot {
    now_ms: u64,
    last_io_ms: u64,
    head_started_ms: u64,
    in_flight: usize,
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX / 2)
}

fn judge(snapshot: Snapshot, deadlines: ConnectionDeadlines) -> Verdict {
    if snapshot.in_flight > 0 {
        return Verdict::KeepFor(deadlines.idle);
    }
    if snapshot.head_started_ms != NO_HEAD {
        let header_deadline = snapshot.head_started_ms + millis(deadlines.header);
        return match header_deadline.checked_sub(snapshot.now_ms) {
            Some(left @ 1..) => Verdict::KeepFor(Duration::from_millis(left)),
            _ => Verdict::SlowHeaders,
        };
    }
    let idle_deadline = snapshot.last_io_ms + millis(deadlines.idle);
    match idle_deadline.checked_sub(snapshot.now_ms) {
        Some(left @ 1..) => Verdict::KeepFor(Duration::from_millis(left)),
        _ => Verdict::Idle,
    }
}

/// A connection's byte stream, noting every read and write in its [`Activity`].
pub(crate) struct Watched<Io> {
    io: Io,
    activity: Arc<Activity>,
}

impl<Io> Watched<Io> {
    /// Wraps `io`, noting its traffic in `activity`.
    pub(crate) fn new(io: Io, activity: Arc<Activity>) -> Watched<Io> {
        Watched { io, activity }
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for Watched<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let filled_before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > filled_before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for Watched<Io> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(1..))) {
            self.activity.bytes_written();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEADLINES: ConnectionDeadlines = ConnectionDeadlines {
        idle: Duration::from_secs(60),
        header: Duration::from_secs(10),
    };

    fn at(now_ms: u64, last_io_ms: u64, head_started_ms: u64, in_flight: usize) -> Verdict {
        let snapshot = Snapshot {
            now_ms,
            last_io_ms,
            head_started_ms,
            in_flight,
        };
        judge(snapshot, DEADLINES)
    }

    #[test]
    fn a_quiet_connection_closes_after_the_idle_deadline() {
        assert_eq!(at(0, 0, NO_HEAD, 0), Verdict::KeepFor(DEADLINES.idle));
        assert_eq!(
            at(59_000, 1_000, NO_HEAD, 0),
            Verdict::KeepFor(Duration::from_secs(2))
        );
        assert_eq!(at(61_000, 1_000, NO_HEAD, 0), Verdict::Idle);
    }

    #[test]
    fn headers_must_finish_within_the_header_deadline() {
        assert_eq!(
            at(15_000, 14_000, 6_000, 0),
            Verdict::KeepFor(Duration::from_secs(1))
        );
        // Trickling bytes keep the connection busy but do not extend the header deadline.
        assert_eq!(at(16_000, 15_900, 6_000, 0), Verdict::SlowHeaders);
    }

    #[test]
    fn a_request_in_progress_is_never_idle() {
        assert_eq!(
            at(3_600_000, 0, NO_HEAD, 1),
            Verdict::KeepFor(DEADLINES.idle)
        );
    }

    #[tokio::test]
    async fn reads_start_the_header_clock_and_a_request_stops_it() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let activity = Activity::new();
        let (client, server) = tokio::io::duplex(64);
        let mut watched = Watched::new(server, activity.clone());
        let mut client = client;
        client.write_all(b"GET / HT").await.unwrap();
        let mut buf = [0u8; 8];
        watched.read_exact(&mut buf).await.unwrap();
        assert_ne!(activity.head_started_ms.load(Ordering::Acquire), NO_HEAD);
        let request = activity.request_started();
        assert_eq!(activity.head_started_ms.load(Ordering::Acquire), NO_HEAD);
        client.write_all(b"body").await.unwrap();
        let mut body = [0u8; 4];
        watched.read_exact(&mut body).await.unwrap();
        // Body bytes of a request in progress are not the next request's headers.
        assert_eq!(activity.head_started_ms.load(Ordering::Acquire), NO_HEAD);
        drop(request);
        assert_eq!(activity.in_flight.load(Ordering::Acquire), 0);
    }
}
