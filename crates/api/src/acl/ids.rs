//! Random accessor ids and secrets, in the UUID-like form Dkron Pro prints.

use crate::error::ApiError;

/// Returns 128 random bits from the operating system as `8-4-4-4-12` hex groups.
pub(crate) fn random_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| {
        ApiError::Render(format!("the system has no randomness for a token: {error}"))
    })?;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid_shaped_and_differ() {
        let first = random_id().unwrap();
        assert_eq!(first.len(), 36);
        assert_eq!(first.matches('-').count(), 4);
        assert_ne!(first, random_id().unwrap());
    }
}
