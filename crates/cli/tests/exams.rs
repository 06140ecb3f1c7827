//! Exam packs and proctor codes as staff use them: the real binary builds, describes,
//! verifies and installs exam packs, and the codes it prints are the ones the
//! candidate's app accepts.
// The helpers below serve only these tests; a failed set-up step should fail the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use studyhall_core::Studyhall;
use studyhall_core::clock::ManualClock;
use studyhall_core::exam::pack::{ExamSource, open_exam};
use studyhall_core::exam::session::Reopened;
use studyhall_signing::{PublicKey, StartCode, TrustStore, verify_resume_code};
use support::{assert_says, cli, new_key, p, text};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// A publisher key (`publisher.key`, `publisher.pub.jwk`) and a server sealing key
/// (`server.key`, `server.pub.jwk`) in `dir/keys`.
fn keys(dir: &Path) -> PathBuf {
    let keys = dir.join("keys");
    new_key(&keys, "publisher", "signing");
    new_key(&keys, "server", "sealing");
    keys
}

/// The fixture exam built into `dir`: its keys, its pack and what the build printed.
fn tiny_exam(dir: &Path) -> (PathBuf, PathBuf, String) {
    let keys = keys(dir);
    let pack = dir.join("tiny.shexam");
    let built = build(&keys, &repo("tests/fixtures/tiny-exam"), &pack);
    (keys, pack, built)
}

/// Builds the exam in `source` into `out`; returns what the build printed.
fn build(keys: &Path, source: &Path, out: &Path) -> String {
    let built = cli(&[
        "pack",
        "build",
        p(source),
        "--key",
        p(&keys.join("publisher.key")),
        "--server-key",
        p(&keys.join("server.pub.jwk")),
        "--out",
        p(out),
    ]);
    assert!(built.status.success(), "{}", text(&built));
    text(&built)
}

/// The value after `label` on the line that starts with it.
fn labelled<'a>(output: &'a str, label: &str) -> &'a str {
    output
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .unwrap_or_else(|| panic!("no '{label}' line in:\n{output}"))
        .trim()
}

/// The arguments every proctor command takes.
fn exam_args<'a>(pack: &'a Path, keys: &'a Path, start_code: &'a str) -> Vec<String> {
    vec![
        "--exam".into(),
        p(pack).into(),
        "--trust".into(),
        p(&keys.join("publisher.pub.jwk")).into(),
        "--start-code".into(),
        start_code.into(),
    ]
}

fn proctor(command: &str, exam: &[String], more: &[&str]) -> std::process::Output {
    let mut args = vec!["proctor", command];
    args.extend(exam.iter().map(String::as_str));
    args.extend(more);
    cli(&args)
}

#[test]
fn sample_exams_build_and_describe_themselves_without_their_items() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys(dir.path());
    for (folder, title, rules) in [
        (
            "examples/dwcp-practice-exam",
            "DWCP practice exam",
            "untimed; cut score 90%; 99 attempt(s)",
        ),
        (
            "examples/novacron-developer-exam",
            "NovaCron Certified Developer",
            "60 min; cut score 90%; 3 attempt(s)",
        ),
    ] {
        let source = repo(folder);
        let pack = dir.path().join("exam.shexam");
        let built = build(&keys, &source, &pack);
        assert!(built.contains(rules), "{built}");
        StartCode::parse(labelled(&built, "Start code:")).unwrap();
        let pin = labelled(&built, "Proctor PIN:");
        assert!(
            pin.len() == 8 && pin.bytes().all(|b| b.is_ascii_digit()),
            "{built}"
        );
        assert!(built.contains("Shown this once"), "{built}");

        let inspected = cli(&["pack", "inspect", p(&pack)]);
        let verified = cli(&[
            "pack",
            "verify",
            p(&pack),
            "--trust",
            p(&keys.join("publisher.pub.jwk")),
        ]);
        assert!(inspected.status.success(), "{}", text(&inspected));
        assert!(verified.status.success(), "{}", text(&verified));
        let (inspected, verified) = (text(&inspected), text(&verified));
        assert!(inspected.contains(title), "{inspected}");
        assert!(inspected.contains("cut score:     90%"), "{inspected}");
        assert!(inspected.contains("sealed to server key"), "{inspected}");
        assert!(verified.starts_with("Valid: exam "), "{verified}");

        // Nothing of any item shows: no prompt, no explanation.
        let bank = ExamSource::load(&source).unwrap().bank;
        for question in &bank {
            for secret in [&question.prompt, &question.explanation] {
                let line = secret.trim().lines().next().unwrap();
                for output in [&built, &inspected, &verified] {
                    assert!(
                        !output.contains(line),
                        "'{line}' of {} shows in:\n{output}",
                        question.id
                    );
                }
            }
        }
    }
}

