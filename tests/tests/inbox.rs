//! The watched inbox reports a pack once it has fully arrived, and only once.
// The fixture's helpers serve only these tests; a failed set-up step should fail the test.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::time::Duration;

use studyhall_core::inbox::Inbox;
use studyhall_tests::{Publisher, fixture};

#[test]
fn a_pack_is_reported_once_after_it_has_been_copied_completely() {
    let dir = tempfile::tempdir().unwrap();
    let publisher = Publisher::new();
    let pack = dir.path().join("tiny.shpack");
    publisher.build(&fixture("tiny-course"), &pack);
    let bytes = std::fs::read(&pack).unwrap();

    let inbox_dir = dir.path().join("inbox");
    std::fs::create_dir(&inbox_dir).unwrap();
    std::fs::write(inbox_dir.join("already-there.shpack"), &bytes).unwrap();
    std::fs::write(inbox_dir.join("notes.txt"), b"not a pack").unwrap();
    let mut inbox = Inbox::watch(&inbox_dir).unwrap();
    let first = inbox.wait(Duration::from_secs(10));
    assert_eq!(first, vec![inbox_dir.join("already-there.shpack")]);

    // A slow copy: half now, the rest later. Nothing is reported while it grows.
    let arriving = inbox_dir.join("arriving.shpack");
    let mut file = std::fs::File::create(&arriving).unwrap();
    file.write_all(&bytes[..bytes.len() / 2]).unwrap();
    file.flush().unwrap();
    assert!(inbox.wait(Duration::from_millis(400)).is_empty());
    file.write_all(&bytes[bytes.len() / 2..]).unwrap();
    drop(file);
    let ready = inbox.wait(Duration::from_secs(10));
    assert_eq!(ready, vec![arriving.clone()]);
    assert_eq!(
        std::fs::read(&arriving).unwrap(),
        bytes,
        "reported only when complete"
    );

    // Reported once; nothing more without changes.
    assert!(inbox.wait(Duration::from_secs(2)).is_empty());

    // An exam pack arriving is reported too (the app installs it like a course).
    let exam = inbox_dir.join("exam.shexam");
    std::fs::write(&exam, &bytes).unwrap();
    assert_eq!(inbox.wait(Duration::from_secs(10)), vec![exam]);
}
