//! The part of Go's `encoding/gob` that go-plugin's net/rpc calls use: unsigned and signed
//! integers, bools, floats, strings, `[]byte`, structs, maps and slices, with the type
//! definitions a gob stream sends before the first value of each type.
//!
//! A gob stream is stateful: each direction has its own type table, so each stream direction
//! gets one [`Encoder`] or one [`Decoder`] for its whole life. Everything here is pure (no
//! I/O): bytes in, values or errors out. The peer is another process, so every length, count,
//! id and nesting level it sends is checked against a bound before anything is allocated.

mod decoder;
mod encoder;
mod framing;
mod primitives;
mod value;
mod wire_type;

pub(crate) use decoder::Decoder;
pub(crate) use encoder::Encoder;
pub(crate) use framing::take_message;
#[cfg(test)]
pub(crate) use primitives::put_uint;
pub(crate) use value::{GobType, GobValue, StructType};

/// The longest gob message accepted. A processor's output is at most a few hundred kilobytes
/// and everything else in a call is small, so 16 MiB leaves room without letting a plugin make
/// the node buffer without end.
pub(crate) const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// How deeply values may nest (a struct in a struct…); Dkron's calls need three levels.
pub(crate) const MAX_DEPTH: usize = 16;

/// How many values (each field, element, key) one message may decode to: each takes a few
/// dozen bytes in memory, so this bounds a message's memory, not only its byte count.
pub(crate) const MAX_VALUES_PER_MESSAGE: usize = 200_000;

/// How many type definitions one stream may hold (a call sends a handful).
pub(crate) const MAX_TYPES: usize = 1024;

/// Why gob bytes could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum GobError {
    /// The bytes end in the middle of something.
    #[error("gob message truncated")]
    Truncated,
    /// A length or count is larger than what is left of the message.
    #[error("gob {what} of {count} exceeds the {remaining} bytes left in the message")]
    CountTooLarge {
        /// What was counted.
        what: &'static str,
        /// The count sent.
        count: u64,
        /// What was left.
        remaining: usize,
    },
    /// A message longer than [`MAX_MESSAGE_BYTES`].
    #[error("gob message of {0} bytes exceeds the limit of {MAX_MESSAGE_BYTES}")]
    MessageTooLong(u64),
    /// An integer encoded with more than eight bytes.
    #[error("gob integer with a {0}-byte encoding")]
    BadInteger(usize),
    /// Values nest deeper than [`MAX_DEPTH`].
    #[error("gob value nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A message decodes to more than [`MAX_VALUES_PER_MESSAGE`] values.
    #[error("gob message holds more than {MAX_VALUES_PER_MESSAGE} values")]
    TooManyValues,
    /// A type id the stream never defined.
    #[error("gob type id {0} was never defined")]
    UnknownType(i64),
    /// A type this subset does not read (interfaces, complex numbers, GobEncoder types…).
    #[error("gob type {0} is not supported")]
    Unsupported(String),
    /// A malformed type definition or value.
    #[error("malformed gob: {0}")]
    Malformed(String),
    /// A value does not have the type it is encoded or read as.
    #[error("gob value does not match its type: {0}")]
    Mismatch(String),
}

#[cfg(test)]
mod tests;
