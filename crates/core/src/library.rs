//! The profile's library of installed packs: import (verify, keep, record — all or
//! nothing), the list of courses, and the content store. The store lives beside the
//! database: `content/packs/<manifest sha256>.shpack` keeps each verified pack (its
//! uncompressed media are served straight from it) and `content/blobs/<sha256>` holds
//! files that were compressed inside the pack.

use std::collections::HashSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use serde::Serialize;
use studyhall_signing::TrustStore;
use studyhall_signing::hash::sha256;

use crate::error::{Error, Result};
use crate::pack::{self, PackError, PackLimits, Progress};
use crate::storage::{self, Durability, NewPack, Storage};

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ImportOutcome {
    Installed {
        pack_id: String,
        version: String,
    },
    Updated {
        pack_id: String,
        from: String,
        to: String,
    },
    /// The same version was already installed; nothing changed.
    Unchanged {
        pack_id: String,
        version: String,
    },
}

/// A course in the library, for the library screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CourseSummary {
    pub id: String,
    pub version: String,
    pub title: String,
    pub summary: String,
    pub track: Option<String>,
    pub modules: u32,
    pub lessons: u32,
    pub minutes: u32,
    /// Lessons completed, derived from the progress events.
    pub completed: u32,
    /// 0–100.
    pub percent: u32,
    /// Where to continue: the first lesson, in course order, not yet completed.
    pub resume_lesson_id: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct ContentStore {
    root: PathBuf,
}

impl ContentStore {
    pub(crate) fn new(root: PathBuf) -> Result<Self> {
        for dir in [
            root.join("packs"),
            root.join("blobs"),
            root.join("incoming"),
        ] {
            fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        }
        Ok(ContentStore { root })
    }
    pub(crate) fn pack_path(&self, manifest_sha256: &str) -> PathBuf {
        self.root
            .join("packs")
            .join(format!("{manifest_sha256}.shpack"))
    }
    pub(crate) fn blob_path(&self, sha256: &str) -> PathBuf {
        self.root.join("blobs").join(sha256)
    }
    fn incoming(&self) -> PathBuf {
        self.root.join("incoming")
    }
}

/// Imports the pack at `file`. Either the whole pack is verified, kept and recorded, or
/// nothing changes: the store and database are as before.
pub(crate) fn import(
    storage: &mut Storage,
    store: &ContentStore,
    trust: &TrustStore,
    file: &Path,
    progress: &dyn Progress,
) -> Result<ImportOutcome> {
    let reader = pack::open(file, trust, &PackLimits::default())?;
    let manifest = reader.manifest().clone();
    let installed = storage::installed_pack(storage.reader(), &manifest.id)?;
    if let Some(installed) = &installed {
        if installed.version == manifest.version {
            // Still verified in full, so a damaged copy is reported, not silently ignored.
            reader.read_all(None, None, progress)?;
            return Ok(ImportOutcome::Unchanged {
                pack_id: manifest.id.clone(),
                version: manifest.version.to_string(),
            });
        }
        if installed.version > manifest.version {
            return Err(PackError::OlderVersion {
                file: file.to_owned(),
                id: manifest.id.clone(),
                installed: installed.version.to_string(),
                offered: manifest.version.to_string(),
            }
            .into());
        }
    }

    // Everything new is written under incoming/ first, then moved into place.
    let staging = tempfile::Builder::new()
        .prefix("import-")
        .tempdir_in(store.incoming())
        .map_err(|e| Error::io("create a folder in", store.incoming(), e))?;
    let copy_path = staging.path().join("pack.shpack");
    let blob_dir = staging.path().join("blobs");
    fs::create_dir(&blob_dir).map_err(|e| Error::io("create", &blob_dir, e))?;
    let mut copy = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&copy_path)
        .map_err(|e| Error::io("create", &copy_path, e))?;
    let contents = reader.read_all(Some(&mut copy), Some(&blob_dir), progress)?;
    copy.sync_all()
        .map_err(|e| Error::io("write", &copy_path, e))?;
    drop(copy);

    let manifest_sha256 = sha256(contents.manifest_jws.as_bytes()).to_hex();
    let mut placed: Vec<PathBuf> = Vec::new();
    let outcome = (|| -> Result<()> {
        let pack_target = store.pack_path(&manifest_sha256);
        if !pack_target.exists() {
            fs::rename(&copy_path, &pack_target)
                .map_err(|e| Error::io("store", &pack_target, e))?;
            placed.push(pack_target);
        }
        for blob in fs::read_dir(&blob_dir).map_err(|e| Error::io("read", &blob_dir, e))? {
            let blob = blob.map_err(|e| Error::io("read", &blob_dir, e))?;
            let target = store.blob_path(&blob.file_name().to_string_lossy());
            if !target.exists() {
                fs::rename(blob.path(), &target).map_err(|e| Error::io("store", &target, e))?;
                placed.push(target);
            }
        }
        let new_pack = NewPack {
            course: &contents.course,
            publisher_kid: contents.manifest.publisher_kid.as_str(),
            manifest_jws: &contents.manifest_jws,
            manifest_sha256: &manifest_sha256,
            entries: &contents.entries,
            texts: &contents.texts,
            imported_at: chrono::Utc::now(),
        };
        storage.transact(Durability::Full, |tx| storage::replace_pack(tx, &new_pack))
    })();
    if let Err(e) = outcome {
        for path in placed {
            let _ = fs::remove_file(path);
        }
        return Err(e);
    }

    // The old version's archive and blobs nothing refers to any more.
    if let Some(old) = &installed
        && old.manifest_sha256 != manifest_sha256
    {
        let _ = fs::remove_file(store.pack_path(&old.manifest_sha256));
    }
    remove_unreferenced_blobs(storage, store)?;

    let id = contents.course.id.clone();
    let version = contents.course.version.to_string();
    Ok(match installed {
        None => ImportOutcome::Installed {
            pack_id: id,
            version,
        },
        Some(old) => ImportOutcome::Updated {
            pack_id: id,
            from: old.version.to_string(),
            to: version,
        },
    })
}

fn remove_unreferenced_blobs(storage: &Storage, store: &ContentStore) -> Result<()> {
    let referenced: HashSet<String> = storage::referenced_blobs(storage.reader())?;
    let dir = store.root.join("blobs");
    for blob in fs::read_dir(&dir).map_err(|e| Error::io("read", &dir, e))? {
        let blob = blob.map_err(|e| Error::io("read", &dir, e))?;
        if !referenced.contains(blob.file_name().to_string_lossy().as_ref()) {
            let _ = fs::remove_file(blob.path());
        }
    }
    Ok(())
}

pub(crate) fn courses(storage: &Storage) -> Result<Vec<CourseSummary>> {
    let packs = storage::installed_packs(storage.reader())?;
    packs
        .into_iter()
        .map(|p| {
            let conn = storage.reader();
            let (modules, lessons, minutes) = storage::outline_counts(conn, &p.pack_id)?;
            let completed = storage::completed_lessons(conn, &p.pack_id)?.len() as u32;
            let resume_lesson_id = storage::first_incomplete_lesson(conn, &p.pack_id)?;
            Ok(CourseSummary {
                id: p.pack_id,
                version: p.version.to_string(),
                title: p.title,
                summary: p.summary,
                track: p.track,
                modules,
                lessons,
                minutes,
                completed,
                percent: (completed * 100).checked_div(lessons).unwrap_or(0),
                resume_lesson_id,
            })
        })
        .collect()
}
