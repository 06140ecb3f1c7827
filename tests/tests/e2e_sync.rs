//! Sync as a person sets it up: the built `studyhall` app in a real window (see
//! `studyhall_tests::e2e`) and the real `studyhall-server` binary on a free loopback
//! port. From the header's sync indicator to the Sync screen: sign in, compare and trust
//! the server's keys, enroll the device with a token from the administrator, and see the
//! background sync finish: nothing waiting, a last sync time, "Synced" in the header.
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

use fantoccini::Locator;
use serde_json::{Value, json};
use studyhall_tests::e2e::{App, Profile, run_serially};

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

    /// One request to the server (plain HTTP/1.1 on loopback); the answer's JSON.
    fn request(&self, method: &str, path: &str, token: Option<&str>, body: &Value) -> Value {
        let address = self.base.strip_prefix("http://").unwrap();
        let mut stream = TcpStream::connect(address).unwrap();
        let body = body.to_string();
        let authorization = token.map_or_else(String::new, |token| {
            format!("Authorization: Bearer {token}\r\n")
        });
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n{authorization}\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.1 2"),
            "{method} {path} failed: {answer}"
        );
        serde_json::from_str(body).unwrap()
    }

    fn enrollment_token(&self) -> String {
        let login = json!({ "username": ADMIN, "password": PASSWORD });
        let admin = self.request("POST", "/v1/auth/login", None, &login)["token"]
            .as_str()
            .unwrap()
            .to_owned();
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
    let enrollment = server.enrollment_token();
    let (signing_kid, sealing_kid) = server.key_ids();
    run_serially(async {
        let profile = Profile::empty();
        let app = App::launch("sync", &profile.path()).await;

        // The header says sync is not set up; it leads to the Sync screen.
        app.click(
            Locator::XPath(
                "//header//a[contains(@class, 'sync-indicator--signed_out') \
                 and normalize-space() = 'Sync status: Not signed in']",
            ),
            "the header's sync status",
        )
        .await;
        app.wait_for(
            Locator::XPath("//h1[normalize-space()='Sync']"),
            "the Sync heading",
        )
        .await;
        app.wait_for_text("Not signed in.").await;
        app.screenshot("signed-out").await;
        app.check_accessibility("sync, signed out").await;

        fill(&app, "Server address", &server.base).await;
        fill(&app, "Username", CANDIDATE).await;
        fill(&app, "Password", PASSWORD).await;
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

        fill(&app, "Enrollment token", &enrollment).await;
        app.click(
            Locator::XPath("//button[normalize-space()='Enroll this device']"),
            "the Enroll button",
        )
        .await;
        app.wait_for_text("enrolled on").await;

        // Background sync finishes: nothing waits, and it says when it synced.
        app.click(
            Locator::XPath("//button[normalize-space()='Sync now']"),
            "the Sync now button",
        )
        .await;
        app.wait_for_text("Up to date.").await;
        app.wait_until(
            "document.querySelector('[data-testid=sync-results]')?.textContent === '0 waiting' \
             && document.querySelector('[data-testid=sync-events]')?.textContent === '0 waiting' \
             && document.querySelector('[data-testid=sync-last]')?.textContent !== 'never'",
            "nothing waiting and a last sync time",
        )
        .await;
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
