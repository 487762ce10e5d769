//! Splitting a command line into argv when `shell` is false.
//!
//! Dkron's splitter silently stops at the first unquoted `;`, `&`, `|`, `<` or `>` and drops
//! the rest of the line. We refuse such a line instead and tell the user to set `shell`.

use crate::ShellConfigError;

const SHELL_OPERATORS: [char; 5] = [';', '&', '|', '<', '>'];

/// Splits `command` like a POSIX shell would split words (quotes and backslashes respected, no
/// expansion), rejecting shell operators outside quotes.
pub(super) fn split_command(command: &str) -> Result<Vec<String>, ShellConfigError> {
    let prepared = escape_for_shlex(command)?;
    let words = shlex::split(&prepared).ok_or_else(|| ShellConfigError::Unsplittable {
        command: command.to_string(),
    })?;
    if words.is_empty() {
        return Err(ShellConfigError::CommandMissing);
    }
    Ok(words)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quoting {
    None,
    Single,
    Double,
}

/// Walks the line tracking quotes; fails on an unquoted operator, and escapes a `#` that starts
/// a word (shlex would read it as a comment, Dkron passes it on as text).
fn escape_for_shlex(command: &str) -> Result<String, ShellConfigError> {
    let mut prepared = String::with_capacity(command.len() + 4);
    let mut quoting = Quoting::None;
    let mut at_word_start = true;
    let mut chars = command.chars();
    while let Some(current) = chars.next() {
        match (quoting, current) {
            (Quoting::None, '\\') | (Quoting::Double, '\\') => {
                prepared.push(current);
                if let Some(escaped) = chars.next() {
                    prepared.push(escaped);
                }
                at_word_start = false;
                continue;
            }
            (Quoting::None, '\'') => quoting = Quoting::Single,
            (Quoting::None, '"') => quoting = Quoting::Double,
            (Quoting::Single, '\'') | (Quoting::Double, '"') => quoting = Quoting::None,
            (Quoting::None, operator) if SHELL_OPERATORS.contains(&operator) => {
                return Err(ShellConfigError::NeedsShell { operator });
            }
            (Quoting::None, '#') if at_word_start => prepared.push('\\'),
            _ => {}
        }
        prepared.push(current);
        at_word_start = quoting == Quoting::None && matches!(current, ' ' | '\t' | '\n');
    }
    Ok(prepared)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(command: &str) -> Vec<String> {
        split_command(command).unwrap()
    }

    #[test]
    fn splits_like_a_shell_without_expansion() {
        assert_eq!(words("echo hello   world"), ["echo", "hello", "world"]);
        assert_eq!(
            words(r#"echo "a b" 'c d' e\ f"#),
            ["echo", "a b", "c d", "e f"]
        );
        assert_eq!(words("echo $HOME"), ["echo", "$HOME"]);
        assert_eq!(
            words(r#"printf "%s\n" "say \"hi\"""#),
            ["printf", r"%s\n", r#"say "hi""#]
        );
    }

    #[test]
    fn operators_inside_quotes_are_text() {
        assert_eq!(
            words("echo 'a;b' \"c|d\" e\\&f"),
            ["echo", "a;b", "c|d", "e&f"]
        );
        assert_eq!(words("echo \"<x>\""), ["echo", "<x>"]);
    }

    #[test]
    fn unquoted_operators_need_the_shell() {
        for (command, operator) in [
            ("date && echo x", '&'),
            ("date; echo x", ';'),
            ("ls | wc -l", '|'),
            ("sort < file", '<'),
            ("echo x>file", '>'),
        ] {
            assert_eq!(
                split_command(command),
                Err(ShellConfigError::NeedsShell { operator }),
                "{command}"
            );
        }
    }

    #[test]
    fn a_hash_is_text_not_a_comment() {
        assert_eq!(words("echo #1 a#b"), ["echo", "#1", "a#b"]);
        assert_eq!(words("echo '#x'"), ["echo", "#x"]);
    }

    #[test]
    fn unbalanced_quotes_are_rejected() {
        assert!(matches!(
            split_command("echo 'oops"),
            Err(ShellConfigError::Unsplittable { .. })
        ));
        assert!(matches!(
            split_command("echo \"oops"),
            Err(ShellConfigError::Unsplittable { .. })
        ));
    }

    #[test]
    fn blank_command_is_missing() {
        assert_eq!(split_command("   "), Err(ShellConfigError::CommandMissing));
    }
}
