//! Content packs (`.shpack`, format `studyhall-pack/1`): a zip holding the author
//! folder under `content/` and `manifest.jws`, a compact JWS by the publisher key whose
//! payload is the [`Manifest`]. This module owns building packs, checking them (every
//! check import runs) and the errors both report. It promises that a pack which passes
//! [`open`] + [`PackReader::read_all`] is exactly what its publisher signed.

mod build;
mod read;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use studyhall_signing::KeyId;
use studyhall_signing::hash::Digest;

use crate::content::{ContentError, Module, Topic};
use crate::error::ErrorCode;

pub use build::{BuildReport, build};
pub use read::{PackContents, PackReader, StoredEntry, inspect, open};

pub const FORMAT: &str = "studyhall-pack/1";
pub const MANIFEST_ENTRY: &str = "manifest.jws";
pub const CONTENT_PREFIX: &str = "content/";
/// The JWS `typ` of a pack manifest.
pub const MANIFEST_TYP: &str = "studyhall-pack-manifest+jws";

/// What a pack says about itself, signed by its publisher.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub id: String,
    pub version: semver::Version,
    pub title: String,
    pub summary: String,
    pub language: String,
    pub track: Option<String>,
    pub authors: Vec<String>,
    pub publisher_kid: KeyId,
    pub built_at: chrono::DateTime<chrono::Utc>,
    pub topics: Vec<Topic>,
    pub modules: Vec<Module>,
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Path inside the pack's content, e.g. `lessons/01-intro.md`.
    pub path: String,
    pub size: u64,
    pub sha256: Digest,
}

/// Limits that protect an import from hostile archives.
#[derive(Debug, Clone, Copy)]
pub struct PackLimits {
    pub max_entries: usize,
    pub max_entry_bytes: u64,
    pub max_total_bytes: u64,
    /// Largest allowed uncompressed/compressed ratio for entries above `ratio_floor_bytes`.
    pub max_ratio: u64,
    pub ratio_floor_bytes: u64,
    pub max_manifest_bytes: u64,
}

impl Default for PackLimits {
    fn default() -> Self {
        PackLimits {
            max_entries: 50_000,
            max_entry_bytes: 8 << 30,
            max_total_bytes: 32 << 30,
            max_ratio: 100,
            ratio_floor_bytes: 1 << 20,
            max_manifest_bytes: 16 << 20,
        }
    }
}

/// Why a pack could not be built, verified or imported. Each message names the pack
/// file or the entry and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{file} is not a Studyhall pack ({reason}); check that the file was copied completely")]
    NotAPack { file: PathBuf, reason: String },

    #[error("{file} has no manifest.jws; it is not a signed Studyhall pack")]
    MissingSignature { file: PathBuf },

    #[error(
        "{file} was signed by publisher key {kid}, which this installation does not trust; add the publisher's .pub.jwk to the trusted publishers and import again"
    )]
    UntrustedPublisher { file: PathBuf, kid: KeyId },

    #[error(
        "{file}: the signature on manifest.jws does not match ({reason}); the pack was changed after it was signed — get a fresh copy from the publisher"
    )]
    BadSignature { file: PathBuf, reason: String },

    #[error("{file}: manifest.jws is malformed: {reason}")]
    BadManifest { file: PathBuf, reason: String },

    #[error("{file}: entry '{entry}' is refused: {reason}")]
    UnsafeEntry {
        file: PathBuf,
        entry: String,
        reason: String,
    },

    #[error("{file}: '{entry}' is {reason}; the pack may have been damaged or tampered with")]
    Tampered {
        file: PathBuf,
        entry: String,
        reason: String,
    },

    #[error("{file}: the course in the pack is invalid: {error}")]
    Content { file: PathBuf, error: ContentError },

    #[error("{error}")]
    Source { error: ContentError },

    #[error(
        "{file} holds '{id}' version {offered}, but version {installed} is already installed; a pack can only be replaced by a newer version"
    )]
    OlderVersion {
        file: PathBuf,
        id: String,
        installed: String,
        offered: String,
    },

    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(transparent)]
    Signing(#[from] studyhall_signing::SigningError),
}

impl PackError {
    pub fn code(&self) -> ErrorCode {
        match self {
            PackError::UntrustedPublisher { .. } => ErrorCode::UntrustedPack,
            PackError::OlderVersion { .. } => ErrorCode::OlderPack,
            PackError::Io { .. } => ErrorCode::Io,
            PackError::Signing(_) => ErrorCode::InvalidKey,
            PackError::NotAPack { .. }
            | PackError::MissingSignature { .. }
            | PackError::BadSignature { .. }
            | PackError::BadManifest { .. }
            | PackError::UnsafeEntry { .. }
            | PackError::Tampered { .. }
            | PackError::Content { .. }
            | PackError::Source { .. } => ErrorCode::InvalidPack,
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        PackError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Reports progress of long operations (building, verifying, importing) in bytes.
pub trait Progress: Sync {
    /// A new phase starts, covering `total` bytes.
    fn phase(&self, name: &str, total: u64);
    fn advance(&self, bytes: u64);
}

/// Progress reporting that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Progress for Quiet {
    fn phase(&self, _name: &str, _total: u64) {}
    fn advance(&self, _bytes: u64) {}
}

/// File extensions whose contents are already compressed: stored as-is in the zip so
/// import can verify and serve them straight from the archive.
pub(crate) fn is_precompressed(path: &str) -> bool {
    let ext = path
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    matches!(
        ext.as_str(),
        "webm"
            | "mp4"
            | "m4v"
            | "mkv"
            | "ogg"
            | "ogv"
            | "opus"
            | "mp3"
            | "m4a"
            | "png"
            | "jpg"
            | "jpeg"
            | "gif"
            | "webp"
            | "avif"
            | "zip"
            | "gz"
            | "xz"
            | "zst"
            | "br"
            | "pdf"
    )
}
