//! The exam session on a real SQLite file: the state machine, answers that are on disk
//! before they are reported saved, the exam clock (monotonic, with wall-clock jumps
//! logged, crash policies, the reboot limit), and the proctor log that records it all.
// The fixture's helpers serve only these tests; a failed set-up step should fail the test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{DateTime, Duration};
use studyhall_core::clock::ManualClock;
use studyhall_core::content::{Choice, Question, QuestionBody, Response};
use studyhall_core::exam::blueprint::{Blueprint, CrashPolicy, Draw, Section};
use studyhall_core::exam::log::{self, LogKind};
use studyhall_core::exam::session::{NewSession, Reopened, SessionState, Sessions};
use studyhall_core::storage::Storage;

struct Exam {
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    storage: Storage,
    sessions: Sessions,
    bank: Vec<Question>,
}

fn question(id: &str, topic: &str) -> Question {
    Question {
        id: id.into(),
        topics: vec![topic.into()],
        prompt: format!("Which is right for {id}?"),
        explanation: String::new(),
        points: 1,
        body: QuestionBody::SingleChoice {
            choices: ["a", "b", "c"]
                .iter()
                .map(|c| Choice {
                    id: (*c).into(),
                    text: c.to_uppercase(),
                })
                .collect(),
            correct: "a".into(),
        },
    }
}

fn blueprint(policy: CrashPolicy) -> Blueprint {
    Blueprint {
        time_limit_minutes: Some(60),
        cut_score_percent: 90,
        attempts_allowed: 1,
        shuffle_items: true,
        shuffle_options: true,
        feedback: Default::default(),
        crash_policy: policy,
        reboot_limit_minutes: 15,
        sections: vec![Section {
            id: "core".into(),
            title: "Core".into(),
            draws: vec![Draw {
                topic: "consensus".into(),
                count: 4,
            }],
        }],
    }
}

impl Exam {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(
            DateTime::parse_from_rfc3339("2026-11-24T09:00:00+01:00").unwrap(),
        ));
        let storage = Storage::open(&dir.path().join("studyhall.db")).unwrap();
        let bank = (0..8)
            .map(|i| question(&format!("q{i}"), "consensus"))
            .collect();
        Exam {
            dir,
            clock,
            storage,
            sessions: Sessions::default(),
            bank,
        }
    }

    /// A started session of `policy`, with 25 % extra time and 20 minutes of breaks;
    /// returns its id.
    fn started(&mut self, policy: CrashPolicy) -> String {
        let blueprint = blueprint(policy);
        let view = self
            .sessions
            .create(
                &mut self.storage,
                self.clock.as_ref(),
                &NewSession {
                    exam_id: "novacron-developer",
                    exam_version: "1.0.0",
                    candidate_id: "cand-1",
                    blueprint: &blueprint,
                    bank: &self.bank,
                    extra_time_percent: 25,
                },
            )
            .unwrap();
        assert_eq!(view.state, SessionState::Lobby);
        assert_eq!(view.timer.limit_ms, Some(75 * 60_000));
        // Breaks are an accommodation: 20 minutes of them.
        self.sessions
            .allow_breaks(&mut self.storage, &view.session_id, 20)
            .unwrap();
        self.sessions
            .start(
                &mut self.storage,
                self.clock.as_ref(),
                &view.session_id,
                serde_json::json!({ "displays": 1 }),
            )
            .unwrap();
        view.session_id
    }

    fn items(&self, session: &str) -> Vec<String> {
        self.sessions
            .view(&self.storage, session)
            .unwrap()
            .form
            .sections[0]
            .items
            .iter()
            .map(|i| i.question_id.clone())
            .collect()
    }

    fn answer(
        &mut self,
        session: &str,
        question: &str,
        choice: &str,
    ) -> studyhall_core::Result<()> {
        self.sessions
            .record_answer(
                &mut self.storage,
                self.clock.as_ref(),
                session,
                question,
                &Response::SingleChoice {
                    choice: choice.into(),
                },
            )
            .map(drop)
    }

    fn used_minutes(&mut self, session: &str) -> f64 {
        let timer = self
            .sessions
            .tick(&mut self.storage, self.clock.as_ref(), session)
            .unwrap();
        f64::from(timer.used_ms) / 60_000.0
    }

    fn log_kinds(&self, session: &str) -> Vec<String> {
        let (entries, head) = self.sessions.proctor_log(&self.storage, session).unwrap();
        assert_eq!(head.length as usize, entries.len());
        entries.into_iter().map(|e| e.kind).collect()
    }

    /// The app is killed and started again: a new process on the same database.
    fn restart(&mut self) {
        self.sessions = Sessions::default();
        self.storage = Storage::open(&self.dir.path().join("studyhall.db")).unwrap();
        self.clock.restart_process();
    }
}

