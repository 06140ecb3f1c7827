//! Time, injected. Everything in `core` that needs the time asks a [`Clock`], so tests
//! can set and move it; the app uses [`SystemClock`].

use std::sync::Mutex;

use chrono::{DateTime, Duration, FixedOffset, Local};

pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time with the local UTC offset (for the learner's calendar day).
    fn now(&self) -> DateTime<FixedOffset>;
}

/// The computer's clock and time zone.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        Local::now().fixed_offset()
    }
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<FixedOffset>>);

impl ManualClock {
    pub fn new(at: DateTime<FixedOffset>) -> Self {
        ManualClock(Mutex::new(at))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<FixedOffset> {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
