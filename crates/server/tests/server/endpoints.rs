//! End-to-end: the real binary on each backend, walked endpoint by endpoint with every
//! role and with no credentials, and every refusal checked for its status and code.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use studyhall_server::api::devices::ENROLLMENT_PROOF_TYP;
use studyhall_signing::{SigningKey, jws};

use crate::packs::Publisher;
use crate::release::{schedule_body, signed_request};
use crate::results::{enrolled_device, sealed_result, server_keys};
use crate::server_process::ServerProcess;

on_both_backends!(
    every_endpoint_allows_exactly_its_roles,
    wrong_passwords_and_ended_sessions_are_refused,
    expired_sessions_are_refused,
    enrollment_refuses_reused_unknown_and_expired_tokens_and_bad_proofs,
    oversized_and_malformed_requests_get_json_errors,
    sigterm_stops_the_server_cleanly,
);

pub const ADMIN: &str = "root";
const PASSWORD: &str = "correct horse battery";
const ROLES: [&str; 5] = ["learner", "candidate", "proctor", "author", "admin"];

pub struct Client {
    pub server: ServerProcess,
    pub http: reqwest::Client,
}

/// The tests' HTTP client. reqwest is built with rustls and no default crypto provider
/// (studyhall-core configures its own, on ring), so ring's is installed first.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

impl Client {
    /// A server on `database_url` with the first admin created by the CLI.
    pub fn start(database_url: &str, settings: &[(&str, &str)]) -> Self {
        let server = ServerProcess::start(database_url, settings);
        let created = server.admin_create(ADMIN, PASSWORD, &["admin"]);
        assert!(
            created.status.success(),
            "admin create failed: {}",
            String::from_utf8_lossy(&created.stderr)
        );
        Self {
            server,
            http: http_client(),
        }
    }

