//! Content keys: the random AES-256-GCM key that encrypts an exam pack's item bank,
//! and the encrypted-data format it writes.
//!
//! Encrypted data, version 1 (see `docs/formats.md`), byte for byte:
//!
//! ```text
//! "SHE1" (4 bytes: 53 48 45 31) | nonce (12 bytes) | ciphertext | tag (16 bytes)
//! ```
//!
//! AES-256-GCM (by `ring`) with a fresh random 96-bit nonce per message, and as
//! associated data the 4 header bytes followed by the caller's `aad` (which is not
//! stored: the reader must know it, e.g. the exam id and the file's path in the pack).
//! Random nonces keep a key safe for up to 2^32 messages, far more than a pack holds.
//!
//! A content key leaves its pack only wrapped: for a start code
//! ([`crate::StartCodeWrap`]) or sealed to the server for release
//! ([`ContentKey::wrap_for_release`]).
//!
//! Promises: a [`ContentKey`] is neither `Clone` nor `Serialize`, its `Debug` shows
//! nothing of it, and it is wiped from memory on drop. Decryption fails, without
//! returning any plaintext, if any byte was changed, the key is another, or `aad`
//! differs. Limit: `ring`'s expanded AES key schedule is not wiped on drop.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use ring::rand::{SecureRandom as _, SystemRandom};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::{ResumeSecret, Sealed, SealingKey, SealingPublicKey, SigningError};

/// The header of encrypted data, version 1.
const MAGIC: &[u8; 4] = b"SHE1";
const TAG_LEN: usize = 16;

/// A random 256-bit AES-GCM key.
pub struct ContentKey(Zeroizing<[u8; 32]>);

impl ContentKey {
    /// The `typ` of a content key sealed for release by the server.
    pub const RELEASE_TYP: &'static str = "studyhall/content-key";

    /// A new random key from the operating system's random number generator.
    pub fn generate() -> Result<Self, SigningError> {
        let mut key = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(key.as_mut())
            .map_err(|_| SigningError::RandomFailed)?;
        Ok(Self(key))
    }

