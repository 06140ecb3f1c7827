//! The HTTP API: every route, its OpenAPI description, and the JSON body type whose
//! rejections are answered as [`ApiError`]s.
//!
//! Routes under `/v1` are the versioned protocol (DESIGN §7); `/health` and `/metrics`
//! are for operators and load balancers. Each route's handler lives with its nouns:
//! [`auth`], [`accounts`], [`devices`], [`packs`], [`results`], [`system`].

pub mod accounts;
pub mod auth;
pub mod devices;
pub mod exams;
pub mod packs;
pub mod progress;
pub mod results;
pub mod system;

use axum::extract::{DefaultBodyLimit, FromRequest};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::error::ApiError;

/// `axum::Json`, with malformed and oversized bodies answered as JSON [`ApiError`]s.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Studyhall server",
        description = "Accounts, device enrollment, result upload and sync for Studyhall. Errors are \
                       `{ \"error\": code, \"message\": text }`."
    ),
    modifiers(&BearerAuth),
    components(schemas(crate::error::ErrorBody))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The whole API, with the OpenAPI document served at `/v1/openapi.json`.
/// Request bodies are limited to `max_request_bytes`, except pack uploads
/// (`state.max_pack_bytes`).
pub fn router(state: AppState, max_request_bytes: usize) -> axum::Router {
    // The inner limit is the one that holds for these routes.
    let publishing = OpenApiRouter::new()
        .routes(routes!(packs::publish_pack, packs::list_packs))
        .layer(DefaultBodyLimit::max(state.max_pack_bytes));
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(system::health))
        .routes(routes!(system::metrics))
        .routes(routes!(system::server_keys))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(accounts::create_account))
        .routes(routes!(devices::create_enrollment_token))
        .routes(routes!(devices::enroll_device, devices::list_devices))
        .routes(routes!(results::upload_result))
        .routes(routes!(results::hand_in_result))
        .routes(routes!(results::get_result))
        .routes(routes!(progress::push_progress, progress::pull_progress))
        .merge(publishing)
        .routes(routes!(packs::download_pack))
        .routes(routes!(exams::create_schedule, exams::list_schedules))
        .routes(routes!(exams::release_key))
        .split_for_parts();
    let openapi_json = openapi
        .to_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"openapi\",\"message\":\"{e}\"}}"));
    router
        .route(
            "/v1/openapi.json",
            axum::routing::get(move || async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    openapi_json,
                )
            }),
        )
        .layer(DefaultBodyLimit::max(max_request_bytes))
        .with_state(state)
}
