//! Go's `strconv.ParseBool`, which Dkron uses for boolean executor keys.

/// Returns the boolean Go's `strconv.ParseBool` reads from `text`, or `None` when Go would fail.
pub(crate) fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_go_bool;

    #[test]
    fn accepts_exactly_gos_spellings() {
        for text in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_go_bool(text), Some(true), "{text}");
        }
        for text in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_go_bool(text), Some(false), "{text}");
        }
        for text in ["", "yes", "tRUE", " true", "on", "2"] {
            assert_eq!(parse_go_bool(text), None, "{text}");
        }
    }
}
