//! The server's own keys, kept as files in the key folder (DESIGN §5): the Ed25519
//! signing key (receipts, key releases, kiosk profiles, status lists) and the X25519
//! sealing key results are sealed to.
//!
//! Promises: keys are created (mode 0600) only when their file is missing and never
//! replaced; a damaged key file stops the server with its path rather than being
//! overwritten. Replicas must share one key folder (or copies of it): start one
//! server first, or run `studyhall-server keys`, and copy the folder to the others.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;
use studyhall_signing::{PublicKey, SealingKey, SealingPublicKey, SigningError, SigningKey};
use utoipa::ToSchema;

pub const SIGNING_KEY_FILE: &str = "server-signing.key.pem";
pub const SEALING_KEY_FILE: &str = "server-sealing.jwk";

#[derive(Debug)]
pub struct ServerKeys {
    pub signing: SigningKey,
    pub sealing: SealingKey,
}

/// The public halves, for clients to trust.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct ServerPublicKeys {
    /// Verifies what the server signs (RFC 8037 Ed25519 JWK).
    #[schema(value_type = Object)]
    pub signing: PublicKey,
    /// What results are sealed to (X25519 JWK).
    #[schema(value_type = Object)]
    pub sealing: SealingPublicKey,
}

impl ServerKeys {
    /// Reads the keys in `dir`, creating the folder and any missing key.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create the key folder {}", dir.display()))?;
        let signing = load_or_create(
            dir.join(SIGNING_KEY_FILE),
            SigningKey::read_file,
            SigningKey::generate,
            SigningKey::write_file,
        )?;
        let sealing = load_or_create(
            dir.join(SEALING_KEY_FILE),
            SealingKey::read_file,
            SealingKey::generate,
            SealingKey::write_file,
        )?;
        Ok(Self { signing, sealing })
    }

    pub fn public(&self) -> ServerPublicKeys {
        ServerPublicKeys {
            signing: self.signing.public_key(),
            sealing: self.sealing.public_key(),
        }
    }
}

fn load_or_create<K>(
    path: PathBuf,
    read: fn(&Path) -> Result<K, SigningError>,
    generate: fn() -> Result<K, SigningError>,
    write: fn(&K, &Path) -> Result<(), SigningError>,
) -> anyhow::Result<K> {
    if !path.exists() {
        let key = generate()?;
        match write(&key, &path) {
            Ok(()) => {
                tracing::info!(path = %path.display(), "created a server key");
                return Ok(key);
            }
            // Another replica created it a moment ago: use theirs.
            Err(SigningError::KeyFileExists(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    read(&path).with_context(|| {
        format!(
            "the server key {} could not be read; restore it from a backup (a new key \
             would make every client's trust in this server void)",
            path.display()
        )
    })
}
