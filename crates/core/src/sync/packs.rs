//! Pack downloads from the server's catalogue (DESIGN §7): which course and exam packs
//! the server offers and which this profile has, and the resumable download of one,
//! checked against the catalogue before it is imported.
//!
//! A download goes to `<profile>/downloads/<id>-<version>.part`, with a sidecar
//! `<id>-<version>.part.json` recording the download's ETag and the catalogue's size and
//! SHA-256. Promises:
//! - A broken download continues where it stopped: `Range: bytes=N-` with
//!   `If-Range: <etag>`. A whole answer (200) instead of the range, a range of another
//!   ETag, or a 416 means the file on the server is not the one begun: it starts again
//!   from the first byte.
//! - Bytes are flushed to disk every [`SYNC_EVERY`] bytes and when the download stops,
//!   so a power cut loses at most the tail; the sidecar is written whole or not at all.
//! - Nothing is imported unless the finished file's size and SHA-256 are the
//!   catalogue's; a file that does not match is discarded, and the error names the pack
//!   and says what to do. The `.part` is removed once the pack is installed.
//! - No database transaction is open while bytes travel: [`fetch_pack`] needs no
//!   [`Studyhall`] at all, so a background worker can download without holding the
//!   façade and then install with [`Studyhall::install_fetched_pack`].
//! - One download of a pack at a time: the `.part` is locked while it is written.
//! - A profile's downloads give way to an exam: while one is being sat (a session
//!   running or on a break), a download stops within [`PAUSE_CHECK_BYTES`] or
//!   [`PAUSE_CHECK_INTERVAL`], keeping its bytes, and nothing is installed (an import
//!   writes a lot); both continue once the exam is handed in.
//!
//! Blocking I/O: call from a worker thread, never from an async task.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, ETAG, IF_RANGE, RANGE};
use serde::{Deserialize, Serialize};
use studyhall_signing::hash::Sha256;

use super::{RequestFailure, ServerEndpoint};
use crate::Studyhall;
use crate::error::{Error, Result};
use crate::library::ImportOutcome;
use crate::pack::Quiet;
use crate::storage;

/// The catalogue of published packs.
pub const CATALOGUE_PATH: &str = "/v1/packs";
/// Folder of a profile holding unfinished downloads.
pub const DOWNLOADS_DIR: &str = "downloads";
/// A download's bytes are flushed to disk at least this often.
pub const SYNC_EVERY: u64 = 4 << 20;
/// How many times one download starts again from the first byte (the pack changed on
/// the server) before it gives up.
const MAX_RESTARTS: u32 = 2;
/// A download asks whether it may go on after this many bytes, or after
/// [`PAUSE_CHECK_INTERVAL`] on a slow line, whichever comes first.
pub const PAUSE_CHECK_BYTES: u64 = 256 << 10;
pub const PAUSE_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Course pack or exam pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum PackKind {
    Course,
    Exam,
}

/// A pack as the server's catalogue lists it (`GET /v1/packs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PublishedPack {
    pub id: String,
    pub version: String,
    pub kind: PackKind,
    pub title: String,
    /// The pack file's size in bytes.
    pub size: u64,
    /// SHA-256 (hex) of the pack file.
    pub sha256: String,
    /// RFC 3339.
    pub published_at: String,
}

/// How a catalogue pack stands against what this profile has installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum InstallState {
    /// No version of this pack is installed.
    NotInstalled,
    /// This very version is installed.
    Installed,
    /// An older version is installed; this one would update it.
    Newer,
    /// A newer version is installed.
    Older,
}

/// One pack of the catalogue, with whether this profile has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CatalogueEntry {
    #[serde(flatten)]
    pub pack: PublishedPack,
    pub state: InstallState,
    /// The newest installed version of this pack, if any.
    pub installed_version: Option<String>,
    /// A later version of this pack is in the catalogue too.
    pub superseded: bool,
    /// Bytes of an unfinished download already on disk.
    pub partial_bytes: u64,
}

/// Bytes of one download so far; reported as they arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DownloadProgress {
    pub pack_id: String,
    pub version: String,
    /// Bytes on disk, those of an earlier, interrupted attempt included.
    pub done: u64,
    pub total: u64,
}

/// A downloaded pack file that matches the catalogue, not yet installed.
#[derive(Debug)]
pub struct FetchedPack {
    pub pack: PublishedPack,
    pub path: PathBuf,
    /// Bytes that were already on disk when this download began (resumed).
    pub resumed_from: u64,
    /// Bytes received in this call.
    pub received: u64,
}

