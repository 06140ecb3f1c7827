//! The exam half of the [`Studyhall`] façade: installed exam packs, unlocking one for a
//! session, sitting it, and sealing its result into the outbox.
//!
//! An exam pack stays encrypted on disk. A proctor's start code (or, with the sync
//! issue, the server) unlocks it for one session; the session keeps the content key so a
//! crash reopens straight into the exam, and forgets it once the result is sealed. The
//! unlocked item bank lives only in memory. Results are sealed to the server key the
//! pack's key release names, which the profile must trust ([`Studyhall::trust_server`]).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use studyhall_signing::hash::sha256;
use studyhall_signing::{ContentKey, KeyId, SealingPublicKey, verify_resume_code};

use crate::Studyhall;
use crate::content::{Question, Response, Score};
use crate::course::{QuestionView, question_view};
use crate::error::{Error, Result};
use crate::exam::blueprint::Feedback;
use crate::exam::form::FormItem;
use crate::exam::log::LogKind;
use crate::exam::pack::{ExamManifest, ExamPack, UnlockedExam, open_exam};
use crate::exam::session::{
    Finish, FinishedResult, NewSession, Reopened, SavedAnswer, SessionState, SessionView, Sessions,
    Timer,
};
use crate::library::ImportOutcome;
use crate::storage::{self, Durability, ExamPackRow};

/// Folder of a profile holding installed exam packs (still encrypted).
pub const EXAMS_DIR: &str = "exams";
/// Folder of a profile holding the public sealing keys of trusted servers (`*.sealing.jwk`).
pub const TRUSTED_SERVERS_DIR: &str = "trusted-servers";
/// Wrong resume codes accepted per session before the app stops asking (until restarted).
pub const MAX_RESUME_CODE_ATTEMPTS: u32 = 5;
/// The most break time an attempt can be given.
pub const MAX_BREAK_MINUTES: u32 = 120;
/// Below this much free space in the profile's file system, an exam does not start.
pub const MIN_FREE_DISK_BYTES: u64 = 64 << 20;
/// The build that made a result, as the result document names it.
const APP_BUILD: &str = concat!("studyhall ", env!("CARGO_PKG_VERSION"));

/// In-process exam state: the sessions' clocks and the unlocked exams (memory only).
#[derive(Debug, Default)]
pub(crate) struct ExamRuntime {
    sessions: Sessions,
    unlocked: HashMap<String, Arc<UnlockedExam>>,
    wrong_resume_codes: HashMap<String, u32>,
}

/// An attempt that passed [`Studyhall::prepare_attempt`]'s checks, waiting for its key.
#[derive(Debug)]
pub(crate) struct Attempt {
    pub(crate) version: String,
    pub(crate) pack: ExamPack,
    pub(crate) extra_time_percent: u32,
}

/// An installed exam, for the exams screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ExamSummary {
    pub exam_id: String,
    pub version: String,
    pub title: String,
    pub summary: String,
    pub track: Option<String>,
    /// `None`: untimed.
    pub time_limit_minutes: Option<u32>,
    pub item_count: u32,
    pub sections: Vec<SectionSummary>,
    pub cut_score_percent: u8,
    pub attempts_allowed: u32,
    /// Attempts started so far (any version of this exam).
    pub attempts_used: u32,
    pub feedback: Feedback,
    pub reboot_limit_minutes: u32,
    /// A session of this exam that is not yet submitted.
    pub open_session: Option<String>,
    /// The exam's topics with their titles (for per-topic scores).
    pub topics: Vec<TopicTitle>,
    /// The last submitted session, whose result can be shown.
    pub last_submitted: Option<String>,
    /// Whether this installation trusts the server the results are sealed to; without
    /// it an attempt cannot start.
    pub server_trusted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SectionSummary {
    pub id: String,
    pub title: String,
    pub items: u32,
}

