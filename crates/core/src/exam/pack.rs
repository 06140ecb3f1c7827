//! Exam packs (`.shexam`, format `studyhall-exam/1`): a zip of exactly two entries,
//! `manifest.jws` (the [`ExamManifest`], signed by the publisher) and `bank.enc` (the
//! item bank, AES-256-GCM under a random content key; see `studyhall_signing::ContentKey`).
//! The manifest carries the content key wrapped twice: for a start code (PBKDF2, given to
//! the proctor; the CLI prints it once at build time) and for the server's release
//! (sealed to the server's key). Until one of them unlocks the pack, no item is readable
//! on disk or anywhere in the app.
//!
//! Authored as a folder: `exam.toml` (metadata, topics and the `[blueprint]`) and
//! `questions/*.toml` (the bank, in the course question format).

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use studyhall_signing::hash::{Digest, sha256};
use studyhall_signing::{
    ContentKey, KeyId, Sealed, SealingPublicKey, SigningKey, StartCode, StartCodeWrap, TrustStore,
    jws,
};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::blueprint::Blueprint;
use crate::content::{
    ContentError, Question, SourceFiles, Topic, is_valid_id, load_questions, read_folder,
    toml_error,
};
use crate::pack::PackError;

pub const EXAM_FORMAT: &str = "studyhall-exam/1";
pub const EXAM_FILE: &str = "exam.toml";
pub const MANIFEST_ENTRY: &str = "manifest.jws";
pub const BANK_ENTRY: &str = "bank.enc";
/// The JWS `typ` of an exam manifest.
pub const EXAM_MANIFEST_TYP: &str = "studyhall-exam-manifest+jws";
/// The largest encrypted bank read into memory.
pub const MAX_BANK_BYTES: u64 = 64 << 20;
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// What an exam pack says about itself, signed by its publisher.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamManifest {
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
    pub blueprint: Blueprint,
    /// Items in the bank (the form draws [`Blueprint::item_count`] of them).
    pub bank_items: u32,
    /// Size and SHA-256 of `bank.enc`.
    pub bank_size: u64,
    pub bank_sha256: Digest,
    /// The content key, wrapped for the start code.
    pub start_code: StartCodeWrap,
    /// The content key, sealed to the server for its release at the scheduled time.
    pub release: Sealed,
}

impl ExamManifest {
    /// Associated data that binds the bank and the released key to this exam and version.
    pub fn binding(&self) -> Vec<u8> {
        binding(&self.id, &self.version)
    }
}

fn binding(id: &str, version: &semver::Version) -> Vec<u8> {
    format!("studyhall exam v1\0{id}\0{version}").into_bytes()
}

/// The authored `exam.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExamToml {
    id: String,
    version: String,
    title: String,
    summary: String,
    #[serde(default = "english")]
    language: String,
    track: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    #[serde(default)]
    topics: Vec<Topic>,
    blueprint: Blueprint,
}

fn english() -> String {
    "en".into()
}

/// An exam's source: metadata, blueprint and bank, checked.
#[derive(Debug)]
pub struct ExamSource {
    pub id: String,
    pub version: semver::Version,
    pub title: String,
    pub summary: String,
    pub language: String,
    pub track: Option<String>,
    pub authors: Vec<String>,
    pub topics: Vec<Topic>,
    pub blueprint: Blueprint,
    pub bank: Vec<Question>,
}

impl ExamSource {
    /// Reads and checks an exam author folder: every mistake names the file and line.
    pub fn load(folder: &Path) -> Result<ExamSource, ContentError> {
        let (files, _) = read_folder(folder)?;
        let text = files.text(EXAM_FILE).ok_or_else(|| {
            ContentError::new(
                EXAM_FILE,
                None,
                "missing: an exam folder needs an exam.toml at its top level (see docs/authoring.md)",
            )
        })?;
        let toml: ExamToml = toml::from_str(text).map_err(|e| toml_error(EXAM_FILE, text, &e))?;
        let at = |needle: &str| crate::content::line_containing(text, needle);
        if !is_valid_id(&toml.id) {
            return Err(ContentError::new(
                EXAM_FILE,
                at("id"),
                format!(
                    "exam id '{}' must be 3–64 lowercase letters, digits and '-'",
                    toml.id
                ),
            ));
        }
        let version = semver::Version::parse(&toml.version).map_err(|e| {
            ContentError::new(
                EXAM_FILE,
                at("version"),
                format!("version '{}' is not a semantic version: {e}", toml.version),
            )
        })?;
        let topic_ids: HashSet<&str> = toml.topics.iter().map(|t| t.id.as_str()).collect();
        let bank = load_questions(&files, &topic_ids)?;
        if bank.is_empty() {
            return Err(ContentError::new(
                "questions/",
                None,
                "the exam has no items: add [[question]] tables in questions/*.toml",
            ));
        }
        toml.blueprint.check(EXAM_FILE, text, &bank)?;
        Ok(ExamSource {
            id: toml.id,
            version,
            title: toml.title,
            summary: toml.summary,
            language: toml.language,
            track: toml.track,
            authors: toml.authors,
            topics: toml.topics,
            blueprint: toml.blueprint,
            bank,
        })
    }
}

