//! The Tauri commands. Each one makes one call on the `studyhall_core` façade; there is no
//! logic here. Core's types cross IPC as they are (they derive `specta::Type` under core's
//! `specta` feature), errors as [`IpcError`].

use std::path::PathBuf;

use studyhall_core::content::Response;
use studyhall_core::course::{CourseOutline, LessonView};
use studyhall_core::notes::{Bookmark, Note};
use studyhall_core::preferences::Preferences;
use studyhall_core::study::{AnswerFeedback, CourseProgress, DailyActivity, Streak, TopicAccuracy};
use studyhall_core::{CourseSummary, ImportOutcome, SearchHit};
use tauri::{AppHandle, State};

use crate::error::IpcError;
use crate::events::ImportSource;
use crate::state::AppState;
use crate::stream::StreamServer;
use crate::{import, inbox};

type Answer<T> = Result<T, IpcError>;

/// The installed courses with the learner's progress, for the library screen.
#[tauri::command]
#[specta::specta]
pub async fn list_courses(state: State<'_, AppState>) -> Answer<Vec<CourseSummary>> {
    state.with_studyhall(|studyhall| studyhall.courses())
}

/// A course's modules and lessons, with which lessons are complete.
#[tauri::command]
#[specta::specta]
pub async fn course_outline(state: State<'_, AppState>, pack_id: String) -> Answer<CourseOutline> {
    state.with_studyhall(|studyhall| studyhall.course_outline(&pack_id))
}

/// One lesson, ready to show; quiz questions come without their answer keys.
#[tauri::command]
#[specta::specta]
pub async fn lesson(
    state: State<'_, AppState>,
    pack_id: String,
    lesson_id: String,
) -> Answer<LessonView> {
    state.with_studyhall(|studyhall| studyhall.lesson(&pack_id, &lesson_id))
}

/// The learner opened a lesson.
#[tauri::command]
#[specta::specta]
pub async fn open_lesson(
    state: State<'_, AppState>,
    pack_id: String,
    lesson_id: String,
) -> Answer<()> {
    state.with_studyhall(|studyhall| studyhall.open_lesson(&pack_id, &lesson_id).map(drop))
}

/// Active (not idle) time spent on a lesson since the last report; at most 300 s a report.
#[tauri::command]
#[specta::specta]
pub async fn record_study_time(
    state: State<'_, AppState>,
    pack_id: String,
    lesson_id: String,
    active_seconds: u32,
) -> Answer<()> {
    state.with_studyhall(|studyhall| {
        studyhall
            .record_study_time(&pack_id, &lesson_id, active_seconds)
            .map(drop)
    })
}

/// The learner finished a lesson.
#[tauri::command]
#[specta::specta]
pub async fn complete_lesson(
    state: State<'_, AppState>,
    pack_id: String,
    lesson_id: String,
) -> Answer<()> {
    state.with_studyhall(|studyhall| studyhall.complete_lesson(&pack_id, &lesson_id).map(drop))
}

/// Scores a practice answer, records it, and returns the feedback to show.
#[tauri::command]
#[specta::specta]
pub async fn answer_question(
    state: State<'_, AppState>,
    pack_id: String,
    question_id: String,
    response: Response,
) -> Answer<AnswerFeedback> {
    state.with_studyhall(|studyhall| studyhall.answer_question(&pack_id, &question_id, &response))
}

#[tauri::command]
#[specta::specta]
pub async fn course_progress(
    state: State<'_, AppState>,
    pack_id: String,
) -> Answer<CourseProgress> {
    state.with_studyhall(|studyhall| studyhall.course_progress(&pack_id))
}

#[tauri::command]
#[specta::specta]
pub async fn streak(state: State<'_, AppState>) -> Answer<Streak> {
    state.with_studyhall(|studyhall| studyhall.streak())
}

#[tauri::command]
#[specta::specta]
pub async fn topic_accuracy(
    state: State<'_, AppState>,
    pack_id: String,
) -> Answer<Vec<TopicAccuracy>> {
    state.with_studyhall(|studyhall| studyhall.topic_accuracy(&pack_id))
}

