//! Start codes: what a proctor reads aloud so candidates can unlock an exam pack
//! offline, and the content key wrapped for one.
//!
//! A [`StartCode`] is 80 random bits written as 16 Crockford base32 symbols in groups
//! of four, like `7K3M-Q9XD-4HTR-2WPA`. Typing is forgiving: any case, spaces and
//! dashes anywhere, `O` for `0`, `I` or `L` for `1`. 80 bits behind PBKDF2 with at
//! least 600,000 iterations make offline guessing impractical (about 2^99 HMAC-SHA256
//! computations on average).
//!
//! A [`StartCodeWrap`] (version 1, see `docs/formats.md`) is JSON:
//!
//! ```json
//! {"v":1,"kdf":"PBKDF2-HMAC-SHA256","iterations":600000,"salt":"<16 bytes, base64url>","wrapped":"<base64url>"}
//! ```
//!
//! The wrapping key is PBKDF2-HMAC-SHA256 (by `ring`) of the code's 16 canonical
//! symbols as ASCII (upper case, no dashes), the salt and the iterations, 32 bytes
//! long. `wrapped` is the content key as encrypted data version 1 (see
//! [`crate::ContentKey::encrypt`]) under that key with the associated data
//! `"studyhall start-code wrap v1"`.
//!
//! Promises: a [`StartCode`] is neither `Clone` nor `Serialize`, its `Debug` shows
//! nothing of it, and it is wiped on drop; a wrong code (or a changed wrap) fails with
//! [`SigningError::WrongStartCode`]; wraps with fewer than [`StartCodeWrap::MIN_ITERATIONS`]
//! or more than [`StartCodeWrap::MAX_ITERATIONS`] iterations are neither made nor read.

use std::fmt;
use std::num::NonZeroU32;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom as _, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{ContentKey, SigningError, crockford};

const CODE_KIND: &str = "start code";
const CODE_SYMBOLS: usize = 16;
const CODE_EXAMPLE: &str = "7K3M-Q9XD-4HTR-2WPA";
const VERSION: u64 = 1;
const KDF: &str = "PBKDF2-HMAC-SHA256";
const SALT_LEN: usize = 16;
const WRAP_AAD: &[u8] = b"studyhall start-code wrap v1";

/// A code that unlocks an exam pack's content key: 80 random bits.
pub struct StartCode {
    /// The 16 canonical symbols, the PBKDF2 password.
    canonical: Zeroizing<String>,
}

impl StartCode {
    /// The random bits in a start code.
    pub const ENTROPY_BITS: u32 = 80;

    /// A new random code from the operating system's random number generator.
    pub fn generate() -> Result<Self, SigningError> {
        let mut bytes = Zeroizing::new([0u8; 10]);
        SystemRandom::new()
            .fill(bytes.as_mut())
            .map_err(|_| SigningError::RandomFailed)?;
        Ok(Self {
            canonical: crockford::encode(bytes.as_ref()),
        })
    }

    /// Reads a typed code, forgiving case, spaces, dashes and O/0, I/1, L/1.
    pub fn parse(typed: &str) -> Result<Self, SigningError> {
        Ok(Self {
            canonical: crockford::normalize(CODE_KIND, typed, CODE_SYMBOLS, CODE_EXAMPLE)?,
        })
    }

    /// The code to show or read aloud: `7K3M-Q9XD-4HTR-2WPA`. Wiped when dropped.
    pub fn to_grouped(&self) -> Zeroizing<String> {
        crockford::grouped(&self.canonical)
    }

    fn derive_wrapping_key(&self, salt: &[u8], iterations: NonZeroU32) -> ContentKey {
        ContentKey::from_zeroizing(pbkdf2_sha256(self.canonical.as_bytes(), salt, iterations))
    }
}

impl fmt::Debug for StartCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StartCode(..)")
    }
}

/// PBKDF2-HMAC-SHA256 with a 32-byte output.
fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: NonZeroU32) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        salt,
        password,
        out.as_mut(),
    );
    out
}

/// A content key wrapped for a start code. Serializes as its JSON (version 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WrapJson", into = "WrapJson")]
pub struct StartCodeWrap {
    iterations: NonZeroU32,
    salt: [u8; SALT_LEN],
    wrapped: Vec<u8>,
}

impl StartCodeWrap {
    /// The iterations [`ContentKey::wrap_with_start_code`] callers should use, and the
    /// least accepted (OWASP's 2023 advice for PBKDF2-HMAC-SHA256).
    pub const MIN_ITERATIONS: u32 = 600_000;
    /// The most accepted, so a doctored pack cannot stall the app for minutes.
    pub const MAX_ITERATIONS: u32 = 20_000_000;

    pub fn iterations(&self) -> u32 {
        self.iterations.get()
    }

