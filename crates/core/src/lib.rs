//! Studyhall's client logic, free of any UI toolkit. [`Studyhall`] is the one façade the
//! desktop shell, the CLI and the tests use: open a profile, import packs, list courses,
//! search.

pub mod clock;
pub mod content;
pub mod course;
mod durable;
pub mod error;
pub mod exam;
mod exams;
pub mod inbox;
mod library;
pub mod notes;
pub mod pack;
pub mod preferences;
pub mod storage;
pub mod study;
pub mod sync;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::collections::HashMap;

use studyhall_signing::{KeyId, PublicKey, SealingPublicKey, SigningKey, TrustStore};

pub use error::{Error, ErrorCode, Result};
pub use exams::{
    EXAMS_DIR, ExamAnswerSaved, ExamPaper, ExamSummary, ItemFeedback, MAX_RESUME_CODE_ATTEMPTS,
    ObservedEvent, PaperSection, SectionSummary, SystemCheck, TRUSTED_SERVERS_DIR, TopicTitle,
};
pub use library::{CourseSummary, ImportOutcome};
pub use storage::{SearchHit, SearchHitKind};
pub use sync::{DeliveryReport, OutboxStatus, ServerEndpoint};

use clock::{Clock, SystemClock};
use content::Response;
use course::{CourseOutline, LessonView, MediaLocation};
use library::ContentStore;
use notes::{Bookmark, Note};
use preferences::Preferences;
use storage::Durability;
use storage::Storage;
use study::{
    AnswerFeedback, CourseProgress, DailyActivity, ProgressEvent, Recorder, Streak, TopicAccuracy,
    Verb,
};

/// Name of the folder in a profile that holds trusted publisher keys (`*.pub.jwk`).
pub const TRUSTED_PUBLISHERS_DIR: &str = "trusted-publishers";
const DATABASE_FILE: &str = "studyhall.db";
const CONTENT_DIR: &str = "content";
/// This installation's own key (PKCS#8 PEM, mode 0600), made on first run; it signs
/// exam results.
const DEVICE_KEY_FILE: &str = "device.key";
/// Profile setting holding the learner's [`Preferences`] as JSON.
const PREFERENCES_KEY: &str = "preferences";

/// One learner's profile: database, content store and trusted publisher keys, all in
/// one folder.
#[derive(Debug)]
pub struct Studyhall {
    profile: PathBuf,
    storage: Storage,
    store: ContentStore,
    trust: TrustStore,
    clock: Arc<dyn Clock>,
    learner_id: String,
    device_key: SigningKey,
    /// Trusted servers' sealing keys, by key id: exam results are sealed to them.
    servers: HashMap<KeyId, SealingPublicKey>,
    exams: exams::ExamRuntime,
}

impl Studyhall {
    /// Opens (creating if needed) the profile folder.
    pub fn open(profile_dir: &Path) -> Result<Studyhall> {
        Self::open_with_clock(profile_dir, Arc::new(SystemClock))
    }

    /// Opens the profile with a given clock (tests move time by hand).
    pub fn open_with_clock(profile_dir: &Path, clock: Arc<dyn Clock>) -> Result<Studyhall> {
        std::fs::create_dir_all(profile_dir).map_err(|e| Error::io("create", profile_dir, e))?;
        let trust_dir = profile_dir.join(TRUSTED_PUBLISHERS_DIR);
        std::fs::create_dir_all(&trust_dir).map_err(|e| Error::io("create", &trust_dir, e))?;
        let trust = TrustStore::from_dir(&trust_dir)?;
        let mut storage = Storage::open(&profile_dir.join(DATABASE_FILE))?;
        let store = ContentStore::new(profile_dir.join(CONTENT_DIR))?;
        let learner_id = study::learner_id(&mut storage)?;
        let device_key = device_key(&profile_dir.join(DEVICE_KEY_FILE))?;
        let servers = exams::trusted_servers(profile_dir)?;
        Ok(Studyhall {
            profile: profile_dir.to_owned(),
            storage,
            store,
            trust,
            clock,
            learner_id,
            device_key,
            servers,
            exams: exams::ExamRuntime::default(),
        })
    }

