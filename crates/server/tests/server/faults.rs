//! Result delivery through faults (DESIGN §7), on each backend, with the real server
//! binary behind [`FaultProxy`]: requests and answers cut at random bytes, 5xx answers,
//! stalls past the client's timeout, the server killed (SIGKILL) and restarted in the
//! middle of uploads; meanwhile a proctor hands in kiosk files of the same results in
//! random order and a second carrier uploads some results twice at the same moment.
//!
//! After all of it: the outbox is empty, every receipt the client holds verifies and
//! is the one the server stored, every result is stored exactly once, no answer said
//! "new" twice for one result, and no server process panicked.
//!
//! The faults come from a seeded RNG; the seed is printed, and
//! `STUDYHALL_FAULT_SEED=<seed>` replays the same faults.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use chrono::DateTime;
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use rand::seq::SliceRandom as _;
use reqwest::StatusCode;
use serde_json::json;
use studyhall_core::Studyhall;
use studyhall_core::clock::ManualClock;
use studyhall_core::exam::pack::build_exam;
use studyhall_core::exam::session::FinishedResult;
use studyhall_core::pack::Quiet;
use studyhall_core::sync::{
    ExpectedReceipt, RequestFailure, ResultTransport as _, ServerEndpoint, UploadReply,
    sealed_sha256, verify_receipt,
};
use studyhall_server::keys::{ServerKeys, ServerPublicKeys};
use studyhall_signing::{SigningKey, TrustStore};

use crate::endpoints::{ADMIN, Client};
use crate::fault_proxy::{EVERY_FAULT, FaultProxy, FaultRates, Restart};
use crate::results::stored_result;
use crate::server_process::ServerProcess;

on_both_backends!(every_result_is_stored_exactly_once_through_faults);

/// Results in the candidate's outbox.
const RESULTS: usize = 24;
/// The client gives up on a request after this (a stall costs this much).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(1);
/// Delivery rounds before the test gives up on an outbox that never empties.
const MAX_ROUNDS: usize = 200;
/// Attempts a carrier makes before the test gives up on one upload.
const MAX_ATTEMPTS: usize = 200;

/// The seed of this run's faults: `STUDYHALL_FAULT_SEED`, or a fresh one.
fn fault_seed() -> u64 {
    let seed = std::env::var("STUDYHALL_FAULT_SEED")
        .ok()
        .map(|s| s.parse().expect("STUDYHALL_FAULT_SEED must be a number"))
        .unwrap_or_else(rand::random);
    println!("fault seed {seed} (replay with STUDYHALL_FAULT_SEED={seed})");
    seed
}

/// The candidate's profile on a clock the test moves, with an exam that allows as many
/// attempts as the test sits.
struct Candidate {
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    start_code: String,
}

