//! The last bytes of a stream, up to a fixed size.

use std::collections::VecDeque;

/// Keeps the last `cap` bytes pushed into it; each push costs the bytes it moves.
#[derive(Debug)]
pub(crate) struct ByteTail {
    bytes: VecDeque<u8>,
    cap: usize,
}

impl ByteTail {
    /// Returns an empty tail keeping at most `cap` bytes.
    pub(crate) fn new(cap: usize) -> Self {
        ByteTail {
            bytes: VecDeque::new(),
            cap,
        }
    }

    /// Appends `chunk` and drops the oldest bytes beyond the cap; returns how many it dropped.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> usize {
        if chunk.len() >= self.cap {
            let dropped = self.bytes.len() + chunk.len() - self.cap;
            self.bytes.clear();
            self.bytes.extend(&chunk[chunk.len() - self.cap..]);
            return dropped;
        }
        self.bytes.extend(chunk);
        let excess = self.bytes.len().saturating_sub(self.cap);
        self.bytes.drain(..excess);
        excess
    }

    /// Returns the number of bytes kept.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Returns true when nothing is kept.
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Returns a copy of the kept bytes.
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        self.bytes.iter().copied().collect()
    }

    /// Returns the kept bytes and leaves the tail empty.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes).into()
    }
}

#[cfg(test)]
mod tests {
    use super::ByteTail;

    #[test]
    fn keeps_the_last_bytes_and_counts_the_dropped_ones() {
        let mut tail = ByteTail::new(4);
        assert_eq!(tail.push(b"abc"), 0);
        assert_eq!(tail.push(b"de"), 1);
        assert_eq!(tail.to_vec(), b"bcde");
        assert_eq!(tail.push(b"0123456789"), 10);
        assert_eq!(tail.take(), b"6789");
        assert!(tail.is_empty());
        assert_eq!(tail.push(b"wxyz"), 0, "exactly the cap drops nothing");
    }
}
