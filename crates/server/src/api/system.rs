//! For operators and clients before they sign in: health, metrics, the server's keys.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Json;
use crate::app::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::keys::ServerPublicKeys;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok` when the server can reach its database.
    pub status: String,
}

/// Whether the server and its database answer (for load balancers).
#[utoipa::path(get, path = "/health", tag = "system",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "the database does not answer", body = ErrorBody),
    ))]
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.store.check_health().await?;
    Ok(Json(Health {
        status: "ok".to_owned(),
    }))
}

/// Prometheus metrics: request counts and latencies per route.
#[utoipa::path(get, path = "/metrics", tag = "system",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// The server's public keys: what it signs with and what results are sealed to.
#[utoipa::path(get, path = "/v1/server-keys", tag = "system",
    responses((status = 200, body = ServerPublicKeys)))]
pub async fn server_keys(State(state): State<AppState>) -> Json<ServerPublicKeys> {
    Json(state.keys.public())
}