impl Candidate {
    fn new(server: &ServerPublicKeys) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/tiny-exam");
        let exam = dir.path().join("exam");
        std::fs::create_dir_all(exam.join("questions")).unwrap();
        let manifest = std::fs::read_to_string(fixture.join("exam.toml")).unwrap();
        assert!(manifest.contains("attempts_allowed = 2"));
        std::fs::write(
            exam.join("exam.toml"),
            manifest.replace(
                "attempts_allowed = 2",
                &format!("attempts_allowed = {RESULTS}"),
            ),
        )
        .unwrap();
        std::fs::copy(
            fixture.join("questions/bank.toml"),
            exam.join("questions/bank.toml"),
        )
        .unwrap();
        let publisher = SigningKey::generate().unwrap();
        let pack = dir.path().join("many.shexam");
        let build = build_exam(&exam, &publisher, &server.sealing, &pack).unwrap();
        let candidate = Self {
            dir,
            clock: Arc::new(ManualClock::new(
                DateTime::parse_from_rfc3339("2026-11-24T09:00:00+01:00").unwrap(),
            )),
            start_code: build.start_code.to_grouped().to_string(),
        };
        let mut app = candidate.open();
        app.trust_publisher(&publisher.public_key()).unwrap();
        app.trust_server(&server.sealing).unwrap();
        app.trust_server_signing_key(&server.signing).unwrap();
        app.import_pack(&pack, &Quiet).unwrap();
        candidate
    }

    fn open(&self) -> Studyhall {
        Studyhall::open_with_clock(&self.dir.path().join("profile"), self.clock.clone()).unwrap()
    }

    /// Sits the exam `count` times offline: each sealed result waits in the outbox.
    fn sit_exams(&self, count: usize) -> Vec<FinishedResult> {
        let mut app = self.open();
        (0..count)
            .map(|_| {
                let paper = app.begin_exam("tiny-exam", &self.start_code, 0).unwrap();
                let session = paper.session.session_id;
                let check = app.exam_system_check(1);
                app.start_exam(&session, &check).unwrap();
                self.clock.advance(chrono::Duration::minutes(5));
                app.submit_exam(&session).unwrap()
            })
            .collect()
    }

    /// The receipts the client stored, by result id (read from its database).
    fn stored_receipts(&self) -> BTreeMap<String, Option<String>> {
        let db = rusqlite::Connection::open(self.dir.path().join("profile/studyhall.db")).unwrap();
        let mut query = db.prepare("SELECT result_id, receipt FROM outbox").unwrap();
        query
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }
}

/// The server process the proxy stands in front of, restarted on the same database
/// and keys after each kill; the logs of the killed ones are kept.
struct Servers {
    current: Option<ServerProcess>,
    killed_logs: Vec<String>,
    database_url: String,
    key_dir: String,
}

impl Servers {
    fn restart(&mut self) -> SocketAddr {
        if let Some(server) = self.current.take() {
            self.killed_logs.push(server.kill());
        }
        let server = ServerProcess::start(&self.database_url, &[("KEY_DIR", &self.key_dir)]);
        let address = socket_address(&server);
        self.current = Some(server);
        address
    }
}

fn socket_address(server: &ServerProcess) -> SocketAddr {
    server
        .url("")
        .strip_prefix("http://")
        .unwrap()
        .parse()
        .unwrap()
}

/// Uploads (or hands in, with `token`) until the server answers with a receipt; only
/// failures of the line or the server are retried, a refusal fails the test.
fn carry(endpoint: &ServerEndpoint, sealed: &str, token: Option<&str>) -> UploadReply {
    for _ in 0..MAX_ATTEMPTS {
        let reply = match token {
            Some(token) => endpoint.hand_in(sealed, token),
            None => endpoint.upload(sealed),
        };
        match reply {
            Ok(reply) => return reply,
            Err(
                RequestFailure::Unreachable(_)
                | RequestFailure::ServerError { .. }
                | RequestFailure::BadReply(_),
            ) => std::thread::sleep(Duration::from_millis(10)),
            Err(refused) => panic!("a valid result was refused: {refused}"),
        }
    }
    panic!("no receipt after {MAX_ATTEMPTS} attempts");
}

/// What the device's delivery rounds saw.
struct Delivery {
    rounds: usize,
    /// Result id and whether the server called it a duplicate.
    delivered: Vec<(String, bool)>,
}

/// Delivery rounds until the outbox is empty, moving the clock past each backoff.
fn deliver_until_empty(candidate: &Candidate, endpoint: &ServerEndpoint) -> Delivery {
    let mut app = candidate.open();
    let mut delivered = Vec::new();
    for round in 1..=MAX_ROUNDS {
        let report = app.deliver_results(endpoint).unwrap();
        delivered.extend(
            report
                .delivered
                .iter()
                .map(|d| (d.result_id.clone(), d.duplicate)),
        );
        if app.outbox_status().unwrap().waiting == 0 {
            return Delivery {
                rounds: round,
                delivered,
            };
        }
        candidate.clock.advance(chrono::Duration::hours(2));
    }
    panic!(
        "the outbox still holds results after {MAX_ROUNDS} rounds: {:?}",
        app.outbox_status().unwrap()
    );
}

