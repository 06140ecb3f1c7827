//! The server's integration tests: one behavioural suite over [`Store`] run against
//! SQLite and PostgreSQL, and end-to-end tests of the real `studyhall-server` binary.
//!
//! PostgreSQL is a throw-away cluster this test binary starts itself (see
//! [`postgres`]); when it cannot be started the PostgreSQL tests fail with the reason.
//!
//! [`Store`]: studyhall_server::store::Store

// Test helpers unwrap freely: a failure is a failed test.
#![allow(clippy::unwrap_used)]

/// A SQLite database in a temporary folder, removed when dropped.
#[derive(Debug)]
pub struct SqliteDatabase {
    pub url: String,
    _dir: tempfile::TempDir,
}

pub fn sqlite_database() -> SqliteDatabase {
    let dir = tempfile::tempdir().unwrap();
    SqliteDatabase {
        url: format!("sqlite://{}", dir.path().join("server.db").display()),
        _dir: dir,
    }
}

/// Runs each named `async fn(database_url: &str)` as two tests: on a fresh SQLite file
/// and on a fresh PostgreSQL database.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let database = crate::sqlite_database();
                    super::$case(&database.url).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let url = crate::postgres::cluster().fresh_database().await;
                    super::$case(&url).await;
                }
            )*
        }
    };
}

mod acceptance;
mod backup;
mod downloads;
mod endpoints;
mod fault_proxy;
mod faults;
mod packs;
mod postgres;
mod progress;
mod release;
mod results;
mod server_process;
mod store;
mod sync;
mod sync_account;
