//! The OpenAPI document: it parses, it covers the router exactly, and it is served.

use std::collections::BTreeSet;

use dkron_api::testsuite::InMemoryBackend;
use dkron_api::{OPENAPI_YAML, route_table};

use crate::common::api;

const OPERATIONS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn document() -> serde_json::Value {
    serde_yaml::from_str(OPENAPI_YAML).expect("openapi.yaml parses")
}

#[test]
fn document_is_openapi_3_1() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["info"]["title"].is_string());
    assert!(document["components"]["schemas"]["Job"].is_object());
}

#[test]
fn every_route_is_documented_and_nothing_else() {
    let document = document();
    let paths = document["paths"].as_object().expect("paths is an object");
    let mut routed = BTreeSet::new();
    for route in route_table::<InMemoryBackend>() {
        for method in &route.methods {
            routed.insert((route.path.to_owned(), method.as_str().to_lowercase()));
        }
    }
    let mut documented = BTreeSet::new();
    for (path, item) in paths {
        for (key, _) in item.as_object().expect("path item is an object") {
            if OPERATIONS.contains(&key.as_str()) {
                documented.insert((path.clone(), key.clone()));
            }
        }
    }
    let missing: Vec<_> = routed.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from openapi.yaml: {missing:?}"
    );
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(extra.is_empty(), "documented but not routed: {extra:?}");
}

#[test]
fn every_reference_resolves() {
    let document = document();
    let text = serde_json::to_string(&document).unwrap();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let target = reference.split('"').next().unwrap();
        let pointer = target.strip_prefix('#').expect("local reference");
        assert!(
            document.pointer(pointer).is_some(),
            "dangling $ref {target}"
        );
    }
}

#[tokio::test]
async fn served_as_json_and_yaml() {
    let api = api();
    let reply = api.get("/v1/openapi.json").await.expect(200);
    assert_eq!(reply.json(), document());
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let reply = api.get("/v1/openapi.yaml").await.expect(200);
    assert_eq!(reply.body, OPENAPI_YAML);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("application/yaml")
    );
}
