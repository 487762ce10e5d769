//! Finds a method's request and response types through the server's reflection service.
//!
//! `grpc.reflection.v1.ServerReflection` is asked first; a server that does not have it
//! (`Unimplemented`, as with older grpc-go and with grpcio-reflection) is asked through
//! `v1alpha`. Both versions have the same messages on the wire, so tonic-reflection's v1 types
//! serve for both and only the path differs. The file that declares the service is fetched,
//! then every dependency the server did not send with it, one by one, into a descriptor pool.

use std::collections::BTreeMap;

use futures::StreamExt;
use futures::channel::mpsc::{UnboundedSender, unbounded};
use prost::Message;
use prost_reflect::prost_types::FileDescriptorProto;
use prost_reflect::{DescriptorPool, MethodDescriptor};
use tonic::codec::Streaming;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::metadata::MetadataMap;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_prost::ProstCodec;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};

use super::codes::go_code_name;
use super::config::GrpcTarget;
use super::error::GrpcCallError;

const V1_PATH: &str = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
const V1ALPHA_PATH: &str = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

/// Bound on the files of one method's types, so a broken server cannot make us ask forever.
const MAX_FILES: usize = 500;

/// Returns the unary method `target` names, with its types, as the server describes it.
pub(super) async fn resolve_method(
    channel: &Channel,
    metadata: &MetadataMap,
    target: &GrpcTarget,
) -> Result<MethodDescriptor, GrpcCallError> {
    let files = match fetch_files(channel, metadata, V1_PATH, &target.service).await {
        Err(FetchError::Status(status)) if status.code() == Code::Unimplemented => {
            tracing::debug!("no reflection v1 on the server, asking v1alpha");
            fetch_files(channel, metadata, V1ALPHA_PATH, &target.service).await
        }
        other => other,
    }
    .map_err(|error| error.into_call_error(&target.service))?;
    let mut pool = DescriptorPool::new();
    pool.add_file_descriptor_protos(files)
        .map_err(|error| GrpcCallError::Reflection {
            reason: format!("the server's descriptors do not fit together: {error}"),
        })?;
    let service = pool.get_service_by_name(&target.service).ok_or_else(|| {
        GrpcCallError::ServiceNotFound {
            service: target.service.clone(),
        }
    })?;
    let method = service
        .methods()
        .find(|method| method.name() == target.method)
        .ok_or_else(|| GrpcCallError::MethodNotFound {
            service: target.service.clone(),
            method: target.method.clone(),
        })?;
    if method.is_client_streaming() || method.is_server_streaming() {
        return Err(GrpcCallError::Streaming {
            service: target.service.clone(),
            method: target.method.clone(),
        });
    }
    Ok(method)
}

enum FetchError {
    /// The stream failed with this status (`Unimplemented` when the version is not served).
    Status(Status),
    /// The server answered that it does not know the symbol.
    NotFound,
    /// The server's answers make no sense.
    Broken(String),
}

impl FetchError {
    fn into_call_error(self, service: &str) -> GrpcCallError {
        match self {
            FetchError::Status(status) => GrpcCallError::Reflection {
                reason: format!("{}: {}", go_code_name(status.code()), status.message()),
            },
            FetchError::NotFound => GrpcCallError::ServiceNotFound {
                service: service.to_string(),
            },
            FetchError::Broken(reason) => GrpcCallError::Reflection { reason },
        }
    }
}

/// Fetches the file declaring `service` and all the files it depends on.
async fn fetch_files(
    channel: &Channel,
    metadata: &MetadataMap,
    path: &'static str,
    service: &str,
) -> Result<Vec<FileDescriptorProto>, FetchError> {
    let first = MessageRequest::FileContainingSymbol(service.to_string());
    let (mut session, answer) = Session::open(channel, metadata, path, first).await?;
    let mut files = BTreeMap::new();
    add_files(&mut files, answer)?;
    while let Some(missing) = first_missing_dependency(&files) {
        if files.len() >= MAX_FILES {
            return Err(FetchError::Broken(format!(
                "more than {MAX_FILES} proto files are needed"
            )));
        }
        let answer = session
            .ask(MessageRequest::FileByFilename(missing.clone()))
            .await?;
        add_files(&mut files, answer)?;
        if !files.contains_key(&missing) {
            return Err(FetchError::Broken(format!(
                "the server did not send {missing:?} when asked for it"
            )));
        }
    }
    Ok(files.into_values().collect())
}