    pub fn profile_dir(&self) -> &Path {
        &self.profile
    }

    /// The id of this installation's key, which signs its exam results.
    pub fn device_key_id(&self) -> &KeyId {
        self.device_key.key_id()
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

    /// Verifies and installs a course pack or an exam pack; see [`ImportOutcome`]. On
    /// error nothing changes.
    pub fn import_pack(
        &mut self,
        file: &Path,
        progress: &dyn pack::Progress,
    ) -> Result<ImportOutcome> {
        if exam::pack::is_exam_pack(file) {
            return self.import_exam(file);
        }
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

    fn recorder(&mut self) -> Recorder<'_> {
        Recorder {
            storage: &mut self.storage,
            clock: self.clock.as_ref(),
            actor: &self.learner_id,
        }
    }

    /// The learner opened a lesson.
    pub fn open_lesson(&mut self, pack_id: &str, lesson_id: &str) -> Result<ProgressEvent> {
        self.recorder()
            .lesson_event(Verb::Experienced, pack_id, lesson_id, 0)
    }

    /// The learner spent `active_seconds` of active (not idle) time on a lesson. Each
    /// report is capped at [`study::MAX_ACTIVE_SECONDS_PER_REPORT`].
    pub fn record_study_time(
        &mut self,
        pack_id: &str,
        lesson_id: &str,
        active_seconds: u32,
    ) -> Result<ProgressEvent> {
        self.recorder()
            .lesson_event(Verb::Studied, pack_id, lesson_id, active_seconds)
    }

    /// The learner finished a lesson.
    pub fn complete_lesson(&mut self, pack_id: &str, lesson_id: &str) -> Result<ProgressEvent> {
        self.recorder()
            .lesson_event(Verb::Completed, pack_id, lesson_id, 0)
    }

    /// Scores a practice answer, records it, and returns the feedback to show.
    pub fn answer_question(
        &mut self,
        pack_id: &str,
        question_id: &str,
        response: &Response,
    ) -> Result<AnswerFeedback> {
        self.recorder().answer(pack_id, question_id, response)
    }

    /// Completion and time on task for a course, derived from the events.
    pub fn course_progress(&self, pack_id: &str) -> Result<CourseProgress> {
        study::course_progress(&self.storage, pack_id)
    }

    /// Days of study in a row, as of the clock's today.
    pub fn streak(&self) -> Result<Streak> {
        study::streak(&self.storage, self.clock.now().date_naive())
    }

    /// Study on each of the last `days` days (today included), oldest first; days without
    /// study are zeros. At most [`study::MAX_ACTIVITY_DAYS`].
    pub fn daily_activity(&self, days: u32) -> Result<Vec<DailyActivity>> {
        study::daily_activity(&self.storage, self.clock.now().date_naive(), days)
    }

    /// Practice accuracy per topic of a course.
    pub fn topic_accuracy(&self, pack_id: &str) -> Result<Vec<TopicAccuracy>> {
        study::topic_accuracy(&self.storage, pack_id)
    }

    /// A course's modules and lessons, with which lessons are complete.
    pub fn course_outline(&self, pack_id: &str) -> Result<CourseOutline> {
        course::outline(&self.storage, pack_id)
    }

    /// One lesson, ready to show (quiz questions come without their answer keys).
    pub fn lesson(&self, pack_id: &str, lesson_id: &str) -> Result<LessonView> {
        course::lesson(&self.storage, &self.store, pack_id, lesson_id)
    }

    /// Where the bytes of a file of an installed pack are (for serving media with
    /// byte ranges).
    pub fn media(&self, pack_id: &str, path: &str) -> Result<MediaLocation> {
        course::media(&self.storage, &self.store, pack_id, path)
    }

    /// Adds a note to a lesson, optionally quoting the passage it is about.
    pub fn add_note(
        &mut self,
        pack_id: &str,
        lesson_id: &str,
        quote: &str,
        body: &str,
    ) -> Result<Note> {
        study::require_lesson(&self.storage, pack_id, lesson_id)?;
        check_note(body)?;
        let now = self.clock.now().to_utc();
        let note = Note {
            id: uuid::Uuid::now_v7().to_string(),
            pack_id: pack_id.to_owned(),
            lesson_id: lesson_id.to_owned(),
            quote: quote.to_owned(),
            body: body.to_owned(),
            created_at: now,
            updated_at: now,
        };
        self.storage
            .transact(Durability::Normal, |tx| storage::insert_note(tx, &note))?;
        Ok(note)
    }

    pub fn edit_note(&mut self, note_id: &str, body: &str) -> Result<()> {
        check_note(body)?;
        let at = self.clock.now().to_utc().to_rfc3339();
        let changed = self.storage.transact(Durability::Normal, |tx| {
            storage::update_note(tx, note_id, body, &at)
        })?;
        changed.then_some(()).ok_or_else(|| Error::NotFound {
            what: "that note".into(),
        })
    }

    pub fn delete_note(&mut self, note_id: &str) -> Result<()> {
        let deleted = self
            .storage
            .transact(Durability::Normal, |tx| storage::delete_note(tx, note_id))?;
        deleted.then_some(()).ok_or_else(|| Error::NotFound {
            what: "that note".into(),
        })
    }

    /// Notes of a course, or of one lesson, oldest first.
    pub fn notes(&self, pack_id: &str, lesson_id: Option<&str>) -> Result<Vec<Note>> {
        storage::notes(self.storage.reader(), pack_id, lesson_id)
    }

    pub fn set_bookmark(&mut self, pack_id: &str, lesson_id: &str, bookmarked: bool) -> Result<()> {
        study::require_lesson(&self.storage, pack_id, lesson_id)?;
        let at = self.clock.now().to_utc().to_rfc3339();
        self.storage.transact(Durability::Normal, |tx| {
            storage::set_bookmark(tx, pack_id, lesson_id, bookmarked, &at)
        })
    }

    /// Bookmarked lessons, newest first.
    pub fn bookmarks(&self) -> Result<Vec<Bookmark>> {
        storage::bookmarks(self.storage.reader())
    }

    /// The learner's preferences, with defaults for anything never set.
    pub fn preferences(&self) -> Result<Preferences> {
        let stored = storage::setting(self.storage.reader(), PREFERENCES_KEY)?;
        let preferences = match stored {
            Some(json) => serde_json::from_str(&json).unwrap_or_else(|error| {
                tracing::warn!("stored preferences are unreadable, using defaults: {error}");
                Preferences::default()
            }),
            None => Preferences::default(),
        };
        Ok(preferences.with_defaults(&self.profile))
    }

    /// Checks and keeps `preferences`; nothing changes if any value is refused.
    pub fn set_preferences(&mut self, preferences: &Preferences) -> Result<()> {
        preferences.check()?;
        let json = serde_json::to_string(preferences)
            .map_err(|e| Error::InvalidInput(format!("preferences cannot be stored: {e}")))?;
        self.storage.transact(Durability::Normal, |tx| {
            storage::set_setting(tx, PREFERENCES_KEY, &json)
        })
    }
}

/// Loads the device key, or makes it on first run. A key file that exists but cannot be
/// read is an error, never silently replaced: results already signed name that key.
fn device_key(path: &Path) -> Result<SigningKey> {
    if path.exists() {
        return Ok(SigningKey::read_file(path)?);
    }
    let key = SigningKey::generate()?;
    key.write_file(path)?;
    tracing::info!(key = %key.key_id(), "made this installation's device key");
    Ok(key)
}

fn check_note(body: &str) -> Result<()> {
    if body.trim().is_empty() {
        return Err(Error::InvalidInput("a note cannot be empty".into()));
    }
    if body.len() > notes::MAX_NOTE_BYTES {
        return Err(Error::InvalidInput(format!(
            "a note can be at most {} KiB; split it into several",
            notes::MAX_NOTE_BYTES / 1024
        )));
    }
    Ok(())
}
