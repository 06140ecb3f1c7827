//! Lessons: a Markdown file that opens with YAML front matter. Parsing checks the front
//! matter (with line numbers), the lesson's topics and questions, and that every image
//! and local link points at a file inside the pack.

use std::collections::HashSet;

use pulldown_cmark::{Event, Options, Parser, Tag};
use serde::{Deserialize, Serialize};

use super::{ContentError, SourceFiles, is_valid_id, resolve_relative};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum LessonKind {
    Article,
    Video,
    Quiz,
}

impl LessonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LessonKind::Article => "article",
            LessonKind::Video => "video",
            LessonKind::Quiz => "quiz",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Chapter {
    /// Seconds from the start.
    pub at: u32,
    pub title: String,
}

/// What a lesson holds beyond its Markdown body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LessonDetails {
    Article,
    Video {
        /// Pack-relative path of the video file.
        video: String,
        /// Pack-relative path of the WebVTT transcript.
        transcript: Option<String>,
        chapters: Vec<Chapter>,
    },
    Quiz {
        questions: Vec<String>,
        pass_percent: u8,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    pub id: String,
    pub title: String,
    pub path: String,
    pub topics: Vec<String>,
    pub minutes: u32,
    /// Markdown without the front matter.
    pub body: String,
    pub details: LessonDetails,
}

