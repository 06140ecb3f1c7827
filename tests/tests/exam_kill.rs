//! The kill torture test (DESIGN §8: "kill -9 at a random moment mid-exam, zero saved
//! answers lost, timer correct to 1 s"). A child process sits an exam with the real core
//! code and reports each answer once it is saved; it is killed with SIGKILL at random
//! moments, hundreds of times, and restarted on the same database. Every reported answer
//! must be there, byte for byte, and the exam clock must not have lost time it reported.
// The helpers serve only this test; a failed set-up step should fail the test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use studyhall_core::clock::SystemClock;
use studyhall_core::content::{Question, QuestionBody};
use studyhall_core::exam::blueprint::{Blueprint, CrashPolicy, Draw, Section};
use studyhall_core::exam::session::{NewSession, Sessions};
use studyhall_core::storage::Storage;

const KILLS: usize = 300;

/// One line the child printed: (seq, question, text, used_ms).
type Reported = (u32, String, String, u64);

fn parse(line: &str) -> Option<Reported> {
    let mut words = line.strip_prefix("saved ")?.split(' ');
    Some((
        words.next()?.parse().ok()?,
        words.next()?.to_owned(),
        words.next()?.to_owned(),
        words.next()?.parse().ok()?,
    ))
}

#[test]
fn killed_hundreds_of_times_no_saved_answer_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("studyhall.db");
    let bank: Vec<Question> = (0..6)
        .map(|i| Question {
            id: format!("q{i}"),
            topics: vec!["consensus".into()],
            prompt: "Name the rule.".into(),
            explanation: String::new(),
            points: 1,
            body: QuestionBody::ShortText {
                accepted: vec!["majority".into()],
                patterns: Vec::new(),
            },
        })
        .collect();
    let blueprint = Blueprint {
        time_limit_minutes: Some(600),
        cut_score_percent: 50,
        attempts_allowed: 1,
        shuffle_items: true,
        shuffle_options: false,
        feedback: Default::default(),
        crash_policy: CrashPolicy::ClockStops,
        reboot_limit_minutes: 15,
        sections: vec![Section {
            id: "all".into(),
            title: "All".into(),
            draws: vec![Draw {
                topic: "consensus".into(),
                count: 6,
            }],
        }],
    };
    let session = {
        let mut storage = Storage::open(&database).unwrap();
        let mut sessions = Sessions::default();
        let id = sessions
            .create(
                &mut storage,
                &SystemClock,
                &NewSession {
                    exam_id: "torture",
                    exam_version: "1.0.0",
                    candidate_id: "cand",
                    blueprint: &blueprint,
                    bank: &bank,
                    extra_time_percent: 0,
                },
            )
            .unwrap()
            .session_id;
        sessions
            .start(&mut storage, &SystemClock, &id, serde_json::json!({}))
            .unwrap();
        id
    };

    let mut rng = rand::rngs::StdRng::seed_from_u64(20261124);
    let mut reported: Vec<Reported> = Vec::new();
    let mut next_answer = 0u64;
    for _ in 0..KILLS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_studyhall-exam-child"))
            .arg(&database)
            .arg(&session)
            .arg(next_answer.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        std::thread::sleep(Duration::from_micros(rng.random_range(0..60_000)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        for line in lines.try_iter() {
            let entry = parse(&line).unwrap_or_else(|| panic!("unexpected output: {line}"));
            next_answer += 1;
            reported.push(entry);
        }
    }
    assert!(
        reported.len() > KILLS,
        "only {} answers were saved in {KILLS} runs: the child hardly ran",
        reported.len()
    );

    // Every answer reported saved is on disk, byte for byte, under its sequence number.
    let conn = rusqlite::Connection::open(&database).unwrap();
    let mut stored = conn
        .prepare(
            "SELECT question_id, response FROM exam_answers WHERE session_id = ?1 AND seq = ?2",
        )
        .unwrap();
    for (seq, question, text, _) in &reported {
        let (stored_question, response): (String, String) = stored
            .query_row(rusqlite::params![session, seq], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap_or_else(|e| {
                panic!("answer {seq} ({text}) was reported saved but is gone: {e}")
            });
        assert_eq!(&stored_question, question);
        assert_eq!(
            response,
            format!(r#"{{"kind":"short_text","text":"{text}"}}"#),
            "answer {seq} changed"
        );
    }

    // The clock never goes back: it holds at least the time it last reported (time while
    // the app was dead is not counted under `clock_stops`).
    let used_ms: i64 = conn
        .query_row("SELECT used_ms FROM exam_sessions", [], |r| r.get(0))
        .unwrap();
    let last_reported = reported.last().unwrap().3 as i64;
    assert!(
        used_ms >= last_reported,
        "the clock went back from {last_reported} ms to {used_ms} ms"
    );
    // And the proctor log, written across all those kills, is an intact chain.
    let storage = Storage::open(&database).unwrap();
    let (entries, _) = Sessions::default().proctor_log(&storage, &session).unwrap();
    assert!(entries.iter().any(|e| e.kind == "resumed_after_crash"));
}
