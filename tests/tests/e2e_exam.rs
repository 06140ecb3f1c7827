//! The exam lockdown as the window manager sees it: the built `studyhall` binary in a real
//! window on a virtual display managed by openbox (see `studyhall_tests::e2e`), an exam
//! begun and started through the app's own commands. While the exam runs the window is
//! fullscreen and above the others, a close request from the window manager is refused
//! and logged, and giving the focus to another program's window is written to the
//! proctor log; once the exam is submitted the window is released and closes as usual.
//!
//! Needs the app built first (`cargo xtask test` does it); fails, never skips, without it.
// A set-up step or a look at the display that cannot be done should fail the test.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::json;
use studyhall_core::exam::log::LogEntry;
use studyhall_core::exam::pack::build_exam;
use studyhall_core::pack::Quiet;
use studyhall_signing::SealingKey;
use studyhall_tests::e2e::{App, Desktop, Profile, run_serially};
use studyhall_tests::fixture;

const FULLSCREEN: &str = "_NET_WM_STATE_FULLSCREEN";
const ABOVE: &str = "_NET_WM_STATE_ABOVE";
const OTHER_TITLE: &str = "Another program";

#[test]
fn the_exam_window_is_locked_down_until_the_exam_is_submitted() {
    run_serially(async {
        let profile = Profile::empty();
        let start_code = install_tiny_exam(&profile);
        let app = App::launch_with_window_manager("exam", &profile.path()).await;
        let desktop = app.desktop();
        let window = app_window(&app, &desktop).await;
        let ordinary = || {
            let state = desktop.wm_state(&window);
            !state.iter().any(|atom| atom == FULLSCREEN || atom == ABOVE)
                && desktop
                    .frame_extents(&window)
                    .iter()
                    .any(|&width| width > 0)
        };
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
        assert_eq!(lockdown.detail["lockdown"]["always_on_top"], true);
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

/// Installs the tiny exam in `profile`: built by the profile's publisher, sealed for a
/// fresh server the profile trusts. Returns the start code a proctor would give out.
fn install_tiny_exam(profile: &Profile) -> String {
    let dir = tempfile::tempdir().unwrap();
    let server = SealingKey::generate().unwrap();
    let pack = dir.path().join("tiny-exam.shexam");
    let build = build_exam(
        &fixture("tiny-exam"),
        &profile.publisher.key,
        &server.public_key(),
        &pack,
    )
    .unwrap();
    let mut studyhall = profile.open();
    studyhall.trust_server(&server.public_key()).unwrap();
    studyhall.import_pack(&pack, &Quiet).unwrap();
    build.start_code.to_grouped().to_string()
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