/// What [`fetch_pack`] ended with.
#[derive(Debug)]
pub enum Fetch {
    /// Every byte is on disk and matches the catalogue.
    Complete(FetchedPack),
    /// Told to stop: the bytes so far (`done`) stay in the `.part` for the next download.
    Paused(DownloadProgress),
}

/// What downloading one pack did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PackDownload {
    pub pack_id: String,
    pub version: String,
    pub kind: PackKind,
    pub outcome: ImportOutcome,
    /// Bytes that were already on disk when this download began (resumed).
    pub resumed_from: u64,
    /// Bytes received from the server; 0 when the pack was already installed.
    pub received: u64,
}

/// One pack that could not be downloaded or installed this round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FailedPackDownload {
    pub pack_id: String,
    pub version: String,
    /// In words.
    pub error: String,
}

/// What [`Studyhall::download_new_packs`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PackDownloadReport {
    pub installed: Vec<PackDownload>,
    pub failed: Vec<FailedPackDownload>,
    /// The download that stopped because an exam began on this profile; the packs
    /// after it were not tried. All continue in a later round.
    pub paused: Option<DownloadProgress>,
}

/// What the sidecar of a `.part` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PartialDownload {
    /// The ETag of the answer the bytes came from.
    etag: Option<String>,
    /// The catalogue's size and SHA-256 of the pack begun.
    size: u64,
    sha256: String,
}

impl ServerEndpoint {
    /// The server's catalogue (`GET /v1/packs`), newest first, as any signed-in user.
    pub fn pack_catalogue(
        &self,
        token: &str,
    ) -> std::result::Result<Vec<PublishedPack>, RequestFailure> {
        let body = self.get(CATALOGUE_PATH, Some(token))?;
        serde_json::from_str(&body).map_err(|e| {
            RequestFailure::BadReply(format!("the pack catalogue is not a list of packs: {e}"))
        })
    }
}

/// A pack id or version as part of a file name and URL: letters, digits, `.`, `-`, `_`
/// and `+`, not starting with a dot.
fn check_name<'a>(what: &str, name: &'a str) -> std::result::Result<&'a str, RequestFailure> {
    let fine = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'));
    if fine {
        Ok(name)
    } else {
        Err(RequestFailure::BadReply(format!(
            "the catalogue names a pack {what} that is not a plain name ({name:?})"
        )))
    }
}

/// Where the download of `pack` is kept: the `.part` and its sidecar.
fn part_paths(downloads: &Path, pack: &PublishedPack) -> Result<(PathBuf, PathBuf)> {
    let id = check_name("id", &pack.id)?;
    let version = check_name("version", &pack.version)?;
    let part = downloads.join(format!("{id}-{version}.part"));
    let sidecar = downloads.join(format!("{id}-{version}.part.json"));
    Ok((part, sidecar))
}

fn read_sidecar(path: &Path) -> Option<PartialDownload> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_sidecar(path: &Path, state: &PartialDownload) -> Result<()> {
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(Error::InvalidInput(format!(
            "{} is not a file in a folder",
            path.display()
        )));
    };
    let json = serde_json::to_vec(state)
        .map_err(|e| Error::InvalidInput(format!("a download's record: {e}")))?;
    crate::durable::write_file(folder, &name.to_string_lossy(), |file| {
        file.write_all(&json)
    })?;
    Ok(())
}

/// Removes a download's `.part` and sidecar; a file already gone is fine.
fn discard(part: &Path, sidecar: &Path) -> Result<()> {
    for path in [part, sidecar] {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("remove", path, e)),
        }
    }
    Ok(())
}

/// The `.part` of one download, open and locked against a second download of the
/// same pack.
struct PartFile {
    file: File,
    path: PathBuf,
    /// Bytes in it that belong to the download.
    len: u64,
}

