//! Studyhall's central server (DESIGN §6, §7): accounts and roles, device enrollment,
//! result upload and offline hand-in with signed receipts, the pack catalogue with
//! publishing and resumable download, and — in later pieces — progress sync, over
//! HTTP/JSON under `/v1`, on SQLite or PostgreSQL.
//!
//! [`run`] takes its listener and shutdown signal from outside, so the binary and the
//! tests share one entry point. Storage is behind [`store::Store`]; the routes are in
//! [`api`]; who may call what is decided by [`auth::Authorized`].

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod error;
pub mod keys;
pub mod store;

pub use app::run;
pub use config::Config;
