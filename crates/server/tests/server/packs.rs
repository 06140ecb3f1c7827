//! The pack catalogue on the real binary, on each backend: publishing verified packs,
//! refusals with the core's reason, idempotent and conflicting publishes, the size
//! limit, and downloads whole, by ranges and by ETag.

use std::io::{Read as _, Write as _};
use std::path::Path;

use reqwest::header::{
    ACCEPT_RANGES, CONTENT_RANGE, CONTENT_TYPE, ETAG, HeaderMap, IF_NONE_MATCH, IF_RANGE, RANGE,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use studyhall_core::exam::pack::build_exam;
use studyhall_core::pack::{self, Quiet};
use studyhall_signing::hash::sha256;
use studyhall_signing::{SealingPublicKey, SigningKey};

use crate::endpoints::{ADMIN, Client};
use crate::results::server_keys;

on_both_backends!(
    published_packs_are_listed_and_download_whole_and_in_ranges,
    untrusted_and_tampered_packs_are_refused_with_the_reason,
    republishing_the_same_bytes_is_harmless_and_other_bytes_conflict,
    packs_above_the_size_limit_are_refused,
);

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

/// A publisher whose public key sits in a publisher folder the server may be given.
pub struct Publisher {
    key: SigningKey,
    dir: tempfile::TempDir,
}

impl Publisher {
    /// A publisher whose key is in [`Publisher::trusted_dir`].
    pub fn trusted() -> Self {
        let publisher = Self::untrusted();
        let trusted = publisher.dir.path().join("publishers");
        std::fs::create_dir(&trusted).unwrap();
        publisher
            .key
            .public_key()
            .write_jwk_file(&trusted.join("test-publisher.pub.jwk"))
            .unwrap();
        publisher
    }

    /// A publisher no server trusts (its folder of trusted keys is empty).
    pub fn untrusted() -> Self {
        Self {
            key: SigningKey::generate().unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The folder of trusted publisher keys, for `STUDYHALL_SERVER_PUBLISHER_DIR`.
    pub fn trusted_dir(&self) -> String {
        self.dir.path().join("publishers").display().to_string()
    }

    /// The tiny-course fixture at `version`, built and signed.
    pub fn course(&self, version: &str) -> Vec<u8> {
        let source = self.fixture("tiny-course", "course.toml", version);
        let out = self.dir.path().join(format!("course-{version}.shpack"));
        pack::build(&source, &self.key, &out, &Quiet).unwrap();
        std::fs::read(out).unwrap()
    }

    /// The tiny-exam fixture at `version`, built and signed for `server`. Each build
    /// differs (a fresh content key).
    pub fn exam(&self, version: &str, server: &SealingPublicKey) -> Vec<u8> {
        let source = self.fixture("tiny-exam", "exam.toml", version);
        let out = self.dir.path().join(format!("exam-{version}.shexam"));
        build_exam(&source, &self.key, server, &out).unwrap();
        std::fs::read(out).unwrap()
    }

    /// A copy of fixture `name` whose `file` says `version`.
    fn fixture(&self, name: &str, file: &str, version: &str) -> std::path::PathBuf {
        let copy = tempfile::tempdir_in(self.dir.path()).unwrap().keep();
        copy_dir(&Path::new(FIXTURES).join(name), &copy);
        let text = std::fs::read_to_string(copy.join(file)).unwrap();
        assert!(text.contains("version = \"1.0.0\""));
        let text = text.replacen(
            "version = \"1.0.0\"",
            &format!("version = \"{version}\""),
            1,
        );
        std::fs::write(copy.join(file), text).unwrap();
        copy
    }
}

fn entry(zip: &[u8], name: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut data = Vec::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_end(&mut data)
        .unwrap();
    data
}

fn rezip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

impl Client {
    /// `POST /v1/packs` with `bytes`.
    pub async fn publish(&self, token: Option<&str>, bytes: Vec<u8>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(self.server.url("/v1/packs"))
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(bytes);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    /// `GET` a pack file with extra `headers`: status, headers and body.
    async fn download(
        &self,
        token: &str,
        path: &str,
        headers: &[(reqwest::header::HeaderName, String)],
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut request = self.http.get(self.server.url(path)).bearer_auth(token);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        (status, headers, response.bytes().await.unwrap().to_vec())
    }

    pub async fn account(&self, admin: &str, username: &str, role: &str) -> String {
        let body =
            json!({ "username": username, "password": "correct horse battery", "roles": [role] });
        let (status, created) = self
            .call(Method::POST, "/v1/accounts", Some(admin), Some(&body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        self.token(username).await
    }
}

fn file_path(record: &Value) -> String {
    format!(
        "/v1/packs/{}/{}/file",
        record["id"].as_str().unwrap(),
        record["version"].as_str().unwrap()
    )
}

async fn published_packs_are_listed_and_download_whole_and_in_ranges(database_url: &str) {
    let publisher = Publisher::trusted();
    let client = Client::start(database_url, &[("PUBLISHER_DIR", &publisher.trusted_dir())]);
    let admin = client.token(ADMIN).await;
    let author = client.account(&admin, "author-1", "author").await;
    let learner = client.account(&admin, "learner-1", "learner").await;
    let (_, sealing) = server_keys(&client).await;

    let course = publisher.course("1.2.0");
    let (status, record) = client.publish(Some(&author), course.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    assert_eq!(record["kind"], "course");
    assert_eq!(record["version"], "1.2.0");
    assert_eq!(record["size"], course.len());
    assert_eq!(record["sha256"], sha256(&course).to_hex());
    let exam = publisher.exam("2.0.0", &sealing);
    let (status, exam_record) = client.publish(Some(&admin), exam).await;
    assert_eq!(status, StatusCode::CREATED, "{exam_record}");
    assert_eq!(exam_record["kind"], "exam");

    // Any signed-in role sees the catalogue, newest first.
    let (status, catalogue) = client
        .call(Method::GET, "/v1/packs", Some(&learner), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let catalogue = catalogue.as_array().unwrap();
    assert_eq!(catalogue.len(), 2);
    let times: Vec<&str> = catalogue
        .iter()
        .map(|p| p["published_at"].as_str().unwrap())
        .collect();
    assert!(times[0] >= times[1], "{times:?}");
    assert!(catalogue.contains(&record) && catalogue.contains(&exam_record));

    // The whole file, with its ETag.
    let path = file_path(&record);
    let (status, headers, whole) = client.download(&learner, &path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sha256(&whole).to_hex(), sha256(&course).to_hex());
    let etag = headers[ETAG].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", sha256(&course).to_hex()));
    assert_eq!(headers[ACCEPT_RANGES], "bytes");

    // An interrupted download resumes: two ranges make the file.
    let (status, headers, head) = client
        .download(&learner, &path, &[(RANGE, "bytes=0-99".to_owned())])
        .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(head.len(), 100);
    assert_eq!(
        headers[CONTENT_RANGE].to_str().unwrap(),
        format!("bytes 0-99/{}", course.len())
    );
    let (status, headers, rest) = client
        .download(&learner, &path, &[(RANGE, "bytes=100-".to_owned())])
        .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(headers[ETAG].to_str().unwrap(), etag);
    assert_eq!([head, rest].concat(), course);

    // A resume names the file its first part came from: the same one gets the range,
    // another (the pack was replaced meanwhile) the whole file.
    let (status, _, rest) = client
        .download(
            &learner,
            &path,
            &[(RANGE, "bytes=100-".to_owned()), (IF_RANGE, etag.clone())],
        )
        .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(rest, course[100..]);
    let (status, _, whole) = client
        .download(
            &learner,
            &path,
            &[
                (RANGE, "bytes=100-".to_owned()),
                (IF_RANGE, "\"0000\"".to_owned()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(whole, course);

    // The copy held is current: nothing to send.
    let (status, headers, body) = client
        .download(&learner, &path, &[(IF_NONE_MATCH, etag.clone())])
        .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(headers[ETAG].to_str().unwrap(), etag);
    assert!(body.is_empty());

    // A range beyond the end says how long the file is.
    let beyond = format!("bytes={}-", course.len());
    let (status, headers, body) = client.download(&learner, &path, &[(RANGE, beyond)]).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        headers[CONTENT_RANGE].to_str().unwrap(),
        format!("bytes */{}", course.len())
    );
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["error"], "range_not_satisfiable");

    let (status, _, body) = client
        .download(&learner, "/v1/packs/tiny-course/9.9.9/file", &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["error"], "not_found");
}

async fn untrusted_and_tampered_packs_are_refused_with_the_reason(database_url: &str) {
    let publisher = Publisher::trusted();
    let client = Client::start(database_url, &[("PUBLISHER_DIR", &publisher.trusted_dir())]);
    let admin = client.token(ADMIN).await;
    let (_, sealing) = server_keys(&client).await;

    let stranger = Publisher::untrusted();
    for pack in [stranger.course("1.0.0"), stranger.exam("1.0.0", &sealing)] {
        let (status, refusal) = client.publish(Some(&admin), pack).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refusal}");
        assert_eq!(refusal["error"], "invalid_pack");
        let message = refusal["message"].as_str().unwrap();
        assert!(message.contains("does not trust"), "{message}");
        assert!(
            message.contains(stranger.key.public_key().key_id().as_str()),
            "{message}"
        );
        assert!(!message.contains("/tmp"), "no server paths: {message}");
    }

    // A signed manifest with another build's item bank in place of its own.
    let signed = publisher.exam("1.0.0", &sealing);
    let other = publisher.exam("1.0.0", &sealing);
    let tampered = rezip(&[
        ("manifest.jws", entry(&signed, "manifest.jws")),
        ("bank.enc", entry(&other, "bank.enc")),
    ]);
    let (status, refusal) = client.publish(Some(&admin), tampered).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refusal}");
    assert_eq!(refusal["error"], "invalid_pack");
    let message = refusal["message"].as_str().unwrap();
    assert!(message.contains("bank.enc"), "{message}");
    assert!(message.contains("tampered"), "{message}");

    // A pack cut short in transit.
    let course = publisher.course("1.0.0");
    let (status, refusal) = client
        .publish(Some(&admin), course[..course.len() / 2].to_vec())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refusal}");
    assert!(
        refusal["message"]
            .as_str()
            .unwrap()
            .contains("not a Studyhall pack"),
        "{refusal}"
    );

    let (_, catalogue) = client
        .call(Method::GET, "/v1/packs", Some(&admin), None)
        .await;
    assert_eq!(catalogue, json!([]));
}

async fn republishing_the_same_bytes_is_harmless_and_other_bytes_conflict(database_url: &str) {
    let publisher = Publisher::trusted();
    let client = Client::start(database_url, &[("PUBLISHER_DIR", &publisher.trusted_dir())]);
    let admin = client.token(ADMIN).await;
    let (_, sealing) = server_keys(&client).await;

    let exam = publisher.exam("1.0.0", &sealing);
    let (status, first) = client.publish(Some(&admin), exam.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = client.publish(Some(&admin), exam).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again, first);

    // Built again: the same id and version, other bytes.
    let rebuilt = publisher.exam("1.0.0", &sealing);
    let (status, refusal) = client.publish(Some(&admin), rebuilt).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refusal}");
    assert_eq!(refusal["error"], "conflict");
    assert!(
        refusal["message"].as_str().unwrap().contains("new version"),
        "{refusal}"
    );

    let (_, catalogue) = client
        .call(Method::GET, "/v1/packs", Some(&admin), None)
        .await;
    assert_eq!(catalogue, json!([first]));
}

async fn packs_above_the_size_limit_are_refused(database_url: &str) {
    let publisher = Publisher::trusted();
    let client = Client::start(
        database_url,
        &[
            ("PUBLISHER_DIR", &publisher.trusted_dir()),
            ("MAX_PACK_BYTES", "2048"),
        ],
    );
    let admin = client.token(ADMIN).await;
    let course = publisher.course("1.0.0");
    assert!(course.len() > 2048);
    let (status, refusal) = client.publish(Some(&admin), course).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{refusal}");
    assert_eq!(refusal["error"], "pack_too_large");
    assert!(
        refusal["message"]
            .as_str()
            .unwrap()
            .contains("max_pack_bytes"),
        "{refusal}"
    );
}
