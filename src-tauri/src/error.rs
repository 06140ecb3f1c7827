//! The error that crosses IPC: `{ "code": "...", "message": "..." }`. `code` is stable and
//! machine-readable (the UI branches on it); `message` is for people. Core's codes are
//! mapped by an exhaustive `match`, so a new core error cannot cross the boundary unnoticed.

use serde::Serialize;
use studyhall_core::ErrorCode;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct IpcError {
    pub code: IpcErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum IpcErrorCode {
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
    ServerUnreachable,
    ServerRefused,
    ServerFailed,
    /// A fault in the shell itself, not in the learner's data.
    Internal,
}

impl From<ErrorCode> for IpcErrorCode {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::InvalidPack => Self::InvalidPack,
            ErrorCode::UntrustedPack => Self::UntrustedPack,
            ErrorCode::OlderPack => Self::OlderPack,
            ErrorCode::DatabaseTooNew => Self::DatabaseTooNew,
            ErrorCode::Database => Self::Database,
            ErrorCode::Io => Self::Io,
            ErrorCode::NotFound => Self::NotFound,
            ErrorCode::InvalidAnswer => Self::InvalidAnswer,
            ErrorCode::InvalidInput => Self::InvalidInput,
            ErrorCode::InvalidKey => Self::InvalidKey,
            ErrorCode::ServerUnreachable => Self::ServerUnreachable,
            ErrorCode::ServerRefused => Self::ServerRefused,
            ErrorCode::ServerFailed => Self::ServerFailed,
        }
    }
}

impl From<studyhall_core::Error> for IpcError {
    fn from(error: studyhall_core::Error) -> Self {
        Self {
            code: error.code().into(),
            message: error.to_string(),
        }
    }
}

impl IpcError {
    pub fn internal() -> Self {
        Self {
            code: IpcErrorCode::Internal,
            message: "Studyhall hit an internal fault. Restart the app; if it happens again, \
                      report it with the log."
                .to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_snake_case_code_and_message() {
        let error = IpcError {
            code: ErrorCode::DatabaseTooNew.into(),
            message: "Update Studyhall.".to_owned(),
        };
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "code": "database_too_new", "message": "Update Studyhall." })
        );
    }

    #[test]
    fn codes_keep_core_wire_names() {
        let core_codes = [
            ErrorCode::InvalidPack,
            ErrorCode::UntrustedPack,
            ErrorCode::OlderPack,
            ErrorCode::DatabaseTooNew,
            ErrorCode::Database,
            ErrorCode::Io,
            ErrorCode::NotFound,
            ErrorCode::InvalidAnswer,
            ErrorCode::InvalidInput,
            ErrorCode::InvalidKey,
            ErrorCode::ServerUnreachable,
            ErrorCode::ServerRefused,
            ErrorCode::ServerFailed,
        ];
        for code in core_codes {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::to_value(IpcErrorCode::from(code)).unwrap(),
                "{code:?}"
            );
        }
    }

    #[test]
    fn internal_errors_have_their_own_code() {
        let json = serde_json::to_value(IpcError::internal()).unwrap();
        assert_eq!(json["code"], "internal");
    }
}
