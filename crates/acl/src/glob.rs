//! Path globs as policies write them.
//!
//! A glob is matched against the request path (without query string or trailing slash),
//! character by character:
//!
//! - `**` matches any run of characters, `/` included, possibly empty;
//! - `*` matches any run of characters other than `/`, possibly empty;
//! - every other character matches itself.
//!
//! So `/v1/jobs/*` matches `/v1/jobs/backup` but not `/v1/jobs/backup/run` or `/v1/jobs`;
//! `/v1/jobs/*/executions*` matches `/v1/jobs/a/executions` and
//! `/v1/jobs/a/executions-old`; `/v1/**` matches everything under `/v1/` but not `/v1`
//! itself, which is why Pro's examples grant `/v1` separately.

use std::fmt;

use crate::error::PolicyError;

/// One piece of a glob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// A character that matches itself.
    Literal(char),
    /// `*`: any run without `/`.
    Star,
    /// `**`: any run.
    DoubleStar,
}

/// A parsed path glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathGlob {
    text: String,
    pieces: Vec<Piece>,
}

impl PathGlob {
    /// Parses a glob; it must start with `/`.
    pub fn parse(text: &str) -> Result<PathGlob, PolicyError> {
        if !text.starts_with('/') {
            return Err(PolicyError::BadGlob {
                glob: text.to_owned(),
                reason: "a path glob starts with /",
            });
        }
        let mut pieces = Vec::with_capacity(text.len());
        let mut characters = text.chars().peekable();
        while let Some(character) = characters.next() {
            if character != '*' {
                pieces.push(Piece::Literal(character));
                continue;
            }
            let mut stars = 1;
            while characters.next_if_eq(&'*').is_some() {
                stars += 1;
            }
            // Three or more stars in a row mean the same as two.
            pieces.push(if stars == 1 {
                Piece::Star
            } else {
                Piece::DoubleStar
            });
        }
        Ok(PathGlob {
            text: text.to_owned(),
            pieces,
        })
    }

    /// Returns the glob as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Returns true when `path` matches the whole glob.
    pub fn matches(&self, path: &str) -> bool {
        let path: Vec<char> = path.chars().collect();
        // reachable[i]: the pieces seen so far can match exactly the first i characters.
        let mut reachable = vec![false; path.len() + 1];
        reachable[0] = true;
        for piece in &self.pieces {
            let mut next = vec![false; path.len() + 1];
            match piece {
                Piece::Literal(expected) => {
                    for index in 0..path.len() {
                        next[index + 1] = reachable[index] && path[index] == *expected;
                    }
                }
                Piece::Star | Piece::DoubleStar => {
                    let crosses_slashes = *piece == Piece::DoubleStar;
                    for index in 0..=path.len() {
                        let extends = index > 0
                            && next[index - 1]
                            && (crosses_slashes || path[index - 1] != '/');
                        next[index] = reachable[index] || extends;
                    }
                }
            }
            reachable = next;
        }
        reachable[path.len()]
    }
}

impl fmt::Display for PathGlob {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn glob(text: &str) -> PathGlob {
        PathGlob::parse(text).unwrap()
    }

    #[test]
    fn one_star_stays_within_a_segment() {
        let jobs = glob("/v1/jobs/*");
        assert!(jobs.matches("/v1/jobs/backup"));
        assert!(jobs.matches("/v1/jobs/"));
        assert!(!jobs.matches("/v1/jobs"));
        assert!(!jobs.matches("/v1/jobs/backup/run"));
        let executions = glob("/v1/jobs/*/executions*");
        assert!(executions.matches("/v1/jobs/a/executions"));
        assert!(executions.matches("/v1/jobs/a/executions-old"));
        assert!(!executions.matches("/v1/jobs/a/executions/1"));
    }

    #[test]
    fn two_stars_cross_segments_but_need_the_prefix() {
        let all = glob("/v1/**");
        assert!(all.matches("/v1/jobs"));
        assert!(all.matches("/v1/jobs/a/executions/1"));
        assert!(!all.matches("/v1"));
        assert!(!all.matches("/v2/jobs"));
        assert_eq!(
            glob("/v1/***"),
            PathGlob {
                text: "/v1/***".into(),
                ..all
            }
        );
    }

    #[test]
    fn globs_must_be_absolute() {
        let error = PathGlob::parse("v1/jobs").unwrap_err();
        assert_eq!(
            error.to_string(),
            "bad path glob \"v1/jobs\": a path glob starts with /"
        );
    }

    /// The same glob as a regular expression, written independently of the matcher.
    fn as_regex(text: &str) -> regex::Regex {
        let mut pattern = String::from("^");
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("**") {
                pattern.push_str(".*");
                rest = after.trim_start_matches('*');
            } else if let Some(after) = rest.strip_prefix('*') {
                pattern.push_str("[^/]*");
                rest = after;
            } else {
                let character = rest.chars().next().unwrap();
                pattern.push_str(&regex::escape(&character.to_string()));
                rest = &rest[character.len_utf8()..];
            }
        }
        pattern.push('$');
        regex::Regex::new(&pattern).unwrap()
    }

    proptest! {
        #[test]
        fn matching_agrees_with_the_regular_expression(
            glob_text in "/[ab/*]{0,8}",
            path in "/[ab/]{0,10}",
        ) {
            let parsed = PathGlob::parse(&glob_text).unwrap();
            prop_assert_eq!(parsed.matches(&path), as_regex(&glob_text).is_match(&path));
        }

        #[test]
        fn a_glob_without_stars_matches_only_itself(
            literal in "/[a-z/.-]{0,12}",
            path in "/[a-z/.-]{0,12}",
        ) {
            let parsed = PathGlob::parse(&literal).unwrap();
            prop_assert!(parsed.matches(&literal));
            prop_assert_eq!(parsed.matches(&path), path == literal);
        }

        #[test]
        fn one_star_never_matches_a_slash(prefix in "/[a-z]{0,5}", segment in "[a-z/]{0,8}") {
            let parsed = PathGlob::parse(&format!("{prefix}*")).unwrap();
            let path = format!("{prefix}{segment}");
            prop_assert_eq!(parsed.matches(&path), !segment.contains('/'));
        }
    }
}
