//! Sitting an exam through its screens, as a candidate does, by what the screen says:
//! which question is shown, answering it, the navigator, the review. Shared by the
//! flows that sit an exam (`e2e_exam.rs`, `e2e_sync.rs`).

use fantoccini::Locator;

use super::App;

/// The exam bar's question navigator.
pub const NAVIGATOR: &str = "//nav[@aria-label='Questions']";
/// The open modal dialog.
pub const DIALOG: &str = "//dialog[@open]";

/// The `input` elements matched by `inputs` that the label reading `label` names.
pub fn field_labelled(inputs: &str, label: &str) -> String {
    format!("{inputs}[@id = //label[normalize-space()='{label}']/@for]")
}

/// Question `number`'s button in the navigator, named with its status ("answered,
/// flagged").
pub fn nav_item(number: usize, status: &str) -> String {
    format!("{NAVIGATOR}//button[@aria-label='Question {number}, {status}']")
}

/// Waits until question `number` of `count` is the one shown.
pub async fn wait_for_item(app: &App, number: usize, count: usize) {
    app.wait_for(
        Locator::XPath(&format!(
            "//h2[normalize-space()='Question {number} of {count}']"
        )),
        &format!("question {number}"),
    )
    .await;
}

/// Opens the review from the exam bar.
pub async fn open_review(app: &App) {
    app.click(
        Locator::XPath("//button[@aria-pressed='false'][normalize-space()='Review']"),
        "Review",
    )
    .await;
    app.wait_for(
        Locator::XPath("//h2[normalize-space()='Review your answers']"),
        "the review",
    )
    .await;
}

/// Answers the question shown by what its answer fields are: a number field gets a
/// number, radio buttons (true/false, one choice) get their first option. Returns once
/// the navigator counts it answered, which the screen shows only when it is on disk,
/// and the bar says Saved.
pub async fn answer_shown_item(app: &App, number: usize, count: usize) {
    let fields = format!(
        "//article[.//h2[normalize-space()='Question {number} of {count}']]//fieldset//input"
    );
    let kind = app
        .wait_for(Locator::XPath(&fields), "the answer's fields")
        .await
        .attr("type")
        .await
        .unwrap();
    match kind.as_deref() {
        Some("text") => {
            let field = app
                .wait_for(
                    Locator::XPath(&field_labelled(&fields, "Your answer (a number)")),
                    "the number field",
                )
                .await;
            field.send_keys("4").await.unwrap();
        }
        Some("radio") => {
            app.click(
                Locator::XPath(&format!("({fields}/ancestor::label)[1]")),
                "the first option",
            )
            .await;
        }
        other => panic!("question {number} has answer fields this test cannot fill: {other:?}"),
    }
    app.wait_for(
        Locator::XPath(&nav_item(number, "answered")),
        &format!("question {number} answered in the navigator"),
    )
    .await;
    app.wait_for(
        Locator::XPath("//header//p[starts-with(normalize-space(), 'Saved ')]"),
        "the Saved status",
    )
    .await;
}
