//! The app as a person uses it: the built `studyhall` binary in a real window on a
//! virtual display, driven over WebDriver (see `studyhall_tests::e2e`). Each flow saves
//! screenshots of the screens it passes through to `artifacts/e2e/` and checks each of
//! them with axe-core.
//!
//! Needs the app built first (`cargo xtask test` does it); fails, never skips, without it.

use fantoccini::Locator;
use studyhall_core::SearchHitKind;
use studyhall_tests::e2e::{App, Profile, run_serially};

#[test]
fn the_library_lists_the_installed_sample_course() {
    run_serially(async {
        let profile = Profile::with_sample_course();
        let course = profile.open().courses().unwrap().remove(0);
        let app = App::launch("library", &profile.path()).await;

        app.wait_for(
            Locator::XPath("//h1[normalize-space()='Library']"),
            "the library heading",
        )
        .await;
        let card_title = format!("//article//h2[normalize-space()='{}']", course.title);
        app.wait_for(Locator::XPath(&card_title), "the sample course's card")
            .await;
        let text = app.page_text().await;
        assert!(
            text.contains(&course.summary),
            "no course summary in:\n{text}"
        );

        app.screenshot("library").await;
        app.check_accessibility("library").await;
    });
}

const SAMPLE: &str = "dwcp-fundamentals";

#[test]
fn a_pack_copied_into_the_inbox_folder_appears_in_the_library() {
    run_serially(async {
        let profile = Profile::empty();
        let app = App::launch("inbox", &profile.path()).await;

        app.wait_for(
            Locator::XPath("//h2[normalize-space()='Your library is empty']"),
            "the empty library",
        )
        .await;
        app.screenshot("empty-library").await;
        app.check_accessibility("empty library").await;

        // The inbox folder is `<profile>/inbox` unless the learner picked another.
        let inbox = profile.path().join("inbox");
        std::fs::create_dir_all(&inbox).unwrap();
        std::fs::copy(&profile.sample_pack, inbox.join("dwcp-fundamentals.shpack")).unwrap();

        app.wait_for(
            Locator::XPath("//article//h2[normalize-space()='DWCP Fundamentals']"),
            "the imported course's card",
        )
        .await;
        app.wait_for_text("installed version 1.0.0").await;
        app.screenshot("imported").await;
        let courses = profile.open().courses().unwrap();
        assert_eq!(courses.len(), 1, "the app did not install the pack");
    });
}

#[test]
fn completion_bookmarks_and_notes_survive_a_restart() {
    run_serially(async {
        let profile = Profile::with_sample_course();
        let outline = profile.open().course_outline(SAMPLE).unwrap();
        let first = outline.modules[0].lessons[0].clone();
        let mut app = App::launch("study", &profile.path()).await;

        app.click(
            Locator::XPath("//a[contains(normalize-space(), 'Open course')]"),
            "the card's Open course link",
        )
        .await;
        app.wait_for(
            Locator::XPath(&format!("//h1[normalize-space()='{}']", outline.title)),
            "the course outline",
        )
        .await;
        app.wait_for_text(&outline.modules[1].title).await;
        app.screenshot("course").await;
        app.check_accessibility("course outline").await;

        app.click(
            Locator::XPath(&format!(
                "//main//a[contains(normalize-space(), '{}')]",
                first.title
            )),
            "the first lesson in the outline",
        )
        .await;
        app.wait_for(
            Locator::XPath(&format!("//h1[normalize-space()='{}']", first.title)),
            "the first lesson",
        )
        .await;
        app.screenshot("lesson").await;
        app.check_accessibility("lesson").await;

        // Bookmark it.
        app.click(
            Locator::XPath("//button[@aria-pressed='false'][normalize-space()='Bookmark']"),
            "the Bookmark button",
        )
        .await;
        app.wait_for(
            Locator::XPath("//button[@aria-pressed='true'][normalize-space()='Bookmark']"),
            "the pressed Bookmark button",
        )
        .await;

        // Write a note.
        let note = "Coordination needs one agreed-on state";
        app.click(
            Locator::XPath("//button[normalize-space()='Add a note']"),
            "the Add a note button",
        )
        .await;
        let body = app
            .wait_for(Locator::Id("note-body"), "the note field")
            .await;
        body.send_keys(note).await.unwrap();
        app.click(
            Locator::XPath("//button[normalize-space()='Save note']"),
            "the Save note button",
        )
        .await;
        app.wait_for(
            Locator::XPath(&format!("//aside//article[contains(., '{note}')]")),
            "the saved note",
        )
        .await;

        // Complete it.
        app.click(
            Locator::XPath("//button[normalize-space()='Mark as complete']"),
            "the Mark as complete button",
        )
        .await;
        app.wait_for(
            Locator::Css("button.complete__button--done"),
            "the completed state",
        )
        .await;
        app.screenshot("lesson-done").await;

        app.restart().await;

        app.wait_for_text("1 of 16 lessons done").await;
        app.go("/notes").await;
        app.wait_for(
            Locator::XPath("//h1[normalize-space()='Notes and bookmarks']"),
            "the notes screen",
        )
        .await;
        app.wait_for_text(note).await;
        let text = app.page_text().await;
        assert!(
            text.contains(&first.title),
            "the bookmarked lesson is not listed after a restart:\n{text}"
        );
        app.screenshot("notes").await;
        app.check_accessibility("notes and bookmarks").await;

        let progress = profile.open().course_progress(SAMPLE).unwrap();
        assert_eq!(progress.completed_lessons, vec![first.id.clone()]);
    });
}

