//! Running child processes. Every command is echoed before it runs, and a failure names
//! the command and how it ended.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use anyhow::{Context, Result, ensure};

/// Runs `command` with the terminal attached; fails unless it exits with status 0.
pub fn run(command: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(command));
    let status = command
        .status()
        .with_context(|| format!("could not start `{}`", program(command)))?;
    ensure!(
        status.success(),
        "`{}` failed ({status})",
        describe(command)
    );
    Ok(())
}

/// Runs `command` silently and returns what it printed, whatever its exit status.
pub fn capture(command: &mut Command) -> Result<Output> {
    command
        .output()
        .with_context(|| format!("could not start `{}`", program(command)))
}

/// Whether `program` can be started at all (it is on `PATH`).
pub fn is_installed(program: &str, version_flag: &str) -> bool {
    Command::new(program)
        .arg(version_flag)
        .output()
        .is_ok_and(|output| output.status.success())
}

/// The program's file name (`cargo`, not the toolchain path `cargo run` passes in `CARGO`).
fn program(command: &Command) -> String {
    let program = std::path::Path::new(command.get_program());
    program
        .file_name()
        .unwrap_or(program.as_os_str())
        .to_string_lossy()
        .into_owned()
}

/// `program arg arg` with the folder it runs in, for messages.
pub fn describe(command: &Command) -> String {
    let mut text = program(command);
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    if let Some(dir) = command.get_current_dir() {
        text.push_str(&format!("  (in {})", dir.display()));
    }
    text
}

/// Like [`run`], but hands each line the command prints on stdout to `on_line` (after
/// echoing it), for commands whose output is worth reading, such as `cargo test`.
pub fn run_reading_stdout(command: &mut Command, mut on_line: impl FnMut(&str)) -> Result<()> {
    eprintln!("$ {}", describe(command));
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start `{}`", program(command)))?;
    let stdout = child
        .stdout
        .take()
        .context("the child's stdout was not captured")?;
    for line in BufReader::new(stdout).lines() {
        let line = line.context("could not read the command's output")?;
        println!("{line}");
        on_line(&line);
    }
    let status = child.wait().context("could not wait for the command")?;
    ensure!(
        status.success(),
        "`{}` failed ({status})",
        describe(command)
    );
    Ok(())
}
