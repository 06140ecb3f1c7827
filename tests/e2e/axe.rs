//! Accessibility checks with axe-core, the same engine browser extensions use, injected
//! from the UI's own `node_modules` and run on the live screen.

use std::fmt;

use fantoccini::Client;
use serde::Deserialize;

/// One rule axe-core found broken, with the elements that break it.
#[derive(Debug, Deserialize)]
pub struct Violation {
    pub id: String,
    pub impact: Option<String>,
    pub help: String,
    #[serde(rename = "helpUrl")]
    pub help_url: String,
    pub nodes: Vec<ViolatingNode>,
}

#[derive(Debug, Deserialize)]
pub struct ViolatingNode {
    pub target: Vec<Value>,
    pub html: String,
    #[serde(rename = "failureSummary")]
    pub failure_summary: Option<String>,
}

type Value = serde_json::Value;

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "- [{}] {}: {} ({})",
            self.impact.as_deref().unwrap_or("unknown impact"),
            self.id,
            self.help,
            self.help_url
        )?;
        for node in &self.nodes {
            let target: Vec<String> = node.target.iter().map(ToString::to_string).collect();
            writeln!(f, "    at {}: {}", target.join(" > "), node.html)?;
            if let Some(summary) = &node.failure_summary {
                for line in summary.lines() {
                    writeln!(f, "      {line}")?;
                }
            }
        }
        Ok(())
    }
}

/// The axe-core build the UI installs as a dev dependency.
fn axe_source() -> String {
    let path = super::repo_root().join("ui/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "could not read {} ({error}); install the UI's packages with `cargo xtask setup`",
            path.display()
        )
    })
}

/// Runs every axe-core rule on the page and returns the violations.
pub async fn run(client: &Client) -> Vec<Violation> {
    let loaded = client
        .execute(
            "if (!window.axe) { (0, eval)(arguments[0]); } return typeof window.axe;",
            vec![Value::String(axe_source())],
        )
        .await;
    let loaded = match loaded {
        Ok(value) => value,
        // The page's CSP may forbid eval; a script element is then forbidden too, but the
        // WebDriver script itself is not subject to the CSP.
        Err(_) => client
            .execute(
                &format!("{}\nreturn typeof window.axe;", axe_source()),
                vec![],
            )
            .await
            .unwrap(),
    };
    assert_eq!(
        loaded,
        Value::String("object".into()),
        "axe-core did not load"
    );
    let result = client
        .execute_async(
            r#"
            const done = arguments[arguments.length - 1];
            window.axe
              .run(document, { resultTypes: ["violations"] })
              .then((results) => done(JSON.stringify(results.violations)))
              .catch((error) => done("axe-core failed: " + error));
            "#,
            vec![],
        )
        .await
        .unwrap();
    let text = result.as_str().unwrap_or_default();
    serde_json::from_str(text).unwrap_or_else(|error| panic!("{text} ({error})"))
}
