//! `/health` answers 503 with its reasons while the node cannot do its work (issue 14: a
//! full data volume left it saying healthy).

use crate::common::api;

#[tokio::test]
async fn health_is_unhealthy_with_the_reasons_while_the_node_has_a_problem() {
    let api = api();
    api.backend
        .set_health_problems(vec!["the data volume is full: 0 bytes free".to_string()]);
    let reply = api.get("/health").await.expect(503);
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["reasons"][0], "the data volume is full: 0 bytes free");

    api.backend.set_health_problems(Vec::new());
    let reply = api.get("/health").await.expect(200);
    assert_eq!(reply.body, r#"{"status":"healthy"}"#);
}
