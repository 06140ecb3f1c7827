//! IPC mirrors of core's types. Core stays free of Tauri and specta, so the types that
//! cross IPC are declared here with `specta::Type` and converted with `From`.

use serde::Serialize;

/// One installed course, as shown on a library card.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CourseSummaryDto {
    pub id: String,
    pub version: String,
    pub title: String,
    pub summary: String,
    /// The programme track the course prepares for, if any.
    pub track: Option<String>,
    pub modules: u32,
    pub lessons: u32,
    /// Estimated study time, in minutes.
    pub minutes: u32,
}

impl From<studyhall_core::CourseSummary> for CourseSummaryDto {
    fn from(course: studyhall_core::CourseSummary) -> Self {
        Self {
            id: course.id,
            version: course.version,
            title: course.title,
            summary: course.summary,
            track: course.track,
            modules: course.modules,
            lessons: course.lessons,
            minutes: course.minutes,
        }
    }
}
