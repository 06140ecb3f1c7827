//! Exam sittings and key release on the real binary, on each backend: staff schedule a
//! sitting, a registered candidate's enrolled profile (the app's core) has the key
//! released inside the window, sits the exam and delivers a result the server checks
//! against the exam's form; every refusal (window, registration, device, signature,
//! account) comes with its reason, and a release from an untrusted server key is refused
//! by the client. A result whose form was changed is refused with what differs.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use studyhall_core::Studyhall;
use studyhall_core::clock::ManualClock;
use studyhall_core::content::Response;
use studyhall_core::exam::result::{sign_and_seal, verify_sealed};
use studyhall_core::pack::Quiet;
use studyhall_core::sync::release::{RELEASE_REQUEST_TYP, ReleaseRequest, release_path};
use studyhall_core::sync::{RequestFailure, ServerEndpoint};
use studyhall_core::{Error, ExamPaper};
use studyhall_server::keys::ServerKeys;
use studyhall_server::store::{Account, NewSchedule, ScheduleId};
use studyhall_signing::{PublicKey, SealingKey, SigningKey, jws};
use uuid::Uuid;

use crate::endpoints::{ADMIN, Client};
use crate::packs::Publisher;
use crate::results::stored_result;
use crate::sync::cli_binary;

on_both_backends!(
    a_registered_candidate_has_the_key_released_in_the_window_and_sits_the_exam,
    schedules_are_checked_and_listed_by_role,
);

const PASSWORD: &str = "correct horse battery";
const EXAM: &str = "tiny-exam";
const VERSION: &str = "1.0.0";

/// A candidate's installation: a profile with the exam installed, trusting the
/// publisher, the server's sealing key and `signing` as the server's signing key.
struct Profile {
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
}

impl Profile {
    fn new(pack: &Path, publisher: &PublicKey, keys: &ServerKeys, signing: &PublicKey) -> Self {
        let profile = Self {
            dir: tempfile::tempdir().unwrap(),
            clock: Arc::new(ManualClock::new(Utc::now().fixed_offset())),
        };
        let mut app = profile.open();
        app.trust_publisher(publisher).unwrap();
        app.trust_server(&keys.sealing.public_key()).unwrap();
        app.trust_server_signing_key(signing).unwrap();
        app.import_pack(pack, &Quiet).unwrap();
        profile
    }

    fn open(&self) -> Studyhall {
        Studyhall::open_with_clock(&self.dir.path().join("profile"), self.clock.clone()).unwrap()
    }

    fn device_key(&self) -> SigningKey {
        SigningKey::read_file(&self.dir.path().join("profile/device.key")).unwrap()
    }
}

/// Everything a release needs: a server on its own key folder with the tiny exam
/// published, an admin, and the pack file the profiles install.
struct Sitting {
    client: Client,
    admin: String,
    keys: ServerKeys,
    publisher: PublicKey,
    pack: tempfile::NamedTempFile,
    _key_dir: tempfile::TempDir,
    builder: Publisher,
}

