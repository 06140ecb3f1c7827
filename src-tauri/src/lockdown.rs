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
/// How long the window manager gets to apply the lockdown before it is recorded.
const SETTLE: Duration = Duration::from_secs(3);

/// Which session holds the window locked, if any.
#[derive(Debug, Default)]
pub struct Lockdown {
    session: Mutex<Option<String>>,
    /// When the window was last locked: focus changes in the moment after are the
    /// lockdown's own doing as often as the candidate's, and are marked so.
    engaged_at: Mutex<Option<std::time::Instant>>,
}

impl Lockdown {
    fn session(&self) -> Option<String> {
        self.session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn settling(&self) -> bool {
        self.engaged_at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .is_some_and(|at| at.elapsed() < SETTLE)
    }

    fn set(&self, session: Option<String>) -> Option<String> {
        *self
            .engaged_at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) =
            session.as_ref().map(|_| std::time::Instant::now());
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
    let requested = apply(&window, true);
    let cleared = app.clipboard().clear().is_ok();
    let content_protection = content_protection(&window);
    let app = app.clone();
    let session_id = session_id.to_owned();
    let spawned = std::thread::Builder::new()
        .name("exam-lockdown".into())
        .spawn(move || {
            // The window manager applies the requests (or ignores them) a moment later:
            // the record says what was observed, not what was asked for.
            let observed = observe(&window);
            let record = serde_json::json!({
                "lockdown": {
                    "fullscreen": observed.fullscreen,
                    // GTK does not reliably report the window manager's "above" state
                    // back, so both halves are recorded: asked for, and seen.
                    "always_on_top": {
                        "requested": requested.always_on_top,
                        "reported": observed.always_on_top,
                    },
                    "decorations_removed": observed.undecorated,
                    "requests_accepted": requested.all(),
                    "close_refused_until_submission": true,
                    "clipboard_cleared": cleared,
                    "content_protection": content_protection,
                    "not_preventable": [
                        "switching windows with the window manager's own keys (logged as focus loss)",
                        "screen capture by other programs on this OS"
                    ],
                }
            });
            if !observed.fullscreen {
                tracing::warn!(
                    session = %session_id,
                    "the window manager did not make the exam window fullscreen; the proctor log records it"
                );
            }
            log(&app, &session_id, LogKind::SystemCheck, record);
            tracing::info!(session = %session_id, "exam window locked down");
            watch_displays(&app, &session_id);
        });
    if let Err(error) = spawned {
        tracing::error!("could not check the exam window's lockdown: {error}");
    }
}

/// What the window looks like after the lockdown requests.
struct Observed {
    fullscreen: bool,
    always_on_top: bool,
    undecorated: bool,
}

/// Looks at the window for up to [`SETTLE`] until it is fullscreen (reported so and
/// covering its monitor) and reported on top.
fn observe(window: &WebviewWindow) -> Observed {
    let look = || {
        let covers_monitor = match (window.outer_size(), window.current_monitor()) {
            (Ok(size), Ok(Some(monitor))) => {
                size.width >= monitor.size().width && size.height >= monitor.size().height
            }
            _ => false,
        };
        Observed {
            fullscreen: window.is_fullscreen().unwrap_or(false) && covers_monitor,
            always_on_top: window.is_always_on_top().unwrap_or(false),
            undecorated: !window.is_decorated().unwrap_or(true),
        }
    };
    let deadline = std::time::Instant::now() + SETTLE;
    loop {
        let observed = look();
        if (observed.fullscreen && observed.always_on_top) || std::time::Instant::now() >= deadline
        {
            return observed;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
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

impl Applied {
    fn all(&self) -> bool {
        self.fullscreen && self.always_on_top && self.decorations
    }
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
        WindowEvent::Focused(focused) => {
            let kind = if *focused {
                LogKind::FocusRegained
            } else {
                LogKind::FocusLost
            };
            let detail = if app.state::<Lockdown>().settling() {
                serde_json::json!({ "while_locking": true })
            } else {
                serde_json::json!({})
            };
            log(app, &session_id, kind, detail);
        }
        _ => {}
    }
}

/// Polls the displays while `session_id` holds the window; logs each change.
fn watch_displays(app: &AppHandle, session_id: &str) {
    let mut known = displays(app);
    while app.state::<Lockdown>().session().as_deref() == Some(session_id) {
        std::thread::sleep(DISPLAY_POLL);
        let now = displays(app);
        for added in now.iter().filter(|d| !known.contains(d)) {
            log(
                app,
                session_id,
                LogKind::DisplayAdded,
                serde_json::json!({ "display": added, "count": now.len() }),
            );
        }
        for removed in known.iter().filter(|d| !now.contains(d)) {
            log(
                app,
                session_id,
                LogKind::DisplayRemoved,
                serde_json::json!({ "display": removed, "count": now.len() }),
            );
        }
        known = now;
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
