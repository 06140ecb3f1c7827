//! The running server: its shared state, the middleware around the API (tracing,
//! metrics, body limit) and [`run`], the one entry point of the binary and the tests.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use anyhow::Context as _;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use chrono::{DateTime, SubsecRound as _, TimeDelta, Utc};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::keys::ServerKeys;
use crate::store::{self, Store};

/// Where the server's "now" comes from; tests may pass another.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What every request handler may use. Cheap to clone; holds nothing another replica
/// would need to see (all shared state is in the [`Store`]).
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub keys: Arc<ServerKeys>,
    pub metrics: PrometheusHandle,
    pub token_lifetime: TimeDelta,
    /// Where the trusted publisher keys are (read at each publish, so adding a key
    /// needs no restart).
    pub publisher_dir: PathBuf,
    /// Largest pack `POST /v1/packs` accepts, in bytes.
    pub max_pack_bytes: usize,
    pub clock: Clock,
    /// Exams of the catalogue unlocked with the server's key (for key releases and
    /// the form check of results), kept per process.
    pub exams: Arc<crate::api::exams::UnlockedExams>,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("token_lifetime", &self.token_lifetime)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The current time, to the millisecond (what both backends store).
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)().trunc_subsecs(3)
    }
}

const REQUESTS: &str = "studyhall_http_requests_total";
const LATENCY: &str = "studyhall_http_request_duration_seconds";

/// The process's Prometheus recorder, installed on first use (the `metrics` facade
/// has one global recorder per process).
pub fn metrics_handle() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(LATENCY.to_owned()),
            &[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ],
        )
        .context("configuring the metrics")?
        .install_recorder()
        .context("installing the metrics recorder")?;
    Ok(HANDLE.get_or_init(|| handle).clone())
}

async fn record_metrics(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(LATENCY, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The full application for `state`.
pub fn app(state: AppState, config: &Config) -> axum::Router {
    crate::api::router(state, config.max_request_bytes)
        .route_layer(middleware::from_fn(record_metrics))
        .layer(TraceLayer::new_for_http())
}

/// A server whose database is open and migrated and whose keys are loaded, ready to
/// serve.
#[derive(Debug)]
pub struct Server {
    state: AppState,
    config: Config,
}

impl Server {
    /// Opens the store and keys named by `config`.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        let store = store::open(&config.database_url).await.with_context(|| {
            format!(
                "could not open the database ({})",
                config.database_description()
            )
        })?;
        let keys = ServerKeys::load_or_create(&config.key_dir)?;
        let publisher_dir = config.publisher_dir();
        std::fs::create_dir_all(&publisher_dir).with_context(|| {
            format!(
                "could not create the publisher key folder {}",
                publisher_dir.display()
            )
        })?;
        let state = AppState {
            store,
            keys: Arc::new(keys),
            metrics: metrics_handle()?,
            token_lifetime: TimeDelta::seconds(
                i64::try_from(config.token_lifetime_seconds).unwrap_or(i64::MAX),
            ),
            publisher_dir,
            max_pack_bytes: config.max_pack_bytes,
            clock: Arc::new(Utc::now),
            exams: Arc::default(),
        };
        Ok(Self { state, config })
    }

    /// Serves on `listener` until `shutdown` completes; requests in flight then finish
    /// before this returns.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let address = listener
            .local_addr()
            .context("reading the listening address")?;
        tracing::info!(%address, database = %self.config.database_description(), "serving");
        axum::serve(listener, app(self.state, &self.config))
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving HTTP")?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// [`Server::open`] then [`Server::serve`]: serves on `listener` until `shutdown`
/// completes, letting requests in flight finish.
pub async fn run(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    Server::open(config).await?.serve(listener, shutdown).await
}
