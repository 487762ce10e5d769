//! Node and cluster routes: `/v1` status, members, leader, leave, pause, and `/health`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use dkron_model::{AuditChange, Member, MemberStatus, StringMap};
use serde::Serialize;

use crate::audit::{AuditNote, audited};
use crate::backend::ApiBackend;
use crate::error::ApiError;
use crate::render::{Format, with_total_count};
use crate::state::SharedState;

/// The body of `GET /v1`; field order is the sorted key order Go's map rendering gives.
#[derive(Serialize)]
struct IndexView<'a> {
    agent: AgentView<'a>,
    serf: &'a StringMap,
    tags: &'a StringMap,
}

#[derive(Serialize)]
struct AgentView<'a> {
    name: &'a str,
    version: &'a str,
}

/// `GET /v1` and `GET /v1/`: this node's name, version, gossip statistics and tags.
pub(crate) async fn index<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    let info = state.backend.agent_info();
    let view = IndexView {
        agent: AgentView {
            name: &info.name,
            version: &info.version,
        },
        serf: &info.stats,
        tags: &info.tags,
    };
    format.json(StatusCode::OK, &view)
}

/// A member as `/v1/members` lists it: Serf's fields plus the two react-admin needs.
#[derive(Serialize)]
struct MemberView<'a> {
    #[serde(flatten)]
    member: &'a Member,
    /// The member's name: unique in the cluster and stable across requests (Dkron sends a
    /// fresh random UUID on every request, which defeats client-side caching).
    id: &'a str,
    #[serde(rename = "statusText")]
    status_text: &'static str,
}

/// Returns the lowercase name of a Serf status code (`none` for unknown codes).
fn status_text(code: u8) -> &'static str {
    [
        MemberStatus::None,
        MemberStatus::Alive,
        MemberStatus::Leaving,
        MemberStatus::Left,
        MemberStatus::Failed,
    ]
    .into_iter()
    .find(|status| status.code() == code)
    .unwrap_or(MemberStatus::None)
    .text()
}

/// `GET /v1/members`: every member of the local gossip view, with `X-Total-Count`.
pub(crate) async fn members<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    let members = state.backend.members().await?;
    let views: Vec<MemberView<'_>> = members
        .iter()
        .map(|member| MemberView {
            member,
            id: &member.name,
            status_text: status_text(member.status),
        })
        .collect();
    let response = format.json(StatusCode::OK, &views)?;
    Ok(with_total_count(response, views.len()))
}

/// `GET /v1/plugins`: this node's Dkron plugin binaries and where each stands (not Dkron's;
/// Dkron only logs its plugins), with `X-Total-Count`.
pub(crate) async fn plugins<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    let plugins = state.backend.plugins();
    let response = format.json(StatusCode::OK, &plugins)?;
    Ok(with_total_count(response, plugins.len()))
}

/// `GET /v1/leader`: the leader as a bare member; 404 with a message while none is known.
pub(crate) async fn leader<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    let leader = state
        .backend
        .leader()
        .await?
        .ok_or_else(|| ApiError::NotFound("no cluster leader is known right now".to_owned()))?;
    format.json(StatusCode::OK, &leader)
}

/// `GET /v1/isleader`: `200 "I am a leader"` or `404 "I am a follower"` (JSON strings).
pub(crate) async fn is_leader<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    if state.backend.is_leader().await {
        format.json(StatusCode::OK, "I am a leader")
    } else {
        format.json(StatusCode::NOT_FOUND, "I am a follower")
    }
}

/// `POST /v1/leave`: makes this node leave the cluster; answers with the members it saw just
/// before leaving.
pub(crate) async fn leave<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    let members = match state.backend.members().await {
        Ok(members) => members,
        Err(error) => {
            tracing::warn!(error = %error, "cannot list members before leaving");
            Vec::new()
        }
    };
    state.backend.leave().await?;
    let response = format.json(StatusCode::OK, &members)?;
    let note = AuditNote::new("cluster.leave", &state.options.node_name);
    Ok(audited(response, note))
}

#[derive(Serialize)]
struct PauseView {
    paused: bool,
}

/// `GET /v1/pause`: whether the cluster is paused.
pub(crate) async fn pause_status<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    let paused = state.backend.paused().await?;
    format.json(StatusCode::OK, &PauseView { paused })
}

/// `POST /v1/pause`: pauses scheduling and job submissions cluster-wide (Dkron pauses only
/// submissions, on one node).
pub(crate) async fn pause<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    state.backend.set_paused(true).await?;
    tracing::info!("scheduling and job submissions paused cluster-wide");
    let response = format.json(StatusCode::OK, &PauseView { paused: true })?;
    Ok(audited(response, pause_note(true)))
}

/// `POST /v1/unpause`: resumes scheduling and job submissions cluster-wide.
pub(crate) async fn unpause<B: ApiBackend>(
    State(state): State<SharedState<B>>,
    format: Format,
) -> Result<Response, ApiError> {
    state.backend.set_paused(false).await?;
    tracing::info!("scheduling and job submissions resumed cluster-wide");
    let response = format.json(StatusCode::OK, &PauseView { paused: false })?;
    Ok(audited(response, pause_note(false)))
}

/// The audit note of a pause (`true`) or an unpause.
fn pause_note(paused: bool) -> AuditNote {
    let action = if paused {
        "cluster.pause"
    } else {
        "cluster.unpause"
    };
    let change = AuditChange::value("paused", None, Some(paused.to_string()));
    AuditNote::new(action, "").with_changes(vec![change])
}

/// `GET /health`: always healthy while the process serves HTTP.
/// `GET /health`: 200 `{"status":"healthy"}` while the node can do its work, else 503
/// `{"status":"unhealthy","reasons":[..]}` (a full data volume, for one), so that a load
/// balancer or an orchestrator stops sending it writes.
pub(crate) async fn health<B: ApiBackend>(
    State(state): State<SharedState<B>>,
) -> Result<Response, ApiError> {
    #[derive(Serialize)]
    struct Health {
        status: &'static str,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        reasons: Vec<String>,
    }
    let reasons = state.backend.health_problems();
    if reasons.is_empty() {
        let healthy = Health {
            status: "healthy",
            reasons,
        };
        return Format::default().json(StatusCode::OK, &healthy);
    }
    let unhealthy = Health {
        status: "unhealthy",
        reasons,
    };
    Format::default().json(StatusCode::SERVICE_UNAVAILABLE, &unhealthy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_have_serf_names() {
        assert_eq!(status_text(1), "alive");
        assert_eq!(status_text(4), "failed");
        assert_eq!(status_text(42), "none");
    }
}
