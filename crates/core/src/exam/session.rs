//! The exam session: lobby → running ⇄ paused → submitted, with the exam clock, answers
//! that are on disk before they are reported saved, and the proctor log.
//!
//! The clock counts *monotonic* time while the session runs, never wall-clock time, so
//! moving the computer's clock neither gives nor takes time; each time it accounts for
//! time it also compares the two clocks and logs a jump of more than
//! [`CLOCK_JUMP_TOLERANCE`]. Time used is written durably with every answer and every
//! [`Sessions::tick`] (the UI ticks about once a second), so after a crash the session
//! reopens with the time it had, within a second. What happens to the time while the app
//! was not running follows the blueprint's [`CrashPolicy`]; past the blueprint's reboot
//! limit the candidate needs a proctor's resume code to go on.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, DurationRound, SecondsFormat, TimeDelta, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::blueprint::{Blueprint, CrashPolicy};
use super::form::{Form, FormSeed, assemble};
use super::log::{self, ChainHead, LogEntry, LogKind};
use super::result::{self, RESULT_VERSION, ResultDocument, ResultLog, SealedResult, Timing};
use crate::clock::Clock;
use crate::content::{Question, Response};
use crate::error::{Error, Result};
use crate::storage::{self, Durability, SessionRow, Storage};
use studyhall_signing::hash::Digest;
use studyhall_signing::{SealingPublicKey, SigningKey};

/// A wall-clock move larger than this, against the monotonic clock, is logged.
pub const CLOCK_JUMP_TOLERANCE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// Created: rules and system check shown, the clock not started.
    Lobby,
    Running,
    /// A scheduled break or a proctor's pause: the clock stands still.
    Paused,
    Submitted,
}

impl SessionState {
    fn as_str(self) -> &'static str {
        match self {
            SessionState::Lobby => "lobby",
            SessionState::Running => "running",
            SessionState::Paused => "paused",
            SessionState::Submitted => "submitted",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        Ok(match text {
            "lobby" => SessionState::Lobby,
            "running" => SessionState::Running,
            "paused" => SessionState::Paused,
            "submitted" => SessionState::Submitted,
            other => {
                return Err(Error::InvalidInput(format!(
                    "the stored exam session has an unknown state '{other}'"
                )));
            }
        })
    }
}

/// What starts a session.
#[derive(Debug)]
pub struct NewSession<'a> {
    pub exam_id: &'a str,
    pub exam_version: &'a str,
    pub candidate_id: &'a str,
    pub blueprint: &'a Blueprint,
    pub bank: &'a [Question],
    /// An accommodation: this much more time, in percent of the limit.
    pub extra_time_percent: u32,
}

/// The exam clock as the candidate sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Timer {
    /// `None`: untimed.
    pub limit_ms: Option<u32>,
    pub used_ms: u32,
    pub remaining_ms: Option<u32>,
    /// Break time left (an accommodation); `None`: this attempt has no breaks.
    pub break_left_ms: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SavedAnswer {
    pub question_id: String,
    pub response: Response,
    pub saved_at: String,
    pub seq: u32,
}

/// A session as the candidate's screen needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SessionView {
    pub session_id: String,
    pub exam_id: String,
    pub exam_version: String,
    pub state: SessionState,
    pub timer: Timer,
    pub form: Form,
    /// (section index, item index) the candidate was at.
    pub position: (u32, u32),
    pub answers: Vec<SavedAnswer>,
    pub flagged: Vec<String>,
}

/// What [`Sessions::finish`] needs besides the session.
#[derive(Debug)]
pub struct Finish<'a> {
    /// The exam's item bank (with answer keys), to grade with.
    pub bank: &'a [Question],
    /// This installation's key, which signs the result.
    pub device: &'a SigningKey,
    /// The server's key, to which the result is sealed.
    pub server: &'a SealingPublicKey,
    pub app_build: &'a str,
}

/// A result in the outbox, as the candidate's summary needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FinishedResult {
    pub result_id: String,
    pub receipt_code: String,
    /// The sealed envelope, as exported for an offline hand-in.
    pub sealed: String,
    pub session: SessionView,
    /// The candidate's copy of the grading (the sealed copy is authoritative); `None` only
    /// for results sealed before this copy was kept.
    pub grading: Option<result::Grading>,
}

