//! The whole round trip of issue 5, on each backend, with the real server binary and
//! the app's core: staff publish the sample programme's course and exam; a candidate's
//! profile signs in, trusts the server's keys, enrolls the device and downloads both
//! packs; the server goes away and the candidate sits the exam offline; the server comes
//! back on the same address and database, the result is delivered, and the receipt
//! verifies against the server's signing key.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration};
use reqwest::{Method, StatusCode};
use serde_json::json;
use studyhall_core::Studyhall;
use studyhall_core::clock::ManualClock;
use studyhall_core::content::Response;
use studyhall_core::course::QuestionView;
use studyhall_core::exam::pack::build_exam;
use studyhall_core::pack::{self, Quiet};
use studyhall_core::sync::{ExpectedReceipt, sealed_sha256, verify_receipt};
use studyhall_server::keys::ServerKeys;
use studyhall_signing::{SigningKey, TrustStore};

use crate::endpoints::{ADMIN, Client};
use crate::results::stored_result;

on_both_backends!(the_sample_programme_goes_from_server_to_candidate_and_back);

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
const PASSWORD: &str = "correct horse battery";
/// The sample certification exam: its folder and its id.
const EXAM_FOLDER: &str = "novacron-developer-exam";
const EXAM: &str = "novacron-certified-developer";

/// A free loopback address, so that the server can come back on the same one.
fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// Runs blocking client code (the core's HTTP client) off the test's async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.unwrap()
}

/// A response of the right kind for the item (not necessarily the right answer).
fn some_response(item: &QuestionView) -> Response {
    let first_option = || {
        item.options
            .first()
            .map(|o| o.id.clone())
            .unwrap_or_default()
    };
    match item.kind {
        "single_choice" => Response::SingleChoice {
            choice: first_option(),
        },
        "multiple_response" => Response::MultipleResponse {
            choices: vec![first_option()],
        },
        "true_false" => Response::TrueFalse { value: true },
        "numeric" => Response::Numeric { value: 1.0 },
        "short_text" => Response::ShortText {
            text: "quorum".into(),
        },
        "ordering" => Response::Ordering {
            order: item.options.iter().map(|o| o.id.clone()).collect(),
        },
        "matching" => Response::Matching {
            pairs: item
                .left
                .iter()
                .cloned()
                .zip(item.right.iter().cloned())
                .collect(),
        },
        "essay" => Response::Essay {
            text: "A replicated log keeps the nodes in step. ".repeat(20),
        },
        "case_study" => Response::CaseStudy {
            parts: item
                .parts
                .iter()
                .map(|part| (part.id.clone(), some_response(part)))
                .collect(),
        },
        other => panic!("the sample exam has an item of an unknown kind {other}"),
    }
}

