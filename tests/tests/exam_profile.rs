//! Exams in a profile, through the `Studyhall` façade the app uses: install an exam pack,
//! unlock it with the start code, sit it across a restart, submit, and find the sealed
//! result in the outbox; the proctor's PIN and resume codes; refusals with reasons.
// The helpers serve only these tests; a failed set-up step should fail the test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration};
use studyhall_core::clock::ManualClock;
use studyhall_core::content::{Question, QuestionBody, Response};
use studyhall_core::exam::log::LogKind;
use studyhall_core::exam::pack::{build_exam, open_exam};
use studyhall_core::exam::result::{ExamContent, verify_sealed};
use studyhall_core::exam::session::{Reopened, SessionState};
use studyhall_core::pack::Quiet;
use studyhall_core::{ErrorCode, ImportOutcome, Studyhall};
use studyhall_signing::{SealingKey, StartCode, resume_code};
use studyhall_tests::{Publisher, fixture};

struct Setup {
    dir: tempfile::TempDir,
    publisher: Publisher,
    server: SealingKey,
    pack: PathBuf,
    start_code: String,
    clock: Arc<ManualClock>,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let publisher = Publisher::new();
        let server = SealingKey::generate().unwrap();
        let pack = dir.path().join("tiny.shexam");
        let build = build_exam(
            &fixture("tiny-exam"),
            &publisher.key,
            &server.public_key(),
            &pack,
        )
        .unwrap();
        let clock = Arc::new(ManualClock::new(
            DateTime::parse_from_rfc3339("2026-11-24T09:00:00+01:00").unwrap(),
        ));
        Setup {
            dir,
            publisher,
            server,
            pack,
            start_code: build.start_code.to_grouped().to_string(),
            clock,
        }
    }

    fn profile(&self) -> PathBuf {
        self.dir.path().join("profile")
    }

    /// Opens the profile as the app does after a start.
    fn open(&self) -> Studyhall {
        Studyhall::open_with_clock(&self.profile(), self.clock.clone()).unwrap()
    }

    /// A profile that trusts the publisher and the server and has the exam installed.
    fn installed(&self) -> Studyhall {
        let mut app = self.open();
        app.trust_publisher(&self.publisher.key.public_key())
            .unwrap();
        app.trust_server(&self.server.public_key()).unwrap();
        let outcome = app.import_pack(&self.pack, &Quiet).unwrap();
        assert!(matches!(outcome, ImportOutcome::Installed { .. }));
        app
    }

    fn bank(&self) -> Vec<Question> {
        open_exam(&self.pack, &self.publisher.trust())
            .unwrap()
            .unlock_with_start_code(&self.start_code)
            .unwrap()
            .bank
    }
}

fn pin_is(
    digits: &str,
    key: &studyhall_signing::ContentKey,
    pack: &studyhall_core::exam::pack::ExamPack,
) -> bool {
    key.proctor_pin(&pack.manifest.binding()).as_str() == digits
}

fn correct(question: &Question) -> Response {
    match &question.body {
        QuestionBody::SingleChoice { correct, .. } => Response::SingleChoice {
            choice: correct.clone(),
        },
        QuestionBody::TrueFalse { correct } => Response::TrueFalse { value: *correct },
        QuestionBody::Numeric { correct, .. } => Response::Numeric { value: *correct },
        other => panic!("the fixture has no {} items", other.kind()),
    }
}