fn first_missing_dependency(files: &BTreeMap<String, FileDescriptorProto>) -> Option<String> {
    files
        .values()
        .flat_map(|file| file.dependency.iter())
        .find(|dependency| !files.contains_key(*dependency))
        .cloned()
}

fn add_files(
    files: &mut BTreeMap<String, FileDescriptorProto>,
    answer: MessageResponse,
) -> Result<(), FetchError> {
    let encoded_files = match answer {
        MessageResponse::FileDescriptorResponse(response) => response.file_descriptor_proto,
        MessageResponse::ErrorResponse(error) if error.error_code == Code::NotFound as i32 => {
            return Err(FetchError::NotFound);
        }
        MessageResponse::ErrorResponse(error) => {
            return Err(FetchError::Status(Status::new(
                Code::from_i32(error.error_code),
                error.error_message,
            )));
        }
        _ => return Err(FetchError::Broken("unexpected answer kind".to_string())),
    };
    for encoded in encoded_files {
        let file = FileDescriptorProto::decode(encoded.as_slice())
            .map_err(|error| FetchError::Broken(format!("undecodable file descriptor: {error}")))?;
        files.entry(file.name().to_string()).or_insert(file);
    }
    Ok(())
}

/// One reflection stream: questions go out one at a time, each answer is awaited.
struct Session {
    questions: UnboundedSender<ServerReflectionRequest>,
    answers: Streaming<ServerReflectionResponse>,
}

impl Session {
    /// Opens the stream with `first` already queued: many servers send their response
    /// headers only with the first answer, so the stream must not wait for them empty.
    async fn open(
        channel: &Channel,
        metadata: &MetadataMap,
        path: &'static str,
        first: MessageRequest,
    ) -> Result<(Session, MessageResponse), FetchError> {
        let (questions, queued) = unbounded();
        questions
            .unbounded_send(question(first))
            .map_err(|_| FetchError::Broken("reflection stream closed".to_string()))?;
        let mut client = tonic::client::Grpc::new(channel.clone());
        client.ready().await.map_err(|error| {
            FetchError::Status(Status::unavailable(format!("not ready: {error}")))
        })?;
        let mut request = Request::new(queued);
        *request.metadata_mut() = metadata.clone();
        let response = client
            .streaming(
                request,
                PathAndQuery::from_static(path),
                ProstCodec::<ServerReflectionRequest, ServerReflectionResponse>::default(),
            )
            .await
            .map_err(FetchError::Status)?;
        let mut session = Session {
            questions,
            answers: response.into_inner(),
        };
        let answer = session.next_answer().await?;
        Ok((session, answer))
    }

    async fn ask(&mut self, request: MessageRequest) -> Result<MessageResponse, FetchError> {
        self.questions
            .unbounded_send(question(request))
            .map_err(|_| FetchError::Broken("reflection stream closed".to_string()))?;
        self.next_answer().await
    }

    async fn next_answer(&mut self) -> Result<MessageResponse, FetchError> {
        match self.answers.next().await {
            Some(Ok(response)) => response
                .message_response
                .ok_or_else(|| FetchError::Broken("empty answer".to_string())),
            Some(Err(status)) => Err(FetchError::Status(status)),
            None => Err(FetchError::Broken(
                "the server ended the stream".to_string(),
            )),
        }
    }
}

fn question(request: MessageRequest) -> ServerReflectionRequest {
    ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    }
}