impl PartFile {
    fn open(path: &Path, pack: &PublishedPack) -> Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io("open", path, e))?;
        file.try_lock().map_err(|e| match e {
            std::fs::TryLockError::WouldBlock => Error::InvalidInput(format!(
                "pack {} {} is already being downloaded (by another window or worker); \
                 wait for that download to finish",
                pack.id, pack.version
            )),
            std::fs::TryLockError::Error(e) => Error::io("lock", path, e),
        })?;
        let len = file
            .metadata()
            .map_err(|e| Error::io("read", path, e))?
            .len();
        Ok(Self {
            file,
            path: path.to_owned(),
            len,
        })
    }

    /// Forgets every byte: the download starts again.
    fn clear(&mut self) -> Result<()> {
        self.file
            .set_len(0)
            .and_then(|()| self.file.sync_all())
            .map_err(|e| Error::io("empty", &self.path, e))?;
        self.len = 0;
        Ok(())
    }

    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        self.file
            .write_all(bytes)
            .map_err(|e| Error::io("write", &self.path, e))?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| Error::io("write", &self.path, e))
    }

    /// SHA-256 of every byte, hex.
    fn sha256(&mut self) -> Result<String> {
        let mut hasher = Sha256::new();
        self.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| std::io::copy(&mut self.file, &mut hasher))
            .map_err(|e| Error::io("read", &self.path, e))?;
        Ok(hasher.finish().to_hex())
    }
}

/// The first byte and the total size of a `Content-Range: bytes FIRST-LAST/TOTAL`.
fn content_range(response: &reqwest::blocking::Response) -> Option<(u64, u64)> {
    let text = response.headers().get(CONTENT_RANGE)?.to_str().ok()?;
    let (range, total) = text.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (first, _) = range.split_once('-')?;
    Some((first.trim().parse().ok()?, total.trim().parse().ok()?))
}

fn etag(response: &reqwest::blocking::Response) -> Option<String> {
    Some(response.headers().get(ETAG)?.to_str().ok()?.to_owned())
}

/// Downloads `pack` into `downloads` (resuming an earlier, interrupted download of it)
/// and checks it against the catalogue's size and SHA-256. Touches no database.
///
/// `may_go_on` is asked before each request and, while bytes arrive, every
/// [`PAUSE_CHECK_BYTES`] or [`PAUSE_CHECK_INTERVAL`]; when it says no, the download
/// stops with [`Fetch::Paused`], its bytes flushed to the `.part`.
pub fn fetch_pack(
    server: &ServerEndpoint,
    token: &str,
    pack: &PublishedPack,
    downloads: &Path,
    progress: &mut dyn FnMut(DownloadProgress),
    may_go_on: &mut dyn FnMut() -> bool,
) -> Result<Fetch> {
    std::fs::create_dir_all(downloads).map_err(|e| Error::io("create", downloads, e))?;
    let (part_path, sidecar_path) = part_paths(downloads, pack)?;
    let mut part = PartFile::open(&part_path, pack)?;
    let mut state = read_sidecar(&sidecar_path)
        .filter(|state| state.size == pack.size && state.sha256 == pack.sha256);
    if state.is_none() || part.len > pack.size {
        // Bytes of another pack, or of no known answer: start afresh.
        part.clear()?;
    }
    let resumed_from = part.len;
    let mut received = 0;
    let mut restarts = 0;
    let report = |done| DownloadProgress {
        pack_id: pack.id.clone(),
        version: pack.version.clone(),
        done,
        total: pack.size,
    };
    progress(report(part.len));
    let url = format!(
        "{}{CATALOGUE_PATH}/{}/{}/file",
        server.base_url(),
        pack.id,
        pack.version
    );
    while part.len < pack.size {
        if !may_go_on() {
            return Ok(Fetch::Paused(report(part.len)));
        }
        let mut request = server.http().get(&url).bearer_auth(token);
        let resume_etag = state.as_ref().and_then(|s| s.etag.clone());
        let resuming = part.len > 0;
        if resuming {
            request = request.header(RANGE, format!("bytes={}-", part.len));
            if let Some(etag) = &resume_etag {
                request = request.header(IF_RANGE, etag);
            }
        }
        let mut response = request.send().map_err(|e| server.transport_failure(&e))?;
        let status = response.status();
        let answer_etag = etag(&response);
        let continues = resuming
            && content_range(&response) == Some((part.len, pack.size))
            && answer_etag.is_some()
            && answer_etag == resume_etag;
        match status {
            StatusCode::PARTIAL_CONTENT if continues => {}
            StatusCode::OK => {
                if resuming {
                    tracing::info!(pack = %pack.id, version = %pack.version, "the pack changed on the server; its download starts again");
                }
                part.clear()?;
            }
            // A range of another file than the one begun, or beyond its end.
            StatusCode::PARTIAL_CONTENT | StatusCode::RANGE_NOT_SATISFIABLE => {
                tracing::info!(pack = %pack.id, version = %pack.version, %status, "the download does not continue the file begun; it starts again");
                restarts += 1;
                if restarts > MAX_RESTARTS {
                    return Err(RequestFailure::BadReply(format!(
                        "pack {} {} kept changing on the server while it was being \
                         downloaded; try again later",
                        pack.id, pack.version
                    ))
                    .into());
                }
                part.clear()?;
                state = None;
                continue;
            }
            _ => {
                let body = response.text().map_err(|e| server.transport_failure(&e))?;
                return Err(server.failure(status, &body).into());
            }
        }
        let new_state = PartialDownload {
            etag: answer_etag,
            size: pack.size,
            sha256: pack.sha256.clone(),
        };
        if state.as_ref() != Some(&new_state) {
            write_sidecar(&sidecar_path, &new_state)?;
            state = Some(new_state);
        }
        part.file
            .seek(SeekFrom::Start(part.len))
            .map_err(|e| Error::io("write", &part_path, e))?;
        let copied = copy_body(
            server,
            &mut response,
            &mut part,
            pack.size,
            &mut |done| progress(report(done)),
            may_go_on,
        );
        received += copied.bytes;
        // What arrived stays on disk for the next attempt, whatever stopped this one.
        part.sync()?;
        copied.result?;
        if copied.paused {
            tracing::info!(pack = %pack.id, version = %pack.version, done = part.len, "download paused");
            return Ok(Fetch::Paused(report(part.len)));
        }
        if part.len < pack.size {
            return Err(RequestFailure::Unreachable(format!(
                "{} (the download of pack {} {} stopped after {} of {} bytes; it continues \
                 from there next time)",
                server.base_url(),
                pack.id,
                pack.version,
                part.len,
                pack.size
            ))
            .into());
        }
    }
    if part.sha256()? != pack.sha256 {
        drop(part);
        discard(&part_path, &sidecar_path)?;
        return Err(RequestFailure::BadReply(format!(
            "the download of pack {} {} does not match the server's catalogue (its SHA-256 \
             differs), so it was discarded and nothing was installed; download it again, \
             and if this happens again, tell the server's administrator",
            pack.id, pack.version
        ))
        .into());
    }
    Ok(Fetch::Complete(FetchedPack {
        pack: pack.clone(),
        path: part_path,
        resumed_from,
        received,
    }))
}