    /// A key from its 32 bytes (e.g. a test vector). The caller wipes its own copy.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub(crate) fn from_zeroizing(bytes: Zeroizing<[u8; 32]>) -> Self {
        Self(bytes)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn aead_key(&self) -> LessSafeKey {
        // AES-256 takes exactly the 32 bytes we hold.
        LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, self.0.as_ref()).expect("a 32-byte AES-256 key"),
        )
    }

    /// Encrypts `plaintext` in the encrypted-data format, version 1, bound to `aad`.
    pub fn encrypt(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SigningError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SigningError::RandomFailed)?;
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        let header_len = out.len();
        out.extend_from_slice(plaintext);
        let tag = self
            .aead_key()
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(full_aad(aad)),
                &mut out[header_len..],
            )
            .map_err(|_| {
                SigningError::InvalidArgument(format!(
                    "{} bytes is more than AES-GCM can encrypt in one message",
                    plaintext.len()
                ))
            })?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypts data made by [`ContentKey::encrypt`] with this key and the same `aad`.
    pub fn decrypt(&self, aad: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>, SigningError> {
        self.decrypt_as(aad, data, "encrypted data")
    }

    /// [`ContentKey::decrypt`], naming `what` in its errors.
    pub(crate) fn decrypt_as(
        &self,
        aad: &[u8],
        data: &[u8],
        what: &'static str,
    ) -> Result<Zeroizing<Vec<u8>>, SigningError> {
        let (magic, rest) = data
            .split_at_checked(MAGIC.len())
            .ok_or_else(|| too_short(what, data))?;
        if magic != MAGIC {
            return Err(if magic.starts_with(&MAGIC[..3]) {
                SigningError::UnsupportedVersion {
                    what,
                    version: String::from_utf8_lossy(&magic[3..]).into_owned(),
                }
            } else {
                SigningError::Malformed(format!(
                    "the {what} does not start with \"SHE1\", so it is not Studyhall encrypted data"
                ))
            });
        }
        let (nonce, sealed) = rest
            .split_at_checked(NONCE_LEN)
            .ok_or_else(|| too_short(what, data))?;
        if sealed.len() < TAG_LEN {
            return Err(too_short(what, data));
        }
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| too_short(what, data))?;
        let mut buffer = Zeroizing::new(sealed.to_vec());
        let plaintext_len = self
            .aead_key()
            .open_in_place(nonce, Aad::from(full_aad(aad)), &mut buffer)
            .map_err(|_| SigningError::DecryptionFailed { what })?
            .len();
        buffer.truncate(plaintext_len);
        Ok(buffer)
    }

    /// Seals this key to the server's sealing key, for the server to release at the
    /// scheduled time. `aad` binds it to its exam (e.g. the exam id and version), so the
    /// server can refuse to release one exam's key as another's.
    pub fn wrap_for_release(
        &self,
        server: &SealingPublicKey,
        aad: &[u8],
    ) -> Result<Sealed, SigningError> {
        server.seal(Self::RELEASE_TYP, aad, self.as_bytes())
    }

    /// The server's side of [`ContentKey::wrap_for_release`].
    pub fn unwrap_released(
        server: &SealingKey,
        sealed: &Sealed,
        aad: &[u8],
    ) -> Result<Self, SigningError> {
        let bytes = server.open(sealed, Self::RELEASE_TYP, aad)?;
        Self::from_slice(&bytes, "released content key")
    }

    /// The key as base64url without padding, for keeping an unlocked exam's key with its
    /// running session (so a crash does not need the start code again); wiped on drop.
    pub fn to_base64url(&self) -> Zeroizing<String> {
        Zeroizing::new(URL_SAFE_NO_PAD.encode(self.0.as_ref()))
    }

    pub fn from_base64url(text: &str) -> Result<Self, SigningError> {
        let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| {
            SigningError::Malformed("a stored content key is not base64url".to_owned())
        })?);
        Self::from_slice(&bytes, "stored content key")
    }

    /// The exam's resume secret (see [`crate::resume_code`]), derived from this key with
    /// HKDF-SHA256 (info `"studyhall resume secret v1" | 0x00 | binding`): whoever can
    /// unlock the exam — the proctor with its start code, the unlocked app — can derive
    /// and check resume codes, and nobody else.
    pub fn resume_secret(&self, binding: &[u8]) -> ResumeSecret {
        ResumeSecret::from_bytes(self.derive(b"studyhall resume secret v1", binding))
    }

    /// The exam's proctor PIN: 8 digits derived like [`ContentKey::resume_secret`] with
    /// info `"studyhall proctor pin v1"`, the first 8 bytes read big-endian modulo 10^8.
    /// It lets a proctor close the locked exam window or export a result.
    pub fn proctor_pin(&self, binding: &[u8]) -> ProctorPin {
        let bytes = self.derive(b"studyhall proctor pin v1", binding);
        let mut first = [0u8; 8];
        first.copy_from_slice(&bytes[..8]);
        ProctorPin(Zeroizing::new(format!(
            "{:08}",
            u64::from_be_bytes(first) % 100_000_000
        )))
    }

    fn derive(&self, label: &[u8], binding: &[u8]) -> [u8; 32] {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(self.0.as_ref());
        let info = [label, &[0u8], binding];
        let mut out = [0u8; 32];
        prk.expand(&info, Len32)
            .and_then(|okm| okm.fill(&mut out))
            .expect("HKDF-SHA256 can give 32 bytes");
        out
    }

    pub(crate) fn from_slice(bytes: &[u8], what: &str) -> Result<Self, SigningError> {
        let mut key = Zeroizing::new([0u8; 32]);
        if bytes.len() != key.len() {
            return Err(SigningError::Malformed(format!(
                "the {what} is {} bytes long, not 32",
                bytes.len()
            )));
        }
        key.copy_from_slice(bytes);
        Ok(Self(key))
    }
}