/// What the candidate's screen shows of a session: the session and its items in form
/// order, without answer keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ExamPaper {
    pub session: SessionView,
    pub title: String,
    pub feedback: Feedback,
    pub cut_score_percent: u8,
    pub reboot_limit_minutes: u32,
    pub sections: Vec<PaperSection>,
    /// The exam's topics with their titles (for per-topic scores).
    pub topics: Vec<TopicTitle>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TopicTitle {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PaperSection {
    pub id: String,
    pub title: String,
    pub items: Vec<QuestionView>,
}

/// An answer on disk, with its mark when the exam gives immediate feedback.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ExamAnswerSaved {
    pub saved: SavedAnswer,
    pub feedback: Option<ItemFeedback>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ItemFeedback {
    /// `None`: a person grades this item later.
    pub score: Option<Score>,
    pub correct: bool,
    /// Markdown.
    pub explanation: String,
}

/// What the lobby's system check found. Displays come from the shell, which can see
/// them; the rest is measured here.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SystemCheck {
    pub displays: u32,
    /// Signs of a virtual machine (e.g. "CPU reports a hypervisor"); empty on hardware.
    pub vm_indicators: Vec<String>,
    /// Free space where answers are saved, in MiB.
    pub free_disk_mib: u32,
    /// Problems that stop the exam from starting.
    pub blocking: Vec<String>,
    /// Findings the candidate sees and the proctor log records; the exam can start.
    pub warnings: Vec<String>,
}

/// Something the candidate's screen saw and blocked or noticed, for the proctor log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ObservedEvent {
    /// A shortcut the exam blocks (reload, print, find, zoom, devtools, navigation).
    ShortcutBlocked {
        keys: String,
    },
    /// A copy or paste across the exam's boundary.
    ClipboardBlocked {
        action: String,
    },
    /// The page was hidden or shown again.
    VisibilityChanged {
        hidden: bool,
    },
    ContextMenuBlocked,
}

impl ObservedEvent {
    fn log_entry(&self) -> (LogKind, serde_json::Value) {
        match self {
            ObservedEvent::ShortcutBlocked { keys } => (
                LogKind::ShortcutBlocked,
                serde_json::json!({ "keys": truncated(keys) }),
            ),
            ObservedEvent::ClipboardBlocked { action } => (
                LogKind::ClipboardBlocked,
                serde_json::json!({ "action": truncated(action) }),
            ),
            ObservedEvent::VisibilityChanged { hidden } => (
                LogKind::VisibilityChanged,
                serde_json::json!({ "hidden": hidden }),
            ),
            ObservedEvent::ContextMenuBlocked => (
                LogKind::ShortcutBlocked,
                serde_json::json!({ "keys": "context menu" }),
            ),
        }
    }
}

/// What the UI reports is kept short: the log records events, not essays.
fn truncated(text: &str) -> String {
    text.chars().take(64).collect()
}