/// What [`copy_body`] did: the bytes written, and why it stopped early if it did.
struct Copied {
    bytes: u64,
    result: Result<()>,
    /// `may_go_on` said no.
    paused: bool,
}

/// Appends the response body to `part` (at most up to `size`), flushing to disk every
/// [`SYNC_EVERY`] bytes, reporting the bytes on disk as they arrive and asking
/// `may_go_on` as [`fetch_pack`] says.
fn copy_body(
    server: &ServerEndpoint,
    response: &mut reqwest::blocking::Response,
    part: &mut PartFile,
    size: u64,
    progress: &mut dyn FnMut(u64),
    may_go_on: &mut dyn FnMut() -> bool,
) -> Copied {
    let mut buffer = vec![0; 64 * 1024];
    let mut bytes = 0;
    let mut unsynced = 0;
    let mut unchecked = 0;
    let mut checked_at = Instant::now();
    let mut paused = false;
    let result = loop {
        let room = usize::try_from(size.saturating_sub(part.len))
            .unwrap_or(usize::MAX)
            .min(buffer.len());
        if room == 0 {
            break Ok(());
        }
        let n = match response.read(&mut buffer[..room]) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(read_failure(server, &e).into()),
        };
        if let Err(e) = part.append(&buffer[..n]) {
            break Err(e);
        }
        bytes += n as u64;
        unsynced += n as u64;
        if unsynced >= SYNC_EVERY {
            if let Err(e) = part.sync() {
                break Err(e);
            }
            unsynced = 0;
        }
        progress(part.len);
        unchecked += n as u64;
        if unchecked >= PAUSE_CHECK_BYTES || checked_at.elapsed() >= PAUSE_CHECK_INTERVAL {
            (unchecked, checked_at) = (0, Instant::now());
            if part.len < size && !may_go_on() {
                paused = true;
                break Ok(());
            }
        }
    };
    Copied {
        bytes,
        result,
        paused,
    }
}

