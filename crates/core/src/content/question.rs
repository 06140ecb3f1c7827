//! Questions: banks of `[[question]]` tables in `questions/*.toml`. Parsing turns each
//! into a typed [`Question`] and checks that it is answerable: choices exist, the key
//! names real choices, patterns compile, topics are declared, ids are unique.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{ContentError, SourceFiles, is_valid_id, line_containing, toml_error};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub topics: Vec<String>,
    /// Markdown.
    pub prompt: String,
    /// Markdown, shown after answering.
    pub explanation: String,
    pub points: u32,
    pub body: QuestionBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchPair {
    pub left: String,
    pub right: String,
}

/// The kind-specific part of a question, including its answer key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuestionBody {
    SingleChoice {
        choices: Vec<Choice>,
        correct: String,
    },
    MultipleResponse {
        choices: Vec<Choice>,
        correct: Vec<String>,
        partial_credit: bool,
    },
    TrueFalse {
        correct: bool,
    },
    Numeric {
        correct: f64,
        tolerance: f64,
        unit: Option<String>,
    },
    ShortText {
        accepted: Vec<String>,
        patterns: Vec<String>,
    },
    /// Items in the correct order.
    Ordering {
        items: Vec<Choice>,
        partial_credit: bool,
    },
    Matching {
        pairs: Vec<MatchPair>,
        distractors: Vec<String>,
        partial_credit: bool,
    },
}

