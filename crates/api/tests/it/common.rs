//! Helpers: a router over a fresh in-memory backend and a one-shot request runner.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use dkron_api::testsuite::InMemoryBackend;
use dkron_api::{ApiOptions, router};
use dkron_model::Job;
use tower::ServiceExt;

/// The node name every test router answers with.
pub const NODE: &str = "node-a";

/// The getting-started job body from Dkron's docs.
pub const GETTING_STARTED: &str = r#"{"name":"job1","schedule":"@every 10s","timezone":"Europe/Berlin","owner":"Platform Team","owner_email":"platform@example.com","disabled":false,"tags":{"server":"true:1"},"metadata":{"user":"12345"},"concurrency":"allow","executor":"shell","executor_config":{"command":"date"}}"#;

/// A router and the backend behind it.
pub struct TestApi {
    pub router: Router,
    pub backend: Arc<InMemoryBackend>,
}

/// A buffered response.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// Returns a header as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Parses the body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| {
            panic!("body is not JSON ({error}): {}", self.body);
        })
    }

    /// Asserts the status and returns self, printing the body on mismatch.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        self
    }
}

/// Returns a router over an empty backend with default options.
pub fn api() -> TestApi {
    api_with(ApiOptions::new(NODE))
}

/// Returns a router over an empty backend with `options`.
pub fn api_with(options: ApiOptions) -> TestApi {
    let backend = Arc::new(InMemoryBackend::new(NODE));
    TestApi {
        router: router(backend.clone(), options),
        backend,
    }
}

/// Returns a plain job with a valid schedule.
pub fn job(name: &str) -> Job {
    Job {
        name: name.into(),
        schedule: "@every 1m".into(),
        executor: "shell".into(),
        ..Job::default()
    }
}

impl TestApi {
    /// Sends a request with a body.
    pub async fn call(&self, method: &str, uri: &str, body: impl Into<Body>) -> Reply {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(body.into())
            .unwrap();
        self.send(request).await
    }

    /// Sends a GET request.
    pub async fn get(&self, uri: &str) -> Reply {
        self.call("GET", uri, Body::empty()).await
    }

    /// Sends a prepared request.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    /// Creates a job through the API and asserts 201.
    pub async fn create(&self, job: &Job) -> Reply {
        let body = serde_json::to_string(job).unwrap();
        self.call("POST", "/v1/jobs", body).await.expect(201)
    }

    /// Returns the names of the stored jobs.
    pub fn stored_names(&self) -> Vec<String> {
        self.backend
            .jobs()
            .into_iter()
            .map(|job| job.name)
            .collect()
    }
}
