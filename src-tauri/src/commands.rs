//! The Tauri commands. Each one makes one call on the `studyhall_core` façade and converts
//! the answer into IPC types; there is no logic here.

use tauri::State;

use crate::dto::CourseSummaryDto;
use crate::error::IpcError;
use crate::state::AppState;

/// The courses installed in the profile, for the library screen.
#[tauri::command]
#[specta::specta]
pub async fn list_courses(state: State<'_, AppState>) -> Result<Vec<CourseSummaryDto>, IpcError> {
    let courses = state.with_studyhall(|studyhall| studyhall.courses())?;
    Ok(courses.into_iter().map(CourseSummaryDto::from).collect())
}