/// A broken download, in words.
fn read_failure(server: &ServerEndpoint, error: &std::io::Error) -> RequestFailure {
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
    {
        Some(http) => server.transport_failure(http),
        None => RequestFailure::Unreachable(format!(
            "{} (the download broke off: {error})",
            server.base_url()
        )),
    }
}

impl Studyhall {
    /// Where unfinished downloads are kept; for [`fetch_pack`].
    pub fn downloads_dir(&self) -> PathBuf {
        self.profile.join(DOWNLOADS_DIR)
    }

    /// The server's catalogue, each pack with whether this profile has it.
    pub fn available_packs(
        &self,
        server: &ServerEndpoint,
        token: &str,
    ) -> Result<Vec<CatalogueEntry>> {
        let catalogue = server.pack_catalogue(token)?;
        self.catalogue_entries(catalogue)
    }

    /// `catalogue` (from [`ServerEndpoint::pack_catalogue`]), each pack with whether
    /// this profile has it. Reads the database only.
    pub fn catalogue_entries(&self, catalogue: Vec<PublishedPack>) -> Result<Vec<CatalogueEntry>> {
        let exams = storage::exam_packs(self.storage.reader())?;
        let downloads = self.downloads_dir();
        let mut entries = Vec::with_capacity(catalogue.len());
        for pack in &catalogue {
            let offered = semver::Version::parse(&pack.version).ok();
            let installed: Vec<String> = match pack.kind {
                PackKind::Course => storage::installed_pack(self.storage.reader(), &pack.id)?
                    .map(|record| record.version.to_string())
                    .into_iter()
                    .collect(),
                PackKind::Exam => exams
                    .iter()
                    .filter(|row| row.exam_id == pack.id)
                    .map(|row| row.version.clone())
                    .collect(),
            };
            let newest_installed = installed
                .iter()
                .filter_map(|v| semver::Version::parse(v).ok())
                .max();
            let state = if installed.contains(&pack.version) {
                InstallState::Installed
            } else {
                match (&newest_installed, &offered) {
                    (None, _) => InstallState::NotInstalled,
                    (Some(newest), Some(offered)) if newest > offered => InstallState::Older,
                    _ => InstallState::Newer,
                }
            };
            let superseded = catalogue.iter().any(|other| {
                other.kind == pack.kind
                    && other.id == pack.id
                    && semver::Version::parse(&other.version)
                        .ok()
                        .zip(offered.as_ref())
                        .is_some_and(|(other, offered)| other > *offered)
            });
            let partial_bytes = part_paths(&downloads, pack)
                .ok()
                .and_then(|(part, _)| std::fs::metadata(part).ok())
                .map_or(0, |m| m.len());
            entries.push(CatalogueEntry {
                pack: pack.clone(),
                state,
                installed_version: newest_installed.map(|v| v.to_string()),
                superseded,
                partial_bytes,
            });
        }
        Ok(entries)
    }

    /// Downloads pack `id` `version` from `server`'s catalogue (continuing an
    /// interrupted download), checks it against the catalogue and installs it. A pack
    /// already installed is not downloaded again. While an exam is being sat on this
    /// profile the download stops (its bytes kept) with an error saying so.
    ///
    /// Holds `self` for the whole download; a worker that must not block the app uses
    /// [`Studyhall::available_packs`], [`fetch_pack`] and
    /// [`Studyhall::install_fetched_pack`] instead.
    pub fn download_pack(
        &mut self,
        server: &ServerEndpoint,
        token: &str,
        id: &str,
        version: &str,
        progress: &mut dyn FnMut(DownloadProgress),
    ) -> Result<PackDownload> {
        let entry = self
            .available_packs(server, token)?
            .into_iter()
            .find(|entry| entry.pack.id == id && entry.pack.version == version)
            .ok_or_else(|| Error::NotFound {
                what: format!("pack {id} {version} on the server at {}", server.base_url()),
            })?;
        match self.download_entry(server, token, entry, progress)? {
            Downloaded::Done(done) => Ok(done),
            Downloaded::Paused(paused) => Err(Error::InvalidInput(format!(
                "an exam is being sat on this profile, so the download of pack {} {} \
                 stopped after {} of {} bytes; it continues once the exam is handed in",
                paused.pack_id, paused.version, paused.done, paused.total
            ))),
        }
    }

