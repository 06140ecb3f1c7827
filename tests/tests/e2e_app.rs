//! The app as a person uses it: the built `studyhall` binary in a real window on a
//! virtual display, driven over WebDriver (see `studyhall_tests::e2e`). Each flow saves
//! screenshots of the screens it passes through to `artifacts/e2e/` and checks each of
//! them with axe-core.
//!
//! Needs the app built first (`cargo xtask test` does it); fails, never skips, without it.

use fantoccini::Locator;
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
