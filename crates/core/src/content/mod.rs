//! The course model and its authored form. This module owns the rules of an author
//! folder (docs/authoring.md): `course.toml`, Markdown lessons with YAML front matter,
//! question banks in TOML, media. `load_course` reads those files from any
//! [`SourceFiles`] (a folder when building, the verified files of a pack when importing)
//! and returns a fully validated [`Course`], or the first problem with its file and line.

mod lesson;
mod plain;
mod question;
mod scoring;
mod transcript;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use lesson::{Chapter, Lesson, LessonDetails, LessonKind};
pub use plain::plain_text;
pub(crate) use question::load_all as load_questions;
pub use question::{Choice, MatchPair, Question, QuestionBody};
pub use scoring::{MismatchedResponse, Response, Score};
pub use transcript::{Cue, transcript_cues, transcript_text};

/// A problem in authored content, located as precisely as the parser allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct ContentError {
    /// Path inside the pack, e.g. `lessons/01-intro.md`.
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl ContentError {
    pub(crate) fn new(file: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        ContentError {
            file: file.to_owned(),
            line,
            message: message.into(),
        }
    }
}

/// Where authored files come from. Paths are pack-relative with `/` separators.
pub trait SourceFiles {
    /// The text of `path`, or `None` when there is no such file.
    fn text(&self, path: &str) -> Option<&str>;
    /// Whether `path` is a file of the pack (text or not).
    fn contains(&self, path: &str) -> bool;
    /// Every file path, sorted.
    fn paths(&self) -> Vec<&str>;
}

/// Files held in memory: the text files of a pack being imported, plus the names of its
/// other files.
#[derive(Debug, Default)]
pub struct MemoryFiles {
    texts: BTreeMap<String, String>,
    others: HashSet<String>,
}

impl MemoryFiles {
    pub fn insert_text(&mut self, path: String, text: String) {
        self.texts.insert(path, text);
    }
    pub fn insert_other(&mut self, path: String) {
        self.others.insert(path);
    }
}

impl SourceFiles for MemoryFiles {
    fn text(&self, path: &str) -> Option<&str> {
        self.texts.get(path).map(String::as_str)
    }
    fn contains(&self, path: &str) -> bool {
        self.texts.contains_key(path) || self.others.contains(path)
    }
    fn paths(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self
            .texts
            .keys()
            .map(String::as_str)
            .chain(self.others.iter().map(String::as_str))
            .collect();
        all.sort_unstable();
        all
    }
}

/// Files whose text the course model reads: the rest (media) is only checked to exist.
pub fn is_course_text(path: &str) -> bool {
    path == COURSE_FILE
        || path == crate::exam::pack::EXAM_FILE
        || (path.starts_with("lessons/") && path.ends_with(".md"))
        || (path.starts_with("questions/") && path.ends_with(".toml"))
        || path.ends_with(".vtt")
}

pub const COURSE_FILE: &str = "course.toml";

/// Loads an author folder into memory (text files read, other files listed), refusing
/// symbolic links and skipping hidden files.
pub fn read_folder(root: &Path) -> Result<(MemoryFiles, Vec<FolderFile>), ContentError> {
    let mut files = MemoryFiles::default();
    let mut listing = Vec::new();
    walk(root, root, &mut files, &mut listing)?;
    listing.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, listing))
}

/// One file of an author folder.
#[derive(Debug, Clone)]
pub struct FolderFile {
    /// Pack-relative path with `/` separators.
    pub path: String,
    pub disk_path: PathBuf,
    pub size: u64,
}

