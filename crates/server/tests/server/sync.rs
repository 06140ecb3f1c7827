//! End-to-end delivery, on each backend: a candidate's profile (the app's core) sits the
//! fixture exam while the server is unreachable, enrolls, and delivers the result once
//! the real server binary answers; the receipt verifies and a repeat stores nothing.
//! A proctor hands in kiosk files with the real `studyhall-cli`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use chrono::{DateTime, Duration};
use reqwest::StatusCode;
use serde_json::json;
use studyhall_core::Studyhall;
use studyhall_core::clock::ManualClock;
use studyhall_core::exam::pack::build_exam;
use studyhall_core::exam::session::FinishedResult;
use studyhall_core::pack::Quiet;
use studyhall_core::sync::{
    ExpectedReceipt, RequestFailure, ResultTransport, ServerEndpoint, sealed_sha256, verify_receipt,
};
use studyhall_server::keys::ServerKeys;
use studyhall_signing::{SigningKey, TrustStore};

use crate::endpoints::{ADMIN, Client};
use crate::results::stored_result;

on_both_backends!(a_result_sat_offline_is_delivered_once_the_server_answers);

/// The candidate's side: a profile with the fixture exam installed, trusting the
/// server's keys, on a clock the test moves.
pub struct Candidate {
    pub dir: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
    start_code: String,
}

impl Candidate {
    pub fn new(keys: &ServerKeys) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let publisher = SigningKey::generate().unwrap();
        let pack = dir.path().join("tiny.shexam");
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/tiny-exam");
        let build = build_exam(&fixture, &publisher, &keys.sealing.public_key(), &pack).unwrap();
        let clock = Arc::new(ManualClock::new(
            DateTime::parse_from_rfc3339("2026-11-24T09:00:00+01:00").unwrap(),
        ));
        let candidate = Self {
            dir,
            clock,
            start_code: build.start_code.to_grouped().to_string(),
        };
        let mut app = candidate.open();
        app.trust_publisher(&publisher.public_key()).unwrap();
        app.trust_server(&keys.sealing.public_key()).unwrap();
        app.trust_server_signing_key(&keys.signing.public_key())
            .unwrap();
        app.import_pack(&pack, &Quiet).unwrap();
        candidate
    }

    pub fn open(&self) -> Studyhall {
        Studyhall::open_with_clock(&self.dir.path().join("profile"), self.clock.clone()).unwrap()
    }

    /// Sits the exam (no answers) and submits: the sealed result is in the outbox.
    pub fn sit_exam(&self, app: &mut Studyhall) -> FinishedResult {
        let paper = app.begin_exam("tiny-exam", &self.start_code, 0).unwrap();
        let session = paper.session.session_id;
        let check = app.exam_system_check(1);
        app.start_exam(&session, &check).unwrap();
        self.clock.advance(Duration::minutes(5));
        app.submit_exam(&session).unwrap()
    }
}

/// An address where nothing listens.
fn unreachable_server() -> ServerEndpoint {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    ServerEndpoint::new(&format!("http://{address}")).unwrap()
}

/// `studyhall-cli`, built beside this server binary by `cargo test --workspace` (or
/// `cargo build -p studyhall-cli`).
pub fn cli_binary() -> PathBuf {
    let cli = Path::new(env!("CARGO_BIN_EXE_studyhall-server")).with_file_name("studyhall-cli");
    assert!(
        cli.exists(),
        "{} is missing: build it first with `cargo build -p studyhall-cli`",
        cli.display()
    );
    cli
}

/// Runs blocking client code (the core's HTTP client) off the test's async threads.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.unwrap()
}

