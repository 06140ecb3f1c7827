//! Build script: Tauri's code generation, plus the app's command manifest so that each
//! command is denied unless a capability in `capabilities/` allows it.

use std::path::Path;

/// Every command the shell registers (keep in step with `bindings::builder`).
const COMMANDS: &[&str] = &[
    "list_courses",
    "course_outline",
    "lesson",
    "open_lesson",
    "record_study_time",
    "complete_lesson",
    "answer_question",
    "course_progress",
    "streak",
    "topic_accuracy",
    "daily_activity",
    "search",
    "notes",
    "add_note",
    "edit_note",
    "delete_note",
    "set_bookmark",
    "bookmarks",
    "import_pack",
    "preferences",
    "set_preferences",
    "library_interactive",
    "video_url",
    "list_exams",
    "begin_exam",
    "allow_exam_breaks",
    "exam_paper",
    "exam_system_check",
    "start_exam",
    "exam_tick",
    "save_exam_answer",
    "flag_exam_item",
    "set_exam_position",
    "pause_exam",
    "resume_exam",
    "log_exam_event",
    "submit_exam",
    "exam_result",
    "export_exam_result",
    "proctor_exit",
    "grant_exam_time",
    "interrupted_exam",
    "exam_resume_count",
    "resume_exam_with_code",
    "sign_in",
    "sign_out",
    "sync_account",
    "trust_server_keys",
    "enroll_device",
    "begin_released_exam",
    "sync_status",
    "sync_now",
];

fn main() {
    ensure_frontend_dist();
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}

/// `tauri::generate_context!` embeds `ui/dist` and refuses to compile without it. So that
/// `cargo check --workspace` works before the UI was ever built, put a placeholder page there
/// and say so; `cargo xtask run|test` always build the real UI first, which replaces it.
fn ensure_frontend_dist() {
    let dist = Path::new("../ui/dist");
    if dist.join("index.html").exists() {
        return;
    }
    let written = std::fs::create_dir_all(dist)
        .and_then(|()| std::fs::write(dist.join("index.html"), PLACEHOLDER_PAGE));
    match written {
        Ok(()) => println!(
            "cargo:warning=ui/dist was missing; embedded a placeholder page. Build the UI with `cargo xtask run` or `npm --prefix ui run build`."
        ),
        Err(error) => panic!("ui/dist is missing and could not be created: {error}"),
    }
}

const PLACEHOLDER_PAGE: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Studyhall</title></head>\n<body><main><h1>Studyhall</h1><p>The user interface was not built. Run <code>cargo xtask run</code>.</p></main></body></html>\n";