#[test]
fn answers_are_saved_newest_wins_and_every_save_is_kept() {
    let mut exam = Exam::new();
    let session = exam.started(CrashPolicy::ClockStops);
    let items = exam.items(&session);
    exam.answer(&session, &items[0], "b").unwrap();
    exam.clock.advance(Duration::seconds(30));
    exam.answer(&session, &items[1], "a").unwrap();
    exam.answer(&session, &items[0], "a").unwrap();

    let view = exam.sessions.view(&exam.storage, &session).unwrap();
    let answers: Vec<(&str, u32)> = view
        .answers
        .iter()
        .map(|a| (a.question_id.as_str(), a.seq))
        .collect();
    assert_eq!(
        answers,
        vec![(items[1].as_str(), 1), (items[0].as_str(), 2)]
    );
    assert_eq!(
        view.answers[1].response,
        Response::SingleChoice { choice: "a".into() }
    );

    // Not on the form: refused, nothing written.
    let err = exam.answer(&session, "not-on-the-form", "a").unwrap_err();
    assert!(err.to_string().contains("not-on-the-form"), "{err}");

    // The database keeps every save and refuses to change one.
    let conn = rusqlite::Connection::open(exam.dir.path().join("studyhall.db")).unwrap();
    let saves: i64 = conn
        .query_row("SELECT count(*) FROM exam_answers", [], |r| r.get(0))
        .unwrap();
    assert_eq!(saves, 3);
    let update = conn.execute("UPDATE exam_answers SET response = '{}'", []);
    assert!(update.unwrap_err().to_string().contains("immutable"));
    let delete = conn.execute("DELETE FROM proctor_log", []);
    assert!(delete.unwrap_err().to_string().contains("never deleted"));
}

#[test]
fn the_clock_counts_running_time_not_the_wall_clock() {
    let mut exam = Exam::new();
    let session = exam.started(CrashPolicy::ClockStops);
    exam.clock.advance(Duration::minutes(10));
    assert_eq!(exam.used_minutes(&session), 10.0);

    // Someone moves the computer's clock an hour ahead, then two hours back.
    exam.clock.set_wall_by(Duration::hours(1));
    exam.clock.advance(Duration::seconds(30));
    assert_eq!(exam.used_minutes(&session), 10.5);
    exam.clock.set_wall_by(Duration::hours(-2));
    exam.clock.advance(Duration::seconds(30));
    assert_eq!(exam.used_minutes(&session), 11.0);
    let kinds = exam.log_kinds(&session);
    assert_eq!(
        kinds.iter().filter(|k| *k == "clock_jumped").count(),
        2,
        "{kinds:?}"
    );

    // A break: the clock stands still.
    exam.sessions
        .pause(
            &mut exam.storage,
            exam.clock.as_ref(),
            &session,
            "scheduled break",
        )
        .unwrap();
    exam.clock.advance(Duration::minutes(15));
    let items = exam.items(&session);
    let err = exam.answer(&session, &items[0], "a").unwrap_err();
    assert!(err.to_string().contains("paused"), "{err}");
    exam.sessions
        .resume(&mut exam.storage, exam.clock.as_ref(), &session)
        .unwrap();
    exam.clock.advance(Duration::minutes(1));
    assert_eq!(exam.used_minutes(&session), 12.0);
}

