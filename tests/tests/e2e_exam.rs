//! The exam lockdown as the window manager sees it: the built `studyhall` binary in a real
//! window on a virtual display managed by openbox (see `studyhall_tests::e2e`), an exam
//! begun and started through the app's own commands. While the exam runs the window is
//! fullscreen and above the others, a close request from the window manager is refused
//! and logged, and giving the focus to another program's window is written to the
//! proctor log; once the exam is submitted the window is released and closes as usual.
//! And the exam as a proctor and a candidate click through it, by what the screen says:
//! the start code, the lobby, answering, flagging, review, a crash and the reopening at
//! the same question, handing in and the receipt.
//!
//! Needs the app built first (`cargo xtask test` does it); fails, never skips, without it.
// A set-up step or a look at the display that cannot be done should fail the test.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;
use studyhall_core::exam::log::LogEntry;
use studyhall_tests::e2e::sitting::{
    DIALOG, answer_shown_item, field_labelled, nav_item, open_review, wait_for_item,
};
use studyhall_tests::e2e::{App, Desktop, Profile, run_serially};
use studyhall_tests::fixture;

const FULLSCREEN: &str = "_NET_WM_STATE_FULLSCREEN";
const ABOVE: &str = "_NET_WM_STATE_ABOVE";
const OTHER_TITLE: &str = "Another program";

#[test]
fn the_exam_window_is_locked_down_until_the_exam_is_submitted() {
    run_serially(async {
        let profile = Profile::empty();
        let start_code = profile.install_exam(&fixture("tiny-exam"));
        let app = App::launch_with_window_manager("exam", &profile.path()).await;
        let desktop = app.desktop();
        let window = app_window(&app, &desktop).await;
        let ordinary = || is_ordinary(&desktop, &window);
        app.wait_until_holds("an ordinary window with a frame before the exam", ordinary)
            .await;

        let paper = app
            .invoke(
                "begin_exam",
                json!({ "examId": "tiny-exam", "startCode": start_code, "extraTimePercent": 0 }),
            )
            .await;
        let session = paper["session"]["session_id"].as_str().unwrap().to_owned();
        let paper = app
            .invoke("start_exam", json!({ "sessionId": session }))
            .await;
        assert_eq!(paper["session"]["state"], "running");
        // The candidate's screen, where there is one; the lockdown does not depend on it.
        app.go(&format!("/exam/{session}")).await;

        // The window covers the whole screen, above every other window.
        let screen = desktop.screen();
        app.wait_until_holds("the exam window is fullscreen and on top", || {
            let state = desktop.wm_state(&window);
            state.iter().any(|atom| atom == FULLSCREEN)
                && state.iter().any(|atom| atom == ABOVE)
                && desktop.geometry(&window) == screen
        })
        .await;
        let lockdown = wait_for_log(&app, &profile, &session, "the lockdown record", |entry| {
            entry.kind == "system_check" && entry.detail.get("lockdown").is_some()
        })
        .await;
        assert_eq!(lockdown.detail["lockdown"]["fullscreen"], true);
        assert_eq!(
            lockdown.detail["lockdown"]["always_on_top"]["requested"],
            true
        );
        app.wait_until(
            &format!(
                "window.innerWidth === {} && window.innerHeight === {}",
                screen.width, screen.height
            ),
            "the page fills the screen",
        )
        .await;

        // The window manager's close request is refused: the app, its window and its
        // WebDriver session stay, the proctor log says so and the page is told.
        let pid = app.app_pid().unwrap();
        record_events(&app, "close-refused").await;
        desktop.request_close(&window);
        wait_for_log(&app, &profile, &session, "a refused close", |entry| {
            entry.kind == "close_refused"
        })
        .await;
        app.wait_until(
            &format!("window.__recorded.some((payload) => payload.session_id === {session:?})"),
            "the page hears of the refused close",
        )
        .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(app.app_pid(), Some(pid), "the app quit during the exam");
        assert!(
            desktop.windows().iter().any(|w| w.id == window),
            "the exam window is gone: {:?}",
            desktop.windows()
        );
        assert_eq!(app.eval("return 6 * 7;", vec![]).await, json!(42));
        assert!(desktop.wm_state(&window).iter().any(|a| a == FULLSCREEN));
        app.screenshot_display("locked").await;

        // Another program's window takes the focus: logged; coming back is logged too.
        app.wait_until_holds("the exam window has the focus", || {
            desktop.active_window().as_ref() == Some(&window)
        })
        .await;
        let before = last_seq(&profile, &session);
        let other = desktop.open_other_window(OTHER_TITLE);
        let other_window = window_titled(&app, &desktop, OTHER_TITLE).await;
        desktop.activate(&other_window);
        app.wait_until_holds("the other window has the focus", || {
            desktop.active_window().as_ref() == Some(&other_window)
        })
        .await;
        let lost = wait_for_log(&app, &profile, &session, "the focus loss", |entry| {
            entry.seq > before && entry.kind == "focus_lost"
        })
        .await;
        desktop.activate(&window);
        wait_for_log(&app, &profile, &session, "the focus coming back", |entry| {
            entry.seq > lost.seq && entry.kind == "focus_regained"
        })
        .await;
        drop(other);

        // Submitted: the window is released, and a close request now closes the app.
        app.invoke("submit_exam", json!({ "sessionId": session }))
            .await;
        app.wait_until_holds("an ordinary window with a frame after the exam", ordinary)
            .await;
        desktop.request_close(&window);
        app.wait_until_holds("the app quits on a close request after the exam", || {
            app.app_pid().is_none()
        })
        .await;

        // The whole log verifies (`exam_log` checks the chain); one close was refused.
        let log = profile.open().exam_log(&session).unwrap();
        let kinds: Vec<&str> = log.iter().map(|entry| entry.kind.as_str()).collect();
        assert_eq!(
            kinds
                .iter()
                .filter(|kind| **kind == "close_refused")
                .count(),
            1,
            "{kinds:?}"
        );
        assert!(kinds.contains(&"submitted"), "{kinds:?}");
    });
}

