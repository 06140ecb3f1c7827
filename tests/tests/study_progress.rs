//! Study progress: events are recorded, never changed, survive new pack versions, and
//! every summary is derived from them.
// The fixture's helpers serve only these tests; a failed set-up step should fail the test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{DateTime, Duration};
use studyhall_core::clock::ManualClock;
use studyhall_core::content::Response;
use studyhall_core::pack::Quiet;
use studyhall_core::{ErrorCode, Studyhall};
use studyhall_tests::{Publisher, copy_tree, fixture};

fn profile_with_tiny_course() -> (tempfile::TempDir, Publisher, Arc<ManualClock>, Studyhall) {
    let dir = tempfile::tempdir().unwrap();
    let publisher = Publisher::new();
    let pack = dir.path().join("tiny.shpack");
    publisher.build(&fixture("tiny-course"), &pack);
    let clock = Arc::new(ManualClock::new(
        DateTime::parse_from_rfc3339("2026-11-20T21:30:00+01:00").unwrap(),
    ));
    let mut studyhall =
        Studyhall::open_with_clock(&dir.path().join("profile"), clock.clone()).unwrap();
    studyhall
        .trust_publisher(&publisher.key.public_key())
        .unwrap();
    studyhall.import_pack(&pack, &Quiet).unwrap();
    (dir, publisher, clock, studyhall)
}

#[test]
fn completion_time_streak_and_accuracy_are_derived_from_events() {
    let (_dir, _publisher, clock, mut studyhall) = profile_with_tiny_course();
    let before = studyhall.course_progress("tiny-course").unwrap();
    assert_eq!(
        (before.completed, before.lessons, before.percent),
        (0, 3, 0)
    );
    assert_eq!(studyhall.streak().unwrap().current_days, 0);

    studyhall.open_lesson("tiny-course", "quorums").unwrap();
    studyhall
        .record_study_time("tiny-course", "quorums", 120)
        .unwrap();
    // An absurd report (a sleeping laptop) counts at most the cap.
    studyhall
        .record_study_time("tiny-course", "quorums", 86_400)
        .unwrap();
    studyhall.complete_lesson("tiny-course", "quorums").unwrap();
    studyhall.complete_lesson("tiny-course", "quorums").unwrap();

    let progress = studyhall.course_progress("tiny-course").unwrap();
    assert_eq!((progress.completed, progress.percent), (1, 33));
    assert_eq!(progress.active_seconds, 120 + 300);
    assert_eq!(progress.completed_lessons, vec!["quorums".to_string()]);
    assert_eq!(progress.modules[0].completed, 1);

    let streak = studyhall.streak().unwrap();
    assert_eq!((streak.current_days, streak.studied_today), (1, true));
    clock.advance(Duration::days(1));
    studyhall.open_lesson("tiny-course", "quiz").unwrap();
    assert_eq!(studyhall.streak().unwrap().current_days, 2);
    clock.advance(Duration::days(2));
    let streak = studyhall.streak().unwrap();
    assert_eq!((streak.current_days, streak.longest_days), (0, 2));

    let right = studyhall
        .answer_question(
            "tiny-course",
            "majority-of-five",
            &Response::Numeric { value: 3.0 },
        )
        .unwrap();
    assert!(right.correct);
    assert!(right.explanation.contains("smallest majority"));
    let wrong = studyhall
        .answer_question(
            "tiny-course",
            "lamport-rule",
            &Response::SingleChoice { choice: "a".into() },
        )
        .unwrap();
    assert!(!wrong.correct);
    let accuracy = studyhall.topic_accuracy("tiny-course").unwrap();
    let quorums = accuracy.iter().find(|t| t.topic_id == "quorums").unwrap();
    let clocks = accuracy.iter().find(|t| t.topic_id == "clocks").unwrap();
    assert_eq!((quorums.answers, quorums.accuracy), (1, Some(1.0)));
    assert_eq!((clocks.answers, clocks.accuracy), (1, Some(0.0)));

    let err = studyhall
        .answer_question(
            "tiny-course",
            "lamport-rule",
            &Response::Numeric { value: 1.0 },
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidAnswer);
    let err = studyhall
        .complete_lesson("tiny-course", "no-such-lesson")
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
}

#[test]
fn progress_survives_a_new_version_of_the_course_and_a_restart() {
    let (dir, publisher, clock, mut studyhall) = profile_with_tiny_course();
    studyhall.complete_lesson("tiny-course", "quorums").unwrap();
    studyhall
        .complete_lesson("tiny-course", "clocks-video")
        .unwrap();

    let v2 = dir.path().join("v2");
    copy_tree(&fixture("tiny-course"), &v2);
    let course = std::fs::read_to_string(v2.join("course.toml")).unwrap();
    std::fs::write(
        v2.join("course.toml"),
        course.replace("version = \"1.0.0\"", "version = \"2.0.0\""),
    )
    .unwrap();
    let pack = dir.path().join("v2.shpack");
    publisher.build(&v2, &pack);
    studyhall.import_pack(&pack, &Quiet).unwrap();
    assert_eq!(
        studyhall.course_progress("tiny-course").unwrap().completed,
        2
    );

    drop(studyhall);
    let studyhall = Studyhall::open_with_clock(&dir.path().join("profile"), clock).unwrap();
    assert_eq!(
        studyhall.course_progress("tiny-course").unwrap().completed,
        2
    );
}