#[test]
fn time_up_submits_and_keeps_what_was_saved() {
    let mut exam = Exam::new();
    let session = exam.started(CrashPolicy::ClockStops);
    let items = exam.items(&session);
    exam.answer(&session, &items[0], "a").unwrap();
    exam.sessions
        .grant_extra_time(
            &mut exam.storage,
            exam.clock.as_ref(),
            &session,
            5,
            "proctor-7",
        )
        .unwrap();
    // 60 min + 25 % + 5 min = 80 min.
    exam.clock.advance(Duration::minutes(79));
    exam.answer(&session, &items[1], "a").unwrap();
    exam.clock.advance(Duration::minutes(2));
    let err = exam.answer(&session, &items[2], "a").unwrap_err();
    assert!(err.to_string().contains("exam is over"), "{err}");

    let view = exam.sessions.view(&exam.storage, &session).unwrap();
    assert_eq!(view.state, SessionState::Submitted);
    assert_eq!(view.timer.remaining_ms, Some(0));
    assert_eq!(view.answers.len(), 2);
    let kinds = exam.log_kinds(&session);
    assert_eq!(
        kinds,
        ["session_started", "extra_time_granted", "submitted"]
    );
}

#[test]
fn after_a_crash_the_clock_follows_the_policy() {
    for (policy, expected_minutes) in [
        (CrashPolicy::ClockStops, 20.0),
        (CrashPolicy::ClockRuns, 23.0),
    ] {
        let mut exam = Exam::new();
        let session = exam.started(policy);
        let items = exam.items(&session);
        exam.clock.advance(Duration::minutes(20));
        exam.answer(&session, &items[3], "c").unwrap();
        exam.sessions
            .set_position(&mut exam.storage, &session, (0, 3))
            .unwrap();

        // Killed; the computer restarts; three minutes later the app is back.
        exam.restart();
        exam.clock.advance(Duration::minutes(3));
        assert_eq!(
            exam.sessions.open_sessions(&exam.storage).unwrap(),
            vec![session.clone()]
        );
        let Reopened::Continue { session: view } = exam
            .sessions
            .reopen(&mut exam.storage, exam.clock.as_ref(), &session)
            .unwrap()
        else {
            panic!("within the reboot limit the exam goes straight on");
        };
        assert_eq!(view.position, (0, 3));
        assert_eq!(view.answers[0].question_id, items[3]);
        assert_eq!(
            f64::from(view.timer.used_ms) / 60_000.0,
            expected_minutes,
            "{policy:?}"
        );
        exam.clock.advance(Duration::minutes(1));
        assert_eq!(exam.used_minutes(&session), expected_minutes + 1.0);
        assert!(
            exam.log_kinds(&session)
                .contains(&"resumed_after_crash".to_string())
        );
    }
}

#[test]
fn past_the_reboot_limit_a_proctor_resume_code_is_needed() {
    let mut exam = Exam::new();
    let session = exam.started(CrashPolicy::ClockStops);
    exam.clock.advance(Duration::minutes(5));
    exam.used_minutes(&session);
    exam.restart();
    exam.clock.advance(Duration::minutes(40));
    let reopened = exam
        .sessions
        .reopen(&mut exam.storage, exam.clock.as_ref(), &session)
        .unwrap();
    assert_eq!(
        reopened,
        Reopened::NeedsResumeCode {
            session_id: session.clone(),
            offline_minutes: 40
        }
    );
    // Until then answers are not taken and time does not run.
    let items = exam.items(&session);
    exam.clock.advance(Duration::minutes(1));
    assert_eq!(exam.used_minutes(&session), 5.0);

    let view = exam
        .sessions
        .resume_after_proctor_code(
            &mut exam.storage,
            exam.clock.as_ref(),
            &session,
            "proctor-7",
        )
        .unwrap();
    assert_eq!(view.state, SessionState::Running);
    exam.answer(&session, &items[0], "a").unwrap();
    let kinds = exam.log_kinds(&session);
    assert!(kinds.ends_with(&["resume_code_accepted".into(), "resumed_after_crash".into()]));
}

