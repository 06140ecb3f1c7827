//! The background sync worker: a thread with its own [`Studyhall`] on the app's
//! profile, so that study and exams in the app's façade never wait for the network.
//! (Two connections to one profile are fine: the database is in WAL mode and nothing
//! takes an exclusive lock; writes from either side are short transactions.)
//!
//! While the profile is signed in, the worker runs a *round*: deliver the outbox's
//! results, then sync progress events, then download new packs. Rounds run every
//! [`WorkerSettings::interval`] while the server answers, back off exponentially (with
//! jitter) while it does not, and run at once on [`SyncWorker::sync_now`].
//!
//! Promises:
//! - While an exam is being sat on the profile (a session running or on a break), a
//!   round delivers results only (a few kilobytes and one commit each): progress sync
//!   and pack downloads, which may write a lot, wait until the exam is handed in. A
//!   download under way when the exam begins stops within a second or 256 KiB,
//!   keeping its bytes (see [`super::packs`]).
//! - Every change of [`SyncState`] is passed to the callback given to
//!   [`SyncWorker::start`]; errors are in words.
//! - Dropping the worker stops it: it waits for the request under way to end, at most
//!   [`STOP_WAIT`]; a download cut off there continues next time.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;

use super::account::SyncCredentials;
use super::{RequestFailure, timestamp};
use crate::Studyhall;
use crate::clock::Clock;
use crate::error::{Error, Result};

/// How long dropping a worker waits for its round to end before leaving it behind.
pub const STOP_WAIT: Duration = Duration::from_secs(10);
/// Where the worker checks that the server answers before a round.
const HEALTH_PATH: &str = "/health";

/// How often the worker syncs.
#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// Between two rounds while the server answers.
    pub interval: Duration,
    /// The first wait after the server could not be reached; it doubles with each
    /// further failure, up to `longest_retry`.
    pub first_retry: Duration,
    pub longest_retry: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(120),
            first_retry: Duration::from_secs(15),
            longest_retry: Duration::from_secs(15 * 60),
        }
    }
}

/// What the worker is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// Not signed in to a server: nothing to do.
    SignedOut,
    /// The last round went well; the next one is due at `next_round_at`.
    Idle,
    /// A round is under way.
    Syncing,
    /// The server could not be reached; it is tried again at `next_round_at`.
    Offline,
    /// The last round failed (`error` says why); it is tried again at `next_round_at`.
    Error,
}

/// A pack being downloaded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncDownload {
    pub pack_id: String,
    pub version: String,
    /// Bytes; `f64` because TypeScript numbers are doubles.
    pub done: f64,
    pub total: f64,
}

/// The sync state the app shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncState {
    pub phase: SyncPhase,
    /// Why the last round failed or the server could not be reached, in words.
    pub error: Option<String>,
    /// The last round that finished without an error (RFC 3339).
    pub last_sync_at: Option<String>,
    /// When the next round is due (RFC 3339), unless woken sooner.
    pub next_round_at: Option<String>,
    /// Exam results the server has not yet receipted.
    pub results_waiting: u32,
    /// Progress events the server does not hold yet.
    pub events_waiting: u32,
    /// The pack download under way.
    pub download: Option<SyncDownload>,
    /// Progress sync and pack downloads wait while an exam is being sat.
    pub held_for_exam: bool,
}

impl Default for SyncState {
    fn default() -> Self {
        Self {
            phase: SyncPhase::SignedOut,
            error: None,
            last_sync_at: None,
            next_round_at: None,
            results_waiting: 0,
            events_waiting: 0,
            download: None,
            held_for_exam: false,
        }
    }
}

/// Receives every change of the sync state.
pub type StateListener = Box<dyn Fn(&SyncState) + Send>;

#[derive(Debug, Default)]
struct Control {
    stop: bool,
    now: bool,
    /// The thread has left its loop.
    finished: bool,
}

