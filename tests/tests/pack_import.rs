//! Content packs end to end: build, verify, import, and every way a pack is refused —
//! each refusal with a message naming the file and leaving the profile untouched.
// The fixture's helpers serve only these tests; a failed set-up step should fail the test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use studyhall_core::pack::{self, CONTENT_PREFIX, PackError, PackLimits, Quiet};
use studyhall_core::{Error, ErrorCode, ImportOutcome, Studyhall};
use studyhall_tests::{
    Entry, Publisher, copy_tree, fixture, manifest_of, read_entries, resign, sample_course,
    tree_listing, write_entries,
};
use zip::CompressionMethod;

struct Setup {
    publisher: Publisher,
    dir: tempfile::TempDir,
    good: PathBuf,
}

fn setup() -> Setup {
    let publisher = Publisher::new();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("tiny.shpack");
    publisher.build(&fixture("tiny-course"), &good);
    Setup {
        publisher,
        dir,
        good,
    }
}

impl Setup {
    fn profile(&self) -> Studyhall {
        let mut studyhall = Studyhall::open(&self.dir.path().join("profile")).unwrap();
        studyhall
            .trust_publisher(&self.publisher.key.public_key())
            .unwrap();
        studyhall
    }

    /// Writes `entries` as a new pack and returns its path.
    fn write(&self, name: &str, entries: &[Entry]) -> PathBuf {
        let path = self.dir.path().join(name);
        write_entries(&path, entries);
        path
    }

    /// Imports `bad` into a profile that already holds the good pack, and checks the
    /// import fails without changing anything. Returns the error message.
    fn refused(&self, bad: &Path) -> (ErrorCode, String) {
        let mut studyhall = self.profile();
        studyhall.import_pack(&self.good, &Quiet).unwrap();
        let before = tree_listing(studyhall.profile_dir());
        let courses_before = studyhall.courses().unwrap();
        let err = studyhall.import_pack(bad, &Quiet).unwrap_err();
        assert_eq!(
            tree_listing(studyhall.profile_dir()),
            before,
            "files changed"
        );
        assert_eq!(studyhall.courses().unwrap(), courses_before);
        // `pack verify` runs the same checks and must agree.
        let verify = pack::open(bad, &self.publisher.trust(), &PackLimits::default())
            .and_then(|r| r.read_all(None, None, &Quiet));
        assert!(verify.is_err(), "verify accepted what import refused");
        (err.code(), err.to_string())
    }
}

fn entry_mut<'a>(entries: &'a mut [Entry], name: &str) -> &'a mut Entry {
    entries.iter_mut().find(|e| e.name == name).unwrap()
}

#[test]
fn the_sample_course_builds_verifies_and_imports() {
    let publisher = Publisher::new();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dwcp.shpack");
    let manifest = publisher.build(&sample_course(), &out);
    assert_eq!(manifest.id, "dwcp-fundamentals");
    assert!(manifest.modules.len() >= 3);

    let contents = pack::open(&out, &publisher.trust(), &PackLimits::default())
        .unwrap()
        .read_all(None, None, &Quiet)
        .unwrap();
    let articles = contents
        .course
        .lessons
        .iter()
        .filter(|l| l.kind() == studyhall_core::content::LessonKind::Article)
        .count();
    assert!(articles >= 12, "{articles} article lessons");
    assert!(contents.course.questions.len() >= 40);

    let mut studyhall = Studyhall::open(&dir.path().join("profile")).unwrap();
    studyhall
        .trust_publisher(&publisher.key.public_key())
        .unwrap();
    let outcome = studyhall.import_pack(&out, &Quiet).unwrap();
    assert!(matches!(outcome, ImportOutcome::Installed { .. }));
    let courses = studyhall.courses().unwrap();
    assert_eq!(courses.len(), 1);
    assert_eq!(courses[0].title, "DWCP Fundamentals");
    assert_eq!(courses[0].lessons as usize, contents.course.lessons.len());

    // Search finds lesson text, ranks the lesson about the word first, highlights it,
    // and reaches into the video transcript.
    let hits = studyhall.search("anti-entropy", 10).unwrap();
    assert!(!hits.is_empty());
    assert!(hits[0].snippet.contains('\u{2}'));
    let video_hits = studyhall.search("randomised timeout", 50).unwrap();
    assert!(
        video_hits.iter().any(|h| h.item_id == "consensus-tour")
            || !studyhall.search("election", 50).unwrap().is_empty()
    );
    // Passages read as the rendered lesson does: no Markdown markup or link targets.
    let hits = studyhall.search("deceptively simple question", 5).unwrap();
    let passage = &hits[0].passage;
    assert!(
        passage.contains("deceptively simple question: which workload"),
        "{passage}"
    );
    assert!(!passage.contains("**"), "{passage}");
}

