//! Scoring a response to a question, after QTI's two standard response processings:
//! `match_correct` (all or nothing) and `map_response` (each part of the response maps
//! to a share of the points, the sum clamped to `0..=points`). Questions marked
//! `partial_credit` use `map_response`; the rest use `match_correct`.

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
#[error("a {response} answer does not fit question '{question}', which is {expected}")]
pub struct MismatchedResponse {
    pub question: String,
    pub expected: &'static str,
    pub response: &'static str,
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

impl Question {
    pub fn score(&self, response: &Response) -> Result<Score, MismatchedResponse> {
        let max = f64::from(self.points);
        let share = |fraction: f64| Score {
            points: (fraction.clamp(0.0, 1.0) * max * 1e6).round() / 1e6,
            max,
        };
        let all_or_nothing = |right: bool| share(if right { 1.0 } else { 0.0 });
        let mismatch = || MismatchedResponse {
            question: self.id.clone(),
            expected: self.body.kind(),
            response: response.kind(),
        };
        Ok(match (&self.body, response) {
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
            _ => return Err(mismatch()),
        })
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
}
