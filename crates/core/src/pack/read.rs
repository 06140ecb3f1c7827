//! Reading and verifying a pack. [`open`] checks the archive's directory (names, links,
//! sizes, ratios, duplicates) and the publisher's signature on the manifest without
//! reading file data. [`PackReader::read_all`] then reads every byte once, checks each
//! file's size and SHA-256 against the signed manifest, and — for an import — writes the
//! archive's bytes to a copy as they are checked, so what is kept is exactly what was
//! verified. Nothing is trusted before it is checked.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use studyhall_signing::hash::{Digest, Sha256};
use studyhall_signing::{SigningError, TrustStore, jws};
use zip::{CompressionMethod, ZipArchive};

use super::{
    CONTENT_PREFIX, FORMAT, MANIFEST_ENTRY, MANIFEST_TYP, Manifest, PackError, PackLimits, Progress,
};
use crate::content::{Course, MemoryFiles, is_course_text, load_course};

/// A file of a verified pack and where its bytes are.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// Content path, e.g. `media/intro.webm`.
    pub path: String,
    pub size: u64,
    pub sha256: Digest,
    /// Offset of the file's bytes in the archive when stored uncompressed; `None` when
    /// the file is compressed (and, on import, extracted as a blob).
    pub archive_offset: Option<u64>,
    zip_index: usize,
}

/// A pack whose directory and signature have been checked.
#[derive(Debug)]
pub struct PackReader {
    path: PathBuf,
    file: File,
    manifest: Manifest,
    manifest_jws: String,
    entries: Vec<StoredEntry>,
}

/// Everything in a fully verified pack.
#[derive(Debug)]
pub struct PackContents {
    pub manifest: Manifest,
    pub manifest_jws: String,
    pub course: Course,
    pub entries: Vec<StoredEntry>,
    /// The text files of the course (lessons, questions, transcripts).
    pub texts: MemoryFiles,
}

