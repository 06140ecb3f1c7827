//! The app's core against the real server binary, on each backend: signing in (and the
//! server keys it presents, trusted only when confirmed), enrolling this device,
//! signing out; and the background sync worker delivering a result sat while the
//! server was down once it is back, with its state saying so.

use std::sync::mpsc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use studyhall_core::sync::RequestFailure;
use studyhall_core::sync::account::ServerKeyTrust;
use studyhall_core::sync::worker::{SyncPhase, SyncState, SyncWorker, WorkerSettings};
use studyhall_core::{Error, ErrorCode, Studyhall};
use studyhall_server::keys::ServerKeys;
use studyhall_signing::SigningKey;

use crate::endpoints::{ADMIN, Client};
use crate::results::stored_result;
use crate::sync::{Candidate, blocking};

on_both_backends!(
    signing_in_enrolling_and_signing_out,
    the_worker_delivers_a_result_sat_offline_once_the_server_is_back,
);

const USERNAME: &str = "cand-1";
const PASSWORD: &str = "a candidate's passphrase";

/// A candidate account on the server.
async fn create_candidate(client: &Client, admin: &str) {
    let body =
        json!({ "username": USERNAME, "password": PASSWORD, "roles": ["candidate", "learner"] });
    let (status, created) = client
        .call(Method::POST, "/v1/accounts", Some(admin), Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

async fn signing_in_enrolling_and_signing_out(database_url: &str) {
    let key_dir = tempfile::tempdir().unwrap();
    let keys = ServerKeys::load_or_create(key_dir.path()).unwrap();
    let key_path = key_dir.path().display().to_string();
    let client = Client::start(database_url, &[("KEY_DIR", &key_path)]);
    let admin = client.token(ADMIN).await;
    create_candidate(&client, &admin).await;
    let enrollment = client.enrollment_token(&admin, json!({})).await;
    let base = client.server.url("");
    let signing_kid = keys.signing.key_id().as_str().to_owned();
    let sealing_kid = keys.sealing.public_key().key_id().as_str().to_owned();

    let profile = tempfile::tempdir().unwrap();
    let dir = profile.path().to_owned();
    let (signing, sealing) = (signing_kid.clone(), sealing_kid.clone());
    let ended_token = blocking(move || {
        let mut app = Studyhall::open(&dir).unwrap();

        // A wrong password: refused in words, nothing kept.
        let error = app.sign_in(&base, USERNAME, "wrong").unwrap_err();
        assert_eq!(error.code(), ErrorCode::ServerRefused, "{error}");
        assert!(
            matches!(
                &error,
                Error::Server(RequestFailure::Refused { status: 401, .. })
            ),
            "{error:?}"
        );
        assert_eq!(app.sync_account().unwrap(), None);

        // Signed in: the account, and the server's keys presented but not trusted.
        let account = app
            .sign_in(&format!("{base}/"), " Cand-1 ", PASSWORD)
            .unwrap();
        assert_eq!(account.server_url, base);
        assert_eq!(account.username, USERNAME);
        assert_eq!(account.roles, ["learner", "candidate"]);
        assert!(!account.token_expired && !account.device_enrolled);
        assert_eq!(account.server_keys.signing_key_id, signing);
        assert_eq!(account.server_keys.sealing_key_id, sealing);
        assert_eq!(account.server_keys.trust, ServerKeyTrust::Unconfirmed);
        assert!(app.trusted_server_signing_keys().unwrap().is_empty());

        // The token never shows: not in the account the UI gets, not when printed.
        let credentials = app.sync_credentials().unwrap().unwrap();
        let token = credentials.token().to_owned();
        assert!(!serde_json::to_string(&account).unwrap().contains(&token));
        assert!(!format!("{credentials:?}").contains(&token));

        // Confirming other ids than the presented ones is refused; the right ones trust.
        let error = app.trust_server_keys(&sealing, &signing).unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidInput);
        assert!(app.trusted_server_signing_keys().unwrap().is_empty());
        let account = app.trust_server_keys(&signing, &sealing).unwrap();
        assert_eq!(account.server_keys.trust, ServerKeyTrust::Trusted);

        // Enrolled, and remembered by the profile.
        let error = app.enroll_this_device("not-a-token").unwrap_err();
        assert_eq!(error.code(), ErrorCode::ServerRefused, "{error}");
        let account = app.enroll_this_device(&enrollment).unwrap();
        assert!(account.device_enrolled && account.enrolled_at.is_some());
        drop(app);
        let mut app = Studyhall::open(&dir).unwrap();
        assert!(app.sync_account().unwrap().unwrap().device_enrolled);

        // Signed out: forgotten here; signing in again finds the device still enrolled.
        app.sign_out().unwrap();
        assert_eq!(app.sync_account().unwrap(), None);
        let account = app.sign_in(&base, USERNAME, PASSWORD).unwrap();
        assert!(account.device_enrolled);
        assert_eq!(account.server_keys.trust, ServerKeyTrust::Trusted);
        token
    })
    .await;
    // The server ended the session that was signed out.
    let (status, _) = client
        .call(Method::GET, "/v1/auth/me", Some(&ended_token), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A profile that already trusts another server's key never adopts this one's.
    let other = tempfile::tempdir().unwrap();
    let dir = other.path().to_owned();
    let base = client.server.url("");
    blocking(move || {
        let mut app = Studyhall::open(&dir).unwrap();
        let stranger = SigningKey::generate().unwrap().public_key();
        app.trust_server_signing_key(&stranger).unwrap();
        let account = app.sign_in(&base, USERNAME, PASSWORD).unwrap();
        assert_eq!(account.server_keys.trust, ServerKeyTrust::Different);
        let error = app
            .trust_server_keys(&signing_kid, &sealing_kid)
            .unwrap_err();
        assert!(
            error.to_string().contains("ask your administrator"),
            "{error}"
        );
        let trusted = app.trusted_server_signing_keys().unwrap();
        assert_eq!(trusted.len(), 1);
    })
    .await;
}

/// A free loopback port, so that a restarted server answers at the same address.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Waits for a state the worker publishes that satisfies `wanted`.
fn wait_for(states: &mpsc::Receiver<SyncState>, wanted: impl Fn(&SyncState) -> bool) -> SyncState {
    loop {
        let state = states
            .recv_timeout(Duration::from_secs(120))
            .expect("the worker stopped publishing its state");
        if wanted(&state) {
            return state;
        }
    }
}

async fn the_worker_delivers_a_result_sat_offline_once_the_server_is_back(database_url: &str) {
    let key_dir = tempfile::tempdir().unwrap();
    let keys = ServerKeys::load_or_create(key_dir.path()).unwrap();
    let key_path = key_dir.path().display().to_string();
    let listen = format!("127.0.0.1:{}", free_port());
    let settings = [("KEY_DIR", key_path.as_str()), ("LISTEN", listen.as_str())];

    // Signed in and enrolled while the server runs; then it goes away.
    let client = Client::start(database_url, &settings);
    let admin = client.token(ADMIN).await;
    create_candidate(&client, &admin).await;
    let enrollment = client.enrollment_token(&admin, json!({})).await;
    let base = client.server.url("");
    let candidate = std::sync::Arc::new(Candidate::new(&keys));
    let in_thread = candidate.clone();
    blocking(move || {
        let mut app = in_thread.open();
        app.sign_in(&base, USERNAME, PASSWORD).unwrap();
        app.enroll_this_device(&enrollment).unwrap();
    })
    .await;
    drop(client);

    // Offline: the exam is sat, and the worker says the server cannot be reached.
    let in_thread = candidate.clone();
    let finished = blocking(move || {
        let mut app = in_thread.open();
        in_thread.sit_exam(&mut app)
    })
    .await;
    let (sender, states) = mpsc::channel();
    let worker_settings = WorkerSettings {
        interval: Duration::from_secs(3600),
        first_retry: Duration::from_millis(100),
        longest_retry: Duration::from_millis(400),
    };
    let profile = candidate.dir.path().join("profile");
    let worker = SyncWorker::start(
        &profile,
        candidate.clock.clone(),
        worker_settings,
        Box::new(move |state| {
            let _ = sender.send(state.clone());
        }),
    )
    .unwrap();
    let (worker, states) = blocking(move || {
        let offline = wait_for(&states, |s| s.phase == SyncPhase::Offline);
        assert_eq!(offline.results_waiting, 1);
        assert_eq!(offline.last_sync_at, None);
        assert!(offline.next_round_at.is_some());
        let error = offline.error.unwrap();
        assert!(error.starts_with("could not reach the server"), "{error}");
        (worker, states)
    })
    .await;

    // The server is back at the same address: the worker delivers by itself.
    let client = Client::start_existing(database_url, &settings);
    let (worker, states) = blocking(move || {
        let synced = wait_for(&states, |s| s.phase == SyncPhase::Idle);
        assert_eq!(synced.results_waiting, 0, "{synced:?}");
        assert_eq!(synced.error, None);
        assert!(synced.last_sync_at.is_some());
        assert!(!synced.held_for_exam);
        (worker, states)
    })
    .await;
    let (status, stored) =
        stored_result(&client, &client.token(ADMIN).await, &finished.result_id).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["result"]["via"], "device");

    // "Sync now" runs another round at once; the worker stops when dropped.
    blocking(move || {
        worker.sync_now();
        wait_for(&states, |s| s.phase == SyncPhase::Syncing);
        let again = wait_for(&states, |s| s.phase == SyncPhase::Idle);
        assert_eq!(again.results_waiting, 0);
        drop(worker);
        // The worker's thread, and with it the channel's sender, are gone.
        for _ in states.iter() {}
    })
    .await;
}