impl Studyhall {
    /// Trusts `key` as a server's sealing key: exam results are sealed to it.
    pub fn trust_server(&mut self, key: &SealingPublicKey) -> Result<()> {
        let dir = self.profile.join(TRUSTED_SERVERS_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        let path = dir.join(format!("{}.sealing.jwk", key.key_id()));
        if !path.exists() {
            key.write_jwk_file(&path)?;
        }
        self.servers.insert(key.key_id().clone(), key.clone());
        Ok(())
    }

    /// Verifies an exam pack and installs it (still encrypted). The same pack again
    /// changes nothing; another pack with the same id and version is refused.
    pub(crate) fn import_exam(&mut self, file: &Path) -> Result<ImportOutcome> {
        let exam = open_exam(file, &self.trust)?;
        let manifest = &exam.manifest;
        let version = manifest.version.to_string();
        let bank_sha256 = manifest.bank_sha256.to_hex();
        if let Some(row) = storage::exam_pack(self.storage.reader(), &manifest.id, &version)? {
            if row.bank_sha256 == bank_sha256 {
                return Ok(ImportOutcome::Unchanged {
                    pack_id: manifest.id.clone(),
                    version,
                });
            }
            return Err(Error::InvalidInput(format!(
                "another exam pack '{}' version {version} is already installed; the publisher \
                 must give a changed exam a new version",
                manifest.id
            )));
        }
        let dir = self.profile.join(EXAMS_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        let name = format!("{}-{version}.shexam", manifest.id);
        copy_durably(file, &dir, &name)?;
        let row = ExamPackRow {
            exam_id: manifest.id.clone(),
            version: version.clone(),
            manifest: serde_json::to_string(manifest)
                .map_err(|e| Error::InvalidInput(format!("exam manifest: {e}")))?,
            bank_sha256,
            file: format!("{EXAMS_DIR}/{name}"),
        };
        let at = self.clock.now().to_utc().to_rfc3339();
        self.storage.transact(Durability::Full, |tx| {
            storage::insert_exam_pack(tx, &row, &at)
        })?;
        if !self.servers.contains_key(manifest.release.recipient()) {
            tracing::warn!(
                exam = %manifest.id,
                server = %manifest.release.recipient(),
                "installed an exam whose results are sealed to a server this profile does not trust yet"
            );
        }
        Ok(ImportOutcome::Installed {
            pack_id: manifest.id.clone(),
            version,
        })
    }

    /// Installed exams, newest version of each, by title.
    pub fn exams(&self) -> Result<Vec<ExamSummary>> {
        let mut newest: HashMap<String, ExamManifest> = HashMap::new();
        for row in storage::exam_packs(self.storage.reader())? {
            let manifest = read_manifest(&row)?;
            let keep = newest
                .get(&row.exam_id)
                .is_none_or(|m| m.version < manifest.version);
            if keep {
                newest.insert(row.exam_id.clone(), manifest);
            }
        }
        let mut summaries = newest
            .into_values()
            .map(|m| self.summary(m))
            .collect::<Result<Vec<_>>>()?;
        summaries.sort_by(|a, b| a.title.cmp(&b.title).then(a.exam_id.cmp(&b.exam_id)));
        Ok(summaries)
    }

    fn summary(&self, m: ExamManifest) -> Result<ExamSummary> {
        let sessions = storage::sessions_of_exam(self.storage.reader(), &m.id)?;
        let open_session = sessions
            .iter()
            .rev()
            .find(|(_, state)| state != "submitted")
            .map(|(id, _)| id.clone());
        let last_submitted = sessions
            .iter()
            .rev()
            .find(|(_, state)| state == "submitted")
            .map(|(id, _)| id.clone());
        let b = &m.blueprint;
        Ok(ExamSummary {
            server_trusted: self.servers.contains_key(m.release.recipient()),
            exam_id: m.id.clone(),
            version: m.version.to_string(),
            title: m.title.clone(),
            summary: m.summary.clone(),
            track: m.track.clone(),
            time_limit_minutes: b.time_limit_minutes,
            item_count: b.item_count(),
            sections: b
                .sections
                .iter()
                .map(|s| SectionSummary {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    items: s.draws.iter().map(|d| d.count).sum(),
                })
                .collect(),
            cut_score_percent: b.cut_score_percent,
            attempts_allowed: b.attempts_allowed,
            attempts_used: u32::try_from(sessions.len()).unwrap_or(u32::MAX),
            feedback: b.feedback,
            reboot_limit_minutes: b.reboot_limit_minutes,
            open_session,
            last_submitted,
            topics: topic_titles(&m),
        })
    }

    /// Unlocks the newest installed version of `exam_id` with the proctor's start code
    /// and creates a session in the lobby, with its form drawn. `extra_time_percent` is
    /// the candidate's accommodation.
    pub fn begin_exam(
        &mut self,
        exam_id: &str,
        start_code: &str,
        extra_time_percent: u32,
    ) -> Result<ExamPaper> {
        let attempt = self.prepare_attempt(exam_id, extra_time_percent)?;
        let code = studyhall_signing::StartCode::parse(start_code)?;
        let key = attempt.pack.manifest.start_code.unwrap(&code)?;
        self.begin_with_key(attempt, &key, None)
    }

    /// The checks before an attempt begins, however it is unlocked: the accommodation is
    /// possible, `exam_id` is installed, no attempt is under way, attempts are left, and
    /// the server its result is sealed to is trusted. The newest version's pack, opened.
    pub(crate) fn prepare_attempt(
        &self,
        exam_id: &str,
        extra_time_percent: u32,
    ) -> Result<Attempt> {
        if extra_time_percent > 300 {
            return Err(Error::InvalidInput(
                "extra time is at most 300 percent of the time limit".into(),
            ));
        }
        let summary = self
            .exams()?
            .into_iter()
            .find(|e| e.exam_id == exam_id)
            .ok_or_else(|| Error::NotFound {
                what: format!("exam '{exam_id}'"),
            })?;
        if let Some(open) = &summary.open_session {
            return Err(Error::InvalidInput(format!(
                "an attempt at this exam is already under way (session {open}); continue it"
            )));
        }
        if summary.attempts_used >= summary.attempts_allowed {
            return Err(Error::InvalidInput(format!(
                "all {} attempts at this exam have been used",
                summary.attempts_allowed
            )));
        }
        let pack = self.open_installed(exam_id, &summary.version)?;
        self.server_for(&pack.manifest)?;
        Ok(Attempt {
            version: summary.version,
            pack,
            extra_time_percent,
        })
    }

    /// Unlocks `attempt`'s pack with its content `key` (from a start code or released by
    /// the server) and creates a session in the lobby, with its form drawn. `release`
    /// (who asked the server, which server, when) goes into the proctor log.
    pub(crate) fn begin_with_key(
        &mut self,
        attempt: Attempt,
        key: &ContentKey,
        release: Option<serde_json::Value>,
    ) -> Result<ExamPaper> {
        let Attempt {
            version,
            pack,
            extra_time_percent,
        } = attempt;
        let pin = key.proctor_pin(&pack.manifest.binding());
        let unlocked = Arc::new(pack.unlock_with_key(key)?);
        let (manifest, bank) = (&unlocked.manifest, &unlocked.bank);
        let new = NewSession {
            exam_id: &manifest.id,
            exam_version: &version,
            candidate_id: &self.learner_id,
            blueprint: &manifest.blueprint,
            bank,
            extra_time_percent,
        };
        let view = self
            .exams
            .sessions
            .create(&mut self.storage, self.clock.as_ref(), &new)?;
        let session_id = view.session_id.clone();
        let stored_key = key.to_base64url();
        let pin_check = pin_check(&session_id, pin.as_str());
        self.storage.transact(Durability::Full, |tx| {
            storage::insert_session_secrets(tx, &session_id, &stored_key, &pin_check)
        })?;
        if let Some(detail) = release {
            self.exams.sessions.record_key_release(
                &mut self.storage,
                self.clock.as_ref(),
                &session_id,
                detail,
            )?;
        }
        self.exams.unlocked.insert(session_id.clone(), unlocked);
        self.exam_paper(&session_id)
    }

    /// The session as the candidate's screen shows it.
    pub fn exam_paper(&mut self, session_id: &str) -> Result<ExamPaper> {
        let unlocked = self.unlocked(session_id)?;
        let (manifest, bank) = (&unlocked.manifest, &unlocked.bank);
        let session = self.exams.sessions.view(&self.storage, session_id)?;
        let sections = session
            .form
            .sections
            .iter()
            .map(|section| {
                let title = manifest
                    .blueprint
                    .sections
                    .iter()
                    .find(|s| s.id == section.id)
                    .map_or_else(|| section.id.clone(), |s| s.title.clone());
                let items = section
                    .items
                    .iter()
                    .map(|item| {
                        let question = find_question(bank, &item.question_id)?;
                        Ok(item_view(question, item))
                    })
                    .collect::<Result<_>>()?;
                Ok(PaperSection {
                    id: section.id.clone(),
                    title,
                    items,
                })
            })
            .collect::<Result<_>>()?;
        Ok(ExamPaper {
            session,
            title: manifest.title.clone(),
            feedback: manifest.blueprint.feedback,
            cut_score_percent: manifest.blueprint.cut_score_percent,
            reboot_limit_minutes: manifest.blueprint.reboot_limit_minutes,
            sections,
            topics: topic_titles(manifest),
        })
    }

    /// Gives the attempt `minutes` of break time in all (an accommodation the proctor
    /// sets in the lobby); without it the candidate cannot pause.
    pub fn allow_exam_breaks(&mut self, session_id: &str, minutes: u32) -> Result<ExamPaper> {
        if minutes > MAX_BREAK_MINUTES {
            return Err(Error::InvalidInput(format!(
                "break time is at most {MAX_BREAK_MINUTES} minutes"
            )));
        }
        self.exams
            .sessions
            .allow_breaks(&mut self.storage, session_id, minutes)?;
        self.log_exam_event(
            session_id,
            LogKind::SystemCheck,
            serde_json::json!({ "accommodation": { "break_minutes": minutes } }),
        )?;
        self.exam_paper(session_id)
    }

    /// Checks this computer for the lobby. `displays` is what the shell sees.
    pub fn exam_system_check(&self, displays: u32) -> SystemCheck {
        let vm_indicators = vm_indicators();
        let free_disk_bytes = fs4::available_space(&self.profile).unwrap_or(0);
        let mut blocking = Vec::new();
        let mut warnings = Vec::new();
        if free_disk_bytes < MIN_FREE_DISK_BYTES {
            blocking.push(format!(
                "only {} MiB of disk space is free where answers are saved; free at least {} MiB",
                free_disk_bytes >> 20,
                MIN_FREE_DISK_BYTES >> 20
            ));
        }
        if displays == 0 {
            warnings.push("no display could be detected".to_owned());
        } else if displays > 1 {
            warnings.push(format!(
                "{displays} displays are connected; the proctor log records it — disconnect all but one"
            ));
        }
        for indicator in &vm_indicators {
            warnings.push(format!(
                "this computer looks like a virtual machine ({indicator}); the proctor log records it"
            ));
        }
        SystemCheck {
            displays,
            vm_indicators,
            free_disk_mib: u32::try_from(free_disk_bytes >> 20).unwrap_or(u32::MAX),
            blocking,
            warnings,
        }
    }

    /// Lobby → running: the clock starts. The system check is logged; a blocking
    /// problem refuses the start.
    pub fn start_exam(&mut self, session_id: &str, check: &SystemCheck) -> Result<ExamPaper> {
        if let Some(problem) = check.blocking.first() {
            return Err(Error::InvalidInput(format!(
                "the exam cannot start: {problem}"
            )));
        }
        let detail = serde_json::to_value(check)
            .map_err(|e| Error::InvalidInput(format!("system check: {e}")))?;
        self.exams
            .sessions
            .start(&mut self.storage, self.clock.as_ref(), session_id, detail)?;
        for indicator in &check.vm_indicators {
            self.log_exam_event(
                session_id,
                LogKind::VirtualMachineDetected,
                serde_json::json!({ "indicator": indicator }),
            )?;
        }
        self.exam_paper(session_id)
    }

    /// Accounts for the time since the last tick (the UI ticks about once a second).
    pub fn exam_tick(&mut self, session_id: &str) -> Result<Timer> {
        self.exams
            .sessions
            .tick(&mut self.storage, self.clock.as_ref(), session_id)
    }

    /// Saves an answer durably; with immediate feedback, marks it.
    pub fn save_exam_answer(
        &mut self,
        session_id: &str,
        question_id: &str,
        response: &Response,
    ) -> Result<ExamAnswerSaved> {
        let unlocked = self.unlocked(session_id)?;
        let question = find_question(&unlocked.bank, question_id)?;
        // A response of the wrong kind is refused before it is stored.
        let score = question
            .auto_score(response)
            .map_err(|e| Error::InvalidAnswer(e.to_string()))?;
        let saved = self.exams.sessions.record_answer(
            &mut self.storage,
            self.clock.as_ref(),
            session_id,
            question_id,
            response,
        )?;
        let feedback =
            (unlocked.manifest.blueprint.feedback == Feedback::Immediate).then(|| ItemFeedback {
                correct: score.is_some_and(|s| s.is_correct()),
                score,
                explanation: question.explanation.clone(),
            });
        Ok(ExamAnswerSaved { saved, feedback })
    }

    pub fn flag_exam_item(
        &mut self,
        session_id: &str,
        question_id: &str,
        flagged: bool,
    ) -> Result<()> {
        self.exams
            .sessions
            .set_flag(&mut self.storage, session_id, question_id, flagged)
    }

    /// Remembers where the candidate is, so a restart reopens at the same item.
    pub fn set_exam_position(&mut self, session_id: &str, section: u32, item: u32) -> Result<()> {
        self.exams
            .sessions
            .set_position(&mut self.storage, session_id, (section, item))
    }

    /// A break: the clock stops until [`Studyhall::resume_exam`].
    pub fn pause_exam(&mut self, session_id: &str, reason: &str) -> Result<SessionView> {
        self.exams
            .sessions
            .pause(&mut self.storage, self.clock.as_ref(), session_id, reason)
    }

    pub fn resume_exam(&mut self, session_id: &str) -> Result<SessionView> {
        self.exams
            .sessions
            .resume(&mut self.storage, self.clock.as_ref(), session_id)
    }

    /// Records a security event (focus lost, display added, shortcut blocked, ...).
    pub fn log_exam_event(
        &mut self,
        session_id: &str,
        kind: LogKind,
        detail: serde_json::Value,
    ) -> Result<()> {
        self.exams
            .sessions
            .log_event(
                &mut self.storage,
                self.clock.as_ref(),
                session_id,
                kind,
                detail,
            )
            .map(drop)
    }

    /// A session's proctor log, its hash chain verified.
    pub fn exam_log(&self, session_id: &str) -> Result<Vec<crate::exam::log::LogEntry>> {
        Ok(self
            .exams
            .sessions
            .proctor_log(&self.storage, session_id)?
            .0)
    }

    /// Records what the candidate's screen observed.
    pub fn log_observed_event(&mut self, session_id: &str, event: &ObservedEvent) -> Result<()> {
        let (kind, detail) = event.log_entry();
        self.log_exam_event(session_id, kind, detail)
    }

    /// Submits (if time has not already done so) and seals the result into the outbox;
    /// the session forgets its content key. Asking again returns the same result.
    pub fn submit_exam(&mut self, session_id: &str) -> Result<FinishedResult> {
        let view = self.exams.sessions.view(&self.storage, session_id)?;
        match view.state {
            SessionState::Running | SessionState::Paused => {
                self.exams.sessions.submit(
                    &mut self.storage,
                    self.clock.as_ref(),
                    session_id,
                    "candidate",
                )?;
            }
            SessionState::Lobby => {
                return Err(Error::InvalidInput(
                    "an exam that has not started cannot be submitted".into(),
                ));
            }
            SessionState::Submitted => {}
        }
        self.exam_result(session_id)
    }

    /// A submitted session's result, sealed into the outbox on first asking.
    pub fn exam_result(&mut self, session_id: &str) -> Result<FinishedResult> {
        if let Some(result) = self
            .exams
            .sessions
            .stored_result(&self.storage, session_id)?
        {
            return Ok(result);
        }
        let unlocked = self.unlocked(session_id)?;
        let server = self.server_for(&unlocked.manifest)?.clone();
        let finished = self.exams.sessions.finish(
            &mut self.storage,
            self.clock.as_ref(),
            session_id,
            &Finish {
                bank: &unlocked.bank,
                device: &self.device_key,
                server: &server,
                app_build: APP_BUILD,
            },
        )?;
        self.storage.transact(Durability::Full, |tx| {
            storage::forget_session_key(tx, session_id)
        })?;
        self.exams.unlocked.remove(session_id);
        Ok(finished)
    }

    /// With the proctor's PIN, writes the sealed result into `folder` (a USB stick).
    pub fn export_exam_result(
        &mut self,
        session_id: &str,
        folder: &Path,
        proctor_pin: &str,
    ) -> Result<PathBuf> {
        self.check_proctor_pin(session_id, proctor_pin)?;
        let result = self.exam_result(session_id)?;
        let path = result.export_to(folder)?;
        tracing::info!(session = session_id, file = %path.display(), "exported a sealed result");
        Ok(path)
    }

    /// The proctor ends the locked session without submitting (the candidate can come
    /// back to it); logged.
    pub fn proctor_exit(&mut self, session_id: &str, proctor_pin: &str) -> Result<()> {
        self.check_proctor_pin(session_id, proctor_pin)?;
        self.exams
            .sessions
            .proctor_exit(&mut self.storage, self.clock.as_ref(), session_id)
    }

    /// A proctor grants more time, with the PIN.
    pub fn grant_exam_time(
        &mut self,
        session_id: &str,
        minutes: u32,
        proctor_pin: &str,
    ) -> Result<SessionView> {
        if !(1..=600).contains(&minutes) {
            return Err(Error::InvalidInput(
                "extra time is between 1 and 600 minutes".into(),
            ));
        }
        self.check_proctor_pin(session_id, proctor_pin)?;
        self.exams.sessions.grant_extra_time(
            &mut self.storage,
            self.clock.as_ref(),
            session_id,
            minutes,
            "pin",
        )
    }

    fn check_proctor_pin(&self, session_id: &str, typed: &str) -> Result<()> {
        let (_, stored) =
            storage::session_secrets(self.storage.reader(), session_id)?.ok_or_else(|| {
                Error::NotFound {
                    what: format!("exam session '{session_id}'"),
                }
            })?;
        let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
        if pin_check(session_id, &digits) == stored {
            Ok(())
        } else {
            Err(Error::InvalidInput(
                "that proctor PIN is not right for this exam".into(),
            ))
        }
    }

    /// The exam the app was in when it stopped, if any: where to reopen. A running
    /// session away longer than its reboot limit needs a proctor's resume code.
    pub fn interrupted_exam(&mut self) -> Result<Option<Reopened>> {
        let open = self.exams.sessions.open_sessions(&self.storage)?;
        for session_id in open {
            let view = self.exams.sessions.view(&self.storage, &session_id)?;
            if matches!(view.state, SessionState::Running | SessionState::Paused) {
                let reopened = self.exams.sessions.reopen(
                    &mut self.storage,
                    self.clock.as_ref(),
                    &session_id,
                )?;
                return Ok(Some(reopened));
            }
        }
        Ok(None)
    }

    /// How many resume codes this session has accepted: the counter the proctor's
    /// `resume-code` command needs.
    pub fn exam_resume_count(&self, session_id: &str) -> Result<u32> {
        storage::resume_count(self.storage.reader(), session_id)
    }

    /// Goes on past the reboot limit with the proctor's resume code.
    pub fn resume_exam_with_code(&mut self, session_id: &str, code: &str) -> Result<ExamPaper> {
        let wrong = self
            .exams
            .wrong_resume_codes
            .get(session_id)
            .copied()
            .unwrap_or(0);
        if wrong >= MAX_RESUME_CODE_ATTEMPTS {
            return Err(Error::InvalidInput(format!(
                "{MAX_RESUME_CODE_ATTEMPTS} wrong resume codes: ask the proctor to restart Studyhall and check the session id"
            )));
        }
        let key = self.session_key(session_id)?;
        let manifest = &self.unlocked(session_id)?.manifest;
        let counter = self.exam_resume_count(session_id)?;
        let secret = key.resume_secret(&manifest.binding());
        if let Err(error) = verify_resume_code(&secret, session_id, counter, code) {
            *self
                .exams
                .wrong_resume_codes
                .entry(session_id.to_owned())
                .or_default() += 1;
            return Err(error.into());
        }
        self.exams.wrong_resume_codes.remove(session_id);
        self.exams.sessions.resume_after_proctor_code(
            &mut self.storage,
            self.clock.as_ref(),
            session_id,
            "resume code",
        )?;
        self.exam_paper(session_id)
    }

    /// A session's unlocked exam (manifest and bank): from memory, or unlocked again with
    /// the key the session kept (after a restart).
    fn unlocked(&mut self, session_id: &str) -> Result<Arc<UnlockedExam>> {
        if let Some(unlocked) = self.exams.unlocked.get(session_id) {
            return Ok(unlocked.clone());
        }
        let key = self.session_key(session_id)?;
        let view = self.exams.sessions.view(&self.storage, session_id)?;
        let pack = self.open_installed(&view.exam_id, &view.exam_version)?;
        let unlocked = Arc::new(pack.unlock_with_key(&key)?);
        self.exams
            .unlocked
            .insert(session_id.to_owned(), unlocked.clone());
        Ok(unlocked)
    }

    fn session_key(&self, session_id: &str) -> Result<ContentKey> {
        let (key, _) =
            storage::session_secrets(self.storage.reader(), session_id)?.ok_or_else(|| {
                Error::NotFound {
                    what: format!("the key of exam session '{session_id}'"),
                }
            })?;
        let key = key.ok_or_else(|| {
            Error::InvalidInput(
                "this exam's result is sealed; its items can no longer be opened".into(),
            )
        })?;
        Ok(ContentKey::from_base64url(&key)?)
    }

    fn open_installed(&self, exam_id: &str, version: &str) -> Result<ExamPack> {
        let row =
            storage::exam_pack(self.storage.reader(), exam_id, version)?.ok_or_else(|| {
                Error::NotFound {
                    what: format!("exam '{exam_id}' version {version}"),
                }
            })?;
        Ok(open_exam(&self.profile.join(&row.file), &self.trust)?)
    }

    fn server_for(&self, manifest: &ExamManifest) -> Result<&SealingPublicKey> {
        let kid: &KeyId = manifest.release.recipient();
        self.servers.get(kid).ok_or_else(|| {
            Error::InvalidInput(format!(
                "results of '{}' are sealed to server key {kid}, which this installation does \
                 not trust; install that key (studyhall-cli pack import --trust-server) first",
                manifest.title
            ))
        })
    }
}

/// Loads the trusted servers' sealing keys of a profile.
pub(crate) fn trusted_servers(profile: &Path) -> Result<HashMap<KeyId, SealingPublicKey>> {
    let dir = profile.join(TRUSTED_SERVERS_DIR);
    let mut keys = HashMap::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(keys),
        Err(e) => return Err(Error::io("read", &dir, e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| Error::io("read", &dir, e))?.path();
        if path.extension().is_some_and(|x| x == "jwk") {
            let key = SealingPublicKey::read_jwk_file(&path)?;
            keys.insert(key.key_id().clone(), key);
        }
    }
    Ok(keys)
}

fn topic_titles(manifest: &ExamManifest) -> Vec<TopicTitle> {
    manifest
        .topics
        .iter()
        .map(|t| TopicTitle {
            id: t.id.clone(),
            title: t.title.clone(),
        })
        .collect()
}

fn read_manifest(row: &ExamPackRow) -> Result<ExamManifest> {
    serde_json::from_str(&row.manifest).map_err(|e| {
        Error::InvalidInput(format!(
            "the stored manifest of exam '{}' is unreadable ({e}); import the pack again",
            row.exam_id
        ))
    })
}

fn find_question<'a>(bank: &'a [Question], question_id: &str) -> Result<&'a Question> {
    bank.iter()
        .find(|q| q.id == question_id)
        .ok_or_else(|| Error::NotFound {
            what: format!("question '{question_id}' in this exam"),
        })
}

