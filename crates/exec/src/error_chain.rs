//! One line for an error and the errors behind it: client libraries' top-level texts
//! ("transport error", "all retries failed", "error sending request") say little alone.

use std::error::Error;

/// Returns `error` joined with its sources by `: `, each cause written once. Public for the
/// executors outside this crate (the plugin host's).
pub fn error_chain(error: &(dyn Error + 'static)) -> String {
    with_causes(error.to_string(), error.source())
}

/// Appends each cause from `first` on to `text`, skipping one the text already says: hyper
/// and tonic repeat "tcp connect error" at several levels.
pub fn with_causes(mut text: String, first: Option<&(dyn Error + 'static)>) -> String {
    let mut source = first;
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str(self.0)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|inner| inner as _)
        }
    }

    #[test]
    fn error_chain_joins_causes_and_skips_repeats() {
        let error = Layer(
            "transport error",
            Some(Box::new(Layer(
                "tcp connect error",
                Some(Box::new(Layer(
                    "tcp connect error",
                    Some(Box::new(Layer("Connection refused", None))),
                ))),
            ))),
        );
        assert_eq!(
            error_chain(&error),
            "transport error: tcp connect error: Connection refused"
        );
    }

    #[test]
    fn a_prefix_text_takes_the_causes_after_it() {
        let cause = Layer("Connection refused", None);
        assert_eq!(
            with_causes("tcp connect error".to_owned(), Some(&cause)),
            "tcp connect error: Connection refused"
        );
        assert_eq!(with_causes("alone".to_owned(), None), "alone");
    }
}
