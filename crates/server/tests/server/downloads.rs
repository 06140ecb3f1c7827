//! Pack downloads by the app's core from the real server: a profile lists the catalogue,
//! downloads the sample course and an exam pack and installs them; a download cut
//! mid-file resumes from its `.part` with a range request; a `.part` of a changed file
//! starts again; a damaged one is caught by the SHA-256 check and nothing is installed;
//! installed packs are not downloaded again; a download gives way to an exam begun on
//! the profile and continues after it. Over HTTPS through a TLS-terminating proxy
//! with a private CA, a pack downloads and a result is delivered; without the CA the
//! certificate is refused in words.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::StatusCode;
use serde_json::json;
use studyhall_core::exam::pack::build_exam;
use studyhall_core::pack::{self, Quiet};
use studyhall_core::sync::RequestFailure;
use studyhall_core::sync::packs::{DownloadProgress, InstallState, PackKind};
use studyhall_core::{Error, ImportOutcome, ServerEndpoint, Studyhall};
use studyhall_signing::hash::sha256;
use studyhall_signing::{PublicKey, SealingPublicKey, SigningKey};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use crate::endpoints::{ADMIN, Client};
use crate::results::server_keys;
use crate::sync::blocking;

on_both_backends!(the_catalogue_downloads_resumes_after_a_cut_and_is_not_fetched_twice);

const SAMPLE_COURSE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/dwcp-fundamentals"
);
const TINY_EXAM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/tiny-exam"
);
const COURSE_ID: &str = "dwcp-fundamentals";
const EXAM_ID: &str = "tiny-exam";
/// Where the cutting proxy closes a connection: past the catalogue's answer, well
/// before the end of the sample course.
const CUT_AFTER: u64 = 200_000;

/// A server with the sample course and the tiny exam published, and a learner.
struct Published {
    client: Client,
    learner: String,
    admin: String,
    course: Vec<u8>,
    course_version: String,
    exam: Vec<u8>,
    start_code: String,
    publisher: PublicKey,
    signing: PublicKey,
    sealing: SealingPublicKey,
    _dir: tempfile::TempDir,
}