#[test]
fn the_video_lesson_plays_and_seeks_to_a_chapter() {
    run_serially(async {
        let profile = Profile::with_sample_course();
        let video = profile.open().lesson(SAMPLE, "consensus-tour").unwrap();
        let chapter = video.video.as_ref().unwrap().chapters[2].clone();
        let app = App::launch("video", &profile.path()).await;

        app.wait_for(Locator::Css(".course-grid li"), "the library")
            .await;
        app.go(&format!("/course/{SAMPLE}/lesson/consensus-tour"))
            .await;
        app.wait_for(
            Locator::XPath(&format!("//h1[normalize-space()='{}']", video.title)),
            "the video lesson",
        )
        .await;
        app.screenshot("video-lesson").await;
        app.check_accessibility("video lesson").await;
        wait_for_video(&app, "video.readyState >= 1", "the video's metadata loaded").await;
        let duration = app
            .eval("return document.querySelector('video').duration;", vec![])
            .await;
        assert!(
            duration.as_f64().is_some_and(|d| d > 60.0),
            "the video's duration is {duration}"
        );

        // Play (muted: the virtual display has no sound card) and see time pass.
        let played = app
            .client()
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const video = document.querySelector('video');
                 video.muted = true;
                 video.play().then(() => done('playing'), (error) => done(String(error)));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(played, "playing", "the video did not start");
        wait_for_video(&app, "video.currentTime > 0.5", "the video playing").await;

        // Seek through the chapter list.
        app.click(
            Locator::XPath(&format!(
                "//button[contains(normalize-space(), '{}')]",
                chapter.title
            )),
            "the chapter button",
        )
        .await;
        let at = f64::from(chapter.at);
        app.wait_until(
            &format!(
                "Math.abs(document.querySelector('video').currentTime - {at}) < 3 \
                 && !document.querySelector('video').seeking"
            ),
            "the video at the chapter",
        )
        .await;
        app.wait_for(
            Locator::XPath(&format!(
                "//button[@aria-current='true'][contains(normalize-space(), '{}')]",
                chapter.title
            )),
            "the chapter marked current",
        )
        .await;
        app.eval("document.querySelector('video').pause();", vec![])
            .await;
        app.screenshot("video-seeked").await;
    });
}

