//! Study progress. Every learner action becomes an immutable, xAPI-shaped
//! [`ProgressEvent`]; every summary (completion, time on task, streaks, accuracy per
//! topic) is derived from the events when asked, never kept as a counter.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Clock;
use crate::content::{Question, Response, Score};
use crate::error::{Error, Result};
use crate::storage::{self, Durability, Storage};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verb {
    /// Opened a lesson.
    Experienced,
    /// Finished a lesson.
    Completed,
    /// Answered a question.
    Answered,
    /// Spent active time on a lesson.
    Studied,
}

impl Verb {
    pub const ALL: [Verb; 4] = [
        Verb::Experienced,
        Verb::Completed,
        Verb::Answered,
        Verb::Studied,
    ];

    /// The verb named `text` (as [`Verb::as_str`] writes it).
    pub fn parse(text: &str) -> Option<Verb> {
        Self::ALL.into_iter().find(|verb| verb.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Experienced => "experienced",
            Verb::Completed => "completed",
            Verb::Answered => "answered",
            Verb::Studied => "studied",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Lesson,
    Question,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 2] = [ObjectKind::Lesson, ObjectKind::Question];

    /// The kind named `text` (as [`ObjectKind::as_str`] writes it).
    pub fn parse(text: &str) -> Option<ObjectKind> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Lesson => "lesson",
            ObjectKind::Question => "question",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressEvent {
    pub id: Uuid,
    pub actor: String,
    pub verb: Verb,
    pub pack_id: String,
    pub object_kind: ObjectKind,
    pub object_id: String,
    pub result: Option<serde_json::Value>,
    pub active_seconds: u32,
    pub occurred_at: DateTime<Utc>,
    pub local_day: NaiveDate,
}

/// The longest stretch of active time one report may claim; the UI reports active time
/// in small slices, so a larger claim is a bug or a clock jump and is capped.
pub const MAX_ACTIVE_SECONDS_PER_REPORT: u32 = 300;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AnswerFeedback {
    /// `None`: no one grades this answer in practice (an essay, or a case study with
    /// one); it is recorded as submitted, to compare with the explanation.
    pub score: Option<Score>,
    pub correct: bool,
    /// Markdown explaining the answer.
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ModuleProgress {
    pub module_id: String,
    pub title: String,
    pub lessons: u32,
    pub completed: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CourseProgress {
    pub pack_id: String,
    pub lessons: u32,
    pub completed: u32,
    /// 0–100.
    pub percent: u32,
    /// Active seconds (a `u32` holds over a century of study).
    pub active_seconds: u32,
    pub completed_lessons: Vec<String>,
    pub modules: Vec<ModuleProgress>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Streak {
    /// Consecutive days of study up to today (or up to yesterday, if today has no study yet).
    pub current_days: u32,
    pub longest_days: u32,
    pub studied_today: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TopicAccuracy {
    pub topic_id: String,
    pub title: String,
    pub answers: u32,
    /// Share of points scored, 0–1; `None` before any answer.
    pub accuracy: Option<f64>,
}

/// One calendar day of study, for activity charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DailyActivity {
    /// `YYYY-MM-DD`, in the learner's local time.
    pub day: String,
    /// Active seconds (a `u32` holds over a century of study).
    pub active_seconds: u32,
    pub lessons_completed: u32,
    pub answers: u32,
}

/// The longest span [`daily_activity`] reports.
pub const MAX_ACTIVITY_DAYS: u32 = 366;

const LEARNER_ID_KEY: &str = "learner_id";

/// The profile's learner id, made on first use.
pub(crate) fn learner_id(storage: &mut Storage) -> Result<String> {
    if let Some(id) = storage::setting(storage.reader(), LEARNER_ID_KEY)? {
        return Ok(id);
    }
    let id = format!("urn:uuid:{}", Uuid::now_v7());
    storage.transact(Durability::Normal, |tx| {
        storage::set_setting(tx, LEARNER_ID_KEY, &id)
    })?;
    Ok(id)
}

pub(crate) struct Recorder<'a> {
    pub storage: &'a mut Storage,
    pub clock: &'a dyn Clock,
    pub actor: &'a str,
}

impl Recorder<'_> {
    fn record(
        &mut self,
        verb: Verb,
        pack_id: &str,
        object_kind: ObjectKind,
        object_id: &str,
        result: Option<serde_json::Value>,
        active_seconds: u32,
    ) -> Result<ProgressEvent> {
        let now = self.clock.now();
        let event = ProgressEvent {
            id: Uuid::now_v7(),
            actor: self.actor.to_owned(),
            verb,
            pack_id: pack_id.to_owned(),
            object_kind,
            object_id: object_id.to_owned(),
            result,
            active_seconds,
            occurred_at: now.with_timezone(&Utc),
            local_day: now.date_naive(),
        };
        self.storage
            .transact(Durability::Normal, |tx| storage::insert_event(tx, &event))?;
        Ok(event)
    }

    pub fn lesson_event(
        &mut self,
        verb: Verb,
        pack_id: &str,
        lesson_id: &str,
        active_seconds: u32,
    ) -> Result<ProgressEvent> {
        require_lesson(self.storage, pack_id, lesson_id)?;
        let seconds = active_seconds.min(MAX_ACTIVE_SECONDS_PER_REPORT);
        self.record(verb, pack_id, ObjectKind::Lesson, lesson_id, None, seconds)
    }

    pub fn answer(
        &mut self,
        pack_id: &str,
        question_id: &str,
        response: &Response,
    ) -> Result<AnswerFeedback> {
        let json = storage::question_json(self.storage.reader(), pack_id, question_id)?
            .ok_or_else(|| Error::NotFound {
                what: format!("question '{question_id}' of course '{pack_id}'"),
            })?;
        let question: Question = serde_json::from_str(&json).map_err(|e| Error::DatabaseOpen {
            path: self.storage.path().to_owned(),
            reason: format!("stored question {question_id} is unreadable: {e}"),
        })?;
        let score = question
            .auto_score(response)
            .map_err(|e| Error::InvalidAnswer(e.to_string()))?;
        self.record(
            Verb::Answered,
            pack_id,
            ObjectKind::Question,
            question_id,
            Some(answered_result(response, score)),
            0,
        )?;
        Ok(AnswerFeedback {
            score,
            correct: score.is_some_and(|s| s.is_correct()),
            explanation: question.explanation,
        })
    }
}

/// The result of an `answered` event. Without a score (an answer no one grades in
/// practice) there is no `score` or `max`: the answer counts as one, but not towards
/// topic accuracy.
fn answered_result(response: &Response, score: Option<Score>) -> serde_json::Value {
    match score {
        Some(score) => serde_json::json!({
            "response": response,
            "score": score.points,
            "max": score.max,
            "success": score.is_correct(),
        }),
        None => serde_json::json!({ "response": response }),
    }
}

/// `NotFound` unless the lesson is part of an installed course.
pub(crate) fn require_lesson(storage: &Storage, pack_id: &str, lesson_id: &str) -> Result<()> {
    if storage::lesson_exists(storage.reader(), pack_id, lesson_id)? {
        Ok(())
    } else {
        Err(Error::NotFound {
            what: format!("lesson '{lesson_id}' of course '{pack_id}'"),
        })
    }
}

pub(crate) fn course_progress(storage: &Storage, pack_id: &str) -> Result<CourseProgress> {
    let conn = storage.reader();
    let modules = storage::module_progress(conn, pack_id)?;
    if modules.is_empty() {
        return Err(Error::NotFound {
            what: format!("course '{pack_id}'"),
        });
    }
    let lessons: u32 = modules.iter().map(|m| m.lessons).sum();
    let completed: u32 = modules.iter().map(|m| m.completed).sum();
    Ok(CourseProgress {
        pack_id: pack_id.to_owned(),
        lessons,
        completed,
        percent: (completed * 100).checked_div(lessons).unwrap_or(0),
        active_seconds: storage::active_seconds(conn, pack_id)?,
        completed_lessons: storage::completed_lessons(conn, pack_id)?,
        modules,
    })
}

pub(crate) fn streak(storage: &Storage, today: NaiveDate) -> Result<Streak> {
    let days: Vec<NaiveDate> = storage::study_days(storage.reader())?
        .iter()
        .filter_map(|d| d.parse().ok())
        .collect();
    Ok(streak_of(&days, today))
}

/// Streaks over sorted, distinct study days.
fn streak_of(days: &[NaiveDate], today: NaiveDate) -> Streak {
    let mut longest = 0u32;
    let mut run = 0u32;
    let mut previous: Option<NaiveDate> = None;
    for &day in days.iter().filter(|d| **d <= today) {
        run = match previous {
            Some(p) if p.succ_opt() == Some(day) => run + 1,
            _ => 1,
        };
        longest = longest.max(run);
        previous = Some(day);
    }
    let studied_today = previous == Some(today);
    let alive = studied_today || previous.is_some_and(|p| p.succ_opt() == Some(today));
    Streak {
        current_days: if alive { run } else { 0 },
        longest_days: longest,
        studied_today,
    }
}

/// Activity on each of the `days` days up to and including `today`, oldest first, with
/// days without study included as zeros.
pub(crate) fn daily_activity(
    storage: &Storage,
    today: NaiveDate,
    days: u32,
) -> Result<Vec<DailyActivity>> {
    let days = days.clamp(1, MAX_ACTIVITY_DAYS);
    let first = today - chrono::Days::new(u64::from(days - 1));
    let mut recorded = storage::daily_activity(storage.reader(), &first.to_string())?.into_iter();
    let mut next = recorded.next();
    let mut out = Vec::with_capacity(days as usize);
    for day in first.iter_days().take(days as usize) {
        let day = day.to_string();
        match next.take() {
            Some((recorded_day, active_seconds, lessons_completed, answers))
                if recorded_day == day =>
            {
                out.push(DailyActivity {
                    day,
                    active_seconds,
                    lessons_completed,
                    answers,
                });
                next = recorded.next();
            }
            other => {
                next = other;
                out.push(DailyActivity {
                    day,
                    active_seconds: 0,
                    lessons_completed: 0,
                    answers: 0,
                });
            }
        }
    }
    Ok(out)
}

pub(crate) fn topic_accuracy(storage: &Storage, pack_id: &str) -> Result<Vec<TopicAccuracy>> {
    storage::topic_accuracy(storage.reader(), pack_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn an_answer_without_a_score_records_no_points() {
        let essay = Response::Essay {
            text: "Majorities overlap.".into(),
        };
        assert_eq!(
            answered_result(&essay, None),
            serde_json::json!({ "response": { "kind": "essay", "text": "Majorities overlap." } })
        );
        let right = Response::TrueFalse { value: true };
        let score = Score {
            points: 2.0,
            max: 2.0,
        };
        assert_eq!(
            answered_result(&right, Some(score)),
            serde_json::json!({
                "response": { "kind": "true_false", "value": true },
                "score": 2.0,
                "max": 2.0,
                "success": true,
            })
        );
    }

    #[test]
    fn streaks() {
        let days = [
            d("2026-11-01"),
            d("2026-11-02"),
            d("2026-11-03"),
            d("2026-11-10"),
            d("2026-11-11"),
        ];
        assert_eq!(
            streak_of(&days, d("2026-11-11")),
            Streak {
                current_days: 2,
                longest_days: 3,
                studied_today: true
            }
        );
        // Yesterday's streak is still alive today.
        assert_eq!(streak_of(&days, d("2026-11-12")).current_days, 2);
        assert!(!streak_of(&days, d("2026-11-12")).studied_today);
        // Broken after a day without study.
        assert_eq!(streak_of(&days, d("2026-11-13")).current_days, 0);
        assert_eq!(
            streak_of(&[], d("2026-11-13")),
            Streak {
                current_days: 0,
                longest_days: 0,
                studied_today: false
            }
        );
    }
}