impl FinishedResult {
    fn new(sealed: &SealedResult, document: ResultDocument, session: SessionView) -> Self {
        FinishedResult {
            result_id: sealed.result_id.clone(),
            receipt_code: sealed.receipt_code.clone(),
            sealed: sealed.sealed.to_json(),
            session,
            grading: Some(document.grading),
        }
    }

    fn from_row(row: storage::OutboxRow, session: SessionView) -> Self {
        let grading = row.grading.as_deref().and_then(|json| {
            serde_json::from_str(json)
                .inspect_err(|e| tracing::warn!("a stored result's grading is unreadable: {e}"))
                .ok()
        });
        FinishedResult {
            result_id: row.result_id,
            receipt_code: row.receipt_code,
            sealed: row.sealed,
            session,
            grading,
        }
    }

    /// Writes the sealed result into `folder` (a USB stick, for an offline hand-in) as
    /// `<result id>.shresult`: written to a temporary file, flushed to disk, then renamed,
    /// so the folder never holds a half-written result.
    pub fn export_to(&self, folder: &std::path::Path) -> Result<std::path::PathBuf> {
        use std::io::Write;
        let name = format!("{}.shresult", self.result_id);
        crate::durable::write_file(folder, &name, |file| {
            file.write_all(self.sealed.as_bytes())?;
            file.write_all(b"\n")
        })
    }
}

/// What reopening a session after the app stopped found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Reopened {
    /// Straight back into the exam.
    Continue { session: SessionView },
    /// Away longer than the reboot limit: a proctor's resume code is needed.
    NeedsResumeCode {
        session_id: String,
        offline_minutes: u32,
    },
}

/// The in-process side of running sessions: where each one's monotonic count started.
/// A session without an entry has not been accounted for since this process started.
#[derive(Debug, Default)]
pub struct Sessions {
    baselines: HashMap<String, Duration>,
    /// Where the monotonic count stood when each session's current break began (in
    /// this process; after a restart the break is timed by the wall clock).
    break_starts: HashMap<String, Duration>,
}

fn at_micros(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn not_found(session_id: &str) -> Error {
    Error::NotFound {
        what: format!("exam session '{session_id}'"),
    }
}

fn corrupt(what: &str, error: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!(
        "the stored exam session's {what} is unreadable: {error}"
    ))
}

/// A session row with its JSON read.
struct Loaded {
    row: SessionRow,
    state: SessionState,
    blueprint: Blueprint,
}

impl Loaded {
    fn read(storage: &Storage, session_id: &str) -> Result<Loaded> {
        let row =
            storage::session(storage.reader(), session_id)?.ok_or_else(|| not_found(session_id))?;
        let state = SessionState::parse(&row.state)?;
        let blueprint =
            serde_json::from_str(&row.blueprint).map_err(|e| corrupt("blueprint", e))?;
        Ok(Loaded {
            row,
            state,
            blueprint,
        })
    }

    fn limit_ms(&self) -> Option<u64> {
        self.blueprint.time_limit_minutes.map(|minutes| {
            let base = u64::from(minutes) * 60_000;
            base + base * u64::from(self.row.extra_time_percent) / 100 + self.row.extra_time_ms
        })
    }

    /// The timer, with `on_break_ms` of the current break counted.
    fn timer(&self, used_ms: u64, on_break_ms: u64) -> Timer {
        let clamp = |ms: u64| u32::try_from(ms).unwrap_or(u32::MAX);
        let limit = self.limit_ms();
        Timer {
            limit_ms: limit.map(clamp),
            used_ms: clamp(used_ms),
            remaining_ms: limit.map(|limit| clamp(limit.saturating_sub(used_ms))),
            break_left_ms: (self.row.break_allowance_ms > 0)
                .then(|| clamp(self.break_left_ms(on_break_ms))),
        }
    }

    fn break_left_ms(&self, on_break_ms: u64) -> u64 {
        self.row
            .break_allowance_ms
            .saturating_sub(self.row.break_used_ms)
            .saturating_sub(on_break_ms)
    }

    /// Wall-clock time since time was last accounted for (negative if the clock was set
    /// back meanwhile).
    fn offline(&self, clock: &dyn Clock) -> TimeDelta {
        self.row
            .last_seen_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map_or(TimeDelta::zero(), |t| {
                clock.now().to_utc().signed_duration_since(t.to_utc())
            })
    }

