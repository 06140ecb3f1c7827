//! Building a pack from an author folder: validate the course, copy every file into the
//! zip while hashing exactly the bytes written, then sign the manifest. The output file
//! appears atomically (written beside it, then renamed), so a failed build never leaves
//! a half-written pack.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use studyhall_signing::SigningKey;
use studyhall_signing::hash::Sha256;
use studyhall_signing::jws;
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use super::{
    CONTENT_PREFIX, FORMAT, MANIFEST_ENTRY, MANIFEST_TYP, Manifest, ManifestFile, PackError,
    Progress, is_precompressed,
};
use crate::content::{load_course, read_folder};

/// What a build produced.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub out: PathBuf,
    pub manifest: Manifest,
    pub content_bytes: u64,
}

/// Builds `source` (an author folder) into a signed pack at `out`.
pub fn build(
    source: &Path,
    key: &SigningKey,
    out: &Path,
    progress: &dyn Progress,
) -> Result<BuildReport, PackError> {
    let (files, listing) = read_folder(source).map_err(|error| PackError::Source { error })?;
    let course = load_course(&files).map_err(|error| PackError::Source { error })?;

    let total: u64 = listing.iter().map(|f| f.size).sum();
    progress.phase("Packing", total);

    let out_dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".shpack-")
        .tempfile_in(out_dir)
        .map_err(|e| PackError::io("create a file in", out_dir, e))?;
    let mut zip = ZipWriter::new(temp);
    let mut manifest_files = Vec::with_capacity(listing.len());
    let mut buf = vec![0u8; 1 << 20];

    for file in &listing {
        let method = if is_precompressed(&file.path) {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .unix_permissions(0o644)
            .large_file(file.size >= u64::from(u32::MAX));
        zip.start_file(format!("{CONTENT_PREFIX}{}", file.path), options)
            .map_err(|e| zip_write_error(out, e))?;
        let mut reader = BufReader::new(
            File::open(&file.disk_path).map_err(|e| PackError::io("read", &file.disk_path, e))?,
        );
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| PackError::io("read", &file.disk_path, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            zip.write_all(&buf[..n])
                .map_err(|e| PackError::io("write", out, e))?;
            size += n as u64;
            progress.advance(n as u64);
        }
        manifest_files.push(ManifestFile {
            path: file.path.clone(),
            size,
            sha256: hasher.finish(),
        });
    }

    let manifest = Manifest {
        format: FORMAT.to_owned(),
        id: course.id.clone(),
        version: course.version.clone(),
        title: course.title.clone(),
        summary: course.summary.clone(),
        language: course.language.clone(),
        track: course.track.clone(),
        authors: course.authors.clone(),
        publisher_kid: key.key_id().clone(),
        built_at: chrono::Utc::now(),
        topics: course.topics.clone(),
        modules: course.modules.clone(),
        files: manifest_files,
    };
    let payload = serde_json::to_vec(&manifest).map_err(|e| PackError::BadManifest {
        file: out.to_owned(),
        reason: e.to_string(),
    })?;
    let token = jws::sign_compact(key, Some(MANIFEST_TYP), &payload);
    zip.start_file(
        MANIFEST_ENTRY,
        SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .unix_permissions(0o644),
    )
    .map_err(|e| zip_write_error(out, e))?;
    zip.write_all(token.as_bytes())
        .map_err(|e| PackError::io("write", out, e))?;

    let temp = zip.finish().map_err(|e| zip_write_error(out, e))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| PackError::io("write", out, e))?;
    temp.persist(out)
        .map_err(|e| PackError::io("write", out, e.error))?;

    Ok(BuildReport {
        out: out.to_owned(),
        manifest,
        content_bytes: total,
    })
}

fn zip_write_error(out: &Path, e: zip::result::ZipError) -> PackError {
    PackError::io("write", out, std::io::Error::other(e))
}