fn walk(
    root: &Path,
    dir: &Path,
    files: &mut MemoryFiles,
    listing: &mut Vec<FolderFile>,
) -> Result<(), ContentError> {
    let shown = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ContentError::new(&shown(dir), None, format!("cannot read folder: {e}")))?;
    let mut entries: Vec<_> = entries
        .collect::<Result<_, _>>()
        .map_err(|e| ContentError::new(&shown(dir), None, format!("cannot read folder: {e}")))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(ContentError::new(
                &shown(&entry.path()),
                None,
                "file name is not valid UTF-8; rename it",
            ));
        };
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let rel = shown(&path).replace('\\', "/");
        let meta = std::fs::symlink_metadata(&path)
            .map_err(|e| ContentError::new(&rel, None, format!("cannot read: {e}")))?;
        if meta.file_type().is_symlink() {
            return Err(ContentError::new(
                &rel,
                None,
                "is a symbolic link; packs may only contain regular files — copy the file in instead",
            ));
        }
        if meta.is_dir() {
            walk(root, &path, files, listing)?;
            continue;
        }
        if is_course_text(&rel) {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                ContentError::new(&rel, None, format!("cannot read as UTF-8 text: {e}"))
            })?;
            files.insert_text(rel.clone(), text);
        } else {
            files.insert_other(rel.clone());
        }
        listing.push(FolderFile {
            path: rel,
            disk_path: path,
            size: meta.len(),
        });
    }
    Ok(())
}

/// A validated course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Course {
    pub id: String,
    pub version: semver::Version,
    pub title: String,
    pub summary: String,
    pub language: String,
    pub track: Option<String>,
    pub authors: Vec<String>,
    pub topics: Vec<Topic>,
    pub modules: Vec<Module>,
    #[serde(skip)]
    pub lessons: Vec<Lesson>,
    #[serde(skip)]
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    pub id: String,
    pub title: String,
}

/// A module and the ids of its lessons, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Module {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub lessons: Vec<LessonEntry>,
}

/// What the manifest records of a lesson: enough to show the outline without opening it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonEntry {
    pub id: String,
    pub title: String,
    pub kind: LessonKind,
    pub path: String,
    pub topics: Vec<String>,
    pub minutes: u32,
}

