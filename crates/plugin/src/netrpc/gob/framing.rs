//! Cutting a gob byte stream into messages: each message is preceded by its length as a gob
//! unsigned integer. The length is checked against [`MAX_MESSAGE_BYTES`] before the caller
//! waits for (or buffers) that many bytes.

use super::primitives::decode_uint;
use super::{GobError, MAX_MESSAGE_BYTES};

/// Looks for one whole message at the start of `buffer`: `None` when more bytes are needed,
/// otherwise the message (without its length) and how many bytes of `buffer` it used.
pub(crate) fn take_message(buffer: &[u8]) -> Result<Option<(&[u8], usize)>, GobError> {
    let Some((length, prefix)) = decode_uint(buffer)? else {
        return Ok(None);
    };
    let length = usize::try_from(length)
        .ok()
        .filter(|length| *length <= MAX_MESSAGE_BYTES)
        .ok_or(GobError::MessageTooLong(length))?;
    if length == 0 {
        return Err(GobError::Malformed("an empty message".to_string()));
    }
    Ok(buffer
        .get(prefix..prefix + length)
        .map(|message| (message, prefix + length)))
}
