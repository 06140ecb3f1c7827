//! End-to-end: result upload and offline hand-in on the real binary, on each backend —
//! receipts that verify, repeats answered with the same receipt and stored once, and
//! each kind of bad result refused with the check that failed.

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use studyhall_core::exam::form::{Form, FormSeed};
use studyhall_core::exam::log::{self, LogKind};
use studyhall_core::exam::result::{
    Grading, Outcome, ResultDocument, ResultLog, SealedResult, Timing, sign_and_seal,
};
use studyhall_core::sync::{ExpectedReceipt, sealed_sha256, verify_receipt};
use studyhall_signing::{PublicKey, SealingKey, SealingPublicKey, SigningKey, TrustStore};

use crate::endpoints::{ADMIN, Client, enrollment};

on_both_backends!(
    an_upload_is_receipted_once_and_the_receipt_verifies,
    bad_results_are_refused_with_the_check_that_failed,
);

/// A small, valid result document of `device`: one proctor-log entry, no items.
pub fn document(device: &SigningKey, candidate: &str) -> ResultDocument {
    let session_id = uuid::Uuid::now_v7().to_string();
    let at: DateTime<Utc> = DateTime::from_timestamp_millis(1_780_000_000_000).unwrap();
    let entry = log::next_entry(
        &log::chain_start(&session_id),
        0,
        at,
        LogKind::SessionStarted,
        json!({}),
    );
    ResultDocument {
        v: 1,
        result_id: uuid::Uuid::now_v7().to_string(),
        session_id,
        exam_id: "tiny-exam".into(),
        exam_version: "1.0.0".into(),
        candidate_id: candidate.into(),
        device_kid: device.key_id().as_str().into(),
        device_key: device.public_key(),
        form: Form {
            seed: FormSeed("00112233445566778899aabbccddeeff".into()),
            sections: Vec::new(),
        },
        grading: Grading {
            items: Vec::new(),
            topics: Vec::new(),
            points: 0.0,
            max: 0.0,
            percent: 0.0,
            cut_score_percent: 50,
            outcome: Outcome::Fail,
        },
        timing: Timing {
            created_at: at.to_rfc3339(),
            started_at: Some(at.to_rfc3339()),
            submitted_at: Some(at.to_rfc3339()),
            submit_reason: Some("candidate".into()),
            used_ms: 60_000,
            limit_ms: None,
            extra_time_percent: 0,
            extra_time_ms: 0,
        },
        proctor_log: ResultLog {
            head: log::ChainHead {
                length: 1,
                hash: entry.hash.clone(),
            },
            entries: vec![entry],
        },
        app_build: "studyhall test".into(),
    }
}

/// A fresh valid result of `device`, sealed to `server`.
pub fn sealed_result(device: &SigningKey, server: &SealingPublicKey) -> SealedResult {
    sign_and_seal(&document(device, "candidate-1"), device, server).unwrap()
}