#[test]
fn an_exam_needs_a_server_key_and_a_course_takes_none() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys(dir.path());
    let publisher = keys.join("publisher.key");
    let out = dir.path().join("out.shexam");
    for subcommand in ["build", "watch"] {
        let exam = cli(&[
            "pack",
            subcommand,
            p(&repo("tests/fixtures/tiny-exam")),
            "--key",
            p(&publisher),
            "--out",
            p(&out),
        ]);
        assert_says(&exam, 2, "needs --server-key");
    }
    assert!(!out.exists());

    let course = cli(&[
        "pack",
        "build",
        p(&repo("tests/fixtures/tiny-course")),
        "--key",
        p(&publisher),
        "--server-key",
        p(&keys.join("server.pub.jwk")),
        "--out",
        p(&out),
    ]);
    assert_says(&course, 2, "--server-key is for exams");
}

#[test]
fn proctor_codes_derive_from_the_start_code_and_a_wrong_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, pack, built) = tiny_exam(dir.path());
    let start_code = labelled(&built, "Start code:");
    let exam = exam_args(&pack, &keys, start_code);

    // The PIN is the one the build showed, every time.
    for _ in 0..2 {
        let pin = proctor("pin", &exam, &[]);
        assert!(pin.status.success(), "{}", text(&pin));
        assert!(
            text(&pin).ends_with(&format!(": {}\n", labelled(&built, "Proctor PIN:"))),
            "{}",
            text(&pin)
        );
    }

    // Resume codes: one per session and resume, stable, and the one the exam's key gives.
    let resume_code = |session: &str, resume: &str| {
        let out = proctor(
            "resume-code",
            &exam,
            &["--session", session, "--resume", resume],
        );
        assert!(out.status.success(), "{}", text(&out));
        labelled(&text(&out), "Resume code:").to_owned()
    };
    let first = resume_code("session-1", "0");
    assert_eq!(first, resume_code("session-1", "0"));
    assert_ne!(first, resume_code("session-1", "1"));
    assert_ne!(first, resume_code("session-2", "0"));
    let mut trust = TrustStore::new();
    trust.insert(PublicKey::read_jwk_file(&keys.join("publisher.pub.jwk")).unwrap());
    let manifest = open_exam(&pack, &trust).unwrap().manifest;
    let key = manifest
        .start_code
        .unwrap(&StartCode::parse(start_code).unwrap())
        .unwrap();
    let secret = key.resume_secret(&manifest.binding());
    verify_resume_code(&secret, "session-1", 0, &first).unwrap();

    // A wrong start code, a malformed one, an untrusted publisher: exit 1, and why.
    let wrong = StartCode::generate().unwrap();
    let out = proctor("pin", &exam_args(&pack, &keys, &wrong.to_grouped()), &[]);
    assert_says(&out, 1, "that start code does not open tiny-exam 1.0.0");
    let out = proctor(
        "resume-code",
        &exam_args(&pack, &keys, "7K3M-Q9XD"),
        &["--session", "session-1"],
    );
    assert_says(&out, 1, "not a valid start code");
    new_key(&keys, "other", "signing");
    let mut untrusted = exam.clone();
    untrusted[3] = p(&keys.join("other.pub.jwk")).into();
    let out = proctor("pin", &untrusted, &[]);
    assert_says(&out, 1, "does not trust");
}