#[test]
fn a_candidate_sits_the_exam_through_the_screens_and_gets_a_receipt() {
    run_serially(async {
        let profile = Profile::empty();
        let start_code = profile.install_exam(&fixture("tiny-exam"));
        let exam = profile.open().exams().unwrap().remove(0);
        let mut app = App::launch_with_window_manager("exam-ui", &profile.path()).await;
        let desktop = app.desktop();
        let window = app_window(&app, &desktop).await;

        // The proctor opens Exams and begins the tiny exam.
        app.click(
            Locator::XPath("//header//nav//a[normalize-space()='Exams']"),
            "Exams in the navigation",
        )
        .await;
        let card = format!("//article[.//h2[normalize-space()='{}']]", exam.title);
        app.wait_for(Locator::XPath(&card), "the tiny exam's card")
            .await;
        app.screenshot("exams").await;
        app.click(
            Locator::XPath(&format!(
                "{card}//button[starts-with(normalize-space(), 'Begin')]"
            )),
            "the card's Begin button",
        )
        .await;
        let code_field = app
            .wait_for(
                Locator::XPath(&field_labelled(&format!("{DIALOG}//input"), "Start code")),
                "the start code field",
            )
            .await;
        let unlock = format!("{DIALOG}//button[normalize-space()='Unlock exam']");

        // A wrong code is refused in words, and nothing starts.
        code_field.send_keys("abcd efgh jkmn pqrs").await.unwrap();
        app.click(Locator::XPath(&unlock), "Unlock exam").await;
        let refusal = app
            .wait_for(
                Locator::XPath(&format!("{DIALOG}//*[@role='alert'][normalize-space()]")),
                "the dialog's error",
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(
            refusal.split_whitespace().count() >= 3 && !refusal.contains('_'),
            "the wrong code's error is not in words: {refusal:?}"
        );
        app.screenshot("wrong-code").await;
        let after = profile.open().exams().unwrap().remove(0);
        assert_eq!(
            (after.open_session, after.attempts_used),
            (None, 0),
            "a wrong start code began an attempt"
        );

        // The right one, the way a proctor might type it: lower case, spaces for dashes.
        let typed = start_code.to_lowercase().replace('-', " ");
        // Select what was typed (Ctrl+A, then the keys released) and type over it.
        code_field.send_keys("\u{E009}a\u{E000}").await.unwrap();
        code_field.send_keys(&typed).await.unwrap();
        assert_eq!(code_field.prop("value").await.unwrap(), Some(typed));
        app.wait_for_text("16 of 16 characters typed").await;
        app.click(Locator::XPath(&unlock), "Unlock exam").await;

        // The lobby: the rules and this computer's check, then Start exam.
        app.wait_for(
            Locator::XPath("//h2[normalize-space()='Rules']"),
            "the lobby's rules",
        )
        .await;
        app.wait_for(
            Locator::XPath(
                "//section[@aria-busy='false'][.//h2[normalize-space()='System check']]",
            ),
            "the finished system check",
        )
        .await;
        let start = "//button[normalize-space()='Start exam'][not(@disabled)]";
        app.wait_for(Locator::XPath(start), "an enabled Start exam button")
            .await;
        let session = profile.open().exams().unwrap()[0]
            .open_session
            .clone()
            .expect("the right start code began no attempt");
        app.screenshot("lobby").await;
        app.check_accessibility("lobby").await;
        app.click(Locator::XPath(start), "Start exam").await;

        // The exam runs, in a locked window.
        let count = exam.item_count as usize;
        wait_for_item(&app, 1, count).await;
        app.wait_until_holds("the exam window is fullscreen", || {
            is_fullscreen(&desktop, &window)
        })
        .await;
        let positions: Vec<(u32, u32, String)> = profile
            .open()
            .exam_paper(&session)
            .unwrap()
            .sections
            .iter()
            .enumerate()
            .flat_map(|(section, items)| {
                items.items.iter().enumerate().map(move |(index, item)| {
                    let (section, index) = (section as u32, index as u32);
                    (section, index, item.id.clone())
                })
            })
            .collect();
        assert_eq!(positions.len(), count);

        // Every item answered in turn, each saved before going on; the second flagged.
        for number in 1..=count {
            answer_shown_item(&app, number, count).await;
            app.screenshot(&format!("item-{number}-answered")).await;
            if number == 2 {
                app.click(
                    Locator::XPath(
                        "//button[@aria-pressed='false'][normalize-space()='Flag for review']",
                    ),
                    "Flag for review",
                )
                .await;
                app.wait_for(
                    Locator::XPath(&nav_item(number, "answered, flagged")),
                    "the flag in the navigator",
                )
                .await;
                let flagged = &positions[number - 1].2;
                app.wait_until_holds("the flag is on disk", || {
                    profile.open().exam_paper(&session).unwrap().session.flagged
                        == [flagged.clone()]
                })
                .await;
            }
            if number < count {
                app.click(Locator::XPath("//button[normalize-space()='Next']"), "Next")
                    .await;
                wait_for_item(&app, number + 1, count).await;
            }
        }
        app.wait_for_text(&format!("{count} of {count} answered"))
            .await;

        // The navigator jumps back to the first item.
        app.click(
            Locator::XPath(&nav_item(1, "answered")),
            "question 1 in the navigator",
        )
        .await;
        wait_for_item(&app, 1, count).await;
        app.wait_for(
            Locator::XPath(&format!(
                "{}[@aria-current='step']",
                nav_item(1, "answered")
            )),
            "question 1 marked current in the navigator",
        )
        .await;
        app.screenshot("item").await;
        app.check_accessibility("exam item").await;

        // Review lists the flagged item as needing attention.
        open_review(&app).await;
        let flagged_row = "//section[.//h3[starts-with(normalize-space(), 'Needs attention')]]\
             //button[.//span[normalize-space()='Question 2, answered, flagged']]";
        app.wait_for(
            Locator::XPath(flagged_row),
            "the flagged question under Needs attention",
        )
        .await;
        app.wait_for_text(&format!("{count} of {count} answered."))
            .await;
        app.screenshot("review").await;
        app.check_accessibility("review").await;

        // From the review back to the flagged item; where the candidate is gets saved.
        app.click(
            Locator::XPath(flagged_row),
            "the flagged question in the review",
        )
        .await;
        wait_for_item(&app, 2, count).await;
        let (section, index, _) = positions[1];
        app.wait_until_holds("the position is on disk", || {
            profile
                .open()
                .exam_paper(&session)
                .unwrap()
                .session
                .position
                == (section, index)
        })
        .await;

        // A crash: the app is killed and started again within the reboot limit. It opens
        // straight into the exam, at the same question, with every answer and the flag.
        app.kill_and_relaunch().await;
        let window = app_window(&app, &desktop).await;
        wait_for_item(&app, 2, count).await;
        assert!(
            shown_answer_given(&app, 2, count).await,
            "question 2 shows no answer after the restart"
        );
        for number in 1..=count {
            let status = if number == 2 {
                "answered, flagged"
            } else {
                "answered"
            };
            app.wait_for(
                Locator::XPath(&nav_item(number, status)),
                &format!("question {number} still {status} after the restart"),
            )
            .await;
        }
        app.wait_until_holds("the reopened exam window is fullscreen", || {
            is_fullscreen(&desktop, &window)
        })
        .await;
        app.screenshot("reopened").await;

        // Handing in from the review: the dialog says it is final.
        open_review(&app).await;
        app.click(
            Locator::XPath("//button[starts-with(normalize-space(), 'Hand in exam')]"),
            "Hand in exam",
        )
        .await;
        let confirm = app
            .wait_for(
                Locator::XPath(&format!(
                    "{DIALOG}[.//h2[normalize-space()='Hand in the exam?']]"
                )),
                "the hand-in confirmation",
            )
            .await;
        let text = confirm.text().await.unwrap();
        assert!(
            text.contains("is final"),
            "the confirmation does not say it is final: {text}"
        );
        app.screenshot("confirm").await;
        app.click(
            Locator::XPath(&format!("{DIALOG}//button[normalize-space()='Hand in']")),
            "Hand in",
        )
        .await;

        // The result: an outcome and the receipt code, as stored; the window is released.
        app.wait_for(
            Locator::XPath("//p[normalize-space()='Exam handed in']"),
            "the result screen",
        )
        .await;
        let outcome = app
            .wait_for(
                Locator::XPath("//section[contains(@class, 'exam-score')]//h2"),
                "the outcome",
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(
            ["Passed", "Not passed", "Provisional"].contains(&outcome.as_str()),
            "{outcome:?}"
        );
        let receipt = app
            .wait_for(
                Locator::XPath("//h2[normalize-space()='Receipt code']/following-sibling::p[1]"),
                "the receipt code",
            )
            .await;
        let shown = receipt.text().await.unwrap();
        let stored = profile.open().exam_result(&session).unwrap();
        assert!(!shown.trim().is_empty(), "an empty receipt code");
        assert_eq!(shown.trim(), stored.receipt_code);
        assert_eq!(profile.open().outbox_status().unwrap().waiting, 1);
        let font = app
            .eval(
                "return getComputedStyle(arguments[0]).fontFamily;",
                vec![serde_json::to_value(&receipt).unwrap()],
            )
            .await;
        assert!(
            font.as_str().unwrap_or_default().contains("monospace"),
            "the receipt code is not monospace: {font}"
        );
        app.wait_until_holds("an ordinary window with a frame after handing in", || {
            is_ordinary(&desktop, &window)
        })
        .await;
        app.screenshot("result").await;
        app.check_accessibility("result").await;
    });
}

/// Whether question `number`'s fields show an answer: a number typed, an option chosen.
async fn shown_answer_given(app: &App, number: usize, count: usize) -> bool {
    let fields = format!(
        "//article[.//h2[normalize-space()='Question {number} of {count}']]//fieldset//input"
    );
    let given = "const field = arguments[0];
        return field.type === 'text' ? field.value.trim() !== '' : field.checked;";
    for field in app
        .client()
        .find_all(Locator::XPath(&fields))
        .await
        .unwrap()
    {
        let field = serde_json::to_value(&field).unwrap();
        if app.eval(given, vec![field]).await == json!(true) {
            return true;
        }
    }
    false
}

/// Collects the payloads of the app's `event` in the page's `window.__recorded`, as a
/// listener of the UI would receive them.
async fn record_events(app: &App, event: &str) {
    let script = "const [event, done] = arguments;
        window.__recorded = [];
        const handler = window.__TAURI_INTERNALS__.transformCallback(
            (message) => window.__recorded.push(message.payload));
        window.__TAURI_INTERNALS__
            .invoke('plugin:event|listen', { event, target: { kind: 'Any' }, handler })
            .then(() => done(true), (error) => done(String(error)));";
    let listening = app.eval_async(script, vec![json!(event)]).await;
    assert_eq!(listening, json!(true), "could not listen to {event}");
}

/// Whether the window manager shows `window` as an ordinary window: with a frame, not
/// fullscreen, not kept above the others.
fn is_ordinary(desktop: &Desktop, window: &str) -> bool {
    let state = desktop.wm_state(window);
    !state.iter().any(|atom| atom == FULLSCREEN || atom == ABOVE)
        && desktop.frame_extents(window).iter().any(|&width| width > 0)
}

fn is_fullscreen(desktop: &Desktop, window: &str) -> bool {
    desktop
        .wm_state(window)
        .iter()
        .any(|atom| atom == FULLSCREEN)
}

/// The app's one managed window, once the window manager has it.
async fn app_window(app: &App, desktop: &Desktop) -> String {
    let mut found = None;
    app.wait_until_holds("the window manager manages the app's window", || {
        let pid = app.app_pid();
        found = desktop
            .windows()
            .into_iter()
            .find(|w| Some(w.pid) == pid && w.title == "Studyhall");
        found.is_some()
    })
    .await;
    found.unwrap().id
}

/// The managed window titled `title`, once there is one.
async fn window_titled(app: &App, desktop: &Desktop, title: &str) -> String {
    let mut found = None;
    app.wait_until_holds(&format!("a window titled {title:?} appears"), || {
        found = desktop.windows().into_iter().find(|w| w.title == title);
        found.is_some()
    })
    .await;
    found.unwrap().id
}

/// The first entry of the session's proctor log that `matches`, once there is one. The
/// log is read as the app writes it (a second reader of the profile's database); reading
/// it verifies its hash chain.
async fn wait_for_log(
    app: &App,
    profile: &Profile,
    session: &str,
    what: &str,
    matches: impl Fn(&LogEntry) -> bool,
) -> LogEntry {
    let mut found = None;
    app.wait_until_holds(&format!("the proctor log has {what}"), || {
        found = profile
            .open()
            .exam_log(session)
            .unwrap()
            .into_iter()
            .find(&matches);
        found.is_some()
    })
    .await;
    found.unwrap()
}

fn last_seq(profile: &Profile, session: &str) -> u32 {
    let log = profile.open().exam_log(session).unwrap();
    log.last().map_or(0, |entry| entry.seq)
}