#[test]
fn search_ranks_titles_and_reads_transcripts() {
    let s = setup();
    let mut studyhall = s.profile();
    studyhall.import_pack(&s.good, &Quiet).unwrap();
    let hits = studyhall.search("quorum", 10).unwrap();
    assert_eq!(hits[0].item_id, "quorums", "{hits:?}");
    assert_eq!(hits[0].title, "Majority quorums");
    assert_eq!(hits[0].lesson_id.as_deref(), Some("quorums"));
    // Words only in the video's transcript.
    let hits = studyhall.search("wall clock", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].item_id, "clocks-video");
    // A prefix matches while typing; questions are found, named by their quiz and open it.
    let hits = studyhall.search("lampo", 10).unwrap();
    assert!(
        hits.iter().any(|h| h.item_id == "lamport-rule"
            && h.title == "Check yourself"
            && h.lesson_id.as_deref() == Some("quiz")),
        "{hits:?}"
    );
    assert!(
        studyhall
            .search("\"; DROP TABLE lessons; --", 10)
            .unwrap()
            .is_empty()
    );
    assert!(studyhall.search("", 10).unwrap().is_empty());
}

#[test]
fn reimporting_the_same_version_changes_nothing() {
    let s = setup();
    let mut studyhall = s.profile();
    studyhall.import_pack(&s.good, &Quiet).unwrap();
    let before = tree_listing(studyhall.profile_dir());
    let outcome = studyhall.import_pack(&s.good, &Quiet).unwrap();
    assert!(matches!(outcome, ImportOutcome::Unchanged { .. }));
    assert_eq!(tree_listing(studyhall.profile_dir()), before);
}

#[test]
fn a_newer_version_replaces_the_content_and_an_older_one_is_refused() {
    let s = setup();
    let v2_folder = s.dir.path().join("v2");
    copy_tree(&fixture("tiny-course"), &v2_folder);
    let course = std::fs::read_to_string(v2_folder.join("course.toml")).unwrap();
    std::fs::write(
        v2_folder.join("course.toml"),
        course
            .replace("version = \"1.0.0\"", "version = \"1.1.0\"")
            .replace(
                "title = \"Tiny course\"",
                "title = \"Tiny course, revised\"",
            ),
    )
    .unwrap();
    std::fs::write(v2_folder.join("media/clip.webm"), b"a different clip").unwrap();
    let v2 = s.dir.path().join("v2.shpack");
    s.publisher.build(&v2_folder, &v2);

    let mut studyhall = s.profile();
    studyhall.import_pack(&s.good, &Quiet).unwrap();
    let outcome = studyhall.import_pack(&v2, &Quiet).unwrap();
    assert_eq!(
        outcome,
        ImportOutcome::Updated {
            pack_id: "tiny-course".into(),
            from: "1.0.0".into(),
            to: "1.1.0".into()
        }
    );
    let courses = studyhall.courses().unwrap();
    assert_eq!(courses.len(), 1);
    assert_eq!(courses[0].title, "Tiny course, revised");
    // The old archive is gone; only one pack file is kept.
    let packs = std::fs::read_dir(studyhall.profile_dir().join("content/packs"))
        .unwrap()
        .count();
    assert_eq!(packs, 1);

    let err = studyhall.import_pack(&s.good, &Quiet).unwrap_err();
    assert_eq!(err.code(), ErrorCode::OlderPack);
    assert!(
        err.to_string()
            .contains("version 1.1.0 is already installed"),
        "{err}"
    );
}

