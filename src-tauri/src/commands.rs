//! The Tauri commands. Each one makes one call on the `studyhall_core` façade; there is no
//! logic here. Core's types cross IPC as they are (they derive `specta::Type` under core's
//! `specta` feature), errors as [`IpcError`].

use std::path::PathBuf;

use studyhall_core::content::Response;
use studyhall_core::course::{CourseOutline, LessonView};
use studyhall_core::exam::session::{FinishedResult, Reopened, SessionView, Timer};
use studyhall_core::notes::{Bookmark, Note};
use studyhall_core::preferences::Preferences;
use studyhall_core::study::{AnswerFeedback, CourseProgress, DailyActivity, Streak, TopicAccuracy};
use studyhall_core::sync::account::SyncAccount;
use studyhall_core::sync::worker::SyncState;
use studyhall_core::{
    CourseSummary, ExamAnswerSaved, ExamPaper, ExamSummary, ImportOutcome, ObservedEvent,
    SearchHit, SystemCheck,
};
use tauri::{AppHandle, State};

use crate::error::IpcError;
use crate::events::ImportSource;
use crate::state::AppState;
use crate::stream::StreamServer;
use crate::sync::SyncService;
use crate::{import, inbox, lockdown};

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

/// The installed exams, for the exams screen.
#[tauri::command]
#[specta::specta]
pub async fn list_exams(state: State<'_, AppState>) -> Answer<Vec<ExamSummary>> {
    state.with_studyhall(|studyhall| studyhall.exams())
}

/// Unlocks an exam with the proctor's start code; the session waits in the lobby.
#[tauri::command]
#[specta::specta]
pub async fn begin_exam(
    state: State<'_, AppState>,
    exam_id: String,
    start_code: String,
    extra_time_percent: u32,
) -> Answer<ExamPaper> {
    state
        .with_studyhall(|studyhall| studyhall.begin_exam(&exam_id, &start_code, extra_time_percent))
}

/// In the lobby, the proctor gives the attempt break time in all (an accommodation).
#[tauri::command]
#[specta::specta]
pub async fn allow_exam_breaks(
    state: State<'_, AppState>,
    session_id: String,
    minutes: u32,
) -> Answer<ExamPaper> {
    state.with_studyhall(|studyhall| studyhall.allow_exam_breaks(&session_id, minutes))
}

/// The session as the candidate's screen shows it; a running session locks the window.
#[tauri::command]
#[specta::specta]
pub async fn exam_paper(
    app: AppHandle,
    state: State<'_, AppState>,
    session_id: String,
) -> Answer<ExamPaper> {
    let paper = state.with_studyhall(|studyhall| studyhall.exam_paper(&session_id))?;
    lockdown::follow(&app, &paper.session);
    Ok(paper)
}

/// The lobby's system check: displays, virtual machine indicators, disk space.
#[tauri::command]
#[specta::specta]
pub async fn exam_system_check(app: AppHandle, state: State<'_, AppState>) -> Answer<SystemCheck> {
    let displays = u32::try_from(lockdown::displays(&app).len()).unwrap_or(u32::MAX);
    state.with_studyhall(|studyhall| Ok(studyhall.exam_system_check(displays)))
}

/// Checks the system again, starts the clock and locks the window down.
#[tauri::command]
#[specta::specta]
pub async fn start_exam(
    app: AppHandle,
    state: State<'_, AppState>,
    session_id: String,
) -> Answer<ExamPaper> {
    let displays = u32::try_from(lockdown::displays(&app).len()).unwrap_or(u32::MAX);
    let paper = state.with_studyhall(|studyhall| {
        let check = studyhall.exam_system_check(displays);
        studyhall.start_exam(&session_id, &check)
    })?;
    lockdown::follow(&app, &paper.session);
    Ok(paper)
}

/// Accounts for exam time; the UI calls it about once a second while the exam runs.
#[tauri::command]
#[specta::specta]
pub async fn exam_tick(state: State<'_, AppState>, session_id: String) -> Answer<Timer> {
    state.with_studyhall(|studyhall| studyhall.exam_tick(&session_id))
}

