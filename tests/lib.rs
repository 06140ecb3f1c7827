//! Shared helpers for the cross-crate tests in `tests/tests/`: fixtures, a throw-away
//! publisher, a pack rewriter that produces the damaged and hostile packs the import
//! must refuse, and [`e2e`], the harness that drives the real app in a real window.
//!
//! Test support only: a helper that cannot read its own fixture should fail the test on
//! the spot, so `unwrap` is the right tool here.
#![allow(clippy::unwrap_used)]

pub mod e2e;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use studyhall_core::pack::{self, MANIFEST_ENTRY, MANIFEST_TYP, Manifest, Quiet};
use studyhall_signing::{SigningKey, jws};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// Path of a committed fixture under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The sample programme's course folder.
pub fn sample_course() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/dwcp-fundamentals")
}

/// Copies a folder tree (regular files only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A publisher with a fresh key and its public JWK written to a temp folder.
#[derive(Debug)]
pub struct Publisher {
    pub key: SigningKey,
    pub dir: tempfile::TempDir,
}

impl Publisher {
    pub fn new() -> Self {
        let key = SigningKey::generate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        key.public_key()
            .write_jwk_file(&dir.path().join("publisher.pub.jwk"))
            .unwrap();
        Publisher { key, dir }
    }

    pub fn jwk_path(&self) -> PathBuf {
        self.dir.path().join("publisher.pub.jwk")
    }

    pub fn trust(&self) -> studyhall_signing::TrustStore {
        let mut trust = studyhall_signing::TrustStore::new();
        trust.insert(self.key.public_key());
        trust
    }

    /// Builds `folder` into `out`.
    pub fn build(&self, folder: &Path, out: &Path) -> Manifest {
        pack::build(folder, &self.key, out, &Quiet)
            .unwrap()
            .manifest
    }
}

impl Default for Publisher {
    fn default() -> Self {
        Self::new()
    }
}

/// One zip entry, decompressed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub data: Vec<u8>,
    pub method: CompressionMethod,
    pub unix_mode: Option<u32>,
}

/// Reads every entry of a pack.
pub fn read_entries(pack: &Path) -> Vec<Entry> {
    let mut archive = ZipArchive::new(std::fs::File::open(pack).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            Entry {
                name: file.name().unwrap().to_string(),
                data,
                method: file.compression(),
                unix_mode: file.unix_mode(),
            }
        })
        .collect()
}

/// Writes entries as a zip, allowing what a well-behaved writer refuses (duplicates,
/// unsafe names are passed through as given).
pub fn write_entries(out: &Path, entries: &[Entry]) {
    let mut zip = ZipWriter::new(std::fs::File::create(out).unwrap());
    for e in entries {
        let mut options = SimpleFileOptions::default().compression_method(e.method);
        if let Some(mode) = e.unix_mode {
            options = options.unix_permissions(mode);
        }
        if e.unix_mode.is_some_and(|m| m & 0o170000 == 0o120000) {
            zip.add_symlink(&e.name, String::from_utf8_lossy(&e.data), options)
                .unwrap();
            continue;
        }
        zip.start_file(&e.name, options).unwrap();
        zip.write_all(&e.data).unwrap();
    }
    zip.finish().unwrap();
}

/// The manifest inside a pack (unverified).
pub fn manifest_of(entries: &[Entry]) -> Manifest {
    let token = entries
        .iter()
        .find(|e| e.name == MANIFEST_ENTRY)
        .map(|e| String::from_utf8(e.data.clone()).unwrap())
        .unwrap();
    serde_json::from_slice(&jws::peek_payload(&token).unwrap()).unwrap()
}

/// Replaces the manifest entry with `manifest` signed by `key`.
pub fn resign(entries: &mut [Entry], manifest: &Manifest, key: &SigningKey) {
    let token = jws::sign_compact(
        key,
        Some(MANIFEST_TYP),
        &serde_json::to_vec(manifest).unwrap(),
    );
    for e in entries.iter_mut() {
        if e.name == MANIFEST_ENTRY {
            e.data = token.clone().into_bytes();
        }
    }
}

/// Every file path and size under `dir`, sorted: to prove an operation left no trace.
pub fn tree_listing(dir: &Path) -> Vec<(String, u64)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, u64)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                // SQLite's WAL and shared-memory files change size without content change.
                if rel.ends_with("-wal") || rel.ends_with("-shm") {
                    continue;
                }
                out.push((rel, entry.metadata().unwrap().len()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
