//! The command line as a user runs it: real binary, real files, exit codes and messages.
// The helpers below serve only these tests; a failed set-up step should fail the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::{assert_says, cli, new_key, p, text};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/tiny-course")
}

#[test]
fn keys_build_verify_inspect_import() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let out = cli(&["keys", "new", "--out", p(&keys), "--name", "publisher"]);
    assert!(out.status.success(), "{}", text(&out));
    let key = keys.join("publisher.key");
    let jwk = keys.join("publisher.pub.jwk");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let jwk_text = std::fs::read_to_string(&jwk).unwrap();
    assert!(jwk_text.contains("\"kty\": \"OKP\"") || jwk_text.contains("\"kty\":\"OKP\""));
    assert!(
        !jwk_text.contains("\"d\""),
        "the public key file holds no private part"
    );

    // A second `keys new` with the same name refuses to overwrite.
    let again = cli(&["keys", "new", "--out", p(&keys), "--name", "publisher"]);
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));

    let pack = dir.path().join("tiny.shpack");
    let out = cli(&[
        "pack",
        "build",
        p(&fixture()),
        "--key",
        p(&key),
        "--out",
        p(&pack),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Built tiny-course 1.0.0"),
        "{}",
        text(&out)
    );

    let out = cli(&["pack", "verify", p(&pack), "--trust", p(&jwk)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Valid: tiny-course 1.0.0"),
        "{}",
        text(&out)
    );

    let out = cli(&["pack", "inspect", p(&pack)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Majority quorums"), "{}", text(&out));

    let profile = dir.path().join("profile");
    let out = cli(&[
        "pack",
        "import",
        p(&pack),
        "--profile",
        p(&profile),
        "--trust",
        p(&jwk),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Installed tiny-course 1.0.0"),
        "{}",
        text(&out)
    );
    // The profile now trusts the publisher: no --trust needed the second time.
    let out = cli(&["pack", "import", p(&pack), "--profile", p(&profile)]);
    assert!(
        text(&out).contains("already installed; nothing changed"),
        "{}",
        text(&out)
    );
}

#[test]
fn verify_fails_with_the_reason_for_an_untrusted_or_damaged_pack() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    new_key(&keys, "a", "signing");
    new_key(&keys, "b", "signing");
    let pack = dir.path().join("tiny.shpack");
    let key_a = keys.join("a.key");
    assert!(
        cli(&[
            "pack",
            "build",
            p(&fixture()),
            "--key",
            p(&key_a),
            "--out",
            p(&pack)
        ])
        .status
        .success()
    );

    let out = cli(&[
        "pack",
        "verify",
        p(&pack),
        "--trust",
        p(&keys.join("b.pub.jwk")),
    ]);
    assert_says(&out, 1, "does not trust");

    let mut bytes = std::fs::read(&pack).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0xff;
    std::fs::write(&pack, bytes).unwrap();
    let out = cli(&[
        "pack",
        "verify",
        p(&pack),
        "--trust",
        p(&keys.join("a.pub.jwk")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).starts_with("error: "), "{}", text(&out));

    let out = cli(&["pack", "verify", p(&pack)]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing --trust is a usage error"
    );
}

#[test]
fn build_reports_the_file_and_line_of_a_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    new_key(&keys, "k", "signing");
    let course = dir.path().join("course");
    copy_tree(&fixture(), &course);
    let bank = course.join("questions/bank.toml");
    let text_before = std::fs::read_to_string(&bank).unwrap();
    std::fs::write(
        &bank,
        text_before.replace("kind = \"numeric\"", "kind = \"numerc\""),
    )
    .unwrap();
    let out = cli(&[
        "pack",
        "build",
        p(&course),
        "--key",
        p(&keys.join("k.key")),
        "--out",
        p(&dir.path().join("x.shpack")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let msg = text(&out);
    assert!(msg.contains("questions/bank.toml, line 2"), "{msg}");
    assert!(msg.contains("kind 'numerc' is not one of"), "{msg}");
}

#[test]
fn watch_rebuilds_on_change_and_survives_errors() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    new_key(&keys, "k", "signing");
    let course = dir.path().join("course");
    copy_tree(&fixture(), &course);
    let pack = dir.path().join("watched.shpack");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_studyhall-cli"))
        .args([
            "pack",
            "watch",
            p(&course),
            "--key",
            p(&keys.join("k.key")),
            "--out",
            p(&pack),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let first = wait_for(|| pack.exists().then(|| std::fs::read(&pack).unwrap()));

    // Building reads every file; that is no change, and nothing is built again.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        std::fs::read(&pack).unwrap(),
        first,
        "rebuilt without a change"
    );

    // A broken edit: the pack stays as it was and watching continues.
    let lesson = course.join("lessons/01-quorums.md");
    let good = std::fs::read_to_string(&lesson).unwrap();
    std::fs::write(&lesson, "no front matter").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(std::fs::read(&pack).unwrap(), first);
    assert!(
        child.try_wait().unwrap().is_none(),
        "watch exited on a build error"
    );

    // A good edit rebuilds.
    std::fs::write(
        &lesson,
        good.replace(
            "Any two majorities overlap.",
            "Any two majorities share a member.",
        ),
    )
    .unwrap();
    wait_for(|| {
        let now = std::fs::read(&pack).ok()?;
        (now != first).then_some(())
    });
    child.kill().unwrap();
    child.wait().unwrap();
}

fn wait_for<T>(mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn results_verify_reports_a_sealed_result_and_refuses_a_damaged_one() {
    use studyhall_core::clock::SystemClock;
    use studyhall_core::content::{Question, QuestionBody, Response};
    use studyhall_core::exam::blueprint::{Blueprint, Draw, Section};
    use studyhall_core::exam::log::LogKind;
    use studyhall_core::exam::session::{Finish, NewSession, Sessions};
    use studyhall_core::storage::Storage;
    use studyhall_signing::{SealingKey, SigningKey};

    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    new_key(&keys, "server", "sealing");
    let server = SealingKey::read_file(&keys.join("server.key")).unwrap();

    // A short exam, sat and submitted: two items, one answered right.
    let bank: Vec<Question> = ["q1", "q2"]
        .iter()
        .map(|id| Question {
            id: (*id).into(),
            topics: vec!["consensus".into()],
            prompt: "?".into(),
            explanation: String::new(),
            points: 1,
            body: QuestionBody::TrueFalse { correct: true },
        })
        .collect();
    let blueprint = Blueprint {
        time_limit_minutes: Some(30),
        cut_score_percent: 50,
        attempts_allowed: 1,
        shuffle_items: false,
        shuffle_options: false,
        feedback: Default::default(),
        crash_policy: Default::default(),
        reboot_limit_minutes: 15,
        sections: vec![Section {
            id: "all".into(),
            title: "All".into(),
            draws: vec![Draw {
                topic: "consensus".into(),
                count: 2,
            }],
        }],
    };
    let mut storage = Storage::open(&dir.path().join("studyhall.db")).unwrap();
    let mut sessions = Sessions::default();
    let clock = SystemClock;
    let session = sessions
        .create(
            &mut storage,
            &clock,
            &NewSession {
                exam_id: "practice",
                exam_version: "1.0.0",
                candidate_id: "cand-42",
                blueprint: &blueprint,
                bank: &bank,
                extra_time_percent: 0,
            },
        )
        .unwrap()
        .session_id;
    sessions
        .start(&mut storage, &clock, &session, serde_json::json!({}))
        .unwrap();
    sessions
        .record_answer(
            &mut storage,
            &clock,
            &session,
            "q1",
            &Response::TrueFalse { value: true },
        )
        .unwrap();
    sessions
        .log_event(
            &mut storage,
            &clock,
            &session,
            LogKind::FocusLost,
            serde_json::json!({}),
        )
        .unwrap();
    sessions
        .submit(&mut storage, &clock, &session, "candidate")
        .unwrap();
    let device = SigningKey::generate().unwrap();
    let finished = sessions
        .finish(
            &mut storage,
            &clock,
            &session,
            &Finish {
                bank: &bank,
                device: &device,
                server: &server.public_key(),
                app_build: "cli-test",
            },
        )
        .unwrap();
    let file = finished.export_to(dir.path()).unwrap();

    let out = cli(&[
        "results",
        "verify",
        p(&file),
        "--server-key",
        p(&keys.join("server.key")),
    ]);
    let report = text(&out);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("candidate:  cand-42"), "{report}");
    assert!(
        report.contains("1 of 2 points, 50% (cut score 50%): Pass"),
        "{report}"
    );
    assert!(report.contains("focus_lost"), "{report}");
    assert!(report.contains("proctor log chain intact"), "{report}");

    // One changed character: refused, with the reason.
    let mut damaged = std::fs::read_to_string(&file).unwrap().into_bytes();
    let at = damaged.len() / 2;
    damaged[at] = if damaged[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&file, damaged).unwrap();
    let out = cli(&[
        "results",
        "verify",
        p(&file),
        "--server-key",
        p(&keys.join("server.key")),
    ]);
    assert!(!out.status.success());
    assert!(text(&out).contains("does not verify"), "{}", text(&out));
}

#[test]
fn exams_schedule_checks_its_times_and_reports_an_unreachable_server() {
    fn args(opens: &str) -> [&str; 16] {
        [
            "exams",
            "schedule",
            "--server",
            "http://127.0.0.1:9",
            "--token",
            "t",
            "--exam",
            "tiny-exam",
            "--version",
            "1.0.0",
            "--opens",
            opens,
            "--closes",
            "2026-12-01T11:00:00Z",
            "--candidate",
            "alice",
        ]
    }
    assert_says(&cli(&args("tomorrow at nine")), 2, "--opens");
    assert_says(
        &cli(&args("2026-12-01T09:00:00Z")),
        1,
        "the sitting was not scheduled: could not reach the server",
    );
}