#[test]
fn a_candidate_sits_an_installed_exam_across_a_restart_and_the_result_is_sealed() {
    let setup = Setup::new();
    let bank = setup.bank();
    let mut app = setup.installed();

    // Installing again changes nothing; the pack stays encrypted in the profile.
    assert!(matches!(
        app.import_pack(&setup.pack, &Quiet).unwrap(),
        ImportOutcome::Unchanged { .. }
    ));
    let installed = std::fs::read(setup.profile().join("exams/tiny-exam-1.0.0.shexam")).unwrap();
    assert_eq!(installed, std::fs::read(&setup.pack).unwrap());

    let exams = app.exams().unwrap();
    assert_eq!(exams.len(), 1);
    let exam = &exams[0];
    assert_eq!(
        (
            exam.item_count,
            exam.time_limit_minutes,
            exam.cut_score_percent
        ),
        (3, Some(20), 90)
    );
    assert_eq!((exam.attempts_used, exam.attempts_allowed), (0, 2));
    assert!(exam.server_trusted && exam.open_session.is_none());

    // A wrong start code is refused and changes nothing.
    let wrong = StartCode::generate().unwrap().to_grouped().to_string();
    let error = app.begin_exam("tiny-exam", &wrong, 0).unwrap_err();
    assert!(error.to_string().contains("start code"), "{error}");
    assert_eq!(app.exams().unwrap()[0].attempts_used, 0);

    let paper = app.begin_exam("tiny-exam", &setup.start_code, 25).unwrap();
    let session = paper.session.session_id.clone();
    assert_eq!(paper.session.state, SessionState::Lobby);
    assert_eq!(paper.title, "Tiny exam");
    assert_eq!(
        paper.session.timer.limit_ms,
        Some(25 * 60_000),
        "20 minutes + 25 %"
    );
    let items: Vec<_> = paper.sections.iter().flat_map(|s| &s.items).collect();
    assert_eq!(items.len(), 3);
    for item in &items {
        let question = bank.iter().find(|q| q.id == item.id).unwrap();
        assert_eq!(item.prompt, question.prompt);
    }
    // Choice options come in the form's shuffled order.
    for (section, form_section) in paper.sections.iter().zip(&paper.session.form.sections) {
        for (item, form_item) in section.items.iter().zip(&form_section.items) {
            if !form_item.option_order.is_empty() {
                let shown: Vec<_> = item.options.iter().map(|o| o.id.clone()).collect();
                assert_eq!(shown, form_item.option_order);
            }
        }
    }
    assert!(
        app.begin_exam("tiny-exam", &setup.start_code, 0)
            .unwrap_err()
            .to_string()
            .contains("already under way")
    );

    let check = app.exam_system_check(1);
    assert!(check.blocking.is_empty(), "{check:?}");
    let paper = app.start_exam(&session, &check).unwrap();
    assert_eq!(paper.session.state, SessionState::Running);

    // Two answers and a flag, then the app is killed.
    let first = &items[0];
    let second = &items[1];
    let q1 = bank.iter().find(|q| q.id == first.id).unwrap();
    let q2 = bank.iter().find(|q| q.id == second.id).unwrap();
    let saved = app
        .save_exam_answer(&session, &q1.id, &correct(q1))
        .unwrap();
    assert!(
        saved.feedback.is_none(),
        "certification: no marks while sitting"
    );
    app.save_exam_answer(&session, &q2.id, &correct(q2))
        .unwrap();
    app.flag_exam_item(&session, &q2.id, true).unwrap();
    app.set_exam_position(&session, 1, 0).unwrap();
    setup.clock.advance(Duration::minutes(3));
    app.exam_tick(&session).unwrap();
    app.log_exam_event(&session, LogKind::FocusLost, serde_json::json!({}))
        .unwrap();
    drop(app);

    // The app starts again two minutes later: straight back in, same answers, same place.
    setup.clock.restart_process();
    setup.clock.set_wall_by(Duration::minutes(2));
    let mut app = setup.open();
    let Some(Reopened::Continue { session: view }) = app.interrupted_exam().unwrap() else {
        panic!("the exam should reopen by itself");
    };
    assert_eq!(view.session_id, session);
    assert_eq!(view.position, (1, 0));
    assert_eq!(view.answers.len(), 2);
    assert_eq!(view.flagged, vec![q2.id.clone()]);
    assert_eq!(
        view.timer.used_ms,
        3 * 60_000,
        "the clock stopped while away"
    );
    let paper = app.exam_paper(&session).unwrap();
    assert_eq!(
        paper.sections.iter().map(|s| s.items.len()).sum::<usize>(),
        3
    );

    let finished = app.submit_exam(&session).unwrap();
    assert_eq!(finished.session.state, SessionState::Submitted);
    let grading = finished.grading.clone().unwrap();
    assert_eq!(grading.items.len(), 3);
    assert!(finished.receipt_code.len() >= 6);

    // The sealed result verifies with the server's key, against the exam.
    let unlocked = open_exam(&setup.pack, &setup.publisher.trust())
        .unwrap()
        .unlock_with_start_code(&setup.start_code)
        .unwrap();
    let document = verify_sealed(
        &finished.sealed,
        &setup.server,
        Some(ExamContent {
            exam_id: "tiny-exam",
            exam_version: "1.0.0",
            blueprint: &unlocked.manifest.blueprint,
            bank: &unlocked.bank,
        }),
    )
    .unwrap();
    assert_eq!(document.result_id, finished.result_id);
    assert_eq!(document.device_kid, app.device_key_id().to_string());
    assert!(
        document
            .proctor_log
            .entries
            .iter()
            .any(|e| e.kind == "focus_lost")
    );

    // Asking again, even after a restart, gives the same result with its grading; the
    // items can no longer be opened.
    drop(app);
    let mut app = setup.open();
    let again = app.exam_result(&session).unwrap();
    assert_eq!(again.result_id, finished.result_id);
    assert_eq!(again.grading, finished.grading);
    assert!(app.exam_paper(&session).is_err());
    let summary = &app.exams().unwrap()[0];
    assert_eq!(summary.attempts_used, 1);
    assert_eq!(summary.last_submitted.as_deref(), Some(session.as_str()));
    assert!(summary.open_session.is_none());
}