    /// Unwraps the content key; a wrong code fails with [`SigningError::WrongStartCode`].
    pub fn unwrap(&self, code: &StartCode) -> Result<ContentKey, SigningError> {
        let wrapping_key = code.derive_wrapping_key(&self.salt, self.iterations);
        let key = wrapping_key
            .decrypt_as(WRAP_AAD, &self.wrapped, "wrapped content key")
            .map_err(|err| match err {
                SigningError::DecryptionFailed { .. } => SigningError::WrongStartCode,
                other => other,
            })?;
        ContentKey::from_slice(&key, "wrapped content key")
    }

    /// The wrap as one line of JSON.
    pub fn to_json(&self) -> String {
        // Serializing strings and numbers cannot fail.
        serde_json::to_string(self).expect("a start-code wrap always serializes")
    }

    pub fn from_json(json: &str) -> Result<Self, SigningError> {
        let version: Version = serde_json::from_str(json).map_err(|err| {
            SigningError::Malformed(format!("not a start-code wrapped key: {err}"))
        })?;
        if version.v != VERSION {
            return Err(SigningError::UnsupportedVersion {
                what: "start-code wrapped key",
                version: version.v.to_string(),
            });
        }
        serde_json::from_str(json)
            .map_err(|err| SigningError::Malformed(format!("not a start-code wrapped key: {err}")))
    }
}

impl ContentKey {
    /// Wraps this key for `code` with a fresh random salt and `iterations` of PBKDF2
    /// (at least [`StartCodeWrap::MIN_ITERATIONS`], which is the usual choice).
    pub fn wrap_with_start_code(
        &self,
        code: &StartCode,
        iterations: u32,
    ) -> Result<StartCodeWrap, SigningError> {
        let iterations = check_iterations(iterations)
            .map_err(|err| SigningError::InvalidArgument(err.to_string()))?;
        let mut salt = [0u8; SALT_LEN];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| SigningError::RandomFailed)?;
        let wrapped = code
            .derive_wrapping_key(&salt, iterations)
            .encrypt(WRAP_AAD, self.as_bytes())?;
        Ok(StartCodeWrap {
            iterations,
            salt,
            wrapped,
        })
    }
}

/// Why a start-code wrap's JSON does not describe a wrap; shown inside
/// [`SigningError::Malformed`].
#[derive(Debug, thiserror::Error)]
enum WrapFormatError {
    #[error("version {0} is not {VERSION}")]
    Version(u64),
    #[error("key derivation \"{0}\" is not {KDF}")]
    Kdf(String),
    #[error(
        "{0} PBKDF2 iterations is outside the accepted {min} to {max}",
        min = StartCodeWrap::MIN_ITERATIONS,
        max = StartCodeWrap::MAX_ITERATIONS
    )]
    Iterations(u32),
    #[error("\"{0}\" is not base64url without padding")]
    NotBase64(&'static str),
    #[error("\"salt\" is {0} bytes long, not {SALT_LEN}")]
    SaltLength(usize),
}

fn check_iterations(iterations: u32) -> Result<NonZeroU32, WrapFormatError> {
    if !(StartCodeWrap::MIN_ITERATIONS..=StartCodeWrap::MAX_ITERATIONS).contains(&iterations) {
        return Err(WrapFormatError::Iterations(iterations));
    }
    NonZeroU32::new(iterations).ok_or(WrapFormatError::Iterations(iterations))
}

#[derive(Deserialize)]
struct Version {
    v: u64,
}

/// The wrap as written (docs/formats.md, "Start-code wrapped key").
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WrapJson {
    v: u64,
    kdf: String,
    iterations: u32,
    salt: String,
    wrapped: String,
}

impl TryFrom<WrapJson> for StartCodeWrap {
    type Error = WrapFormatError;

    fn try_from(json: WrapJson) -> Result<Self, WrapFormatError> {
        if json.v != VERSION {
            return Err(WrapFormatError::Version(json.v));
        }
        if json.kdf != KDF {
            return Err(WrapFormatError::Kdf(json.kdf));
        }
        let iterations = check_iterations(json.iterations)?;
        let salt = URL_SAFE_NO_PAD
            .decode(&json.salt)
            .map_err(|_| WrapFormatError::NotBase64("salt"))?;
        let salt = <[u8; SALT_LEN]>::try_from(salt.as_slice())
            .map_err(|_| WrapFormatError::SaltLength(salt.len()))?;
        let wrapped = URL_SAFE_NO_PAD
            .decode(&json.wrapped)
            .map_err(|_| WrapFormatError::NotBase64("wrapped"))?;
        Ok(Self {
            iterations,
            salt,
            wrapped,
        })
    }
}

