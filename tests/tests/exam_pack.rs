//! Exam packs: built from an author folder with the item bank encrypted, unlocked by the
//! proctor's start code or the server's release, and refused — with the reason — when
//! damaged, foreign or untrusted.
// The helpers serve only these tests; a failed set-up step should fail the test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use studyhall_core::exam::form::{FormSeed, assemble};
use studyhall_core::exam::pack::{ExamSource, build_exam, open_exam};
use studyhall_core::pack::PackError;
use studyhall_signing::{ContentKey, SealingKey, SigningError};
use studyhall_tests::{Entry, Publisher, copy_tree, fixture, read_entries, write_entries};

struct Built {
    dir: tempfile::TempDir,
    publisher: Publisher,
    server: SealingKey,
    pack: PathBuf,
    start_code: String,
}

fn built() -> Built {
    let dir = tempfile::tempdir().unwrap();
    let publisher = Publisher::new();
    let server = SealingKey::generate().unwrap();
    let pack = dir.path().join("tiny.shexam");
    let build = build_exam(
        &fixture("tiny-exam"),
        &publisher.key,
        &server.public_key(),
        &pack,
    )
    .unwrap();
    assert_eq!(build.manifest.bank_items, 5);
    Built {
        dir,
        publisher,
        server,
        pack,
        start_code: build.start_code.to_grouped().to_string(),
    }
}

#[test]
fn the_start_code_unlocks_the_bank_and_nothing_is_readable_before() {
    let b = built();
    let source = ExamSource::load(&fixture("tiny-exam")).unwrap();

    // No prompt, choice or explanation appears in the file.
    let bytes = std::fs::read(&b.pack).unwrap();
    for question in &source.bank {
        for text in [&question.prompt, &question.explanation] {
            let needle = &text.as_bytes()[..24.min(text.len())];
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "'{text}' is readable in the pack"
            );
        }
    }

    let pack = open_exam(&b.pack, &b.publisher.trust()).unwrap();
    assert_eq!(pack.manifest.id, "tiny-exam");
    assert_eq!(pack.manifest.blueprint.time_limit_minutes, Some(20));
    // Typed by a person: lower case, spaces, O for 0 and l for 1 are all fine.
    let typed = b
        .start_code
        .to_lowercase()
        .replace('-', " ")
        .replace('0', "o")
        .replace('1', "l");
    let unlocked = pack.unlock_with_start_code(&typed).unwrap();
    assert_eq!(unlocked.bank, source.bank);
    let form = assemble(
        &unlocked.manifest.blueprint,
        &unlocked.bank,
        &FormSeed::random(),
    )
    .unwrap();
    assert_eq!(form.sections.len(), 2);
    assert_eq!(form.sections[0].items.len(), 2);
}

#[test]
fn a_wrong_start_code_is_refused() {
    let b = built();
    let pack = open_exam(&b.pack, &b.publisher.trust()).unwrap();
    let mut wrong = b.start_code.clone().into_bytes();
    wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
    let err = pack
        .unlock_with_start_code(&String::from_utf8(wrong).unwrap())
        .unwrap_err();
    assert!(
        matches!(err, PackError::Signing(SigningError::WrongStartCode)),
        "{err}"
    );
    assert!(
        err.to_string().to_lowercase().contains("start code"),
        "{err}"
    );
}

#[test]
fn the_server_can_release_the_key_for_this_exam_only() {
    let b = built();
    let pack = open_exam(&b.pack, &b.publisher.trust()).unwrap();
    let key =
        ContentKey::unwrap_released(&b.server, &pack.manifest.release, &pack.manifest.binding())
            .unwrap();
    // Bound to this exam: the same envelope does not open as another exam's.
    assert!(
        ContentKey::unwrap_released(
            &b.server,
            &pack.manifest.release,
            b"studyhall exam v1\0other-exam\x001.0.0",
        )
        .is_err()
    );
    let unlocked = pack.unlock_with_key(&key).unwrap();
    assert_eq!(unlocked.bank.len(), 5);
}

#[test]
fn damaged_foreign_and_untrusted_packs_are_refused() {
    let b = built();
    let trust = b.publisher.trust();
    let entries = read_entries(&b.pack);
    let write = |name: &str, entries: &[Entry]| {
        let path = b.dir.path().join(name);
        write_entries(&path, entries);
        path
    };

    let mut flipped = entries.clone();
    let bank = flipped.iter_mut().find(|e| e.name == "bank.enc").unwrap();
    let middle = bank.data.len() / 2;
    bank.data[middle] ^= 1;
    let err = open_exam(&write("flipped.shexam", &flipped), &trust).unwrap_err();
    assert!(matches!(err, PackError::Tampered { .. }), "{err}");
    assert!(err.to_string().contains("bank.enc"), "{err}");

    let mut extra = entries.clone();
    extra.push(Entry {
        name: "answers.txt".into(),
        data: b"b, true, 4".to_vec(),
        method: zip::CompressionMethod::Stored,
        unix_mode: None,
    });
    let err = open_exam(&write("extra.shexam", &extra), &trust).unwrap_err();
    assert!(err.to_string().contains("answers.txt"), "{err}");

    let stranger = Publisher::new();
    let err = open_exam(&b.pack, &stranger.trust()).unwrap_err();
    assert!(matches!(err, PackError::UntrustedPublisher { .. }), "{err}");

    // A course pack is not an exam pack.
    let course = b.dir.path().join("course.shpack");
    b.publisher.build(&fixture("tiny-course"), &course);
    assert!(open_exam(&course, &trust).is_err());
}

#[test]
fn authoring_mistakes_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("exam");
    copy_tree(&fixture("tiny-exam"), &folder);
    let exam_toml = folder.join("exam.toml");
    let text = std::fs::read_to_string(&exam_toml).unwrap();
    std::fs::write(&exam_toml, text.replace("count = 1", "count = 3")).unwrap();
    let err = ExamSource::load(&folder).unwrap_err();
    assert_eq!(err.file, "exam.toml");
    assert!(err.line.is_some(), "{err}");
    assert!(
        err.message.contains("draws 3 item(s) on topic 'clocks'"),
        "{err}"
    );
    assert!(err.message.contains("has 2 such item(s)"), "{err}");
}