    /// A server on a database that already has its admin (e.g. a restored backup).
    pub fn start_existing(database_url: &str, settings: &[(&str, &str)]) -> Self {
        Self {
            server: ServerProcess::start(database_url, settings),
            http: http_client(),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.server.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    async fn login(&self, username: &str, password: &str) -> (StatusCode, Value) {
        let body = json!({ "username": username, "password": password });
        self.call(Method::POST, "/v1/auth/login", None, Some(&body))
            .await
    }

    pub async fn token(&self, username: &str) -> String {
        let (status, body) = self.login(username, PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// One account per role (the admin is the bootstrapped one); their usernames.
    async fn account_per_role(&self, admin: &str) -> Vec<(&'static str, String)> {
        let mut accounts = Vec::new();
        for role in ROLES {
            let username = if role == "admin" {
                ADMIN.to_owned()
            } else {
                let username = format!("{role}-1");
                let body = json!({ "username": username, "password": PASSWORD, "roles": [role] });
                let (status, created) = self
                    .call(Method::POST, "/v1/accounts", Some(admin), Some(&body))
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{created}");
                assert_eq!(created["roles"], json!([role]));
                username
            };
            accounts.push((role, username));
        }
        accounts
    }

    pub async fn enrollment_token(&self, token: &str, body: Value) -> String {
        let (status, created) = self
            .call(
                Method::POST,
                "/v1/enrollment-tokens",
                Some(token),
                Some(&body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created["token"].as_str().unwrap().to_owned()
    }
}

pub fn enrollment(key: &SigningKey, enrollment_token: &str) -> Value {
    let payload = json!({ "enrollment_token": enrollment_token }).to_string();
    json!({
        "public_key": key.public_key(),
        "proof": jws::sign_compact(key, Some(ENROLLMENT_PROOF_TYP), payload.as_bytes()),
    })
}

/// Who may call an endpoint.
#[derive(Clone, Copy)]
enum Access {
    Public,
    Roles(&'static [&'static str]),
}

struct Endpoint {
    method: Method,
    path: &'static str,
    access: Access,
    success: StatusCode,
}

fn endpoints() -> Vec<Endpoint> {
    use Access::{Public, Roles};
    let endpoint = |method, path, access, success| Endpoint {
        method,
        path,
        access,
        success,
    };
    vec![
        endpoint(Method::GET, "/health", Public, StatusCode::OK),
        endpoint(Method::GET, "/metrics", Public, StatusCode::OK),
        endpoint(Method::GET, "/v1/openapi.json", Public, StatusCode::OK),
        endpoint(Method::GET, "/v1/server-keys", Public, StatusCode::OK),
        endpoint(Method::POST, "/v1/auth/login", Public, StatusCode::OK),
        endpoint(Method::POST, "/v1/devices", Public, StatusCode::CREATED),
        endpoint(Method::GET, "/v1/auth/me", Roles(&ROLES), StatusCode::OK),
        endpoint(
            Method::POST,
            "/v1/auth/logout",
            Roles(&ROLES),
            StatusCode::NO_CONTENT,
        ),
        endpoint(
            Method::POST,
            "/v1/accounts",
            Roles(&["admin"]),
            StatusCode::CREATED,
        ),
        endpoint(
            Method::POST,
            "/v1/enrollment-tokens",
            Roles(&["admin", "proctor"]),
            StatusCode::CREATED,
        ),
        endpoint(
            Method::GET,
            "/v1/devices",
            Roles(&["admin"]),
            StatusCode::OK,
        ),
        // Authenticated by the enrolled device's signature inside the result.
        endpoint(Method::POST, "/v1/results", Public, StatusCode::CREATED),
        endpoint(
            Method::POST,
            "/v1/results/handin",
            Roles(&["admin", "proctor"]),
            StatusCode::CREATED,
        ),
        endpoint(
            Method::GET,
            "/v1/results/{result_id}",
            Roles(&["admin", "proctor"]),
            StatusCode::OK,
        ),
        // Each account pushes and pulls its own events (an empty push here).
        endpoint(
            Method::POST,
            "/v1/progress",
            Roles(&["learner", "candidate"]),
            StatusCode::OK,
        ),
        endpoint(
            Method::GET,
            "/v1/progress",
            Roles(&["learner", "candidate"]),
            StatusCode::OK,
        ),
        endpoint(
            Method::POST,
            "/v1/exams/schedules",
            Roles(&["admin", "proctor"]),
            StatusCode::CREATED,
        ),
        endpoint(
            Method::GET,
            "/v1/exams/schedules",
            Roles(&["admin", "proctor", "candidate"]),
            StatusCode::OK,
        ),
        // Also signed by the enrolled device, for the candidate registered for a
        // sitting open now.
        endpoint(
            Method::POST,
            "/v1/exams/{id}/{version}/release",
            Roles(&["candidate"]),
            StatusCode::OK,
        ),
        endpoint(
            Method::POST,
            "/v1/packs",
            Roles(&["admin", "author"]),
            StatusCode::CREATED,
        ),
        endpoint(Method::GET, "/v1/packs", Roles(&ROLES), StatusCode::OK),
        endpoint(
            Method::GET,
            "/v1/packs/{id}/{version}/file",
            Roles(&ROLES),
            StatusCode::OK,
        ),
    ]
}

async fn every_endpoint_allows_exactly_its_roles(database_url: &str) {
    let publisher = Publisher::trusted();
    let client = Client::start(database_url, &[("PUBLISHER_DIR", &publisher.trusted_dir())]);
    let admin = client.token(ADMIN).await;
    let accounts = client.account_per_role(&admin).await;
    let (_, sealing) = server_keys(&client).await;
    let device = enrolled_device(&client, &admin).await;
    let stored = sealed_result(&device, &sealing);
    let (status, _) = client
        .call(
            Method::POST,
            "/v1/results",
            None,
            Some(&serde_json::from_str(&stored.sealed.to_json()).unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, pack) = client
        .publish(Some(&admin), publisher.course("1.0.0"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pack}");

    // An exam (not the version the results above name, which would be checked against
    // it) with a sitting open now for the candidate.
    let (status, exam) = client
        .publish(Some(&admin), publisher.exam("3.0.0", &sealing))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{exam}");
    let now = chrono::Utc::now();
    let hour = chrono::TimeDelta::hours(1);
    let sitting = schedule_body("3.0.0", now - hour, now + hour, &["candidate-1"]);
    let (status, created) = client
        .call(
            Method::POST,
            "/v1/exams/schedules",
            Some(&admin),
            Some(&sitting),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    // The matrix covers every route the OpenAPI document lists, so a new endpoint
    // cannot escape this test.
    let (_, openapi) = client
        .call(Method::GET, "/v1/openapi.json", None, None)
        .await;
    let documented: BTreeSet<String> = openapi["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .unwrap()
                .keys()
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    let tested: BTreeSet<String> = endpoints()
        .iter()
        .filter(|e| e.path != "/v1/openapi.json")
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert_eq!(documented, tested);

    let mut counter = 0;
    // `None` is a caller without credentials.
    let callers: Vec<Option<&(&str, String)>> = std::iter::once(None)
        .chain(accounts.iter().map(Some))
        .collect();
    for endpoint in endpoints() {
        for caller in &callers {
            counter += 1;
            // A fresh sign-in per call, so that logging out spends only its own.
            let token = match caller {
                Some((_, username)) => Some(client.token(username).await),
                None => None,
            };
            let body = match endpoint.path {
                "/v1/auth/login" => Some(json!({ "username": ADMIN, "password": PASSWORD })),
                "/v1/accounts" => Some(json!({
                    "username": format!("made-{counter}"),
                    "password": PASSWORD,
                    "roles": ["learner"],
                })),
                "/v1/enrollment-tokens" => Some(json!({})),
                // A fresh result each time, so that success is a new one (201).
                "/v1/results" | "/v1/results/handin" => Some(
                    serde_json::from_str(&sealed_result(&device, &sealing).sealed.to_json())
                        .unwrap(),
                ),
                "/v1/progress" if endpoint.method == Method::POST => Some(json!({ "events": [] })),
                "/v1/exams/schedules" if endpoint.method == Method::POST => Some(sitting.clone()),
                "/v1/exams/{id}/{version}/release" => Some(json!({
                    "request": signed_request(&device, "candidate-1", "3.0.0"),
                })),
                "/v1/devices" if endpoint.method == Method::POST => {
                    let enrollment_token = client.enrollment_token(&admin, json!({})).await;
                    Some(enrollment(
                        &SigningKey::generate().unwrap(),
                        &enrollment_token,
                    ))
                }
                _ => None,
            };
            let named = if endpoint.path.starts_with("/v1/exams/") {
                &exam
            } else {
                &pack
            };
            let path = endpoint
                .path
                .replace("{result_id}", &stored.result_id)
                .replace("{id}", named["id"].as_str().unwrap())
                .replace("{version}", named["version"].as_str().unwrap());
            let (status, response) = if endpoint.method == Method::POST && path == "/v1/packs" {
                // A new version each time, so that success is a new pack (201).
                let pack = publisher.course(&format!("1.1.{counter}"));
                client.publish(token.as_deref(), pack).await
            } else {
                client
                    .call(
                        endpoint.method.clone(),
                        &path,
                        token.as_deref(),
                        body.as_ref(),
                    )
                    .await
            };
            let role = caller.map_or("no credentials", |(role, _)| role);
            let expected = match (endpoint.access, caller) {
                (Access::Public, _) => endpoint.success,
                (Access::Roles(_), None) => StatusCode::UNAUTHORIZED,
                (Access::Roles(roles), Some((role, _))) if roles.contains(role) => endpoint.success,
                (Access::Roles(_), Some(_)) => StatusCode::FORBIDDEN,
            };
            assert_eq!(
                status, expected,
                "{} {} as {role}: {response}",
                endpoint.method, endpoint.path
            );
            let expected_code = match expected {
                StatusCode::UNAUTHORIZED => Some("unauthenticated"),
                StatusCode::FORBIDDEN => Some("forbidden"),
                _ => None,
            };
            if let Some(code) = expected_code {
                assert_eq!(response["error"], code, "{response}");
                assert!(response["message"].as_str().unwrap().len() > 10);
            }
        }
    }

    // A token that was never issued is not "no credentials": it says so.
    let (status, response) = client
        .call(Method::GET, "/v1/auth/me", Some("not-a-token"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(response["error"], "unknown_token");

    // Each route's requests are counted under its own label.
    let (_, metrics) = client.call(Method::GET, "/metrics", None, None).await;
    let metrics = metrics.as_str().unwrap();
    assert!(
        metrics.contains(
            r#"studyhall_http_requests_total{method="GET",route="/v1/devices",status="403"}"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains("studyhall_http_request_duration_seconds_bucket"));
}

async fn wrong_passwords_and_ended_sessions_are_refused(database_url: &str) {
    let client = Client::start(database_url, &[]);
    for (username, password) in [(ADMIN, "wrong password!"), ("nobody", PASSWORD)] {
        let (status, response) = client.login(username, password).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(response["error"], "invalid_credentials");
        assert_eq!(response["message"], "the username or password is wrong");
    }
    // Usernames are not case-sensitive.
    let token = client.token("ROOT").await;
    let (status, me) = client
        .call(Method::GET, "/v1/auth/me", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], ADMIN);

    let (status, _) = client
        .call(Method::POST, "/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, response) = client
        .call(Method::GET, "/v1/auth/me", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(response["error"], "unknown_token");

    // The CLI refuses a second account of the same name, with the reason.
    let again = client.server.admin_create(ADMIN, PASSWORD, &["admin"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("taken"));
}

async fn expired_sessions_are_refused(database_url: &str) {
    let client = Client::start(database_url, &[("TOKEN_LIFETIME_SECONDS", "1")]);
    let token = client.token(ADMIN).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, response) = client
        .call(Method::GET, "/v1/devices", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(response["error"], "session_expired");
    assert_eq!(response["message"], "the sign-in expired; sign in again");
}

async fn enrollment_refuses_reused_unknown_and_expired_tokens_and_bad_proofs(database_url: &str) {
    let client = Client::start(database_url, &[]);
    let admin = client.token(ADMIN).await;
    let key = SigningKey::generate().unwrap();
    let enroll = |body: Value| {
        let client = &client;
        async move {
            client
                .call(Method::POST, "/v1/devices", None, Some(&body))
                .await
        }
    };

    let short_lived = client
        .enrollment_token(&admin, json!({ "expires_in_seconds": 1 }))
        .await;
    let token = client.enrollment_token(&admin, json!({})).await;

    // Signed by another key than the one sent.
    let mut forged = enrollment(&SigningKey::generate().unwrap(), &token);
    forged["public_key"] = json!(key.public_key());
    let (status, response) = enroll(forged).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{response}");
    assert_eq!(response["error"], "bad_proof");
    assert!(
        response["message"]
            .as_str()
            .unwrap()
            .contains("not signed by the device key"),
        "{response}"
    );

    // A valid signature over something else than an enrollment proof.
    let payload = json!({ "enrollment_token": token }).to_string();
    let wrong_type = json!({
        "public_key": key.public_key(),
        "proof": jws::sign_compact(&key, Some("studyhall-result+jws"), payload.as_bytes()),
    });
    let (status, response) = enroll(wrong_type).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(response["error"], "bad_proof");

    let (status, response) = enroll(enrollment(&key, "never-issued")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(response["error"], "enrollment_token_unknown");

    // The refusals above left the token unused.
    let (status, device) = enroll(enrollment(&key, &token)).await;
    assert_eq!(status, StatusCode::CREATED, "{device}");
    assert_eq!(device["key_id"], key.key_id().as_str());

    let (status, response) = enroll(enrollment(&SigningKey::generate().unwrap(), &token)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(response["error"], "enrollment_token_used");
    assert!(
        response["message"]
            .as_str()
            .unwrap()
            .contains("already used")
    );

    let another = client.enrollment_token(&admin, json!({})).await;
    let (status, response) = enroll(enrollment(&key, &another)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        response["message"]
            .as_str()
            .unwrap()
            .contains("already enrolled")
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, response) =
        enroll(enrollment(&SigningKey::generate().unwrap(), &short_lived)).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(response["error"], "enrollment_token_expired");

    let (status, list) = client
        .call(Method::GET, "/v1/devices", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let devices = list["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["public_key"], json!(key.public_key()));
}

async fn oversized_and_malformed_requests_get_json_errors(database_url: &str) {
    let client = Client::start(database_url, &[("MAX_REQUEST_BYTES", "2048")]);
    let big = json!({ "username": "x".repeat(4096), "password": PASSWORD });
    let (status, response) = client
        .call(Method::POST, "/v1/auth/login", None, Some(&big))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{response}");
    assert_eq!(response["error"], "payload_too_large");

    let (status, response) = client
        .call(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(&json!({ "username": 7 })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(response["error"], "invalid_request");

    let admin = client.token(ADMIN).await;
    for (body, says) in [
        (
            json!({ "username": "bad name", "password": PASSWORD, "roles": ["learner"] }),
            "username",
        ),
        (
            json!({ "username": "short", "password": "short", "roles": ["learner"] }),
            "password",
        ),
        (
            json!({ "username": "noroles", "password": PASSWORD, "roles": [] }),
            "role",
        ),
        (
            json!({ "username": "badrole", "password": PASSWORD, "roles": ["janitor"] }),
            "janitor",
        ),
    ] {
        let (status, response) = client
            .call(Method::POST, "/v1/accounts", Some(&admin), Some(&body))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {response}");
        assert!(
            response["message"].as_str().unwrap().contains(says),
            "{response}"
        );
    }
}

async fn sigterm_stops_the_server_cleanly(database_url: &str) {
    let client = Client::start(database_url, &[]);
    let (status, health) = client.call(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ok");
    let status = client.server.stop_gracefully(Duration::from_secs(10));
    assert!(status.success(), "{status}");
}
