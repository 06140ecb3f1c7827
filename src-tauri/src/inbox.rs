//! The watched inbox: a background thread imports every pack (`.shpack`, `.shexam`) that finishes arriving
//! in the folder named in the preferences (a test centre's share, a USB stick), and
//! tells the UI through `LibraryChanged`. Changing the folder restarts the watch.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use studyhall_core::inbox::Inbox;
use tauri::{AppHandle, Manager};

use crate::events::ImportSource;
use crate::import;
use crate::state::AppState;

/// How often the watcher looks for a changed folder preference.
const POLL: Duration = Duration::from_millis(500);
/// How long to wait before trying again to watch a folder that could not be watched.
const RETRY: Duration = Duration::from_secs(5);

/// Starts the watcher thread for the life of the app.
pub fn start(app: AppHandle) {
    let spawned = std::thread::Builder::new()
        .name("inbox".into())
        .spawn(move || watch_forever(&app));
    if let Err(error) = spawned {
        tracing::error!("could not start watching the inbox folder: {error}");
    }
}

/// Tells the watcher the preferences changed; it re-reads the folder within [`POLL`].
pub fn folder_changed(state: &AppState) {
    state.inbox_generation.fetch_add(1, Ordering::SeqCst);
}

fn watch_forever(app: &AppHandle) {
    let state = app.state::<AppState>();
    loop {
        let generation = state.inbox_generation.load(Ordering::SeqCst);
        let folder = match state.with_studyhall(|studyhall| studyhall.preferences()) {
            Ok(preferences) => PathBuf::from(preferences.inbox_folder),
            Err(error) => {
                tracing::warn!("inbox not watched: {}", error.message);
                std::thread::sleep(RETRY);
                continue;
            }
        };
        let mut inbox = match Inbox::watch(&folder) {
            Ok(inbox) => inbox,
            Err(error) => {
                tracing::warn!(folder = %folder.display(), "inbox not watched: {error}");
                wait_for_change(&state, generation, RETRY);
                continue;
            }
        };
        tracing::info!(folder = %folder.display(), "watching the inbox folder");
        while state.inbox_generation.load(Ordering::SeqCst) == generation {
            for pack in inbox.wait(POLL) {
                // The outcome reaches the UI as an event and the log; nothing else to do.
                let _ = import::import(app, &pack, ImportSource::Inbox);
            }
        }
    }
}

/// Sleeps up to `limit`, waking early when the folder preference changes.
fn wait_for_change(state: &AppState, generation: u64, limit: Duration) {
    let mut waited = Duration::ZERO;
    while waited < limit && state.inbox_generation.load(Ordering::SeqCst) == generation {
        std::thread::sleep(POLL);
        waited += POLL;
    }
}