struct Shared {
    control: Mutex<Control>,
    wake: Condvar,
    state: Mutex<SyncState>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere leaves the data as it was written; carrying on is safe.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The running worker; dropping it stops the thread.
pub struct SyncWorker {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SyncWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncWorker")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl SyncWorker {
    /// Starts the worker on the profile at `profile_dir` (opened by the worker itself);
    /// `listener` hears every state change, from the worker's thread.
    pub fn start(
        profile_dir: &Path,
        clock: Arc<dyn Clock>,
        settings: WorkerSettings,
        listener: StateListener,
    ) -> Result<SyncWorker> {
        let shared = Arc::new(Shared {
            control: Mutex::new(Control::default()),
            wake: Condvar::new(),
            state: Mutex::new(SyncState::default()),
        });
        let mut worker = Worker {
            profile: profile_dir.to_owned(),
            clock,
            settings,
            shared: shared.clone(),
            listener,
            app: None,
            failures: 0,
        };
        let thread = std::thread::Builder::new()
            .name("studyhall-sync".into())
            .spawn(move || {
                worker.run();
                lock(&worker.shared.control).finished = true;
                worker.shared.wake.notify_all();
            })
            .map_err(|e| Error::io("start the sync thread for", profile_dir, e))?;
        Ok(SyncWorker {
            shared,
            thread: Some(thread),
        })
    }

    /// Runs a round now (or right after the one under way), without waiting for it.
    pub fn sync_now(&self) {
        lock(&self.shared.control).now = true;
        self.shared.wake.notify_all();
    }

    /// The latest state.
    pub fn state(&self) -> SyncState {
        lock(&self.shared.state).clone()
    }
}

impl Drop for SyncWorker {
    fn drop(&mut self) {
        let mut control = lock(&self.shared.control);
        control.stop = true;
        self.shared.wake.notify_all();
        let (control, _) = self
            .shared
            .wake
            .wait_timeout_while(control, STOP_WAIT, |c| !c.finished)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if control.finished {
            drop(control);
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        } else {
            tracing::warn!("the sync worker is still in a request; leaving it behind");
        }
    }
}

/// How a round ended.
enum Outcome {
    SignedOut,
    Synced,
    Offline(String),
    Failed(String),
}

struct Worker {
    profile: PathBuf,
    clock: Arc<dyn Clock>,
    settings: WorkerSettings,
    shared: Arc<Shared>,
    listener: StateListener,
    app: Option<Studyhall>,
    /// Failed rounds in a row.
    failures: u32,
}

impl Worker {
    fn run(&mut self) {
        loop {
            let outcome = self.round().unwrap_or_else(|error| {
                tracing::warn!(%error, "sync round failed");
                classify(&error)
            });
            // Each round opens the profile afresh: the trusted publishers and servers
            // are read when it opens, and the app may have trusted new ones meanwhile.
            self.app = None;
            let wait = self.wait_after(&outcome);
            let next =
                self.clock.now().to_utc() + chrono::Duration::from_std(wait).unwrap_or_default();
            self.update(|state| {
                state.download = None;
                state.next_round_at = match outcome {
                    Outcome::SignedOut => None,
                    _ => Some(timestamp(next)),
                };
                match outcome {
                    Outcome::SignedOut => {
                        state.phase = SyncPhase::SignedOut;
                        state.error = None;
                    }
                    Outcome::Synced => {
                        state.phase = SyncPhase::Idle;
                        state.error = None;
                    }
                    Outcome::Offline(ref why) => {
                        state.phase = SyncPhase::Offline;
                        state.error = Some(why.clone());
                    }
                    Outcome::Failed(ref why) => {
                        state.phase = SyncPhase::Error;
                        state.error = Some(why.clone());
                    }
                }
            });
            if !self.sleep(wait) {
                return;
            }
        }
    }

    /// Waits `wait`, or until woken; false when told to stop.
    fn sleep(&self, wait: Duration) -> bool {
        let control = lock(&self.shared.control);
        let (mut control, _) = self
            .shared
            .wake
            .wait_timeout_while(control, wait, |c| !c.stop && !c.now)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if control.now {
            control.now = false;
        }
        !control.stop
    }

    fn stopping(&self) -> bool {
        lock(&self.shared.control).stop
    }

    fn wait_after(&mut self, outcome: &Outcome) -> Duration {
        match outcome {
            Outcome::SignedOut | Outcome::Synced => {
                self.failures = 0;
                self.settings.interval
            }
            Outcome::Offline(_) | Outcome::Failed(_) => {
                self.failures = self.failures.saturating_add(1);
                let doubling = self
                    .settings
                    .first_retry
                    .saturating_mul(1 << self.failures.saturating_sub(1).min(16));
                let delay = doubling.min(self.settings.longest_retry);
                delay.mul_f64(0.5 + 0.5 * rand::random::<f64>())
            }
        }
    }

    fn update(&self, change: impl FnOnce(&mut SyncState)) {
        let snapshot = {
            let mut state = lock(&self.shared.state);
            let before = state.clone();
            change(&mut state);
            (*state != before).then(|| state.clone())
        };
        if let Some(state) = snapshot {
            (self.listener)(&state);
        }
    }