/// Opens `path` and checks everything that can be checked without reading file data.
pub fn open(path: &Path, trust: &TrustStore, limits: &PackLimits) -> Result<PackReader, PackError> {
    let file = File::open(path).map_err(|e| PackError::io("open", path, e))?;
    let not_a_pack = |reason: String| PackError::NotAPack {
        file: path.to_owned(),
        reason,
    };
    let unsafe_entry = |entry: &str, reason: &str| PackError::UnsafeEntry {
        file: path.to_owned(),
        entry: entry.to_owned(),
        reason: reason.to_owned(),
    };
    let mut archive = ZipArchive::new(
        file.try_clone()
            .map_err(|e| PackError::io("open", path, e))?,
    )
    .map_err(|e| not_a_pack(format!("not a readable zip archive: {e}")))?;

    if archive.has_duplicate_names() {
        return Err(unsafe_entry(
            "(archive)",
            "the archive lists the same file name twice; a pack must name each file once",
        ));
    }
    if archive.len() > limits.max_entries {
        return Err(unsafe_entry(
            "(archive)",
            &format!(
                "it has {} entries, more than the limit of {}",
                archive.len(),
                limits.max_entries
            ),
        ));
    }

    let mut manifest_index = None;
    let mut zip_entries: HashMap<String, ZipEntryInfo> = HashMap::new();
    let mut total = 0u64;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|e| not_a_pack(format!("entry {index} is unreadable: {e}")))?;
        let name = std::str::from_utf8(entry.name_raw())
            .map_err(|_| {
                unsafe_entry(
                    &String::from_utf8_lossy(entry.name_raw()),
                    "its name is not UTF-8",
                )
            })?
            .to_owned();
        if let Some(reason) = unsafe_name_reason(&name) {
            return Err(unsafe_entry(&name, reason));
        }
        if entry.is_symlink() {
            return Err(unsafe_entry(
                &name,
                "it is a symbolic link; packs hold regular files only",
            ));
        }
        if entry.encrypted() {
            return Err(unsafe_entry(
                &name,
                "it is encrypted with zip encryption, which packs do not use",
            ));
        }
        if entry.is_dir() {
            continue;
        }
        let method = entry.compression();
        if method != CompressionMethod::Stored && method != CompressionMethod::Deflated {
            return Err(unsafe_entry(
                &name,
                &format!("it uses compression {method}; packs use stored or deflate"),
            ));
        }
        let size = entry.size();
        if size > limits.max_entry_bytes {
            return Err(unsafe_entry(
                &name,
                &format!(
                    "it is {size} bytes, more than the limit of {} bytes",
                    limits.max_entry_bytes
                ),
            ));
        }
        let compressed = entry.compressed_size();
        if size > limits.ratio_floor_bytes && size / compressed.max(1) > limits.max_ratio {
            return Err(unsafe_entry(
                &name,
                &format!(
                    "it expands {}:1 ({compressed} bytes to {size}), like a zip bomb; the limit is {}:1",
                    size / compressed.max(1),
                    limits.max_ratio
                ),
            ));
        }
        total = total.saturating_add(size);
        if total > limits.max_total_bytes {
            return Err(unsafe_entry(
                &name,
                &format!(
                    "the pack expands to more than {} bytes",
                    limits.max_total_bytes
                ),
            ));
        }
        let data_offset = entry.data_start();
        if name == MANIFEST_ENTRY {
            manifest_index = Some(index);
            continue;
        }
        let Some(content_path) = name.strip_prefix(CONTENT_PREFIX) else {
            return Err(unsafe_entry(
                &name,
                "packs hold only manifest.jws and files under content/",
            ));
        };
        zip_entries.insert(
            content_path.to_owned(),
            ZipEntryInfo {
                index,
                size,
                compressed,
                stored: method == CompressionMethod::Stored,
                data_offset,
            },
        );
    }

    let manifest_index = manifest_index.ok_or_else(|| PackError::MissingSignature {
        file: path.to_owned(),
    })?;
    let manifest_jws = {
        let mut entry = archive
            .by_index(manifest_index)
            .map_err(|e| not_a_pack(format!("manifest.jws is unreadable: {e}")))?;
        if entry.size() > limits.max_manifest_bytes {
            return Err(unsafe_entry(
                MANIFEST_ENTRY,
                "it is larger than any real manifest",
            ));
        }
        let mut text = String::new();
        entry
            .by_ref()
            .take(limits.max_manifest_bytes)
            .read_to_string(&mut text)
            .map_err(|e| PackError::BadManifest {
                file: path.to_owned(),
                reason: format!("cannot read it as text: {e}"),
            })?;
        text
    };
    let manifest = verify_manifest(path, &manifest_jws, trust)?;

    let tampered = |entry: &str, reason: String| PackError::Tampered {
        file: path.to_owned(),
        entry: entry.to_owned(),
        reason,
    };
    let mut listed = HashSet::new();
    let mut entries = Vec::with_capacity(manifest.files.len());
    for file in &manifest.files {
        if let Some(reason) = unsafe_name_reason(&file.path) {
            return Err(PackError::BadManifest {
                file: path.to_owned(),
                reason: format!("it lists '{}', which {reason}", file.path),
            });
        }
        if !listed.insert(file.path.as_str()) {
            return Err(PackError::BadManifest {
                file: path.to_owned(),
                reason: format!("it lists '{}' twice", file.path),
            });
        }
        let info = zip_entries.get(&file.path).ok_or_else(|| {
            tampered(
                &file.path,
                "listed in the signed manifest but missing from the pack".into(),
            )
        })?;
        if info.size != file.size || (info.stored && info.compressed != file.size) {
            return Err(tampered(
                &file.path,
                format!(
                    "{} bytes, but the signed manifest says {}",
                    info.size, file.size
                ),
            ));
        }
        let archive_offset = if info.stored {
            Some(info.data_offset.ok_or_else(|| {
                not_a_pack(format!("the data of '{}' cannot be located", file.path))
            })?)
        } else {
            None
        };
        entries.push(StoredEntry {
            path: file.path.clone(),
            size: file.size,
            sha256: file.sha256,
            archive_offset,
            zip_index: info.index,
        });
    }
    if let Some(extra) = zip_entries.keys().find(|p| !listed.contains(p.as_str())) {
        return Err(tampered(
            extra,
            "in the pack but not listed in the signed manifest".into(),
        ));
    }

    Ok(PackReader {
        path: path.to_owned(),
        file,
        manifest,
        manifest_jws,
        entries,
    })
}

