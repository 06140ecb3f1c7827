//! Writing a whole file so that a crash or power cut leaves either no file or the
//! complete one: written to a temporary file in the same folder, flushed to disk, then
//! renamed over the target, and the rename itself flushed where the file system allows.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `folder/name` with `fill`; returns the file's path.
pub(crate) fn write_file(
    folder: &Path,
    name: &str,
    fill: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<PathBuf> {
    let target = folder.join(name);
    let mut temp =
        tempfile::NamedTempFile::new_in(folder).map_err(|e| Error::io("write into", folder, e))?;
    fill(temp.as_file_mut())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| Error::io("write", &target, e))?;
    temp.persist(&target)
        .map_err(|e| Error::io("write", &target, e.error))?;
    if let Ok(dir) = File::open(folder) {
        // Makes the rename itself durable; not every file system allows it.
        let _ = dir.sync_all();
    }
    Ok(target)
}