#[test]
fn the_proctor_log_takes_observed_events_and_detects_tampering() {
    let mut exam = Exam::new();
    let session = exam.started(CrashPolicy::ClockStops);
    for kind in [
        LogKind::FocusLost,
        LogKind::FocusRegained,
        LogKind::DisplayAdded,
    ] {
        exam.sessions
            .log_event(
                &mut exam.storage,
                exam.clock.as_ref(),
                &session,
                kind,
                serde_json::json!({ "window": "exam" }),
            )
            .unwrap();
    }
    let err = exam
        .sessions
        .log_event(
            &mut exam.storage,
            exam.clock.as_ref(),
            &session,
            LogKind::Submitted,
            serde_json::json!({}),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("recorded by the exam itself"),
        "{err}"
    );
    exam.sessions
        .submit(
            &mut exam.storage,
            exam.clock.as_ref(),
            &session,
            "candidate",
        )
        .unwrap();
    let (entries, head) = exam.sessions.proctor_log(&exam.storage, &session).unwrap();
    assert_eq!(head.length, 5);

    // Editing a stored entry (bypassing the triggers) breaks the chain at that entry.
    drop(exam.storage);
    let conn = rusqlite::Connection::open(exam.dir.path().join("studyhall.db")).unwrap();
    conn.execute_batch(
        "DROP TRIGGER proctor_log_is_immutable;
         UPDATE proctor_log SET detail = '{\"window\":\"browser\"}' WHERE seq = 1;",
    )
    .unwrap();
    drop(conn);
    let storage = Storage::open(&exam.dir.path().join("studyhall.db")).unwrap();
    let err = exam.sessions.proctor_log(&storage, &session).unwrap_err();
    assert!(err.to_string().contains("entry 1 was changed"), "{err}");
    let mut tampered = entries.clone();
    tampered.truncate(4);
    assert!(log::verify_against(&session, &tampered, &head).is_err());
}

mod results {
    use super::*;
    use studyhall_core::exam::result::{ExamContent, Outcome, ResultError, verify_sealed};
    use studyhall_core::exam::session::{Finish, FinishedResult};
    use studyhall_signing::{SealingKey, SigningKey};

    struct Keys {
        device: SigningKey,
        server: SealingKey,
    }

    /// A submitted session with three of four items answered right.
    fn finished(exam: &mut Exam, keys: &Keys) -> (String, FinishedResult) {
        let session = exam.started(CrashPolicy::ClockStops);
        let items = exam.items(&session);
        for (index, item) in items.iter().enumerate().take(3) {
            exam.answer(&session, item, if index == 1 { "b" } else { "a" })
                .unwrap();
        }
        exam.answer(&session, &items[1], "a").unwrap();
        exam.clock.advance(Duration::minutes(12));
        exam.sessions
            .log_event(
                &mut exam.storage,
                exam.clock.as_ref(),
                &session,
                LogKind::FocusLost,
                serde_json::json!({}),
            )
            .unwrap();
        exam.sessions
            .submit(
                &mut exam.storage,
                exam.clock.as_ref(),
                &session,
                "candidate",
            )
            .unwrap();
        let finished = exam
            .sessions
            .finish(
                &mut exam.storage,
                exam.clock.as_ref(),
                &session,
                &Finish {
                    bank: &exam.bank,
                    device: &keys.device,
                    server: &keys.server.public_key(),
                    app_build: "test",
                },
            )
            .unwrap();
        (session, finished)
    }

    fn keys() -> Keys {
        Keys {
            device: SigningKey::generate().unwrap(),
            server: SealingKey::generate().unwrap(),
        }
    }

    fn content<'a>(blueprint: &'a Blueprint, bank: &'a [Question]) -> ExamContent<'a> {
        ExamContent {
            exam_id: "novacron-developer",
            exam_version: "1.0.0",
            blueprint,
            bank,
        }
    }

    #[test]
    fn a_result_is_graded_signed_sealed_kept_and_verifies() {
        let mut exam = Exam::new();
        let keys = keys();
        let (session, finished) = finished(&mut exam, &keys);
        let grading = finished.grading.clone().unwrap();
        assert_eq!((grading.points, grading.max), (3.0, 4.0));
        assert_eq!(grading.percent, 75.0);
        assert_eq!(grading.outcome, Outcome::Fail);
        assert_eq!(grading.topics[0].topic, "consensus");
        assert_eq!(finished.receipt_code.len(), 9);

        // Asking again gives the same result, not a second one.
        let again = exam
            .sessions
            .finish(
                &mut exam.storage,
                exam.clock.as_ref(),
                &session,
                &Finish {
                    bank: &exam.bank,
                    device: &keys.device,
                    server: &keys.server.public_key(),
                    app_build: "test",
                },
            )
            .unwrap();
        assert_eq!(again.result_id, finished.result_id);
        assert_eq!(again.sealed, finished.sealed);

        // The offline hand-in file verifies with the server key and the exam.
        let usb = exam.dir.path().join("usb");
        std::fs::create_dir(&usb).unwrap();
        let file = finished.export_to(&usb).unwrap();
        assert_eq!(std::fs::read_dir(&usb).unwrap().count(), 1);
        let sealed = std::fs::read_to_string(&file).unwrap();
        let blueprint = blueprint(CrashPolicy::ClockStops);
        let document =
            verify_sealed(&sealed, &keys.server, Some(content(&blueprint, &exam.bank))).unwrap();
        assert_eq!(document.session_id, session);
        assert_eq!(document.timing.used_ms, 12 * 60_000);
        assert_eq!(document.proctor_log.head.length, 3);
        assert_eq!(document.device_kid, keys.device.key_id().to_string());

        // The outbox keeps it until a receipt arrives.
        let conn = rusqlite::Connection::open(exam.dir.path().join("studyhall.db")).unwrap();
        let delete = conn.execute("DELETE FROM outbox", []);
        assert!(delete.unwrap_err().to_string().contains("receipted"));
    }

