//! The watched inbox: a folder (a test centre's share, a USB stick) where course packs
//! (`.shpack`) and exam packs (`.shexam`) appear. [`Inbox`] reports each pack once it has stopped growing, so a pack still
//! being copied is never imported half-written, and reports each version of a file once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use crate::error::{Error, Result};

/// How long a file's size and modification time must stay unchanged before it counts
/// as fully copied.
pub const SETTLE_TIME: Duration = Duration::from_millis(750);

#[derive(Debug)]
pub struct Inbox {
    folder: PathBuf,
    _watcher: RecommendedWatcher,
    events: Receiver<notify::Result<notify::Event>>,
    /// Files seen but not yet settled: path → (size, mtime, since).
    settling: HashMap<PathBuf, (u64, Option<SystemTime>, Instant)>,
    /// Files already reported, with the size and mtime they had.
    reported: HashMap<PathBuf, (u64, Option<SystemTime>)>,
}

impl Inbox {
    /// Starts watching `folder` (created if missing). Packs already there are reported too.
    pub fn watch(folder: &Path) -> Result<Inbox> {
        std::fs::create_dir_all(folder).map_err(|e| Error::io("create", folder, e))?;
        let (tx, events) = mpsc::channel();
        let mut watcher = notify::recommended_watcher(tx)
            .map_err(|e| Error::io("watch", folder, std::io::Error::other(e)))?;
        watcher
            .watch(folder, RecursiveMode::NonRecursive)
            .map_err(|e| Error::io("watch", folder, std::io::Error::other(e)))?;
        let mut inbox = Inbox {
            folder: folder.to_owned(),
            _watcher: watcher,
            events,
            settling: HashMap::new(),
            reported: HashMap::new(),
        };
        inbox.rescan();
        Ok(inbox)
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Waits up to `timeout` for packs that have finished arriving.
    pub fn wait(&mut self, timeout: Duration) -> Vec<PathBuf> {
        let deadline = Instant::now() + timeout;
        loop {
            let ready = self.settled();
            if !ready.is_empty() {
                return ready;
            }
            let now = Instant::now();
            if now >= deadline {
                return Vec::new();
            }
            let step = (deadline - now).min(SETTLE_TIME / 3);
            match self.events.recv_timeout(step) {
                Ok(Ok(event)) => {
                    for path in event.paths {
                        self.consider(path);
                    }
                }
                Ok(Err(_)) => self.rescan(),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Vec::new(),
            }
        }
    }

    fn rescan(&mut self) {
        if let Ok(entries) = std::fs::read_dir(&self.folder) {
            for entry in entries.flatten() {
                self.consider(entry.path());
            }
        }
    }

    fn consider(&mut self, path: PathBuf) {
        let is_pack = path
            .extension()
            .is_some_and(|e| e == "shpack" || e == "shexam")
            && !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if !is_pack {
            return;
        }
        let Ok(meta) = std::fs::metadata(&path) else {
            self.settling.remove(&path);
            return;
        };
        let state = (meta.len(), meta.modified().ok());
        if self.reported.get(&path) == Some(&state) {
            return;
        }
        match self.settling.get(&path) {
            Some((size, modified, _)) if (*size, *modified) == state => {}
            _ => {
                self.settling
                    .insert(path, (state.0, state.1, Instant::now()));
            }
        }
    }

    fn settled(&mut self) -> Vec<PathBuf> {
        // Re-check sizes: a copy in progress may not send an event for every write.
        let paths: Vec<PathBuf> = self.settling.keys().cloned().collect();
        for path in paths {
            self.consider(path);
        }
        let mut ready: Vec<PathBuf> = self
            .settling
            .iter()
            .filter(|(_, (_, _, since))| since.elapsed() >= SETTLE_TIME)
            .map(|(p, _)| p.clone())
            .collect();
        ready.sort();
        for path in &ready {
            if let Some((size, modified, _)) = self.settling.remove(path) {
                self.reported.insert(path.clone(), (size, modified));
            }
        }
        ready
    }
}