impl From<StartCodeWrap> for WrapJson {
    fn from(wrap: StartCodeWrap) -> Self {
        Self {
            v: VERSION,
            kdf: KDF.to_owned(),
            iterations: wrap.iterations.get(),
            salt: URL_SAFE_NO_PAD.encode(wrap.salt),
            wrapped: URL_SAFE_NO_PAD.encode(&wrap.wrapped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PBKDF2-HMAC-SHA256 known answers: RFC 7914 §11 and the RFC 6070 inputs with
    /// SHA-256 (as published alongside RFC 6070 and checked with Python's hashlib).
    #[test]
    fn pbkdf2_matches_known_vectors() {
        #[derive(serde::Deserialize)]
        struct Vector {
            password: String,
            salt: String,
            iterations: u32,
            derived_key: String,
        }
        let vectors: Vec<Vector> =
            serde_json::from_str(include_str!("../tests/vectors/pbkdf2-hmac-sha256.json")).unwrap();
        assert!(vectors.len() >= 5);
        for vector in vectors {
            let expected = hex(&vector.derived_key);
            let mut out = vec![0u8; expected.len()];
            ring::pbkdf2::derive(
                ring::pbkdf2::PBKDF2_HMAC_SHA256,
                NonZeroU32::new(vector.iterations).unwrap(),
                vector.salt.as_bytes(),
                vector.password.as_bytes(),
                &mut out,
            );
            assert_eq!(out, expected, "{} / {}", vector.password, vector.iterations);
            if expected.len() == 32 {
                let ours = pbkdf2_sha256(
                    vector.password.as_bytes(),
                    vector.salt.as_bytes(),
                    NonZeroU32::new(vector.iterations).unwrap(),
                );
                assert_eq!(&ours[..], &expected[..]);
            }
        }
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn generated_codes_are_grouped_and_parse_back() {
        let code = StartCode::generate().unwrap();
        let grouped = code.to_grouped();
        assert_eq!(grouped.len(), 19, "{}", grouped.as_str());
        assert_eq!(grouped.matches('-').count(), 3);
        let typed = grouped.to_lowercase().replace('-', " ");
        assert_eq!(
            StartCode::parse(&typed).unwrap().to_grouped().as_str(),
            grouped.as_str()
        );
        assert_ne!(
            StartCode::generate().unwrap().to_grouped().as_str(),
            grouped.as_str()
        );
    }

    #[test]
    fn parse_forgives_confusables_and_names_what_is_wrong() {
        let code = StartCode::parse(" 7k3m q9xd-4htr-2wpo ").unwrap();
        assert_eq!(code.to_grouped().as_str(), "7K3M-Q9XD-4HTR-2WP0");
        let code = StartCode::parse("ILl0-0000-0000-0000").unwrap();
        assert_eq!(code.to_grouped().as_str(), "1110-0000-0000-0000");
        let err = StartCode::parse("7K3M-Q9XD-4HTR").unwrap_err();
        assert!(err.to_string().contains("has 16"), "{err}");
        let err = StartCode::parse("7K3M-Q9XD-4HTR-2WPU").unwrap_err();
        assert!(err.to_string().contains("\"U\""), "{err}");
    }

    #[test]
    fn debug_shows_nothing() {
        let code = StartCode::generate().unwrap();
        assert_eq!(format!("{code:?}"), "StartCode(..)");
    }

    #[test]
    fn wrap_round_trips_through_json_and_refuses_wrong_codes() {
        let key = ContentKey::generate().unwrap();
        let code = StartCode::generate().unwrap();
        let wrap = key
            .wrap_with_start_code(&code, StartCodeWrap::MIN_ITERATIONS)
            .unwrap();
        let json = wrap.to_json();
        let read = StartCodeWrap::from_json(&json).unwrap();
        assert_eq!(read, wrap);
        assert_eq!(read.iterations(), 600_000);

        let typed = StartCode::parse(&code.to_grouped().to_lowercase()).unwrap();
        assert_eq!(read.unwrap(&typed).unwrap().as_bytes(), key.as_bytes());

        let wrong = StartCode::generate().unwrap();
        let err = read.unwrap(&wrong).unwrap_err();
        assert!(matches!(err, SigningError::WrongStartCode), "{err}");
        assert!(
            err.to_string().starts_with("the start code is wrong"),
            "{err}"
        );
    }

    #[test]
    fn weak_or_doctored_wraps_are_refused() {
        let key = ContentKey::from_bytes([1; 32]);
        let code = StartCode::generate().unwrap();
        assert!(matches!(
            key.wrap_with_start_code(&code, 1000),
            Err(SigningError::InvalidArgument(_))
        ));
        let json = r#"{"v":1,"kdf":"PBKDF2-HMAC-SHA256","iterations":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA","wrapped":"AAAA"}"#;
        let err = StartCodeWrap::from_json(json).unwrap_err();
        assert!(err.to_string().contains("outside the accepted"), "{err}");
        let json = r#"{"v":2,"anything":"new"}"#;
        let err = StartCodeWrap::from_json(json).unwrap_err();
        assert!(
            matches!(&err, SigningError::UnsupportedVersion { version, .. } if version == "2"),
            "{err}"
        );
        let json = r#"{"v":1,"kdf":"scrypt","iterations":600000,"salt":"AAAAAAAAAAAAAAAAAAAAAA","wrapped":"AAAA"}"#;
        assert!(
            StartCodeWrap::from_json(json)
                .unwrap_err()
                .to_string()
                .contains("scrypt")
        );
    }
}
