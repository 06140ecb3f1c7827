//! Questions: banks of `[[question]]` tables in `questions/*.toml`. Parsing turns each
//! into a typed [`Question`] and checks that it is answerable: choices exist, the key
//! names real choices, patterns compile, topics are declared, ids are unique, essay word
//! limits make sense, and a case study's parts are questions of their own (not case
//! studies) with ids unique within it. Every problem names the file and line of the
//! question, or of the part, it is in.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{ContentError, SourceFiles, is_valid_id, line_of, toml_error};

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
    /// Answered in prose and graded by a person: never scored automatically.
    Essay {
        /// Word limits shown to the writer; the rubric says what happens outside them.
        min_words: Option<u32>,
        max_words: Option<u32>,
        /// Markdown for graders; never shown to the candidate.
        rubric: String,
    },
    /// Shared material and questions on it. The case's points are the sum of its parts'.
    CaseStudy {
        /// Markdown shown above the parts.
        stimulus: String,
        /// In authored order; none is a case study. Ids are unique within the case only.
        parts: Vec<Question>,
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
            QuestionBody::Essay { .. } => "essay",
            QuestionBody::CaseStudy { .. } => "case_study",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bank {
    #[serde(default)]
    question: Vec<QuestionToml>,
}

/// The authored form: one table with every field any kind may use. A case study's
/// `[[question.parts]]` are tables of the same form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionToml {
    /// Spanned, so that a problem names the line of the question or part it is in.
    id: Spanned<String>,
    kind: String,
    #[serde(default)]
    topics: Vec<String>,
    prompt: String,
    /// Required on a question, refused on a part (the case study explains its parts).
    explanation: Option<String>,
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
    min_words: Option<u32>,
    max_words: Option<u32>,
    rubric: Option<String>,
    stimulus: Option<String>,
    parts: Option<Vec<QuestionToml>>,
}

/// Where an authored question sits.
#[derive(Clone, Copy)]
enum Place<'a> {
    Bank,
    /// A part of case study `case`, whose topics a part without its own takes.
    Part {
        case: &'a str,
        topics: &'a [String],
    },
}

/// A problem in an authored question, at a byte offset of its bank file.
struct Problem {
    at: usize,
    message: String,
}

const BANK_KINDS: &str = "single_choice, multiple_response, true_false, numeric, short_text, ordering, matching, essay, case_study";
const PART_KINDS: &str =
    "single_choice, multiple_response, true_false, numeric, short_text, ordering, matching, essay";

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
            let line = line_of(text, raw.id.span().start);
            let question = convert(raw, Place::Bank, topics).map_err(|problem| {
                ContentError::new(path, Some(line_of(text, problem.at)), problem.message)
            })?;
            if let Some(first) = seen.insert(question.id.clone(), path.to_owned()) {
                return Err(ContentError::new(
                    path,
                    Some(line),
                    format!("question id '{}' is already used in {first}", question.id),
                ));
            }
            questions.push(question);
        }
    }
    Ok(questions)
}