/// A question as the candidate sees it, options in the form's order. A case study's
/// order lists each part's options as `part-id/option`.
fn item_view(question: &Question, item: &FormItem) -> QuestionView {
    let mut view = question_view(question);
    if view.parts.is_empty() {
        apply_order(&mut view, &item.option_order);
    } else {
        for part in &mut view.parts {
            let prefix = format!("{}/", part.id);
            let order: Vec<String> = item
                .option_order
                .iter()
                .filter_map(|o| o.strip_prefix(&prefix).map(str::to_owned))
                .collect();
            apply_order(part, &order);
        }
    }
    view
}

fn apply_order(view: &mut QuestionView, order: &[String]) {
    if order.is_empty() {
        return;
    }
    if view.kind == "matching" {
        view.right = order.to_vec();
    } else {
        let place = |id: &str| order.iter().position(|o| o == id);
        view.options
            .sort_by_key(|o| place(&o.id).unwrap_or(usize::MAX));
    }
}

/// Copies `file` into `dir/name` durably: the folder never holds half a pack.
fn copy_durably(file: &Path, dir: &Path, name: &str) -> Result<()> {
    let mut input = File::open(file).map_err(|e| Error::io("open", file, e))?;
    crate::durable::write_file(dir, name, |out| std::io::copy(&mut input, out).map(drop))?;
    Ok(())
}

