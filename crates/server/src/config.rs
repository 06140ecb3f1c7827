//! The server's settings: an optional TOML file, then `STUDYHALL_SERVER_*` environment
//! variables on top (one per field: `listen` is `STUDYHALL_SERVER_LISTEN`).
//!
//! Promises: every error names the field (and the variable or file it came from) and
//! says what is expected; unknown fields and unknown `STUDYHALL_SERVER_*` variables are
//! refused rather than silently ignored; [`Config`]'s `Debug` never shows a database
//! password.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The prefix of every environment variable the server reads.
pub const ENV_PREFIX: &str = "STUDYHALL_SERVER_";

/// The variable naming the configuration file (read by the binary, not a field).
pub const CONFIG_FILE_ENV: &str = "STUDYHALL_SERVER_CONFIG";

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on. Port 0 picks a free port.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// `sqlite://PATH` (relative to the working directory; `sqlite:///abs/path` is
    /// absolute) or `postgres://user:password@host/database`.
    #[serde(default = "default_database_url")]
    pub database_url: String,
    /// Folder of the server's private keys (created with them on first start).
    #[serde(default = "default_key_dir")]
    pub key_dir: PathBuf,
    /// Largest request body accepted, in bytes.
    #[serde(default = "default_max_request_bytes")]
    pub max_request_bytes: usize,
    /// How long a sign-in lasts, in seconds.
    #[serde(default = "default_token_lifetime_seconds")]
    pub token_lifetime_seconds: u64,
    /// Largest pack file accepted by `POST /v1/packs`, in bytes.
    #[serde(default = "default_max_pack_bytes")]
    pub max_pack_bytes: usize,
    /// Folder of the publisher keys (`*.pub.jwk`) whose packs may be published;
    /// `<key_dir>/publishers` when not set. Read at each publish.
    #[serde(default)]
    pub publisher_dir: Option<PathBuf>,
}

/// How each field is written in an environment variable.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Number,
}

const FIELDS: &[(&str, Kind)] = &[
    ("listen", Kind::Text),
    ("database_url", Kind::Text),
    ("key_dir", Kind::Text),
    ("max_request_bytes", Kind::Number),
    ("token_lifetime_seconds", Kind::Number),
    ("max_pack_bytes", Kind::Number),
    ("publisher_dir", Kind::Text),
];

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8440))
}

fn default_database_url() -> String {
    "sqlite://studyhall-server.db".to_owned()
}

fn default_key_dir() -> PathBuf {
    PathBuf::from("server-keys")
}

fn default_max_request_bytes() -> usize {
    16 * 1024 * 1024
}

fn default_token_lifetime_seconds() -> u64 {
    12 * 60 * 60
}

fn default_max_pack_bytes() -> usize {
    512 * 1024 * 1024
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the configuration file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {} is not valid: {message}", path.display())]
    File { path: PathBuf, message: String },
    #[error("{variable}: {message}")]
    Variable { variable: String, message: String },
    #[error(
        "{variable} is not a setting of the Studyhall server; the settings are {}",
        known_variables()
    )]
    UnknownVariable { variable: String },
    #[error("the setting {field} is not valid: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

fn known_variables() -> String {
    FIELDS
        .iter()
        .map(|(field, _)| env_name(field))
        .collect::<Vec<_>>()
        .join(", ")
}

fn env_name(field: &str) -> String {
    format!("{ENV_PREFIX}{}", field.to_uppercase())
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            database_url: default_database_url(),
            key_dir: default_key_dir(),
            max_request_bytes: default_max_request_bytes(),
            token_lifetime_seconds: default_token_lifetime_seconds(),
            max_pack_bytes: default_max_pack_bytes(),
            publisher_dir: None,
        }
    }
}

