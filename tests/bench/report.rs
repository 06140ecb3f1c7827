//! Budget verdicts, latency statistics and progress on stderr.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use studyhall_core::pack::Progress;

/// One budget of DESIGN.md §8, measured.
#[derive(Debug)]
pub struct Verdict {
    pub budget: &'static str,
    pub measured: String,
    pub met: bool,
}

impl Verdict {
    pub fn line(&self) -> String {
        format!(
            "{:<6} {}: {}",
            if self.met { "MET" } else { "MISSED" },
            self.budget,
            self.measured
        )
    }
}

pub const MIB: f64 = 1024.0 * 1024.0;

/// The 1-minute load average, to show whether other work shared the machine.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

pub fn mib_per_s(bytes: u64, time: Duration) -> f64 {
    bytes as f64 / MIB / time.as_secs_f64()
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The fastest of `runs` runs of `f`, which returns its own measured time.
pub fn best_of(
    runs: u32,
    label: &str,
    mut f: impl FnMut() -> anyhow::Result<Duration>,
) -> anyhow::Result<Duration> {
    let mut best = Duration::MAX;
    for run in 1..=runs {
        let time = f()?;
        eprintln!("  {label} run {run}/{runs}: {:.3} s", time.as_secs_f64());
        best = best.min(time);
    }
    Ok(best)
}

/// Latency percentiles by the nearest-rank method.
#[derive(Debug, Clone, Copy)]
pub struct Latencies {
    pub count: usize,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Latencies {
    pub fn of(samples: &[Duration]) -> Option<Latencies> {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let at =
            |p: f64| sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
        Some(Latencies {
            count: sorted.len(),
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: *sorted.last()?,
        })
    }

    pub fn row(&self, name: &str) -> String {
        format!(
            "  {name:<22} n={:<5} p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            self.count,
            ms(self.p50),
            ms(self.p95),
            ms(self.p99),
            ms(self.max)
        )
    }
}

/// Announces a step on stderr and, when dropped, how long it took.
#[derive(Debug)]
pub struct Step {
    name: String,
    started: Instant,
}

impl Step {
    pub fn start(name: impl Into<String>) -> Step {
        let name = name.into();
        eprintln!("{name} …");
        Step {
            name,
            started: Instant::now(),
        }
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        eprintln!(
            "{}: {:.1} s",
            self.name,
            self.started.elapsed().as_secs_f64()
        );
    }
}

/// Pack progress as a percentage every 10% on stderr (works in logs, not only in a
/// terminal).
#[derive(Debug, Default)]
pub struct StderrProgress {
    state: Mutex<(u64, u64, u64)>, // (total, done, last tenth shown)
}

impl Progress for StderrProgress {
    fn phase(&self, name: &str, total: u64) {
        if let Ok(mut state) = self.state.lock() {
            *state = (total, 0, 0);
        }
        eprint!("  {name}:");
    }

    fn advance(&self, bytes: u64) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let (total, done, shown) = &mut *state;
        *done += bytes;
        let tenth = (*done * 10).checked_div(*total).unwrap_or(10).min(10);
        if tenth > *shown {
            *shown = tenth;
            eprint!(" {}%", tenth * 10);
            if tenth == 10 {
                eprintln!();
            }
            let _ = std::io::stderr().flush();
        }
    }
}
