//! Studyhall's desktop shell. It owns the window, the IPC boundary and nothing else: each
//! command is a few lines that call the `studyhall_core::Studyhall` façade, and every type
//! that crosses IPC is exported to `ui/src/bindings.ts` by [`bindings::builder`].

pub mod bindings;
mod commands;
mod error;
mod events;
mod import;
mod inbox;
mod lockdown;
mod media;
mod profile;
mod startup;
mod state;
mod stream;
mod sync;

use tauri::Manager;

pub use error::{IpcError, IpcErrorCode};
pub use startup::INTERACTIVE_MESSAGE;

/// The label of the one window, as declared in `tauri.conf.json`.
const MAIN_WINDOW: &str = "main";

/// Starts the app and blocks until its last window closes.
pub fn run() {
    startup::note_process_start();
    init_logging();
    let bindings = bindings::builder();

    let result = tauri::Builder::default()
        // Must be the first plugin: a second launch hands over to the running app and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            focus_main_window(app);
        }))
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .manage(lockdown::Lockdown::default())
        .on_window_event(lockdown::on_window_event)
        .plugin(lockdown::navigation_guard())
        .register_asynchronous_uri_scheme_protocol(media::SCHEME, media::handle)
        .invoke_handler(bindings.invoke_handler())
        .setup(move |app| {
            bindings.mount_events(app);
            let profile_dir = profile::resolve(app.handle())?;
            app.manage(state::AppState::open(&profile_dir));
            // After the façade opened the profile (which makes the device key on first
            // run), so that the worker opens an existing one.
            app.manage(sync::SyncService::start(app.handle(), &profile_dir));
            inbox::start(app.handle().clone());
            if let Some(server) = stream::StreamServer::start(app.handle()) {
                app.manage(server);
            }
            Ok(())
        })
        .run(tauri::generate_context!());

    if let Err(error) = result {
        tracing::error!("Studyhall could not start: {error}");
        std::process::exit(1);
    }
}

fn focus_main_window(app: &tauri::AppHandle) {
    let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
        return;
    };
    let focused = window
        .unminimize()
        .and_then(|()| window.show())
        .and_then(|()| window.set_focus());
    if let Err(error) = focused {
        tracing::warn!("could not focus the Studyhall window: {error}");
    }
}

/// Logs go to stderr; `RUST_LOG` overrides the default level.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second initialisation (only possible in tests) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
