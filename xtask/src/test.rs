//! `cargo xtask test`: every check, in the order CI runs them. Stops at the first failing
//! step, then prints one summary line per step and, when tests ran, their totals.
//!
//! A new check is one more entry in [`STEPS`].

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::process;
use crate::room;
use crate::setup;
use crate::workspace::{self, Workspace};

struct Step {
    name: &'static str,
    run: fn(&Workspace, &mut TestCounts) -> Result<()>,
}

const STEPS: &[Step] = &[
    Step {
        name: "disk room",
        run: |workspace, _| room::ensure_room_for_build(workspace.target_dir()),
    },
    Step {
        name: "setup",
        run: |workspace, _| setup::setup(workspace),
    },
    Step {
        name: "rustfmt",
        run: rustfmt,
    },
    Step {
        name: "ui typecheck",
        run: ui_typecheck,
    },
    Step {
        name: "ui build",
        run: ui_build,
    },
    Step {
        name: "clippy",
        run: clippy,
    },
    Step {
        name: "app build",
        run: app_build,
    },
    Step {
        name: "cargo test",
        run: cargo_test,
    },
];

pub fn test(workspace: &Workspace) -> Result<()> {
    let mut counts = TestCounts::default();
    let mut outcomes = Vec::new();
    for step in STEPS {
        eprintln!("\nxtask: ── {} ──", step.name);
        let started = Instant::now();
        let result = (step.run)(workspace, &mut counts);
        let failed = result.is_err();
        outcomes.push((step.name, started.elapsed(), result));
        if failed {
            break;
        }
    }
    print_summary(&outcomes, &counts);
    match outcomes.iter().find(|(_, _, result)| result.is_err()) {
        Some((name, _, _)) => bail!("step `{name}` failed"),
        None => Ok(()),
    }
}

fn print_summary(outcomes: &[(&str, Duration, Result<()>)], counts: &TestCounts) {
    eprintln!("\nxtask: summary");
    for step in STEPS {
        let line = match outcomes.iter().find(|(name, _, _)| *name == step.name) {
            Some((_, took, Ok(()))) => {
                format!("ok       {:<14} {:>7.1}s", step.name, took.as_secs_f64())
            }
            Some((_, took, Err(error))) => format!(
                "FAILED   {:<14} {:>7.1}s  {error:#}",
                step.name,
                took.as_secs_f64()
            ),
            None => format!("skipped  {}", step.name),
        };
        eprintln!("  {line}");
    }
    if counts.ran_any() {
        // The plain closing line CI reads: "tests: N passed, N failed, N skipped".
        println!(
            "tests: {} passed, {} failed, {} skipped",
            counts.passed, counts.failed, counts.ignored
        );
    }
}

fn rustfmt(workspace: &Workspace, _: &mut TestCounts) -> Result<()> {
    process::run(workspace.cargo().args(["fmt", "--all", "--check"]))
}

fn ui_typecheck(workspace: &Workspace, _: &mut TestCounts) -> Result<()> {
    process::run(workspace.npm().args(["run", "--silent", "typecheck"]))
}

fn ui_build(workspace: &Workspace, _: &mut TestCounts) -> Result<()> {
    process::run(workspace.npm().args(["run", "--silent", "build"]))
}

fn clippy(workspace: &Workspace, _: &mut TestCounts) -> Result<()> {
    process::run(workspace.cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

/// The end-to-end tests drive the built app, which embeds `ui/dist` (built above).
fn app_build(workspace: &Workspace, _: &mut TestCounts) -> Result<()> {
    process::run(
        workspace
            .cargo()
            .args(["build", "--package", "studyhall-app"]),
    )
}

fn cargo_test(workspace: &Workspace, counts: &mut TestCounts) -> Result<()> {
    process::run_reading_stdout(
        workspace
            .cargo()
            .args(["test", "--workspace", "--no-fail-fast"])
            .env("STUDYHALL_E2E_APP", workspace.app_binary())
            .env("STUDYHALL_TAURI_DRIVER", workspace::tauri_driver()?),
        |line| counts.add_result_line(line),
    )
}

/// Totals over every `test result:` line that `cargo test` prints (one per test binary).
#[derive(Debug, Default, PartialEq, Eq)]
struct TestCounts {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl TestCounts {
    fn ran_any(&self) -> bool {
        self.passed + self.failed > 0
    }

    /// Reads `test result: ok. 5 passed; 1 failed; 2 ignored; 0 measured; 0 filtered out; …`.
    fn add_result_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part
                .split_whitespace()
                .skip_while(|word| word.ends_with('.'));
            let (Some(number), Some(label)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(number) = number.parse::<u64>() else {
                continue;
            };
            match label {
                "passed" => self.passed += number,
                "failed" => self.failed += number,
                "ignored" => self.ignored += number,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_cargo_test_result_lines() {
        let mut counts = TestCounts::default();
        for line in [
            "running 3 tests",
            "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            "test result: FAILED. 4 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.20s",
            "test tests::passed_on_a_line ... ok",
        ] {
            counts.add_result_line(line);
        }
        assert_eq!(
            counts,
            TestCounts {
                passed: 7,
                failed: 2,
                ignored: 1
            }
        );
    }

    #[test]
    fn step_names_are_unique() {
        for (index, step) in STEPS.iter().enumerate() {
            assert!(
                STEPS[index + 1..]
                    .iter()
                    .all(|other| other.name != step.name),
                "{}",
                step.name
            );
        }
    }
}
