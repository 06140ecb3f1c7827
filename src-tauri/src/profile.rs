//! Where the learner's profile lives: `STUDYHALL_PROFILE` if set (the CLI, `cargo xtask run`
//! and tests use it), otherwise `profile/` in the platform's app data folder.

use std::path::PathBuf;

use tauri::{AppHandle, Manager};

/// The environment variable that overrides the profile folder.
pub const PROFILE_ENV: &str = "STUDYHALL_PROFILE";

pub fn resolve(app: &AppHandle) -> tauri::Result<PathBuf> {
    match std::env::var_os(PROFILE_ENV) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => Ok(app.path().app_data_dir()?.join("profile")),
    }
}