/// The server's public keys, as clients fetch them.
pub async fn server_keys(client: &Client) -> (PublicKey, SealingPublicKey) {
    let (status, keys) = client
        .call(Method::GET, "/v1/server-keys", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    (
        PublicKey::from_jwk_json(&keys["signing"].to_string()).unwrap(),
        SealingPublicKey::from_jwk_json(&keys["sealing"].to_string()).unwrap(),
    )
}

/// A device key enrolled on the server with a token from `admin`.
pub async fn enrolled_device(client: &Client, admin: &str) -> SigningKey {
    let key = SigningKey::generate().unwrap();
    let token = client.enrollment_token(admin, json!({})).await;
    let (status, device) = client
        .call(
            Method::POST,
            "/v1/devices",
            None,
            Some(&enrollment(&key, &token)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{device}");
    key
}

/// `GET /v1/results/{id}` as `token`'s account.
pub async fn stored_result(client: &Client, token: &str, result_id: &str) -> (StatusCode, Value) {
    client
        .call(
            Method::GET,
            &format!("/v1/results/{result_id}"),
            Some(token),
            None,
        )
        .await
}

fn envelope(sealed: &SealedResult) -> Value {
    serde_json::from_str(&sealed.sealed.to_json()).unwrap()
}

async fn an_upload_is_receipted_once_and_the_receipt_verifies(database_url: &str) {
    let client = Client::start(database_url, &[]);
    let admin = client.token(ADMIN).await;
    let (signing, sealing) = server_keys(&client).await;
    let device = enrolled_device(&client, &admin).await;
    let sealed = sealed_result(&device, &sealing);
    let body = envelope(&sealed);

    let (status, first) = client
        .call(Method::POST, "/v1/results", None, Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["duplicate"], false);
    assert_eq!(first["result_id"], sealed.result_id.as_str());
    assert_eq!(first["receipt_code"], sealed.receipt_code.as_str());
    let digest = sealed_sha256(&sealed.sealed.to_json()).unwrap();
    let receipt = verify_receipt(
        first["receipt"].as_str().unwrap(),
        &TrustStore::from_iter([signing]),
        ExpectedReceipt {
            result_id: &sealed.result_id,
            receipt_code: &sealed.receipt_code,
            sealed_sha256: &digest,
        },
    )
    .unwrap();
    assert_eq!(receipt.server_kid, receipt_kid(&first));

    // Again, by the device and by a proctor's hand-in: the same receipt, nothing new.
    let (status, again) = client
        .call(Method::POST, "/v1/results", None, Some(&body))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["receipt"], first["receipt"]);
    let (status, handed_in) = client
        .call(
            Method::POST,
            "/v1/results/handin",
            Some(&admin),
            Some(&body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{handed_in}");
    assert_eq!(handed_in["receipt"], first["receipt"]);

    let (status, stored) = stored_result(&client, &admin, &sealed.result_id).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["result"]["via"], "device");
    assert_eq!(stored["result"]["form_checked"], false);
    assert_eq!(stored["result"]["receipt"], first["receipt"]);
    assert_eq!(stored["result"]["signed"], sealed.signed.as_str());
    assert_eq!(stored["document"]["candidate_id"], "candidate-1");

    // A kiosk's file (with its final newline) handed in first is stored as a hand-in.
    let kiosk = enrolled_device(&client, &admin).await;
    let from_kiosk = sealed_result(&kiosk, &sealing);
    let file_text = format!("{}\n", from_kiosk.sealed.to_json());
    let (status, handed_in) = client
        .call(
            Method::POST,
            "/v1/results/handin",
            Some(&admin),
            Some(&serde_json::from_str(&file_text).unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{handed_in}");
    let (_, stored) = stored_result(&client, &admin, &from_kiosk.result_id).await;
    assert_eq!(stored["result"]["via"], "handin");
    assert!(stored["result"]["handed_in_by"].is_string());
}

fn receipt_kid(reply: &Value) -> String {
    let header = studyhall_signing::jws::peek_header(reply["receipt"].as_str().unwrap()).unwrap();
    header.kid.unwrap().as_str().to_owned()
}

async fn bad_results_are_refused_with_the_check_that_failed(database_url: &str) {
    let client = Client::start(database_url, &[]);
    let admin = client.token(ADMIN).await;
    let (_, sealing) = server_keys(&client).await;
    let device = enrolled_device(&client, &admin).await;
    let upload = |body: Value| {
        let client = &client;
        async move {
            client
                .call(Method::POST, "/v1/results", None, Some(&body))
                .await
        }
    };
    let refused =
        |(status, response): (StatusCode, Value), want: StatusCode, code: &str, says: &str| {
            assert_eq!(status, want, "{response}");
            assert_eq!(response["error"], code, "{response}");
            let message = response["message"].as_str().unwrap();
            assert!(message.contains(says), "{message:?} should say {says:?}");
        };

    // A byte of the ciphertext changed on the way.
    let mut tampered = envelope(&sealed_result(&device, &sealing));
    let ciphertext = tampered["ct"].as_str().unwrap().to_owned();
    let flipped = if ciphertext.starts_with('A') {
        "B"
    } else {
        "A"
    };
    tampered["ct"] = json!(format!("{flipped}{}", &ciphertext[1..]));
    refused(
        upload(tampered).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_result",
        "cannot be opened",
    );

    // Sealed to another server.
    let stranger = SealingKey::generate().unwrap().public_key();
    refused(
        upload(envelope(&sealed_result(&device, &stranger))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_result",
        "cannot be opened with this server key",
    );

    // A proctor log edited after the head was signed.
    let mut edited = document(&device, "candidate-1");
    edited.proctor_log.entries[0].kind = "focus_regained".into();
    let sealed = sign_and_seal(&edited, &device, &sealing).unwrap();
    refused(
        upload(envelope(&sealed)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_result",
        "proctor log",
    );

    // Signed by a key other than the one the document names.
    let forger = SigningKey::generate().unwrap();
    let sealed = sign_and_seal(&document(&device, "candidate-1"), &forger, &sealing).unwrap();
    refused(
        upload(envelope(&sealed)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_result",
        "signature",
    );

    // A device nobody enrolled, by upload and by hand-in.
    let unknown = SigningKey::generate().unwrap();
    let from_unknown = envelope(&sealed_result(&unknown, &sealing));
    refused(
        upload(from_unknown.clone()).await,
        StatusCode::FORBIDDEN,
        "device_not_enrolled",
        "not enrolled",
    );
    refused(
        client
            .call(
                Method::POST,
                "/v1/results/handin",
                Some(&admin),
                Some(&from_unknown),
            )
            .await,
        StatusCode::FORBIDDEN,
        "device_not_enrolled",
        unknown.key_id().as_str(),
    );

    // The same result id with other content.
    let original = document(&device, "candidate-1");
    let mut other = original.clone();
    other.candidate_id = "candidate-2".into();
    let (status, _) = upload(envelope(
        &sign_and_seal(&original, &device, &sealing).unwrap(),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED);
    refused(
        upload(envelope(&sign_and_seal(&other, &device, &sealing).unwrap())).await,
        StatusCode::CONFLICT,
        "conflict",
        &original.result_id,
    );

    refused(
        upload(json!({ "hello": "world" })).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "not a sealed result envelope",
    );
    refused(
        client
            .call(
                Method::GET,
                "/v1/results/no-such-result",
                Some(&admin),
                None,
            )
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
        "no-such-result",
    );
}