fn convert(
    raw: QuestionToml,
    place: Place<'_>,
    topics: &HashSet<&str>,
) -> Result<Question, Problem> {
    let at = raw.id.span().start;
    let id = raw.id.into_inner();
    let fail = |message: String| Problem { at, message };
    let name = match place {
        Place::Bank => format!("question '{id}'"),
        Place::Part { case, .. } => format!("question '{case}' part '{id}'"),
    };
    let ctx = |msg: String| fail(format!("{name} ({}): {msg}", raw.kind));
    if !is_valid_id(&id) {
        return Err(fail(match place {
            Place::Bank => format!("question id '{id}' must be lowercase letters, digits and '-'"),
            Place::Part { case, .. } => format!(
                "question '{case}' part id '{id}' must be lowercase letters, digits and '-'"
            ),
        }));
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
    let explanation = match (place, raw.explanation) {
        (Place::Bank, Some(explanation)) => explanation,
        (Place::Bank, None) => return Err(need("explanation")),
        (Place::Part { .. }, None) => String::new(),
        (Place::Part { .. }, Some(_)) => {
            return Err(ctx(
                "`explanation` goes on the case study, which explains all its parts".into(),
            ));
        }
    };
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
        "essay" => {
            if raw.max_words == Some(0) {
                return Err(ctx("`max_words` must be at least 1".into()));
            }
            if let (Some(min), Some(max)) = (raw.min_words, raw.max_words)
                && min > max
            {
                return Err(ctx(format!(
                    "`min_words` ({min}) is more than `max_words` ({max})"
                )));
            }
            QuestionBody::Essay {
                min_words: raw.min_words,
                max_words: raw.max_words,
                rubric: raw.rubric.unwrap_or_default(),
            }
        }
        "case_study" => {
            if matches!(place, Place::Part { .. }) {
                return Err(ctx(
                    "a part cannot be a case study; give the part another kind".into(),
                ));
            }
            if raw.points.is_some() {
                return Err(ctx(
                    "`points` of a case study is the sum of its parts' points; set `points` on the parts instead".into(),
                ));
            }
            let stimulus = raw
                .stimulus
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| need("stimulus"))?;
            let raw_parts = raw.parts.unwrap_or_default();
            if raw_parts.is_empty() {
                return Err(ctx("needs at least one [[question.parts]] table".into()));
            }
            let part_of = Place::Part {
                case: &id,
                topics: &raw.topics,
            };
            let mut part_ids = HashSet::new();
            let mut parts = Vec::with_capacity(raw_parts.len());
            for raw_part in raw_parts {
                if !part_ids.insert(raw_part.id.get_ref().clone()) {
                    return Err(Problem {
                        at: raw_part.id.span().start,
                        message: format!(
                            "question '{id}' part '{}' appears twice; parts of a case study need different ids",
                            raw_part.id.get_ref()
                        ),
                    });
                }
                parts.push(convert(raw_part, part_of, topics)?);
            }
            QuestionBody::CaseStudy { stimulus, parts }
        }
        other => {
            let kinds = match place {
                Place::Bank => BANK_KINDS,
                Place::Part { .. } => PART_KINDS,
            };
            return Err(fail(format!(
                "{name}: kind '{other}' is not one of {kinds}"
            )));
        }
    };
    let points = match &body {
        QuestionBody::CaseStudy { parts, .. } => parts
            .iter()
            .try_fold(0u32, |sum, part| sum.checked_add(part.points))
            .ok_or_else(|| {
                ctx(format!(
                    "its parts' points add up to more than {}",
                    u32::MAX
                ))
            })?,
        _ => raw.points.unwrap_or(1),
    };
    let own_topics = match place {
        Place::Part { topics: case, .. } if raw.topics.is_empty() => case.to_vec(),
        _ => raw.topics,
    };
    Ok(Question {
        id,
        topics: own_topics,
        prompt: raw.prompt,
        explanation,
        points,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::MemoryFiles;

    const FILE: &str = "questions/cases.toml";

    fn load(bank: &str) -> Result<Vec<Question>, ContentError> {
        let mut files = MemoryFiles::default();
        files.insert_text(FILE.into(), bank.into());
        load_all(&files, &HashSet::from(["consensus", "clocks"]))
    }

    /// The problem with `bank`, which must fail to load.
    fn problem(bank: &str) -> ContentError {
        match load(bank) {
            Ok(questions) => panic!("loaded {} question(s)", questions.len()),
            Err(e) => e,
        }
    }

    const ESSAY: &str = r#"
[[question]]
id = "why-quorums"
kind = "essay"
topics = ["consensus"]
prompt = "Why do majority quorums overlap?"
explanation = "Any two majorities share a member."
min_words = 50
max_words = 200
rubric = "2 points: names the overlap. 1 point: an example."
points = 3
"#;

    /// Lines: the case's id is on line 3, part 'a' on 10, part 'b' on 17.
    const CASE: &str = r#"
[[question]]
id = "cs-outage"
kind = "case_study"
topics = ["consensus"]
prompt = "Read the incident report, then answer the questions."
stimulus = "At 02:14 the leader lost its disk."
explanation = "The cluster kept a majority."
  [[question.parts]]
  id = "a"
  kind = "single_choice"
  prompt = "How many nodes must acknowledge?"
  choices = [{ id = "x", text = "2" }, { id = "y", text = "3" }]
  correct = "y"
  points = 2
  [[question.parts]]
  id = "b"
  kind = "numeric"
  topics = ["clocks"]
  prompt = "How many seconds did the election take?"
  correct = 1.5
  tolerance = 0.1
  [[question.parts]]
  id = "c"
  kind = "essay"
  prompt = "What should the on-call engineer have done?"
  points = 4
"#;

    #[test]
    fn an_essay_keeps_its_limits_and_rubric() {
        let questions = load(ESSAY).unwrap();
        assert_eq!(questions[0].points, 3);
        assert_eq!(
            questions[0].body,
            QuestionBody::Essay {
                min_words: Some(50),
                max_words: Some(200),
                rubric: "2 points: names the overlap. 1 point: an example.".into(),
            }
        );
    }

    #[test]
    fn an_essay_needs_min_words_at_most_max_words() {
        let err = problem(&ESSAY.replace("min_words = 50", "min_words = 250"));
        assert_eq!(err.file, FILE);
        assert_eq!(err.line, Some(3));
        assert_eq!(
            err.message,
            "question 'why-quorums' (essay): `min_words` (250) is more than `max_words` (200)"
        );
    }

    #[test]
    fn an_essay_needs_max_words_of_at_least_one() {
        let err = problem(&ESSAY.replace("max_words = 200", "max_words = 0"));
        assert_eq!(
            err.message,
            "question 'why-quorums' (essay): `max_words` must be at least 1"
        );
    }

    #[test]
    fn a_case_study_has_typed_parts_that_add_up() {
        let questions = load(CASE).unwrap();
        let case = &questions[0];
        assert_eq!(case.points, 2 + 1 + 4, "the parts' points, 1 by default");
        let QuestionBody::CaseStudy { stimulus, parts } = &case.body else {
            panic!("{:?}", case.body);
        };
        assert_eq!(stimulus, "At 02:14 the leader lost its disk.");
        let summary: Vec<(&str, &str, &[String])> = parts
            .iter()
            .map(|p| (p.id.as_str(), p.body.kind(), p.topics.as_slice()))
            .collect();
        assert_eq!(
            summary,
            [
                ("a", "single_choice", &["consensus".to_owned()][..]),
                ("b", "numeric", &["clocks".to_owned()][..]),
                ("c", "essay", &["consensus".to_owned()][..]),
            ],
            "a part without topics takes the case's"
        );
        assert!(parts.iter().all(|p| p.explanation.is_empty()));
    }

    #[test]
    fn a_part_problem_names_the_case_the_part_and_its_line() {
        let err = problem(&CASE.replace("correct = 1.5", "correct = \"soon\""));
        assert_eq!(err.file, FILE);
        assert_eq!(err.line, Some(17));
        assert_eq!(
            err.message,
            "question 'cs-outage' part 'b' (numeric): `correct` must be a number"
        );
    }

    #[test]
    fn a_case_study_may_not_set_its_own_points() {
        let err =
            problem(&CASE.replace("kind = \"case_study\"", "kind = \"case_study\"\npoints = 7"));
        assert_eq!(err.line, Some(3));
        assert_eq!(
            err.message,
            "question 'cs-outage' (case_study): `points` of a case study is the sum of its parts' points; set `points` on the parts instead"
        );
    }

    #[test]
    fn a_case_study_needs_a_stimulus() {
        let err = problem(&CASE.replace(
            "stimulus = \"At 02:14 the leader lost its disk.\"",
            "stimulus = \"  \"",
        ));
        assert_eq!(
            err.message,
            "question 'cs-outage' (case_study): needs `stimulus`"
        );
    }

    #[test]
    fn a_case_study_needs_parts() {
        let without_parts = &CASE[..CASE.find("  [[question.parts]]").unwrap()];
        let err = problem(without_parts);
        assert_eq!(
            err.message,
            "question 'cs-outage' (case_study): needs at least one [[question.parts]] table"
        );
    }

    #[test]
    fn part_ids_differ_within_a_case() {
        let err = problem(&CASE.replace("id = \"b\"", "id = \"a\""));
        assert_eq!(err.line, Some(17), "the second 'a'");
        assert_eq!(
            err.message,
            "question 'cs-outage' part 'a' appears twice; parts of a case study need different ids"
        );
    }

    #[test]
    fn part_ids_are_checked() {
        let err = problem(&CASE.replace("id = \"b\"", "id = \"B\""));
        assert_eq!(
            err.message,
            "question 'cs-outage' part id 'B' must be lowercase letters, digits and '-'"
        );
    }

    #[test]
    fn a_part_cannot_be_a_case_study() {
        let err = problem(&CASE.replace("kind = \"numeric\"", "kind = \"case_study\""));
        assert_eq!(err.line, Some(17));
        assert_eq!(
            err.message,
            "question 'cs-outage' part 'b' (case_study): a part cannot be a case study; give the part another kind"
        );
    }

    #[test]
    fn a_part_kind_must_be_known() {
        let err = problem(&CASE.replace("kind = \"numeric\"", "kind = \"hotspot\""));
        assert_eq!(
            err.message,
            "question 'cs-outage' part 'b': kind 'hotspot' is not one of single_choice, multiple_response, true_false, numeric, short_text, ordering, matching, essay"
        );
    }

    #[test]
    fn a_part_has_no_explanation_of_its_own() {
        let err = problem(&CASE.replace(
            "points = 4",
            "points = 4\n  explanation = \"Page the owner.\"",
        ));
        assert_eq!(err.line, Some(24));
        assert_eq!(
            err.message,
            "question 'cs-outage' part 'c' (essay): `explanation` goes on the case study, which explains all its parts"
        );
    }

    #[test]
    fn a_part_topic_must_be_declared() {
        let err = problem(&CASE.replace("topics = [\"clocks\"]", "topics = [\"gossip\"]"));
        assert_eq!(
            err.message,
            "question 'cs-outage' part 'b' (numeric): topic 'gossip' is not declared in course.toml [[topics]]"
        );
    }

    #[test]
    fn a_case_study_points_must_fit() {
        let err = problem(&CASE.replace("points = 4", "points = 4294967295"));
        assert_eq!(
            err.message,
            "question 'cs-outage' (case_study): its parts' points add up to more than 4294967295"
        );
    }

    #[test]
    fn a_question_needs_an_explanation() {
        let err =
            problem(&ESSAY.replace("explanation = \"Any two majorities share a member.\"\n", ""));
        assert_eq!(err.line, Some(3));
        assert_eq!(
            err.message,
            "question 'why-quorums' (essay): needs `explanation`"
        );
    }
}
