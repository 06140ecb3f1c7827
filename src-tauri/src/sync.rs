//! Background sync in the shell: the core's [`SyncWorker`] on the app's profile, started
//! at startup, whose every state change goes to the page as a [`SyncStateChanged`]
//! event. The worker opens the profile itself, so it never holds the façade's lock.

use std::path::Path;
use std::sync::Arc;

use studyhall_core::clock::SystemClock;
use studyhall_core::sync::worker::{SyncState, SyncWorker, WorkerSettings};
use tauri::AppHandle;
use tauri_specta::Event as _;

use crate::events::SyncStateChanged;

/// The managed sync worker; `None` when it could not be started (the log says why).
#[derive(Debug)]
pub struct SyncService(Option<SyncWorker>);

impl SyncService {
    pub fn start(app: &AppHandle, profile_dir: &Path) -> Self {
        let handle = app.clone();
        let listener = Box::new(move |state: &SyncState| {
            if let Err(error) = (SyncStateChanged {
                state: state.clone(),
            })
            .emit(&handle)
            {
                tracing::warn!("could not send the sync state to the window: {error}");
            }
        });
        let worker = SyncWorker::start(
            profile_dir,
            Arc::new(SystemClock),
            WorkerSettings::default(),
            listener,
        )
        .inspect_err(|error| tracing::error!("background sync could not start: {error}"))
        .ok();
        Self(worker)
    }

    /// The latest state (signed out when the worker is not running).
    pub fn state(&self) -> SyncState {
        self.0.as_ref().map(SyncWorker::state).unwrap_or_default()
    }

    /// Runs a round now.
    pub fn sync_now(&self) {
        if let Some(worker) = &self.0 {
            worker.sync_now();
        }
    }
}