async fn publish_sample_programme(database_url: &str) -> Published {
    let dir = tempfile::tempdir().unwrap();
    let publisher = SigningKey::generate().unwrap();
    let trusted = dir.path().join("publishers");
    std::fs::create_dir(&trusted).unwrap();
    publisher
        .public_key()
        .write_jwk_file(&trusted.join("sample.pub.jwk"))
        .unwrap();
    let client = Client::start(
        database_url,
        &[("PUBLISHER_DIR", &trusted.display().to_string())],
    );
    let admin = client.token(ADMIN).await;
    let learner = client.account(&admin, "learner-1", "learner").await;
    let (signing, sealing) = server_keys(&client).await;

    let course_file = dir.path().join("course.shpack");
    let built = pack::build(Path::new(SAMPLE_COURSE), &publisher, &course_file, &Quiet).unwrap();
    let exam_file = dir.path().join("exam.shexam");
    let exam_build = build_exam(Path::new(TINY_EXAM), &publisher, &sealing, &exam_file).unwrap();
    let course = std::fs::read(&course_file).unwrap();
    let exam = std::fs::read(&exam_file).unwrap();
    for bytes in [&course, &exam] {
        let (status, record) = client.publish(Some(&admin), bytes.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{record}");
    }
    Published {
        client,
        learner,
        admin,
        course_version: built.manifest.version.to_string(),
        course,
        exam,
        start_code: exam_build.start_code.to_grouped().to_string(),
        publisher: publisher.public_key(),
        signing,
        sealing,
        _dir: dir,
    }
}

impl Published {
    /// A fresh profile trusting the publisher and the server.
    fn profile(&self, dir: &Path) -> Studyhall {
        let mut app = Studyhall::open(dir).unwrap();
        app.trust_publisher(&self.publisher).unwrap();
        app.trust_server(&self.sealing).unwrap();
        app.trust_server_signing_key(&self.signing).unwrap();
        app
    }

    /// The server, straight (no proxy).
    fn endpoint(&self) -> ServerEndpoint {
        ServerEndpoint::new(&self.client.server.url("")).unwrap()
    }

    fn address(&self) -> SocketAddr {
        let url = self.client.server.url("");
        url.strip_prefix("http://").unwrap().parse().unwrap()
    }
}

/// A TCP proxy on a free loopback port in front of `upstream`, terminating TLS when it
/// has an acceptor, and closing each connection once `cut_after` bytes went to the
/// client when it has a limit. Counts the bytes it passed to clients.
struct Proxy {
    address: SocketAddr,
    passed: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: SocketAddr, tls: Option<TlsAcceptor>, cut_after: Option<u64>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let passed = Arc::new(AtomicU64::new(0));
        let counter = passed.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (tls, counter) = (tls.clone(), counter.clone());
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            // A client refusing the certificate ends the handshake.
                            if let Ok(stream) = acceptor.accept(stream).await {
                                relay(stream, upstream, cut_after, &counter).await;
                            }
                        }
                        None => relay(stream, upstream, cut_after, &counter).await,
                    }
                });
            }
        });
        Self {
            address,
            passed,
            task,
        }
    }

    fn url(&self, scheme: &str, host: &str) -> String {
        format!("{scheme}://{host}:{}", self.address.port())
    }

    fn passed(&self) -> u64 {
        self.passed.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    client: impl AsyncRead + AsyncWrite + Unpin + Send + 'static,
    upstream: SocketAddr,
    cut_after: Option<u64>,
    passed: &AtomicU64,
) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = tokio::io::split(client);
    let (mut server_read, mut server_write) = server.into_split();
    let requests =
        tokio::spawn(async move { tokio::io::copy(&mut client_read, &mut server_write).await });
    let mut buffer = vec![0; 16 * 1024];
    let mut sent = 0u64;
    while let Ok(n) = server_read.read(&mut buffer).await {
        let room = cut_after.map_or(n as u64, |limit| (n as u64).min(limit - sent));
        if n == 0
            || client_write
                .write_all(&buffer[..room as usize])
                .await
                .is_err()
        {
            break;
        }
        sent += room;
        passed.fetch_add(room, Ordering::SeqCst);
        if cut_after == Some(sent) {
            break;
        }
    }
    let _ = client_write.shutdown().await;
    requests.abort();
}

/// A private certificate authority and a TLS acceptor whose certificate (for
/// `localhost` and 127.0.0.1) it signed.
struct PrivateCa {
    pem: String,
    acceptor: TlsAcceptor,
}

fn private_ca() -> PrivateCa {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "Studyhall test centre CA");
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let private = rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![leaf.der().clone()], private.into())
    .unwrap();
    PrivateCa {
        pem: ca.pem(),
        acceptor: TlsAcceptor::from(Arc::new(config)),
    }
}

/// The `.part` of a pack's download in a profile, and its sidecar.
fn part_files(app: &Studyhall, id: &str, version: &str) -> (PathBuf, PathBuf) {
    let dir = app.downloads_dir();
    (
        dir.join(format!("{id}-{version}.part")),
        dir.join(format!("{id}-{version}.part.json")),
    )
}

/// Downloads the course through `cutting` (a proxy that closes the connection early):
/// the download fails in words and leaves a `.part`; its length.
fn cut_download(app: &mut Studyhall, cutting: &str, token: &str, version: &str) -> u64 {
    let server = ServerEndpoint::new(cutting).unwrap();
    let error = app
        .download_pack(&server, token, COURSE_ID, version, &mut |_| {})
        .unwrap_err();
    assert!(
        matches!(error, Error::Server(RequestFailure::Unreachable(_))),
        "{error:?}"
    );
    assert!(app.courses().unwrap().is_empty());
    let (part, _) = part_files(app, COURSE_ID, version);
    std::fs::metadata(part).unwrap().len()
}

fn assert_progress_runs_to(seen: &[DownloadProgress], first: u64, total: u64) {
    assert_eq!(seen.first().unwrap().done, first);
    assert_eq!(seen.last().unwrap().done, total);
    assert!(seen.windows(2).all(|pair| pair[0].done <= pair[1].done));
    assert!(seen.iter().all(|p| p.total == total));
}

