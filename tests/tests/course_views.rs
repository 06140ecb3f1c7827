//! What the study screens read: outline, lessons, quizzes without answer keys, media bytes.
// The fixture's helpers serve only these tests; a failed set-up step should fail the test.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Seek, SeekFrom};

use studyhall_core::Studyhall;
use studyhall_core::content::LessonKind;
use studyhall_core::pack::Quiet;
use studyhall_tests::{Publisher, fixture};

fn installed() -> (tempfile::TempDir, Studyhall) {
    let dir = tempfile::tempdir().unwrap();
    let publisher = Publisher::new();
    let pack = dir.path().join("tiny.shpack");
    publisher.build(&fixture("tiny-course"), &pack);
    let mut studyhall = Studyhall::open(&dir.path().join("profile")).unwrap();
    studyhall
        .trust_publisher(&publisher.key.public_key())
        .unwrap();
    studyhall.import_pack(&pack, &Quiet).unwrap();
    (dir, studyhall)
}

#[test]
fn the_outline_lists_lessons_in_order_with_completion() {
    let (_dir, mut studyhall) = installed();
    studyhall
        .complete_lesson("tiny-course", "clocks-video")
        .unwrap();
    let outline = studyhall.course_outline("tiny-course").unwrap();
    let lessons = &outline.modules[0].lessons;
    let ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, ["quorums", "clocks-video", "quiz"]);
    assert_eq!(
        lessons.iter().map(|l| l.completed).collect::<Vec<_>>(),
        [false, true, false]
    );
    assert_eq!(lessons[1].kind, LessonKind::Video);
    assert!(studyhall.course_outline("nope").is_err());
}

#[test]
fn a_video_lesson_carries_chapters_and_its_transcript() {
    let (_dir, studyhall) = installed();
    let lesson = studyhall.lesson("tiny-course", "clocks-video").unwrap();
    assert_eq!(lesson.previous.as_deref(), Some("quorums"));
    assert_eq!(lesson.next.as_deref(), Some("quiz"));
    let video = lesson.video.unwrap();
    assert_eq!(video.path, "media/clip.webm");
    assert_eq!(video.mime, "video/webm");
    assert_eq!(video.chapters[1].at, 30);
    assert_eq!(video.transcript.len(), 2);
    assert_eq!(video.transcript[1].start, 30.0);
    assert!(video.transcript[1].text.starts_with("Lamport timestamps"));
}

#[test]
fn a_quiz_is_shown_without_its_answer_keys() {
    let (_dir, studyhall) = installed();
    let lesson = studyhall.lesson("tiny-course", "quiz").unwrap();
    let quiz = lesson.quiz.unwrap();
    assert_eq!(quiz.questions.len(), 2);
    assert_eq!(quiz.pass_percent, 70);
    let json = serde_json::to_string(&quiz).unwrap();
    assert!(!json.contains("correct"), "{json}");
    assert!(!json.contains("explanation"), "{json}");
    assert!(!json.contains("smallest majority"), "{json}");
    assert_eq!(quiz.questions[1].options.len(), 2);
}

#[test]
fn media_bytes_are_exactly_the_authored_files() {
    let (_dir, studyhall) = installed();
    for path in ["media/clip.webm", "media/overlap.svg"] {
        let at = studyhall.media("tiny-course", path).unwrap();
        let mut file = std::fs::File::open(&at.file).unwrap();
        file.seek(SeekFrom::Start(at.offset)).unwrap();
        let mut bytes = vec![0; at.length as usize];
        file.read_exact(&mut bytes).unwrap();
        let authored = std::fs::read(fixture("tiny-course").join(path)).unwrap();
        assert_eq!(bytes, authored, "{path}");
    }
    assert_eq!(
        studyhall
            .media("tiny-course", "media/overlap.svg")
            .unwrap()
            .mime,
        "image/svg+xml"
    );
    assert!(studyhall.media("tiny-course", "../course.toml").is_err());
}

#[test]
fn notes_and_bookmarks() {
    let (dir, mut studyhall) = installed();
    let note = studyhall
        .add_note(
            "tiny-course",
            "quorums",
            "Any two majorities overlap.",
            "Why: pigeonhole.",
        )
        .unwrap();
    studyhall
        .add_note("tiny-course", "quiz", "", "Retake on Friday")
        .unwrap();
    studyhall.edit_note(&note.id, "Why: 3 + 3 > 5.").unwrap();
    let notes = studyhall.notes("tiny-course", Some("quorums")).unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].body, "Why: 3 + 3 > 5.");
    assert_eq!(notes[0].quote, "Any two majorities overlap.");
    assert_eq!(studyhall.notes("tiny-course", None).unwrap().len(), 2);
    assert!(
        studyhall
            .add_note("tiny-course", "quorums", "", "   ")
            .is_err()
    );
    assert!(studyhall.add_note("tiny-course", "ghost", "", "x").is_err());

    studyhall
        .set_bookmark("tiny-course", "clocks-video", true)
        .unwrap();
    studyhall
        .set_bookmark("tiny-course", "clocks-video", true)
        .unwrap();
    let marks = studyhall.bookmarks().unwrap();
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].lesson_title, "Clocks in two minutes");

    // Both survive a restart; deleting and unbookmarking work.
    drop(studyhall);
    let mut studyhall = Studyhall::open(&dir.path().join("profile")).unwrap();
    assert_eq!(studyhall.notes("tiny-course", None).unwrap().len(), 2);
    studyhall.delete_note(&note.id).unwrap();
    assert!(studyhall.delete_note(&note.id).is_err());
    studyhall
        .set_bookmark("tiny-course", "clocks-video", false)
        .unwrap();
    assert!(studyhall.bookmarks().unwrap().is_empty());
}
