//! Grading and the result document (DESIGN §4): every gradable item scored with QTI's
//! `match_correct` / `map_response` semantics, scores per topic, pass or fail against the
//! cut score (provisional while an answered essay awaits a grader); the document signed
//! with the device key (compact JWS, EdDSA) and sealed to the server's key (HPKE:
//! X25519, HKDF-SHA256, AES-256-GCM), ready for the outbox.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use studyhall_signing::{
    PublicKey, Sealed, SealingKey, SealingPublicKey, SigningKey, TrustStore, jws,
};

use super::blueprint::Blueprint;
use super::form::{Form, assemble};
use super::log::{self, ChainHead, LogEntry};
use super::session::SavedAnswer;
use crate::content::{Question, Response, Score};
use crate::error::{Error, Result};

/// Version of the result document's JSON; a change is a new version, never an edit.
pub const RESULT_VERSION: u32 = 1;
/// The JWS `typ` of a signed result.
pub const RESULT_TYP: &str = "studyhall-result+json";
/// The sealed envelope's content type, and the associated data both sides supply.
pub const SEALED_RESULT_TYP: &str = "studyhall/result";
pub const SEALED_RESULT_AAD: &[u8] = b"studyhall result v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    /// Items await a grader (essays): the outcome is known once they are graded.
    Provisional,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ItemResult {
    pub question_id: String,
    pub topics: Vec<String>,
    /// `None`: not answered.
    pub response: Option<Response>,
    pub saved_at: Option<String>,
    /// `None`: awaits a grader (an answered essay, or a case study with one). An item
    /// not answered, or answered with a blank essay, scores 0.
    pub score: Option<Score>,
    pub max: f64,
}

/// A topic's points, counted like [`Grading`]'s: items awaiting a grader add to `max`
/// only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TopicResult {
    pub topic: String,
    pub points: f64,
    pub max: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Grading {
    pub items: Vec<ItemResult>,
    pub topics: Vec<TopicResult>,
    /// Points scored on the graded items.
    pub points: f64,
    /// Points possible on all items, graded or awaiting a grader.
    pub max: f64,
    /// 0–100, of all items' points (items awaiting a grader count as zero until graded).
    pub percent: f64,
    pub cut_score_percent: u8,
    pub outcome: Outcome,
}