async fn the_catalogue_downloads_resumes_after_a_cut_and_is_not_fetched_twice(database_url: &str) {
    let published = Arc::new(publish_sample_programme(database_url).await);
    let cutting = Proxy::start(published.address(), None, Some(CUT_AFTER)).await;
    let counting = Proxy::start(published.address(), None, None).await;
    let (cutting_url, counting_url) = (
        cutting.url("http", "127.0.0.1"),
        counting.url("http", "127.0.0.1"),
    );
    let profile = tempfile::tempdir().unwrap();
    let dir = profile.path().to_owned();

    let shared = published.clone();
    blocking(move || {
        let published = shared;
        let token = &published.learner;
        let version = &published.course_version;
        let mut app = published.profile(&dir);
        let server = published.endpoint();

        // The catalogue: both packs, neither installed.
        let entries = app.available_packs(&server, token).unwrap();
        assert_eq!(entries.len(), 2, "{entries:?}");
        let course = entries.iter().find(|e| e.pack.id == COURSE_ID).unwrap();
        assert_eq!(course.pack.kind, PackKind::Course);
        assert_eq!(course.pack.size, published.course.len() as u64);
        assert_eq!(course.pack.sha256, sha256(&published.course).to_hex());
        assert_eq!(course.state, InstallState::NotInstalled);
        let exam = entries.iter().find(|e| e.pack.id == EXAM_ID).unwrap();
        assert_eq!(exam.pack.kind, PackKind::Exam);
        assert_eq!(exam.pack.size, published.exam.len() as u64);
        assert_eq!(
            (exam.state, exam.partial_bytes),
            (InstallState::NotInstalled, 0)
        );

        // Cut mid-file: the bytes so far stay in the .part, and the catalogue says so.
        let partial = cut_download(&mut app, &cutting_url, token, version);
        let size = published.course.len() as u64;
        assert!(partial > 0 && partial < size, "{partial} of {size}");
        let entries = app.available_packs(&server, token).unwrap();
        let course = entries.iter().find(|e| e.pack.id == COURSE_ID).unwrap();
        assert_eq!(course.partial_bytes, partial);

        // It resumes from there with a range request and installs.
        let mut seen = Vec::new();
        let done = app
            .download_pack(&server, token, COURSE_ID, version, &mut |p| seen.push(p))
            .unwrap();
        assert_eq!(
            (done.resumed_from, done.received),
            (partial, size - partial)
        );
        assert_eq!(
            done.outcome,
            ImportOutcome::Installed {
                pack_id: COURSE_ID.into(),
                version: version.clone()
            }
        );
        assert_progress_runs_to(&seen, partial, size);
        let (part, sidecar) = part_files(&app, COURSE_ID, version);
        assert!(!part.exists() && !sidecar.exists());
        assert_eq!(app.courses().unwrap()[0].id, COURSE_ID);

        // The background round fetches what is missing: the exam.
        let report = app.download_new_packs(&server, token, &mut |_| {}).unwrap();
        assert!(report.failed.is_empty(), "{report:?}");
        assert_eq!(report.installed.len(), 1);
        assert_eq!(report.installed[0].kind, PackKind::Exam);
        assert_eq!(report.installed[0].received, published.exam.len() as u64);
        assert_eq!(app.exams().unwrap()[0].exam_id, EXAM_ID);

        // Up to date: nothing is downloaded again.
        let counted = ServerEndpoint::new(&counting_url).unwrap();
        let report = app
            .download_new_packs(&counted, token, &mut |_| {})
            .unwrap();
        assert_eq!(report, Default::default());
        let again = app
            .download_pack(&counted, token, COURSE_ID, version, &mut |_| {})
            .unwrap();
        assert_eq!(again.received, 0);
        assert!(matches!(again.outcome, ImportOutcome::Unchanged { .. }));
        let entries = app.available_packs(&counted, token).unwrap();
        assert!(entries.iter().all(|e| e.state == InstallState::Installed));
    })
    .await;
    // Three catalogues went through the counting proxy, and no pack file.
    assert!(
        counting.passed() < published.exam.len() as u64,
        "{} bytes",
        counting.passed()
    );
    drop(cutting);
}