/// Saves an answer; it is on disk when this returns.
#[tauri::command]
#[specta::specta]
pub async fn save_exam_answer(
    state: State<'_, AppState>,
    session_id: String,
    question_id: String,
    response: Response,
) -> Answer<ExamAnswerSaved> {
    state.with_studyhall(|studyhall| {
        studyhall.save_exam_answer(&session_id, &question_id, &response)
    })
}

#[tauri::command]
#[specta::specta]
pub async fn flag_exam_item(
    state: State<'_, AppState>,
    session_id: String,
    question_id: String,
    flagged: bool,
) -> Answer<()> {
    state.with_studyhall(|studyhall| studyhall.flag_exam_item(&session_id, &question_id, flagged))
}

/// Where the candidate is, so a restart reopens there.
#[tauri::command]
#[specta::specta]
pub async fn set_exam_position(
    state: State<'_, AppState>,
    session_id: String,
    section: u32,
    item: u32,
) -> Answer<()> {
    state.with_studyhall(|studyhall| studyhall.set_exam_position(&session_id, section, item))
}

/// A break: the clock stops.
#[tauri::command]
#[specta::specta]
pub async fn pause_exam(state: State<'_, AppState>, session_id: String) -> Answer<SessionView> {
    state.with_studyhall(|studyhall| studyhall.pause_exam(&session_id, "break"))
}

#[tauri::command]
#[specta::specta]
pub async fn resume_exam(state: State<'_, AppState>, session_id: String) -> Answer<SessionView> {
    state.with_studyhall(|studyhall| studyhall.resume_exam(&session_id))
}

/// Something the exam screen blocked or noticed, for the proctor log.
#[tauri::command]
#[specta::specta]
pub async fn log_exam_event(
    state: State<'_, AppState>,
    session_id: String,
    event: ObservedEvent,
) -> Answer<()> {
    state.with_studyhall(|studyhall| studyhall.log_observed_event(&session_id, &event))
}

/// Submits, seals the result into the outbox and releases the window; background sync
/// delivers the result at once when the server answers.
#[tauri::command]
#[specta::specta]
pub async fn submit_exam(
    app: AppHandle,
    state: State<'_, AppState>,
    sync: State<'_, SyncService>,
    session_id: String,
) -> Answer<FinishedResult> {
    let result = state.with_studyhall(|studyhall| studyhall.submit_exam(&session_id))?;
    lockdown::follow(&app, &result.session);
    sync.sync_now();
    Ok(result)
}

/// A submitted session's result (sealed on first asking).
#[tauri::command]
#[specta::specta]
pub async fn exam_result(
    app: AppHandle,
    state: State<'_, AppState>,
    session_id: String,
) -> Answer<FinishedResult> {
    let result = state.with_studyhall(|studyhall| studyhall.exam_result(&session_id))?;
    lockdown::follow(&app, &result.session);
    Ok(result)
}

/// With the proctor's PIN, writes the sealed result into a folder; returns the file.
#[tauri::command]
#[specta::specta]
pub async fn export_exam_result(
    state: State<'_, AppState>,
    session_id: String,
    folder: String,
    proctor_pin: String,
) -> Answer<String> {
    state.with_studyhall(|studyhall| {
        studyhall
            .export_exam_result(&session_id, &PathBuf::from(folder), &proctor_pin)
            .map(|path| path.display().to_string())
    })
}

/// With the proctor's PIN, releases the window and quits; the attempt stays open.
#[tauri::command]
#[specta::specta]
pub async fn proctor_exit(
    app: AppHandle,
    state: State<'_, AppState>,
    session_id: String,
    proctor_pin: String,
) -> Answer<()> {
    state.with_studyhall(|studyhall| studyhall.proctor_exit(&session_id, &proctor_pin))?;
    lockdown::release(&app);
    app.exit(0);
    Ok(())
}

/// With the proctor's PIN, adds minutes to the exam.
#[tauri::command]
#[specta::specta]
pub async fn grant_exam_time(
    state: State<'_, AppState>,
    session_id: String,
    minutes: u32,
    proctor_pin: String,
) -> Answer<SessionView> {
    state.with_studyhall(|studyhall| studyhall.grant_exam_time(&session_id, minutes, &proctor_pin))
}