    #[test]
    fn tampered_results_fail_with_the_reason() {
        let mut exam = Exam::new();
        let keys = keys();
        let (_session, finished) = finished(&mut exam, &keys);
        let blueprint = blueprint(CrashPolicy::ClockStops);
        let exam_content = content(&blueprint, &exam.bank);

        // Any changed character of the sealed file.
        let sealed = finished.sealed.clone();
        for at in (0..sealed.len()).step_by(7) {
            let mut bytes = sealed.clone().into_bytes();
            bytes[at] ^= 0x01;
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            assert!(
                verify_sealed(&text, &keys.server, Some(exam_content)).is_err(),
                "flipping character {at} went unnoticed"
            );
        }
        // Another server's key.
        let other = SealingKey::generate().unwrap();
        assert!(matches!(
            verify_sealed(&sealed, &other, None),
            Err(ResultError::Seal(_))
        ));

        // Someone with the server key edits the document and seals it again: the
        // signature fails; re-signed with another key it fails too.
        let signed = keys
            .server
            .open(
                &studyhall_signing::Sealed::from_json(&sealed).unwrap(),
                "studyhall/result",
                b"studyhall result v1",
            )
            .unwrap();
        let token = String::from_utf8(signed.to_vec()).unwrap();
        let payload = studyhall_signing::jws::peek_payload(&token).unwrap();
        let document: studyhall_core::exam::result::ResultDocument =
            serde_json::from_slice(&payload).unwrap();
        let reseal = |document: &studyhall_core::exam::result::ResultDocument, key: &SigningKey| {
            let token = studyhall_signing::jws::sign_compact(
                key,
                Some("studyhall-result+json"),
                &serde_json::to_vec(document).unwrap(),
            );
            keys.server
                .public_key()
                .seal("studyhall/result", b"studyhall result v1", token.as_bytes())
                .unwrap()
                .to_json()
        };
        let mut better = document.clone();
        better.grading.points = 4.0;
        let forged = reseal(&better, &SigningKey::generate().unwrap());
        assert!(matches!(
            verify_sealed(&forged, &keys.server, None),
            Err(ResultError::Signature(_))
        ));

        // Even with the device's own key: a log entry removed, a form changed, a score
        // raised are each caught.
        let mut no_focus_loss = document.clone();
        no_focus_loss
            .proctor_log
            .entries
            .retain(|e| e.kind != "focus_lost");
        let err =
            verify_sealed(&reseal(&no_focus_loss, &keys.device), &keys.server, None).unwrap_err();
        assert!(matches!(err, ResultError::ProctorLog(_)), "{err}");

        let mut other_items = document.clone();
        other_items.form.sections[0].items.reverse();
        let err = verify_sealed(
            &reseal(&other_items, &keys.device),
            &keys.server,
            Some(exam_content),
        )
        .unwrap_err();
        assert!(matches!(err, ResultError::Form(_)), "{err}");

        let mut raised = document.clone();
        raised.grading.points = 4.0;
        raised.grading.percent = 100.0;
        raised.grading.outcome = Outcome::Pass;
        let err = verify_sealed(
            &reseal(&raised, &keys.device),
            &keys.server,
            Some(exam_content),
        )
        .unwrap_err();
        assert!(matches!(err, ResultError::Grading(_)), "{err}");
        assert!(err.to_string().contains("3 of 4"), "{err}");

        // Untouched, it verifies.
        verify_sealed(
            &reseal(&document, &keys.device),
            &keys.server,
            Some(exam_content),
        )
        .unwrap();
    }
}
