//! The blueprint of an exam: its sections, how many items each draws from which topic,
//! the time limit, the cut score and the rules of the session (attempts, shuffling,
//! feedback, what the clock does across a crash). Authored in TOML; [`Blueprint::check`]
//! proves against the item bank that every seed assembles a complete form.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::content::{ContentError, Question, is_valid_id, line_containing};

/// Whether the candidate sees right and wrong while sitting the exam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Feedback {
    /// Certification: nothing until the result.
    #[default]
    None,
    /// Practice: each answer is marked when saved.
    Immediate,
}

/// What the exam clock does while the app is not running (a crash, a power cut).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CrashPolicy {
    /// The clock stops: time lost to a crash is given back.
    #[default]
    ClockStops,
    /// The clock keeps running, as in a paper exam room.
    ClockRuns,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct Blueprint {
    /// `None`: untimed.
    #[serde(default)]
    pub time_limit_minutes: Option<u32>,
    /// Percent of the points needed to pass, 0–100.
    pub cut_score_percent: u8,
    #[serde(default = "one")]
    pub attempts_allowed: u32,
    /// Shuffle the items within each section.
    #[serde(default)]
    pub shuffle_items: bool,
    /// Shuffle the options of choice items (ordering items always start shuffled).
    #[serde(default)]
    pub shuffle_options: bool,
    #[serde(default)]
    pub feedback: Feedback,
    #[serde(default)]
    pub crash_policy: CrashPolicy,
    /// After a crash, the candidate may reopen the exam alone within this many minutes;
    /// later, a proctor's resume code is needed.
    #[serde(default = "default_reboot_limit")]
    pub reboot_limit_minutes: u32,
    #[serde(rename = "section")]
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub title: String,
    #[serde(rename = "draw")]
    pub draws: Vec<Draw>,
}

/// `count` items drawn at random from the bank's items on `topic`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct Draw {
    pub topic: String,
    pub count: u32,
}

fn one() -> u32 {
    1
}

fn default_reboot_limit() -> u32 {
    15
}

impl Blueprint {
    /// Checks the blueprint against the bank; errors name `file` (the exam's TOML, whose
    /// `text` gives line numbers) and say what to change.
    pub fn check(&self, file: &str, text: &str, bank: &[Question]) -> Result<(), ContentError> {
        let at = |needle: &str| line_containing(text, needle);
        let error = |needle: &str, message: String| ContentError::new(file, at(needle), message);
        if self.cut_score_percent > 100 {
            return Err(error(
                "cut_score_percent",
                format!(
                    "cut_score_percent is {}; it must be between 0 and 100",
                    self.cut_score_percent
                ),
            ));
        }
        if self.time_limit_minutes == Some(0) {
            return Err(error(
                "time_limit_minutes",
                "time_limit_minutes must be at least 1; leave it out for an untimed exam".into(),
            ));
        }
        if self.attempts_allowed == 0 {
            return Err(error(
                "attempts_allowed",
                "attempts_allowed must be at least 1".into(),
            ));
        }
        if self.sections.is_empty() {
            return Err(ContentError::new(
                file,
                None,
                "an exam needs at least one [[section]] with at least one [[section.draw]]",
            ));
        }
        let mut section_ids = HashSet::new();
        // Items earlier draws may take: a later draw must leave room for them whatever the
        // seed, so its pool, less what overlapping earlier draws take, must suffice.
        let mut earlier: Vec<(HashSet<&str>, u32)> = Vec::new();
        for section in &self.sections {
            let needle = format!("\"{}\"", section.id);
            if !is_valid_id(&section.id) {
                return Err(error(
                    &needle,
                    format!(
                        "section id '{}' must be lowercase letters, digits and '-'",
                        section.id
                    ),
                ));
            }
            if !section_ids.insert(section.id.as_str()) {
                return Err(error(
                    &needle,
                    format!("section id '{}' is used twice", section.id),
                ));
            }
            if section.draws.is_empty() {
                return Err(error(
                    &needle,
                    format!(
                        "section '{}' draws no items: add a [[section.draw]]",
                        section.id
                    ),
                ));
            }
            for draw in &section.draws {
                let pool: HashSet<&str> = bank
                    .iter()
                    .filter(|q| q.topics.contains(&draw.topic))
                    .map(|q| q.id.as_str())
                    .collect();
                let taken_before: u32 = earlier
                    .iter()
                    .filter(|(other, _)| !other.is_disjoint(&pool))
                    .map(|(_, count)| count)
                    .sum();
                let available = (pool.len() as u32).saturating_sub(taken_before);
                if draw.count == 0 || draw.count > available {
                    return Err(error(
                        &format!("\"{}\"", draw.topic),
                        format!(
                            "section '{}' draws {} item(s) on topic '{}', but the bank has {} such item(s){}; \
                             add items on that topic or draw fewer",
                            section.id,
                            draw.count,
                            draw.topic,
                            pool.len(),
                            if taken_before > 0 {
                                format!(" and earlier draws may take {taken_before} of them")
                            } else {
                                String::new()
                            }
                        ),
                    ));
                }
                earlier.push((pool, draw.count));
            }
        }
        Ok(())
    }

    /// Items on every form.
    pub fn item_count(&self) -> u32 {
        self.sections
            .iter()
            .flat_map(|s| &s.draws)
            .map(|d| d.count)
            .sum()
    }
}
