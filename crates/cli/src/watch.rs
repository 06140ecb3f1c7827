//! `pack watch`: rebuild whenever the author folder changes. Events are debounced so a
//! burst of saves makes one build; a failed build is reported and watching goes on.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use notify::RecursiveMode;
use notify_debouncer_full::new_debouncer;

pub fn run(source: &Path, out: &Path, build: impl Fn(&Path, &Path) -> Result<()>) -> Result<()> {
    let rebuild = || {
        if let Err(e) = build(source, out) {
            eprintln!("error: {e:#}");
            eprintln!("Waiting for changes…");
        }
    };
    rebuild();
    let (tx, rx) = mpsc::channel();
    let mut debouncer = new_debouncer(Duration::from_millis(300), None, tx)
        .context("could not start watching for file changes")?;
    debouncer
        .watch(source, RecursiveMode::Recursive)
        .with_context(|| format!("could not watch {}", source.display()))?;
    println!("Watching {} (Ctrl-C to stop)", source.display());
    let out_abs = std::path::absolute(out).unwrap_or_else(|_| out.to_owned());
    for result in rx {
        match result {
            Ok(events) => {
                // Only changes count: the build itself reads every file (access events),
                // and writing the pack inside the watched folder must not trigger another.
                let relevant = events.iter().any(|event| {
                    !event.kind.is_access()
                        && event.paths.iter().any(|p| {
                            p != &out_abs
                                && !p
                                    .file_name()
                                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                        })
                });
                if relevant {
                    rebuild();
                }
            }
            Err(errors) => {
                for e in errors {
                    eprintln!("watch error: {e}");
                }
            }
        }
    }
    Ok(())
}
