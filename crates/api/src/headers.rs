//! Names of the response headers the API adds beside the standard ones.

use axum::http::HeaderName;

/// The response header naming the node that answered.
pub(crate) const X_WHOM: HeaderName = HeaderName::from_static("x-whom");
/// The response header with the number of items of a list before paging.
pub(crate) const X_TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");
