//! The locked-down exam window. While a session runs (or is on a break) the main window
//! is fullscreen, always on top and without decorations; a close request is refused;
//! the clipboard is cleared at the start and the end; focus changes and displays coming
//! and going are written to the proctor log.
//!
//! What the operating system does not let an app prevent (switching to another window
//! with the window manager's keys, screenshots on Linux, a second program reading the
//! screen) is detected where possible and logged, never claimed as prevented. Content
//! protection is asked for where the OS offers it (Windows, macOS); on Linux it is not
//! offered, and the lockdown record says so.

use std::sync::Mutex;
use std::time::Duration;

use studyhall_core::exam::log::LogKind;
use studyhall_core::exam::session::{SessionState, SessionView};
use tauri::{AppHandle, Manager, WebviewWindow, Window, WindowEvent};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tauri_specta::Event as _;

use crate::MAIN_WINDOW;
use crate::events::CloseRefused;
use crate::state::AppState;

/// How often the displays are looked at while locked.
const DISPLAY_POLL: Duration = Duration::from_secs(2);

/// Which session holds the window locked, if any.
#[derive(Debug, Default)]
pub struct Lockdown {
    session: Mutex<Option<String>>,
}

impl Lockdown {
    fn session(&self) -> Option<String> {
        self.session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn set(&self, session: Option<String>) -> Option<String> {
        std::mem::replace(
            &mut *self
                .session
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
            session,
        )
    }
}

/// Locks or unlocks the window to match the session's state.
pub fn follow(app: &AppHandle, session: &SessionView) {
    match session.state {
        SessionState::Running | SessionState::Paused => engage(app, &session.session_id),
        SessionState::Submitted => release(app),
        SessionState::Lobby => {}
    }
}

/// Locks the window for `session_id` (nothing happens if it already is).
pub fn engage(app: &AppHandle, session_id: &str) {
    let lockdown = app.state::<Lockdown>();
    if lockdown.session().as_deref() == Some(session_id) {
        return;
    }
    lockdown.set(Some(session_id.to_owned()));
    let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
        tracing::error!("the exam window is missing; the exam cannot be locked down");
        return;
    };
    let applied = apply(&window, true);
    let cleared = app.clipboard().clear().is_ok();
    let record = serde_json::json!({
        "lockdown": {
            "fullscreen": applied.fullscreen,
            "always_on_top": applied.always_on_top,
            "decorations_removed": applied.decorations,
            "close_refused_until_submission": true,
            "clipboard_cleared": cleared,
            "content_protection": content_protection(&window),
            "not_preventable": [
                "switching windows with the window manager's own keys (logged as focus loss)",
                "screen capture by other programs on this OS"
            ],
        }
    });
    log(app, session_id, LogKind::SystemCheck, record);
    watch_displays(app.clone(), session_id.to_owned());
    tracing::info!(session = session_id, "exam window locked down");
}

/// Unlocks the window (after submission, or the proctor's exit).
pub fn release(app: &AppHandle) {
    if app.state::<Lockdown>().set(None).is_none() {
        return;
    }
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        apply(&window, false);
    }
    let _ = app.clipboard().clear();
    tracing::info!("exam window released");
}

struct Applied {
    fullscreen: bool,
    always_on_top: bool,
    decorations: bool,
}

fn apply(window: &WebviewWindow, locked: bool) -> Applied {
    let report = |what: &str, result: tauri::Result<()>| match result {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!("could not {what} the exam window: {error}");
            false
        }
    };
    let decorations = report("change the decorations of", window.set_decorations(!locked));
    let always_on_top = report("raise", window.set_always_on_top(locked));
    let fullscreen = report("make fullscreen", window.set_fullscreen(locked));
    report("change closability of", window.set_closable(!locked));
    report("change minimizability of", window.set_minimizable(!locked));
    if locked {
        report("focus", window.set_focus());
    }
    Applied {
        fullscreen,
        always_on_top,
        decorations,
    }
}

