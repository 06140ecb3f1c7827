//! Ed25519 private keys: generating them, their PKCS#8 PEM files, and signing.
//!
//! Promises: a [`SigningKey`] is neither `Clone` nor `Serialize`, its `Debug` shows
//! only the key id, and its PKCS#8 bytes (and the PEM made from them) are wiped from
//! memory on drop. Key files are created with mode 0600 from the first byte and
//! never overwritten. Both PKCS#8 v2 (what [`SigningKey::generate`] writes) and v1
//! (what `openssl genpkey -algorithm ed25519` writes) load.
//!
//! Limit: the expanded key inside `ring`'s key pair is not wiped on drop; `ring`
//! offers no way to do so.

use std::fmt;
use std::io::Write as _;
use std::path::Path;

use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use zeroize::Zeroizing;

use crate::{KeyId, PublicKey, SigningError};

const PEM_LABEL: &str = "PRIVATE KEY";

/// An Ed25519 private key.
pub struct SigningKey {
    pkcs8: Zeroizing<Vec<u8>>,
    key_pair: Ed25519KeyPair,
    public_key: PublicKey,
}

impl SigningKey {
    /// A new random key from the operating system's random number generator.
    pub fn generate() -> Result<Self, SigningError> {
        let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| {
            SigningError::InvalidKey(
                "the operating system's random number generator failed; try again".to_owned(),
            )
        })?;
        Self::from_pkcs8_der(Zeroizing::new(document.as_ref().to_vec()))
    }

    /// Loads a PEM `PRIVATE KEY` (unencrypted PKCS#8, v1 or v2).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, SigningError> {
        // The decoded document is never longer than its PEM text, so this buffer
        // never reallocates (which would leave an unwiped copy behind).
        let mut der = Zeroizing::new(vec![0u8; pem.len()]);
        let (label, decoded_len) = match pem_rfc7468::decode(pem.as_bytes(), &mut der) {
            Ok((label, decoded)) => (label, decoded.len()),
            Err(err) => {
                return Err(SigningError::InvalidKey(format!(
                    "not a PEM private key file ({err})"
                )));
            }
        };
        match label {
            PEM_LABEL => {}
            "ENCRYPTED PRIVATE KEY" => {
                return Err(SigningError::InvalidKey(
                    "the private key is encrypted; decrypt it first \
                     (openssl pkey -in KEY -out PLAIN_KEY)"
                        .to_owned(),
                ));
            }
            other => {
                return Err(SigningError::InvalidKey(format!(
                    "the PEM block is \"{other}\", not \"{PEM_LABEL}\" (an unencrypted PKCS#8 Ed25519 key)"
                )));
            }
        }
        der.truncate(decoded_len);
        Self::from_pkcs8_der(der)
    }

    fn from_pkcs8_der(pkcs8: Zeroizing<Vec<u8>>) -> Result<Self, SigningError> {
        let key_pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).map_err(|err| {
            SigningError::InvalidKey(format!(
                "not an Ed25519 private key in PKCS#8 form ({err}); \
                 make one with `openssl genpkey -algorithm ed25519`"
            ))
        })?;
        let mut public = [0u8; 32];
        // An Ed25519 public key is always 32 bytes.
        public.copy_from_slice(key_pair.public_key().as_ref());
        Ok(Self {
            pkcs8,
            key_pair,
            public_key: PublicKey::from_bytes(public),
        })
    }

    /// The key as a PEM `PRIVATE KEY` (PKCS#8), wiped from memory when dropped.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        // Encoding fails only for labels or lengths far beyond a 32-byte key's.
        let pem = pem_rfc7468::encode_string(PEM_LABEL, pem_rfc7468::LineEnding::LF, &self.pkcs8)
            .expect("an Ed25519 PKCS#8 document always PEM-encodes");
        Zeroizing::new(pem)
    }

    pub fn read_file(path: &Path) -> Result<Self, SigningError> {
        let pem = Zeroizing::new(
            std::fs::read_to_string(path).map_err(|err| SigningError::io(path, err))?,
        );
        Self::from_pkcs8_pem(&pem).map_err(|err| err.in_file(path))
    }

    /// Writes the key to a new file readable only by its owner (mode 0600 on Unix,
    /// set when the file is created). Refuses to replace an existing file.
    pub fn write_file(&self, path: &Path) -> Result<(), SigningError> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|err| {
            if err.kind() == std::io::ErrorKind::AlreadyExists {
                SigningError::KeyFileExists(path.to_path_buf())
            } else {
                SigningError::io(path, err)
            }
        })?;
        let written = file
            .write_all(self.to_pkcs8_pem().as_bytes())
            .and_then(|()| file.sync_all());
        if let Err(err) = written {
            // Leave no half-written key behind to block the next attempt.
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(SigningError::io(path, err));
        }
        Ok(())
    }

    pub fn public_key(&self) -> PublicKey {
        self.public_key.clone()
    }

    pub fn key_id(&self) -> &KeyId {
        self.public_key.key_id()
    }

    /// The Ed25519 signature of `message` (deterministic: same key and message, same
    /// signature).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut signature = [0u8; 64];
        // An Ed25519 signature is always 64 bytes.
        signature.copy_from_slice(self.key_pair.sign(message).as_ref());
        signature
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.key_id().as_str())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn written_key_file_is_owner_only_and_round_trips() {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.key.pem");
        let key = SigningKey::generate().unwrap();
        key.write_file(&path).unwrap();

        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");

        let loaded = SigningKey::read_file(&path).unwrap();
        assert_eq!(loaded.public_key(), key.public_key());
        assert_eq!(loaded.sign(b"same message"), key.sign(b"same message"));
    }

    #[test]
    fn write_file_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.key.pem");
        std::fs::write(&path, "something precious").unwrap();
        let err = SigningKey::generate()
            .unwrap()
            .write_file(&path)
            .unwrap_err();
        assert!(matches!(&err, SigningError::KeyFileExists(p) if *p == path));
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "something precious"
        );
    }

    #[test]
    fn write_file_into_missing_directory_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-dir").join("key.pem");
        let err = SigningKey::generate()
            .unwrap()
            .write_file(&path)
            .unwrap_err();
        assert!(matches!(err, SigningError::Io { .. }), "{err}");
    }

    #[test]
    fn pem_round_trip_keeps_the_key() {
        let key = SigningKey::generate().unwrap();
        let pem = key.to_pkcs8_pem();
        assert!(
            pem.starts_with("-----BEGIN PRIVATE KEY-----\n"),
            "{}",
            &pem[..30]
        );
        assert!(pem.trim_end().ends_with("-----END PRIVATE KEY-----"));
        let loaded = SigningKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(loaded.key_id(), key.key_id());
        assert_eq!(loaded.public_key().as_bytes(), key.public_key().as_bytes());
    }

    #[test]
    fn generated_keys_differ_and_signatures_verify() {
        let a = SigningKey::generate().unwrap();
        let b = SigningKey::generate().unwrap();
        assert_ne!(a.key_id(), b.key_id());
        let signature = a.sign(b"hello");
        a.public_key().verify(b"hello", &signature).unwrap();
        assert!(matches!(
            b.public_key().verify(b"hello", &signature),
            Err(SigningError::BadSignature)
        ));
        assert!(matches!(
            a.public_key().verify(b"hellO", &signature),
            Err(SigningError::BadSignature)
        ));
    }

    #[test]
    fn debug_never_shows_key_material() {
        let key = SigningKey::generate().unwrap();
        let debug = format!("{key:?}");
        assert_eq!(debug, format!("SigningKey {{ kid: \"{}\" }}", key.key_id()));
        let pretty = format!("{key:#?}");
        let pem = key.to_pkcs8_pem();
        let pem_body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        for text in [&debug, &pretty] {
            assert!(!text.contains(&pem_body), "{text}");
            assert!(!text.contains("PRIVATE"), "{text}");
        }
        assert!(!pretty.contains(&format!("{:?}", &key.pkcs8[..])));
    }

    #[test]
    fn rejects_other_pem_blocks_and_garbage() {
        let public_pem = "-----BEGIN PUBLIC KEY-----\n\
            MCowBQYDK2VwAyEAwLL0sS4Ef2r9x8fS+d2NSUHESoFK+eKk8ttcK3BC584=\n\
            -----END PUBLIC KEY-----\n";
        let encrypted =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        // A well-formed PKCS#8 document for an Ed448 key, made with OpenSSL.
        let ed448 = "-----BEGIN PRIVATE KEY-----\n\
            MEcCAQAwBQYDK2VxBDsEOZqGQPIpg8Rd7t9sqvim9Sv+fv0Ju8Rx79n4flNw1iO9\n\
            xLC0JG4ZxCqCXOSO0UDvhsrhR6xK07+esA==\n\
            -----END PRIVATE KEY-----\n";
        for (pem, expected) in [
            (public_pem, "\"PUBLIC KEY\""),
            (encrypted, "encrypted"),
            (ed448, "not an Ed25519 private key"),
            ("hello", "not a PEM private key"),
        ] {
            match SigningKey::from_pkcs8_pem(pem) {
                Err(SigningError::InvalidKey(message)) => {
                    assert!(message.contains(expected), "{message}")
                }
                other => panic!("expected InvalidKey, got {other:?}"),
            }
        }
    }
}
