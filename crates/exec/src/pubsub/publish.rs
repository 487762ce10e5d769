//! One `google.pubsub.v1.Publisher/Publish` call over tonic.

use tonic::codegen::http::uri::PathAndQuery;
use tonic::metadata::MetadataValue;
use tonic::transport::{ClientTlsConfig, Endpoint};

use super::config::PubSubConfig;
use super::error::PublishError;
use super::proto::{PUBLISH_PATH, PublishRequest, PublishResponse, PubsubMessage};
use crate::error_chain::{error_chain, with_causes};

/// Where to publish and with which token.
pub(super) struct Target {
    /// `http://host:port` (emulator or a plain-text private endpoint) or `https://...`.
    pub(super) endpoint: String,
    /// The OAuth2 access token to send, if any.
    pub(super) bearer: Option<String>,
}

/// Publishes the one message of `config` and returns the id the server gave it.
pub(super) async fn publish(
    config: &PubSubConfig,
    target: &Target,
) -> Result<String, PublishError> {
    let endpoint = endpoint(&target.endpoint)?;
    let channel = endpoint.connect_lazy();
    let mut client = tonic::client::Grpc::new(channel);
    let message = PubsubMessage {
        data: config.data.clone(),
        attributes: config.attributes.clone().into_iter().collect(),
        ..PubsubMessage::default()
    };
    let mut request = tonic::Request::new(PublishRequest {
        topic: config.topic_path.clone(),
        messages: vec![message],
    });
    if let Some(token) = &target.bearer {
        let value = MetadataValue::try_from(format!("Bearer {token}")).map_err(|_| {
            PublishError::Status {
                code: "Unauthenticated".to_owned(),
                message: "the access token is not a valid header value".to_owned(),
            }
        })?;
        request.metadata_mut().insert("authorization", value);
    }
    client.ready().await.map_err(|error| PublishError::Status {
        code: "Unavailable".to_owned(),
        message: error_chain(&error),
    })?;
    let codec = tonic_prost::ProstCodec::<PublishRequest, PublishResponse>::default();
    let response = client
        .unary(request, PathAndQuery::from_static(PUBLISH_PATH), codec)
        .await
        .map_err(|status| PublishError::Status {
            code: format!("{:?}", status.code()),
            message: status_message(&status),
        })?;
    response
        .into_inner()
        .message_ids
        .into_iter()
        .next()
        .ok_or(PublishError::NoMessageId)
}

/// Builds the endpoint; one without a scheme (`host:port`) is dialled over TLS.
fn endpoint(configured: &str) -> Result<Endpoint, PublishError> {
    let uri = if configured.contains("://") {
        configured.to_owned()
    } else {
        format!("https://{configured}")
    };
    let bad = |why: String| PublishError::BadEndpoint {
        endpoint: configured.to_owned(),
        why,
    };
    let endpoint = Endpoint::from_shared(uri.clone()).map_err(|error| bad(error.to_string()))?;
    if !uri.starts_with("https://") {
        return Ok(endpoint);
    }
    endpoint
        .tls_config(ClientTlsConfig::new().with_webpki_roots())
        .map_err(|error| bad(error_chain(&error)))
}

/// The status message, with the transport error behind it when tonic made the status up
/// itself (a refused connection says only "tcp connect error" otherwise).
fn status_message(status: &tonic::Status) -> String {
    with_causes(
        status.message().to_owned(),
        std::error::Error::source(status),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn googles_endpoint_gets_tls_and_a_bare_host_port_too() {
        for configured in [
            "https://pubsub.googleapis.com",
            "europe-west1-pubsub.googleapis.com:443",
        ] {
            let built = endpoint(configured).unwrap();
            assert_eq!(built.uri().scheme_str(), Some("https"), "{configured}");
        }
        assert_eq!(
            endpoint("http://127.0.0.1:8085")
                .unwrap()
                .uri()
                .scheme_str(),
            Some("http")
        );
        let error = endpoint("http://bad host").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("gcppubsub: bad endpoint \"http://bad host\"")
        );
    }
}
