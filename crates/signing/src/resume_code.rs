//! Resume codes: the short code a proctor derives to let a candidate back into an
//! exam after the reboot time limit has passed.
//!
//! `resume_code(secret, session, counter)` is HMAC-SHA256 (by `ring`) keyed with the
//! exam's 256-bit [`ResumeSecret`] over
//!
//! ```text
//! "studyhall resume v1" | 0x00 | counter (4 bytes, big-endian) | session id (UTF-8)
//! ```
//!
//! truncated to its first 5 bytes and written as 8 Crockford base32 symbols, shown as
//! `ABCD-EFGH`. The counter is the number of earlier resumes of that session, so each
//! code works once. 40 bits cannot be guessed online; the app still limits attempts.
//! Typing forgives what start codes forgive (case, spaces, dashes, O/0, I/1, L/1), and
//! [`verify_resume_code`] compares in constant time.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::{SecureRandom as _, SystemRandom};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::{SigningError, crockford};

const LABEL: &[u8] = b"studyhall resume v1";
const CODE_KIND: &str = "resume code";
const CODE_SYMBOLS: usize = 8;
const CODE_BYTES: usize = 5;
const CODE_EXAMPLE: &str = "4HTR-2WPA";

/// The secret resume codes are derived from: 32 random bytes, held by the proctor's
/// tools and by the exam pack. Neither `Clone` nor `Serialize`; `Debug` shows nothing;
/// wiped on drop.
pub struct ResumeSecret(Zeroizing<[u8; 32]>);

impl ResumeSecret {
    pub fn generate() -> Result<Self, SigningError> {
        let mut secret = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(secret.as_mut())
            .map_err(|_| SigningError::RandomFailed)?;
        Ok(Self(secret))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret as base64url without padding, for storing; wiped when dropped.
    pub fn to_base64url(&self) -> Zeroizing<String> {
        Zeroizing::new(URL_SAFE_NO_PAD.encode(self.0.as_ref()))
    }

    pub fn from_base64url(text: &str) -> Result<Self, SigningError> {
        let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| {
            SigningError::InvalidKey(
                "a resume secret is base64url without padding; copy it again".to_owned(),
            )
        })?);
        let mut secret = Zeroizing::new([0u8; 32]);
        if bytes.len() != secret.len() {
            return Err(SigningError::InvalidKey(format!(
                "a resume secret is 32 bytes, not {}",
                bytes.len()
            )));
        }
        secret.copy_from_slice(&bytes);
        Ok(Self(secret))
    }

    fn tag(&self, session_id: &str, counter: u32) -> [u8; CODE_BYTES] {
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.0.as_ref());
        let mut context = hmac::Context::with_key(&key);
        context.update(LABEL);
        context.update(&[0]);
        context.update(&counter.to_be_bytes());
        context.update(session_id.as_bytes());
        let mut tag = [0u8; CODE_BYTES];
        tag.copy_from_slice(&context.sign().as_ref()[..CODE_BYTES]);
        tag
    }
}

impl fmt::Debug for ResumeSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResumeSecret(..)")
    }
}

/// A resume code: 8 Crockford base32 symbols. `Display` shows `ABCD-EFGH`.
#[derive(Clone, PartialEq, Eq)]
pub struct ResumeCode(String);

impl ResumeCode {
    /// The 8 symbols without the dash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ResumeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crockford::grouped(&self.0))
    }
}

impl fmt::Debug for ResumeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResumeCode(..)")
    }
}

/// The resume code for the `counter`-th resume (from 0) of session `session_id`.
pub fn resume_code(secret: &ResumeSecret, session_id: &str, counter: u32) -> ResumeCode {
    ResumeCode(crockford::encode(&secret.tag(session_id, counter)).to_string())
}

/// Checks a typed resume code in constant time. Malformed input fails with
/// [`SigningError::InvalidCode`], a wrong code with [`SigningError::WrongResumeCode`].
pub fn verify_resume_code(
    secret: &ResumeSecret,
    session_id: &str,
    counter: u32,
    typed: &str,
) -> Result<(), SigningError> {
    let canonical = crockford::normalize(CODE_KIND, typed, CODE_SYMBOLS, CODE_EXAMPLE)?;
    let given = crockford::decode_canonical(&canonical);
    let expected = secret.tag(session_id, counter);
    if bool::from(given.as_slice().ct_eq(&expected)) {
        Ok(())
    } else {
        Err(SigningError::WrongResumeCode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer() {
        #[derive(serde::Deserialize)]
        struct Vector {
            secret_hex: String,
            session_id: String,
            counter: u32,
            code: String,
        }
        let vector: Vector =
            serde_json::from_str(include_str!("../tests/vectors/resume-code.json")).unwrap();
        let mut secret = [0u8; 32];
        for (i, byte) in secret.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&vector.secret_hex[2 * i..2 * i + 2], 16).unwrap();
        }
        let secret = ResumeSecret::from_bytes(secret);
        let code = resume_code(&secret, &vector.session_id, vector.counter);
        assert_eq!(code.to_string(), vector.code);
        verify_resume_code(&secret, &vector.session_id, vector.counter, &vector.code).unwrap();
    }

    #[test]
    fn codes_depend_on_secret_session_and_counter() {
        let secret = ResumeSecret::generate().unwrap();
        let code = resume_code(&secret, "s-1", 0);
        assert_eq!(code.as_str().len(), 8);
        assert_eq!(code.to_string().len(), 9);
        assert_ne!(code, resume_code(&secret, "s-1", 1));
        assert_ne!(code, resume_code(&secret, "s-2", 0));
        assert_ne!(
            code,
            resume_code(&ResumeSecret::generate().unwrap(), "s-1", 0)
        );
    }

    #[test]
    fn verification_forgives_typing_and_refuses_wrong_codes() {
        let secret = ResumeSecret::generate().unwrap();
        let code = resume_code(&secret, "s-1", 3);
        let typed = format!(" {} ", code.to_string().to_lowercase().replace('0', "o"));
        verify_resume_code(&secret, "s-1", 3, &typed).unwrap();
        assert!(matches!(
            verify_resume_code(&secret, "s-1", 4, code.as_str()),
            Err(SigningError::WrongResumeCode)
        ));
        assert!(matches!(
            verify_resume_code(&secret, "s-2", 3, code.as_str()),
            Err(SigningError::WrongResumeCode)
        ));
        let err = verify_resume_code(&secret, "s-1", 3, "ABC").unwrap_err();
        assert!(
            matches!(
                &err,
                SigningError::InvalidCode {
                    kind: "resume code",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn secret_round_trips_and_never_shows() {
        let secret = ResumeSecret::generate().unwrap();
        let text = secret.to_base64url();
        let back = ResumeSecret::from_base64url(&text).unwrap();
        assert_eq!(resume_code(&back, "s", 0), resume_code(&secret, "s", 0));
        assert_eq!(format!("{secret:?}"), "ResumeSecret(..)");
        assert!(ResumeSecret::from_base64url("AAAA").is_err());
    }
}
