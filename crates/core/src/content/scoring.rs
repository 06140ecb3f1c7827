//! Scoring a response to a question, after QTI's two standard response processings:
//! `match_correct` (all or nothing) and `map_response` (each part of the response maps
//! to a share of the points, the sum clamped to `0..=points`). Questions marked
//! `partial_credit` use `map_response`; the rest use `match_correct`.
//!
//! An essay is not scored here: an answered essay awaits a person, and so does a case
//! study with such an essay part. [`Question::auto_score`] says so with `None`; grading
//! uses it. A blank essay has nothing to grade and scores 0.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{Question, QuestionBody};

/// A candidate's or learner's answer to one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Response {
    SingleChoice {
        choice: String,
    },
    MultipleResponse {
        choices: Vec<String>,
    },
    TrueFalse {
        value: bool,
    },
    Numeric {
        value: f64,
    },
    ShortText {
        text: String,
    },
    /// Item ids in the order given.
    Ordering {
        order: Vec<String>,
    },
    /// `(left, right)` texts as paired.
    Matching {
        pairs: Vec<(String, String)>,
    },
    Essay {
        text: String,
    },
    /// `(part id, answer)` for each part answered; a part left out scores 0.
    CaseStudy {
        parts: Vec<(String, Response)>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Score {
    pub points: f64,
    pub max: f64,
}

impl Score {
    /// Full marks.
    pub fn is_correct(&self) -> bool {
        self.max > 0.0 && (self.points - self.max).abs() < 1e-9
    }
}

/// Why a response cannot be scored against a question.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MismatchedResponse {
    #[error(
        "a {response} answer does not fit question '{question}'{}, which is {expected}",
        part.as_ref().map(|part| format!(" part '{part}'")).unwrap_or_default()
    )]
    Kind {
        question: String,
        /// The case study's part, when the answer is to one.
        part: Option<String>,
        expected: &'static str,
        response: &'static str,
    },
    #[error("the answer to case study '{question}' names part '{part}', which it does not have")]
    UnknownPart { question: String, part: String },
    #[error("the answer to case study '{question}' answers part '{part}' twice")]
    RepeatedPart { question: String, part: String },
}

impl Response {
    fn kind(&self) -> &'static str {
        match self {
            Response::SingleChoice { .. } => "single_choice",
            Response::MultipleResponse { .. } => "multiple_response",
            Response::TrueFalse { .. } => "true_false",
            Response::Numeric { .. } => "numeric",
            Response::ShortText { .. } => "short_text",
            Response::Ordering { .. } => "ordering",
            Response::Matching { .. } => "matching",
            Response::Essay { .. } => "essay",
            Response::CaseStudy { .. } => "case_study",
        }
    }
}