#[tokio::test]
async fn a_changed_file_restarts_and_a_damaged_download_is_discarded() {
    let database = crate::sqlite_database();
    let published = Arc::new(publish_sample_programme(&database.url).await);
    let cutting = Proxy::start(published.address(), None, Some(CUT_AFTER)).await;
    let cutting_url = cutting.url("http", "127.0.0.1");
    let profiles = tempfile::tempdir().unwrap();
    let dir = profiles.path().to_owned();

    let shared = published.clone();
    blocking(move || {
        let published = shared;
        let token = &published.learner;
        let version = &published.course_version;
        let size = published.course.len() as u64;
        let server = published.endpoint();

        // A .part begun from another file than the server's now (another ETag): the
        // server's range does not continue it, so the download starts again.
        let mut app = published.profile(&dir.join("changed"));
        let partial = cut_download(&mut app, &cutting_url, token, version);
        let (part, sidecar) = part_files(&app, COURSE_ID, version);
        let mut record: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&sidecar).unwrap()).unwrap();
        assert_eq!(
            record["etag"],
            json!(format!("\"{}\"", sha256(&published.course).to_hex()))
        );
        record["etag"] = json!("\"an-older-file\"");
        std::fs::write(&sidecar, record.to_string()).unwrap();
        std::fs::write(&part, vec![0xA5; partial as usize]).unwrap();
        let mut seen = Vec::new();
        let done = app
            .download_pack(&server, token, COURSE_ID, version, &mut |p| seen.push(p))
            .unwrap();
        assert_eq!((done.resumed_from, done.received), (partial, size));
        assert!(matches!(done.outcome, ImportOutcome::Installed { .. }));
        assert_eq!(seen.last().unwrap().done, size);
        assert!(!part.exists() && !sidecar.exists());

        // A .part damaged on disk: the SHA-256 check catches it, the .part goes, and
        // nothing is installed. The next try downloads the whole file.
        let mut app = published.profile(&dir.join("damaged"));
        cut_download(&mut app, &cutting_url, token, version);
        let (part, sidecar) = part_files(&app, COURSE_ID, version);
        let mut bytes = std::fs::read(&part).unwrap();
        for byte in &mut bytes[1000..1010] {
            *byte ^= 0xFF;
        }
        std::fs::write(&part, bytes).unwrap();
        let error = app
            .download_pack(&server, token, COURSE_ID, version, &mut |_| {})
            .unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, Error::Server(RequestFailure::BadReply(_))),
            "{error:?}"
        );
        assert!(
            message.contains(&format!("pack {COURSE_ID} {version}"))
                && message.contains("SHA-256")
                && message.contains("download it again"),
            "{message}"
        );
        assert!(!part.exists() && !sidecar.exists());
        assert!(app.courses().unwrap().is_empty());
        let done = app
            .download_pack(&server, token, COURSE_ID, version, &mut |_| {})
            .unwrap();
        assert_eq!((done.resumed_from, done.received), (0, size));
        assert_eq!(app.courses().unwrap()[0].id, COURSE_ID);
    })
    .await;
    drop(cutting);
}

