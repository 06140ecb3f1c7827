//! What the study screens show: a course's outline, one lesson ready to display (with
//! its video's chapters and transcript, or its quiz without the answer keys), and where
//! the bytes of a pack's media are.

use std::path::PathBuf;

use serde::Serialize;
use studyhall_signing::hash::sha256;

use crate::content::{
    Chapter, Cue, LessonDetails, LessonKind, Question, QuestionBody, transcript_cues,
};
use crate::error::{Error, Result};
use crate::library::ContentStore;
use crate::storage::{self, LessonRow, Storage};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CourseOutline {
    pub id: String,
    pub version: String,
    pub title: String,
    pub summary: String,
    pub track: Option<String>,
    pub modules: Vec<ModuleOutline>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ModuleOutline {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub lessons: Vec<LessonOutline>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LessonOutline {
    pub id: String,
    pub title: String,
    pub kind: LessonKind,
    pub minutes: u32,
    pub topics: Vec<String>,
    pub completed: bool,
    /// Path of the lesson file inside the pack, so links between lessons resolve.
    pub path: String,
}

/// A lesson ready to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LessonView {
    pub pack_id: String,
    pub module_id: String,
    pub id: String,
    pub title: String,
    pub kind: LessonKind,
    pub minutes: u32,
    pub topics: Vec<String>,
    /// Path of the lesson file inside the pack: relative links and images in the
    /// Markdown resolve against it.
    pub path: String,
    pub markdown: String,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub video: Option<VideoView>,
    pub quiz: Option<QuizView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VideoView {
    /// Pack path of the video file.
    pub path: String,
    pub mime: &'static str,
    pub chapters: Vec<Chapter>,
    pub transcript: Vec<Cue>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct QuizView {
    pub pass_percent: u8,
    pub questions: Vec<QuestionView>,
}

/// A question as shown before answering: no answer key (and no essay rubric). Ordering
/// items and matching answers come in a stable shuffled order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct QuestionView {
    pub id: String,
    pub kind: &'static str,
    pub prompt: String,
    pub points: u32,
    pub topics: Vec<String>,
    /// Choices (single choice, multiple response) or items to order.
    pub options: Vec<OptionView>,
    /// Matching: the left-hand prompts.
    pub left: Vec<String>,
    /// Matching: the right-hand answers, with distractors.
    pub right: Vec<String>,
    pub unit: Option<String>,
    /// Essay: the word limits to show.
    pub min_words: Option<u32>,
    pub max_words: Option<u32>,
    /// Case study: the shared material (Markdown), shown above its parts.
    pub stimulus: Option<String>,
    /// Case study: its parts in authored order, answered together with
    /// `Response::CaseStudy`.
    pub parts: Vec<QuestionView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OptionView {
    pub id: String,
    pub text: String,
}

/// Where to read a pack file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLocation {
    pub file: PathBuf,
    /// Offset of the first byte in `file`.
    pub offset: u64,
    pub length: u64,
    pub mime: &'static str,
}

fn not_found(what: String) -> Error {
    Error::NotFound { what }
}

pub(crate) fn outline(storage: &Storage, pack_id: &str) -> Result<CourseOutline> {
    let conn = storage.reader();
    let pack = storage::installed_pack(conn, pack_id)?
        .ok_or_else(|| not_found(format!("course '{pack_id}'")))?;
    let completed = storage::completed_lessons(conn, pack_id)?;
    let lessons = storage::lessons_in_order(conn, pack_id)?;
    let modules = storage::modules(conn, pack_id)?
        .into_iter()
        .map(|(id, title, summary)| ModuleOutline {
            lessons: lessons
                .iter()
                .filter(|l| l.module_id == id)
                .map(|l| LessonOutline {
                    id: l.lesson_id.clone(),
                    title: l.title.clone(),
                    kind: kind_of(l),
                    minutes: l.minutes,
                    topics: l.topics.clone(),
                    completed: completed.contains(&l.lesson_id),
                    path: l.path.clone(),
                })
                .collect(),
            id,
            title,
            summary,
        })
        .collect();
    Ok(CourseOutline {
        id: pack.pack_id,
        version: pack.version.to_string(),
        title: pack.title,
        summary: pack.summary,
        track: pack.track,
        modules,
    })
}

fn kind_of(row: &LessonRow) -> LessonKind {
    match row.kind.as_str() {
        "video" => LessonKind::Video,
        "quiz" => LessonKind::Quiz,
        _ => LessonKind::Article,
    }
}

pub(crate) fn lesson(
    storage: &Storage,
    store: &ContentStore,
    pack_id: &str,
    lesson_id: &str,
) -> Result<LessonView> {
    let conn = storage.reader();
    let lessons = storage::lessons_in_order(conn, pack_id)?;
    let at = lessons
        .iter()
        .position(|l| l.lesson_id == lesson_id)
        .ok_or_else(|| not_found(format!("lesson '{lesson_id}' of course '{pack_id}'")))?;
    let row = &lessons[at];
    let details: LessonDetails =
        serde_json::from_str(&row.details).map_err(|e| Error::DatabaseOpen {
            path: storage.path().to_owned(),
            reason: format!("stored lesson {lesson_id} is unreadable: {e}"),
        })?;
    let mut view = LessonView {
        pack_id: pack_id.to_owned(),
        module_id: row.module_id.clone(),
        id: row.lesson_id.clone(),
        title: row.title.clone(),
        kind: kind_of(row),
        minutes: row.minutes,
        topics: row.topics.clone(),
        path: row.path.clone(),
        markdown: row.body.clone(),
        previous: at.checked_sub(1).map(|i| lessons[i].lesson_id.clone()),
        next: lessons.get(at + 1).map(|l| l.lesson_id.clone()),
        video: None,
        quiz: None,
    };
    match details {
        LessonDetails::Article => {}
        LessonDetails::Video {
            video,
            transcript,
            chapters,
        } => {
            let transcript = match transcript {
                Some(path) => {
                    let bytes = read_file(storage, store, pack_id, &path)?;
                    transcript_cues(&String::from_utf8_lossy(&bytes))
                }
                None => Vec::new(),
            };
            view.video = Some(VideoView {
                mime: mime_of(&video),
                path: video,
                chapters,
                transcript,
            });
        }
        LessonDetails::Quiz {
            questions,
            pass_percent,
        } => {
            let questions = questions
                .iter()
                .map(|id| {
                    let json = storage::question_json(conn, pack_id, id)?
                        .ok_or_else(|| not_found(format!("question '{id}'")))?;
                    let question: Question =
                        serde_json::from_str(&json).map_err(|e| Error::DatabaseOpen {
                            path: storage.path().to_owned(),
                            reason: format!("stored question {id} is unreadable: {e}"),
                        })?;
                    Ok(question_view(&question))
                })
                .collect::<Result<_>>()?;
            view.quiz = Some(QuizView {
                pass_percent,
                questions,
            });
        }
    }
    Ok(view)
}

/// A stable shuffle: order by a hash of the question id and the item, so a question
/// looks the same each time it is shown but not in authored (answer) order.
fn shuffled<T>(question_id: &str, items: Vec<T>, key: impl Fn(&T) -> &str) -> Vec<T> {
    let mut keyed: Vec<([u8; 32], T)> = items
        .into_iter()
        .map(|item| {
            let digest = sha256(format!("{question_id}\u{0}{}", key(&item)).as_bytes());
            (*digest.as_bytes(), item)
        })
        .collect();
    keyed.sort_by_key(|k| k.0);
    keyed.into_iter().map(|(_, item)| item).collect()
}

pub fn question_view(q: &Question) -> QuestionView {
    view_of(q, &q.id)
}

/// The view of `q`, shuffled under `shuffle_key`: its id, or for a case study's part
/// `case/part`, since part ids repeat across cases.
fn view_of(q: &Question, shuffle_key: &str) -> QuestionView {
    let mut view = QuestionView {
        id: q.id.clone(),
        kind: q.body.kind(),
        prompt: q.prompt.clone(),
        points: q.points,
        topics: q.topics.clone(),
        options: Vec::new(),
        left: Vec::new(),
        right: Vec::new(),
        unit: None,
        min_words: None,
        max_words: None,
        stimulus: None,
        parts: Vec::new(),
    };
    let options = |choices: &[crate::content::Choice]| -> Vec<OptionView> {
        choices
            .iter()
            .map(|c| OptionView {
                id: c.id.clone(),
                text: c.text.clone(),
            })
            .collect()
    };
    match &q.body {
        QuestionBody::SingleChoice { choices, .. }
        | QuestionBody::MultipleResponse { choices, .. } => view.options = options(choices),
        QuestionBody::Ordering { items, .. } => {
            view.options = shuffled(shuffle_key, options(items), |o| &o.id);
        }
        QuestionBody::Matching {
            pairs, distractors, ..
        } => {
            view.left = pairs.iter().map(|p| p.left.clone()).collect();
            let right = pairs
                .iter()
                .map(|p| p.right.clone())
                .chain(distractors.iter().cloned())
                .collect();
            view.right = shuffled(shuffle_key, right, |r| r);
        }
        QuestionBody::Numeric { unit, .. } => view.unit = unit.clone(),
        QuestionBody::Essay {
            min_words,
            max_words,
            rubric: _,
        } => {
            view.min_words = *min_words;
            view.max_words = *max_words;
        }
        QuestionBody::CaseStudy { stimulus, parts } => {
            view.stimulus = Some(stimulus.clone());
            view.parts = parts
                .iter()
                .map(|part| view_of(part, &format!("{}/{}", q.id, part.id)))
                .collect();
        }
        QuestionBody::TrueFalse { .. } | QuestionBody::ShortText { .. } => {}
    }
    view
}

pub(crate) fn media(
    storage: &Storage,
    store: &ContentStore,
    pack_id: &str,
    path: &str,
) -> Result<MediaLocation> {
    let conn = storage.reader();
    let (size, sha, offset) = storage::file_location(conn, pack_id, path)?
        .ok_or_else(|| not_found(format!("file '{path}' of course '{pack_id}'")))?;
    let mime = mime_of(path);
    Ok(match offset {
        Some(offset) => {
            let pack = storage::installed_pack(conn, pack_id)?
                .ok_or_else(|| not_found(format!("course '{pack_id}'")))?;
            MediaLocation {
                file: store.pack_path(&pack.manifest_sha256),
                offset,
                length: size,
                mime,
            }
        }
        None => MediaLocation {
            file: store.blob_path(&sha),
            offset: 0,
            length: size,
            mime,
        },
    })
}

/// The whole content of a (small) pack file.
pub(crate) fn read_file(
    storage: &Storage,
    store: &ContentStore,
    pack_id: &str,
    path: &str,
) -> Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let at = media(storage, store, pack_id, path)?;
    let mut file = std::fs::File::open(&at.file).map_err(|e| Error::io("read", &at.file, e))?;
    file.seek(SeekFrom::Start(at.offset))
        .map_err(|e| Error::io("read", &at.file, e))?;
    let mut bytes = Vec::with_capacity(at.length as usize);
    file.take(at.length)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("read", &at.file, e))?;
    Ok(bytes)
}