/// What building an exam pack produced. The start code is shown once, to the person
/// who built the pack, and is in no file.
#[derive(Debug)]
pub struct ExamBuild {
    pub manifest: ExamManifest,
    pub start_code: StartCode,
}

/// Builds the exam in `folder` into an exam pack at `out`, signed by `publisher`, its key
/// wrapped for a fresh start code and sealed for `server`'s release. The file appears
/// atomically.
pub fn build_exam(
    folder: &Path,
    publisher: &SigningKey,
    server: &SealingPublicKey,
    out: &Path,
) -> Result<ExamBuild, PackError> {
    build_exam_with_start_code(folder, publisher, server, StartCode::generate()?, out)
}

/// [`build_exam`] with a start code made earlier (`studyhall-cli proctor start-code`), so
/// staff can hand the code out before the pack is built.
pub fn build_exam_with_start_code(
    folder: &Path,
    publisher: &SigningKey,
    server: &SealingPublicKey,
    start_code: StartCode,
    out: &Path,
) -> Result<ExamBuild, PackError> {
    let source = ExamSource::load(folder).map_err(|error| PackError::Source { error })?;
    let key = ContentKey::generate()?;
    let bank_json = serde_json::to_vec(&source.bank).map_err(|e| PackError::BadManifest {
        file: out.to_owned(),
        reason: e.to_string(),
    })?;
    let bound = binding(&source.id, &source.version);
    let bank = key.encrypt(&bound, &bank_json)?;
    let manifest = ExamManifest {
        format: EXAM_FORMAT.into(),
        id: source.id,
        version: source.version,
        title: source.title,
        summary: source.summary,
        language: source.language,
        track: source.track,
        authors: source.authors,
        publisher_kid: publisher.key_id().clone(),
        built_at: chrono::Utc::now(),
        topics: source.topics,
        blueprint: source.blueprint,
        bank_items: u32::try_from(source.bank.len()).unwrap_or(u32::MAX),
        bank_size: bank.len() as u64,
        bank_sha256: sha256(&bank),
        start_code: key.wrap_with_start_code(&start_code, StartCodeWrap::MIN_ITERATIONS)?,
        release: key.wrap_for_release(server, &bound)?,
    };
    let manifest_json = serde_json::to_vec(&manifest).map_err(|e| PackError::BadManifest {
        file: out.to_owned(),
        reason: e.to_string(),
    })?;
    let token = jws::sign_compact(publisher, Some(EXAM_MANIFEST_TYP), &manifest_json);

    let out_dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".shexam-")
        .tempfile_in(out_dir)
        .map_err(|e| PackError::io("create a file in", out_dir, e))?;
    let write_error =
        |e: zip::result::ZipError| PackError::io("write", out, std::io::Error::other(e));
    let mut zip = ZipWriter::new(temp);
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .unix_permissions(0o644);
    zip.start_file(MANIFEST_ENTRY, options)
        .map_err(write_error)?;
    zip.write_all(token.as_bytes())
        .map_err(|e| PackError::io("write", out, e))?;
    zip.start_file(BANK_ENTRY, options).map_err(write_error)?;
    zip.write_all(&bank)
        .map_err(|e| PackError::io("write", out, e))?;
    let temp = zip.finish().map_err(write_error)?;
    temp.as_file()
        .sync_all()
        .map_err(|e| PackError::io("write", out, e))?;
    temp.persist(out)
        .map_err(|e| PackError::io("write", out, e.error))?;
    Ok(ExamBuild {
        manifest,
        start_code,
    })
}

/// Whether `file` is an exam pack (a zip holding `bank.enc`) rather than a course pack:
/// the rule import, the CLI and the server use to tell them apart. Says nothing of
/// validity; [`open_exam`] checks that.
pub fn is_exam_pack(file: &Path) -> bool {
    File::open(file)
        .ok()
        .and_then(|f| ZipArchive::new(f).ok())
        .is_some_and(|archive| archive.index_for_name(BANK_ENTRY).is_some())
}

/// A verified exam pack, still locked.
#[derive(Debug)]
pub struct ExamPack {
    pub manifest: ExamManifest,
    pub manifest_jws: String,
    bank: Vec<u8>,
}

/// An unlocked exam: its item bank, in memory only.
#[derive(Debug)]
pub struct UnlockedExam {
    pub manifest: ExamManifest,
    pub bank: Vec<Question>,
}

