//! Time, injected. Everything in `core` that needs the time asks a [`Clock`], so tests
//! can set and move it; the app uses [`SystemClock`].
//!
//! A clock tells two times: the wall clock ([`Clock::now`], which people and the
//! operating system can set, forwards or backwards) and a monotonic clock
//! ([`Clock::monotonic`], which only moves forward while the process runs). Exam timers
//! count monotonic time and compare it with the wall clock to notice when someone moves
//! the wall clock.

use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use chrono::{DateTime, Duration, FixedOffset, Local};

pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time with the local UTC offset (for the learner's calendar day).
    fn now(&self) -> DateTime<FixedOffset>;
    /// Time since an arbitrary moment in this process; never goes backwards.
    fn monotonic(&self) -> std::time::Duration;
}

/// The computer's clock and time zone.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        Local::now().fixed_offset()
    }

    fn monotonic(&self) -> std::time::Duration {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed()
    }
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock(Mutex<ManualTime>);

#[derive(Debug, Clone, Copy)]
struct ManualTime {
    wall: DateTime<FixedOffset>,
    monotonic: std::time::Duration,
}

impl ManualClock {
    pub fn new(at: DateTime<FixedOffset>) -> Self {
        ManualClock(Mutex::new(ManualTime {
            wall: at,
            monotonic: std::time::Duration::ZERO,
        }))
    }

    /// Time passes: both clocks move by `by` (which must not be negative).
    pub fn advance(&self, by: Duration) {
        let mut time = self.lock();
        time.wall += by;
        time.monotonic += by.to_std().unwrap_or_default();
    }

    /// Someone sets the wall clock: it moves by `by` (either way); no time passes.
    pub fn set_wall_by(&self, by: Duration) {
        self.lock().wall += by;
    }

    /// The process restarted: the monotonic clock starts again from zero; no time passes.
    pub fn restart_process(&self) {
        self.lock().monotonic = std::time::Duration::ZERO;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualTime> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<FixedOffset> {
        self.lock().wall
    }

    fn monotonic(&self) -> std::time::Duration {
        self.lock().monotonic
    }
}
