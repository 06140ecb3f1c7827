//! Where things are: the repository, the shared build folder, and commands preset to
//! run in the right folder with the right environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

#[derive(Debug)]
pub struct Workspace {
    root: PathBuf,
    target_dir: PathBuf,
}

impl Workspace {
    pub fn discover() -> Result<Self> {
        // `cargo run` sets CARGO_MANIFEST_DIR at run time too: xtask/ of this checkout.
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
        let root = manifest_dir
            .parent()
            .context("xtask/ has no parent folder")?
            .to_path_buf();
        let target_dir = target_dir()?;
        Ok(Self { root, target_dir })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn ui_dir(&self) -> PathBuf {
        self.root.join("ui")
    }

    pub fn target_dir(&self) -> &Path {
        &self.target_dir
    }

    /// A binary of the workspace, as built by `cargo build` (debug profile).
    pub fn debug_binary(&self, name: &str) -> PathBuf {
        self.target_dir.join("debug").join(name)
    }

    /// The `studyhall` app as `cargo build -p studyhall-app` builds it.
    pub fn app_binary(&self) -> PathBuf {
        self.debug_binary("studyhall")
    }

    /// `cargo`, run at the repository root, building into the shared target folder.
    pub fn cargo(&self) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        let mut command = Command::new(cargo);
        command
            .current_dir(&self.root)
            .env("CARGO_TARGET_DIR", &self.target_dir);
        command
    }

    /// `npm`, run in `ui/`.
    pub fn npm(&self) -> Command {
        let mut command = Command::new("npm");
        command.current_dir(self.ui_dir());
        command
    }
}

/// `$CARGO_TARGET_DIR` if set, else `$HOME/.cache/studyhall/target`: outside the checkout,
/// so that fresh clones (as CI makes) reuse one warm build.
fn target_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        return std::path::absolute(PathBuf::from(dir))
            .context("CARGO_TARGET_DIR is not a usable path");
    }
    Ok(home_dir()?.join(".cache/studyhall/target"))
}

/// Where `cargo xtask setup` installs tools that come from crates.io (`tauri-driver`):
/// `$HOME/.cache/studyhall/tools`, outside the checkout so every clone reuses them.
pub fn tools_dir() -> Result<PathBuf> {
    Ok(home_dir()?.join(".cache/studyhall/tools"))
}

/// The `tauri-driver` binary that setup installs.
pub fn tauri_driver() -> Result<PathBuf> {
    Ok(tools_dir()?.join("bin/tauri-driver"))
}

pub fn home_dir() -> Result<PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .context("HOME is not set")
}

/// `$XDG_DATA_HOME`, else `~/.local/share`.
pub fn data_home() -> Result<PathBuf> {
    match std::env::var_os("XDG_DATA_HOME").filter(|dir| !dir.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(home_dir()?.join(".local/share")),
    }
}
