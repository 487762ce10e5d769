//! Fuzz targets (issue 14): what a node RPC port receives is protobuf (prost) around JSON
//! (serde); random bytes and random JSON must come out as a clear error, never a panic.
//! `PROPTEST_CASES=100000 cargo nextest run -p dkron-cluster fuzz` runs them long.

use openraft::raft::{AppendEntriesRequest, VoteRequest};
use proptest::prelude::*;
use prost::Message;
use serde::de::DeserializeOwned;

use super::leader_calls::RunJobRequest;
use super::proto::{Empty, Json, RunEvent, SnapshotChunk};
use super::run_stream::{RunStreamEvent, from_wire};
use super::{RpcError, from_json};
use crate::network::SnapshotHeader;
use crate::server_service::{AddPeer, RemovePeer};
use crate::types::TypeConfig;

/// Decodes `json` as `T` as a handler does; a refusal must carry a message.
fn decode_as<T: DeserializeOwned>(json: &Json) {
    if let Err(error) = from_json::<T>(json) {
        assert!(!error.to_string().is_empty());
    }
}

/// Every message type a handler decodes from a `Json` body.
fn decode_every_body(json: &Json) {
    decode_as::<AppendEntriesRequest<TypeConfig>>(json);
    decode_as::<VoteRequest<TypeConfig>>(json);
    decode_as::<dkron_store::Command>(json);
    decode_as::<AddPeer>(json);
    decode_as::<RemovePeer>(json);
    decode_as::<RunJobRequest>(json);
    decode_as::<serde_json::Value>(json);
    if let Err(error) = serde_json::from_slice::<SnapshotHeader>(&json.body) {
        assert!(!error.to_string().is_empty());
    }
}

/// Decodes `bytes` as every protobuf message the services take or answer.
fn decode_every_message(bytes: &[u8]) {
    if let Ok(json) = Json::decode(bytes) {
        decode_every_body(&json);
    }
    let _decoded_or_refused = Empty::decode(bytes).is_ok();
    if let Ok(chunk) = SnapshotChunk::decode(bytes) {
        let _decoded_or_refused = serde_json::from_slice::<SnapshotHeader>(&chunk.header).is_ok();
    }
    if let Ok(event) = RunEvent::decode(bytes) {
        match from_wire::<serde_json::Value>(event) {
            Ok(RunStreamEvent::Accepted { .. } | RunStreamEvent::Output(_)) => {}
            Ok(RunStreamEvent::Finished(_)) => {}
            Err(RpcError::Malformed { message }) => assert!(!message.is_empty()),
            Err(other) => panic!("a decoding error must be Malformed, got {other:?}"),
        }
    }
}

fn json_strategy() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        ".{0,10}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    ".{0,6}",
                    prop::sample::select(
                        &[
                            "vote",
                            "leader_id",
                            "term",
                            "node_id",
                            "committed",
                            "prev_log_id",
                            "entries",
                            "leader_commit",
                            "last_log_id",
                            "index",
                            "log_id",
                            "payload",
                            "Normal",
                            "Membership",
                            "job",
                            "id",
                            "addr",
                            "meta",
                            "size",
                            "type",
                        ][..]
                    )
                    .prop_map(str::to_owned),
                ],
                inner,
                0..6,
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn random_bytes_never_panic_as_an_rpc_message(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_every_message(&bytes);
    }

    #[test]
    fn random_json_bodies_never_panic(value in json_strategy()) {
        let json = Json { body: value.to_string().into_bytes() };
        decode_every_body(&json);
        decode_every_message(&json.encode_to_vec());
    }

    #[test]
    fn random_run_events_never_panic(summary in prop::collection::vec(any::<u8>(), 0..256)) {
        let event = RunEvent { event: Some(super::proto::run_event::Event::Finished(summary)) };
        decode_every_message(&event.encode_to_vec());
    }
}
