//! Room on the disk for a build. The shared target folder outlives every clone (that is what
//! keeps CI's fresh clones warm), so it also collects the artifacts of clones long gone, each
//! under its own hash. When the disk runs low, the linker dies with a bus error half-way
//! through a test run; this check runs first and says what it does instead.

use std::path::Path;

use anyhow::{Context, Result, bail};

const GIB: u64 = 1024 * 1024 * 1024;

/// Below this, the old debug build is removed before building (a cold debug build of the
/// workspace with every test binary takes about 6 GiB).
const CLEAR_BELOW: u64 = 20 * GIB;

/// Below this even after clearing, a build would fail part-way: stop and say so.
const NEED: u64 = 8 * GIB;

/// Makes sure the disk holding `target_dir` has room for a debug build and its tests,
/// removing this project's own old debug build (`<target>/debug`) when it does not.
pub fn ensure_room_for_build(target_dir: &Path) -> Result<()> {
    let existing = nearest_existing(target_dir);
    let free = available(existing)?;
    if free >= CLEAR_BELOW {
        return Ok(());
    }
    let debug = target_dir.join("debug");
    if debug.is_dir() {
        eprintln!(
            "xtask: only {} free on the disk of {}; removing the old debug build {} to make room \
             (this build starts cold)",
            gib(free),
            target_dir.display(),
            debug.display()
        );
        std::fs::remove_dir_all(&debug)
            .with_context(|| format!("could not remove the old build {}", debug.display()))?;
    }
    let free = available(existing)?;
    if free < NEED {
        bail!(
            "only {} free on the disk of {}, and a build with its tests needs about {}: free some \
             space, or set CARGO_TARGET_DIR to a folder on a disk with room",
            gib(free),
            target_dir.display(),
            gib(NEED)
        );
    }
    Ok(())
}

fn available(path: &Path) -> Result<u64> {
    fs4::available_space(path).with_context(|| {
        format!(
            "could not read the free space on the disk of {}",
            path.display()
        )
    })
}

/// The target folder may not exist yet on a fresh machine: ask about its nearest ancestor.
fn nearest_existing(path: &Path) -> &Path {
    path.ancestors()
        .find(|ancestor| ancestor.exists())
        .unwrap_or(Path::new("/"))
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / GIB as f64)
}
