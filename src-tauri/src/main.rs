//! The `studyhall` desktop binary: everything lives in the library so tests can reach it.

// Release builds on Windows get no console window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    studyhall_app::run();
}