fn content_protection(window: &WebviewWindow) -> &'static str {
    if cfg!(target_os = "linux") {
        "not offered by this operating system"
    } else if window.set_content_protected(true).is_ok() {
        "on"
    } else {
        "could not be turned on"
    }
}

/// The window events that matter while locked: close requests are refused, focus
/// changes logged.
pub fn on_window_event(window: &Window, event: &WindowEvent) {
    if window.label() != MAIN_WINDOW {
        return;
    }
    let app = window.app_handle();
    let Some(session_id) = app.state::<Lockdown>().session() else {
        return;
    };
    match event {
        WindowEvent::CloseRequested { api, .. } => {
            api.prevent_close();
            log(
                app,
                &session_id,
                LogKind::CloseRefused,
                serde_json::json!({}),
            );
            if let Err(error) = (CloseRefused {
                session_id: session_id.clone(),
            })
            .emit(app)
            {
                tracing::warn!("could not tell the UI the close was refused: {error}");
            }
        }
        WindowEvent::Focused(false) => {
            log(app, &session_id, LogKind::FocusLost, serde_json::json!({}));
        }
        WindowEvent::Focused(true) => {
            log(
                app,
                &session_id,
                LogKind::FocusRegained,
                serde_json::json!({}),
            );
        }
        _ => {}
    }
}

/// Polls the displays while `session_id` holds the window; logs each change.
fn watch_displays(app: AppHandle, session_id: String) {
    let spawned = std::thread::Builder::new()
        .name("exam-displays".into())
        .spawn(move || {
            let mut known = displays(&app);
            while app.state::<Lockdown>().session().as_deref() == Some(session_id.as_str()) {
                std::thread::sleep(DISPLAY_POLL);
                let now = displays(&app);
                for added in now.iter().filter(|d| !known.contains(d)) {
                    log(
                        &app,
                        &session_id,
                        LogKind::DisplayAdded,
                        serde_json::json!({ "display": added, "count": now.len() }),
                    );
                }
                for removed in known.iter().filter(|d| !now.contains(d)) {
                    log(
                        &app,
                        &session_id,
                        LogKind::DisplayRemoved,
                        serde_json::json!({ "display": removed, "count": now.len() }),
                    );
                }
                known = now;
            }
        });
    if let Err(error) = spawned {
        tracing::error!("could not watch the displays during the exam: {error}");
    }
}

/// The connected displays, named with their size and place.
pub fn displays(app: &AppHandle) -> Vec<String> {
    let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
        return Vec::new();
    };
    match window.available_monitors() {
        Ok(monitors) => monitors
            .iter()
            .map(|m| {
                let size = m.size();
                let at = m.position();
                format!(
                    "{} {}x{} at {},{}",
                    m.name().map_or("display", |n| n.as_str()),
                    size.width,
                    size.height,
                    at.x,
                    at.y
                )
            })
            .collect(),
        Err(error) => {
            tracing::warn!("could not list the displays: {error}");
            Vec::new()
        }
    }
}

fn log(app: &AppHandle, session_id: &str, kind: LogKind, detail: serde_json::Value) {
    let state = app.state::<AppState>();
    let logged =
        state.with_studyhall(|studyhall| studyhall.log_exam_event(session_id, kind, detail));
    if logged.is_err() {
        tracing::error!(
            session = session_id,
            ?kind,
            "could not write the proctor log"
        );
    }
}

/// Keeps the window on the app's own pages: a link or script cannot navigate it (and
/// an exam) away.
pub fn navigation_guard<R: tauri::Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_webview, url| {
            let own = url.scheme() == "tauri"
                || matches!(url.host_str(), Some("tauri.localhost" | "localhost"));
            if !own {
                tracing::warn!(%url, "refused to navigate away from Studyhall");
            }
            own
        })
        .build()
}
