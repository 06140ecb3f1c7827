//! Events the shell sends to the UI, exported to the bindings with the commands.

use serde::Serialize;
use studyhall_core::ImportOutcome;
use studyhall_core::sync::worker::SyncState;
use tauri_specta::Event;

use crate::error::IpcError;

/// Progress of a pack import, in bytes of the current phase.
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct ImportProgress {
    /// The pack's file name.
    pub file: String,
    /// What is being done, in words (for example "Verifying").
    pub phase: String,
    /// Bytes; `f64` because TypeScript numbers are doubles (exact up to 2^53 bytes).
    pub done: f64,
    pub total: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ImportSource {
    /// A pack that arrived in the watched inbox folder.
    Inbox,
    /// A pack chosen in the file dialog or dropped on the window.
    Dialog,
}

/// An import finished, successfully or not: the library may have changed.
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct LibraryChanged {
    pub source: ImportSource,
    /// The pack's file name.
    pub file: String,
    pub outcome: Option<ImportOutcome>,
    pub error: Option<IpcError>,
}

/// Background sync changed its state (a round began or ended, a download moved on).
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct SyncStateChanged {
    pub state: SyncState,
}

/// The locked exam window refused a close request (the proctor log records it).
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct CloseRefused {
    pub session_id: String,
}