/// Waits until `condition` (JavaScript about `video`) holds for the lesson's player; a
/// failure shows the player's state and error.
async fn wait_for_video(app: &App, condition: &str, what: &str) {
    let check = format!(
        "const video = document.querySelector('video');
         if (!video) return [false, 'no video element'];
         const state = {{ src: video.currentSrc, readyState: video.readyState,
             networkState: video.networkState, currentTime: video.currentTime,
             paused: video.paused, error: video.error && [video.error.code, video.error.message] }};
         return [Boolean({condition}), JSON.stringify(state)];"
    );
    let started = std::time::Instant::now();
    loop {
        let result = app.eval(&check, vec![]).await;
        if result[0] == true {
            return;
        }
        if started.elapsed() > studyhall_tests::e2e::WAIT {
            app.fail(&format!(
                "{what}: `{condition}` never held; the player: {}",
                result[1]
            ))
            .await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[test]
fn a_quiz_answer_gets_feedback_and_counts_in_progress_and_streak() {
    run_serially(async {
        let profile = Profile::with_sample_course();
        let app = App::launch("quiz", &profile.path()).await;

        app.wait_for(Locator::Css(".course-grid li"), "the library")
            .await;
        app.go("/progress").await;
        app.wait_for(
            Locator::XPath(
                "//div[contains(@class,'stat')][.//p[normalize-space()='Studied today']]\
                 /p[normalize-space()='Not yet']",
            ),
            "a new learner's progress (not studied today)",
        )
        .await;
        app.go(&format!("/course/{SAMPLE}/lesson/quiz-foundations"))
            .await;
        // Option "a" of the first question, `cb-double-booking`, is the correct one.
        let first = "(//article[contains(@class,'question')])[1]";
        app.click(
            Locator::XPath(&format!("{first}//label[.//input[@value='a']]")),
            "the first question's option a",
        )
        .await;
        app.click(
            Locator::XPath(&format!(
                "{first}//button[normalize-space()='Check answer']"
            )),
            "the Check answer button",
        )
        .await;
        app.wait_for(
            Locator::XPath("//article[contains(@class,'question')]//p[starts-with(normalize-space(), 'Correct')]"),
            "the feedback on the answer",
        )
        .await;
        app.screenshot("quiz").await;
        app.check_accessibility("quiz").await;

        app.click(
            Locator::XPath("//nav//a[normalize-space()='Progress']"),
            "the Progress link",
        )
        .await;
        app.wait_for(
            Locator::XPath("//h1[normalize-space()='Progress']"),
            "the progress screen",
        )
        .await;
        app.wait_for(
            Locator::XPath(
                "//div[contains(@class,'stat')][.//p[normalize-space()='Studied today']]\
                 /p[normalize-space()='Yes']",
            ),
            "today counted as a study day",
        )
        .await;
        app.wait_for(
            Locator::XPath(
                "//div[contains(@class,'stat')][.//p[normalize-space()='Current streak']]\
                 /p[normalize-space()='1 day']",
            ),
            "a one-day streak",
        )
        .await;
        app.screenshot("progress").await;
        app.check_accessibility("progress").await;

        let streak = profile.open().streak().unwrap();
        assert_eq!(streak.current_days, 1);
    });
}

#[test]
fn search_lands_on_the_highlighted_passage() {
    run_serially(async {
        let profile = Profile::with_sample_course();
        let query = "leader election";
        let hit = profile
            .open()
            .search(query, 20)
            .unwrap()
            .into_iter()
            .find(|hit| hit.kind == SearchHitKind::Lesson)
            .expect("the sample course has a lesson about leader election");
        let lesson = profile.open().lesson(SAMPLE, &hit.item_id).unwrap();
        let app = App::launch("search", &profile.path()).await;

        app.wait_for(Locator::Css(".course-grid li"), "the library")
            .await;
        let search = app
            .wait_for(Locator::Id("header-search"), "the search box")
            .await;
        search.send_keys(&format!("{query}\u{E007}")).await.unwrap();
        app.wait_for(
            Locator::XPath("//h1[normalize-space()='Search']"),
            "the search screen",
        )
        .await;
        let result = app
            .wait_for(
                Locator::XPath(&format!(
                    "//ol[@aria-label='Search results']//a[contains(normalize-space(), '{}')]",
                    hit.title
                )),
                "the lesson among the results",
            )
            .await;
        let marked = app
            .eval(
                "return document.querySelectorAll('.search-results mark').length;",
                vec![],
            )
            .await;
        assert!(
            marked.as_u64().is_some_and(|n| n > 0),
            "no highlighted words in the results"
        );
        app.screenshot("search").await;
        app.check_accessibility("search").await;

        result.click().await.unwrap();
        app.wait_for(
            Locator::XPath(&format!("//h1[normalize-space()='{}']", lesson.title)),
            "the lesson the hit points at",
        )
        .await;
        let mark = app
            .wait_for(Locator::Css("mark.find-mark"), "the highlighted passage")
            .await;
        let text = mark.text().await.unwrap();
        assert!(!text.trim().is_empty(), "the highlighted passage is empty");
        app.wait_until(
            "(() => { const r = document.querySelector('mark.find-mark').getBoundingClientRect();
                      return r.top >= 0 && r.bottom <= window.innerHeight; })()",
            "the passage scrolled into view",
        )
        .await;
        app.screenshot("search-hit").await;
    });
}

#[test]
fn the_settings_screen_is_accessible() {
    run_serially(async {
        let profile = Profile::with_sample_course();
        let app = App::launch("settings", &profile.path()).await;
        app.wait_for(Locator::Css(".course-grid li"), "the library")
            .await;
        app.click(
            Locator::XPath("//nav//a[normalize-space()='Settings']"),
            "the Settings link",
        )
        .await;
        app.wait_for(
            Locator::XPath("//h1[normalize-space()='Settings']"),
            "the settings screen",
        )
        .await;
        let inbox = profile.path().join("inbox").display().to_string();
        let shown = app
            .eval(
                "return Array.from(document.querySelectorAll('input')).map(i => i.value);",
                vec![],
            )
            .await;
        assert!(
            app.page_text().await.contains(&inbox) || shown.to_string().contains(&inbox),
            "the settings do not show the inbox folder {inbox}"
        );
        app.screenshot("settings").await;
        app.check_accessibility("settings").await;
    });
}