pub fn mime_of(path: &str) -> &'static str {
    let ext = path
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "webm" => "video/webm",
        "mp4" | "m4v" => "video/mp4",
        "ogv" => "video/ogg",
        "opus" | "ogg" => "audio/ogg",
        "mp3" => "audio/mpeg",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "vtt" => "text/vtt",
        "md" => "text/markdown",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Choice;

    fn question(id: &str, points: u32, body: QuestionBody) -> Question {
        Question {
            id: id.into(),
            topics: vec!["consensus".into()],
            prompt: format!("Prompt {id}"),
            explanation: "Why.".into(),
            points,
            body,
        }
    }

    fn essay() -> QuestionBody {
        QuestionBody::Essay {
            min_words: Some(50),
            max_words: Some(200),
            rubric: "SECRET RUBRIC".into(),
        }
    }

    #[test]
    fn an_essay_shows_its_word_limits_but_not_its_rubric() {
        let view = question_view(&question("why", 3, essay()));
        assert_eq!(
            (view.kind, view.min_words, view.max_words),
            ("essay", Some(50), Some(200))
        );
        let json = serde_json::to_string(&view).unwrap();
        assert!(!json.contains("SECRET"), "{json}");
    }

    #[test]
    fn a_case_study_shows_its_stimulus_and_parts() {
        let ordering = QuestionBody::Ordering {
            items: ["p", "q", "r", "s"]
                .iter()
                .map(|c| Choice {
                    id: (*c).into(),
                    text: c.to_uppercase(),
                })
                .collect(),
            partial_credit: false,
        };
        let case = question(
            "cs",
            4,
            QuestionBody::CaseStudy {
                stimulus: "The incident.".into(),
                parts: vec![question("a", 1, ordering), question("b", 3, essay())],
            },
        );
        let view = question_view(&case);
        assert_eq!(view.stimulus.as_deref(), Some("The incident."));
        let parts: Vec<(&str, &str, u32)> = view
            .parts
            .iter()
            .map(|p| (p.id.as_str(), p.kind, p.points))
            .collect();
        assert_eq!(parts, [("a", "ordering", 1), ("b", "essay", 3)]);
        let order: Vec<&str> = view.parts[0]
            .options
            .iter()
            .map(|o| o.id.as_str())
            .collect();
        let shuffled_key = shuffled("cs/a", vec!["p", "q", "r", "s"], |s| s);
        assert_eq!(order, shuffled_key, "shuffled under the case and part ids");
        assert!(!serde_json::to_string(&view).unwrap().contains("SECRET"));
        assert_eq!(
            question_view(&question("q", 1, QuestionBody::TrueFalse { correct: true })).parts,
            []
        );
    }
}