#[test]
fn the_proctor_pin_exports_the_result_and_a_resume_code_reopens_a_long_absence() {
    let setup = Setup::new();
    let bank = setup.bank();
    let mut app = setup.installed();
    let paper = app.begin_exam("tiny-exam", &setup.start_code, 0).unwrap();
    let session = paper.session.session_id.clone();
    let check = app.exam_system_check(2);
    assert!(check.warnings.iter().any(|w| w.contains("2 displays")));
    app.start_exam(&session, &check).unwrap();
    let item = &paper.sections[0].items[0];
    let question = bank.iter().find(|q| q.id == item.id).unwrap();
    app.save_exam_answer(&session, &question.id, &correct(question))
        .unwrap();
    drop(app);

    // Away for an hour: past the 10-minute reboot limit.
    setup.clock.restart_process();
    setup.clock.set_wall_by(Duration::hours(1));
    let mut app = setup.open();
    let Some(Reopened::NeedsResumeCode { session_id, .. }) = app.interrupted_exam().unwrap() else {
        panic!("a resume code should be needed");
    };
    assert_eq!(session_id, session);

    // The proctor derives the code from the pack and the start code.
    let pack = open_exam(&setup.pack, &setup.publisher.trust()).unwrap();
    let key = pack
        .manifest
        .start_code
        .unwrap(&StartCode::parse(&setup.start_code).unwrap())
        .unwrap();
    let secret = key.resume_secret(&pack.manifest.binding());
    assert_eq!(app.exam_resume_count(&session).unwrap(), 0);
    let wrong = resume_code(&secret, &session, 1).to_string();
    assert!(app.resume_exam_with_code(&session, &wrong).is_err());
    let code = resume_code(&secret, &session, 0).to_string();
    let paper = app.resume_exam_with_code(&session, &code).unwrap();
    assert_eq!(paper.session.state, SessionState::Running);
    assert_eq!(paper.session.answers.len(), 1);
    assert_eq!(app.exam_resume_count(&session).unwrap(), 1);

    // The proctor closes the locked exam with the PIN; the attempt stays open and the
    // exit is in the log.
    assert!(app.proctor_exit(&session, "00000000").is_err() || pin_is("00000000", &key, &pack));
    app.proctor_exit(&session, key.proctor_pin(&pack.manifest.binding()).as_str())
        .unwrap();
    assert!(
        app.exam_log(&session)
            .unwrap()
            .iter()
            .any(|e| e.kind == "proctor_exit")
    );
    drop(app);
    setup.clock.restart_process();
    let mut app = setup.open();
    assert!(matches!(
        app.interrupted_exam().unwrap(),
        Some(Reopened::Continue { .. })
    ));

    // The PIN: wrong ones are refused, the right one grants time and exports.
    let pin = key.proctor_pin(&pack.manifest.binding());
    assert!(app.grant_exam_time(&session, 5, "00000000").is_err() || pin.as_str() == "00000000");
    let view = app.grant_exam_time(&session, 5, pin.as_str()).unwrap();
    assert_eq!(view.timer.limit_ms, Some(25 * 60_000));
    app.submit_exam(&session).unwrap();
    let usb = tempfile::tempdir().unwrap();
    let error = app
        .export_exam_result(&session, usb.path(), "1234")
        .unwrap_err();
    assert!(error.to_string().contains("PIN"), "{error}");
    assert_eq!(std::fs::read_dir(usb.path()).unwrap().count(), 0);
    let spaced = format!("{} {}", &pin.as_str()[..4], &pin.as_str()[4..]);
    let file = app
        .export_exam_result(&session, usb.path(), &spaced)
        .unwrap();
    let sealed = std::fs::read_to_string(&file).unwrap();
    let document = verify_sealed(&sealed, &setup.server, None).unwrap();
    assert!(
        document
            .proctor_log
            .entries
            .iter()
            .any(|e| e.kind == "resume_code_accepted")
    );
}

