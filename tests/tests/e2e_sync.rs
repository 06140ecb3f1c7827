//! Sync as a person sets it up: the built `studyhall` app in a real window (see
//! `studyhall_tests::e2e`) and the real `studyhall-server` binary on a free loopback
//! port. From the header's sync indicator to the Sync screen: sign in, compare and trust
//! the server's keys, enroll the device with a token from the administrator, and see the
//! background sync finish: nothing waiting, a last sync time, "Synced" in the header.
//! And an exam whose key the server releases: staff publish the tiny exam sealed to the
//! server and schedule a sitting for the candidate; the sync downloads it; the candidate
//! begins it with the key from the server instead of a start code, sits it, hands it in,
//! and the result reaches the server.
//!
//! Needs the app and the server built first (`cargo xtask test`, or
//! `(cd ui && npm run build) && cargo build -p studyhall-app -p studyhall-server`); fails,
//! never skips, without them.
// A set-up step that cannot be done should fail the test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use chrono::{Duration, Utc};
use fantoccini::Locator;
use serde_json::{Value, json};
use studyhall_core::exam::pack::build_exam;
use studyhall_signing::SealingPublicKey;
use studyhall_tests::e2e::sitting::{DIALOG, answer_shown_item, open_review, wait_for_item};
use studyhall_tests::e2e::{App, Profile, run_serially};
use studyhall_tests::{Publisher, fixture};

const ADMIN: &str = "root";
const CANDIDATE: &str = "cand-1";
const PASSWORD: &str = "a long enough passphrase";

/// The real server on a SQLite file in a temporary folder; killed when dropped.
struct Server {
    child: Child,
    base: String,
    dir: tempfile::TempDir,
}

impl Server {
    fn binary() -> PathBuf {
        let binary = studyhall_tests::e2e::app_binary().with_file_name("studyhall-server");
        assert!(
            binary.is_file(),
            "{} does not exist: build it first with `cargo build -p studyhall-server`",
            binary.display()
        );
        binary
    }

    fn env(dir: &Path) -> Vec<(String, String)> {
        vec![
            ("STUDYHALL_SERVER_LISTEN".into(), "127.0.0.1:0".into()),
            (
                "STUDYHALL_SERVER_DATABASE_URL".into(),
                format!("sqlite://{}", dir.join("server.db").display()),
            ),
            (
                "STUDYHALL_SERVER_KEY_DIR".into(),
                dir.join("keys").display().to_string(),
            ),
            (
                "STUDYHALL_SERVER_PUBLISHER_DIR".into(),
                dir.join("publishers").display().to_string(),
            ),
            ("RUST_LOG".into(), "warn".into()),
        ]
    }

    fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let mut child = Command::new(Self::binary())
            .arg("serve")
            .envs(Self::env(dir.path()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("studyhall-server listening on ")
            .unwrap_or_else(|| panic!("the server did not start; it printed {line:?}"))
            .to_owned();
        let server = Server { child, base, dir };
        server.create_account(ADMIN, "admin");
        server.create_account(CANDIDATE, "candidate");
        server
    }

    fn create_account(&self, username: &str, role: &str) {
        let output = Command::new(Self::binary())
            .args(["admin", "create", "--username", username, "--role", role])
            .envs(Self::env(self.dir.path()))
            .env("STUDYHALL_ADMIN_PASSWORD", PASSWORD)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "admin create failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// One request to the server (plain HTTP/1.1 on loopback) with a JSON body; the
    /// answer's JSON. Fails the test unless the server says yes.
    fn request(&self, method: &str, path: &str, token: Option<&str>, body: &Value) -> Value {
        let body = body.to_string();
        let (status, answer) = self.send(method, path, token, "application/json", body.as_bytes());
        assert!(
            (200..300).contains(&status),
            "{method} {path} failed with {status}: {answer}"
        );
        answer
    }

    /// One request to the server (plain HTTP/1.1 on loopback): the answer's status and
    /// JSON.
    fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Value) {
        let address = self.base.strip_prefix("http://").unwrap();
        let mut stream = TcpStream::connect(address).unwrap();
        let authorization = token.map_or_else(String::new, |token| {
            format!("Authorization: Bearer {token}\r\n")
        });
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
             Content-Type: {content_type}\r\nContent-Length: {}\r\n{authorization}\r\n",
            body.len()
        )
        .unwrap();
        stream.write_all(body).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("{method} {path}: not an HTTP answer: {answer}"));
        (status, serde_json::from_str(body).unwrap())
    }

    fn admin_token(&self) -> String {
        let login = json!({ "username": ADMIN, "password": PASSWORD });
        self.request("POST", "/v1/auth/login", None, &login)["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn enrollment_token(&self) -> String {
        let admin = self.admin_token();
        self.request("POST", "/v1/enrollment-tokens", Some(&admin), &json!({}))["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The key ids the server presents, signing and sealing.
    fn key_ids(&self) -> (String, String) {
        let keys = self.request("GET", "/v1/server-keys", None, &Value::Null);
        let kid = |key: &str| keys[key]["kid"].as_str().unwrap().to_owned();
        (kid("signing"), kid("sealing"))
    }

    /// Staff publish the tiny exam, built by `publisher` (whose key the server is given
    /// to trust) and sealed to the server's key, and schedule a sitting of it for the
    /// candidate that is open now. Returns the exam's version.
    fn publish_and_schedule_tiny_exam(&self, publisher: &Publisher) -> String {
        let trusted = self.dir.path().join("publishers");
        std::fs::create_dir_all(&trusted).unwrap();
        std::fs::copy(publisher.jwk_path(), trusted.join("test.pub.jwk")).unwrap();
        let keys = self.request("GET", "/v1/server-keys", None, &Value::Null);
        let sealing = SealingPublicKey::from_jwk_json(&keys["sealing"].to_string()).unwrap();
        let pack = self.dir.path().join("tiny-exam.shexam");
        let build = build_exam(&fixture("tiny-exam"), &publisher.key, &sealing, &pack).unwrap();
        let admin = self.admin_token();
        let bytes = std::fs::read(&pack).unwrap();
        let (status, published) = self.send(
            "POST",
            "/v1/packs",
            Some(&admin),
            "application/octet-stream",
            &bytes,
        );
        assert_eq!(status, 201, "the exam was not published: {published}");
        let version = build.manifest.version.to_string();
        let now = Utc::now();
        let sitting = json!({
            "exam_id": build.manifest.id,
            "version": version,
            "opens_at": now - Duration::minutes(5),
            "closes_at": now + Duration::hours(1),
            "candidates": [CANDIDATE],
        });
        self.request("POST", "/v1/exams/schedules", Some(&admin), &sitting);
        version
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Types `text` into the field labelled `label`.
async fn fill(app: &App, label: &str, text: &str) {
    let field = app
        .wait_for(
            Locator::XPath(&format!(
                "//input[@id=//label[normalize-space()='{label}']/@for]"
            )),
            label,
        )
        .await;
    field.send_keys(text).await.unwrap();
}

#[test]
fn a_learner_signs_in_enrolls_and_sees_sync_finish() {
    let server = Server::start();
    run_serially(async {
        let profile = Profile::empty();
        let app = App::launch("sync", &profile.path()).await;

        // The header says sync is not set up; it leads to the Sync screen.
        app.wait_for(
            Locator::XPath(
                "//header//a[contains(@class, 'sync-indicator--signed_out') \
                 and normalize-space() = 'Sync status: Not signed in']",
            ),
            "the header's sync status saying it is not signed in",
        )
        .await;
        open_sync_screen(&app).await;
        app.wait_for_text("Not signed in.").await;
        app.screenshot("signed-out").await;
        app.check_accessibility("sync, signed out").await;

        sign_in_trust_and_enroll(&app, &server).await;

        // Background sync finishes: nothing waits, and it says when it synced.
        click_sync_now(&app).await;
        wait_until_synced(&app).await;
        app.wait_for(
            Locator::XPath(
                "//header//a[contains(@class, 'sync-indicator--idle') \
                 and normalize-space() = 'Sync status: Synced']",
            ),
            "the header's sync status saying it is up to date",
        )
        .await;
        app.screenshot("synced").await;
        app.eval("window.scrollTo(0, document.body.scrollHeight);", vec![])
            .await;
        app.screenshot("synced-keys-and-device").await;
        app.check_accessibility("sync, signed in").await;
    });
}

#[test]
fn a_candidate_sits_an_exam_whose_key_the_server_releases() {
    let profile = Profile::empty();
    let server = Server::start();
    run_serially(async {
        let app = App::launch("release", &profile.path()).await;

        // The candidate signs in, trusts the keys and enrolls; nothing is published yet.
        open_sync_screen(&app).await;
        sign_in_trust_and_enroll(&app, &server).await;
        click_sync_now(&app).await;
        wait_until_synced(&app).await;
        app.click(
            Locator::XPath("//header//nav//a[normalize-space()='Exams']"),
            "Exams in the navigation",
        )
        .await;
        app.wait_for_text("No exams installed yet").await;

        // Staff publish the exam; a sync round (as the worker runs every two minutes)
        // downloads it, and the open Exams screen shows it without being left.
        let version = server.publish_and_schedule_tiny_exam(&profile.publisher);
        app.invoke("sync_now", json!({})).await;
        let card = "//article[.//h2[normalize-space()='Tiny exam']]";
        app.wait_for(
            Locator::XPath(card),
            "the published exam's card on the open Exams screen",
        )
        .await;
        let exam = (profile.open().exams().unwrap().into_iter().next())
            .expect("the Exams screen shows an exam the profile does not have");
        assert_eq!(
            (exam.title.as_str(), exam.version.as_str()),
            ("Tiny exam", version.as_str())
        );

        // Its Begin dialog offers the server's key.
        app.click(
            Locator::XPath(&format!(
                "{card}//button[starts-with(normalize-space(), 'Begin')]"
            )),
            "the card's Begin button",
        )
        .await;
        let from_server = format!("The key from the server (signed in as {CANDIDATE})");
        app.click(
            Locator::XPath(&format!(
                "{DIALOG}//label[normalize-space()='{from_server}']"
            )),
            "the choice of the key from the server",
        )
        .await;
        app.wait_for_text(&format!(
            "The server at {} releases the key to this device if {CANDIDATE} is registered",
            server.base
        ))
        .await;
        // No start code is asked for: its field is not shown, and the text says so.
        app.wait_until(
            "!document.getElementById('start-code')?.getClientRects().length",
            "no start code field shown",
        )
        .await;
        let dialog_text = app
            .wait_for(Locator::XPath(DIALOG), "the Begin dialog")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !dialog_text.contains("type the start code"),
            "the dialog asks for a start code: {dialog_text}"
        );
        let get_key = format!(
            "{DIALOG}//button[@type='submit'][@aria-disabled='false']\
             [normalize-space()='Get the key from the server']"
        );
        app.wait_for(Locator::XPath(&get_key), "an enabled Get the key button")
            .await;
        app.screenshot("begin").await;
        app.check_accessibility("begin, with the key from the server")
            .await;
        app.click(Locator::XPath(&get_key), "Get the key from the server")
            .await;

        // The lobby, then the exam; the proctor log says the server released the key.
        let start = "//button[normalize-space()='Start exam'][not(@disabled)]";
        app.wait_for(
            Locator::XPath("//h2[normalize-space()='Rules']"),
            "the lobby's rules",
        )
        .await;
        app.wait_for(Locator::XPath(start), "an enabled Start exam button")
            .await;
        let session = profile.open().exams().unwrap()[0]
            .open_session
            .clone()
            .expect("the released key began no attempt");
        let log = profile.open().exam_log(&session).unwrap();
        assert_eq!(log[0].kind, "key_released", "{log:?}");
        assert_eq!(log[0].detail["candidate"], CANDIDATE);
        app.click(Locator::XPath(start), "Start exam").await;
        let count = exam.item_count as usize;
        for number in 1..=count {
            wait_for_item(&app, number, count).await;
            answer_shown_item(&app, number, count).await;
            if number < count {
                app.click(Locator::XPath("//button[normalize-space()='Next']"), "Next")
                    .await;
            }
        }
        app.wait_for_text(&format!("{count} of {count} answered"))
            .await;

        // Handed in from the review.
        open_review(&app).await;
        app.click(
            Locator::XPath("//button[starts-with(normalize-space(), 'Hand in exam')]"),
            "Hand in exam",
        )
        .await;
        app.click(
            Locator::XPath(&format!("{DIALOG}//button[normalize-space()='Hand in']")),
            "Hand in",
        )
        .await;
        app.wait_for(
            Locator::XPath("//p[normalize-space()='Exam handed in']"),
            "the result screen",
        )
        .await;
        app.screenshot("handed-in").await;

        // Delivered: the server holds the result, its form checked against the exam's,
        // and nothing waits on the Sync screen.
        let result = profile.open().exam_result(&session).unwrap();
        let admin = server.admin_token();
        let path = format!("/v1/results/{}", result.result_id);
        open_sync_screen(&app).await;
        click_sync_now(&app).await;
        let mut stored = Value::Null;
        app.wait_until_holds("the server holds the result", || {
            let (status, answer) = server.send("GET", &path, Some(&admin), "text/plain", &[]);
            stored = answer;
            status == 200
        })
        .await;
        assert_eq!(stored["result"]["form_checked"], true, "{stored}");
        assert_eq!(stored["document"]["exam_id"], exam.exam_id, "{stored}");
        assert_eq!(stored["document"]["session_id"], session, "{stored}");
        wait_until_synced(&app).await;
        assert_eq!(profile.open().outbox_status().unwrap().waiting, 0);
        app.eval("window.scrollTo(0, 0);", vec![]).await;
        app.screenshot("delivered").await;
        let schedules = server.request("GET", "/v1/exams/schedules", Some(&admin), &Value::Null);
        let releases = &schedules["schedules"][0]["releases"];
        assert_eq!(releases.as_array().map(Vec::len), Some(1), "{schedules}");
    });
}

/// On the Sync screen: signs in as the candidate, compares and trusts the server's keys
/// and enrolls the device with a token from the administrator.
async fn sign_in_trust_and_enroll(app: &App, server: &Server) {
    let enrollment = server.enrollment_token();
    let (signing_kid, sealing_kid) = server.key_ids();
    fill(app, "Server address", &server.base).await;
    fill(app, "Username", CANDIDATE).await;
    fill(app, "Password", PASSWORD).await;
    app.click(
        Locator::XPath("//button[normalize-space()='Sign in']"),
        "the Sign in button",
    )
    .await;

    // Signed in; the server's keys are shown, not yet trusted.
    app.wait_for_text("Not trusted yet.").await;
    let shown = app.page_text().await;
    assert!(shown.contains(CANDIDATE), "{shown}");
    assert!(shown.contains(&signing_kid), "{shown}");
    assert!(shown.contains(&sealing_kid), "{shown}");
    app.click(
        Locator::XPath("//label[contains(., 'I compared both key ids')]/input"),
        "the check that the key ids were compared",
    )
    .await;
    app.click(
        Locator::XPath("//button[normalize-space()='Trust these keys']"),
        "the Trust these keys button",
    )
    .await;
    app.wait_for_text("Trusted: results are sealed to this server")
        .await;

    fill(app, "Enrollment token", &enrollment).await;
    app.click(
        Locator::XPath("//button[normalize-space()='Enroll this device']"),
        "the Enroll button",
    )
    .await;
    app.wait_for_text("enrolled on").await;
}

/// Opens the Sync screen from the header's sync status.
async fn open_sync_screen(app: &App) {
    app.click(
        Locator::XPath("//header//a[contains(@class, 'sync-indicator')]"),
        "the header's sync status",
    )
    .await;
    app.wait_for(
        Locator::XPath("//h1[normalize-space()='Sync']"),
        "the Sync heading",
    )
    .await;
}

async fn click_sync_now(app: &App) {
    app.click(
        Locator::XPath("//button[normalize-space()='Sync now']"),
        "the Sync now button",
    )
    .await;
}

/// On the Sync screen: waits until it is up to date with nothing waiting and a last
/// sync time.
async fn wait_until_synced(app: &App) {
    app.wait_for_text("Up to date.").await;
    app.wait_until(
        "document.querySelector('[data-testid=sync-results]')?.textContent === '0 waiting' \
         && document.querySelector('[data-testid=sync-events]')?.textContent === '0 waiting' \
         && document.querySelector('[data-testid=sync-last]')?.textContent !== 'never'",
        "nothing waiting and a last sync time",
    )
    .await;
}