impl Course {
    pub fn lesson_count(&self) -> usize {
        self.modules.iter().map(|m| m.lessons.len()).sum()
    }
    pub fn total_minutes(&self) -> u32 {
        self.modules
            .iter()
            .flat_map(|m| &m.lessons)
            .map(|l| l.minutes)
            .sum()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseToml {
    id: String,
    version: String,
    title: String,
    summary: String,
    #[serde(default = "default_language")]
    language: String,
    track: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    #[serde(default)]
    topics: Vec<Topic>,
    #[serde(default)]
    modules: Vec<ModuleToml>,
}

fn default_language() -> String {
    "en".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleToml {
    id: String,
    title: String,
    #[serde(default)]
    summary: String,
    lessons: Vec<String>,
}

/// Checks that an id is lowercase letters, digits and `-`, 1–64 characters, starting
/// with a letter or digit.
pub fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

/// 1-based line of byte offset `at` in `text`.
pub(crate) fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// 1-based line of the first line containing `needle`, if any.
pub(crate) fn line_containing(text: &str, needle: &str) -> Option<usize> {
    text.find(needle).map(|at| line_of(text, at))
}

pub(crate) fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> ContentError {
    let line = e.span().map(|s| line_of(text, s.start));
    ContentError::new(file, line, e.message().to_owned())
}

/// Reads and validates a whole course.
pub fn load_course(files: &impl SourceFiles) -> Result<Course, ContentError> {
    let text = files.text(COURSE_FILE).ok_or_else(|| {
        ContentError::new(
            COURSE_FILE,
            None,
            "missing: every pack needs a course.toml at its top level (see docs/authoring.md)",
        )
    })?;
    let toml: CourseToml = toml::from_str(text).map_err(|e| toml_error(COURSE_FILE, text, &e))?;
    let at = |needle: &str| line_containing(text, needle);
    let err = |line, msg: String| ContentError::new(COURSE_FILE, line, msg);

    if !is_valid_id(&toml.id) || toml.id.len() < 3 {
        return Err(err(
            at("id"),
            format!(
                "course id '{}' must be 3–64 lowercase letters, digits and '-'",
                toml.id
            ),
        ));
    }
    let version = semver::Version::parse(&toml.version).map_err(|e| {
        err(
            at("version"),
            format!(
                "version '{}' is not a semantic version like 1.2.0: {e}",
                toml.version
            ),
        )
    })?;
    if toml.title.trim().is_empty() {
        return Err(err(at("title"), "title is empty".into()));
    }

    let mut topic_ids = HashSet::new();
    for topic in &toml.topics {
        if !is_valid_id(&topic.id) {
            return Err(err(
                at(&format!("\"{}\"", topic.id)),
                format!(
                    "topic id '{}' must be lowercase letters, digits and '-'",
                    topic.id
                ),
            ));
        }
        if !topic_ids.insert(topic.id.as_str()) {
            return Err(err(
                at(&format!("\"{}\"", topic.id)),
                format!("topic id '{}' is declared twice", topic.id),
            ));
        }
    }

    let questions = question::load_all(files, &topic_ids)?;
    let question_ids: HashSet<&str> = questions.iter().map(|q| q.id.as_str()).collect();

    if toml.modules.is_empty() {
        return Err(err(
            None,
            "declares no [[modules]]; a course needs at least one".into(),
        ));
    }
    let mut module_ids = HashSet::new();
    let mut lesson_ids: BTreeMap<String, String> = BTreeMap::new();
    let mut modules = Vec::new();
    let mut lessons = Vec::new();
    for module in toml.modules {
        let line = at(&format!("\"{}\"", module.id));
        if !is_valid_id(&module.id) {
            return Err(err(
                line,
                format!(
                    "module id '{}' must be lowercase letters, digits and '-'",
                    module.id
                ),
            ));
        }
        if !module_ids.insert(module.id.clone()) {
            return Err(err(
                line,
                format!("module id '{}' is used twice", module.id),
            ));
        }
        if module.lessons.is_empty() {
            return Err(err(
                line,
                format!("module '{}' lists no lessons", module.id),
            ));
        }
        let mut entries = Vec::new();
        for path in &module.lessons {
            let lesson_text = files.text(path).ok_or_else(|| {
                err(
                    at(&format!("\"{path}\"")),
                    format!(
                        "module '{}' lists lesson '{path}', which is not in the pack",
                        module.id
                    ),
                )
            })?;
            let lesson = lesson::parse(path, lesson_text, files, &topic_ids, &question_ids)?;
            if let Some(first) = lesson_ids.insert(lesson.id.clone(), path.clone()) {
                return Err(ContentError::new(
                    path,
                    Some(2),
                    format!("lesson id '{}' is already used by {first}", lesson.id),
                ));
            }
            entries.push(LessonEntry {
                id: lesson.id.clone(),
                title: lesson.title.clone(),
                kind: lesson.kind(),
                path: path.clone(),
                topics: lesson.topics.clone(),
                minutes: lesson.minutes,
            });
            lessons.push(lesson);
        }
        modules.push(Module {
            id: module.id,
            title: module.title,
            summary: module.summary,
            lessons: entries,
        });
    }

    Ok(Course {
        id: toml.id,
        version,
        title: toml.title,
        summary: toml.summary,
        language: toml.language,
        track: toml.track,
        authors: toml.authors,
        topics: toml.topics,
        modules,
        lessons,
        questions,
    })
}

/// Resolves a link in a file at `from` (pack-relative) to a pack-relative path, or
/// `None` when it leaves the pack.
pub(crate) fn resolve_relative(from: &str, link: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for segment in link.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links_resolve_inside_the_pack_only() {
        assert_eq!(
            resolve_relative("lessons/a.md", "../media/x.svg").as_deref(),
            Some("media/x.svg")
        );
        assert_eq!(
            resolve_relative("lessons/a.md", "b.md").as_deref(),
            Some("lessons/b.md")
        );
        assert_eq!(resolve_relative("lessons/a.md", "../../etc/passwd"), None);
    }

    #[test]
    fn ids_are_checked() {
        assert!(is_valid_id("raft-2"));
        assert!(!is_valid_id("Raft"));
        assert!(!is_valid_id("-x"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("a b"));
    }
}