#[test]
fn an_exam_cannot_start_without_a_trusted_server_or_beyond_its_attempts() {
    let setup = Setup::new();
    let mut app = setup.open();
    app.trust_publisher(&setup.publisher.key.public_key())
        .unwrap();
    app.import_pack(&setup.pack, &Quiet).unwrap();
    assert!(!app.exams().unwrap()[0].server_trusted);
    let error = app
        .begin_exam("tiny-exam", &setup.start_code, 0)
        .unwrap_err();
    assert!(error.to_string().contains("does not trust"), "{error}");
    assert_eq!(error.code(), ErrorCode::InvalidInput);

    app.trust_server(&setup.server.public_key()).unwrap();
    for _ in 0..2 {
        let paper = app.begin_exam("tiny-exam", &setup.start_code, 0).unwrap();
        let session = paper.session.session_id;
        app.start_exam(&session, &app.exam_system_check(1)).unwrap();
        app.submit_exam(&session).unwrap();
    }
    let error = app
        .begin_exam("tiny-exam", &setup.start_code, 0)
        .unwrap_err();
    assert!(error.to_string().contains("all 2 attempts"), "{error}");

    // An untrusted publisher's exam pack is refused at import.
    let stranger = tempfile::tempdir().unwrap();
    let mut other = Studyhall::open(stranger.path()).unwrap();
    let error = other.import_pack(&setup.pack, &Quiet).unwrap_err();
    assert_eq!(error.code(), ErrorCode::UntrustedPack);
    assert!(other.exams().unwrap().is_empty());
}

#[test]
fn case_studies_and_essays_show_in_form_order_and_leave_the_result_provisional() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("exam");
    std::fs::create_dir_all(source.join("questions")).unwrap();
    std::fs::write(
        source.join("exam.toml"),
        r#"id = "case-exam"
version = "1.0.0"
title = "Case exam"
summary = "A case study and an essay, with immediate feedback."

[[topics]]
id = "ops"
title = "Operations"

[blueprint]
cut_score_percent = 50
shuffle_options = true
feedback = "immediate"

[[blueprint.section]]
id = "all"
title = "All"

[[blueprint.section.draw]]
topic = "ops"
count = 2
"#,
    )
    .unwrap();
    std::fs::write(
        source.join("questions/ops.toml"),
        r#"[[question]]
id = "cs-outage"
kind = "case_study"
topics = ["ops"]
prompt = "Read the incident report, then answer."
stimulus = "At 02:14 the leader of a five-node cluster lost its disk."
explanation = "A majority of five is three."

  [[question.parts]]
  id = "a"
  kind = "single_choice"
  prompt = "How many nodes had to acknowledge each entry?"
  choices = [{ id = "w", text = "2" }, { id = "x", text = "3" }, { id = "y", text = "4" }, { id = "z", text = "5" }]
  correct = "x"
  points = 2

  [[question.parts]]
  id = "b"
  kind = "essay"
  prompt = "What should the on-call engineer have done first?"
  points = 4

[[question]]
id = "postmortem"
kind = "essay"
topics = ["ops"]
prompt = "Write the incident's timeline."
explanation = "A good timeline names each event with its time."
min_words = 20
max_words = 300
rubric = "Full marks for every event in order."
"#,
    )
    .unwrap();
    let publisher = Publisher::new();
    let server = SealingKey::generate().unwrap();
    let pack = dir.path().join("case.shexam");
    let build = build_exam(&source, &publisher.key, &server.public_key(), &pack).unwrap();
    let mut app = Studyhall::open(&dir.path().join("profile")).unwrap();
    app.trust_publisher(&publisher.key.public_key()).unwrap();
    app.trust_server(&server.public_key()).unwrap();
    app.import_pack(&pack, &Quiet).unwrap();
    let code = build.start_code.to_grouped().to_string();
    let paper = app.begin_exam("case-exam", &code, 0).unwrap();
    let session = paper.session.session_id.clone();
    app.start_exam(&session, &app.exam_system_check(1)).unwrap();

    let items = &paper.sections[0].items;
    let case = items.iter().find(|i| i.id == "cs-outage").unwrap();
    assert!(case.stimulus.as_deref().unwrap().contains("02:14"));
    let form_item = paper.session.form.sections[0]
        .items
        .iter()
        .find(|i| i.question_id == "cs-outage")
        .unwrap();
    let shown: Vec<String> = case.parts[0]
        .options
        .iter()
        .map(|o| format!("a/{}", o.id))
        .collect();
    let drawn: Vec<String> = form_item
        .option_order
        .iter()
        .filter(|o| o.starts_with("a/"))
        .cloned()
        .collect();
    assert_eq!(shown, drawn, "the part's options follow the form");
    let essay = items.iter().find(|i| i.id == "postmortem").unwrap();
    assert_eq!((essay.min_words, essay.max_words), (Some(20), Some(300)));

    let saved = app
        .save_exam_answer(
            &session,
            "cs-outage",
            &Response::CaseStudy {
                parts: vec![
                    ("a".into(), Response::SingleChoice { choice: "x".into() }),
                    (
                        "b".into(),
                        Response::Essay {
                            text: "Fail over to a healthy follower.".into(),
                        },
                    ),
                ],
            },
        )
        .unwrap();
    let feedback = saved.feedback.unwrap();
    assert!(
        feedback.score.is_none(),
        "an answered essay part awaits a grader"
    );
    let saved = app
        .save_exam_answer(
            &session,
            "postmortem",
            &Response::Essay {
                text: "02:14 disk lost; 02:15 election.".into(),
            },
        )
        .unwrap();
    assert!(saved.feedback.unwrap().score.is_none());
    // A response of the wrong kind is refused before it is stored.
    assert!(
        app.save_exam_answer(&session, "postmortem", &Response::TrueFalse { value: true })
            .is_err()
    );

    let result = app.submit_exam(&session).unwrap();
    let grading = result.grading.unwrap();
    assert_eq!(
        serde_json::to_value(grading.outcome).unwrap(),
        serde_json::json!("provisional")
    );
    assert_eq!(grading.max, 7.0, "the case study 2 + 4, the essay 1");
}

