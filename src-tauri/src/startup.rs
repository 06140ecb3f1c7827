//! When the app became usable: the process start is noted first thing in `run`, and the
//! UI reports when the library is interactive. The elapsed time goes to the log, where
//! people diagnosing a slow start and the start-up benchmark read it.

use std::sync::OnceLock;
use std::time::Instant;

/// The log line's text, which the start-up benchmark looks for.
pub const INTERACTIVE_MESSAGE: &str = "library interactive";

static STARTED: OnceLock<Instant> = OnceLock::new();
static REPORTED: OnceLock<()> = OnceLock::new();

pub fn note_process_start() {
    STARTED.get_or_init(Instant::now);
}

/// Logs the time since start, once per process.
pub fn library_interactive() {
    let (Some(started), Ok(())) = (STARTED.get(), REPORTED.set(())) else {
        return;
    };
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(elapsed_ms, "{INTERACTIVE_MESSAGE}");
}