#[tokio::test]
async fn a_download_gives_way_to_an_exam_and_continues_after_it() {
    let database = crate::sqlite_database();
    let published = Arc::new(publish_sample_programme(&database.url).await);
    let profile = tempfile::tempdir().unwrap();
    let dir = profile.path().to_owned();

    let shared = published.clone();
    blocking(move || {
        let published = shared;
        let token = &published.learner;
        let version = &published.course_version;
        let size = published.course.len() as u64;
        let server = published.endpoint();
        // `worker` downloads as the sync worker does, on its own handle; the candidate
        // sits the exam in the app's (`window`).
        let mut worker = published.profile(&dir);
        worker
            .download_pack(&server, token, EXAM_ID, "1.0.0", &mut |_| {})
            .unwrap();
        let mut window = Studyhall::open(&dir).unwrap();

        // The exam begins once the course's first bytes are in: the download stops
        // part-way, keeping its bytes, and nothing is installed.
        let mut session = None;
        let report = worker
            .download_new_packs(&server, token, &mut |progress| {
                if progress.done > 0 && session.is_none() {
                    let paper = window
                        .begin_exam(EXAM_ID, &published.start_code, 0)
                        .unwrap();
                    let id = paper.session.session_id;
                    let check = window.exam_system_check(1);
                    window.start_exam(&id, &check).unwrap();
                    session = Some(id);
                }
            })
            .unwrap();
        assert!(
            report.installed.is_empty() && report.failed.is_empty(),
            "{report:?}"
        );
        let paused = report.paused.unwrap();
        assert_eq!((paused.pack_id.as_str(), paused.total), (COURSE_ID, size));
        assert!(paused.done > 0 && paused.done < size, "{paused:?}");
        let (part, sidecar) = part_files(&worker, COURSE_ID, version);
        assert_eq!(std::fs::metadata(&part).unwrap().len(), paused.done);
        assert!(worker.courses().unwrap().is_empty());

        // Asked for by name while the exam goes on, it waits too, and says why.
        let error = worker
            .download_pack(&server, token, COURSE_ID, version, &mut |_| {})
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("an exam is being sat on this profile"),
            "{error}"
        );
        assert_eq!(std::fs::metadata(&part).unwrap().len(), paused.done);

        // Handed in: the download continues from its bytes and the course installs.
        window.submit_exam(&session.unwrap()).unwrap();
        let report = worker
            .download_new_packs(&server, token, &mut |_| {})
            .unwrap();
        assert_eq!(report.paused, None);
        assert_eq!(report.installed.len(), 1, "{report:?}");
        assert_eq!(
            (
                report.installed[0].resumed_from,
                report.installed[0].received
            ),
            (paused.done, size - paused.done)
        );
        assert!(!part.exists() && !sidecar.exists());
        assert_eq!(worker.courses().unwrap()[0].id, COURSE_ID);
    })
    .await;
}

#[tokio::test]
async fn https_with_a_private_ca_downloads_and_delivers_and_refuses_an_unknown_certificate() {
    let database = crate::sqlite_database();
    let published = Arc::new(publish_sample_programme(&database.url).await);
    let ca = private_ca();
    let tls = Proxy::start(published.address(), Some(ca.acceptor.clone()), None).await;
    let url = tls.url("https", "localhost");
    let enrollment = published
        .client
        .enrollment_token(&published.admin, json!({}))
        .await;
    let profile = tempfile::tempdir().unwrap();
    let dir = profile.path().to_owned();

    let shared = published.clone();
    let pem = ca.pem.clone();
    blocking(move || {
        let published = shared;
        let token = &published.learner;
        let mut app = published.profile(&dir);

        // Without the CA the certificate is refused, in words that say what to do.
        let untrusting = app.server_endpoint(&url).unwrap();
        let error = app.available_packs(&untrusting, token).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, Error::Server(RequestFailure::Unreachable(_))),
            "{error:?}"
        );
        assert!(
            message.contains("HTTPS certificate is not trusted")
                && message.contains("trusted-servers/ca"),
            "{message}"
        );
        assert!(ServerEndpoint::new("ftp://localhost").is_err());

        // The endpoint trusts the CA when told, and the profile keeps it.
        let explicit = ServerEndpoint::new(&url)
            .unwrap()
            .with_ca_certificate(pem.as_bytes())
            .unwrap();
        assert_eq!(app.available_packs(&explicit, token).unwrap().len(), 2);
        app.trust_server_ca(&pem).unwrap();
        let server = app.server_endpoint(&url).unwrap();

        // The exam comes down over HTTPS; the candidate sits it; the result goes up.
        let done = app
            .download_pack(&server, token, EXAM_ID, "1.0.0", &mut |_| {})
            .unwrap();
        assert!(matches!(done.outcome, ImportOutcome::Installed { .. }));
        let paper = app.begin_exam(EXAM_ID, &published.start_code, 0).unwrap();
        let session = paper.session.session_id;
        let check = app.exam_system_check(1);
        app.start_exam(&session, &check).unwrap();
        let finished = app.submit_exam(&session).unwrap();
        app.enroll_device(&server, &enrollment).unwrap();
        let report = app.deliver_results(&server).unwrap();
        assert!(report.failed.is_empty(), "{report:?}");
        assert_eq!(report.delivered.len(), 1);
        assert_eq!(report.delivered[0].result_id, finished.result_id);
    })
    .await;
    assert!(tls.passed() > published.exam.len() as u64);
}