#[derive(Debug)]
struct ZipEntryInfo {
    index: usize,
    size: u64,
    compressed: u64,
    stored: bool,
    data_offset: Option<u64>,
}

/// Why a path may not appear in a pack, if it may not.
fn unsafe_name_reason(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("has an empty name");
    }
    if name.starts_with('/') || name.as_bytes().get(1) == Some(&b':') {
        return Some("is an absolute path; pack paths are relative");
    }
    if name.contains('\\') || name.contains('\0') {
        return Some("contains a backslash or NUL; pack paths use '/' only");
    }
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    if trimmed
        .split('/')
        .any(|part| part == ".." || part == "." || part.is_empty())
    {
        return Some("contains '..', '.' or an empty segment (path traversal)");
    }
    None
}

fn verify_manifest(path: &Path, token: &str, trust: &TrustStore) -> Result<Manifest, PackError> {
    let verified = jws::verify_compact(token.trim(), trust).map_err(|e| match e {
        SigningError::UnknownKey(kid) => PackError::UntrustedPublisher {
            file: path.to_owned(),
            kid,
        },
        SigningError::BadSignature => PackError::BadSignature {
            file: path.to_owned(),
            reason: "the bytes of the manifest are not what the publisher signed".into(),
        },
        other => PackError::BadManifest {
            file: path.to_owned(),
            reason: other.to_string(),
        },
    })?;
    let bad = |reason: String| PackError::BadManifest {
        file: path.to_owned(),
        reason,
    };
    if verified.typ.as_deref() != Some(MANIFEST_TYP) {
        return Err(bad(format!(
            "its type is {:?}, not {MANIFEST_TYP}",
            verified.typ
        )));
    }
    let manifest: Manifest = serde_json::from_slice(&verified.payload)
        .map_err(|e| bad(format!("its JSON does not match the pack format: {e}")))?;
    if manifest.format != FORMAT {
        return Err(bad(format!(
            "format '{}' is not supported by this version of Studyhall (expected {FORMAT}); update Studyhall",
            manifest.format
        )));
    }
    if manifest.publisher_kid != verified.kid {
        return Err(bad(
            "the publisher key named inside differs from the signing key".into(),
        ));
    }
    Ok(manifest)
}

const CHUNK: usize = 4 << 20;

impl PackReader {
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads every file of the pack and checks it against the signed manifest, then
    /// checks the course itself. With `copy`, the archive is copied there byte for byte
    /// as it is read (the copy is then what was verified, and is read again for
    /// compressed files); with `blob_dir`, compressed files are extracted there, each
    /// named by its SHA-256 in hex.
    pub fn read_all(
        mut self,
        copy: Option<&mut File>,
        blob_dir: Option<&Path>,
        progress: &dyn Progress,
    ) -> Result<PackContents, PackError> {
        let archive_len = self
            .file
            .metadata()
            .map_err(|e| PackError::io("read", &self.path, e))?
            .len();
        progress.phase("Verifying", archive_len);

        let mut texts = MemoryFiles::default();
        // Compressed entries are read again after the pass: from the verified copy when
        // importing (so what is extracted is what was kept), else from the original.
        let compressed_source = match &copy {
            Some(out) => out.try_clone(),
            None => self.file.try_clone(),
        }
        .map_err(|e| PackError::io("read", &self.path, e))?;
        self.stream_archive(copy, archive_len, &mut texts, progress)?;

        let compressed: Vec<StoredEntry> = self
            .entries
            .iter()
            .filter(|e| e.archive_offset.is_none())
            .cloned()
            .collect();
        if !compressed.is_empty() {
            let mut archive =
                ZipArchive::new(compressed_source).map_err(|e| PackError::NotAPack {
                    file: self.path.clone(),
                    reason: e.to_string(),
                })?;
            for entry in &compressed {
                self.read_compressed(&mut archive, entry, blob_dir, &mut texts)?;
            }
        }
        for entry in &self.entries {
            if !is_course_text(&entry.path) {
                texts.insert_other(entry.path.clone());
            }
        }

        let course = load_course(&texts).map_err(|error| PackError::Content {
            file: self.path.clone(),
            error,
        })?;
        let m = &self.manifest;
        let same = course.id == m.id
            && course.version == m.version
            && course.title == m.title
            && course.topics == m.topics
            && course.modules == m.modules;
        if !same {
            return Err(PackError::BadManifest {
                file: self.path.clone(),
                reason: "the course outline in the manifest differs from the course files".into(),
            });
        }

        Ok(PackContents {
            manifest: self.manifest,
            manifest_jws: self.manifest_jws,
            course,
            entries: self.entries,
            texts,
        })
    }

