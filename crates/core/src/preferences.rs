//! The learner's preferences for this profile: theme, text size, motion, language and the
//! watched inbox folder. Stored as one JSON document in the profile's settings, so a
//! preference added later reads its default from older profiles.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Name of the inbox folder inside a profile, the default watched folder.
pub const DEFAULT_INBOX_DIR: &str = "inbox";

pub const MIN_TEXT_SCALE: u16 = 80;
pub const MAX_TEXT_SCALE: u16 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Follow the system's light or dark setting.
    #[default]
    System,
    Light,
    Dark,
    HighContrast,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Motion {
    /// Follow the system's reduced-motion setting.
    #[default]
    System,
    Reduce,
    Full,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct Preferences {
    pub theme: Theme,
    /// Text size in percent of the default, 80–200.
    pub text_scale: u16,
    pub motion: Motion,
    /// A language tag the UI has (`en`, `de`), or `None` to follow the system.
    pub language: Option<String>,
    /// Absolute path of the folder whose `.shpack` files are imported as they arrive.
    pub inbox_folder: String,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            theme: Theme::default(),
            text_scale: 100,
            motion: Motion::default(),
            language: None,
            inbox_folder: String::new(),
        }
    }
}

impl Preferences {
    /// Fills what an older profile lacks: the inbox folder defaults to the profile's own.
    pub(crate) fn with_defaults(mut self, profile: &Path) -> Self {
        if self.inbox_folder.trim().is_empty() {
            self.inbox_folder = profile.join(DEFAULT_INBOX_DIR).display().to_string();
        }
        self
    }

    /// Refuses values the UI could not show, each with what to do instead.
    pub(crate) fn check(&self) -> Result<()> {
        if !(MIN_TEXT_SCALE..=MAX_TEXT_SCALE).contains(&self.text_scale) {
            return Err(Error::InvalidInput(format!(
                "text size must be between {MIN_TEXT_SCALE}% and {MAX_TEXT_SCALE}%"
            )));
        }
        if let Some(language) = &self.language
            && !(language.len() <= 16
                && language
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            return Err(Error::InvalidInput(format!(
                "'{language}' is not a language tag such as 'en' or 'de'"
            )));
        }
        if !Path::new(&self.inbox_folder).is_absolute() {
            return Err(Error::InvalidInput(
                "the watched folder must be a full path; choose it with the folder picker".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_document_reads_with_defaults() {
        let prefs: Preferences = serde_json::from_str(r#"{"theme":"dark"}"#).unwrap();
        let prefs = prefs.with_defaults(Path::new("/home/a/profile"));
        assert_eq!(prefs.theme, Theme::Dark);
        assert_eq!(prefs.text_scale, 100);
        assert_eq!(prefs.inbox_folder, "/home/a/profile/inbox");
        prefs.check().unwrap();
    }

    #[test]
    fn refuses_what_the_ui_cannot_show() {
        let good = Preferences::default().with_defaults(Path::new("/p"));
        let too_small = Preferences {
            text_scale: 50,
            ..good.clone()
        };
        assert!(too_small.check().unwrap_err().to_string().contains("80%"));
        let relative = Preferences {
            inbox_folder: "inbox".into(),
            ..good.clone()
        };
        assert!(relative.check().is_err());
        let odd_language = Preferences {
            language: Some("en; rm -rf".into()),
            ..good
        };
        assert!(odd_language.check().is_err());
    }
}