impl Config {
    /// Reads `file` (if any), then the process environment on top.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    /// [`Config::load`] with the environment given, for tests.
    pub fn load_from(
        file: Option<&Path>,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str::<toml::Table>(&text).map_err(|e| ConfigError::File {
                    path: path.to_owned(),
                    message: e.message().to_owned(),
                })?
            }
            None => toml::Table::new(),
        };
        for (variable, value) in environment {
            let Some(name) = variable.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            if variable == CONFIG_FILE_ENV {
                continue;
            }
            let field = name.to_lowercase();
            let Some((_, kind)) = FIELDS.iter().find(|(known, _)| *known == field) else {
                return Err(ConfigError::UnknownVariable { variable });
            };
            let value = match kind {
                Kind::Text => toml::Value::String(value),
                Kind::Number => toml::Value::Integer(value.trim().parse().map_err(|_| {
                    ConfigError::Variable {
                        variable: variable.clone(),
                        message: format!("expected a whole number, got \"{value}\""),
                    }
                })?),
            };
            table.insert(field, value);
        }
        let config: Config = table.try_into().map_err(|e: toml::de::Error| {
            let message = e.message().to_owned();
            match file {
                Some(path) => ConfigError::File {
                    path: path.to_owned(),
                    message: format!("{message} (or in its STUDYHALL_SERVER_* variable)"),
                },
                None => ConfigError::Variable {
                    variable: "STUDYHALL_SERVER_*".to_owned(),
                    message,
                },
            }
        })?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let url = self.database_url.as_str();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                field: "database_url",
                message: "it must start with sqlite:// (a file) or postgres:// (a PostgreSQL \
                          database)"
                    .to_owned(),
            });
        }
        if self.max_request_bytes < 1024 {
            return Err(ConfigError::Invalid {
                field: "max_request_bytes",
                message: format!(
                    "{} bytes is too small for any request; use at least 1024",
                    self.max_request_bytes
                ),
            });
        }
        if self.max_pack_bytes < 1024 {
            return Err(ConfigError::Invalid {
                field: "max_pack_bytes",
                message: format!(
                    "{} bytes is too small for any pack; use at least 1024",
                    self.max_pack_bytes
                ),
            });
        }
        if self.token_lifetime_seconds == 0 {
            return Err(ConfigError::Invalid {
                field: "token_lifetime_seconds",
                message: "a sign-in must last at least one second".to_owned(),
            });
        }
        Ok(())
    }

    /// The folder of trusted publisher keys: `publisher_dir`, or `<key_dir>/publishers`.
    pub fn publisher_dir(&self) -> PathBuf {
        self.publisher_dir
            .clone()
            .unwrap_or_else(|| self.key_dir.join("publishers"))
    }

    /// Which database, without any password: for logs.
    pub fn database_description(&self) -> String {
        match self.database_url.split_once("://") {
            Some(("sqlite", path)) => format!("SQLite file {path}"),
            Some((_, rest)) => {
                let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
                format!("PostgreSQL at {host}")
            }
            None => "an unknown database".to_owned(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database", &self.database_description())
            .field("key_dir", &self.key_dir)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("token_lifetime_seconds", &self.token_lifetime_seconds)
            .field("max_pack_bytes", &self.max_pack_bytes)
            .field("publisher_dir", &self.publisher_dir())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn environment_overrides_the_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("server.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\ntoken_lifetime_seconds = 60\n",
        )?;
        let config = Config::load_from(
            Some(&file),
            env(&[
                ("STUDYHALL_SERVER_TOKEN_LIFETIME_SECONDS", "120"),
                ("STUDYHALL_SERVER_DATABASE_URL", "postgres://u:secret@db/sh"),
                ("UNRELATED", "x"),
            ]),
        )?;
        assert_eq!(config.listen, "0.0.0.0:9000".parse()?);
        assert_eq!(config.token_lifetime_seconds, 120);
        assert!(!format!("{config:?}").contains("secret"));
        Ok(())
    }

    #[test]
    fn errors_name_the_field() -> Result<(), Box<dyn std::error::Error>> {
        let bad_number =
            Config::load_from(None, env(&[("STUDYHALL_SERVER_MAX_REQUEST_BYTES", "lots")]));
        let message = bad_number.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("STUDYHALL_SERVER_MAX_REQUEST_BYTES"),
            "{message}"
        );

        let unknown = Config::load_from(None, env(&[("STUDYHALL_SERVER_LISTN", "x")]));
        let message = unknown.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("STUDYHALL_SERVER_LISTN"), "{message}");
        assert!(message.contains("STUDYHALL_SERVER_LISTEN"), "{message}");

        let dir = tempfile::tempdir()?;
        let file = dir.path().join("server.toml");
        std::fs::write(&file, "listen = \"nowhere\"\n")?;
        let message = Config::load_from(Some(&file), env(&[]))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("server.toml"), "{message}");

        let message =
            Config::load_from(None, env(&[("STUDYHALL_SERVER_DATABASE_URL", "mysql://x")]))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
        assert!(message.contains("database_url"), "{message}");
        Ok(())
    }
}
