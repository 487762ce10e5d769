//! The output sink every executor writes to: a live stream plus a capped tail.

use bytes::Bytes;
use tokio::sync::mpsc::UnboundedSender;

use crate::byte_tail::ByteTail;
use crate::live::LiveStream;

/// Collects an executor's output: forwards every chunk to the live stream (bounded by what
/// its readers hold, see [`dkron_model::limits::MAX_LIVE_OUTPUT_BYTES_QUEUED`]) and keeps
/// only the last `cap` bytes for storage.
#[derive(Debug)]
pub struct OutputSink {
    tail: ByteTail,
    cap: usize,
    dropped_bytes: bool,
    live: Option<LiveStream>,
}

impl OutputSink {
    /// Returns a sink keeping at most `cap` bytes and forwarding chunks to `live` if given.
    pub fn new(cap: usize, live: Option<UnboundedSender<Bytes>>) -> Self {
        OutputSink {
            tail: ByteTail::new(cap),
            cap,
            dropped_bytes: false,
            live: live.map(LiveStream::new),
        }
    }

    /// Appends a chunk: sends it to the live stream, then keeps it within the cap.
    pub fn write(&mut self, chunk: &[u8]) {
        if chunk.is_empty() {
            return;
        }
        if let Some(live) = &mut self.live
            && !live.write(chunk)
        {
            // The listener went away; the run goes on and the stored output is still kept.
            self.live = None;
        }
        if self.tail.push(chunk) > 0 {
            self.dropped_bytes = true;
        }
    }

    /// Replaces everything kept with `output` (its tail, within the cap); the live stream is
    /// not touched. For executors whose final reply, not what they streamed, is the output to
    /// store, as Dkron stores a plugin's reply.
    pub fn replace_kept(&mut self, output: &[u8]) {
        self.tail.take();
        self.dropped_bytes = self.tail.push(output) > 0;
    }

    /// Appends `line` followed by a newline.
    pub fn write_line(&mut self, line: &str) {
        let mut text = String::with_capacity(line.len() + 1);
        text.push_str(line);
        text.push('\n');
        self.write(text.as_bytes());
    }

    /// Returns the cap in bytes.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Returns the number of bytes currently kept.
    pub fn kept_len(&self) -> usize {
        self.tail.len()
    }

    /// Returns true when bytes have been dropped to respect the cap.
    pub fn truncated(&self) -> bool {
        self.dropped_bytes
    }

    /// Returns a copy of the kept tail as text (lossy UTF-8).
    pub fn kept_text(&self) -> String {
        tail_to_text(&self.tail.to_vec(), self.dropped_bytes)
    }

    /// Builds the stored output: `error_line` (if any) first, then as much of the tail as fits,
    /// the whole staying within the cap. Returns the text and whether anything was dropped.
    pub(crate) fn finish(mut self, error_line: Option<&str>) -> (String, bool) {
        if let Some(live) = self.live.take() {
            live.close();
        }
        let cap = self.cap;
        let mut tail = self.tail.take();
        let mut dropped = self.dropped_bytes;
        let mut prefix = String::new();
        if let Some(line) = error_line {
            prefix.push_str(line);
            prefix.push('\n');
            if prefix.len() > cap {
                prefix.truncate(floor_char_boundary(&prefix, cap));
                dropped = true;
            }
        }
        let room = cap - prefix.len();
        if tail.len() > room {
            tail.drain(..tail.len() - room);
            dropped = true;
        }
        let tail_text = tail_to_text(&tail, dropped);
        // Lossy conversion turns one invalid byte into three; trim from the front of the tail
        // again so the stored text still fits the cap.
        let over = (prefix.len() + tail_text.len()).saturating_sub(cap);
        if over > 0 {
            dropped = true;
            let cut = ceil_char_boundary(&tail_text, over);
            prefix.push_str(&tail_text[cut..]);
        } else {
            prefix.push_str(&tail_text);
        }
        (prefix, dropped)
    }
}