/// Study on each of the last `days` days, oldest first, zeros included.
#[tauri::command]
#[specta::specta]
pub async fn daily_activity(state: State<'_, AppState>, days: u32) -> Answer<Vec<DailyActivity>> {
    state.with_studyhall(|studyhall| studyhall.daily_activity(days))
}

/// Ranked full-text search over lessons, transcripts and questions.
#[tauri::command]
#[specta::specta]
pub async fn search(
    state: State<'_, AppState>,
    query: String,
    limit: u32,
) -> Answer<Vec<SearchHit>> {
    state.with_studyhall(|studyhall| studyhall.search(&query, limit.min(200) as usize))
}

/// Notes of a course, or of one lesson, oldest first.
#[tauri::command]
#[specta::specta]
pub async fn notes(
    state: State<'_, AppState>,
    pack_id: String,
    lesson_id: Option<String>,
) -> Answer<Vec<Note>> {
    state.with_studyhall(|studyhall| studyhall.notes(&pack_id, lesson_id.as_deref()))
}

#[tauri::command]
#[specta::specta]
pub async fn add_note(
    state: State<'_, AppState>,
    pack_id: String,
    lesson_id: String,
    quote: String,
    body: String,
) -> Answer<Note> {
    state.with_studyhall(|studyhall| studyhall.add_note(&pack_id, &lesson_id, &quote, &body))
}

#[tauri::command]
#[specta::specta]
pub async fn edit_note(state: State<'_, AppState>, note_id: String, body: String) -> Answer<()> {
    state.with_studyhall(|studyhall| studyhall.edit_note(&note_id, &body))
}

#[tauri::command]
#[specta::specta]
pub async fn delete_note(state: State<'_, AppState>, note_id: String) -> Answer<()> {
    state.with_studyhall(|studyhall| studyhall.delete_note(&note_id))
}

#[tauri::command]
#[specta::specta]
pub async fn set_bookmark(
    state: State<'_, AppState>,
    pack_id: String,
    lesson_id: String,
    bookmarked: bool,
) -> Answer<()> {
    state.with_studyhall(|studyhall| studyhall.set_bookmark(&pack_id, &lesson_id, bookmarked))
}

/// Bookmarked lessons, newest first.
#[tauri::command]
#[specta::specta]
pub async fn bookmarks(state: State<'_, AppState>) -> Answer<Vec<Bookmark>> {
    state.with_studyhall(|studyhall| studyhall.bookmarks())
}

/// Verifies and installs a pack chosen in the file dialog or dropped on the window,
/// reporting progress with `ImportProgress` events. On error nothing changes.
#[tauri::command]
#[specta::specta]
pub async fn import_pack(app: AppHandle, path: String) -> Answer<ImportOutcome> {
    import::in_background(app, PathBuf::from(path), ImportSource::Dialog).await
}

#[tauri::command]
#[specta::specta]
pub async fn preferences(state: State<'_, AppState>) -> Answer<Preferences> {
    state.with_studyhall(|studyhall| studyhall.preferences())
}

/// Keeps the preferences; a new inbox folder is watched from now on.
#[tauri::command]
#[specta::specta]
pub async fn set_preferences(state: State<'_, AppState>, preferences: Preferences) -> Answer<()> {
    state.with_studyhall(|studyhall| studyhall.set_preferences(&preferences))?;
    inbox::folder_changed(&state);
    Ok(())
}

/// Where the video player reads a pack file: a loopback HTTP URL (see `stream`).
#[tauri::command]
#[specta::specta]
pub async fn video_url(
    server: State<'_, StreamServer>,
    pack_id: String,
    path: String,
) -> Answer<String> {
    Ok(server.url(&pack_id, &path))
}

/// The UI shows an interactive library: logs the time since the process started, which
/// the start-up benchmark reads.
#[tauri::command]
#[specta::specta]
pub fn library_interactive() {
    crate::startup::library_interactive();
}
