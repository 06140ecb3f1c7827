//! What every CLI test needs: the real binary, its output as one text, paths as `&str`.

use std::path::Path;
use std::process::{Command, Output};

pub fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_studyhall-cli"))
        .args(args)
        .output()
        .unwrap()
}

/// stdout and stderr together, as a person at a terminal sees them.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Asserts that the command exited with `code` and that what it printed says `needle`.
#[track_caller]
pub fn assert_says(out: &Output, code: i32, needle: &str) {
    let said = text(out);
    assert_eq!(out.status.code(), Some(code), "{said}");
    assert!(said.contains(needle), "expected '{needle}' in:\n{said}");
}

/// Makes the key pair `name` (`signing` or `sealing`) in the folder `keys`.
pub fn new_key(keys: &Path, name: &str, kind: &str) {
    let out = cli(&[
        "keys",
        "new",
        "--out",
        p(keys),
        "--name",
        name,
        "--kind",
        kind,
    ]);
    assert!(out.status.success(), "{}", text(&out));
}