#[test]
fn an_unsigned_pack_is_refused() {
    let s = setup();
    let mut entries = read_entries(&s.good);
    entries.retain(|e| e.name != "manifest.jws");
    let bad = s.write("unsigned.shpack", &entries);
    let (code, msg) = s.refused(&bad);
    assert_eq!(code, ErrorCode::InvalidPack);
    assert!(msg.contains("unsigned.shpack has no manifest.jws"), "{msg}");
}

#[test]
fn a_pack_signed_by_an_unknown_key_is_refused() {
    let s = setup();
    let stranger = Publisher::new();
    let mut entries = read_entries(&s.good);
    let mut manifest = manifest_of(&entries);
    manifest.publisher_kid = stranger.key.key_id().clone();
    resign(&mut entries, &manifest, &stranger.key);
    let bad = s.write("stranger.shpack", &entries);
    let (code, msg) = s.refused(&bad);
    assert_eq!(code, ErrorCode::UntrustedPack);
    assert!(msg.contains(stranger.key.key_id().as_str()), "{msg}");
    assert!(msg.contains("does not trust"), "{msg}");
}

#[test]
fn a_manifest_changed_after_signing_is_refused() {
    let s = setup();
    let mut entries = read_entries(&s.good);
    let token = String::from_utf8(entry_mut(&mut entries, "manifest.jws").data.clone()).unwrap();
    // Swap in a payload that claims a different title, keeping the original signature.
    let parts: Vec<&str> = token.split('.').collect();
    let mut manifest = manifest_of(&entries);
    manifest.title = "Free certificate".into();
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&manifest).unwrap());
    entry_mut(&mut entries, "manifest.jws").data =
        format!("{}.{}.{}", parts[0], payload, parts[2]).into_bytes();
    let bad = s.write("forged.shpack", &entries);
    let (code, msg) = s.refused(&bad);
    assert_eq!(code, ErrorCode::InvalidPack);
    assert!(
        msg.contains("signature on manifest.jws does not match"),
        "{msg}"
    );
}

#[test]
fn a_file_changed_after_signing_is_refused_by_name() {
    let s = setup();
    let mut entries = read_entries(&s.good);
    entry_mut(&mut entries, "content/lessons/01-quorums.md")
        .data
        .extend_from_slice(b"\nAn extra line.");
    let bad = s.write("changed.shpack", &entries);
    let (_, msg) = s.refused(&bad);
    assert!(msg.contains("lessons/01-quorums.md"), "{msg}");
    assert!(msg.contains("signed manifest"), "{msg}");

    // Same size, different bytes: caught by the hash.
    let mut entries = read_entries(&s.good);
    let data = &mut entry_mut(&mut entries, "content/media/clip.webm").data;
    data[100] ^= 0x01;
    let bad = s.write("flipped.shpack", &entries);
    let (_, msg) = s.refused(&bad);
    assert!(msg.contains("media/clip.webm"), "{msg}");
    assert!(msg.contains("SHA-256 mismatch"), "{msg}");
}

#[test]
fn files_missing_from_or_added_to_the_pack_are_refused() {
    let s = setup();
    let mut entries = read_entries(&s.good);
    entries.retain(|e| e.name != "content/media/overlap.svg");
    let (_, msg) = s.refused(&s.write("missing.shpack", &entries));
    assert!(
        msg.contains("media/overlap.svg") && msg.contains("missing from the pack"),
        "{msg}"
    );

    let mut entries = read_entries(&s.good);
    entries.push(Entry {
        name: "content/media/extra.svg".into(),
        data: b"<svg/>".to_vec(),
        method: CompressionMethod::Deflated,
        unix_mode: None,
    });
    let (_, msg) = s.refused(&s.write("extra.shpack", &entries));
    assert!(
        msg.contains("media/extra.svg") && msg.contains("not listed"),
        "{msg}"
    );
}