/// Converts a kept tail to text; when the front was cut, skips the continuation bytes of a
/// character whose first bytes were dropped so the text does not start with U+FFFD.
fn tail_to_text(tail: &[u8], front_was_cut: bool) -> String {
    let mut start = 0;
    if front_was_cut {
        while start < tail.len().min(3) && is_utf8_continuation(tail[start]) {
            start += 1;
        }
    }
    String::from_utf8_lossy(&tail[start..]).into_owned()
}

fn is_utf8_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut boundary = index.min(text.len());
    while !text.is_char_boundary(boundary) {
        boundary -= 1;
    }
    boundary
}

fn ceil_char_boundary(text: &str, index: usize) -> usize {
    let mut boundary = index.min(text.len());
    while !text.is_char_boundary(boundary) {
        boundary += 1;
    }
    boundary
}

#[cfg(test)]
mod tests {
    use super::OutputSink;

    #[test]
    fn keeps_the_tail_and_reports_truncation() {
        let mut sink = OutputSink::new(5, None);
        sink.write(b"abc");
        assert!(!sink.truncated());
        sink.write(b"defg");
        assert!(sink.truncated());
        assert_eq!(sink.finish(None), ("cdefg".to_string(), true));
    }

    #[tokio::test]
    async fn replacing_the_kept_output_leaves_what_streamed_live() {
        let (live, mut received) = tokio::sync::mpsc::unbounded_channel();
        let mut sink = OutputSink::new(5, Some(live));
        sink.write(b"streamed");
        sink.replace_kept(b"ok");
        assert!(!sink.truncated());
        assert_eq!(sink.kept_text(), "ok");
        assert_eq!(sink.finish(None), ("ok".to_string(), false));
        assert_eq!(received.recv().await.as_deref(), Some(&b"streamed"[..]));
        let mut sink = OutputSink::new(3, None);
        sink.replace_kept(b"reply");
        assert_eq!(sink.finish(None), ("ply".to_string(), true));
    }

    #[test]
    fn a_chunk_larger_than_the_cap_keeps_its_end() {
        let mut sink = OutputSink::new(4, None);
        sink.write(b"0123456789");
        assert_eq!(sink.kept_len(), 4);
        assert_eq!(sink.finish(None), ("6789".to_string(), true));
    }

    #[test]
    fn error_line_comes_first_and_everything_fits_the_cap() {
        let mut sink = OutputSink::new(12, None);
        sink.write(b"0123456789");
        let (text, truncated) = sink.finish(Some("exit 1"));
        assert_eq!(text, "exit 1\n56789");
        assert!(truncated);
        assert!(text.len() <= 12);
    }

    #[test]
    fn never_starts_with_half_a_character() {
        let mut sink = OutputSink::new(4, None);
        // "é" is two bytes; keeping 4 of "aé€" (1 + 2 + 3 bytes) cuts into "é".
        sink.write("aé€".as_bytes());
        let (text, truncated) = sink.finish(None);
        assert!(truncated);
        assert_eq!(text, "€");
    }

    #[test]
    fn invalid_utf8_is_replaced_not_rejected() {
        let mut sink = OutputSink::new(100, None);
        sink.write(&[b'o', b'k', 0xff, b'!']);
        assert_eq!(sink.finish(None).0, "ok\u{fffd}!");
    }

    #[test]
    fn replacement_characters_do_not_break_the_cap() {
        let mut sink = OutputSink::new(4, None);
        sink.write(&[0xff, 0xff, 0xff, b'!']);
        let (text, truncated) = sink.finish(None);
        assert!(text.len() <= 4, "{text:?}");
        assert!(text.ends_with('!'));
        assert!(truncated);
    }

    #[test]
    fn live_chunks_are_forwarded_untouched() {
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
        let mut sink = OutputSink::new(2, Some(sender));
        sink.write(b"hello");
        sink.write_line("x");
        assert_eq!(&receiver.try_recv().unwrap()[..], b"hello");
        assert_eq!(&receiver.try_recv().unwrap()[..], b"x\n");
    }

    #[test]
    fn a_cap_smaller_than_the_error_line_still_holds() {
        let sink = OutputSink::new(3, None);
        let (text, truncated) = sink.finish(Some("exit status 1"));
        assert_eq!(text, "exi");
        assert!(truncated);
    }
}