    fn time_is_up(&self, used_ms: u64) -> bool {
        self.limit_ms().is_some_and(|limit| used_ms >= limit)
    }
}

/// Appends `kind` to the session's proctor log inside `tx`.
fn append_log(
    tx: &rusqlite::Transaction<'_>,
    session_id: &str,
    at: DateTime<Utc>,
    kind: LogKind,
    detail: serde_json::Value,
) -> Result<LogEntry> {
    let (seq, previous) = match storage::last_log_entry(tx, session_id)? {
        Some((seq, hash)) => (
            seq + 1,
            Digest::from_hex(&hash).map_err(|e| corrupt("proctor log", e))?,
        ),
        None => (0, log::chain_start(session_id)),
    };
    let entry = log::next_entry(&previous, seq, at_micros(at), kind, detail);
    storage::append_log(tx, session_id, &entry)?;
    Ok(entry)
}

impl Sessions {
    /// Creates a session in the lobby, with its form drawn from a fresh seed.
    pub fn create(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        new: &NewSession<'_>,
    ) -> Result<SessionView> {
        let form = assemble(new.blueprint, new.bank, &FormSeed::random())?;
        let session_id = Uuid::now_v7().to_string();
        let now = clock.now().to_utc();
        let row = SessionRow {
            session_id: session_id.clone(),
            exam_id: new.exam_id.to_owned(),
            exam_version: new.exam_version.to_owned(),
            candidate_id: new.candidate_id.to_owned(),
            blueprint: serde_json::to_string(new.blueprint).map_err(|e| corrupt("blueprint", e))?,
            form: serde_json::to_string(&form).map_err(|e| corrupt("form", e))?,
            extra_time_percent: new.extra_time_percent,
            extra_time_ms: 0,
            state: SessionState::Lobby.as_str().to_owned(),
            created_at: rfc3339(now),
            started_at: None,
            submitted_at: None,
            submit_reason: None,
            used_ms: 0,
            last_seen_at: None,
            position: (0, 0),
            break_allowance_ms: 0,
            break_used_ms: 0,
            break_started_at: None,
        };
        storage.transact(Durability::Full, |tx| storage::insert_session(tx, &row))?;
        self.view(storage, &session_id)
    }

    /// Lobby → running: the clock starts. `system_check` (displays, VM indicators, disk
    /// space) goes into the first log entry.
    pub fn start(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        session_id: &str,
        system_check: serde_json::Value,
    ) -> Result<SessionView> {
        let loaded = Loaded::read(storage, session_id)?;
        if loaded.state != SessionState::Lobby {
            return Err(Error::InvalidInput(
                "this exam has already been started".into(),
            ));
        }
        let now = clock.now().to_utc();
        storage.transact(Durability::Full, |tx| {
            storage::set_session_started(tx, session_id, &rfc3339(now))?;
            append_log(tx, session_id, now, LogKind::SessionStarted, system_check)?;
            Ok(())
        })?;
        self.baselines
            .insert(session_id.to_owned(), clock.monotonic());
        self.view(storage, session_id)
    }

    /// Accounts for the time since the last tick (monotonic), logs a wall-clock jump, and
    /// submits the session when its time is up. Call about once a second while running.
    pub fn tick(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        session_id: &str,
    ) -> Result<Timer> {
        let loaded = Loaded::read(storage, session_id)?;
        if loaded.state == SessionState::Paused {
            let on_break = self.on_break_ms(clock, &loaded);
            if loaded.row.break_allowance_ms > 0 && loaded.break_left_ms(on_break) == 0 {
                self.end_break(storage, clock, &loaded, "break time used up")?;
                let loaded = Loaded::read(storage, session_id)?;
                return Ok(loaded.timer(loaded.row.used_ms, 0));
            }
            return Ok(loaded.timer(loaded.row.used_ms, on_break));
        }
        let used_ms = storage.transact(Durability::Full, |tx| self.account(tx, clock, &loaded))?;
        Ok(loaded.timer(used_ms, 0))
    }

    /// Gives the session `minutes` of break time (an accommodation), before it starts.
    pub fn allow_breaks(
        &mut self,
        storage: &mut Storage,
        session_id: &str,
        minutes: u32,
    ) -> Result<()> {
        let loaded = Loaded::read(storage, session_id)?;
        if loaded.state != SessionState::Lobby {
            return Err(Error::InvalidInput(
                "break time is set before the exam starts".into(),
            ));
        }
        storage.transact(Durability::Full, |tx| {
            storage::set_break_allowance(tx, session_id, u64::from(minutes) * 60_000)
        })
    }

