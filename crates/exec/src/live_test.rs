use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::*;

const CHUNK_BYTES: usize = 16 * 1024;

/// Output where every position has its own predictable letter, so gaps can be located.
fn letters(from: usize, length: usize) -> Vec<u8> {
    (from..from + length)
        .map(|position| b'a' + (position % 26) as u8)
        .collect()
}

fn drain(receiver: &mut UnboundedReceiver<Bytes>) -> Vec<Bytes> {
    let mut chunks = Vec::new();
    while let Ok(chunk) = receiver.try_recv() {
        chunks.push(chunk);
    }
    chunks
}

fn concatenated(chunks: &[Bytes]) -> Vec<u8> {
    chunks.iter().flat_map(|chunk| chunk.to_vec()).collect()
}

/// Splits received output at its one skip notice: (before, skipped bytes, after).
fn split_at_notice(received: &[u8]) -> (Vec<u8>, usize, Vec<u8>) {
    let text = String::from_utf8(received.to_vec()).expect("letters and the notice are ASCII");
    let start = text
        .find("\n[dkron-rs: the live output skipped ")
        .expect("a notice");
    let notice_end = start + text[start..].find("]\n").expect("the notice ends") + 2;
    let skipped: usize = text[start..notice_end]
        .split_whitespace()
        .find_map(|word| word.parse().ok())
        .expect("the notice says how many bytes");
    assert_eq!(text.matches("[dkron-rs:").count(), 1, "one notice");
    let before = received[..start].to_vec();
    (before, skipped, received[notice_end..].to_vec())
}

#[test]
fn a_reader_that_keeps_up_gets_every_chunk_unchanged() {
    let (sender, mut receiver) = unbounded_channel();
    let mut live = LiveStream::new(sender);
    let total = 8 * MAX_LIVE_OUTPUT_BYTES_QUEUED;
    for start in (0..total).step_by(CHUNK_BYTES) {
        let chunk = letters(start, CHUNK_BYTES);
        assert!(live.write(&chunk));
        let received = drain(&mut receiver);
        assert_eq!(received.len(), 1);
        assert_eq!(received[0][..], chunk[..]);
        drop(received);
        assert_eq!(
            live.in_flight_bytes(),
            0,
            "dropped chunks give their bytes back"
        );
    }
    live.close();
    assert!(drain(&mut receiver).is_empty(), "nothing was held back");
}

#[test]
fn a_reader_that_never_reads_holds_at_most_the_bound() {
    let (sender, mut receiver) = unbounded_channel();
    let mut live = LiveStream::new(sender);
    let total = 32 * MAX_LIVE_OUTPUT_BYTES_QUEUED;
    let notice_allowance = skip_notice(total).len();
    for start in (0..total).step_by(CHUNK_BYTES) {
        assert!(live.write(&letters(start, CHUNK_BYTES)));
        assert!(live.in_flight_bytes() <= MAX_LIVE_OUTPUT_BYTES_QUEUED + notice_allowance);
        assert!(live.held_back.len() <= MAX_LIVE_OUTPUT_BYTES_QUEUED);
    }
    assert_eq!(live.in_flight_bytes(), MAX_LIVE_OUTPUT_BYTES_QUEUED);
    live.close();

    let received = concatenated(&drain(&mut receiver));
    let (before, skipped, after) = split_at_notice(&received);
    assert_eq!(
        before,
        letters(0, before.len()),
        "the start arrives unchanged"
    );
    assert_eq!(
        after.len(),
        MAX_LIVE_OUTPUT_BYTES_QUEUED,
        "the newest output arrives"
    );
    assert_eq!(after, letters(total - after.len(), after.len()));
    assert_eq!(before.len() + skipped + after.len(), total);
}

#[test]
fn a_reader_that_catches_up_gets_the_held_back_output_as_one_chunk() {
    let (sender, mut receiver) = unbounded_channel();
    let mut live = LiveStream::new(sender);
    let mut written = 0;
    while live.held_back.len() < MAX_LIVE_OUTPUT_BYTES_QUEUED {
        assert!(live.write(&letters(written, CHUNK_BYTES)));
        written += CHUNK_BYTES;
    }
    let held_by_reader = drain(&mut receiver);
    assert_eq!(
        concatenated(&held_by_reader),
        letters(0, MAX_LIVE_OUTPUT_BYTES_QUEUED)
    );

    drop(held_by_reader);
    assert!(live.write(&letters(written, 10)));
    let caught_up = drain(&mut receiver);
    assert_eq!(caught_up.len(), 1, "coalesced into one chunk");
    let (before, skipped, after) = split_at_notice(&caught_up[0]);
    assert!(before.is_empty());
    assert_eq!(skipped, written + 10 - 2 * MAX_LIVE_OUTPUT_BYTES_QUEUED);
    assert_eq!(after, letters(written + 10 - after.len(), after.len()));

    drop(caught_up);
    assert!(live.write(b"next"));
    assert_eq!(
        &drain(&mut receiver)[0][..],
        b"next",
        "then chunks flow as they come"
    );
}

#[test]
fn a_gone_receiver_ends_the_stream() {
    let (sender, receiver) = unbounded_channel();
    let mut live = LiveStream::new(sender);
    drop(receiver);
    assert!(!live.write(b"nobody listens"));
    assert_eq!(live.in_flight_bytes(), 0);
}