    /// The one sequential pass over the archive: hashes stored entries, keeps stored
    /// course text, and (optionally) writes every byte to `copy` on a second thread.
    fn stream_archive(
        &mut self,
        copy: Option<&mut File>,
        archive_len: u64,
        texts: &mut MemoryFiles,
        progress: &dyn Progress,
    ) -> Result<(), PackError> {
        struct Span {
            start: u64,
            end: u64,
            entry: usize,
            hasher: Sha256,
            text: Option<Vec<u8>>,
        }
        let mut spans: Vec<Span> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let start = e.archive_offset?;
                Some(Span {
                    start,
                    end: start + e.size,
                    entry: i,
                    hasher: Sha256::new(),
                    text: is_course_text(&e.path).then(Vec::new),
                })
            })
            .collect();
        spans.sort_by_key(|s| s.start);
        if spans.last().is_some_and(|s| s.end > archive_len) {
            return Err(PackError::NotAPack {
                file: self.path.clone(),
                reason: "a file's data runs past the end of the archive".into(),
            });
        }

        self.file
            .seek(SeekFrom::Start(0))
            .map_err(|e| PackError::io("read", &self.path, e))?;
        let path = self.path.clone();
        let file = &mut self.file;

        let outcome = std::thread::scope(|scope| -> Result<(), PackError> {
            let (full_tx, full_rx) = mpsc::sync_channel::<Vec<u8>>(4);
            let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
            for _ in 0..6 {
                let _ = empty_tx.send(vec![0u8; CHUNK]);
            }
            let writer = copy.map(|out| {
                scope.spawn(move || -> std::io::Result<()> {
                    for buf in full_rx {
                        out.write_all(&buf)?;
                        // The reader may have finished; then no one wants the buffer back.
                        let _ = empty_tx.send(buf);
                    }
                    out.flush()
                })
            });

            let mut pos = 0u64;
            let mut next_span = 0usize;
            let mut read_result = Ok(());
            while pos < archive_len {
                let mut buf = if writer.is_some() {
                    match empty_rx.recv() {
                        Ok(buf) => buf,
                        Err(_) => break, // the writer failed; its error is reported below
                    }
                } else {
                    Vec::new()
                };
                if buf.len() != CHUNK {
                    buf.resize(CHUNK, 0);
                }
                let want = CHUNK.min((archive_len - pos) as usize);
                if let Err(e) = file.read_exact(&mut buf[..want]) {
                    read_result = Err(PackError::io("read", &path, e));
                    break;
                }
                buf.truncate(want);
                let chunk_end = pos + want as u64;
                let mut i = next_span;
                while i < spans.len() && spans[i].start < chunk_end {
                    let span = &mut spans[i];
                    let from = span.start.max(pos);
                    let to = span.end.min(chunk_end);
                    if from < to {
                        let bytes = &buf[(from - pos) as usize..(to - pos) as usize];
                        span.hasher.update(bytes);
                        if let Some(text) = &mut span.text {
                            text.extend_from_slice(bytes);
                        }
                    }
                    if span.end <= chunk_end && i == next_span {
                        next_span += 1;
                    }
                    i += 1;
                }
                progress.advance(want as u64);
                pos = chunk_end;
                if writer.is_some() && full_tx.send(buf).is_err() {
                    break;
                }
            }
            drop(full_tx);
            if let Some(writer) = writer {
                match writer.join() {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => return Err(PackError::io("write the copy of", &path, e)),
                    Err(_) => {
                        return Err(PackError::io(
                            "write the copy of",
                            &path,
                            std::io::Error::other("writer thread panicked"),
                        ));
                    }
                }
            }
            read_result
        });
        outcome?;

        for span in spans {
            let entry = &self.entries[span.entry];
            if span.hasher.finish() != entry.sha256 {
                return Err(PackError::Tampered {
                    file: self.path.clone(),
                    entry: entry.path.clone(),
                    reason: "different from what the publisher signed (SHA-256 mismatch)".into(),
                });
            }
            if let Some(bytes) = span.text {
                let text = String::from_utf8(bytes).map_err(|_| PackError::Content {
                    file: self.path.clone(),
                    error: crate::content::ContentError::new(
                        &entry.path,
                        None,
                        "is not UTF-8 text",
                    ),
                })?;
                texts.insert_text(entry.path.clone(), text);
            }
        }
        Ok(())
    }

    fn read_compressed(
        &self,
        archive: &mut ZipArchive<File>,
        entry: &StoredEntry,
        blob_dir: Option<&Path>,
        texts: &mut MemoryFiles,
    ) -> Result<(), PackError> {
        let tampered = |reason: String| PackError::Tampered {
            file: self.path.clone(),
            entry: entry.path.clone(),
            reason,
        };
        let mut reader = archive
            .by_index(entry.zip_index)
            .map_err(|e| tampered(format!("unreadable ({e})")))?;
        let keep_text = is_course_text(&entry.path);
        let mut blob = match blob_dir {
            Some(dir) => Some(
                tempfile::NamedTempFile::new_in(dir)
                    .map_err(|e| PackError::io("write to", dir, e))?,
            ),
            None => None,
        };
        let mut text = Vec::new();
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 256 << 10];
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| tampered(format!("corrupt ({e})")))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > entry.size {
                return Err(tampered(format!(
                    "larger than the {} bytes the signed manifest says",
                    entry.size
                )));
            }
            hasher.update(&buf[..n]);
            if keep_text {
                text.extend_from_slice(&buf[..n]);
            }
            if let Some(blob) = &mut blob {
                blob.write_all(&buf[..n])
                    .map_err(|e| PackError::io("write", blob.path().to_owned(), e))?;
            }
        }
        if size != entry.size {
            return Err(tampered(format!(
                "{size} bytes, but the signed manifest says {}",
                entry.size
            )));
        }
        if hasher.finish() != entry.sha256 {
            return Err(tampered(
                "different from what the publisher signed (SHA-256 mismatch)".into(),
            ));
        }
        if keep_text {
            let text = String::from_utf8(text).map_err(|_| PackError::Content {
                file: self.path.clone(),
                error: crate::content::ContentError::new(&entry.path, None, "is not UTF-8 text"),
            })?;
            texts.insert_text(entry.path.clone(), text);
        }
        if let (Some(blob), Some(dir)) = (blob, blob_dir) {
            blob.as_file()
                .sync_data()
                .map_err(|e| PackError::io("write", dir, e))?;
            let target = dir.join(entry.sha256.to_hex());
            blob.persist(&target)
                .map_err(|e| PackError::io("write", &target, e.error))?;
        }
        Ok(())
    }
}

/// Reads a pack's manifest WITHOUT verifying its signature or files, for showing what a
/// pack claims to hold. Never use the result to decide whether to trust the pack.
pub fn inspect(path: &Path) -> Result<Manifest, PackError> {
    let file = File::open(path).map_err(|e| PackError::io("open", path, e))?;
    let not_a_pack = |reason: String| PackError::NotAPack {
        file: path.to_owned(),
        reason,
    };
    let mut archive = ZipArchive::new(file)
        .map_err(|e| not_a_pack(format!("not a readable zip archive: {e}")))?;
    let mut token = String::new();
    archive
        .by_name(MANIFEST_ENTRY)
        .map_err(|_| PackError::MissingSignature {
            file: path.to_owned(),
        })?
        .take(PackLimits::default().max_manifest_bytes)
        .read_to_string(&mut token)
        .map_err(|e| not_a_pack(format!("manifest.jws is unreadable: {e}")))?;
    let payload = jws::peek_payload(token.trim())?;
    serde_json::from_slice(&payload).map_err(|e| PackError::BadManifest {
        file: path.to_owned(),
        reason: e.to_string(),
    })
}