/// Opens and verifies an exam pack: exactly the two expected entries, within size limits,
/// the manifest signed by a trusted publisher, the encrypted bank as the manifest says.
pub fn open_exam(path: &Path, trust: &TrustStore) -> Result<ExamPack, PackError> {
    let file = File::open(path).map_err(|e| PackError::io("open", path, e))?;
    let not_a_pack = |reason: String| PackError::NotAPack {
        file: path.to_owned(),
        reason,
    };
    let mut archive = ZipArchive::new(file)
        .map_err(|e| not_a_pack(format!("not a readable zip archive: {e}")))?;
    let names: Vec<String> = archive
        .file_names()
        .map(|name| name.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| not_a_pack(format!("an entry name is unreadable: {e}")))?;
    for name in &names {
        if name != MANIFEST_ENTRY && name != BANK_ENTRY {
            return Err(PackError::UnsafeEntry {
                file: path.to_owned(),
                entry: name.clone(),
                reason: "an exam pack holds only manifest.jws and bank.enc".into(),
            });
        }
    }
    let token = read_entry(&mut archive, path, MANIFEST_ENTRY, MAX_MANIFEST_BYTES)?;
    let token = String::from_utf8(token).map_err(|_| PackError::BadManifest {
        file: path.to_owned(),
        reason: "it is not text".into(),
    })?;
    let header = jws::peek_header(&token).map_err(|e| PackError::BadSignature {
        file: path.to_owned(),
        reason: e.to_string(),
    })?;
    if let Some(kid) = &header.kid
        && trust.get(kid).is_none()
    {
        return Err(PackError::UntrustedPublisher {
            file: path.to_owned(),
            kid: kid.clone(),
        });
    }
    let verified = jws::verify_compact(&token, trust).map_err(|e| PackError::BadSignature {
        file: path.to_owned(),
        reason: e.to_string(),
    })?;
    let bad_manifest = |reason: String| PackError::BadManifest {
        file: path.to_owned(),
        reason,
    };
    if verified.typ.as_deref() != Some(EXAM_MANIFEST_TYP) {
        return Err(bad_manifest(
            "it is not an exam manifest (is this a course pack? import it as a course)".into(),
        ));
    }
    let manifest: ExamManifest =
        serde_json::from_slice(&verified.payload).map_err(|e| bad_manifest(e.to_string()))?;
    if manifest.format != EXAM_FORMAT {
        return Err(bad_manifest(format!(
            "its format is '{}', and this Studyhall reads '{EXAM_FORMAT}'; update Studyhall",
            manifest.format
        )));
    }
    if manifest.publisher_kid != verified.kid {
        return Err(bad_manifest(
            "it names another publisher key than the one that signed it".into(),
        ));
    }
    if manifest.bank_size > MAX_BANK_BYTES {
        return Err(bad_manifest(format!(
            "its item bank is {} bytes, more than the {MAX_BANK_BYTES} allowed",
            manifest.bank_size
        )));
    }
    let bank = read_entry(&mut archive, path, BANK_ENTRY, manifest.bank_size)?;
    let tampered = |reason: &str| PackError::Tampered {
        file: path.to_owned(),
        entry: BANK_ENTRY.into(),
        reason: reason.into(),
    };
    if bank.len() as u64 != manifest.bank_size {
        return Err(tampered("not the size the signed manifest gives"));
    }
    if sha256(&bank) != manifest.bank_sha256 {
        return Err(tampered(
            "not the bytes the signed manifest names (SHA-256 differs)",
        ));
    }
    Ok(ExamPack {
        manifest,
        manifest_jws: token,
        bank,
    })
}

fn read_entry(
    archive: &mut ZipArchive<File>,
    path: &Path,
    name: &str,
    limit: u64,
) -> Result<Vec<u8>, PackError> {
    let entry = archive.by_name(name).map_err(|_| match name {
        MANIFEST_ENTRY => PackError::MissingSignature {
            file: path.to_owned(),
        },
        _ => PackError::Tampered {
            file: path.to_owned(),
            entry: name.to_owned(),
            reason: "missing".into(),
        },
    })?;
    let mut data = Vec::new();
    entry
        .take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|e| PackError::io("read", path, e))?;
    if data.len() as u64 > limit {
        return Err(PackError::UnsafeEntry {
            file: path.to_owned(),
            entry: name.to_owned(),
            reason: format!("larger than the {limit} bytes allowed"),
        });
    }
    Ok(data)
}

impl ExamPack {
    /// Unlocks with the proctor's start code; a wrong code is refused and can be retried.
    pub fn unlock_with_start_code(self, code: &str) -> Result<UnlockedExam, PackError> {
        let code = StartCode::parse(code)?;
        let key = self.manifest.start_code.unwrap(&code)?;
        self.unlock_with_key(&key)
    }

    /// Unlocks with the content key the server released.
    pub fn unlock_with_key(self, key: &ContentKey) -> Result<UnlockedExam, PackError> {
        let json = key.decrypt(&self.manifest.binding(), &self.bank)?;
        let bank: Vec<Question> =
            serde_json::from_slice(&json).map_err(|e| PackError::BadManifest {
                file: self.manifest.id.clone().into(),
                reason: format!("the unlocked item bank is unreadable: {e}"),
            })?;
        Ok(UnlockedExam {
            manifest: self.manifest,
            bank,
        })
    }
}