    /// Downloads and installs every pack of `server`'s catalogue that this profile does
    /// not have (the newest version of each, when it is newer than the installed one).
    /// A pack that fails is reported with the reason and the others go on; only the
    /// catalogue or the database failing stops the round, and an exam begun on this
    /// profile pauses it (see [`PackDownloadReport::paused`]).
    pub fn download_new_packs(
        &mut self,
        server: &ServerEndpoint,
        token: &str,
        progress: &mut dyn FnMut(DownloadProgress),
    ) -> Result<PackDownloadReport> {
        let mut report = PackDownloadReport::default();
        for entry in self.available_packs(server, token)? {
            let wanted = !entry.superseded
                && matches!(
                    entry.state,
                    InstallState::NotInstalled | InstallState::Newer
                );
            if !wanted {
                continue;
            }
            let (pack_id, version) = (entry.pack.id.clone(), entry.pack.version.clone());
            match self.download_entry(server, token, entry, progress) {
                Ok(Downloaded::Done(done)) => report.installed.push(done),
                Ok(Downloaded::Paused(paused)) => {
                    report.paused = Some(paused);
                    break;
                }
                Err(error @ (Error::Database(_) | Error::DatabaseOpen { .. })) => {
                    return Err(error);
                }
                Err(error) => {
                    tracing::warn!(pack = %pack_id, %version, %error, "pack not downloaded");
                    report.failed.push(FailedPackDownload {
                        pack_id,
                        version,
                        error: error.to_string(),
                    });
                }
            }
        }
        Ok(report)
    }

    fn download_entry(
        &mut self,
        server: &ServerEndpoint,
        token: &str,
        entry: CatalogueEntry,
        progress: &mut dyn FnMut(DownloadProgress),
    ) -> Result<Downloaded> {
        if entry.state == InstallState::Installed {
            return Ok(Downloaded::Done(PackDownload {
                outcome: ImportOutcome::Unchanged {
                    pack_id: entry.pack.id.clone(),
                    version: entry.pack.version.clone(),
                },
                pack_id: entry.pack.id,
                version: entry.pack.version,
                kind: entry.pack.kind,
                resumed_from: 0,
                received: 0,
            }));
        }
        let reader = self.storage.reader();
        let mut no_exam = || match storage::exam_in_progress(reader) {
            Ok(sitting) => !sitting,
            Err(error) => {
                tracing::warn!(%error, "could not tell whether an exam is being sat; the download goes on");
                true
            }
        };
        let downloads = self.downloads_dir();
        let fetched = match fetch_pack(
            server,
            token,
            &entry.pack,
            &downloads,
            progress,
            &mut no_exam,
        )? {
            Fetch::Complete(fetched) if no_exam() => fetched,
            Fetch::Complete(fetched) => {
                // Every byte is here; the import waits for the exam to end.
                return Ok(Downloaded::Paused(DownloadProgress {
                    pack_id: fetched.pack.id,
                    version: fetched.pack.version,
                    done: fetched.pack.size,
                    total: fetched.pack.size,
                }));
            }
            Fetch::Paused(paused) => return Ok(Downloaded::Paused(paused)),
        };
        self.install_fetched_pack(fetched).map(Downloaded::Done)
    }

    /// Installs a pack [`fetch_pack`] downloaded and checked, then removes its
    /// download. A pack that does not install (say, its publisher is not trusted) stays
    /// downloaded, so that trying again needs no network.
    pub fn install_fetched_pack(&mut self, fetched: FetchedPack) -> Result<PackDownload> {
        let outcome = self.import_pack(&fetched.path, &Quiet)?;
        let (part, sidecar) = part_paths(&self.downloads_dir(), &fetched.pack)?;
        discard(&part, &sidecar)?;
        tracing::info!(pack = %fetched.pack.id, version = %fetched.pack.version, resumed_from = fetched.resumed_from, received = fetched.received, "pack downloaded and installed");
        Ok(PackDownload {
            pack_id: fetched.pack.id,
            version: fetched.pack.version,
            kind: fetched.pack.kind,
            outcome,
            resumed_from: fetched.resumed_from,
            received: fetched.received,
        })
    }
}

/// What [`Studyhall::download_entry`] ended with.
enum Downloaded {
    Done(PackDownload),
    Paused(DownloadProgress),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_names_are_plain() {
        assert!(check_name("id", "dwcp-fundamentals").is_ok());
        assert!(check_name("version", "1.2.0+build.5").is_ok());
        for bad in ["", "../x", ".hidden", "a/b", "a\\b", "a b"] {
            assert!(check_name("id", bad).is_err(), "{bad:?}");
        }
    }
}