    fn app(&mut self) -> Result<&mut Studyhall> {
        match &mut self.app {
            Some(app) => Ok(app),
            empty => Ok(empty.insert(Studyhall::open_with_clock(
                &self.profile,
                self.clock.clone(),
            )?)),
        }
    }

    fn round(&mut self) -> Result<Outcome> {
        let app = self.app()?;
        let outbox = app.outbox_status()?;
        let credentials = app.sync_credentials()?;
        let last_sync_at = app.sync_account()?.and_then(|a| a.last_sync_at);
        let exam = app.exam_in_progress()?;
        let events = app.progress_events_waiting()?;
        self.update(|state| {
            state.results_waiting = outbox.waiting;
            state.events_waiting = events;
            state.last_sync_at = last_sync_at;
            state.held_for_exam = exam;
        });
        let Some(credentials) = credentials else {
            return Ok(Outcome::SignedOut);
        };
        if credentials.expires_at <= self.clock.now() {
            return Ok(Outcome::Failed(format!(
                "your sign-in to {} has expired: sign in again",
                credentials.server.base_url()
            )));
        }
        self.update(|state| state.phase = SyncPhase::Syncing);
        if let Err(failure) = credentials.server.get(HEALTH_PATH, None) {
            return Ok(match failure {
                RequestFailure::Unreachable(_) => Outcome::Offline(failure.to_string()),
                other => Outcome::Failed(other.to_string()),
            });
        }
        let mut problems = Vec::new();

        let app = self.app()?;
        let delivery = app.deliver_results(&credentials.server)?;
        problems.extend(delivery.failed.into_iter().map(|f| f.error));
        let outbox = app.outbox_status()?;
        self.update(|state| state.results_waiting = outbox.waiting);

        if !exam && !self.stopping() {
            let app = self.app()?;
            let progress = app.sync_progress(&credentials.server, credentials.token());
            let events = app.progress_events_waiting()?;
            self.update(|state| state.events_waiting = events);
            match progress {
                Ok(report) => {
                    problems.extend(report.refused.into_iter().map(|r| {
                        format!("a progress event was refused by the server: {}", r.reason)
                    }))
                }
                Err(error) => problems.push(in_words(&error)),
            }
        }
        if !exam
            && !self.stopping()
            && let Err(error) = self.download_packs(&credentials)
        {
            problems.push(in_words(&error));
        }

        if !problems.is_empty() {
            return Ok(Outcome::Failed(problems.join("; ")));
        }
        let at = self.app()?.record_sync_success()?;
        self.update(|state| state.last_sync_at = Some(at));
        Ok(Outcome::Synced)
    }

    fn download_packs(&mut self, credentials: &SyncCredentials) -> Result<()> {
        let shared = self.shared.clone();
        let listener = &self.listener;
        let mut shown_percent = None;
        let mut on_progress = |progress: super::packs::DownloadProgress| {
            let percent = progress.done.saturating_mul(100) / progress.total.max(1);
            if shown_percent == Some((progress.pack_id.clone(), percent)) {
                return;
            }
            shown_percent = Some((progress.pack_id.clone(), percent));
            let snapshot = {
                let mut state = lock(&shared.state);
                state.download = Some(SyncDownload {
                    pack_id: progress.pack_id,
                    version: progress.version,
                    done: progress.done as f64,
                    total: progress.total as f64,
                });
                state.clone()
            };
            listener(&snapshot);
        };
        let Some(app) = self.app.as_mut() else {
            return Ok(());
        };
        let report =
            app.download_new_packs(&credentials.server, credentials.token(), &mut on_progress)?;
        self.update(|state| {
            state.download = None;
            state.held_for_exam |= report.paused.is_some();
        });
        match report.failed.first() {
            None => Ok(()),
            Some(failed) => Err(Error::InvalidInput(format!(
                "pack {} {} was not downloaded: {}",
                failed.pack_id, failed.version, failed.error
            ))),
        }
    }
}

/// A round's error, as the state shows it.
fn classify(error: &Error) -> Outcome {
    match error {
        Error::Server(failure @ RequestFailure::Unreachable(_)) => {
            Outcome::Offline(failure.to_string())
        }
        other => Outcome::Failed(in_words(other)),
    }
}

/// An error in words; a refused sign-in says what to do.
fn in_words(error: &Error) -> String {
    match error {
        Error::Server(RequestFailure::Refused { status: 401, .. }) => {
            "the server no longer accepts your sign-in: sign in again".to_owned()
        }
        other => other.to_string(),
    }
}