/// The stored check value of a proctor PIN: SHA-256 over a label, the session id and
/// the PIN's digits.
fn pin_check(session_id: &str, pin: &str) -> String {
    let mut input = b"studyhall pin check v1\0".to_vec();
    input.extend_from_slice(session_id.as_bytes());
    input.push(0);
    input.extend_from_slice(pin.as_bytes());
    sha256(&input).to_hex()
}

/// Signs of a virtual machine that Linux shows any program.
fn vm_indicators() -> Vec<String> {
    let mut found = Vec::new();
    if std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|info| {
        info.lines()
            .any(|l| l.starts_with("flags") && l.contains(" hypervisor"))
    }) {
        found.push("the CPU reports a hypervisor".to_owned());
    }
    const VENDORS: [&str; 9] = [
        "vmware",
        "virtualbox",
        "qemu",
        "kvm",
        "xen",
        "microsoft corporation virtual",
        "parallels",
        "bochs",
        "innotek",
    ];
    for file in [
        "/sys/class/dmi/id/sys_vendor",
        "/sys/class/dmi/id/product_name",
    ] {
        if let Ok(text) = std::fs::read_to_string(file) {
            let lower = text.trim().to_lowercase();
            if VENDORS.iter().any(|v| lower.contains(v)) {
                found.push(format!("firmware names '{}'", text.trim()));
            }
        }
    }
    if let Ok(kind) = std::fs::read_to_string("/sys/hypervisor/type") {
        found.push(format!("the kernel runs under {}", kind.trim()));
    }
    found
}
