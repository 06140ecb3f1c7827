//! `cargo xtask run`: builds everything, installs the sample programme into the profile
//! and opens the app in the foreground.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::process;
use crate::setup;
use crate::workspace::{self, Workspace};

/// The sample course, as source files in the repository.
const SAMPLE_COURSE: &str = "examples/dwcp-fundamentals";
const SAMPLE_PUBLISHER: &str = "sample-publisher";

pub fn run(workspace: &Workspace) -> Result<()> {
    ensure_display()?;
    setup::setup(workspace)?;
    build(workspace)?;
    let profile = profile_dir()?;
    install_sample_programme(workspace, &profile)?;
    open_app(workspace, &profile)
}

/// Fail before a long build rather than after it.
fn ensure_display() -> Result<()> {
    let has = |name| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    if has("DISPLAY") || has("WAYLAND_DISPLAY") {
        return Ok(());
    }
    bail!(
        "there is no display to open the app on (neither DISPLAY nor WAYLAND_DISPLAY is set).\n\
         Run it inside a desktop session, or on a virtual display: `xvfb-run -a cargo xtask run`"
    )
}

fn build(workspace: &Workspace) -> Result<()> {
    process::run(workspace.npm().args(["run", "--silent", "build"]))?;
    process::run(workspace.cargo().args([
        "build",
        "--package",
        "studyhall-cli",
        "--package",
        "studyhall-app",
    ]))
}

/// `$STUDYHALL_PROFILE`, else `~/.local/share/studyhall/profile`.
fn profile_dir() -> Result<PathBuf> {
    match std::env::var_os("STUDYHALL_PROFILE").filter(|dir| !dir.is_empty()) {
        Some(dir) => Ok(std::path::absolute(PathBuf::from(dir))?),
        None => Ok(workspace::data_home()?.join("studyhall/profile")),
    }
}

/// Signs the sample course with a local publisher key (made once, kept outside the
/// checkout) and imports it, trusting that key.
fn install_sample_programme(workspace: &Workspace, profile: &Path) -> Result<()> {
    let cli = workspace.debug_binary("studyhall-cli");
    let keys = workspace::data_home()?
        .join("studyhall")
        .join(SAMPLE_PUBLISHER);
    let private_key = keys.join(format!("{SAMPLE_PUBLISHER}.key"));
    let public_key = keys.join(format!("{SAMPLE_PUBLISHER}.pub.jwk"));
    if !private_key.exists() || !public_key.exists() {
        process::run(
            Command::new(&cli)
                .args(["keys", "new", "--name", SAMPLE_PUBLISHER, "--out"])
                .arg(&keys),
        )?;
    }

    let packs = workspace.target_dir().join("sample");
    std::fs::create_dir_all(&packs)
        .with_context(|| format!("could not create {}", packs.display()))?;
    let pack = packs.join("dwcp-fundamentals.shpack");
    process::run(
        Command::new(&cli)
            .current_dir(workspace.root())
            .args(["pack", "build", SAMPLE_COURSE, "--key"])
            .arg(&private_key)
            .arg("--out")
            .arg(&pack),
    )?;
    process::run(
        Command::new(&cli)
            .args(["pack", "import"])
            .arg(&pack)
            .arg("--profile")
            .arg(profile)
            .arg("--trust")
            .arg(&public_key),
    )
}

fn open_app(workspace: &Workspace, profile: &Path) -> Result<()> {
    eprintln!(
        "xtask: opening Studyhall with the profile {}",
        profile.display()
    );
    process::run(
        Command::new(workspace.debug_binary("studyhall"))
            .current_dir(workspace.root())
            .env("STUDYHALL_PROFILE", profile),
    )
}
