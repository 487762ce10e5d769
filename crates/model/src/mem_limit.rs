//! The shell executor's `mem_limit` syntax: bytes, or a number with a 1024-based unit.

/// Why a memory limit was rejected; messages follow Dkron's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemLimitError {
    /// Zero or negative.
    #[error("memory limit must be greater than 0")]
    NotPositive,
    /// Not a number followed by an optional unit.
    #[error("invalid memory limit format: {0}")]
    Format(String),
    /// The numeric part does not parse.
    #[error("invalid numeric value in memory limit: {0}")]
    Number(String),
    /// The unit is not one of B, KB, MB, GB, TB.
    #[error("unsupported memory unit: {0} (supported: B, KB, MB, GB, TB)")]
    Unit(String),
    /// Does not fit in 64 bits.
    #[error("memory limit too large or causes overflow")]
    Overflow,
}

/// Parses `1048576`, `512m`, `1.5GB`, `100 KB` … into bytes (1024-based units).
pub fn parse_mem_limit(input: &str) -> Result<u64, MemLimitError> {
    let text = input.trim().to_uppercase();
    if let Ok(bytes) = text.parse::<i128>() {
        return match bytes {
            ..=0 => Err(MemLimitError::NotPositive),
            1..=0xFFFF_FFFF_FFFF_FFFF => Ok(bytes as u64),
            _ => Err(MemLimitError::Overflow),
        };
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .unwrap_or(text.len());
    let (number_text, unit_text) = (&text[..split], text[split..].trim());
    if number_text.is_empty() {
        return Err(MemLimitError::Format(text.clone()));
    }
    let number: f64 = number_text
        .parse()
        .map_err(|_| MemLimitError::Number(number_text.to_string()))?;
    let scale: f64 = match unit_text {
        "" | "B" | "BYTES" => 1.0,
        "K" | "KB" => 1024.0,
        "M" | "MB" => 1024.0 * 1024.0,
        "G" | "GB" => 1024.0 * 1024.0 * 1024.0,
        "T" | "TB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => return Err(MemLimitError::Unit(other.to_string())),
    };
    let bytes = number * scale;
    if bytes <= 0.0 {
        return Err(MemLimitError::NotPositive);
    }
    if bytes >= u64::MAX as f64 {
        return Err(MemLimitError::Overflow);
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_mem_limit("1048576"), Ok(1048576));
        assert_eq!(parse_mem_limit("512m"), Ok(512 * 1024 * 1024));
        assert_eq!(parse_mem_limit("1.5GB"), Ok(1536 * 1024 * 1024));
        assert_eq!(parse_mem_limit("100 KB"), Ok(102400));
    }

    #[test]
    fn rejects_bad_limits_with_dkron_messages() {
        assert_eq!(parse_mem_limit("0"), Err(MemLimitError::NotPositive));
        assert_eq!(
            parse_mem_limit("10XB").unwrap_err().to_string(),
            "unsupported memory unit: XB (supported: B, KB, MB, GB, TB)"
        );
        assert_eq!(
            parse_mem_limit("mb").unwrap_err().to_string(),
            "invalid memory limit format: MB"
        );
        assert_eq!(
            parse_mem_limit("99999999999TB"),
            Err(MemLimitError::Overflow)
        );
    }
}
