//! `studyhall-cli results upload`: the offline hand-in. A proctor sends the sealed
//! result files exported from kiosks (`*.shresult`) to the server, which verifies and
//! stores each once; a result the server already holds is reported as a duplicate.

use std::path::PathBuf;

use anyhow::{Result, bail};
use studyhall_core::ServerEndpoint;

/// The variable read for the token when `--token` is not given (keeps it out of `ps`).
pub const TOKEN_VARIABLE: &str = "STUDYHALL_TOKEN";

/// Hands in every file in turn and prints one line per file: delivered with its receipt
/// code, a duplicate, or why it was refused. Fails when any file was not delivered.
pub fn upload(files: &[PathBuf], server: &str, token: Option<String>) -> Result<()> {
    let token = staff_token(token)?;
    let server = ServerEndpoint::new(server)?;
    let mut failed = 0;
    for file in files {
        let outcome = match std::fs::read_to_string(file) {
            Ok(sealed) => match server.hand_in(&sealed, &token) {
                Ok(reply) if reply.duplicate => format!(
                    "duplicate, already delivered (receipt code {})",
                    reply.receipt_code
                ),
                Ok(reply) => format!("delivered (receipt code {})", reply.receipt_code),
                Err(error) => {
                    failed += 1;
                    format!("not delivered: {error}")
                }
            },
            Err(error) => {
                failed += 1;
                format!("not delivered: it cannot be read ({error})")
            }
        };
        println!("{}: {outcome}", file.display());
    }
    if failed > 0 {
        bail!("{failed} of {} results were not delivered", files.len());
    }
    Ok(())
}

/// The staff token from `--token`, or else from [`TOKEN_VARIABLE`].
pub fn staff_token(token: Option<String>) -> Result<String> {
    let Some(token) = token.or_else(|| std::env::var(TOKEN_VARIABLE).ok()) else {
        bail!(
            "a proctor's or admin's sign-in token is needed: --token TOKEN or {TOKEN_VARIABLE}=TOKEN \
             (from POST /v1/auth/login)"
        );
    };
    Ok(token)
}