/// Scores the newest saved answer of every item on the form.
pub fn grade(
    form: &Form,
    answers: &[SavedAnswer],
    bank: &[Question],
    cut_score_percent: u8,
) -> Result<Grading> {
    let latest: BTreeMap<&str, &SavedAnswer> = answers
        .iter()
        .map(|a| (a.question_id.as_str(), a))
        .collect();
    let mut items = Vec::new();
    let mut topics: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for item in form.sections.iter().flat_map(|s| &s.items) {
        let question = bank
            .iter()
            .find(|q| q.id == item.question_id)
            .ok_or_else(|| Error::NotFound {
                what: format!("question '{}' of the exam's item bank", item.question_id),
            })?;
        let answer = latest.get(question.id.as_str());
        let max = f64::from(question.points);
        let zero = Score { points: 0.0, max };
        // An answer of the wrong kind scores 0, like no answer.
        let score = match answer {
            Some(answer) => question.auto_score(&answer.response).unwrap_or(Some(zero)),
            None => Some(zero),
        };
        for topic in &question.topics {
            let entry = topics.entry(topic.clone()).or_default();
            entry.0 += score.map_or(0.0, |s| s.points);
            entry.1 += max;
        }
        items.push(ItemResult {
            question_id: question.id.clone(),
            topics: question.topics.clone(),
            response: answer.map(|a| a.response.clone()),
            saved_at: answer.map(|a| a.saved_at.clone()),
            score,
            max,
        });
    }
    let pending = items.iter().any(|i| i.score.is_none());
    let points: f64 = items.iter().filter_map(|i| i.score).map(|s| s.points).sum();
    let max: f64 = items.iter().map(|i| i.max).sum();
    let percent = if max > 0.0 {
        (points / max * 100.0 * 100.0).round() / 100.0
    } else {
        0.0
    };
    let outcome = if pending {
        Outcome::Provisional
    } else if percent + 1e-9 >= f64::from(cut_score_percent) {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    Ok(Grading {
        items,
        topics: topics
            .into_iter()
            .map(|(topic, (points, max))| TopicResult { topic, points, max })
            .collect(),
        points,
        max,
        percent,
        cut_score_percent,
        outcome,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Timing {
    pub created_at: String,
    pub started_at: Option<String>,
    pub submitted_at: Option<String>,
    /// 'candidate', 'time_up' or 'proctor'.
    pub submit_reason: Option<String>,
    /// Exam time used (the candidate's active time).
    pub used_ms: u64,
    pub limit_ms: Option<u64>,
    pub extra_time_percent: u32,
    pub extra_time_ms: u64,
}

/// The proctor log as carried in a result: every entry, and the head that the signature
/// covers, so that a verifier can check the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultLog {
    pub head: ChainHead,
    pub entries: Vec<LogEntry>,
}

/// What the device signs and seals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultDocument {
    pub v: u32,
    pub result_id: String,
    pub session_id: String,
    pub exam_id: String,
    pub exam_version: String,
    pub candidate_id: String,
    pub device_kid: String,
    /// The device's public key (JWK), so the signature can be checked anywhere; whether
    /// the device is enrolled is for the server to say.
    pub device_key: PublicKey,
    /// The form sat, with its seed: rebuildable from the exam pack.
    pub form: Form,
    pub grading: Grading,
    pub timing: Timing,
    pub proctor_log: ResultLog,
    /// The build of Studyhall that produced the result.
    pub app_build: String,
}

/// A result signed and sealed, ready for the outbox.
#[derive(Debug, Clone)]
pub struct SealedResult {
    pub result_id: String,
    /// The signed document (compact JWS), kept for the candidate's own record.
    pub signed: String,
    pub sealed: Sealed,
    /// A short code the candidate can note: the first characters of the signature hash.
    pub receipt_code: String,
}

/// Signs `document` with the device key and seals it to the server.
pub fn sign_and_seal(
    document: &ResultDocument,
    device: &SigningKey,
    server: &SealingPublicKey,
) -> Result<SealedResult> {
    let payload = serde_json::to_vec(document)
        .map_err(|e| Error::InvalidInput(format!("the result cannot be written: {e}")))?;
    let signed = jws::sign_compact(device, Some(RESULT_TYP), &payload);
    let sealed = server.seal(SEALED_RESULT_TYP, SEALED_RESULT_AAD, signed.as_bytes())?;
    let receipt_code = crate::sync::receipt_code(&signed);
    Ok(SealedResult {
        result_id: document.result_id.clone(),
        signed,
        sealed,
        receipt_code,
    })
}

/// Why a result file does not verify. Each says which check failed.
#[derive(Debug, thiserror::Error)]
pub enum ResultError {
    #[error("the sealed result cannot be opened with this server key: {0}")]
    Seal(studyhall_signing::SigningError),
    #[error("the result inside is not a Studyhall result document: {0}")]
    Document(String),
    #[error("the result's signature does not verify: {0}")]
    Signature(studyhall_signing::SigningError),
    #[error("the proctor log in the result is broken: {0}")]
    ProctorLog(log::ChainError),
    #[error("the form in the result is not the one its seed draws from this exam: {0}")]
    Form(String),
    #[error("the scores in the result differ from a fresh grading of its answers: {0}")]
    Grading(String),
}

/// The exam a result can be checked against: its blueprint and item bank.
#[derive(Debug, Clone, Copy)]
pub struct ExamContent<'a> {
    pub exam_id: &'a str,
    pub exam_version: &'a str,
    pub blueprint: &'a Blueprint,
    pub bank: &'a [Question],
}

/// Opens a sealed result with the server's key and checks it: the device's signature,
/// the proctor log's chain against its signed head, and, given the exam, that the form is
/// the one its seed draws and that regrading gives the same scores.
pub fn verify_sealed(
    sealed_json: &str,
    server: &SealingKey,
    exam: Option<ExamContent<'_>>,
) -> Result<ResultDocument, ResultError> {
    let sealed = Sealed::from_json(sealed_json.trim()).map_err(ResultError::Seal)?;
    let signed = server
        .open(&sealed, SEALED_RESULT_TYP, SEALED_RESULT_AAD)
        .map_err(ResultError::Seal)?;
    let token = std::str::from_utf8(&signed)
        .map_err(|_| ResultError::Document("the signed result is not text".into()))?;
    verify_signed(token, exam)
}

/// [`verify_sealed`] for a result that is already unsealed (a compact JWS).
pub fn verify_signed(
    token: &str,
    exam: Option<ExamContent<'_>>,
) -> Result<ResultDocument, ResultError> {
    let payload = jws::peek_payload(token).map_err(ResultError::Signature)?;
    let document: ResultDocument =
        serde_json::from_slice(&payload).map_err(|e| ResultError::Document(e.to_string()))?;
    if document.v != RESULT_VERSION {
        return Err(ResultError::Document(format!(
            "it is version {}, and this Studyhall reads version {RESULT_VERSION}; update Studyhall",
            document.v
        )));
    }
    let mut trust = TrustStore::new();
    trust.insert(document.device_key.clone());
    let verified = jws::verify_compact(token, &trust).map_err(ResultError::Signature)?;
    if verified.kid.as_str() != document.device_kid || verified.typ.as_deref() != Some(RESULT_TYP) {
        return Err(ResultError::Document(
            "the signing key or type does not match what the document says".into(),
        ));
    }
    log::verify_against(
        &document.session_id,
        &document.proctor_log.entries,
        &document.proctor_log.head,
    )
    .map_err(ResultError::ProctorLog)?;
    if let Some(exam) = exam {
        check_against_exam(&document, exam)?;
    }
    Ok(document)
}

/// Checks a result document (its signature already verified) against its exam: the
/// form is the one its seed draws, the graded items are the form's items, and
/// regrading its answers gives the same scores. The error names what differs.
pub fn check_against_exam(
    document: &ResultDocument,
    exam: ExamContent<'_>,
) -> Result<(), ResultError> {
    if (exam.exam_id, exam.exam_version)
        != (document.exam_id.as_str(), document.exam_version.as_str())
    {
        return Err(ResultError::Form(format!(
            "the result is for {} {}, not {} {}",
            document.exam_id, document.exam_version, exam.exam_id, exam.exam_version
        )));
    }
    let rebuilt = assemble(exam.blueprint, exam.bank, &document.form.seed)
        .map_err(|e| ResultError::Form(e.to_string()))?;
    if rebuilt != document.form {
        return Err(ResultError::Form(form_difference(&rebuilt, &document.form)));
    }
    let form_items: Vec<&str> = rebuilt
        .sections
        .iter()
        .flat_map(|s| &s.items)
        .map(|i| i.question_id.as_str())
        .collect();
    let graded_items: Vec<&str> = document
        .grading
        .items
        .iter()
        .map(|i| i.question_id.as_str())
        .collect();
    if form_items != graded_items {
        return Err(ResultError::Form(format!(
            "its graded items ({}) are not the form's items ({})",
            graded_items.join(", "),
            form_items.join(", ")
        )));
    }
    let answers: Vec<SavedAnswer> = document
        .grading
        .items
        .iter()
        .filter_map(|item| {
            Some(SavedAnswer {
                question_id: item.question_id.clone(),
                response: item.response.clone()?,
                saved_at: item.saved_at.clone().unwrap_or_default(),
                seq: 0,
            })
        })
        .collect();
    let regraded = grade(
        &document.form,
        &answers,
        exam.bank,
        exam.blueprint.cut_score_percent,
    )
    .map_err(|e| ResultError::Grading(e.to_string()))?;
    if regraded != document.grading {
        return Err(ResultError::Grading(format!(
            "{} of {} points and {:?} here, {} of {} and {:?} in the result",
            regraded.points,
            regraded.max,
            regraded.outcome,
            document.grading.points,
            document.grading.max,
            document.grading.outcome
        )));
    }
    Ok(())
}

/// The first place where `claimed` differs from the form its seed draws, in words.
fn form_difference(rebuilt: &Form, claimed: &Form) -> String {
    let sections = |form: &Form| {
        form.sections
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if rebuilt.sections.len() != claimed.sections.len() {
        return format!(
            "its sections are ({}), and the seed draws ({})",
            sections(claimed),
            sections(rebuilt)
        );
    }
    for (drawn, sat) in rebuilt.sections.iter().zip(&claimed.sections) {
        if drawn.id != sat.id {
            return format!(
                "its sections are ({}), and the seed draws ({})",
                sections(claimed),
                sections(rebuilt)
            );
        }
        for (position, (drawn_item, sat_item)) in drawn.items.iter().zip(&sat.items).enumerate() {
            if drawn_item.question_id != sat_item.question_id {
                return format!(
                    "item {} of section '{}' is '{}', and the seed draws '{}' there",
                    position + 1,
                    sat.id,
                    sat_item.question_id,
                    drawn_item.question_id
                );
            }
            if drawn_item.option_order != sat_item.option_order {
                return format!(
                    "the options of item '{}' are in another order than the seed's",
                    sat_item.question_id
                );
            }
        }
        if drawn.items.len() != sat.items.len() {
            return format!(
                "section '{}' has {} items, and the seed draws {}",
                sat.id,
                sat.items.len(),
                drawn.items.len()
            );
        }
    }
    "the items or their order differ from the seed's".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::QuestionBody;
    use crate::exam::form::{FormItem, FormSection, FormSeed};

    fn question(id: &str, points: u32, body: QuestionBody) -> Question {
        Question {
            id: id.into(),
            topics: vec!["consensus".into()],
            prompt: format!("Prompt {id}"),
            explanation: String::new(),
            points,
            body,
        }
    }

    /// A true/false item worth 1 point and an essay worth 3.
    fn bank() -> Vec<Question> {
        vec![
            question("tf", 1, QuestionBody::TrueFalse { correct: true }),
            question(
                "essay",
                3,
                QuestionBody::Essay {
                    min_words: None,
                    max_words: None,
                    rubric: String::new(),
                },
            ),
        ]
    }

    fn form() -> Form {
        Form {
            seed: FormSeed("00112233445566778899aabbccddeeff".into()),
            sections: vec![FormSection {
                id: "one".into(),
                items: ["tf", "essay"]
                    .iter()
                    .map(|id| FormItem {
                        question_id: (*id).into(),
                        option_order: Vec::new(),
                    })
                    .collect(),
            }],
        }
    }

    fn answer(question_id: &str, response: Response) -> SavedAnswer {
        SavedAnswer {
            question_id: question_id.into(),
            response,
            saved_at: "2026-11-24T10:00:00Z".into(),
            seq: 1,
        }
    }

    fn essay(text: &str) -> SavedAnswer {
        answer("essay", Response::Essay { text: text.into() })
    }

    fn right_tf() -> SavedAnswer {
        answer("tf", Response::TrueFalse { value: true })
    }

    #[test]
    fn an_answered_essay_leaves_the_outcome_provisional() {
        let answers = [right_tf(), essay("Majorities overlap.")];
        let grading = grade(&form(), &answers, &bank(), 20).unwrap();
        assert_eq!(
            grading.outcome,
            Outcome::Provisional,
            "25% ≥ 20% is not enough"
        );
        assert_eq!(grading.items[1].score, None);
        assert_eq!(
            (grading.points, grading.max, grading.percent),
            (1.0, 4.0, 25.0)
        );
        assert_eq!(
            grading.topics,
            [TopicResult {
                topic: "consensus".into(),
                points: 1.0,
                max: 4.0
            }]
        );
    }

    #[test]
    fn the_outcome_is_final_when_no_item_awaits_a_grader() {
        let unanswered = grade(&form(), &[right_tf()], &bank(), 20).unwrap();
        assert_eq!(unanswered.outcome, Outcome::Pass);
        assert_eq!(
            unanswered.items[1].score,
            Some(Score {
                points: 0.0,
                max: 3.0
            }),
            "an unanswered essay has nothing to grade"
        );
        let blank = grade(&form(), &[right_tf(), essay("  ")], &bank(), 50).unwrap();
        assert_eq!(blank.outcome, Outcome::Fail);
        assert_eq!(blank.percent, 25.0);
    }
}