fn refused_entry_name(name: &str) -> String {
    let s = setup();
    let mut entries = read_entries(&s.good);
    let mut manifest = manifest_of(&entries);
    // A publisher's own key signs the hostile name, so only the name checks can catch it.
    let data = b"owned".to_vec();
    manifest.files.push(pack::ManifestFile {
        path: name.trim_start_matches(CONTENT_PREFIX).to_owned(),
        size: data.len() as u64,
        sha256: studyhall_signing::hash::sha256(&data),
    });
    resign(&mut entries, &manifest, &s.publisher.key);
    entries.push(Entry {
        name: name.to_owned(),
        data,
        method: CompressionMethod::Stored,
        unix_mode: None,
    });
    let (code, msg) = s.refused(&s.write("hostile.shpack", &entries));
    assert_eq!(code, ErrorCode::InvalidPack);
    msg
}

#[test]
fn path_traversal_is_refused() {
    let msg = refused_entry_name("content/../../evil.sh");
    assert!(
        msg.contains("content/../../evil.sh") && msg.contains("path traversal"),
        "{msg}"
    );
}

#[test]
fn absolute_paths_are_refused() {
    let msg = refused_entry_name("/etc/cron.d/evil");
    assert!(
        msg.contains("/etc/cron.d/evil") && msg.contains("absolute path"),
        "{msg}"
    );
}

#[test]
fn entries_outside_content_are_refused() {
    let msg = refused_entry_name("autorun.sh");
    assert!(
        msg.contains("autorun.sh") && msg.contains("only manifest.jws and files under content/"),
        "{msg}"
    );
}

#[test]
fn symbolic_links_are_refused() {
    let s = setup();
    let mut entries = read_entries(&s.good);
    entries.push(Entry {
        name: "content/media/passwd".into(),
        data: b"/etc/passwd".to_vec(),
        method: CompressionMethod::Stored,
        unix_mode: Some(0o120777),
    });
    let (_, msg) = s.refused(&s.write("link.shpack", &entries));
    assert!(
        msg.contains("content/media/passwd") && msg.contains("symbolic link"),
        "{msg}"
    );
}

#[test]
fn duplicate_entries_are_refused() {
    let s = setup();
    let mut entries = read_entries(&s.good);
    let mut twin = entries
        .iter()
        .find(|e| e.name == "content/lessons/01-quorums.md")
        .unwrap()
        .clone();
    twin.data = b"---\nid: quorums\n---\nother".to_vec();
    entries.push(twin);
    let bad = s.dir.path().join("twins.shpack");
    // The zip writer refuses duplicates, so write the twin under a same-length name and
    // patch the name bytes afterwards.
    let renamed: Vec<Entry> = entries
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, mut e)| {
            if i == entries.len() - 1 {
                e.name = "content/lessons/01-quorumX.md".into();
            }
            e
        })
        .collect();
    write_entries(&bad, &renamed);
    let mut bytes = std::fs::read(&bad).unwrap();
    let from = b"content/lessons/01-quorumX.md";
    let to = b"content/lessons/01-quorums.md";
    let mut patched = 0;
    for i in 0..bytes.len() - from.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "local and central headers");
    std::fs::write(&bad, bytes).unwrap();
    let (_, msg) = s.refused(&bad);
    assert!(msg.contains("same file name twice"), "{msg}");
}

