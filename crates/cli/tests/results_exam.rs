//! `results verify --exam`: a result sat in a profile is checked against its exam pack —
//! the form drawn again from its seed, every item regraded — and a result claimed for
//! another exam is refused.
// The helpers serve only these tests; a failed set-up step should fail the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};

use studyhall_core::Studyhall;
use studyhall_core::exam::pack::build_exam;
use studyhall_core::pack::Quiet;
use studyhall_signing::{SealingKey, SigningKey, StartCode};
use support::{assert_says, cli, new_key, p, text};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/tiny-exam")
}

#[test]
fn a_result_verifies_against_its_exam_pack_and_not_against_another() {
    let dir = tempfile::tempdir().unwrap();
    let publisher = SigningKey::generate().unwrap();
    let publisher_jwk = dir.path().join("publisher.pub.jwk");
    publisher
        .public_key()
        .write_jwk_file(&publisher_jwk)
        .unwrap();
    new_key(dir.path(), "server", "sealing");
    let server_key = dir.path().join("server.key");
    let server = SealingKey::read_file(&server_key).unwrap();
    let pack = dir.path().join("tiny.shexam");
    let build = build_exam(&fixture(), &publisher, &server.public_key(), &pack).unwrap();
    let start_code = build.start_code.to_grouped().to_string();

    // Sat in a profile, submitted, exported with the proctor's PIN.
    let mut app = Studyhall::open(&dir.path().join("profile")).unwrap();
    app.trust_publisher(&publisher.public_key()).unwrap();
    app.trust_server(&server.public_key()).unwrap();
    app.import_pack(&pack, &Quiet).unwrap();
    let paper = app.begin_exam("tiny-exam", &start_code, 0).unwrap();
    let session = paper.session.session_id.clone();
    app.start_exam(&session, &app.exam_system_check(1)).unwrap();
    app.submit_exam(&session).unwrap();
    let key = build
        .manifest
        .start_code
        .unwrap(&StartCode::parse(&start_code).unwrap())
        .unwrap();
    let pin = key.proctor_pin(&build.manifest.binding());
    let file = app
        .export_exam_result(&session, dir.path(), pin.as_str())
        .unwrap();
    drop(key);

    let out = cli(&[
        "results",
        "verify",
        p(&file),
        "--server-key",
        p(&server_key),
        "--exam",
        p(&pack),
        "--trust",
        p(&publisher_jwk),
    ]);
    let report = text(&out);
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("regrading gives the same scores"),
        "{report}"
    );

    // The same exam id and version, built again: another bank key, another pack. The
    // result's form is still the one its seed draws, so it verifies; a different exam
    // (another id) is refused with the reason.
    let other_source = dir.path().join("other-exam");
    copy_tree(&fixture(), &other_source);
    let toml = other_source.join("exam.toml");
    let text_toml = std::fs::read_to_string(&toml)
        .unwrap()
        .replace("id = \"tiny-exam\"", "id = \"other-exam\"");
    std::fs::write(&toml, text_toml).unwrap();
    let other = dir.path().join("other.shexam");
    build_exam(&other_source, &publisher, &server.public_key(), &other).unwrap();
    let out = cli(&[
        "results",
        "verify",
        p(&file),
        "--server-key",
        p(&server_key),
        "--exam",
        p(&other),
        "--trust",
        p(&publisher_jwk),
    ]);
    assert_says(&out, 1, "does not verify");

    // A pack sealed for another server cannot be opened with this server's key.
    let stranger = SealingKey::generate().unwrap();
    let foreign = dir.path().join("foreign.shexam");
    build_exam(&fixture(), &publisher, &stranger.public_key(), &foreign).unwrap();
    let out = cli(&[
        "results",
        "verify",
        p(&file),
        "--server-key",
        p(&server_key),
        "--exam",
        p(&foreign),
        "--trust",
        p(&publisher_jwk),
    ]);
    assert_says(&out, 1, "not sealed to this server key");
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