#[test]
fn progress_events_cannot_be_changed_or_deleted() {
    let (dir, _publisher, _clock, mut studyhall) = profile_with_tiny_course();
    studyhall.complete_lesson("tiny-course", "quorums").unwrap();
    drop(studyhall);
    let conn = rusqlite::Connection::open(dir.path().join("profile/studyhall.db")).unwrap();
    let update = conn.execute("UPDATE progress_events SET verb = 'experienced'", []);
    assert!(update.unwrap_err().to_string().contains("immutable"));
    let delete = conn.execute("DELETE FROM progress_events", []);
    assert!(delete.unwrap_err().to_string().contains("never deleted"));
}

#[test]
fn the_library_shows_progress_and_where_to_continue() {
    let (_dir, _publisher, _clock, mut studyhall) = profile_with_tiny_course();
    let course = &studyhall.courses().unwrap()[0];
    assert_eq!((course.completed, course.percent), (0, 0));
    assert_eq!(course.resume_lesson_id.as_deref(), Some("quorums"));

    studyhall.complete_lesson("tiny-course", "quorums").unwrap();
    let course = &studyhall.courses().unwrap()[0];
    assert_eq!((course.completed, course.percent), (1, 33));
    assert_eq!(course.resume_lesson_id.as_deref(), Some("clocks-video"));

    studyhall
        .complete_lesson("tiny-course", "clocks-video")
        .unwrap();
    studyhall.complete_lesson("tiny-course", "quiz").unwrap();
    let course = &studyhall.courses().unwrap()[0];
    assert_eq!((course.completed, course.percent), (3, 100));
    assert_eq!(course.resume_lesson_id, None);
}

#[test]
fn daily_activity_covers_every_day_with_zeros_between() {
    let (_dir, _publisher, clock, mut studyhall) = profile_with_tiny_course();
    studyhall
        .record_study_time("tiny-course", "quorums", 90)
        .unwrap();
    studyhall.complete_lesson("tiny-course", "quorums").unwrap();
    clock.advance(Duration::days(2));
    studyhall
        .answer_question(
            "tiny-course",
            "majority-of-five",
            &Response::Numeric { value: 3.0 },
        )
        .unwrap();
    studyhall
        .record_study_time("tiny-course", "quiz", 30)
        .unwrap();

    let days = studyhall.daily_activity(4).unwrap();
    let summary: Vec<(&str, u32, u32, u32)> = days
        .iter()
        .map(|d| {
            (
                d.day.as_str(),
                d.active_seconds,
                d.lessons_completed,
                d.answers,
            )
        })
        .collect();
    // The clock started at 21:30 on 20 November in UTC+1: local days count.
    assert_eq!(
        summary,
        vec![
            ("2026-11-19", 0, 0, 0),
            ("2026-11-20", 90, 1, 0),
            ("2026-11-21", 0, 0, 0),
            ("2026-11-22", 30, 0, 1),
        ]
    );
    assert_eq!(studyhall.daily_activity(0).unwrap().len(), 1);
    assert_eq!(studyhall.daily_activity(100_000).unwrap().len(), 366);
}

#[test]
fn preferences_are_kept_in_the_profile_and_checked() {
    use studyhall_core::preferences::{Motion, Preferences, Theme};

    let (dir, _publisher, clock, mut studyhall) = profile_with_tiny_course();
    let defaults = studyhall.preferences().unwrap();
    assert_eq!(defaults.theme, Theme::System);
    assert_eq!(defaults.text_scale, 100);
    let profile = dir.path().join("profile");
    assert_eq!(
        std::path::Path::new(&defaults.inbox_folder),
        profile.join("inbox")
    );

    let chosen = Preferences {
        theme: Theme::HighContrast,
        text_scale: 150,
        motion: Motion::Reduce,
        language: Some("de".into()),
        inbox_folder: dir.path().join("usb").display().to_string(),
    };
    studyhall.set_preferences(&chosen).unwrap();
    let refused = Preferences {
        text_scale: 500,
        ..defaults
    };
    let err = studyhall.set_preferences(&refused).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);

    drop(studyhall);
    let studyhall = Studyhall::open_with_clock(&profile, clock).unwrap();
    assert_eq!(studyhall.preferences().unwrap(), chosen);
}

#[test]
fn the_device_key_is_made_once_and_kept_private() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let first = Studyhall::open(&profile).unwrap().device_key_id().clone();
    let again = Studyhall::open(&profile).unwrap().device_key_id().clone();
    assert_eq!(first, again);
    let mode = std::fs::metadata(profile.join("device.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // A damaged key file is reported, not replaced.
    std::fs::write(profile.join("device.key"), "not a key").unwrap();
    let err = Studyhall::open(&profile).unwrap_err();
    assert!(err.to_string().contains("device.key"), "{err}");
}