/// The exam the app was in when it stopped, if any; a running one locks the window.
#[tauri::command]
#[specta::specta]
pub async fn interrupted_exam(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Answer<Option<Reopened>> {
    let reopened = state.with_studyhall(|studyhall| studyhall.interrupted_exam())?;
    if let Some(Reopened::Continue { session }) = &reopened {
        lockdown::follow(&app, session);
    }
    Ok(reopened)
}

/// Resume codes this session has accepted (the proctor's command needs the number).
#[tauri::command]
#[specta::specta]
pub async fn exam_resume_count(state: State<'_, AppState>, session_id: String) -> Answer<u32> {
    state.with_studyhall(|studyhall| studyhall.exam_resume_count(&session_id))
}

/// Goes on past the reboot limit with the proctor's resume code.
#[tauri::command]
#[specta::specta]
pub async fn resume_exam_with_code(
    app: AppHandle,
    state: State<'_, AppState>,
    session_id: String,
    code: String,
) -> Answer<ExamPaper> {
    let paper =
        state.with_studyhall(|studyhall| studyhall.resume_exam_with_code(&session_id, &code))?;
    lockdown::follow(&app, &paper.session);
    Ok(paper)
}

/// Signs in to a Studyhall server (and fetches the keys it presents, without trusting
/// them); background sync starts at once.
#[tauri::command]
#[specta::specta]
pub async fn sign_in(
    state: State<'_, AppState>,
    sync: State<'_, SyncService>,
    server_url: String,
    username: String,
    password: String,
) -> Answer<SyncAccount> {
    let account = state
        .with_own_studyhall(move |studyhall| studyhall.sign_in(&server_url, &username, &password))
        .await?;
    sync.sync_now();
    Ok(account)
}

/// Signs out of the server; enrollment and waiting results stay.
#[tauri::command]
#[specta::specta]
pub async fn sign_out(state: State<'_, AppState>, sync: State<'_, SyncService>) -> Answer<()> {
    state
        .with_own_studyhall(|studyhall| studyhall.sign_out())
        .await?;
    sync.sync_now();
    Ok(())
}

/// The signed-in account, if any (never its token).
#[tauri::command]
#[specta::specta]
pub async fn sync_account(state: State<'_, AppState>) -> Answer<Option<SyncAccount>> {
    state.with_studyhall(|studyhall| studyhall.sync_account())
}

/// Trusts the server keys presented at sign-in, after the person compared their ids.
#[tauri::command]
#[specta::specta]
pub async fn trust_server_keys(
    state: State<'_, AppState>,
    sync: State<'_, SyncService>,
    signing_key_id: String,
    sealing_key_id: String,
) -> Answer<SyncAccount> {
    let account = state.with_studyhall(|studyhall| {
        studyhall.trust_server_keys(&signing_key_id, &sealing_key_id)
    })?;
    sync.sync_now();
    Ok(account)
}

/// Enrolls this device with the signed-in server using a one-time enrollment token.
#[tauri::command]
#[specta::specta]
pub async fn enroll_device(
    state: State<'_, AppState>,
    sync: State<'_, SyncService>,
    enrollment_token: String,
) -> Answer<SyncAccount> {
    let account = state
        .with_own_studyhall(move |studyhall| studyhall.enroll_this_device(&enrollment_token))
        .await?;
    sync.sync_now();
    Ok(account)
}

/// Unlocks an exam with its key released by the signed-in server (instead of a start
/// code); the session waits in the lobby.
#[tauri::command]
#[specta::specta]
pub async fn begin_released_exam(
    state: State<'_, AppState>,
    exam_id: String,
    extra_time_percent: u32,
) -> Answer<ExamPaper> {
    // The server is asked on a profile handle of its own, so that study and exam
    // commands never wait on the network.
    let wanted = exam_id.clone();
    let released = state
        .with_own_studyhall(move |studyhall| studyhall.fetch_released_key_from_server(&wanted))
        .await?;
    state
        .with_studyhall(|studyhall| studyhall.begin_with_released_key(released, extra_time_percent))
}

/// The background sync's latest state.
#[tauri::command]
#[specta::specta]
pub async fn sync_status(sync: State<'_, SyncService>) -> Answer<SyncState> {
    Ok(sync.state())
}

/// Runs a sync round now; its progress arrives as `syncStateChanged` events.
#[tauri::command]
#[specta::specta]
pub async fn sync_now(sync: State<'_, SyncService>) -> Answer<()> {
    sync.sync_now();
    Ok(())
}
