//! Generated files that are committed: the UI's typed bindings and the PNG icons.

use std::process::Command;

use anyhow::Result;

use crate::process;
use crate::workspace::Workspace;

/// Rewrites `ui/src/bindings.ts` through the test that otherwise checks it is current.
pub fn bindings(workspace: &Workspace) -> Result<()> {
    process::run(
        workspace
            .cargo()
            .args([
                "test",
                "--package",
                "studyhall-app",
                "--lib",
                "--",
                "bindings::",
            ])
            .env("STUDYHALL_UPDATE_BINDINGS", "1"),
    )?;
    eprintln!("xtask: wrote ui/src/bindings.ts");
    Ok(())
}

/// The sizes `src-tauri/tauri.conf.json` lists, rendered from the one SVG source.
const ICON_SIZES: &[(&str, u32)] = &[
    ("32x32.png", 32),
    ("128x128.png", 128),
    ("128x128@2x.png", 256),
    ("icon.png", 512),
];

pub fn icons(workspace: &Workspace) -> Result<()> {
    let icons = workspace.root().join("icons");
    for &(file, size) in ICON_SIZES {
        process::run(
            Command::new("convert")
                .current_dir(&icons)
                .args(["-background", "none", "-density", "300", "icon.svg"])
                .args(["-resize", &format!("{size}x{size}")])
                // Tauri wants 8-bit RGBA PNGs.
                .arg(format!("png32:{file}")),
        )?;
    }
    Ok(())
}
