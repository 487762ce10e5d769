//! Reading a plugin's output a line at a time without trusting it: a line is cut at a bound,
//! so a plugin that never prints a newline cannot make the node hold its whole output.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// The longest line kept from a plugin's standard streams; the rest of a longer line is
/// dropped (and the kept part ends with `…`).
pub(crate) const MAX_LINE_BYTES: usize = 16 * 1024;

/// Reads the next line (without its newline), keeping at most `max` bytes of it. `None` at the
/// end of the stream or on a read error.
pub(crate) async fn next_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> Option<String> {
    let mut kept: Vec<u8> = Vec::new();
    let mut cut = false;
    loop {
        let available = match reader.fill_buf().await {
            Ok(bytes) => bytes,
            Err(_) => return None,
        };
        if available.is_empty() {
            return (!kept.is_empty() || cut).then(|| finish(kept, cut));
        }
        let (chunk, ended) = match available.iter().position(|byte| *byte == b'\n') {
            Some(newline) => (&available[..newline], Some(newline + 1)),
            None => (available, None),
        };
        let room = max.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
        cut |= chunk.len() > room;
        let used = ended.unwrap_or(available.len());
        reader.consume(used);
        if ended.is_some() {
            return Some(finish(kept, cut));
        }
    }
}

fn finish(kept: Vec<u8>, cut: bool) -> String {
    let mut line = String::from_utf8_lossy(&kept).into_owned();
    if line.ends_with('\r') {
        line.pop();
    }
    if cut {
        line.push('…');
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_split_and_long_ones_cut() {
        let input = format!("one\r\ntwo\n{}\nlast", "x".repeat(100));
        let mut reader = tokio::io::BufReader::with_capacity(7, input.as_bytes());
        let mut lines = Vec::new();
        while let Some(line) = next_line(&mut reader, 10).await {
            lines.push(line);
        }
        assert_eq!(lines, vec!["one", "two", "xxxxxxxxxx…", "last"]);
    }
}
