//! The `studyhall` desktop binary: everything lives in the library so tests can reach it.

// Release builds on Windows get no console window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    #[cfg(target_os = "linux")]
    disable_webkit_compositing();
    studyhall_app::run();
}

/// WebKitGTK's accelerated compositing costs about 100 MiB in the web process (measured
/// with the library open) and buys nothing for Studyhall's pages. WebKit reads this
/// variable when it starts its processes, so it must be set before anything else runs;
/// a value set by the user is left alone.
#[cfg(target_os = "linux")]
fn disable_webkit_compositing() {
    const VARIABLE: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    if std::env::var_os(VARIABLE).is_none() {
        // SAFETY: this is the first statement of `main`; no other thread exists yet, so
        // nothing can read or write the environment at the same time.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var(VARIABLE, "1");
        }
    }
}