impl Sitting {
    async fn start(database_url: &str) -> Self {
        let key_dir = tempfile::tempdir().unwrap();
        let keys = ServerKeys::load_or_create(key_dir.path()).unwrap();
        let publisher = Publisher::trusted();
        let client = Client::start(
            database_url,
            &[
                ("PUBLISHER_DIR", &publisher.trusted_dir()),
                ("KEY_DIR", &key_dir.path().display().to_string()),
            ],
        );
        let admin = client.token(ADMIN).await;
        let bytes = publisher.exam(VERSION, &keys.sealing.public_key());
        let (status, record) = client.publish(Some(&admin), bytes.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{record}");
        let pack = tempfile::Builder::new()
            .suffix(".shexam")
            .tempfile()
            .unwrap();
        std::fs::write(pack.path(), bytes).unwrap();
        let publisher_key = PublicKey::read_jwk_file(
            &Path::new(&publisher.trusted_dir()).join("test-publisher.pub.jwk"),
        )
        .unwrap();
        Self {
            client,
            admin,
            keys,
            publisher: publisher_key,
            pack,
            _key_dir: key_dir,
            builder: publisher,
        }
    }

    /// A profile trusting the server's real signing key, its device enrolled.
    async fn enrolled_profile(&self) -> Arc<Profile> {
        self.profile_trusting(&self.keys.signing.public_key()).await
    }

    async fn profile_trusting(&self, signing: &PublicKey) -> Arc<Profile> {
        let profile = Arc::new(Profile::new(
            self.pack.path(),
            &self.publisher,
            &self.keys,
            signing,
        ));
        let enrollment = self.client.enrollment_token(&self.admin, json!({})).await;
        let base = self.base();
        let enrolling = profile.clone();
        blocking(move || {
            let server = ServerEndpoint::new(&base).unwrap();
            enrolling
                .open()
                .enroll_device(&server, &enrollment)
                .unwrap()
        })
        .await;
        profile
    }

    /// The server's address (a blocking [`ServerEndpoint`] must be made and dropped
    /// off the async threads).
    fn base(&self) -> String {
        self.client.server.url("")
    }

    /// An account with `role`, signed in: its token.
    async fn account(&self, username: &str, role: &str) -> String {
        let body = json!({ "username": username, "password": PASSWORD, "roles": [role] });
        let (status, created) = self
            .client
            .call(Method::POST, "/v1/accounts", Some(&self.admin), Some(&body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        self.client.token(username).await
    }

    /// Schedules the tiny exam's published version.
    async fn schedule(
        &self,
        token: &str,
        opens_at: DateTime<Utc>,
        closes_at: DateTime<Utc>,
        candidates: &[&str],
    ) -> (StatusCode, Value) {
        self.schedule_version(token, VERSION, opens_at, closes_at, candidates)
            .await
    }

    async fn schedule_version(
        &self,
        token: &str,
        version: &str,
        opens_at: DateTime<Utc>,
        closes_at: DateTime<Utc>,
        candidates: &[&str],
    ) -> (StatusCode, Value) {
        let body = schedule_body(version, opens_at, closes_at, candidates);
        self.client
            .call(
                Method::POST,
                "/v1/exams/schedules",
                Some(token),
                Some(&body),
            )
            .await
    }

    /// `POST` the release of the tiny exam with a request signed by `device`.
    async fn raw_release(&self, token: &str, request: String) -> (StatusCode, Value) {
        self.client
            .call(
                Method::POST,
                &release_path(EXAM, VERSION),
                Some(token),
                Some(&json!({ "request": request })),
            )
            .await
    }
}

/// What `POST /v1/exams/schedules` takes, for `version` of the tiny exam.
pub fn schedule_body(
    version: &str,
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    candidates: &[&str],
) -> Value {
    json!({
        "exam_id": EXAM,
        "version": version,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "candidates": candidates,
    })
}

/// A release request for `version` of the tiny exam, signed by `device`.
pub fn signed_request(device: &SigningKey, username: &str, version: &str) -> String {
    let request = ReleaseRequest {
        v: 1,
        exam_id: EXAM.into(),
        version: version.into(),
        username: username.into(),
        ephemeral_key: SealingKey::generate().unwrap().public_key(),
        issued_at: Utc::now(),
    };
    jws::sign_compact(
        device,
        Some(RELEASE_REQUEST_TYP),
        &serde_json::to_vec(&request).unwrap(),
    )
}

/// Runs blocking client code (the core's HTTP client) off the test's async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.unwrap()
}

/// `begin_released_exam` on `profile` as `username`.
async fn begin(
    sitting: &Sitting,
    profile: &Arc<Profile>,
    token: &str,
    username: &str,
) -> Result<ExamPaper, Error> {
    let (profile, base) = (profile.clone(), sitting.base());
    let (token, username) = (token.to_owned(), username.to_owned());
    blocking(move || {
        let server = ServerEndpoint::new(&base).unwrap();
        profile
            .open()
            .begin_released_exam(&server, &token, &username, EXAM, 0)
    })
    .await
}

/// The server's refusal: its status, code and message.
fn refusal(result: Result<ExamPaper, Error>) -> (u16, String, String) {
    match result {
        Err(Error::Server(RequestFailure::Refused {
            status,
            code,
            message,
        })) => (status, code, message),
        other => panic!("expected the server to refuse, got {other:?}"),
    }
}

/// The right answer to each question of the tiny exam.
fn right_answer(question_id: &str) -> Response {
    match question_id {
        "majority-of-seven" => Response::Numeric { value: 4.0 },
        "overlap" | "vector-concurrent" => Response::TrueFalse { value: true },
        "read-write-quorum" | "lamport-receive" => Response::SingleChoice { choice: "b".into() },
        other => panic!("the tiny exam has no question {other}"),
    }
}

async fn a_registered_candidate_has_the_key_released_in_the_window_and_sits_the_exam(
    database_url: &str,
) {
    let sitting = Sitting::start(database_url).await;
    let proctor = sitting.account("proctor-1", "proctor").await;
    let alice = sitting.account("alice", "candidate").await;
    let bob = sitting.account("bob", "candidate").await;
    let carol = sitting.account("carol", "candidate").await;
    let dave = sitting.account("dave", "candidate").await;
    let now = Utc::now();
    let hour = Duration::hours(1);
    let (status, open) = sitting
        .schedule(&proctor, now - hour, now + hour, &["alice"])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{open}");
    let (status, early) = sitting
        .schedule(&proctor, now + hour, now + hour * 2, &["bob"])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{early}");
    // A sitting that closed an hour ago. The API refuses to schedule one, so it is put
    // in the store directly, as if it had been scheduled the day before.
    let (status, me) = sitting
        .client
        .call(Method::GET, "/v1/auth/me", Some(&carol), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let carol_account: Account = serde_json::from_value(me).unwrap();
    let store = studyhall_server::store::open(database_url).await.unwrap();
    store
        .create_schedule(NewSchedule {
            id: ScheduleId(Uuid::now_v7()),
            exam_id: "tiny-exam".into(),
            exam_version: "1.0.0".into(),
            opens_at: now - hour * 3,
            closes_at: now - hour,
            candidates: vec![carol_account.clone()],
            created_by: carol_account.id,
            created_at: now - hour * 24,
        })
        .await
        .unwrap();
    let profile = sitting.enrolled_profile().await;

    // Outside the window, or not registered: refused in words, nothing begins.
    let (status, code, message) = refusal(begin(&sitting, &profile, &bob, "bob").await);
    assert_eq!((status, code.as_str()), (403, "sitting_not_open"));
    let opens: DateTime<Utc> = early["opens_at"].as_str().unwrap().parse().unwrap();
    assert!(
        message.contains(&format!(
            "the sitting of tiny-exam 1.0.0 opens at {}",
            opens.format("%H:%M UTC on %-d %B %Y")
        )),
        "{message}"
    );
    let (_, code, message) = refusal(begin(&sitting, &profile, &dave, "dave").await);
    assert_eq!(code, "not_registered");
    assert_eq!(
        message,
        "this account is not registered for tiny-exam 1.0.0; ask a proctor to register it \
         for a sitting"
    );
    let (_, code, message) = refusal(begin(&sitting, &profile, &carol, "carol").await);
    assert_eq!(code, "sitting_not_open");
    assert!(message.contains("closed at"), "{message}");
    // Signed in as alice, asking as bob.
    let (status, _, message) = refusal(begin(&sitting, &profile, &alice, "bob").await);
    assert_eq!(status, 403);
    assert!(
        message.contains("made for the account \"bob\", and you are signed in as \"alice\""),
        "{message}"
    );

    // A device that is not enrolled, and a request whose signature does not verify.
    let stranger = SigningKey::generate().unwrap();
    let (status, refused) = sitting
        .raw_release(&alice, signed_request(&stranger, "alice", VERSION))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["error"], "device_not_enrolled");
    let genuine = signed_request(&profile.device_key(), "alice", VERSION);
    let mut parts: Vec<String> = genuine.split('.').map(str::to_owned).collect();
    parts[1] = signed_request(&profile.device_key(), "alice", VERSION)
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    let (status, refused) = sitting.raw_release(&alice, parts.join(".")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["error"], "bad_proof");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("not signed by the enrolled device key"),
        "{refused}"
    );
    // A learner is not a candidate.
    let learner = sitting.account("lena", "learner").await;
    let (status, _) = sitting
        .raw_release(
            &learner,
            signed_request(&profile.device_key(), "lena", VERSION),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A profile that trusts another server signing key refuses the release.
    let forger = SigningKey::generate().unwrap().public_key();
    let wary = sitting.profile_trusting(&forger).await;
    match begin(&sitting, &wary, &alice, "alice").await {
        Err(Error::Server(RequestFailure::BadReply(message))) => assert!(
            message.contains("not signed by a server this installation trusts"),
            "{message}"
        ),
        other => panic!("a release by an untrusted key must be refused: {other:?}"),
    }
    let wary_app = blocking(move || wary.open()).await;
    assert_eq!(wary_app.exams().unwrap()[0].open_session, None);

    // Inside the window: released, the session begins, the log says by whom.
    let paper = begin(&sitting, &profile, &alice, "alice").await.unwrap();
    let session = paper.session.session_id.clone();
    let items: Vec<String> = paper
        .sections
        .iter()
        .flat_map(|s| &s.items)
        .map(|item| item.id.clone())
        .collect();
    assert_eq!(items.len(), 3);
    let sitter = profile.clone();
    let (finished, log) = blocking(move || {
        let mut app = sitter.open();
        let log = app.exam_log(&session).unwrap();
        let check = app.exam_system_check(1);
        app.start_exam(&session, &check).unwrap();
        for item in &items {
            app.save_exam_answer(&session, item, &right_answer(item))
                .unwrap();
        }
        sitter.clock.advance(Duration::minutes(3));
        let finished = app.submit_exam(&session).unwrap();
        (finished, log)
    })
    .await;
    assert_eq!(log[0].kind, "key_released");
    assert_eq!(log[0].detail["candidate"], "alice");
    assert_eq!(log[0].detail["schedule_id"], open["id"]);
    assert_eq!(
        log[0].detail["server_kid"],
        sitting.keys.signing.key_id().as_str()
    );

    // The release is logged on the server; the candidate sees their own sitting only.
    let (status, listed) = sitting
        .client
        .call(Method::GET, "/v1/exams/schedules", Some(&proctor), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let schedules = listed["schedules"].as_array().unwrap();
    assert_eq!(schedules.len(), 3);
    let released: Vec<&Value> = schedules
        .iter()
        .flat_map(|s| s["releases"].as_array().unwrap())
        .collect();
    // Two releases for alice's sitting: the untrusting profile's and the real one.
    assert_eq!(released.len(), 2, "{listed}");
    assert!(released.iter().all(|r| r["schedule_id"] == open["id"]));
    assert_eq!(
        released[1]["device_key_id"],
        profile.device_key().key_id().as_str()
    );
    let (_, own) = sitting
        .client
        .call(Method::GET, "/v1/exams/schedules", Some(&alice), None)
        .await;
    let own = own["schedules"].as_array().unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["schedule"]["candidates"], json!(["alice"]));

    // The result is delivered and checked against the exam's form.
    let deliverer = profile.clone();
    let base = sitting.base();
    let report = blocking(move || {
        let server = ServerEndpoint::new(&base).unwrap();
        deliverer.open().deliver_results(&server).unwrap()
    })
    .await;
    assert_eq!(report.delivered.len(), 1, "{report:?}");
    let (status, stored) =
        stored_result(&sitting.client, &sitting.admin, &finished.result_id).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["result"]["form_checked"], true);
    assert_eq!(stored["document"]["grading"]["outcome"], "pass");

    // The same result with two items of its form swapped, signed by the same device:
    // refused, naming the item, and not stored.
    let mut document = verify_sealed(&finished.sealed, &sitting.keys.sealing, None).unwrap();
    document.result_id = Uuid::now_v7().to_string();
    let section = document
        .form
        .sections
        .iter_mut()
        .find(|s| s.items.len() > 1)
        .unwrap();
    section.items.swap(0, 1);
    let tampered = sign_and_seal(
        &document,
        &profile.device_key(),
        &sitting.keys.sealing.public_key(),
    )
    .unwrap();
    let (status, refused) = sitting
        .client
        .call(
            Method::POST,
            "/v1/results",
            None,
            Some(&serde_json::from_str(&tampered.sealed.to_json()).unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"], "invalid_result");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("the form in the result is not the one its seed draws")
            && message.contains("item 1 of section"),
        "{message}"
    );
    let (status, _) = stored_result(&sitting.client, &sitting.admin, &document.result_id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn schedules_are_checked_and_listed_by_role(database_url: &str) {
    let sitting = Sitting::start(database_url).await;
    let proctor = sitting.account("proctor-1", "proctor").await;
    sitting.account("alice", "candidate").await;
    sitting.account("lena", "learner").await;
    let now = Utc::now();
    let hour = Duration::hours(1);
    /// A window, the candidates, and what the refusal says.
    type Case<'a> = (DateTime<Utc>, DateTime<Utc>, &'a [&'a str], &'a str);
    let cases: [Case<'_>; 5] = [
        (
            now + hour,
            now,
            &["alice"],
            "closes_at must be after opens_at",
        ),
        (now - hour * 2, now - hour, &["alice"], "closed already"),
        (now, now + hour, &[], "name between 1 and"),
        (
            now,
            now + hour,
            &["alice", "zed"],
            "no account is called \"zed\"",
        ),
        (
            now,
            now + hour,
            &["lena"],
            "the account \"lena\" does not have the candidate role",
        ),
    ];
    for (opens, closes, candidates, says) in cases {
        let (status, refused) = sitting.schedule(&proctor, opens, closes, candidates).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        assert!(
            refused["message"].as_str().unwrap().contains(says),
            "{says}: {refused}"
        );
    }
    let (status, refused) = sitting
        .schedule_version(&proctor, "9.9.9", now, now + hour, &["alice"])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("no exam pack tiny-exam 9.9.9 is published here")
    );
    // Usernames are not case-sensitive.
    let (status, created) = sitting
        .schedule(&proctor, now, now + hour, &["ALICE", "alice"])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["candidates"], json!(["alice"]));

    // Staff schedule with the CLI too; a refusal is printed with the server's reason.
    let opens = now.to_rfc3339();
    let closes = (now + hour).to_rfc3339();
    let cli = |candidate: &str| {
        Command::new(cli_binary())
            .args(["exams", "schedule", "--server", &sitting.base()])
            .args(["--exam", EXAM, "--version", VERSION, "--opens", &opens])
            .args(["--closes", &closes, "--candidate", candidate])
            .env("STUDYHALL_TOKEN", &proctor)
            .output()
            .unwrap()
    };
    let output = cli("alice");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success()
            && printed.starts_with("scheduled sitting ")
            && printed.contains("of tiny-exam 1.0.0: open from ")
            && printed.trim_end().ends_with("for alice"),
        "{output:?}"
    );
    let output = cli("lena");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("the sitting was not scheduled: the server refused: the account \"lena\" does not have the candidate role"),
        "{said}"
    );
    let (_, listed) = sitting
        .client
        .call(Method::GET, "/v1/exams/schedules", Some(&proctor), None)
        .await;
    assert_eq!(listed["schedules"].as_array().unwrap().len(), 2, "{listed}");

    // An exam pack sealed to another server cannot be scheduled here.
    let elsewhere = SealingKey::generate().unwrap().public_key();
    let foreign = sitting.builder.exam("1.1.0", &elsewhere);
    let (status, _) = sitting.client.publish(Some(&sitting.admin), foreign).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, refused) = sitting
        .schedule_version(&proctor, "1.1.0", now, now + hour, &["alice"])
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("publish a pack built for this server's key"),
        "{refused}"
    );
}
