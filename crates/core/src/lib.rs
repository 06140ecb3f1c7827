//! Studyhall's client logic, free of any UI toolkit. [`Studyhall`] is the one façade the
//! desktop shell, the CLI and the tests use: open a profile, import packs, list courses,
//! search.

pub mod content;
pub mod error;
mod library;
pub mod pack;
pub mod storage;

use std::path::{Path, PathBuf};

use studyhall_signing::{PublicKey, TrustStore};

pub use error::{Error, ErrorCode, Result};
pub use library::{CourseSummary, ImportOutcome};
pub use storage::{SearchHit, SearchHitKind};

use library::ContentStore;
use storage::Storage;

/// Name of the folder in a profile that holds trusted publisher keys (`*.pub.jwk`).
pub const TRUSTED_PUBLISHERS_DIR: &str = "trusted-publishers";
const DATABASE_FILE: &str = "studyhall.db";
const CONTENT_DIR: &str = "content";

/// One learner's profile: database, content store and trusted publisher keys, all in
/// one folder.
#[derive(Debug)]
pub struct Studyhall {
    profile: PathBuf,
    storage: Storage,
    store: ContentStore,
    trust: TrustStore,
}

impl Studyhall {
    /// Opens (creating if needed) the profile folder.
    pub fn open(profile_dir: &Path) -> Result<Studyhall> {
        std::fs::create_dir_all(profile_dir).map_err(|e| Error::io("create", profile_dir, e))?;
        let trust_dir = profile_dir.join(TRUSTED_PUBLISHERS_DIR);
        std::fs::create_dir_all(&trust_dir).map_err(|e| Error::io("create", &trust_dir, e))?;
        let trust = TrustStore::from_dir(&trust_dir)?;
        let storage = Storage::open(&profile_dir.join(DATABASE_FILE))?;
        let store = ContentStore::new(profile_dir.join(CONTENT_DIR))?;
        Ok(Studyhall {
            profile: profile_dir.to_owned(),
            storage,
            store,
            trust,
        })
    }

    pub fn profile_dir(&self) -> &Path {
        &self.profile
    }

    /// Trusts `key` as a publisher for this profile from now on.
    pub fn trust_publisher(&mut self, key: &PublicKey) -> Result<()> {
        let path = self
            .profile
            .join(TRUSTED_PUBLISHERS_DIR)
            .join(format!("{}.pub.jwk", key.key_id()));
        if !path.exists() {
            key.write_jwk_file(&path)?;
        }
        self.trust.insert(key.clone());
        Ok(())
    }

    pub fn trusted_publishers(&self) -> &TrustStore {
        &self.trust
    }

    /// Verifies and installs a pack; see [`ImportOutcome`]. On error nothing changes.
    pub fn import_pack(
        &mut self,
        file: &Path,
        progress: &dyn pack::Progress,
    ) -> Result<ImportOutcome> {
        library::import(&mut self.storage, &self.store, &self.trust, file, progress)
    }

    /// The installed courses, by title.
    pub fn courses(&self) -> Result<Vec<CourseSummary>> {
        library::courses(&self.storage)
    }

    /// Ranked full-text search over lessons (text, titles, video transcripts) and
    /// questions.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        storage::search(self.storage.reader(), query, limit)
    }
}