#[test]
fn breaks_are_an_accommodation_with_a_limit_and_the_exam_goes_on_when_it_is_used() {
    let setup = Setup::new();
    let mut app = setup.installed();
    let paper = app.begin_exam("tiny-exam", &setup.start_code, 0).unwrap();
    let session = paper.session.session_id.clone();
    assert_eq!(paper.session.timer.break_left_ms, None);
    app.start_exam(&session, &app.exam_system_check(1)).unwrap();
    let error = app.pause_exam(&session, "break").unwrap_err();
    assert!(error.to_string().contains("no breaks"), "{error}");
    assert!(
        app.allow_exam_breaks(&session, 5).is_err(),
        "set in the lobby, not during the exam"
    );

    let setup2 = Setup::new();
    let mut app = setup2.installed();
    let paper = app.begin_exam("tiny-exam", &setup2.start_code, 0).unwrap();
    let session = paper.session.session_id.clone();
    let paper = app.allow_exam_breaks(&session, 5).unwrap();
    assert_eq!(paper.session.timer.break_left_ms, Some(5 * 60_000));
    app.start_exam(&session, &app.exam_system_check(1)).unwrap();
    setup2.clock.advance(Duration::minutes(1));
    app.exam_tick(&session).unwrap();

    // A three-minute break: the exam clock stands still, the break clock runs.
    app.pause_exam(&session, "break").unwrap();
    setup2.clock.advance(Duration::minutes(3));
    let timer = app.exam_tick(&session).unwrap();
    assert_eq!(timer.used_ms, 60_000);
    assert_eq!(timer.break_left_ms, Some(2 * 60_000));
    let view = app.resume_exam(&session).unwrap();
    assert_eq!(view.state, SessionState::Running);

    // The next break outlasts what is left: the exam goes on by itself.
    app.pause_exam(&session, "break").unwrap();
    setup2.clock.advance(Duration::minutes(3));
    let timer = app.exam_tick(&session).unwrap();
    assert_eq!(timer.break_left_ms, Some(0));
    assert_eq!(
        app.exam_paper(&session).unwrap().session.state,
        SessionState::Running
    );
    setup2.clock.advance(Duration::minutes(1));
    assert_eq!(app.exam_tick(&session).unwrap().used_ms, 2 * 60_000);
    let error = app.pause_exam(&session, "break").unwrap_err();
    assert!(error.to_string().contains("break time are used"), "{error}");
    let log: Vec<String> = app
        .exam_log(&session)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(log.iter().filter(|k| *k == "paused").count(), 2);
    assert_eq!(log.iter().filter(|k| *k == "resumed").count(), 2);
}