#[test]
fn zip_bombs_and_oversize_entries_are_refused() {
    let s = setup();
    let mut entries = read_entries(&s.good);
    let mut manifest = manifest_of(&entries);
    let bomb = vec![0u8; 64 << 20];
    manifest.files.push(pack::ManifestFile {
        path: "media/zeros.svg".into(),
        size: bomb.len() as u64,
        sha256: studyhall_signing::hash::sha256(&bomb),
    });
    resign(&mut entries, &manifest, &s.publisher.key);
    entries.push(Entry {
        name: "content/media/zeros.svg".into(),
        data: bomb,
        method: CompressionMethod::Deflated,
        unix_mode: None,
    });
    let bad = s.write("bomb.shpack", &entries);
    let (_, msg) = s.refused(&bad);
    assert!(
        msg.contains("content/media/zeros.svg") && msg.contains("zip bomb"),
        "{msg}"
    );

    // An entry over the size limit is refused before a byte of it is read.
    let limits = PackLimits {
        max_entry_bytes: 1000,
        ..PackLimits::default()
    };
    let err = pack::open(&s.good, &s.publisher.trust(), &limits).unwrap_err();
    assert!(err.to_string().contains("content/media/clip.webm"), "{err}");
    assert!(
        err.to_string()
            .contains("more than the limit of 1000 bytes"),
        "{err}"
    );
}

#[test]
fn an_entry_larger_than_it_claims_is_refused() {
    // The manifest says 10 bytes; the entry inflates to far more. Reading stops at the
    // claimed size.
    let s = setup();
    let mut entries = read_entries(&s.good);
    let mut manifest = manifest_of(&entries);
    manifest.files.push(pack::ManifestFile {
        path: "media/liar.svg".into(),
        size: 10,
        sha256: studyhall_signing::hash::sha256(b"0123456789"),
    });
    resign(&mut entries, &manifest, &s.publisher.key);
    entries.push(Entry {
        name: "content/media/liar.svg".into(),
        data: vec![b'x'; 5000],
        method: CompressionMethod::Deflated,
        unix_mode: None,
    });
    let (_, msg) = s.refused(&s.write("liar.shpack", &entries));
    assert!(
        msg.contains("media/liar.svg") && msg.contains("10"),
        "{msg}"
    );
}

#[test]
fn not_a_zip_is_refused_clearly() {
    let s = setup();
    let bad = s.dir.path().join("notes.shpack");
    std::fs::write(&bad, b"these are my notes, not a pack").unwrap();
    let (_, msg) = s.refused(&bad);
    assert!(
        msg.contains("notes.shpack is not a Studyhall pack"),
        "{msg}"
    );

    // A pack cut short in transfer.
    let bytes = std::fs::read(&s.good).unwrap();
    let cut = s.dir.path().join("cut.shpack");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (_, msg) = s.refused(&cut);
    assert!(msg.contains("cut.shpack is not a Studyhall pack"), "{msg}");
}

/// A signed pack whose content breaks the course rules (a publisher with a buggy tool).
fn refused_content(path: &str, edit: impl Fn(&str) -> String) -> String {
    let s = setup();
    let mut entries = read_entries(&s.good);
    let name = format!("{CONTENT_PREFIX}{path}");
    let entry = entry_mut(&mut entries, &name);
    entry.data = edit(&String::from_utf8(entry.data.clone()).unwrap()).into_bytes();
    let data = entry.data.clone();
    let mut manifest = manifest_of(&entries);
    let file = manifest.files.iter_mut().find(|f| f.path == path).unwrap();
    file.size = data.len() as u64;
    file.sha256 = studyhall_signing::hash::sha256(&data);
    resign(&mut entries, &manifest, &s.publisher.key);
    let (code, msg) = s.refused(&s.write("content.shpack", &entries));
    assert_eq!(code, ErrorCode::InvalidPack);
    msg
}

#[test]
fn malformed_front_matter_is_refused_with_file_and_line() {
    let msg = refused_content("lessons/01-quorums.md", |t| {
        t.replace("minutes: 5", "minutes: [five")
    });
    assert!(msg.contains("lessons/01-quorums.md, line 6"), "{msg}");
}

#[test]
fn malformed_toml_is_refused_with_file_and_line() {
    let msg = refused_content("questions/bank.toml", |t| {
        t.replace("correct = 3", "correct = = 3")
    });
    assert!(msg.contains("questions/bank.toml, line 6"), "{msg}");
}

