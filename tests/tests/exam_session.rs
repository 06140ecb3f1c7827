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

    /// A started session of `policy`, with 25 % extra time; returns its id.
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