/// Folds case and runs of white space, and trims, for comparing short text answers.
fn normalize(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Points to the millionth, so that sums of shares compare equal.
fn rounded(points: f64) -> f64 {
    (points * 1e6).round() / 1e6
}

impl Question {
    /// Scores `response`. `Ok(None)`: the response awaits a person's grading (an
    /// answered essay, or a case study with one).
    pub fn auto_score(&self, response: &Response) -> Result<Option<Score>, MismatchedResponse> {
        let max = f64::from(self.points);
        let share = |fraction: f64| Score {
            points: rounded(fraction.clamp(0.0, 1.0) * max),
            max,
        };
        let all_or_nothing = |right: bool| share(if right { 1.0 } else { 0.0 });
        let mismatch = || MismatchedResponse::Kind {
            question: self.id.clone(),
            part: None,
            expected: self.body.kind(),
            response: response.kind(),
        };
        Ok(Some(match (&self.body, response) {
            (QuestionBody::SingleChoice { correct, .. }, Response::SingleChoice { choice }) => {
                all_or_nothing(choice == correct)
            }
            (
                QuestionBody::MultipleResponse {
                    correct,
                    partial_credit,
                    ..
                },
                Response::MultipleResponse { choices },
            ) => {
                let mut chosen: Vec<&String> = choices.iter().collect();
                chosen.sort();
                chosen.dedup();
                let right = chosen.iter().filter(|c| correct.contains(c)).count() as f64;
                let wrong = chosen.len() as f64 - right;
                if *partial_credit {
                    share((right - wrong) / correct.len() as f64)
                } else {
                    all_or_nothing(wrong == 0.0 && right as usize == correct.len())
                }
            }
            (QuestionBody::TrueFalse { correct }, Response::TrueFalse { value }) => {
                all_or_nothing(value == correct)
            }
            (
                QuestionBody::Numeric {
                    correct, tolerance, ..
                },
                Response::Numeric { value },
            ) => all_or_nothing(value.is_finite() && (value - correct).abs() <= *tolerance + 1e-12),
            (QuestionBody::ShortText { accepted, patterns }, Response::ShortText { text }) => {
                let answer = normalize(text);
                let by_list = accepted.iter().any(|a| normalize(a) == answer);
                let by_pattern = patterns.iter().any(|p| {
                    regex::RegexBuilder::new(p)
                        .case_insensitive(true)
                        .build()
                        .is_ok_and(|re| re.is_match(&answer))
                });
                all_or_nothing(!answer.is_empty() && (by_list || by_pattern))
            }
            (
                QuestionBody::Ordering {
                    items,
                    partial_credit,
                },
                Response::Ordering { order },
            ) => {
                let in_place = items
                    .iter()
                    .zip(order)
                    .filter(|(item, given)| &item.id == *given)
                    .count();
                let complete = order.len() == items.len() && in_place == items.len();
                if *partial_credit && order.len() == items.len() {
                    share(in_place as f64 / items.len() as f64)
                } else {
                    all_or_nothing(complete)
                }
            }
            (
                QuestionBody::Matching {
                    pairs,
                    partial_credit,
                    ..
                },
                Response::Matching { pairs: given },
            ) => {
                let right = pairs
                    .iter()
                    .filter(|p| given.iter().any(|(l, r)| l == &p.left && r == &p.right))
                    .count();
                let extra = given.len().saturating_sub(pairs.len());
                if *partial_credit {
                    share((right as f64 - extra as f64) / pairs.len() as f64)
                } else {
                    all_or_nothing(right == pairs.len() && given.len() == pairs.len())
                }
            }
            (QuestionBody::Essay { .. }, Response::Essay { text }) if text.trim().is_empty() => {
                all_or_nothing(false)
            }
            (QuestionBody::Essay { .. }, Response::Essay { .. }) => return Ok(None),
            (QuestionBody::CaseStudy { parts, .. }, Response::CaseStudy { parts: given }) => {
                return self.score_parts(parts, given);
            }
            _ => return Err(mismatch()),
        }))
    }

    /// [`Question::auto_score`], with a response awaiting a grader scoring 0 for now.
    pub fn score(&self, response: &Response) -> Result<Score, MismatchedResponse> {
        Ok(self.auto_score(response)?.unwrap_or(Score {
            points: 0.0,
            max: f64::from(self.points),
        }))
    }

    /// A case study's score: the sum of its parts' scores, or `None` while any part
    /// awaits a grader.
    fn score_parts(
        &self,
        parts: &[Question],
        given: &[(String, Response)],
    ) -> Result<Option<Score>, MismatchedResponse> {
        let mut answers: HashMap<&str, &Response> = HashMap::new();
        for (part, response) in given {
            if !parts.iter().any(|p| &p.id == part) {
                return Err(MismatchedResponse::UnknownPart {
                    question: self.id.clone(),
                    part: part.clone(),
                });
            }
            if answers.insert(part, response).is_some() {
                return Err(MismatchedResponse::RepeatedPart {
                    question: self.id.clone(),
                    part: part.clone(),
                });
            }
        }
        let mut points = 0.0;
        let mut pending = false;
        for part in parts {
            let Some(response) = answers.get(part.id.as_str()) else {
                continue;
            };
            let score = part.auto_score(response).map_err(|e| match e {
                MismatchedResponse::Kind {
                    expected, response, ..
                } => MismatchedResponse::Kind {
                    question: self.id.clone(),
                    part: Some(part.id.clone()),
                    expected,
                    response,
                },
                other => other,
            })?;
            match score {
                Some(score) => points += score.points,
                None => pending = true,
            }
        }
        Ok((!pending).then(|| Score {
            points: rounded(points),
            max: f64::from(self.points),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Choice, MatchPair};

    fn question(body: QuestionBody) -> Question {
        Question {
            id: "q".into(),
            topics: vec![],
            prompt: "?".into(),
            explanation: String::new(),
            points: 2,
            body,
        }
    }

    fn choices(ids: &[&str]) -> Vec<Choice> {
        ids.iter()
            .map(|id| Choice {
                id: (*id).into(),
                text: format!("choice {id}"),
            })
            .collect()
    }

    fn ids(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn single_choice_is_all_or_nothing() {
        let q = question(QuestionBody::SingleChoice {
            choices: choices(&["a", "b"]),
            correct: "b".into(),
        });
        assert!(
            q.score(&Response::SingleChoice { choice: "b".into() })
                .unwrap()
                .is_correct()
        );
        assert_eq!(
            q.score(&Response::SingleChoice { choice: "a".into() })
                .unwrap()
                .points,
            0.0
        );
        assert!(q.score(&Response::TrueFalse { value: true }).is_err());
    }

    #[test]
    fn multiple_response_with_and_without_partial_credit() {
        let body = |partial_credit| QuestionBody::MultipleResponse {
            choices: choices(&["a", "b", "c", "d"]),
            correct: ids(&["a", "c"]),
            partial_credit,
        };
        let answer = |c: &[&str]| Response::MultipleResponse { choices: ids(c) };
        let partial = question(body(true));
        assert_eq!(partial.score(&answer(&["a", "c"])).unwrap().points, 2.0);
        assert_eq!(partial.score(&answer(&["a"])).unwrap().points, 1.0);
        assert_eq!(partial.score(&answer(&["a", "b"])).unwrap().points, 0.0);
        assert_eq!(
            partial.score(&answer(&["b", "d"])).unwrap().points,
            0.0,
            "never below zero"
        );
        assert_eq!(
            partial.score(&answer(&["a", "a", "c"])).unwrap().points,
            2.0,
            "repeats count once"
        );
        let strict = question(body(false));
        assert_eq!(strict.score(&answer(&["a"])).unwrap().points, 0.0);
        assert_eq!(strict.score(&answer(&["a", "c", "d"])).unwrap().points, 0.0);
        assert!(strict.score(&answer(&["c", "a"])).unwrap().is_correct());
    }

    #[test]
    fn numeric_within_tolerance() {
        let q = question(QuestionBody::Numeric {
            correct: 19.53,
            tolerance: 0.5,
            unit: Some("ms".into()),
        });
        assert!(
            q.score(&Response::Numeric { value: 20.0 })
                .unwrap()
                .is_correct()
        );
        assert!(
            q.score(&Response::Numeric { value: 19.03 })
                .unwrap()
                .is_correct()
        );
        assert!(
            !q.score(&Response::Numeric { value: 20.1 })
                .unwrap()
                .is_correct()
        );
        assert!(
            !q.score(&Response::Numeric { value: f64::NAN })
                .unwrap()
                .is_correct()
        );
    }

    #[test]
    fn short_text_by_list_and_pattern() {
        let q = question(QuestionBody::ShortText {
            accepted: ids(&["split brain"]),
            patterns: ids(&["^split[- ]?brain$"]),
        });
        let text = |t: &str| Response::ShortText { text: t.into() };
        assert!(q.score(&text("  Split   Brain ")).unwrap().is_correct());
        assert!(q.score(&text("split-brain")).unwrap().is_correct());
        assert!(!q.score(&text("partition")).unwrap().is_correct());
        assert!(!q.score(&text("")).unwrap().is_correct());
    }

    #[test]
    fn ordering_exact_or_by_position() {
        let body = |partial_credit| QuestionBody::Ordering {
            items: choices(&["a", "b", "c", "d"]),
            partial_credit,
        };
        let order = |o: &[&str]| Response::Ordering { order: ids(o) };
        let partial = question(body(true));
        assert_eq!(
            partial.score(&order(&["a", "b", "d", "c"])).unwrap().points,
            1.0
        );
        assert!(
            partial
                .score(&order(&["a", "b", "c", "d"]))
                .unwrap()
                .is_correct()
        );
        assert_eq!(
            partial.score(&order(&["a"])).unwrap().points,
            0.0,
            "incomplete order"
        );
        let strict = question(body(false));
        assert_eq!(
            strict.score(&order(&["a", "b", "d", "c"])).unwrap().points,
            0.0
        );
    }

    #[test]
    fn matching_pairs() {
        let pair = |l: &str, r: &str| MatchPair {
            left: l.into(),
            right: r.into(),
        };
        let body = |partial_credit| QuestionBody::Matching {
            pairs: vec![pair("Raft", "consensus"), pair("SWIM", "membership")],
            distractors: ids(&["placement"]),
            partial_credit,
        };
        let given = |p: &[(&str, &str)]| Response::Matching {
            pairs: p.iter().map(|(l, r)| ((*l).into(), (*r).into())).collect(),
        };
        let partial = question(body(true));
        assert_eq!(
            partial
                .score(&given(&[("Raft", "consensus"), ("SWIM", "placement")]))
                .unwrap()
                .points,
            1.0
        );
        let strict = question(body(false));
        assert!(
            strict
                .score(&given(&[("SWIM", "membership"), ("Raft", "consensus")]))
                .unwrap()
                .is_correct()
        );
        assert_eq!(
            strict
                .score(&given(&[("Raft", "consensus")]))
                .unwrap()
                .points,
            0.0
        );
    }

    fn essay() -> QuestionBody {
        QuestionBody::Essay {
            min_words: None,
            max_words: Some(300),
            rubric: "Names the overlap.".into(),
        }
    }

    #[test]
    fn an_essay_awaits_a_grader_unless_blank() {
        let q = question(essay());
        let text = |t: &str| Response::Essay { text: t.into() };
        assert_eq!(q.auto_score(&text("Majorities overlap.")).unwrap(), None);
        assert_eq!(
            q.auto_score(&text(" \n ")).unwrap(),
            Some(Score {
                points: 0.0,
                max: 2.0
            }),
            "nothing to grade"
        );
        assert_eq!(
            q.score(&text("Majorities overlap.")).unwrap().points,
            0.0,
            "0 until graded"
        );
        assert!(
            q.auto_score(&Response::ShortText { text: "x".into() })
                .is_err()
        );
    }

    /// Parts: 'a' single choice (2 points), 'b' multiple response with partial credit
    /// (2 points), 'c' essay (2 points).
    fn case_study() -> Question {
        let part = |id: &str, body| Question {
            id: id.into(),
            ..question(body)
        };
        Question {
            id: "cs".into(),
            points: 6,
            ..question(QuestionBody::CaseStudy {
                stimulus: "The incident.".into(),
                parts: vec![
                    part(
                        "a",
                        QuestionBody::SingleChoice {
                            choices: choices(&["x", "y"]),
                            correct: "y".into(),
                        },
                    ),
                    part(
                        "b",
                        QuestionBody::MultipleResponse {
                            choices: choices(&["p", "q", "r"]),
                            correct: ids(&["p", "q"]),
                            partial_credit: true,
                        },
                    ),
                    part("c", essay()),
                ],
            })
        }
    }

    fn answers(parts: &[(&str, Response)]) -> Response {
        Response::CaseStudy {
            parts: parts
                .iter()
                .map(|(id, response)| ((*id).to_owned(), response.clone()))
                .collect(),
        }
    }

    #[test]
    fn a_case_study_scores_the_sum_of_its_parts() {
        let q = case_study();
        let a = Response::SingleChoice { choice: "y".into() };
        let half_of_b = Response::MultipleResponse {
            choices: ids(&["p"]),
        };
        let blank_c = Response::Essay { text: "".into() };
        assert_eq!(
            q.auto_score(&answers(&[
                ("b", half_of_b.clone()),
                ("a", a.clone()),
                ("c", blank_c)
            ]))
            .unwrap(),
            Some(Score {
                points: 3.0,
                max: 6.0
            })
        );
        assert_eq!(
            q.auto_score(&answers(&[("b", half_of_b)])).unwrap(),
            Some(Score {
                points: 1.0,
                max: 6.0
            }),
            "parts left out score 0"
        );
        let written_c = Response::Essay {
            text: "Page the owner.".into(),
        };
        assert_eq!(
            q.auto_score(&answers(&[("a", a), ("c", written_c)]))
                .unwrap(),
            None,
            "an answered essay part awaits a grader"
        );
    }

    #[test]
    fn a_case_study_answer_must_fit_its_parts() {
        let q = case_study();
        let wrong_kind = answers(&[("a", Response::TrueFalse { value: true })]);
        assert_eq!(
            q.auto_score(&wrong_kind).unwrap_err().to_string(),
            "a true_false answer does not fit question 'cs' part 'a', which is single_choice"
        );
        let unknown = answers(&[("z", Response::TrueFalse { value: true })]);
        assert_eq!(
            q.auto_score(&unknown).unwrap_err().to_string(),
            "the answer to case study 'cs' names part 'z', which it does not have"
        );
        let a = Response::SingleChoice { choice: "y".into() };
        let twice = answers(&[("a", a.clone()), ("a", a.clone())]);
        assert_eq!(
            q.auto_score(&twice).unwrap_err().to_string(),
            "the answer to case study 'cs' answers part 'a' twice"
        );
        assert_eq!(
            q.auto_score(&a).unwrap_err().to_string(),
            "a single_choice answer does not fit question 'cs', which is case_study"
        );
    }
}