impl Lesson {
    pub fn kind(&self) -> LessonKind {
        match self.details {
            LessonDetails::Article => LessonKind::Article,
            LessonDetails::Video { .. } => LessonKind::Video,
            LessonDetails::Quiz { .. } => LessonKind::Quiz,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    kind: LessonKind,
    #[serde(default)]
    topics: Vec<String>,
    minutes: u32,
    video: Option<String>,
    transcript: Option<String>,
    #[serde(default)]
    chapters: Vec<ChapterYaml>,
    #[serde(default)]
    questions: Vec<String>,
    pass_percent: Option<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChapterYaml {
    at: String,
    title: String,
}

/// Splits `---\n<yaml>\n---\n<body>`; returns (yaml, body, line where the body starts).
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

/// Parses "m:ss", "h:mm:ss" or plain seconds.
fn parse_timestamp(s: &str) -> Option<u32> {
    s.trim()
        .split(':')
        .try_fold(0u32, |acc, part| Some(acc * 60 + part.parse::<u32>().ok()?))
}

pub(super) fn parse(
    path: &str,
    text: &str,
    files: &impl SourceFiles,
    topics: &HashSet<&str>,
    questions: &HashSet<&str>,
) -> Result<Lesson, ContentError> {
    let (yaml, body) = split_front_matter(text).ok_or_else(|| {
        ContentError::new(
            path,
            Some(1),
            "must start with front matter: a line '---', YAML fields (id, title, kind, minutes), and a closing '---'",
        )
    })?;
    let front: FrontMatter = serde_yaml_ng::from_str(yaml).map_err(|e| {
        // Line 1 is the opening '---'.
        let line = e.location().map(|l| l.line() + 1);
        ContentError::new(path, line, format!("front matter: {e}"))
    })?;
    let line_of = |field: &str| {
        yaml.lines()
            .position(|l| l.trim_start().starts_with(&format!("{field}:")))
            .map(|i| i + 2)
    };
    let err = |field: &str, msg: String| ContentError::new(path, line_of(field), msg);

    if !is_valid_id(&front.id) {
        return Err(err(
            "id",
            format!(
                "lesson id '{}' must be lowercase letters, digits and '-'",
                front.id
            ),
        ));
    }
    if front.title.trim().is_empty() {
        return Err(err("title", "title is empty".into()));
    }
    for topic in &front.topics {
        if !topics.contains(topic.as_str()) {
            return Err(err(
                "topics",
                format!("topic '{topic}' is not declared in course.toml [[topics]]"),
            ));
        }
    }
    let pack_file = |field: &str, link: &str| -> Result<String, ContentError> {
        let target = resolve_relative(path, link)
            .filter(|t| files.contains(t))
            .ok_or_else(|| err(field, format!("{field} '{link}' is not a file in the pack")))?;
        Ok(target)
    };

    let details = match front.kind {
        LessonKind::Article => LessonDetails::Article,
        LessonKind::Video => {
            let video = front
                .video
                .as_deref()
                .ok_or_else(|| err("kind", "a video lesson needs `video: <file>`".into()))?;
            let video = pack_file("video", video)?;
            let transcript = front
                .transcript
                .as_deref()
                .map(|t| pack_file("transcript", t))
                .transpose()?;
            let mut chapters = Vec::new();
            for chapter in &front.chapters {
                let at = parse_timestamp(&chapter.at).ok_or_else(|| {
                    err(
                        "chapters",
                        format!("chapter time '{}' is not like 1:05 or 0:01:05", chapter.at),
                    )
                })?;
                chapters.push(Chapter {
                    at,
                    title: chapter.title.clone(),
                });
            }
            if chapters.windows(2).any(|w| w[0].at >= w[1].at) {
                return Err(err(
                    "chapters",
                    "chapters must be in increasing time order".into(),
                ));
            }
            LessonDetails::Video {
                video,
                transcript,
                chapters,
            }
        }
        LessonKind::Quiz => {
            if front.questions.is_empty() {
                return Err(err(
                    "questions",
                    "a quiz lesson needs `questions: [ids…]`".into(),
                ));
            }
            for q in &front.questions {
                if !questions.contains(q.as_str()) {
                    return Err(err(
                        "questions",
                        format!("question '{q}' is not defined in any questions/*.toml file"),
                    ));
                }
            }
            let pass_percent = front.pass_percent.unwrap_or(70);
            if pass_percent > 100 {
                return Err(err("pass_percent", "pass_percent must be 0–100".into()));
            }
            LessonDetails::Quiz {
                questions: front.questions.clone(),
                pass_percent,
            }
        }
    };

    check_links(path, text, body, files)?;

    Ok(Lesson {
        id: front.id,
        title: front.title,
        path: path.to_owned(),
        topics: front.topics,
        minutes: front.minutes,
        body: body.to_owned(),
        details,
    })
}

/// Every image and every link without a scheme must name a file inside the pack.
fn check_links(
    path: &str,
    text: &str,
    body: &str,
    files: &impl SourceFiles,
) -> Result<(), ContentError> {
    let body_start = text.len() - body.len();
    for (event, range) in Parser::new_ext(body, Options::all()).into_offset_iter() {
        let (url, what) = match &event {
            Event::Start(Tag::Image { dest_url, .. }) => (dest_url, "image"),
            Event::Start(Tag::Link { dest_url, .. }) => (dest_url, "link"),
            _ => continue,
        };
        let url = url.as_ref();
        let local = !url.contains(':') && !url.starts_with('#') && !url.starts_with("//");
        if !local {
            continue;
        }
        let file = url.split(['#', '?']).next().unwrap_or_default();
        if file.is_empty() {
            continue;
        }
        let found = resolve_relative(path, file).is_some_and(|t| files.contains(&t));
        if !found {
            let line = super::line_of(text, body_start + range.start);
            return Err(ContentError::new(
                path,
                Some(line),
                format!(
                    "{what} '{url}' points at no file in the pack; paths are relative to the lesson file"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("0:00"), Some(0));
        assert_eq!(parse_timestamp("1:05"), Some(65));
        assert_eq!(parse_timestamp("1:00:01"), Some(3601));
        assert_eq!(parse_timestamp("x"), None);
    }

    #[test]
    fn front_matter_is_split() {
        let (yaml, body) = split_front_matter("---\nid: a\n---\nHello\n").unwrap();
        assert_eq!(yaml, "id: a\n");
        assert_eq!(body, "Hello\n");
        assert!(split_front_matter("# no front matter").is_none());
    }
}
