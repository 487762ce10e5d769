//! `GET /v1/audit`: the audit log, newest first, a page at a time.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;

use super::AuditQuery;
use crate::backend::ApiBackend;
use crate::error::ApiError;
use crate::list_query::parse_index;
use crate::query::{first_value, query_pairs};
use crate::render::{Format, with_total_count};
use crate::state::SharedState;

/// Entries returned when `_end` is not given.
pub(crate) const DEFAULT_AUDIT_PAGE: usize = 100;

/// Most entries one request may ask for.
pub(crate) const MAX_AUDIT_PAGE: usize = 1_000;

/// Answers the entries matching the `actor`, `action` and `target` filters (exact matches),
/// newest first, from `_start` (default 0) to `_end` excluded (default `_start` + 100), with
/// `X-Total-Count` = how many entries match.
pub(crate) async fn list_audit<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
    uri: Uri,
) -> Result<Response, ApiError> {
    let query = parse_query(&query_pairs(&uri)).map_err(ApiError::BadRequest)?;
    let (entries, total) = state.backend.audit_page(query).await?;
    let response = format.json(StatusCode::OK, &entries)?;
    Ok(with_total_count(response, total))
}

/// Reads the filters and the page bounds; a bad value is refused with a message naming it.
fn parse_query(pairs: &[(String, String)]) -> Result<AuditQuery, String> {
    let start = parse_index(pairs, "_start")?.unwrap_or(0);
    let end = parse_index(pairs, "_end")?.unwrap_or(start.saturating_add(DEFAULT_AUDIT_PAGE));
    if end < start {
        return Err(format!(
            "invalid _end {end}: must not be smaller than _start {start}"
        ));
    }
    if end - start > MAX_AUDIT_PAGE {
        return Err(format!(
            "invalid page _start={start} _end={end}: at most {MAX_AUDIT_PAGE} entries per request"
        ));
    }
    let filter = |key: &str| {
        first_value(pairs, key)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    Ok(AuditQuery {
        actor: filter("actor"),
        action: filter("action"),
        target: filter("target"),
        start,
        limit: end - start,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
        query
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn pages_default_to_the_newest_hundred_and_filters_to_none() {
        let query = parse_query(&[]).unwrap();
        assert_eq!(
            query,
            AuditQuery {
                limit: DEFAULT_AUDIT_PAGE,
                ..AuditQuery::default()
            }
        );
        let query =
            parse_query(&pairs(&[("_start", "10"), ("_end", "15"), ("actor", "ci")])).unwrap();
        assert_eq!((query.start, query.limit), (10, 5));
        assert_eq!(query.actor.as_deref(), Some("ci"));
    }

    #[test]
    fn bad_pages_are_refused_with_the_parameter_named() {
        let error = parse_query(&pairs(&[("_start", "5"), ("_end", "2")])).unwrap_err();
        assert!(error.contains("_end"), "{error}");
        let error = parse_query(&pairs(&[("_end", "5000")])).unwrap_err();
        assert!(error.contains("at most 1000"), "{error}");
        let error = parse_query(&pairs(&[("_start", "-1")])).unwrap_err();
        assert!(error.contains("_start"), "{error}");
    }
}