    /// How long the current break has lasted.
    fn on_break_ms(&self, clock: &dyn Clock, loaded: &Loaded) -> u64 {
        if loaded.state != SessionState::Paused {
            return 0;
        }
        if let Some(start) = self.break_starts.get(&loaded.row.session_id) {
            return millis(clock.monotonic().saturating_sub(*start));
        }
        loaded
            .row
            .break_started_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map_or(0, |t| {
                let since = clock.now().to_utc().signed_duration_since(t.to_utc());
                u64::try_from(since.num_milliseconds()).unwrap_or(0)
            })
    }

    /// Paused → running, counting the break against the allowance.
    fn end_break(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        loaded: &Loaded,
        reason: &str,
    ) -> Result<()> {
        let session_id = loaded.row.session_id.as_str();
        let on_break = self.on_break_ms(clock, loaded);
        let break_used = loaded.row.break_used_ms.saturating_add(on_break);
        let now = clock.now().to_utc();
        storage.transact(Durability::Full, |tx| {
            storage::set_session_state(tx, session_id, SessionState::Running.as_str())?;
            storage::set_break(tx, session_id, None, break_used)?;
            storage::set_session_time(tx, session_id, loaded.row.used_ms, &rfc3339(now))?;
            append_log(
                tx,
                session_id,
                now,
                LogKind::Resumed,
                serde_json::json!({ "reason": reason, "break_ms": on_break }),
            )?;
            Ok(())
        })?;
        self.break_starts.remove(session_id);
        self.baselines
            .insert(session_id.to_owned(), clock.monotonic());
        Ok(())
    }

