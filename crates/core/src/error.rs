//! The one error type of `studyhall-core`. Every variant says what happened and what to
//! do in its message; `ErrorCode` is the stable, machine-readable half that crosses IPC
//! and process boundaries.

use std::path::PathBuf;

use crate::pack::PackError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Pack(#[from] PackError),

    #[error(
        "the study database was written by a newer version of Studyhall; update Studyhall to open it ({path})"
    )]
    DatabaseTooNew { path: PathBuf },

    #[error("the study database could not be opened or upgraded ({path}): {reason}")]
    DatabaseOpen { path: PathBuf, reason: String },

    #[error("the study database failed: {0}")]
    Database(#[from] rusqlite::Error),

    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{what} was not found")]
    NotFound { what: String },

    #[error("that answer cannot be scored: {0}")]
    InvalidAnswer(String),

    #[error("{0}")]
    InvalidInput(String),

    #[error(transparent)]
    Signing(#[from] studyhall_signing::SigningError),

    /// A request to the Studyhall server failed (sign-in, enrollment, sync).
    #[error(transparent)]
    Server(#[from] crate::sync::RequestFailure),
}

/// Stable codes for `Error`, for the UI and other processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidPack,
    UntrustedPack,
    OlderPack,
    DatabaseTooNew,
    Database,
    Io,
    NotFound,
    InvalidAnswer,
    InvalidInput,
    InvalidKey,
    /// The server could not be reached (no network, wrong address, server down).
    ServerUnreachable,
    /// The server said no (wrong password, expired sign-in, used enrollment token).
    ServerRefused,
    /// The server failed or answered something unreadable.
    ServerFailed,
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Pack(e) => e.code(),
            Error::DatabaseTooNew { .. } => ErrorCode::DatabaseTooNew,
            Error::DatabaseOpen { .. } | Error::Database(_) => ErrorCode::Database,
            Error::Io { .. } => ErrorCode::Io,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::InvalidAnswer(_) => ErrorCode::InvalidAnswer,
            Error::InvalidInput(_) => ErrorCode::InvalidInput,
            Error::Signing(_) => ErrorCode::InvalidKey,
            Error::Server(failure) => match failure {
                crate::sync::RequestFailure::Unreachable(_) => ErrorCode::ServerUnreachable,
                crate::sync::RequestFailure::Refused { .. } => ErrorCode::ServerRefused,
                crate::sync::RequestFailure::ServerError { .. }
                | crate::sync::RequestFailure::BadReply(_) => ErrorCode::ServerFailed,
            },
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