async fn the_sample_programme_goes_from_server_to_candidate_and_back(database_url: &str) {
    // The server's keys and the sample publisher, whose key both the server and the app
    // ship with.
    let dir = tempfile::tempdir().unwrap();
    let key_dir = dir.path().join("server-keys");
    let keys = ServerKeys::load_or_create(&key_dir).unwrap();
    let publisher = SigningKey::generate().unwrap();
    let publishers = dir.path().join("publishers");
    std::fs::create_dir(&publishers).unwrap();
    publisher
        .public_key()
        .write_jwk_file(&publishers.join("sample.pub.jwk"))
        .unwrap();
    let course_pack = dir.path().join("dwcp-fundamentals.shpack");
    pack::build(
        &Path::new(EXAMPLES).join("dwcp-fundamentals"),
        &publisher,
        &course_pack,
        &Quiet,
    )
    .unwrap();
    let exam_pack = dir.path().join("novacron.shexam");
    let exam = build_exam(
        &Path::new(EXAMPLES).join(EXAM_FOLDER),
        &publisher,
        &keys.sealing.public_key(),
        &exam_pack,
    )
    .unwrap();
    let start_code = exam.start_code.to_grouped().to_string();

    // Staff: an author publishes both packs; the candidate gets an account; an admin
    // makes an enrollment token.
    let address = free_address();
    let settings = [
        ("LISTEN", address.as_str()),
        ("KEY_DIR", key_dir.to_str().unwrap()),
        ("PUBLISHER_DIR", publishers.to_str().unwrap()),
    ];
    let client = Client::start(database_url, &settings);
    let admin = client.token(ADMIN).await;
    for (username, roles) in [
        ("ada", json!(["author"])),
        ("cara", json!(["candidate", "learner"])),
    ] {
        let body = json!({ "username": username, "password": PASSWORD, "roles": roles });
        let (status, created) = client
            .call(Method::POST, "/v1/accounts", Some(&admin), Some(&body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
    let author = client.token("ada").await;
    for file in [&course_pack, &exam_pack] {
        let (status, body) = client
            .publish(Some(&author), std::fs::read(file).unwrap())
            .await;
        assert!(status.is_success(), "{status} {body}");
    }
    let enrollment = client.enrollment_token(&admin, json!({})).await;

    // The candidate's profile: signs in, checks and trusts the server's keys, enrolls,
    // downloads the catalogue.
    let profile = dir.path().join("profile");
    let clock = Arc::new(ManualClock::new(
        DateTime::parse_from_rfc3339("2026-11-24T09:00:00+01:00").unwrap(),
    ));
    let base = client.server.url("");
    let publisher_key = publisher.public_key();
    // The ids the administrator hands out beside the server's address.
    let server_kids = (
        keys.signing.key_id().as_str().to_owned(),
        keys.sealing.public_key().key_id().as_str().to_owned(),
    );
    let opened = (profile.clone(), clock.clone());
    let open = move || Studyhall::open_with_clock(&opened.0, opened.1.clone()).unwrap();
    let open_again = open.clone();
    let downloaded = blocking(move || {
        let mut app = open();
        app.trust_publisher(&publisher_key).unwrap();
        let account = app.sign_in(&base, "cara", PASSWORD).unwrap();
        assert_eq!(account.username, "cara");
        app.trust_server_keys(&server_kids.0, &server_kids.1)
            .unwrap();
        app.enroll_this_device(&enrollment).unwrap();
        let credentials = app.sync_credentials().unwrap().unwrap();
        let mut seen = Vec::new();
        let report = app
            .download_new_packs(&credentials.server, credentials.token(), &mut |p| {
                seen.push(p)
            })
            .unwrap();
        assert!(report.failed.is_empty(), "{report:?}");
        assert_eq!(report.installed.len(), 2, "{report:?}");
        assert!(!seen.is_empty(), "download progress was reported");
        let exams = app.exams().unwrap();
        assert_eq!(exams.len(), 1);
        assert_eq!(exams[0].exam_id, EXAM);
        assert!(
            app.courses()
                .unwrap()
                .iter()
                .any(|course| course.id == "dwcp-fundamentals"),
            "the course is in the library"
        );
        report.installed.len()
    })
    .await;
    assert_eq!(downloaded, 2);

    // The server goes away. The candidate sits the exam offline.
    let Client { server, .. } = client;
    assert!(
        server
            .stop_gracefully(std::time::Duration::from_secs(30))
            .success()
    );
    let sitting_clock = clock.clone();
    let finished = blocking(move || {
        let mut app = open_again();
        let paper = app.begin_exam(EXAM, &start_code, 0).unwrap();
        let session = paper.session.session_id.clone();
        let check = app.exam_system_check(1);
        let paper = app.start_exam(&session, &check).unwrap();
        // Every item of the candidate's form is answered.
        for item in paper.sections.iter().flat_map(|s| &s.items) {
            app.save_exam_answer(&session, &item.id, &some_response(item))
                .unwrap();
        }
        sitting_clock.advance(Duration::minutes(30));
        let finished = app.submit_exam(&session).unwrap();
        let credentials = app.sync_credentials().unwrap().unwrap();
        let report = app.deliver_results(&credentials.server).unwrap();
        assert_eq!(report.failed.len(), 1, "{report:?}");
        assert!(
            report.failed[0]
                .error
                .starts_with("could not reach the server"),
            "{}",
            report.failed[0].error
        );
        assert_eq!(app.outbox_status().unwrap().waiting, 1);
        finished
    })
    .await;

    // The server comes back on the same address and database; the outbox drains once
    // the retry is due, and the receipt verifies.
    let client = Client::start_existing(database_url, &settings);
    let reopened = (profile.clone(), clock.clone());
    let expected = finished.clone();
    blocking(move || {
        let mut app = Studyhall::open_with_clock(&reopened.0, reopened.1.clone()).unwrap();
        reopened.1.advance(Duration::hours(2));
        let credentials = app.sync_credentials().unwrap().unwrap();
        let report = app.deliver_results(&credentials.server).unwrap();
        assert!(report.failed.is_empty(), "{report:?}");
        assert_eq!(report.delivered.len(), 1);
        assert_eq!(report.delivered[0].result_id, expected.result_id);
        assert_eq!(report.delivered[0].receipt_code, expected.receipt_code);
        assert_eq!(app.outbox_status().unwrap().waiting, 0);
    })
    .await;

    let admin = client.token(ADMIN).await;
    let (status, stored) = stored_result(&client, &admin, &finished.result_id).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["result"]["via"], "device");
    // The server holds the exam, so it rebuilt the form from the seed and regraded it.
    assert_eq!(stored["result"]["form_checked"], true, "{stored}");
    let receipt = stored["result"]["receipt"].as_str().unwrap();
    let digest = sealed_sha256(&finished.sealed).unwrap();
    verify_receipt(
        receipt,
        &TrustStore::from_iter([keys.signing.public_key()]),
        ExpectedReceipt {
            result_id: &finished.result_id,
            receipt_code: &finished.receipt_code,
            sealed_sha256: &digest,
        },
    )
    .unwrap();
}