    /// Inside `tx`: adds the running time since the last accounting, logs clock jumps,
    /// submits when time is up. Returns the time used.
    fn account(
        &mut self,
        tx: &rusqlite::Transaction<'_>,
        clock: &dyn Clock,
        loaded: &Loaded,
    ) -> Result<u64> {
        let row = &loaded.row;
        if loaded.state != SessionState::Running {
            return Ok(row.used_ms);
        }
        let now_mono = clock.monotonic();
        let now = clock.now().to_utc();
        let Some(baseline) = self.baselines.get(&row.session_id).copied() else {
            // Not accounted for in this process: `reopen` decides about the gap.
            return Ok(row.used_ms);
        };
        let ran = now_mono.saturating_sub(baseline);
        let wall = row
            .last_seen_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| now.signed_duration_since(t.to_utc()));
        if let Some(wall) = wall {
            let ran_delta = TimeDelta::from_std(ran).unwrap_or(TimeDelta::MAX);
            let jump = wall - ran_delta;
            let tolerance = TimeDelta::from_std(CLOCK_JUMP_TOLERANCE).unwrap_or_default();
            if jump.abs() > tolerance {
                append_log(
                    tx,
                    &row.session_id,
                    now,
                    LogKind::ClockJumped,
                    serde_json::json!({
                        "wall_clock_moved_ms": wall.num_milliseconds(),
                        "time_passed_ms": millis(ran),
                    }),
                )?;
            }
        }
        let used_ms = row.used_ms.saturating_add(millis(ran));
        storage::set_session_time(tx, &row.session_id, used_ms, &rfc3339(now))?;
        self.baselines.insert(row.session_id.clone(), now_mono);
        if loaded.time_is_up(used_ms) {
            storage::set_session_submitted(tx, &row.session_id, &rfc3339(now), "time_up")?;
            append_log(
                tx,
                &row.session_id,
                now,
                LogKind::Submitted,
                serde_json::json!({ "reason": "time_up", "used_ms": used_ms }),
            )?;
            self.baselines.remove(&row.session_id);
        }
        Ok(used_ms)
    }

    /// Saves an answer durably (synchronous=FULL) and returns it once it is on disk.
    /// Refused unless the session is running and the item is on the form.
    pub fn record_answer(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        session_id: &str,
        question_id: &str,
        response: &Response,
    ) -> Result<SavedAnswer> {
        let loaded = Loaded::read(storage, session_id)?;
        let form: Form = serde_json::from_str(&loaded.row.form).map_err(|e| corrupt("form", e))?;
        if !form
            .sections
            .iter()
            .flat_map(|s| &s.items)
            .any(|item| item.question_id == question_id)
        {
            return Err(Error::NotFound {
                what: format!("question '{question_id}' on this exam"),
            });
        }
        let response_json =
            serde_json::to_string(response).map_err(|e| Error::InvalidAnswer(e.to_string()))?;
        let now = clock.now().to_utc();
        let saved_at = rfc3339(now);
        let saved = storage.transact(Durability::Full, |tx| {
            let used_ms = self.account(tx, clock, &loaded)?;
            let state = storage::session(tx, session_id)?
                .map(|row| row.state)
                .unwrap_or_default();
            if state != SessionState::Running.as_str() {
                return Ok(None);
            }
            let seq = storage::insert_answer(
                tx,
                session_id,
                question_id,
                &response_json,
                &saved_at,
                used_ms,
            )?;
            Ok(Some(seq))
        })?;
        match saved {
            Some(seq) => Ok(SavedAnswer {
                question_id: question_id.to_owned(),
                response: response.clone(),
                saved_at,
                seq,
            }),
            None => Err(Error::InvalidInput(match loaded.state {
                SessionState::Running | SessionState::Submitted => {
                    "the exam is over, so this answer was not saved; every answer saved before \
                     is kept"
                        .into()
                }
                SessionState::Lobby => "the exam has not started yet".into(),
                SessionState::Paused => {
                    "the exam is paused; answers can be saved again when it resumes".into()
                }
            })),
        }
    }

    /// Marks an item for review, or clears the mark.
    pub fn set_flag(
        &mut self,
        storage: &mut Storage,
        session_id: &str,
        question_id: &str,
        flagged: bool,
    ) -> Result<()> {
        Loaded::read(storage, session_id)?;
        storage.transact(Durability::Full, |tx| {
            storage::set_flag(tx, session_id, question_id, flagged)
        })
    }

    /// Remembers where the candidate is, so a restart returns there.
    pub fn set_position(
        &mut self,
        storage: &mut Storage,
        session_id: &str,
        position: (u32, u32),
    ) -> Result<()> {
        storage.transact(Durability::Full, |tx| {
            storage::set_position(tx, session_id, position)
        })
    }

    /// Running → paused: a break, while the session has break time left; the exam
    /// clock stops and the break clock runs.
    pub fn pause(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        session_id: &str,
        reason: &str,
    ) -> Result<SessionView> {
        let loaded = Loaded::read(storage, session_id)?;
        if loaded.state != SessionState::Running {
            return Err(Error::InvalidInput(
                "only a running exam can be paused".into(),
            ));
        }
        if loaded.row.break_allowance_ms == 0 {
            return Err(Error::InvalidInput(
                "this attempt has no breaks; the proctor grants break time when the exam begins"
                    .into(),
            ));
        }
        let left = loaded.break_left_ms(0);
        if left == 0 {
            return Err(Error::InvalidInput(format!(
                "all {} minutes of break time are used",
                loaded.row.break_allowance_ms / 60_000
            )));
        }
        let now = clock.now().to_utc();
        storage.transact(Durability::Full, |tx| {
            let used_ms = self.account(tx, clock, &loaded)?;
            if loaded.time_is_up(used_ms) {
                return Ok(());
            }
            storage::set_session_state(tx, session_id, SessionState::Paused.as_str())?;
            storage::set_break(
                tx,
                session_id,
                Some(&rfc3339(now)),
                loaded.row.break_used_ms,
            )?;
            append_log(
                tx,
                session_id,
                now,
                LogKind::Paused,
                serde_json::json!({ "reason": reason, "used_ms": used_ms, "break_left_ms": left }),
            )?;
            Ok(())
        })?;
        self.baselines.remove(session_id);
        self.break_starts
            .insert(session_id.to_owned(), clock.monotonic());
        self.view(storage, session_id)
    }

    /// Paused → running: the exam clock goes on from where it stood.
    pub fn resume(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        session_id: &str,
    ) -> Result<SessionView> {
        let loaded = Loaded::read(storage, session_id)?;
        if loaded.state != SessionState::Paused {
            return Err(Error::InvalidInput(
                "only a paused exam can be resumed".into(),
            ));
        }
        self.end_break(storage, clock, &loaded, "candidate")?;
        self.view(storage, session_id)
    }

    /// After the app stopped (a crash, a power cut): reopens a running session. Within the
    /// reboot limit it goes straight on, with the time the crash policy gives; beyond it,
    /// a proctor's resume code is needed ([`Sessions::resume_after_proctor_code`]).
    pub fn reopen(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        session_id: &str,
    ) -> Result<Reopened> {
        let loaded = Loaded::read(storage, session_id)?;
        if loaded.state != SessionState::Running || self.baselines.contains_key(session_id) {
            return Ok(Reopened::Continue {
                session: self.view(storage, session_id)?,
            });
        }
        let offline = loaded.offline(clock);
        let limit = TimeDelta::minutes(i64::from(loaded.blueprint.reboot_limit_minutes));
        if offline > limit {
            return Ok(Reopened::NeedsResumeCode {
                session_id: session_id.to_owned(),
                offline_minutes: u32::try_from(offline.num_minutes()).unwrap_or(u32::MAX),
            });
        }
        self.continue_after_gap(storage, clock, &loaded, offline, serde_json::json!({}))?;
        Ok(Reopened::Continue {
            session: self.view(storage, session_id)?,
        })
    }

    /// Goes on after a gap in which the app did not run, applying the crash policy.
    fn continue_after_gap(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        loaded: &Loaded,
        offline: TimeDelta,
        detail: serde_json::Value,
    ) -> Result<()> {
        let session_id = loaded.row.session_id.as_str();
        let now = clock.now().to_utc();
        let counted_ms = match loaded.blueprint.crash_policy {
            CrashPolicy::ClockStops => 0,
            CrashPolicy::ClockRuns => u64::try_from(offline.num_milliseconds()).unwrap_or(0),
        };
        let used_ms = loaded.row.used_ms.saturating_add(counted_ms);
        storage.transact(Durability::Full, |tx| {
            if offline < TimeDelta::zero() {
                append_log(
                    tx,
                    session_id,
                    now,
                    LogKind::ClockJumped,
                    serde_json::json!({ "wall_clock_moved_ms": offline.num_milliseconds(),
                                        "while": "app not running" }),
                )?;
            }
            let mut detail = detail;
            detail["offline_ms"] = offline.num_milliseconds().into();
            detail["counted_ms"] = counted_ms.into();
            append_log(tx, session_id, now, LogKind::ResumedAfterCrash, detail)?;
            storage::set_session_time(tx, session_id, used_ms, &rfc3339(now))?;
            if loaded.time_is_up(used_ms) {
                storage::set_session_submitted(tx, session_id, &rfc3339(now), "time_up")?;
                append_log(
                    tx,
                    session_id,
                    now,
                    LogKind::Submitted,
                    serde_json::json!({ "reason": "time_up", "used_ms": used_ms }),
                )?;
            }
            Ok(())
        })?;
        self.baselines
            .insert(session_id.to_owned(), clock.monotonic());
        Ok(())
    }

    /// Goes on past the reboot limit once the caller has checked a proctor's resume code
    /// for this session; the acceptance is logged.
    pub fn resume_after_proctor_code(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        session_id: &str,
        proctor: &str,
    ) -> Result<SessionView> {
        let loaded = Loaded::read(storage, session_id)?;
        if loaded.state != SessionState::Running || self.baselines.contains_key(session_id) {
            return Err(Error::InvalidInput(
                "this exam is not waiting for a resume code".into(),
            ));
        }
        let offline = loaded.offline(clock);
        storage.transact(Durability::Full, |tx| {
            append_log(
                tx,
                session_id,
                clock.now().to_utc(),
                LogKind::ResumeCodeAccepted,
                serde_json::json!({ "proctor": proctor }),
            )
            .map(drop)
        })?;
        self.continue_after_gap(storage, clock, &loaded, offline, serde_json::json!({}))?;
        self.view(storage, session_id)
    }

    /// A proctor grants more time (beyond any accommodation).
    pub fn grant_extra_time(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        session_id: &str,
        minutes: u32,
        proctor: &str,
    ) -> Result<SessionView> {
        let loaded = Loaded::read(storage, session_id)?;
        if loaded.state == SessionState::Submitted {
            return Err(Error::InvalidInput(
                "this exam was submitted; time can no longer be added".into(),
            ));
        }
        storage.transact(Durability::Full, |tx| {
            storage::add_extra_time(tx, session_id, u64::from(minutes) * 60_000)?;
            append_log(
                tx,
                session_id,
                clock.now().to_utc(),
                LogKind::ExtraTimeGranted,
                serde_json::json!({ "minutes": minutes, "proctor": proctor }),
            )?;
            Ok(())
        })?;
        self.view(storage, session_id)
    }

    /// Records a security event the shell observed (focus lost, a display added, a
    /// blocked shortcut). Only such events: state changes have their own calls.
    /// Records that the server released the exam's key for this session (`detail`: who
    /// asked, which server, when).
    pub(crate) fn record_key_release(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        session_id: &str,
        detail: serde_json::Value,
    ) -> Result<LogEntry> {
        storage.transact(Durability::Full, |tx| {
            append_log(
                tx,
                session_id,
                clock.now().to_utc(),
                LogKind::KeyReleased,
                detail,
            )
        })
    }

    pub fn log_event(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        session_id: &str,
        kind: LogKind,
        detail: serde_json::Value,
    ) -> Result<LogEntry> {
        use LogKind::*;
        if !matches!(
            kind,
            SystemCheck
                | FocusLost
                | FocusRegained
                | VisibilityChanged
                | DisplayAdded
                | DisplayRemoved
                | VirtualMachineDetected
                | ShortcutBlocked
                | ClipboardBlocked
                | CloseRefused
        ) {
            return Err(Error::InvalidInput(format!(
                "'{}' is recorded by the exam itself, not reported",
                kind.as_str()
            )));
        }
        Loaded::read(storage, session_id)?;
        storage.transact(Durability::Full, |tx| {
            append_log(tx, session_id, clock.now().to_utc(), kind, detail)
        })
    }

    /// A proctor closes the locked exam without submitting (after checking the PIN): the
    /// time so far is counted and the exit logged; the attempt stays open, and reopening
    /// it later follows the crash policy and the reboot limit like any other absence.
    pub fn proctor_exit(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        session_id: &str,
    ) -> Result<()> {
        let loaded = Loaded::read(storage, session_id)?;
        if loaded.state == SessionState::Submitted {
            return Err(Error::InvalidInput(
                "this exam was submitted; there is nothing to exit".into(),
            ));
        }
        storage.transact(Durability::Full, |tx| {
            let used_ms = self.account(tx, clock, &loaded)?;
            append_log(
                tx,
                session_id,
                clock.now().to_utc(),
                LogKind::ProctorExit,
                serde_json::json!({ "used_ms": used_ms }),
            )
            .map(drop)
        })?;
        self.baselines.remove(session_id);
        Ok(())
    }

    /// Running or paused → submitted, by the candidate (after confirming) or a proctor.
    pub fn submit(
        &mut self,
        storage: &mut Storage,
        clock: &dyn Clock,
        session_id: &str,
        by: &str,
    ) -> Result<SessionView> {
        let loaded = Loaded::read(storage, session_id)?;
        if !matches!(loaded.state, SessionState::Running | SessionState::Paused) {
            return Err(Error::InvalidInput(match loaded.state {
                SessionState::Lobby => "an exam that has not started cannot be submitted".into(),
                _ => "this exam was already submitted".into(),
            }));
        }
        storage.transact(Durability::Full, |tx| {
            let used_ms = self.account(tx, clock, &loaded)?;
            if loaded.time_is_up(used_ms) {
                return Ok(()); // `account` submitted it, as time ran out first.
            }
            let now = clock.now().to_utc();
            storage::set_session_submitted(tx, session_id, &rfc3339(now), by)?;
            append_log(
                tx,
                session_id,
                now,
                LogKind::Submitted,
                serde_json::json!({ "reason": by, "used_ms": used_ms }),
            )?;
            Ok(())
        })?;
        self.baselines.remove(session_id);
        self.view(storage, session_id)
    }

    /// The session as stored now.
    pub fn view(&self, storage: &Storage, session_id: &str) -> Result<SessionView> {
        let loaded = Loaded::read(storage, session_id)?;
        let form = serde_json::from_str(&loaded.row.form).map_err(|e| corrupt("form", e))?;
        let answers = storage::latest_answers(storage.reader(), session_id)?
            .into_iter()
            .map(|(question_id, response, saved_at, seq)| {
                Ok(SavedAnswer {
                    question_id,
                    response: serde_json::from_str(&response).map_err(|e| corrupt("answer", e))?,
                    saved_at,
                    seq,
                })
            })
            .collect::<Result<_>>()?;
        Ok(SessionView {
            session_id: loaded.row.session_id.clone(),
            exam_id: loaded.row.exam_id.clone(),
            exam_version: loaded.row.exam_version.clone(),
            state: loaded.state,
            timer: loaded.timer(loaded.row.used_ms, 0),
            form,
            position: loaded.row.position,
            answers,
            flagged: storage::flags(storage.reader(), session_id)?,
        })
    }

    /// A submitted session's result: graded, signed with the device key, sealed to the
    /// server and stored in the outbox (durably), once. Asking again returns the same
    /// result.
    pub fn finish(
        &self,
        storage: &mut Storage,
        clock: &dyn Clock,
        session_id: &str,
        finish: &Finish<'_>,
    ) -> Result<FinishedResult> {
        if let Some(result) = self.stored_result(storage, session_id)? {
            return Ok(result);
        }
        let loaded = Loaded::read(storage, session_id)?;
        if loaded.state != SessionState::Submitted {
            return Err(Error::InvalidInput(
                "the exam must be submitted before its result is made".into(),
            ));
        }
        let view = self.view(storage, session_id)?;
        let grading = result::grade(
            &view.form,
            &view.answers,
            finish.bank,
            loaded.blueprint.cut_score_percent,
        )?;
        let (entries, head) = self.proctor_log(storage, session_id)?;
        let row = &loaded.row;
        let document = ResultDocument {
            v: RESULT_VERSION,
            result_id: Uuid::now_v7().to_string(),
            session_id: row.session_id.clone(),
            exam_id: row.exam_id.clone(),
            exam_version: row.exam_version.clone(),
            candidate_id: row.candidate_id.clone(),
            device_kid: finish.device.key_id().to_string(),
            device_key: finish.device.public_key(),
            form: view.form.clone(),
            grading,
            timing: Timing {
                created_at: row.created_at.clone(),
                started_at: row.started_at.clone(),
                submitted_at: row.submitted_at.clone(),
                submit_reason: row.submit_reason.clone(),
                used_ms: row.used_ms,
                limit_ms: loaded.limit_ms(),
                extra_time_percent: row.extra_time_percent,
                extra_time_ms: row.extra_time_ms,
            },
            proctor_log: ResultLog { head, entries },
            app_build: finish.app_build.to_owned(),
        };
        let sealed = result::sign_and_seal(&document, finish.device, finish.server)?;
        let outbox = storage::OutboxRow {
            result_id: sealed.result_id.clone(),
            session_id: session_id.to_owned(),
            receipt_code: sealed.receipt_code.clone(),
            sealed: sealed.sealed.to_json(),
            created_at: rfc3339(clock.now().to_utc()),
            delivered_at: None,
            grading: Some(
                serde_json::to_string(&document.grading).map_err(|e| corrupt("grading", e))?,
            ),
        };
        storage.transact(Durability::Full, |tx| storage::insert_outbox(tx, &outbox))?;
        Ok(FinishedResult::new(&sealed, document, view))
    }

    /// The result already sealed into the outbox for this session, if any.
    pub fn stored_result(
        &self,
        storage: &Storage,
        session_id: &str,
    ) -> Result<Option<FinishedResult>> {
        storage::outbox_for_session(storage.reader(), session_id)?
            .map(|row| {
                Ok(FinishedResult::from_row(
                    row,
                    self.view(storage, session_id)?,
                ))
            })
            .transpose()
    }

    /// Sessions not yet submitted, newest first.
    pub fn open_sessions(&self, storage: &Storage) -> Result<Vec<String>> {
        storage::open_sessions(storage.reader())
    }

    /// The session's proctor log, verified; with its head.
    pub fn proctor_log(
        &self,
        storage: &Storage,
        session_id: &str,
    ) -> Result<(Vec<LogEntry>, ChainHead)> {
        let entries = storage::log_entries(storage.reader(), session_id)?;
        let head =
            log::verify(session_id, &entries).map_err(|e| Error::InvalidInput(e.to_string()))?;
        Ok((entries, head))
    }
}