impl fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContentKey(..)")
    }
}

/// HKDF output length of 32 bytes.
struct Len32;

impl hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

/// A proctor PIN: 8 digits. `Debug` shows nothing; wiped on drop.
pub struct ProctorPin(Zeroizing<String>);

impl ProctorPin {
    /// The 8 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks a typed PIN in constant time; spaces and dashes are ignored.
    pub fn matches(&self, typed: &str) -> bool {
        let digits: Zeroizing<String> = Zeroizing::new(
            typed
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .collect(),
        );
        digits.len() == self.0.len() && bool::from(digits.as_bytes().ct_eq(self.0.as_bytes()))
    }
}

impl fmt::Debug for ProctorPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProctorPin(..)")
    }
}

/// The header followed by the caller's associated data.
fn full_aad(aad: &[u8]) -> Vec<u8> {
    let mut full = Vec::with_capacity(MAGIC.len() + aad.len());
    full.extend_from_slice(MAGIC);
    full.extend_from_slice(aad);
    full
}

fn too_short(what: &str, data: &[u8]) -> SigningError {
    SigningError::Malformed(format!(
        "the {what} is {} bytes long, shorter than the {} bytes of header, nonce and tag; it was cut short",
        data.len(),
        MAGIC.len() + NONCE_LEN + TAG_LEN
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_secrets_are_stable_distinct_and_bound() {
        let key = ContentKey::from_bytes([7; 32]);
        let pin = key.proctor_pin(b"exam-1\x001.0.0");
        assert_eq!(pin.as_str().len(), 8);
        assert!(pin.as_str().bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(pin.as_str(), key.proctor_pin(b"exam-1\x001.0.0").as_str());
        assert_ne!(pin.as_str(), key.proctor_pin(b"exam-2\x001.0.0").as_str());
        assert_ne!(
            pin.as_str(),
            ContentKey::from_bytes([8; 32])
                .proctor_pin(b"exam-1\x001.0.0")
                .as_str()
        );
        let spaced = format!("{}-{} ", &pin.as_str()[..4], &pin.as_str()[4..]);
        assert!(pin.matches(&spaced));
        assert!(!pin.matches("12345678") || pin.as_str() == "12345678");
        assert!(!pin.matches(&pin.as_str()[..7]));
        assert_eq!(format!("{pin:?}"), "ProctorPin(..)");

        let secret = key.resume_secret(b"exam-1\x001.0.0");
        let code = crate::resume_code(&secret, "session-1", 0);
        let again = key.resume_secret(b"exam-1\x001.0.0");
        crate::verify_resume_code(&again, "session-1", 0, &code.to_string()).unwrap();
        let other = key.resume_secret(b"exam-2\x001.0.0");
        assert!(crate::verify_resume_code(&other, "session-1", 0, &code.to_string()).is_err());
    }

    #[test]
    fn stored_form_round_trips() {
        let key = ContentKey::generate().unwrap();
        let data = key.encrypt(b"a", b"bank").unwrap();
        let back = ContentKey::from_base64url(&key.to_base64url()).unwrap();
        assert_eq!(&back.decrypt(b"a", &data).unwrap()[..], b"bank");
        assert!(ContentKey::from_base64url("not base64!").is_err());
        assert!(ContentKey::from_base64url("AAAA").is_err());
    }

    #[test]
    fn round_trip_and_layout() {
        let key = ContentKey::generate().unwrap();
        let data = key.encrypt(b"exam-1/items.json", b"the item bank").unwrap();
        assert_eq!(&data[..4], b"SHE1");
        assert_eq!(data.len(), 4 + 12 + 13 + 16);
        assert_eq!(
            &key.decrypt(b"exam-1/items.json", &data).unwrap()[..],
            b"the item bank"
        );
        let again = key.encrypt(b"exam-1/items.json", b"the item bank").unwrap();
        assert_ne!(data[4..16], again[4..16], "fresh nonce each time");
        assert_eq!(
            &key.decrypt(b"", &key.encrypt(b"", b"").unwrap()).unwrap()[..],
            b""
        );
    }

    #[test]
    fn every_changed_byte_is_refused() {
        let key = ContentKey::generate().unwrap();
        let data = key.encrypt(b"aad", b"candidate-facing secrets").unwrap();
        for i in 0..data.len() {
            for flip in [0x01u8, 0x80] {
                let mut tampered = data.clone();
                tampered[i] ^= flip;
                let err = key.decrypt(b"aad", &tampered).unwrap_err();
                let expected = if i < 4 {
                    matches!(
                        err,
                        SigningError::Malformed(_) | SigningError::UnsupportedVersion { .. }
                    )
                } else {
                    matches!(
                        err,
                        SigningError::DecryptionFailed {
                            what: "encrypted data"
                        }
                    )
                };
                assert!(expected, "byte {i} ^ {flip:#x}: {err}");
            }
        }
        for len in 0..data.len() {
            assert!(key.decrypt(b"aad", &data[..len]).is_err(), "cut to {len}");
        }
        let mut longer = data.clone();
        longer.push(0);
        assert!(key.decrypt(b"aad", &longer).is_err());
    }

    #[test]
    fn wrong_key_or_aad_is_refused_with_a_clear_message() {
        let key = ContentKey::generate().unwrap();
        let data = key.encrypt(b"exam-1", b"secret").unwrap();
        let other = ContentKey::generate().unwrap();
        let err = other.decrypt(b"exam-1", &data).unwrap_err();
        assert!(
            matches!(err, SigningError::DecryptionFailed { .. }),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("encrypted data could not be decrypted"),
            "{err}"
        );
        assert!(matches!(
            key.decrypt(b"exam-2", &data),
            Err(SigningError::DecryptionFailed { .. })
        ));
    }

    #[test]
    fn other_versions_and_formats_are_named() {
        let key = ContentKey::generate().unwrap();
        let mut data = key.encrypt(b"", b"x").unwrap();
        data[3] = b'2';
        let err = key.decrypt(b"", &data).unwrap_err();
        assert!(
            matches!(&err, SigningError::UnsupportedVersion { version, .. } if version == "2"),
            "{err}"
        );
        assert!(err.to_string().contains("update Studyhall"), "{err}");
        let err = key
            .decrypt(b"", b"PK\x03\x04 a zip file, not ours at all")
            .unwrap_err();
        assert!(
            err.to_string().contains("not Studyhall encrypted data"),
            "{err}"
        );
        let err = key.decrypt(b"", b"SHE1").unwrap_err();
        assert!(err.to_string().contains("cut short"), "{err}");
    }

    #[test]
    fn debug_shows_nothing() {
        let key = ContentKey::from_bytes([7; 32]);
        assert_eq!(format!("{key:?}"), "ContentKey(..)");
        assert_eq!(format!("{key:#?}"), "ContentKey(..)");
    }

    #[test]
    fn release_wrap_round_trips_and_is_bound_to_its_exam() {
        let server = SealingKey::generate().unwrap();
        let key = ContentKey::generate().unwrap();
        let sealed = key
            .wrap_for_release(&server.public_key(), b"exam-1@3")
            .unwrap();
        assert_eq!(sealed.typ(), ContentKey::RELEASE_TYP);
        assert_eq!(sealed.recipient(), server.key_id());
        let released = ContentKey::unwrap_released(&server, &sealed, b"exam-1@3").unwrap();
        assert_eq!(released.as_bytes(), key.as_bytes());
        assert!(matches!(
            ContentKey::unwrap_released(&server, &sealed, b"exam-2@1"),
            Err(SigningError::DecryptionFailed { .. })
        ));
        let other_server = SealingKey::generate().unwrap();
        assert!(matches!(
            ContentKey::unwrap_released(&other_server, &sealed, b"exam-1@3"),
            Err(SigningError::WrongRecipient { .. })
        ));
    }
}
