//! The state the shell manages: the core façade for one profile, opened at startup.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use studyhall_core::Studyhall;

use crate::error::IpcError;

#[derive(Debug)]
pub struct AppState {
    profile_dir: PathBuf,
    /// `None` while the profile could not be opened (a database from a newer Studyhall,
    /// an unreadable folder): the window still opens, each command reports why, and the
    /// next command tries again.
    studyhall: Mutex<Option<Studyhall>>,
    /// Bumped whenever the preferences change, so the inbox watcher re-reads its folder.
    pub inbox_generation: AtomicU64,
}

impl AppState {
    pub fn open(profile_dir: &Path) -> Self {
        let state = Self {
            profile_dir: profile_dir.to_path_buf(),
            studyhall: Mutex::new(None),
            inbox_generation: AtomicU64::new(0),
        };
        // Open now so the first command is fast; a failure is logged and retried later.
        let _ = state.with_studyhall(|_| Ok(()));
        state
    }

    /// Runs one façade call with the profile locked, opening the profile first if needed.
    pub fn with_studyhall<T>(
        &self,
        call: impl FnOnce(&mut Studyhall) -> Result<T, studyhall_core::Error>,
    ) -> Result<T, IpcError> {
        let mut slot = self.studyhall.lock().map_err(|_| {
            tracing::error!("the profile lock was poisoned by an earlier panic");
            IpcError::internal()
        })?;
        let studyhall = match &mut *slot {
            Some(studyhall) => studyhall,
            empty => empty.insert(self.open_profile()?),
        };
        Ok(call(studyhall).inspect_err(|error| tracing::warn!("core call failed: {error}"))?)
    }

    /// Runs a façade call that waits for the network (signing in, enrolling) on a
    /// profile handle of its own, on a blocking thread, so that study and exams never
    /// wait for it.
    pub async fn with_own_studyhall<T: Send + 'static>(
        &self,
        call: impl FnOnce(&mut Studyhall) -> Result<T, studyhall_core::Error> + Send + 'static,
    ) -> Result<T, IpcError> {
        let profile_dir = self.profile_dir.clone();
        let outcome =
            tauri::async_runtime::spawn_blocking(move || call(&mut Studyhall::open(&profile_dir)?))
                .await
                .map_err(|error| {
                    tracing::error!("a background call failed: {error}");
                    IpcError::internal()
                })?;
        Ok(outcome.inspect_err(|error| tracing::warn!("core call failed: {error}"))?)
    }

    fn open_profile(&self) -> Result<Studyhall, studyhall_core::Error> {
        let profile = self.profile_dir.display();
        let studyhall = Studyhall::open(&self.profile_dir).inspect_err(
            |error| tracing::error!(%profile, "could not open the profile: {error}"),
        )?;
        tracing::info!(%profile, "profile opened");
        Ok(studyhall)
    }
}
