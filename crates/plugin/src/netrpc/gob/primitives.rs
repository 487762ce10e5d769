//! Gob's integer, float and byte-string encodings: an unsigned integer below 128 is one byte;
//! a larger one is its big-endian bytes (no leading zeros) after a byte holding the negated
//! byte count. A signed integer is sent as an unsigned one whose low bit says "complement".

use super::GobError;

/// A cursor over one gob message that never reads past its end.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads `bytes` from the start.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    /// How many bytes are left.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len()
    }

    /// Reads one unsigned integer.
    pub(crate) fn read_uint(&mut self) -> Result<u64, GobError> {
        let (value, used) = decode_uint(self.bytes)?.ok_or(GobError::Truncated)?;
        self.bytes = &self.bytes[used..];
        Ok(value)
    }

    /// Reads one signed integer.
    pub(crate) fn read_int(&mut self) -> Result<i64, GobError> {
        Ok(int_from_wire(self.read_uint()?))
    }

    /// Reads a float: its IEEE bits, byte-reversed so that small exponents encode short.
    pub(crate) fn read_float(&mut self) -> Result<f64, GobError> {
        Ok(f64::from_bits(self.read_uint()?.swap_bytes()))
    }

    /// Reads a count that is about to be used to read `count` items of at least
    /// `min_item_bytes` bytes each, refusing one the rest of the message cannot hold.
    pub(crate) fn read_count(
        &mut self,
        what: &'static str,
        min_item_bytes: usize,
    ) -> Result<usize, GobError> {
        let count = self.read_uint()?;
        let remaining = self.remaining();
        let fits = usize::try_from(count)
            .ok()
            .and_then(|count| count.checked_mul(min_item_bytes.max(1)))
            .is_some_and(|needed| needed <= remaining);
        if !fits {
            return Err(GobError::CountTooLarge {
                what,
                count,
                remaining,
            });
        }
        usize::try_from(count).map_err(|_| GobError::CountTooLarge {
            what,
            count,
            remaining,
        })
    }

    /// Reads a length-prefixed byte string.
    pub(crate) fn read_bytes(&mut self) -> Result<&'a [u8], GobError> {
        let length = self.read_count("byte length", 1)?;
        let (taken, rest) = self.bytes.split_at(length);
        self.bytes = rest;
        Ok(taken)
    }

    /// Reads a length-prefixed string; bytes that are not UTF-8 are replaced, as Go strings
    /// need not be UTF-8 but ours must.
    pub(crate) fn read_string(&mut self) -> Result<String, GobError> {
        Ok(String::from_utf8_lossy(self.read_bytes()?).into_owned())
    }
}

/// Decodes an unsigned integer at the start of `bytes`: `None` when more bytes are needed,
/// otherwise the value and how many bytes it took.
pub(crate) fn decode_uint(bytes: &[u8]) -> Result<Option<(u64, usize)>, GobError> {
    let Some(&first) = bytes.first() else {
        return Ok(None);
    };
    if first < 0x80 {
        return Ok(Some((u64::from(first), 1)));
    }
    let width = usize::from(first.wrapping_neg());
    if width == 0 || width > 8 {
        return Err(GobError::BadInteger(width));
    }
    let Some(digits) = bytes.get(1..=width) else {
        return Ok(None);
    };
    let value = digits
        .iter()
        .fold(0u64, |value, digit| (value << 8) | u64::from(*digit));
    Ok(Some((value, width + 1)))
}

/// Appends an unsigned integer.
pub(crate) fn put_uint(out: &mut Vec<u8>, value: u64) {
    if value < 0x80 {
        out.push(value as u8);
        return;
    }
    let digits = value.to_be_bytes();
    let skip = digits.iter().take_while(|digit| **digit == 0).count();
    let width = digits.len() - skip;
    out.push((width as u8).wrapping_neg());
    out.extend_from_slice(&digits[skip..]);
}

/// Appends a signed integer.
pub(crate) fn put_int(out: &mut Vec<u8>, value: i64) {
    put_uint(out, int_to_wire(value));
}

/// Appends a float.
pub(crate) fn put_float(out: &mut Vec<u8>, value: f64) {
    put_uint(out, value.to_bits().swap_bytes());
}

/// Appends a length-prefixed byte string.
pub(crate) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_uint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn int_to_wire(value: i64) -> u64 {
    if value < 0 {
        ((!value as u64) << 1) | 1
    } else {
        (value as u64) << 1
    }
}

fn int_from_wire(wire: u64) -> i64 {
    let magnitude = (wire >> 1) as i64;
    if wire & 1 == 1 { !magnitude } else { magnitude }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn integers_match_gobs_documented_examples() {
        let mut out = Vec::new();
        put_uint(&mut out, 7);
        put_uint(&mut out, 256);
        put_int(&mut out, -65);
        put_int(&mut out, 3);
        assert_eq!(out, [0x07, 0xfe, 0x01, 0x00, 0xff, 0x81, 0x06]);
    }

    #[test]
    fn a_nine_byte_integer_is_refused() {
        assert_eq!(
            decode_uint(&[0xf7, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
            Err(GobError::BadInteger(9))
        );
        assert_eq!(decode_uint(&[0x80]), Err(GobError::BadInteger(128)));
    }

    #[test]
    fn a_byte_length_past_the_message_is_refused_before_reading() {
        let mut out = Vec::new();
        put_uint(&mut out, 1 << 62);
        out.extend_from_slice(b"abc");
        let error = Reader::new(&out)
            .read_bytes()
            .expect_err("length past the end");
        assert!(matches!(error, GobError::CountTooLarge { count, .. } if count == 1 << 62));
    }

    proptest! {
        #[test]
        fn integers_round_trip(unsigned: u64, signed: i64, float: f64) {
            let mut out = Vec::new();
            put_uint(&mut out, unsigned);
            put_int(&mut out, signed);
            put_float(&mut out, float);
            let mut reader = Reader::new(&out);
            prop_assert_eq!(reader.read_uint().unwrap(), unsigned);
            prop_assert_eq!(reader.read_int().unwrap(), signed);
            prop_assert_eq!(reader.read_float().unwrap().to_bits(), float.to_bits());
            prop_assert_eq!(reader.remaining(), 0);
        }
    }
}