#[test]
fn an_imported_exam_opens_with_the_printed_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, pack, built) = tiny_exam(dir.path());
    let start_code = labelled(&built, "Start code:");
    let profile = dir.path().join("profile");
    let import = |extra: &[&str]| {
        let mut args = vec!["pack", "import", p(&pack), "--profile", p(&profile)];
        args.extend(extra);
        let out = cli(&args);
        assert!(out.status.success(), "{}", text(&out));
        text(&out)
    };

    // Without the server's key the exam installs, and the profile cannot start it yet.
    let first = import(&["--trust", p(&keys.join("publisher.pub.jwk"))]);
    assert!(first.contains("Installed tiny-exam 1.0.0"), "{first}");
    assert!(first.contains("--trust-server"), "{first}");
    let again = import(&["--trust-server", p(&keys.join("server.pub.jwk"))]);
    assert!(again.contains("already installed"), "{again}");
    assert!(!again.contains("--trust-server"), "{again}");

    // The candidate's app takes the start code, the PIN and, after a long crash, the
    // resume code the proctor's commands print.
    let clock = Arc::new(ManualClock::new(chrono::Local::now().fixed_offset()));
    let mut app = Studyhall::open_with_clock(&profile, clock.clone()).unwrap();
    let summary = app.exams().unwrap().remove(0);
    assert!(summary.server_trusted);
    let paper = app.begin_exam("tiny-exam", start_code, 0).unwrap();
    let session = paper.session.session_id;
    let check = app.exam_system_check(1);
    app.start_exam(&session, &check).unwrap();
    let exam = exam_args(&pack, &keys, start_code);
    let pin = proctor("pin", &exam, &[]);
    let pin = text(&pin).rsplit(' ').next().unwrap().trim().to_owned();
    app.grant_exam_time(&session, 5, &pin).unwrap();

    drop(app);
    clock.advance(chrono::Duration::minutes(11));
    clock.restart_process();
    let mut app = Studyhall::open_with_clock(&profile, clock.clone()).unwrap();
    let reopened = app.interrupted_exam().unwrap();
    assert!(
        matches!(&reopened, Some(Reopened::NeedsResumeCode { session_id, .. }) if *session_id == session),
        "{reopened:?}"
    );
    let out = proctor("resume-code", &exam, &["--session", &session]);
    let code = labelled(&text(&out), "Resume code:").to_owned();
    let resumed = app.resume_exam_with_code(&session, &code).unwrap();
    assert_eq!(resumed.session.session_id, session);
}

#[test]
fn a_start_code_made_beforehand_opens_the_exam_built_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys(dir.path());
    let made = cli(&["proctor", "start-code"]);
    assert!(made.status.success(), "{}", text(&made));
    let code = String::from_utf8(made.stdout).unwrap().trim().to_owned();
    StartCode::parse(&code).unwrap();
    let again = cli(&["proctor", "start-code"]);
    assert_ne!(
        String::from_utf8(again.stdout).unwrap().trim(),
        code,
        "each start code is new"
    );

    let pack = dir.path().join("tiny.shexam");
    let built = cli(&[
        "pack",
        "build",
        p(&repo("tests/fixtures/tiny-exam")),
        "--key",
        p(&keys.join("publisher.key")),
        "--server-key",
        p(&keys.join("server.pub.jwk")),
        "--start-code",
        &code.to_lowercase(),
        "--out",
        p(&pack),
    ]);
    let said = text(&built);
    assert!(built.status.success(), "{said}");
    assert_eq!(labelled(&said, "Start code:"), code);
    let mut trust = TrustStore::new();
    trust.insert(PublicKey::read_jwk_file(&keys.join("publisher.pub.jwk")).unwrap());
    open_exam(&pack, &trust)
        .unwrap()
        .unlock_with_start_code(&code)
        .unwrap();

    // A malformed code is refused before anything is built; a course takes none.
    let out = cli(&[
        "pack",
        "build",
        p(&repo("tests/fixtures/tiny-exam")),
        "--key",
        p(&keys.join("publisher.key")),
        "--server-key",
        p(&keys.join("server.pub.jwk")),
        "--start-code",
        "1234",
        "--out",
        p(&dir.path().join("bad.shexam")),
    ]);
    assert_says(&out, 1, "--start-code");
    assert!(!dir.path().join("bad.shexam").exists());
}