impl QuestionBody {
    pub fn kind(&self) -> &'static str {
        match self {
            QuestionBody::SingleChoice { .. } => "single_choice",
            QuestionBody::MultipleResponse { .. } => "multiple_response",
            QuestionBody::TrueFalse { .. } => "true_false",
            QuestionBody::Numeric { .. } => "numeric",
            QuestionBody::ShortText { .. } => "short_text",
            QuestionBody::Ordering { .. } => "ordering",
            QuestionBody::Matching { .. } => "matching",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bank {
    #[serde(default)]
    question: Vec<QuestionToml>,
}

/// The authored form: one table with every field any kind may use.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionToml {
    id: String,
    kind: String,
    #[serde(default)]
    topics: Vec<String>,
    prompt: String,
    explanation: String,
    points: Option<u32>,
    choices: Option<Vec<Choice>>,
    correct: Option<toml::Value>,
    partial_credit: Option<bool>,
    tolerance: Option<f64>,
    unit: Option<String>,
    accepted: Option<Vec<String>>,
    patterns: Option<Vec<String>>,
    items: Option<Vec<Choice>>,
    pairs: Option<Vec<MatchPair>>,
    distractors: Option<Vec<String>>,
}

pub(crate) fn load_all(
    files: &impl SourceFiles,
    topics: &HashSet<&str>,
) -> Result<Vec<Question>, ContentError> {
    let mut questions = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for path in files.paths() {
        if !(path.starts_with("questions/") && path.ends_with(".toml")) {
            continue;
        }
        let Some(text) = files.text(path) else {
            continue;
        };
        let bank: Bank = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
        for raw in bank.question {
            let line = line_containing(text, &format!("\"{}\"", raw.id));
            let question =
                convert(raw, topics).map_err(|message| ContentError::new(path, line, message))?;
            if let Some(first) = seen.insert(question.id.clone(), path.to_owned()) {
                return Err(ContentError::new(
                    path,
                    line,
                    format!("question id '{}' is already used in {first}", question.id),
                ));
            }
            questions.push(question);
        }
    }
    Ok(questions)
}

fn convert(raw: QuestionToml, topics: &HashSet<&str>) -> Result<Question, String> {
    let id = raw.id.clone();
    let ctx = |msg: String| format!("question '{id}' ({}): {msg}", raw.kind);
    if !is_valid_id(&raw.id) {
        return Err(format!(
            "question id '{}' must be lowercase letters, digits and '-'",
            raw.id
        ));
    }
    if raw.prompt.trim().is_empty() {
        return Err(ctx("prompt is empty".into()));
    }
    for topic in &raw.topics {
        if !topics.contains(topic.as_str()) {
            return Err(ctx(format!(
                "topic '{topic}' is not declared in course.toml [[topics]]"
            )));
        }
    }
    let need = |field: &str| ctx(format!("needs `{field}`"));
    let partial_credit = raw.partial_credit.unwrap_or(false);
    let body = match raw.kind.as_str() {
        "single_choice" => {
            let choices = checked_choices(raw.choices, 2).map_err(&ctx)?;
            let correct = match raw.correct {
                Some(toml::Value::String(s)) => s,
                _ => {
                    return Err(ctx(
                        "`correct` must be the id of one choice, e.g. \"b\"".into()
                    ));
                }
            };
            if !choices.iter().any(|c| c.id == correct) {
                return Err(ctx(format!(
                    "`correct` names '{correct}', which is not a choice id"
                )));
            }
            QuestionBody::SingleChoice { choices, correct }
        }
        "multiple_response" => {
            let choices = checked_choices(raw.choices, 2).map_err(&ctx)?;
            let correct: Vec<String> = match raw.correct {
                Some(toml::Value::Array(values)) => values
                    .into_iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect::<Option<_>>()
                    .ok_or_else(|| ctx("`correct` must be a list of choice ids".into()))?,
                _ => {
                    return Err(ctx(
                        "`correct` must be a list of choice ids, e.g. [\"a\", \"c\"]".into(),
                    ));
                }
            };
            if correct.is_empty() {
                return Err(ctx("`correct` lists no choice".into()));
            }
            if let Some(bad) = correct
                .iter()
                .find(|c| !choices.iter().any(|ch| &ch.id == *c))
            {
                return Err(ctx(format!(
                    "`correct` names '{bad}', which is not a choice id"
                )));
            }
            QuestionBody::MultipleResponse {
                choices,
                correct,
                partial_credit,
            }
        }
        "true_false" => match raw.correct {
            Some(toml::Value::Boolean(correct)) => QuestionBody::TrueFalse { correct },
            _ => return Err(ctx("`correct` must be true or false".into())),
        },
        "numeric" => {
            let correct = match raw.correct {
                Some(toml::Value::Integer(i)) => i as f64,
                Some(toml::Value::Float(f)) => f,
                _ => return Err(ctx("`correct` must be a number".into())),
            };
            let tolerance = raw.tolerance.unwrap_or(0.0);
            if !(tolerance >= 0.0 && tolerance.is_finite() && correct.is_finite()) {
                return Err(ctx(
                    "`correct` and `tolerance` must be finite, tolerance ≥ 0".into(),
                ));
            }
            QuestionBody::Numeric {
                correct,
                tolerance,
                unit: raw.unit,
            }
        }
        "short_text" => {
            let accepted = raw.accepted.unwrap_or_default();
            let patterns = raw.patterns.unwrap_or_default();
            if accepted.is_empty() && patterns.is_empty() {
                return Err(need("accepted` or `patterns"));
            }
            for pattern in &patterns {
                regex::RegexBuilder::new(pattern)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| {
                        ctx(format!(
                            "pattern '{pattern}' is not a valid regular expression: {e}"
                        ))
                    })?;
            }
            QuestionBody::ShortText { accepted, patterns }
        }
        "ordering" => {
            let items = checked_choices(raw.items, 2).map_err(&ctx)?;
            QuestionBody::Ordering {
                items,
                partial_credit,
            }
        }
        "matching" => {
            let pairs = raw.pairs.ok_or_else(|| need("pairs"))?;
            if pairs.len() < 2 {
                return Err(ctx("needs at least two `pairs`".into()));
            }
            let mut lefts = HashSet::new();
            if let Some(dup) = pairs.iter().find(|p| !lefts.insert(p.left.as_str())) {
                return Err(ctx(format!("left side '{}' appears twice", dup.left)));
            }
            QuestionBody::Matching {
                pairs,
                distractors: raw.distractors.unwrap_or_default(),
                partial_credit,
            }
        }
        other => {
            return Err(format!(
                "question '{id}': kind '{other}' is not one of single_choice, multiple_response, true_false, numeric, short_text, ordering, matching"
            ));
        }
    };
    Ok(Question {
        id: raw.id,
        topics: raw.topics,
        prompt: raw.prompt,
        explanation: raw.explanation,
        points: raw.points.unwrap_or(1),
        body,
    })
}

fn checked_choices(choices: Option<Vec<Choice>>, min: usize) -> Result<Vec<Choice>, String> {
    let choices = choices.ok_or_else(|| "needs `choices` (or `items`)".to_owned())?;
    if choices.len() < min {
        return Err(format!("needs at least {min} choices"));
    }
    let mut ids = HashSet::new();
    for choice in &choices {
        if choice.id.trim().is_empty() || choice.text.trim().is_empty() {
            return Err("every choice needs a non-empty id and text".into());
        }
        if !ids.insert(choice.id.as_str()) {
            return Err(format!("choice id '{}' appears twice", choice.id));
        }
    }
    Ok(choices)
}
