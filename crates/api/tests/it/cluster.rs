//! `/v1`, members, leader, isleader, leave.

use dkron_api::testsuite::test_member;

use crate::common::{NODE, api};

#[tokio::test]
async fn index_reports_agent_serf_and_tags() {
    let api = api();
    for uri in ["/v1", "/v1/"] {
        let reply = api.get(uri).await.expect(200);
        assert_eq!(
            reply.body,
            r#"{"agent":{"name":"node-a","version":"test"},"serf":{"members":"1"},"tags":{"role":"dkron"}}"#
        );
    }
}

#[tokio::test]
async fn members_get_a_stable_id_and_status_text() {
    let api = api();
    let mut failed = test_member("node-b");
    failed.status = 4;
    api.backend.set_members(vec![test_member(NODE), failed]);
    let reply = api.get("/v1/members").await.expect(200);
    assert_eq!(reply.header("x-total-count"), Some("2"));
    let expected: serde_json::Value = serde_json::from_str(
        r#"{"Addr":"127.0.0.1","DelegateCur":4,"DelegateMax":5,"DelegateMin":2,"Name":"node-a","Port":8946,"ProtocolCur":2,"ProtocolMax":5,"ProtocolMin":1,"Status":1,"Tags":{"role":"dkron"},"id":"node-a","statusText":"alive"}"#,
    )
    .unwrap();
    assert_eq!(reply.json()[0], expected);
    assert!(
        reply
            .body
            .starts_with(r#"[{"Name":"node-a","Addr":"127.0.0.1","Port":8946,"#)
    );
    assert_eq!(reply.json()[1]["statusText"], "failed");
    assert_eq!(api.get("/v1/members").await.body, reply.body);
}

#[tokio::test]
async fn plugins_are_listed_with_their_state() {
    let api = api();
    let reply = api.get("/v1/plugins").await.expect(200);
    assert_eq!(reply.body, "[]");
    assert_eq!(reply.header("x-total-count"), Some("0"));
    api.backend.set_plugins(vec![dkron_model::PluginInfo {
        name: "echo".into(),
        kind: "executor".into(),
        path: "/etc/dkron/plugins/dkron-executor-echo".into(),
        state: dkron_model::PluginState::Failed,
        protocol: None,
        pid: None,
        started_at: None,
        restarts: 2,
        last_error: Some("bad handshake: unknown network \"udp\"".into()),
    }]);
    let reply = api.get("/v1/plugins").await.expect(200);
    assert_eq!(reply.header("x-total-count"), Some("1"));
    assert_eq!(
        reply.body,
        r#"[{"name":"echo","kind":"executor","path":"/etc/dkron/plugins/dkron-executor-echo","state":"failed","restarts":2,"last_error":"bad handshake: unknown network \"udp\""}]"#
    );
}

#[tokio::test]
async fn leader_is_a_bare_member_or_404() {
    let api = api();
    let reply = api.get("/v1/leader").await.expect(200);
    let leader = reply.json();
    assert_eq!(leader["Name"], NODE);
    assert!(leader.get("id").is_none());
    api.backend.set_leader(None, false);
    let reply = api.get("/v1/leader").await.expect(404);
    assert_eq!(reply.body, "no cluster leader is known right now");
}

#[tokio::test]
async fn isleader_answers_with_json_strings() {
    let api = api();
    let reply = api.get("/v1/isleader").await.expect(200);
    assert_eq!(reply.body, r#""I am a leader""#);
    api.backend.set_leader(Some(test_member("node-b")), false);
    let reply = api.get("/v1/isleader").await.expect(404);
    assert_eq!(reply.body, r#""I am a follower""#);
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8")
    );
}

#[tokio::test]
async fn leave_stops_the_node_and_lists_what_it_saw() {
    let api = api();
    let reply = api.call("POST", "/v1/leave", "").await.expect(200);
    assert_eq!(reply.json()[0]["Name"], NODE);
    assert!(api.backend.has_left());
}