async fn a_result_sat_offline_is_delivered_once_the_server_answers(database_url: &str) {
    let key_dir = tempfile::tempdir().unwrap();
    let keys = ServerKeys::load_or_create(key_dir.path()).unwrap();
    let trust = TrustStore::from_iter([keys.signing.public_key()]);
    let candidate = Arc::new(Candidate::new(&keys));

    // Offline: the exam is sat and the delivery fails, in words; the row stays.
    let (candidate, finished) = blocking(move || {
        let mut app = candidate.open();
        let finished = candidate.sit_exam(&mut app);
        let report = app.deliver_results(&unreachable_server()).unwrap();
        assert!(report.delivered.is_empty());
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.failed[0].attempts, 1);
        assert!(
            report.failed[0]
                .error
                .starts_with("could not reach the server: http://127.0.0.1:"),
            "{}",
            report.failed[0].error
        );
        let status = app.outbox_status().unwrap();
        assert_eq!(status.waiting, 1);
        assert_eq!(status.last_error.as_ref(), Some(&report.failed[0].error));
        assert_eq!(status.last_delivery_at, None);
        (candidate, finished)
    })
    .await;

    // The server comes up; an admin gives the device an enrollment token.
    let key_path = key_dir.path().display().to_string();
    let client = Client::start(database_url, &[("KEY_DIR", &key_path)]);
    let admin = client.token(ADMIN).await;
    let enrollment = client.enrollment_token(&admin, json!({})).await;
    let base = client.server.url("");

    let expected = finished.clone();
    let (candidate, server) = blocking(move || {
        let server = ServerEndpoint::new(&base).unwrap();
        let mut app = candidate.open();
        app.enroll_device(&server, &enrollment).unwrap();

        // The failed attempt's backoff holds the row back until its time comes.
        let report = app.deliver_results(&server).unwrap();
        assert_eq!((report.delivered.len(), report.not_due), (0, 1));
        candidate.clock.advance(Duration::hours(2));
        let report = app.deliver_results(&server).unwrap();
        assert!(report.failed.is_empty(), "{report:?}");
        assert_eq!(report.delivered.len(), 1);
        assert_eq!(report.delivered[0].result_id, expected.result_id);
        assert_eq!(report.delivered[0].receipt_code, expected.receipt_code);
        assert!(!report.delivered[0].duplicate);
        let status = app.outbox_status().unwrap();
        assert_eq!((status.waiting, status.last_error), (0, None));
        assert!(status.last_delivery_at.is_some());

        // Nothing is left to deliver.
        let again = app.deliver_results(&server).unwrap();
        assert_eq!(again, Default::default());
        (candidate, server)
    })
    .await;

    // The server holds it, with a receipt that verifies against what was sealed.
    let (status, stored) = stored_result(&client, &admin, &finished.result_id).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["result"]["via"], "device");
    let receipt = stored["result"]["receipt"].as_str().unwrap().to_owned();
    let digest = sealed_sha256(&finished.sealed).unwrap();
    verify_receipt(
        &receipt,
        &trust,
        ExpectedReceipt {
            result_id: &finished.result_id,
            receipt_code: &finished.receipt_code,
            sealed_sha256: &digest,
        },
    )
    .unwrap();

    // The same sealed result again: the same receipt, nothing new. A tampered copy is
    // refused with the reason.
    let sealed = finished.sealed.clone();
    let (server, repeat, tampered) = blocking(move || {
        let repeat = server.upload(&sealed).unwrap();
        let mut envelope: serde_json::Value = serde_json::from_str(&sealed).unwrap();
        let ct = envelope["ct"].as_str().unwrap().to_owned();
        envelope["ct"] = json!(format!(
            "{}{}",
            if ct.starts_with('A') { "B" } else { "A" },
            &ct[1..]
        ));
        let tampered = server.upload(&envelope.to_string());
        (server, repeat, tampered)
    })
    .await;
    assert!(repeat.duplicate);
    assert_eq!(repeat.receipt, receipt);
    match tampered {
        Err(RequestFailure::Refused {
            status,
            code,
            message,
        }) => {
            assert_eq!((status, code.as_str()), (422, "invalid_result"));
            assert!(message.contains("cannot be opened"), "{message}");
        }
        other => panic!("a tampered result must be refused: {other:?}"),
    }

    // Offline hand-in with the CLI: the delivered result is a duplicate; a second
    // attempt, exported from the kiosk before it could deliver, is delivered.
    let (candidate, second) = blocking(move || {
        let mut app = candidate.open();
        let second = candidate.sit_exam(&mut app);
        (candidate, second)
    })
    .await;
    let usb = tempfile::tempdir().unwrap();
    let delivered_file = finished.export_to(usb.path()).unwrap();
    let kiosk_file = second.export_to(usb.path()).unwrap();
    let output = Command::new(cli_binary())
        .args(["results", "upload"])
        .arg(&delivered_file)
        .arg(&kiosk_file)
        .args(["--server", &client.server.url("")])
        .env("STUDYHALL_TOKEN", &admin)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        printed.contains(&format!(
            "{}: duplicate, already delivered (receipt code {})",
            delivered_file.display(),
            finished.receipt_code
        )),
        "{printed}"
    );
    assert!(
        printed.contains(&format!(
            "{}: delivered (receipt code {})",
            kiosk_file.display(),
            second.receipt_code
        )),
        "{printed}"
    );
    let (_, handed_in) = stored_result(&client, &admin, &second.result_id).await;
    assert_eq!(handed_in["result"]["via"], "handin");

    // The kiosk's own copy then finds the server already holds it.
    let report = blocking(move || {
        let mut app = candidate.open();
        candidate.clock.advance(Duration::hours(2));
        app.deliver_results(&server).unwrap()
    })
    .await;
    assert_eq!(report.delivered.len(), 1, "{report:?}");
    assert!(report.delivered[0].duplicate);

    // A file that is not a result is reported, and the command fails.
    let junk = usb.path().join("junk.shresult");
    std::fs::write(&junk, "{}").unwrap();
    let output = Command::new(cli_binary())
        .args(["results", "upload"])
        .arg(&junk)
        .args(["--server", &client.server.url(""), "--token", &admin])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.contains("junk.shresult: not delivered: the server refused: the body is not a sealed result envelope"),
        "{printed}"
    );
}
