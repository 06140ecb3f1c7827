//! `cargo xtask setup`: makes this machine able to build, run and test Studyhall.
//! Idempotent: when everything is there it checks quietly and prints one line.

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use anyhow::{Context, Result, bail};

use crate::process;
use crate::workspace::{self, Workspace};

/// Debian packages: Tauri's build dependencies (WebKitGTK 4.1 and friends), then the tools
/// the run and test commands use (a virtual display, screenshots, input, WebDriver, a
/// private session bus for each test app, GStreamer for the lessons' WebM video, and a
/// window manager with the tools that ask it things, for the exam lockdown test), and
/// PostgreSQL, whose binaries the server's tests start throw-away clusters with.
const DEBIAN_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "build-essential",
    "libssl-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libxdo-dev",
    "pkg-config",
    "xvfb",
    "imagemagick",
    "xdotool",
    "webkit2gtk-driver",
    "dbus",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-bad",
    "openbox",
    "wmctrl",
    "x11-utils",
    "postgresql",
];

/// The WebDriver bridge between a test and the app (`WebKitWebDriver` underneath).
const TAURI_DRIVER_VERSION: &str = "2.1.0";

/// Vite 8 needs Node.js 20.19 or newer.
const MINIMUM_NODE: (u32, u32) = (20, 19);

pub fn setup(workspace: &Workspace) -> Result<()> {
    install_debian_packages()?;
    install_rust_components()?;
    install_tauri_driver()?;
    check_node()?;
    install_ui_packages(workspace)?;
    eprintln!("xtask: setup: everything needed is installed");
    Ok(())
}

fn install_debian_packages() -> Result<()> {
    if !process::is_installed("dpkg-query", "--version") {
        eprintln!(
            "xtask: setup: this is not a Debian-based system, so nothing was installed.\n\
             Install the equivalents of these Debian packages with your package manager:\n  {}",
            DEBIAN_PACKAGES.join(" ")
        );
        return Ok(());
    }
    let missing = missing_debian_packages()?;
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!(
        "xtask: setup: installing Debian packages: {}",
        missing.join(" ")
    );
    let as_root = is_root()?;
    if !as_root && !process::is_installed("sudo", "--version") {
        bail!(
            "these Debian packages are missing and there is no sudo to install them; as root, run:\n  \
             apt-get update && apt-get install -y {}",
            missing.join(" ")
        );
    }
    process::run(apt_get(as_root).arg("update"))?;
    process::run(apt_get(as_root).args(["install", "-y"]).args(&missing))?;
    Ok(())
}

fn missing_debian_packages() -> Result<Vec<&'static str>> {
    let mut missing = Vec::new();
    for &package in DEBIAN_PACKAGES {
        let output =
            process::capture(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))?;
        let status = String::from_utf8_lossy(&output.stdout);
        if !(output.status.success() && status.trim() == "install ok installed") {
            missing.push(package);
        }
    }
    Ok(missing)
}

fn is_root() -> Result<bool> {
    let output = process::capture(Command::new("id").arg("-u"))?;
    Ok(String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// `apt-get`, directly as root or through `sudo`, never asking questions.
fn apt_get(as_root: bool) -> Command {
    let mut command = if as_root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
        sudo
    };
    command.env("DEBIAN_FRONTEND", "noninteractive");
    command
}

/// `cargo fmt` and `cargo clippy` come as rustup components.
fn install_rust_components() -> Result<()> {
    let missing: Vec<&str> = [("rustfmt", "fmt"), ("clippy", "clippy")]
        .into_iter()
        .filter(|(_, subcommand)| {
            !Command::new("cargo")
                .args([subcommand, "--version"])
                .output()
                .is_ok_and(|output| output.status.success())
        })
        .map(|(component, _)| component)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !process::is_installed("rustup", "--version") {
        bail!(
            "the Rust components {} are missing; install them with your Rust toolchain",
            missing.join(" and ")
        );
    }
    process::run(
        Command::new("rustup")
            .args(["component", "add"])
            .args(&missing),
    )
}

/// `tauri-driver` from crates.io into [`workspace::tools_dir`], once per machine.
fn install_tauri_driver() -> Result<()> {
    if workspace::tauri_driver()?.is_file() {
        return Ok(());
    }
    process::run(
        Command::new("cargo")
            .args(["install", "tauri-driver", "--locked", "--version"])
            .arg(TAURI_DRIVER_VERSION)
            .arg("--root")
            .arg(workspace::tools_dir()?),
    )
}

fn check_node() -> Result<()> {
    let output = process::capture(Command::new("node").arg("--version"))
        .context("Node.js is not installed: install Node.js 20.19 or newer (with npm)")?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let (major, minor) = parse_node_version(&version)
        .with_context(|| format!("could not read the Node.js version from {version:?}"))?;
    if (major, minor) < MINIMUM_NODE {
        bail!(
            "Node.js {version} is too old: the UI build needs {}.{} or newer",
            MINIMUM_NODE.0,
            MINIMUM_NODE.1
        );
    }
    if !process::is_installed("npm", "--version") {
        bail!("npm is not installed: install it with Node.js");
    }
    Ok(())
}

/// `v20.19.2` → `(20, 19)`.
fn parse_node_version(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// `npm ci` when `node_modules` is missing or older than `package-lock.json`.
fn install_ui_packages(workspace: &Workspace) -> Result<()> {
    let ui = workspace.ui_dir();
    // npm writes this file at the end of every install.
    let installed = modified(&ui.join("node_modules/.package-lock.json"));
    let locked =
        modified(&ui.join("package-lock.json")).context("ui/package-lock.json is missing")?;
    if installed.is_some_and(|installed| installed >= locked) {
        return Ok(());
    }
    process::run(workspace.npm().args(["ci", "--no-audit", "--no-fund"]))
}

fn modified(path: &Path) -> Option<SystemTime> {
    path.metadata()
        .and_then(|metadata| metadata.modified())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_node_versions() {
        assert_eq!(parse_node_version("v20.20.2"), Some((20, 20)));
        assert_eq!(parse_node_version("v22.1.0\n".trim()), Some((22, 1)));
        assert_eq!(parse_node_version("node"), None);
    }
}