#[test]
fn duplicate_ids_are_refused() {
    let msg = refused_content("lessons/03-quiz.md", |t| {
        t.replace("id: quiz", "id: quorums")
    });
    assert!(
        msg.contains("lesson id 'quorums' is already used by lessons/01-quorums.md"),
        "{msg}"
    );

    let msg = refused_content("questions/bank.toml", |t| {
        t.replace("id = \"lamport-rule\"", "id = \"majority-of-five\"")
            .replace("[majority-of-five, lamport-rule]", "[majority-of-five]")
    });
    assert!(
        msg.contains("question id 'majority-of-five' is already used"),
        "{msg}"
    );
}

#[test]
fn the_author_folder_is_checked_at_build_time_too() {
    let publisher = Publisher::new();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("course");
    copy_tree(&fixture("tiny-course"), &folder);
    let lesson = folder.join("lessons/01-quorums.md");
    let text = std::fs::read_to_string(&lesson).unwrap();
    std::fs::write(
        &lesson,
        text.replace("../media/overlap.svg", "../media/missing.svg"),
    )
    .unwrap();
    let out = dir.path().join("x.shpack");
    let err = pack::build(&folder, &publisher.key, &out, &Quiet).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("lessons/01-quorums.md, line 10"), "{msg}");
    assert!(msg.contains("../media/missing.svg"), "{msg}");
    assert!(!out.exists(), "a failed build leaves no pack");

    std::fs::write(&lesson, text).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", folder.join("media/passwd")).unwrap();
    let err = pack::build(&folder, &publisher.key, &out, &Quiet).unwrap_err();
    assert!(matches!(err, PackError::Source { .. }));
    assert!(err.to_string().contains("media/passwd") && err.to_string().contains("symbolic link"));
}

#[test]
fn tampering_with_any_byte_of_any_file_is_detected() {
    let s = setup();
    let trust = s.publisher.trust();
    let original = std::fs::read(&s.good).unwrap();
    let entries = read_entries(&s.good);
    // Locate each entry's data in the archive, then flip every byte of it, one at a time.
    let archive = zip::ZipArchive::new(std::fs::File::open(&s.good).unwrap()).unwrap();
    let mut ranges = Vec::new();
    let mut archive = archive;
    for i in 0..archive.len() {
        let file = archive.by_index_raw(i).unwrap();
        let start = file.data_start().unwrap() as usize;
        ranges.push((
            file.name().unwrap().to_string(),
            start,
            start + file.compressed_size() as usize,
        ));
    }
    assert_eq!(ranges.len(), entries.len());
    let bad = s.dir.path().join("flipped.shpack");
    let mut checked = 0;
    let mut padding = 0;
    for (name, start, end) in &ranges {
        for at in *start..*end {
            let mut bytes = original.clone();
            bytes[at] ^= 0x20;
            std::fs::write(&bad, &bytes).unwrap();
            let outcome = pack::open(&bad, &trust, &PackLimits::default())
                .and_then(|r| r.read_all(None, None, &Quiet));
            if outcome.is_ok() {
                // Only acceptable when no file changed: the unused padding bits that end a
                // deflate stream carry no content.
                let after = read_entries(&bad);
                let same = after.len() == entries.len()
                    && after
                        .iter()
                        .zip(&entries)
                        .all(|(a, b)| a.name == b.name && a.data == b.data);
                assert!(same, "flipping byte {at} of {name} changed it unnoticed");
                padding += 1;
            }
            checked += 1;
        }
    }
    assert!(checked > 3000, "only {checked} bytes checked");
    assert!(padding < ranges.len(), "{padding} flips landed in padding");
    assert!(matches!(
        Studyhall::open(&s.dir.path().join("p"))
            .unwrap()
            .import_pack(&bad, &Quiet),
        Err(Error::Pack(_))
    ));
}
