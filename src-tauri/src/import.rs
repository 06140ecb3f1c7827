//! Pack imports started from the UI or the inbox: run off the async runtime, report
//! progress as events (at most ten a second), and announce the result.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use studyhall_core::ImportOutcome;
use studyhall_core::pack::Progress;
use tauri::{AppHandle, Manager};
use tauri_specta::Event;

use crate::error::IpcError;
use crate::events::{ImportProgress, ImportSource, LibraryChanged};
use crate::state::AppState;

const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Imports `file` on a blocking thread; see [`import`].
pub async fn in_background(
    app: AppHandle,
    file: PathBuf,
    source: ImportSource,
) -> Result<ImportOutcome, IpcError> {
    tauri::async_runtime::spawn_blocking(move || import(&app, &file, source))
        .await
        .map_err(|error| {
            tracing::error!("the import thread failed: {error}");
            IpcError::internal()
        })?
}

/// Imports `file` into the profile, emitting `ImportProgress` while it runs and
/// `LibraryChanged` when it ends.
pub fn import(
    app: &AppHandle,
    file: &Path,
    source: ImportSource,
) -> Result<ImportOutcome, IpcError> {
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let progress = EmitProgress::new(app.clone(), name.clone());
    let state = app.state::<AppState>();
    let result = state.with_studyhall(|studyhall| studyhall.import_pack(file, &progress));
    match &result {
        Ok(outcome) => tracing::info!(file = %file.display(), ?outcome, "pack imported"),
        Err(error) => tracing::warn!(file = %file.display(), "pack refused: {}", error.message),
    }
    // A pack left in the inbox is seen again at every start: say nothing when nothing changed.
    let unchanged = matches!(result, Ok(ImportOutcome::Unchanged { .. }));
    if source == ImportSource::Inbox && unchanged {
        return result;
    }
    let changed = LibraryChanged {
        source,
        file: name,
        outcome: result.as_ref().ok().cloned(),
        error: result.as_ref().err().cloned(),
    };
    if let Err(error) = changed.emit(app) {
        tracing::warn!("could not tell the UI about the import: {error}");
    }
    result
}

/// Sends import progress to the UI, throttled.
struct EmitProgress {
    app: AppHandle,
    file: String,
    current: Mutex<Current>,
}

struct Current {
    phase: String,
    done: u64,
    total: u64,
    last_sent: Option<Instant>,
}

impl EmitProgress {
    fn new(app: AppHandle, file: String) -> Self {
        Self {
            app,
            file,
            current: Mutex::new(Current {
                phase: String::new(),
                done: 0,
                total: 0,
                last_sent: None,
            }),
        }
    }

    fn update(&self, change: impl FnOnce(&mut Current)) {
        let Ok(mut current) = self.current.lock() else {
            return;
        };
        change(&mut current);
        let finished = current.done >= current.total;
        let due = current
            .last_sent
            .is_none_or(|sent| sent.elapsed() >= PROGRESS_INTERVAL);
        if !(due || finished) {
            return;
        }
        current.last_sent = Some(Instant::now());
        let event = ImportProgress {
            file: self.file.clone(),
            phase: current.phase.clone(),
            done: current.done as f64,
            total: current.total as f64,
        };
        if let Err(error) = event.emit(&self.app) {
            tracing::debug!("import progress not delivered: {error}");
        }
    }
}

impl Progress for EmitProgress {
    fn phase(&self, name: &str, total: u64) {
        self.update(|current| {
            current.phase = name.to_owned();
            current.done = 0;
            current.total = total;
            current.last_sent = None;
        });
    }

    fn advance(&self, bytes: u64) {
        self.update(|current| current.done = current.done.saturating_add(bytes));
    }
}