async fn results_stored(database_url: &str) -> i64 {
    if let Some(path) = database_url.strip_prefix("sqlite://") {
        let db = rusqlite::Connection::open(path).unwrap();
        return db
            .query_row("SELECT count(*) FROM results", [], |row| row.get(0))
            .unwrap();
    }
    let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let connection = tokio::spawn(connection);
    let count = client
        .query_one("SELECT count(*) FROM results", &[])
        .await
        .unwrap()
        .get(0);
    drop(client);
    let _ = connection.await;
    count
}

async fn every_result_is_stored_exactly_once_through_faults(database_url: &str) {
    let seed = fault_seed();
    // reqwest is built without a default TLS crypto provider (see crates/core).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut rng = StdRng::seed_from_u64(seed);
    let key_dir = tempfile::tempdir().unwrap();
    let server_keys = ServerKeys::load_or_create(key_dir.path()).unwrap().public();
    let trust = TrustStore::from_iter([server_keys.signing.clone()]);
    let key_path = key_dir.path().display().to_string();

    // The server, its first admin, and a candidate who sat the exam offline many times
    // and then enrolled the device.
    let client = Client::start(database_url, &[("KEY_DIR", &key_path)]);
    let admin = client.token(ADMIN).await;
    let enrollment = client.enrollment_token(&admin, json!({})).await;
    let direct = client.server.url("");
    let (candidate, finished) = tokio::task::spawn_blocking(move || {
        let candidate = Candidate::new(&server_keys);
        let finished = candidate.sit_exams(RESULTS);
        let direct = ServerEndpoint::new(&direct).unwrap();
        candidate
            .open()
            .enroll_device(&direct, &enrollment)
            .unwrap();
        (candidate, finished)
    })
    .await
    .unwrap();
    let candidate = Arc::new(candidate);
    assert_eq!(
        candidate.open().outbox_status().unwrap().waiting as usize,
        RESULTS
    );

    // From here on every request goes through the proxy.
    let Client { server, http } = client;
    let upstream = socket_address(&server);
    let servers = Arc::new(Mutex::new(Servers {
        current: Some(server),
        killed_logs: Vec::new(),
        database_url: database_url.to_owned(),
        key_dir: key_path,
    }));
    let restart: Restart = {
        let servers = Arc::clone(&servers);
        Arc::new(move || servers.lock().unwrap().restart())
    };
    let rates = FaultRates {
        faulty: 0.5,
        max_stalls: 4,
        max_kills: 3,
    };
    let proxy = FaultProxy::start(upstream, seed, rates, restart).await;
    // Each carrier is a client of its own; the blocking clients live on blocking threads.
    let endpoint =
        |url: &str| ServerEndpoint::with_timeouts(url, CLIENT_TIMEOUT, CLIENT_TIMEOUT).unwrap();

    // A proctor hands in kiosk files of a third of the results, in random order; another
    // third is uploaded twice at the same moment by a second carrier.
    let mut order: Vec<usize> = (0..RESULTS).collect();
    order.shuffle(&mut rng);
    let usb = tempfile::tempdir().unwrap();
    let handed_in: Vec<(String, String)> = order[..RESULTS / 3]
        .iter()
        .map(|&i| {
            let file = finished[i].export_to(usb.path()).unwrap();
            (
                finished[i].result_id.clone(),
                std::fs::read_to_string(file).unwrap(),
            )
        })
        .collect();
    let twice: Vec<(String, String)> = order[RESULTS / 3..2 * RESULTS / 3]
        .iter()
        .map(|&i| (finished[i].result_id.clone(), finished[i].sealed.clone()))
        .collect();

    let mut carriers = Vec::new();
    carriers.push(tokio::task::spawn_blocking({
        let (url, admin) = (proxy.url(), admin.clone());
        move || {
            let endpoint = endpoint(&url);
            handed_in
                .iter()
                .map(|(id, file)| (id.clone(), carry(&endpoint, file, Some(&admin))))
                .collect::<Vec<_>>()
        }
    }));
    let together = Arc::new(Barrier::new(2));
    for _ in 0..2 {
        let (url, twice, together) = (proxy.url(), twice.clone(), together.clone());
        carriers.push(tokio::task::spawn_blocking(move || {
            let endpoint = endpoint(&url);
            twice
                .iter()
                .map(|(id, sealed)| {
                    together.wait();
                    (id.clone(), carry(&endpoint, sealed, None))
                })
                .collect::<Vec<_>>()
        }));
    }
    let delivery = tokio::task::spawn_blocking({
        let (candidate, url) = (Arc::clone(&candidate), proxy.url());
        move || deliver_until_empty(&candidate, &endpoint(&url))
    });
    let delivery = delivery.await.unwrap();
    let mut carried = Vec::new();
    for carrier in carriers {
        carried.extend(carrier.await.unwrap());
    }
    let injected = proxy.injected();
    println!(
        "delivered in {} rounds; faults injected: {injected:?}",
        delivery.rounds
    );
    drop(proxy);

    // Every kind of fault happened.
    for fault in EVERY_FAULT {
        assert!(
            injected.contains_key(&fault),
            "no {fault:?} in {injected:?}"
        );
    }

    // The device delivered each result once, and every receipt it holds verifies.
    let mut delivered_ids: Vec<&str> = delivery
        .delivered
        .iter()
        .map(|(id, _)| id.as_str())
        .collect();
    delivered_ids.sort_unstable();
    let mut expected_ids: Vec<&str> = finished.iter().map(|f| f.result_id.as_str()).collect();
    expected_ids.sort_unstable();
    assert_eq!(delivered_ids, expected_ids);
    let receipts = candidate.stored_receipts();
    assert_eq!(receipts.len(), RESULTS);

    let (servers, killed_logs) = {
        let mut servers = servers.lock().unwrap();
        (
            servers.current.take().unwrap(),
            std::mem::take(&mut servers.killed_logs),
        )
    };
    // A kill drawn while the server was down already did not happen.
    assert!(!killed_logs.is_empty(), "the server was never killed");
    println!(
        "the server was killed and restarted {} times",
        killed_logs.len()
    );
    let client = Client {
        server: servers,
        http,
    };
    for result in &finished {
        let receipt = receipts[&result.result_id]
            .as_deref()
            .unwrap_or_else(|| panic!("{} has no receipt", result.result_id));
        let digest = sealed_sha256(&result.sealed).unwrap();
        verify_receipt(
            receipt,
            &trust,
            ExpectedReceipt {
                result_id: &result.result_id,
                receipt_code: &result.receipt_code,
                sealed_sha256: &digest,
            },
        )
        .unwrap();
        let (status, stored) = stored_result(&client, &admin, &result.result_id).await;
        assert_eq!(status, StatusCode::OK, "{stored}");
        assert_eq!(stored["result"]["receipt"], receipt);

        // Every carrier got the same receipt; at most one answer of all said "new".
        let replies: Vec<&UploadReply> = carried
            .iter()
            .filter(|(id, _)| *id == result.result_id)
            .map(|(_, reply)| reply)
            .collect();
        assert!(replies.iter().all(|reply| reply.receipt == receipt));
        let new = replies.iter().filter(|reply| !reply.duplicate).count()
            + delivery
                .delivered
                .iter()
                .filter(|(id, duplicate)| *id == result.result_id && !duplicate)
                .count();
        assert!(
            new <= 1,
            "{} was stored as new {new} times",
            result.result_id
        );
    }
    assert_eq!(results_stored(database_url).await, RESULTS as i64);

    for log in killed_logs.iter().chain([&client.server.log()]) {
        assert!(!log.contains("panicked"), "a server panicked:\n{log}");
    }
}
