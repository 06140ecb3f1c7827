//! How the sync client talks to a server: plain HTTP (a LAN server; results are sealed
//! and receipts signed either way) or HTTPS with rustls, verifying the server's
//! certificate against the platform's roots plus any private certificate authorities the
//! profile trusts (`trusted-servers/ca/*.pem`, for a test centre's own CA).
//!
//! Promises:
//! - Only `http://` and `https://` addresses are accepted, and an `https://` server is
//!   never spoken to without a certificate that verifies for its host name.
//! - A certificate that does not verify is reported in words that say what to do
//!   ([`certificate_problem`]), not as a TLS alert name alone.
//! - No process-wide state: each client carries its own rustls configuration (on ring,
//!   the signing crate's crypto library).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

use super::ServerEndpoint;
use crate::Studyhall;
use crate::error::{Error, Result};
use crate::exams::TRUSTED_SERVERS_DIR;

/// Folder, inside the trusted-servers folder, of private certificate authorities
/// (`*.pem`) whose certificates HTTPS servers may present.
pub const SERVER_CA_DIR: &str = "ca";

/// What a [`ServerEndpoint`]'s HTTP client is built from, kept so that another CA can
/// be added later.
#[derive(Debug, Clone)]
pub(super) struct ClientSettings {
    pub(super) connect: Duration,
    pub(super) request: Duration,
    pub(super) ca_certificates: Vec<CertificateDer<'static>>,
}

impl ClientSettings {
    pub(super) fn new(connect: Duration, request: Duration) -> Self {
        Self {
            connect,
            request,
            ca_certificates: Vec::new(),
        }
    }

    /// The blocking HTTP client for a server at `base_url`.
    pub(super) fn client(&self, base_url: &str) -> Result<reqwest::blocking::Client> {
        if !base_url.starts_with("http://") && !base_url.starts_with("https://") {
            return Err(Error::InvalidInput(format!(
                "the server address must start with https:// (or http:// for a server on the \
                 local network): {base_url}"
            )));
        }
        let cannot_start = |e: &dyn std::error::Error| {
            Error::InvalidInput(format!("the HTTPS client cannot start: {e}"))
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
            self.ca_certificates.iter().cloned(),
            provider.clone(),
        )
        .map_err(|e| cannot_start(&e))?;
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| cannot_start(&e))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        reqwest::blocking::Client::builder()
            .connect_timeout(self.connect)
            .timeout(self.request)
            .tls_backend_preconfigured(tls)
            .build()
            .map_err(|e| Error::InvalidInput(format!("the HTTP client cannot start: {e}")))
    }
}

/// The certificates of a PEM text (one or more `CERTIFICATE` blocks).
fn parse_certificates(pem: &[u8], origin: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| {
            Error::InvalidInput(format!(
                "{origin} is not a PEM certificate ({e}); use the CA certificate the server's \
                 administrator gave you (it begins with -----BEGIN CERTIFICATE-----)"
            ))
        })?;
    if certificates.is_empty() {
        return Err(Error::InvalidInput(format!(
            "{origin} holds no certificate; use the CA certificate the server's administrator \
             gave you (it begins with -----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(certificates)
}

impl ServerEndpoint {
    /// Also trusts the certificate authority (or self-signed certificate) in `pem` for
    /// this server's HTTPS certificate, besides the platform's roots.
    pub fn with_ca_certificate(self, pem: &[u8]) -> Result<Self> {
        self.trusting(parse_certificates(pem, "the server's CA certificate")?)
    }

    fn trusting(mut self, certificates: Vec<CertificateDer<'static>>) -> Result<Self> {
        self.settings.ca_certificates.extend(certificates);
        self.http = self.settings.client(&self.base_url)?;
        Ok(self)
    }
}

/// Why a request failed, in words, when the cause is the server's certificate; `None`
/// for any other cause.
pub(super) fn certificate_problem(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(rustls::Error::InvalidCertificate(why)) = tls_error(current) {
            return Some(format!(
                "its HTTPS certificate is not trusted ({why:?}); if the server uses its own \
                 certificate authority, put that authority's certificate (.pem) in the \
                 profile's {TRUSTED_SERVERS_DIR}/{SERVER_CA_DIR} folder, or check the address"
            ));
        }
        cause = current.source();
    }
    None
}

/// The rustls error `error` is or wraps in I/O errors (whose `source` skips what they
/// wrap).
fn tls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = error.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner = error.downcast_ref::<std::io::Error>()?.get_ref()?;
    tls_error(inner)
}

impl Studyhall {
    /// The server at `base_url`, trusting the profile's private certificate authorities
    /// (`trusted-servers/ca/*.pem`) for HTTPS besides the platform's roots.
    pub fn server_endpoint(&self, base_url: &str) -> Result<ServerEndpoint> {
        let server = ServerEndpoint::new(base_url)?;
        let dir = self.server_ca_dir();
        if !dir.exists() {
            return Ok(server);
        }
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::io("read", &dir, e))? {
            let path = entry.map_err(|e| Error::io("read", &dir, e))?.path();
            if path.extension().is_some_and(|ext| ext == "pem") {
                files.push(path);
            }
        }
        files.sort();
        let mut certificates = Vec::new();
        for path in files {
            let pem = std::fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
            certificates.extend(parse_certificates(&pem, &path.display().to_string())?);
        }
        server.trusting(certificates)
    }

    /// Trusts the certificate authority in `pem` for servers' HTTPS certificates from
    /// now on (kept as `trusted-servers/ca/<SHA-256>.pem`).
    pub fn trust_server_ca(&mut self, pem: &str) -> Result<()> {
        parse_certificates(pem.as_bytes(), "the CA certificate")?;
        let dir = self.server_ca_dir();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        let name = format!(
            "{}.pem",
            studyhall_signing::hash::sha256(pem.trim().as_bytes()).to_hex()
        );
        crate::durable::write_file(&dir, &name, |file| {
            std::io::Write::write_all(file, pem.trim().as_bytes())
        })?;
        Ok(())
    }

    fn server_ca_dir(&self) -> PathBuf {
        self.profile.join(TRUSTED_SERVERS_DIR).join(SERVER_CA_DIR)
    }
}
