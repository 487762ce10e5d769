//! The protobuf messages and method paths an executor plugin speaks, written by hand with the
//! field numbers of their sources (generated gRPC code stays in crate `cluster`):
//!
//! - Dkron v4's `types.v1` executor protocol (`proto/types/v1/executor.proto`), and the
//!   same messages under Dkron v3's names (package `types`);
//! - go-plugin's own services in package `plugin` (`internal/plugin/*.proto`): the broker, the
//!   controller and, from go-plugin 1.3 on, stdio;
//! - the standard `grpc.health.v1` health check go-plugin registers in every plugin.

use std::collections::BTreeMap;

/// `types.v1.ExecutorService/Execute`.
pub(super) const EXECUTE_PATH: &str = "/types.v1.ExecutorService/Execute";
/// `types.v1.StatusHelperService/Update`, served by the host on the broker's socket.
pub(super) const STATUS_UPDATE_PATH: &str = "/types.v1.StatusHelperService/Update";
/// Dkron v3's name of `Execute` (package `types`, service `Executor`): same messages, same
/// field numbers; tried when a plugin does not know the v4 name.
pub(super) const EXECUTE_PATH_V3: &str = "/types.Executor/Execute";
/// Dkron v3's name of the status helper's `Update`.
pub(super) const STATUS_UPDATE_PATH_V3: &str = "/types.StatusHelper/Update";
/// go-plugin's broker stream.
pub(super) const BROKER_STREAM_PATH: &str = "/plugin.GRPCBroker/StartStream";
/// go-plugin's graceful shutdown.
pub(super) const SHUTDOWN_PATH: &str = "/plugin.GRPCController/Shutdown";
/// go-plugin's (1.3+) stream of the plugin's standard output and error.
pub(super) const STREAM_STDIO_PATH: &str = "/plugin.GRPCStdio/StreamStdio";
/// The standard health check.
pub(super) const HEALTH_CHECK_PATH: &str = "/grpc.health.v1.Health/Check";

/// The service name go-plugin marks as serving (`plugin.GRPCServiceName`).
pub(super) const HEALTH_SERVICE: &str = "plugin";

/// `types.v1.ExecuteRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct ExecuteRequest {
    #[prost(string, tag = "1")]
    pub(super) job_name: String,
    #[prost(btree_map = "string, string", tag = "2")]
    pub(super) config: BTreeMap<String, String>,
    /// The broker id under which the host serves `StatusHelperService` for this call.
    #[prost(uint32, tag = "3")]
    pub(super) status_server: u32,
}

/// `types.v1.ExecuteResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct ExecuteResponse {
    #[prost(bytes = "vec", tag = "1")]
    pub(super) output: Vec<u8>,
    #[prost(string, tag = "2")]
    pub(super) error: String,
}

/// `types.v1.StatusUpdateRequest`: Dkron numbers its fields from 2.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct StatusUpdateRequest {
    #[prost(bytes = "vec", tag = "2")]
    pub(super) output: Vec<u8>,
    #[prost(bool, tag = "3")]
    pub(super) error: bool,
}

/// `types.v1.StatusUpdateResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct StatusUpdateResponse {
    #[prost(int64, tag = "1")]
    pub(super) r: i64,
}

/// go-plugin's `plugin.ConnInfo`. go-plugin 1.7 adds `knock` (field 4) for broker
/// multiplexing, which is only used when the host asks for it; Dkron never does, and neither
/// does this host, so the field is left out (prost skips it when a plugin sends it).
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct ConnInfo {
    #[prost(uint32, tag = "1")]
    pub(super) service_id: u32,
    #[prost(string, tag = "2")]
    pub(super) network: String,
    #[prost(string, tag = "3")]
    pub(super) address: String,
}

/// go-plugin's `plugin.Empty` and `google.protobuf.Empty` alike: no fields, so the same bytes.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct Empty {}

/// go-plugin's `plugin.StdioData`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct StdioData {
    /// A [`StdioChannel`] number.
    #[prost(int32, tag = "1")]
    pub(super) channel: i32,
    #[prost(bytes = "vec", tag = "2")]
    pub(super) data: Vec<u8>,
}

/// `plugin.StdioData.Channel`.
pub(super) mod stdio_channel {
    /// Standard output.
    pub(in crate::grpc) const STDOUT: i32 = 1;
    /// Standard error.
    pub(in crate::grpc) const STDERR: i32 = 2;
}

/// `grpc.health.v1.HealthCheckRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct HealthCheckRequest {
    #[prost(string, tag = "1")]
    pub(super) service: String,
}

/// `grpc.health.v1.HealthCheckResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct HealthCheckResponse {
    /// A `ServingStatus` number.
    #[prost(int32, tag = "1")]
    pub(super) status: i32,
}

/// `grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING`.
pub(super) const SERVING: i32 = 1;

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    #[test]
    fn execute_messages_carry_dkrons_numbers() {
        let request = ExecuteRequest {
            job_name: "j".into(),
            config: BTreeMap::from([("k".to_string(), "v".to_string())]),
            status_server: 7,
        };
        // job_name: field 1; config: field 2, an entry with key 1 and value 2;
        // status_server: field 3, varint.
        assert_eq!(
            request.encode_to_vec(),
            vec![
                0x0a, 1, b'j', 0x12, 6, 0x0a, 1, b'k', 0x12, 1, b'v', 0x18, 7
            ]
        );
        let response = ExecuteResponse::decode(&[0x0a, 2, b'o', b'k', 0x12, 1, b'e'][..])
            .expect("valid bytes");
        assert_eq!(response.output, b"ok");
        assert_eq!(response.error, "e");
    }

    #[test]
    fn status_updates_start_at_field_two() {
        let update =
            StatusUpdateRequest::decode(&[0x12, 2, b'h', b'i', 0x18, 1][..]).expect("valid bytes");
        assert_eq!(update.output, b"hi");
        assert!(update.error);
        // Field 1 is not Dkron's output: skipped as unknown.
        let stray = StatusUpdateRequest::decode(&[0x0a, 1, b'x'][..]).expect("valid bytes");
        assert!(stray.output.is_empty());
        assert_eq!(StatusUpdateResponse { r: 5 }.encode_to_vec(), vec![0x08, 5]);
    }

    #[test]
    fn go_plugin_messages_carry_their_numbers() {
        let info = ConnInfo {
            service_id: 3,
            network: "unix".into(),
            address: "/s".into(),
        };
        assert_eq!(
            info.encode_to_vec(),
            vec![
                0x08, 3, 0x12, 4, b'u', b'n', b'i', b'x', 0x1a, 2, b'/', b's'
            ]
        );
        // go-plugin 1.7's knock (field 4, a message) is read past.
        let with_knock = ConnInfo::decode(&[0x08, 3, 0x22, 2, 0x08, 1][..]).expect("valid bytes");
        assert_eq!(with_knock.service_id, 3);
        let stdio = StdioData::decode(&[0x08, 2, 0x12, 1, b'x'][..]).expect("valid bytes");
        assert_eq!(
            (stdio.channel, stdio.data),
            (stdio_channel::STDERR, b"x".to_vec())
        );
        assert!(Empty {}.encode_to_vec().is_empty());
    }

    #[test]
    fn health_messages_carry_the_standard_numbers() {
        let request = HealthCheckRequest {
            service: HEALTH_SERVICE.into(),
        };
        assert_eq!(
            request.encode_to_vec(),
            [&[0x0a, 6][..], b"plugin"].concat()
        );
        let response = HealthCheckResponse::decode(&[0x08, 1][..]).expect("valid bytes");
        assert_eq!(response.status, SERVING);
    }
}
