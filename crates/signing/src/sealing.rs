//! Sealing to a recipient's public key: how a result document travels to the server,
//! and how an exam pack's content key waits for the server's release.
//!
//! Sealing is RFC 9180 HPKE in base mode with the suite DHKEM(X25519, HKDF-SHA256) /
//! HKDF-SHA256 / AES-256-GCM (KEM 0x0020, KDF 0x0001, AEAD 0x0002), done by the
//! `hpke` crate. Keys:
//! - [`SealingKey`]: the recipient's X25519 private key, stored as an RFC 8037 `OKP`
//!   JWK with `"crv": "X25519"` and its private part `d`, in a file created with mode
//!   0600 and never overwritten.
//! - [`SealingPublicKey`]: the same JWK without `d`; its [`KeyId`] is the RFC 7638
//!   thumbprint, computed the same way as for Ed25519 keys.
//!
//! A [`Sealed`] envelope is self-describing JSON, version 1 (see `docs/formats.md`):
//!
//! ```json
//! {"v":1,"kid":"<recipient key id>","typ":"<what is inside>","enc":"<base64url>","ct":"<base64url>"}
//! ```
//!
//! - `enc` is HPKE's encapsulated key (32 bytes), `ct` the AEAD ciphertext with its
//!   16-byte tag, both base64url without padding.
//! - The HPKE `info` is `"studyhall sealed v1" 0x00 kid 0x00 typ`, so the version, the
//!   recipient and the kind of content are authenticated along with the ciphertext.
//! - The caller's `aad` (for example the exam id a content key belongs to) is HPKE's
//!   AEAD associated data. It is not stored: whoever opens must know it.
//!
//! Promises: opening checks the version, the recipient and the kind of content before
//! decrypting and names which one is wrong; any other change to any byte makes opening
//! fail with [`SigningError::DecryptionFailed`]. Private key material never shows up in
//! `Debug` output, is never `Clone` or `Serialize`, and is wiped from memory on drop.
//!
//! Limits: a sealed envelope says nothing about who sealed it (base mode is
//! anonymous); Studyhall signs what it seals (a result is a JWS before it is sealed).

use std::fmt;
use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable as _, OpModeR, OpModeS, Serializable as _};
use ring::rand::{SecureRandom as _, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{KeyId, SigningError};

/// The JWK curve name of sealing keys (RFC 8037 §3.2).
const CURVE: &str = "X25519";

/// The only envelope version this build writes and reads.
const VERSION: u64 = 1;

/// The first part of every sealed envelope's HPKE `info`.
const INFO_LABEL: &[u8] = b"studyhall sealed v1";

/// The longest `typ` accepted.
const MAX_TYP_LEN: usize = 100;

type Kem = X25519HkdfSha256;

/// An X25519 public key that data can be sealed to. Serializes as its JWK:
/// `{"kty":"OKP","crv":"X25519","x":"…","kid":"…"}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Jwk", into = "Jwk")]
pub struct SealingPublicKey {
    bytes: [u8; 32],
    key_id: KeyId,
}

impl SealingPublicKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let key_id = KeyId::okp_thumbprint(CURVE, &URL_SAFE_NO_PAD.encode(bytes));
        Self { bytes, key_id }
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    pub fn from_jwk_json(json: &str) -> Result<Self, SigningError> {
        let jwk: Jwk = serde_json::from_str(json).map_err(|err| {
            SigningError::InvalidKey(format!(
                "not a sealing public key in JWK (JSON) form: {err}"
            ))
        })?;
        Self::try_from(jwk)
    }

    /// The pretty-printed JWK, including `kid`.
    pub fn to_jwk_json(&self) -> String {
        // Serializing a struct of strings cannot fail.
        serde_json::to_string_pretty(self).expect("a JWK always serializes")
    }

    /// Reads a JWK file; an invalid key's message names the file.
    pub fn read_jwk_file(path: &Path) -> Result<Self, SigningError> {
        let json = std::fs::read_to_string(path).map_err(|err| SigningError::io(path, err))?;
        Self::from_jwk_json(&json).map_err(|err| err.in_file(path))
    }

    /// Writes the JWK (replacing the file if it exists: a public key is not secret).
    pub fn write_jwk_file(&self, path: &Path) -> Result<(), SigningError> {
        let mut json = self.to_jwk_json();
        json.push('\n');
        std::fs::write(path, json).map_err(|err| SigningError::io(path, err))
    }

    /// Seals `plaintext` so that only the holder of this key's [`SealingKey`] can read
    /// it. `typ` names what is inside (printable ASCII, for example
    /// `"studyhall/result+jws"`) and is stored and authenticated; `aad` is
    /// authenticated but not stored, so the opener must pass the same bytes.
    pub fn seal(&self, typ: &str, aad: &[u8], plaintext: &[u8]) -> Result<Sealed, SigningError> {
        check_typ(typ)?;
        let recipient = <Kem as hpke::Kem>::PublicKey::from_bytes(&self.bytes)
            .map_err(|_| SigningError::InvalidKey("not an X25519 public key".to_owned()))?;
        let info = info(&self.key_id, typ);
        // `single_shot_seal` draws the ephemeral key from the operating system and
        // panics if that fails; sealing has no way to go on without it.
        let (enc, ciphertext) = hpke::single_shot_seal::<AesGcm256, HkdfSha256, Kem>(
            &OpModeS::Base,
            &recipient,
            &info,
            plaintext,
            aad,
        )
        .map_err(|_| {
            SigningError::InvalidKey(format!(
                "cannot seal to key {}: it is not a usable X25519 public key",
                self.key_id
            ))
        })?;
        let mut enc_bytes = [0u8; 32];
        enc_bytes.copy_from_slice(&enc.to_bytes());
        Ok(Sealed {
            key_id: self.key_id.clone(),
            typ: typ.to_owned(),
            enc: enc_bytes,
            ciphertext,
        })
    }
}

impl fmt::Debug for SealingPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingPublicKey")
            .field("kid", &self.key_id.as_str())
            .finish()
    }
}

/// An X25519 private key that opens what was sealed to its public key.
pub struct SealingKey {
    /// The private key as RFC 7748 and RFC 8037 (`d`) define it: 32 bytes, unclamped.
    secret: Zeroizing<[u8; 32]>,
    public_key: SealingPublicKey,
}

impl SealingKey {
    /// A new random key from the operating system's random number generator.
    pub fn generate() -> Result<Self, SigningError> {
        let mut secret = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(secret.as_mut())
            .map_err(|_| SigningError::RandomFailed)?;
        Ok(Self::from_secret(secret))
    }

    fn from_secret(secret: Zeroizing<[u8; 32]>) -> Self {
        let public = <Kem as hpke::Kem>::sk_to_pk(&hpke_private_key(&secret)).to_bytes();
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&public);
        Self {
            secret,
            public_key: SealingPublicKey::from_bytes(bytes),
        }
    }

    pub fn public_key(&self) -> SealingPublicKey {
        self.public_key.clone()
    }

    pub fn key_id(&self) -> &KeyId {
        self.public_key.key_id()
    }

    /// Loads a private JWK: `{"kty":"OKP","crv":"X25519","x":…,"d":…}`; `x` and `kid`
    /// are optional but, when present, must belong to `d`.
    pub fn from_jwk_json(json: &str) -> Result<Self, SigningError> {
        let jwk: PrivateJwk = serde_json::from_str(json).map_err(|err| {
            // Only the position: serde_json's messages may quote the input.
            SigningError::InvalidKey(format!(
                "not a sealing private key in JWK (JSON) form (line {}, column {}); \
                 it needs \"kty\", \"crv\" and \"d\"",
                err.line(),
                err.column()
            ))
        })?;
        check_kty_crv(&jwk.kty, &jwk.crv)?;
        let d = Zeroizing::new(URL_SAFE_NO_PAD.decode(jwk.d.as_bytes()).map_err(|_| {
            SigningError::InvalidKey("\"d\" is not base64url without padding".to_owned())
        })?);
        let mut secret = Zeroizing::new([0u8; 32]);
        if d.len() != secret.len() {
            return Err(SigningError::InvalidKey(format!(
                "\"d\" is {} bytes long; an X25519 private key is 32 bytes",
                d.len()
            )));
        }
        secret.copy_from_slice(&d);
        let key = Self::from_secret(secret);
        if let Some(x) = jwk.x
            && x != URL_SAFE_NO_PAD.encode(key.public_key.bytes)
        {
            return Err(SigningError::InvalidKey(
                "\"x\" is not the public key of \"d\"; the file was edited or mixes two keys"
                    .to_owned(),
            ));
        }
        if let Some(kid) = jwk.kid
            && kid != key.key_id().as_str()
        {
            return Err(SigningError::InvalidKey(format!(
                "\"kid\" is {kid} but the key's thumbprint is {}; the file was edited or mixes two keys",
                key.key_id()
            )));
        }
        Ok(key)
    }

    /// The private JWK (with `x`, `d` and `kid`), wiped from memory when dropped.
    pub fn to_jwk_json(&self) -> Zeroizing<String> {
        let d = Zeroizing::new(URL_SAFE_NO_PAD.encode(self.secret.as_ref()));
        Zeroizing::new(format!(
            "{{\n  \"kty\": \"OKP\",\n  \"crv\": \"{CURVE}\",\n  \"x\": \"{}\",\n  \"d\": \"{}\",\n  \"kid\": \"{}\"\n}}\n",
            URL_SAFE_NO_PAD.encode(self.public_key.bytes),
            d.as_str(),
            self.key_id()
        ))
    }

    pub fn read_file(path: &Path) -> Result<Self, SigningError> {
        let json = Zeroizing::new(
            std::fs::read_to_string(path).map_err(|err| SigningError::io(path, err))?,
        );
        Self::from_jwk_json(&json).map_err(|err| err.in_file(path))
    }

    /// Writes the private JWK to a new file readable only by its owner (mode 0600 on
    /// Unix, set when the file is created). Refuses to replace an existing file.
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
            .write_all(self.to_jwk_json().as_bytes())
            .and_then(|()| file.sync_all());
        if let Err(err) = written {
            // Leave no half-written key behind to block the next attempt.
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(SigningError::io(path, err));
        }
        Ok(())
    }

    /// Opens an envelope sealed to this key. `typ` is what the caller expects inside
    /// and `aad` the associated data it was sealed with.
    pub fn open(
        &self,
        sealed: &Sealed,
        typ: &str,
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SigningError> {
        if sealed.key_id != *self.key_id() {
            return Err(SigningError::WrongRecipient {
                sealed_for: sealed.key_id.clone(),
                key: self.key_id().clone(),
            });
        }
        if sealed.typ != typ {
            return Err(SigningError::UnexpectedContent {
                expected: typ.to_owned(),
                found: sealed.typ.clone(),
            });
        }
        let failed = || SigningError::DecryptionFailed {
            what: "sealed envelope",
        };
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&sealed.enc).map_err(|_| failed())?;
        hpke::single_shot_open::<AesGcm256, HkdfSha256, Kem>(
            &OpModeR::Base,
            &hpke_private_key(&self.secret),
            &enc,
            &info(&sealed.key_id, &sealed.typ),
            &sealed.ciphertext,
            aad,
        )
        .map(Zeroizing::new)
        .map_err(|_| failed())
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey")
            .field("kid", &self.key_id().as_str())
            .finish()
    }
}

/// `hpke`'s private key for our 32 bytes (clamped inside; wiped when dropped).
fn hpke_private_key(secret: &[u8; 32]) -> <Kem as hpke::Kem>::PrivateKey {
    // X25519 accepts any 32 bytes as a private key (RFC 7748 §5 clamps them), so
    // deserializing 32 bytes cannot fail.
    <Kem as hpke::Kem>::PrivateKey::from_bytes(secret)
        .expect("any 32 bytes are an X25519 private key")
}

/// `"studyhall sealed v1" 0x00 kid 0x00 typ`: neither part can contain 0x00 (a key id
/// is base64url and `typ` printable ASCII), so the encoding is unambiguous.
fn info(key_id: &KeyId, typ: &str) -> Vec<u8> {
    let mut info = Vec::with_capacity(INFO_LABEL.len() + key_id.as_str().len() + typ.len() + 2);
    info.extend_from_slice(INFO_LABEL);
    info.push(0);
    info.extend_from_slice(key_id.as_str().as_bytes());
    info.push(0);
    info.extend_from_slice(typ.as_bytes());
    info
}

fn check_typ(typ: &str) -> Result<(), SigningError> {
    if typ.is_empty() || typ.len() > MAX_TYP_LEN || !typ.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(SigningError::InvalidArgument(format!(
            "the type of sealed content must be 1 to {MAX_TYP_LEN} printable ASCII characters without spaces, not {typ:?}"
        )));
    }
    Ok(())
}

fn check_kty_crv(kty: &str, crv: &str) -> Result<(), SigningError> {
    if kty != "OKP" {
        return Err(SigningError::InvalidKey(format!(
            "key type \"{kty}\" is not supported; Studyhall sealing keys are X25519 (\"kty\": \"OKP\")"
        )));
    }
    if crv != CURVE {
        return Err(SigningError::InvalidKey(format!(
            "curve \"{crv}\" is not supported; Studyhall sealing keys use \"crv\": \"{CURVE}\""
        )));
    }
    Ok(())
}

/// A sealed envelope (version 1): who it is for, what it holds, and the HPKE output.
/// Serializes as the envelope's JSON.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Envelope", into = "Envelope")]
pub struct Sealed {
    key_id: KeyId,
    typ: String,
    enc: [u8; 32],
    ciphertext: Vec<u8>,
}

impl Sealed {
    /// The key id of the recipient: the only key that can open this.
    pub fn recipient(&self) -> &KeyId {
        &self.key_id
    }

    /// What the sealer said is inside.
    pub fn typ(&self) -> &str {
        &self.typ
    }

    /// The envelope as one line of JSON.
    pub fn to_json(&self) -> String {
        // Serializing a struct of strings and a number cannot fail.
        serde_json::to_string(self).expect("a sealed envelope always serializes")
    }

    /// Reads an envelope. Surrounding whitespace (a file's final newline) is ignored.
    pub fn from_json(json: &str) -> Result<Self, SigningError> {
        let version: Version = serde_json::from_str(json)
            .map_err(|err| SigningError::Malformed(format!("not a sealed envelope: {err}")))?;
        if version.v != VERSION {
            return Err(SigningError::UnsupportedVersion {
                what: "sealed envelope",
                version: version.v.to_string(),
            });
        }
        serde_json::from_str(json)
            .map_err(|err| SigningError::Malformed(format!("not a sealed envelope: {err}")))
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("recipient", &self.key_id.as_str())
            .field("typ", &self.typ)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

#[derive(Deserialize)]
struct Version {
    v: u64,
}

/// The envelope as written (docs/formats.md, "Sealed envelope").
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    v: u64,
    kid: KeyId,
    typ: String,
    enc: String,
    ct: String,
}

/// Why an envelope's JSON does not describe a sealed envelope; shown inside
/// [`SigningError::Malformed`].
#[derive(Debug, thiserror::Error)]
enum EnvelopeFormatError {
    #[error("version {0} is not {VERSION}")]
    Version(u64),
    #[error("\"typ\" is not printable ASCII")]
    Typ,
    #[error("\"{0}\" is not base64url without padding")]
    NotBase64(&'static str),
    #[error("\"enc\" is {0} bytes long, not 32")]
    EncLength(usize),
    #[error("\"ct\" is shorter than an authentication tag")]
    ShortCiphertext,
}

impl TryFrom<Envelope> for Sealed {
    type Error = EnvelopeFormatError;

    fn try_from(envelope: Envelope) -> Result<Self, EnvelopeFormatError> {
        if envelope.v != VERSION {
            return Err(EnvelopeFormatError::Version(envelope.v));
        }
        check_typ(&envelope.typ).map_err(|_| EnvelopeFormatError::Typ)?;
        let enc = URL_SAFE_NO_PAD
            .decode(&envelope.enc)
            .map_err(|_| EnvelopeFormatError::NotBase64("enc"))?;
        let enc = <[u8; 32]>::try_from(enc.as_slice())
            .map_err(|_| EnvelopeFormatError::EncLength(enc.len()))?;
        let ciphertext = URL_SAFE_NO_PAD
            .decode(&envelope.ct)
            .map_err(|_| EnvelopeFormatError::NotBase64("ct"))?;
        if ciphertext.len() < 16 {
            return Err(EnvelopeFormatError::ShortCiphertext);
        }
        Ok(Self {
            key_id: envelope.kid,
            typ: envelope.typ,
            enc,
            ciphertext,
        })
    }
}

impl From<Sealed> for Envelope {
    fn from(sealed: Sealed) -> Self {
        Self {
            v: VERSION,
            kid: sealed.key_id,
            typ: sealed.typ,
            enc: URL_SAFE_NO_PAD.encode(sealed.enc),
            ct: URL_SAFE_NO_PAD.encode(&sealed.ciphertext),
        }
    }
}

/// The public JWK as written to and read from disk (RFC 8037 §2).
#[derive(Clone, Serialize, Deserialize)]
struct Jwk {
    kty: String,
    crv: String,
    x: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kid: Option<String>,
    /// Only ever read, to refuse a private key where a public one belongs.
    #[serde(default, skip_serializing)]
    d: Option<serde::de::IgnoredAny>,
}

impl TryFrom<Jwk> for SealingPublicKey {
    type Error = SigningError;

    fn try_from(jwk: Jwk) -> Result<Self, Self::Error> {
        check_kty_crv(&jwk.kty, &jwk.crv)?;
        if jwk.d.is_some() {
            return Err(SigningError::InvalidKey(
                "this JWK contains a private key (\"d\"); share and trust only the public key"
                    .to_owned(),
            ));
        }
        let Ok(decoded) = URL_SAFE_NO_PAD.decode(&jwk.x) else {
            return Err(SigningError::InvalidKey(
                "\"x\" is not base64url without padding".to_owned(),
            ));
        };
        let Ok(bytes) = <[u8; 32]>::try_from(decoded.as_slice()) else {
            return Err(SigningError::InvalidKey(format!(
                "\"x\" is {} bytes long; an X25519 public key is 32 bytes",
                decoded.len()
            )));
        };
        let key = Self::from_bytes(bytes);
        if let Some(kid) = jwk.kid
            && kid != key.key_id.as_str()
        {
            return Err(SigningError::InvalidKey(format!(
                "\"kid\" is {kid} but the key's thumbprint is {}; the file was edited or mixes two keys",
                key.key_id
            )));
        }
        Ok(key)
    }
}

impl From<SealingPublicKey> for Jwk {
    fn from(key: SealingPublicKey) -> Self {
        Self {
            kty: "OKP".to_owned(),
            crv: CURVE.to_owned(),
            x: URL_SAFE_NO_PAD.encode(key.bytes),
            kid: Some(key.key_id.as_str().to_owned()),
            d: None,
        }
    }
}

/// The private JWK as read from disk. `d` is wiped when dropped.
#[derive(Deserialize)]
struct PrivateJwk {
    kty: String,
    crv: String,
    #[serde(default)]
    x: Option<String>,
    d: Zeroizing<String>,
    #[serde(default)]
    kid: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYP: &str = "studyhall/result+jws";

    fn open_tampered(key: &SealingKey, json: &str) -> Result<Zeroizing<Vec<u8>>, SigningError> {
        key.open(&Sealed::from_json(json)?, TYP, b"aad")
    }

    #[test]
    fn round_trip_through_json() {
        let key = SealingKey::generate().unwrap();
        let sealed = key.public_key().seal(TYP, b"aad", b"result").unwrap();
        assert_eq!(sealed.recipient(), key.key_id());
        assert_eq!(sealed.typ(), TYP);
        let json = sealed.to_json();
        assert!(json.starts_with(r#"{"v":1,"kid":""#), "{json}");
        assert!(!json.contains('\n'));
        let read = Sealed::from_json(&format!("{json}\n")).unwrap();
        assert_eq!(read, sealed);
        assert_eq!(&key.open(&read, TYP, b"aad").unwrap()[..], b"result");
        assert_eq!(serde_json::to_string(&read).unwrap(), json);
        // Each seal has its own ephemeral key.
        let again = key.public_key().seal(TYP, b"aad", b"result").unwrap();
        assert_ne!(again.enc, sealed.enc);
    }

    #[test]
    fn every_changed_byte_of_the_envelope_is_refused() {
        let key = SealingKey::generate().unwrap();
        let json = key
            .public_key()
            .seal(TYP, b"aad", b"a result")
            .unwrap()
            .to_json();
        open_tampered(&key, &json).unwrap();
        let (ct_start, ct_end) = {
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            let ct = value["ct"].as_str().unwrap();
            let start = json.find(ct).unwrap();
            (start, start + ct.len())
        };
        for i in 0..json.len() {
            for flip in [0x01u8, 0x20] {
                let mut bytes = json.clone().into_bytes();
                bytes[i] ^= flip;
                let Ok(tampered) = String::from_utf8(bytes) else {
                    continue;
                };
                let err = open_tampered(&key, &tampered).unwrap_err();
                if (ct_start..ct_end).contains(&i) {
                    assert!(
                        matches!(
                            err,
                            SigningError::DecryptionFailed {
                                what: "sealed envelope"
                            } | SigningError::Malformed(_)
                        ),
                        "byte {i} ^ {flip:#x}: {err}"
                    );
                }
            }
        }
    }

    #[test]
    fn wrong_recipient_content_or_aad_is_named() {
        let key = SealingKey::generate().unwrap();
        let other = SealingKey::generate().unwrap();
        let sealed = key.public_key().seal(TYP, b"exam-1", b"secret").unwrap();

        let err = other.open(&sealed, TYP, b"exam-1").unwrap_err();
        assert!(
            matches!(&err, SigningError::WrongRecipient { sealed_for, key: k }
                if sealed_for == key.key_id() && k == other.key_id()),
            "{err}"
        );
        assert!(err.to_string().contains(key.key_id().as_str()), "{err}");

        let err = key
            .open(&sealed, "studyhall/content-key", b"exam-1")
            .unwrap_err();
        assert!(
            matches!(err, SigningError::UnexpectedContent { .. }),
            "{err}"
        );
        assert!(err.to_string().contains(TYP), "{err}");

        let err = key.open(&sealed, TYP, b"exam-2").unwrap_err();
        assert!(
            matches!(err, SigningError::DecryptionFailed { .. }),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("sealed envelope could not be decrypted"),
            "{err}"
        );

        // A kid rewritten to the other key's does not get it opened either.
        let mut forged = sealed.clone();
        forged.key_id = other.key_id().clone();
        assert!(matches!(
            other.open(&forged, TYP, b"exam-1"),
            Err(SigningError::DecryptionFailed { .. })
        ));
        // Nor does a rewritten typ.
        let mut forged = sealed;
        forged.typ = "studyhall/other".to_owned();
        assert!(matches!(
            key.open(&forged, "studyhall/other", b"exam-1"),
            Err(SigningError::DecryptionFailed { .. })
        ));
    }

    #[test]
    fn other_versions_and_garbage_are_named() {
        let err = Sealed::from_json(r#"{"v":2,"whatever":"comes next"}"#).unwrap_err();
        assert!(
            matches!(&err, SigningError::UnsupportedVersion { version, .. } if version == "2"),
            "{err}"
        );
        assert!(err.to_string().contains("update Studyhall"), "{err}");
        for json in [
            "not json",
            r#"{"v":1}"#,
            r#"{"v":1,"kid":"k","typ":"t","enc":"AAAA","ct":"AAAAAAAAAAAAAAAAAAAAAA"}"#,
            r#"{"v":1,"kid":"k","typ":"t","enc":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","ct":"AAAA"}"#,
            r#"{"v":1,"kid":"k","typ":"t","enc":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","ct":"AAAAAAAAAAAAAAAAAAAAAA","x":1}"#,
        ] {
            assert!(
                matches!(Sealed::from_json(json), Err(SigningError::Malformed(_))),
                "{json}"
            );
        }
    }

    #[test]
    fn typ_must_be_printable_ascii() {
        let key = SealingKey::generate().unwrap().public_key();
        for typ in ["", "has space", "nul\0", "é", &"x".repeat(101)] {
            assert!(
                matches!(
                    key.seal(typ, b"", b""),
                    Err(SigningError::InvalidArgument(_))
                ),
                "{typ:?}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_owner_only_never_overwritten_and_round_trips() {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.sealing.jwk");
        let key = SealingKey::generate().unwrap();
        key.write_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
        let loaded = SealingKey::read_file(&path).unwrap();
        assert_eq!(loaded.public_key(), key.public_key());
        let sealed = key.public_key().seal(TYP, b"", b"x").unwrap();
        assert_eq!(&loaded.open(&sealed, TYP, b"").unwrap()[..], b"x");

        let err = SealingKey::generate()
            .unwrap()
            .write_file(&path)
            .unwrap_err();
        assert!(matches!(err, SigningError::KeyFileExists(_)), "{err}");
        assert_eq!(SealingKey::read_file(&path).unwrap().key_id(), key.key_id());

        let public = dir.path().join("server.sealing.pub.jwk");
        key.public_key().write_jwk_file(&public).unwrap();
        assert_eq!(
            SealingPublicKey::read_jwk_file(&public).unwrap(),
            key.public_key()
        );
        let err = SealingPublicKey::read_jwk_file(&path).unwrap_err();
        assert!(err.to_string().contains("private key"), "{err}");
        assert!(err.to_string().contains("server.sealing.jwk"), "{err}");
    }

    #[test]
    fn private_jwk_must_agree_with_itself() {
        let key = SealingKey::generate().unwrap();
        let jwk: serde_json::Value = serde_json::from_str(&key.to_jwk_json()).unwrap();
        assert_eq!(jwk["kty"], "OKP");
        assert_eq!(jwk["crv"], "X25519");
        assert_eq!(jwk["kid"], key.key_id().as_str());
        let d = jwk["d"].as_str().unwrap();
        let other_x = URL_SAFE_NO_PAD.encode(SealingKey::generate().unwrap().public_key().bytes);
        for (json, expected) in [
            (format!(r#"{{"kty":"OKP","crv":"X25519","d":"{d}"}}"#), None),
            (
                format!(r#"{{"kty":"OKP","crv":"X25519","d":"{d}","x":"{other_x}"}}"#),
                Some("\"x\" is not the public key"),
            ),
            (
                format!(r#"{{"kty":"OKP","crv":"X25519","d":"{d}","kid":"nope"}}"#),
                Some("\"kid\" is nope"),
            ),
            (
                format!(r#"{{"kty":"OKP","crv":"Ed25519","d":"{d}"}}"#),
                Some("\"Ed25519\""),
            ),
            (
                r#"{"kty":"OKP","crv":"X25519","d":"AAAA"}"#.to_owned(),
                Some("3 bytes"),
            ),
            (r#"{"kty":"OKP","crv":"X25519"}"#.to_owned(), Some("line 1")),
        ] {
            match (SealingKey::from_jwk_json(&json), expected) {
                (Ok(loaded), None) => assert_eq!(loaded.key_id(), key.key_id()),
                (Err(SigningError::InvalidKey(message)), Some(expected)) => {
                    assert!(message.contains(expected), "{message}");
                    assert!(!message.contains(d), "{message}");
                }
                (other, _) => panic!("{json}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn public_jwk_is_checked() {
        let key = SealingKey::generate().unwrap().public_key();
        let json = key.to_jwk_json();
        assert_eq!(SealingPublicKey::from_jwk_json(&json).unwrap(), key);
        let x = URL_SAFE_NO_PAD.encode(key.bytes);
        for (json, expected) in [
            (
                format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}"}}"#),
                "\"Ed25519\"",
            ),
            (
                format!(r#"{{"kty":"EC","crv":"X25519","x":"{x}"}}"#),
                "\"EC\"",
            ),
            (
                format!(r#"{{"kty":"OKP","crv":"X25519","x":"{x}","kid":"k"}}"#),
                "\"kid\" is k",
            ),
            (
                r#"{"kty":"OKP","crv":"X25519","x":"AAAA"}"#.to_owned(),
                "3 bytes",
            ),
        ] {
            let message = SealingPublicKey::from_jwk_json(&json)
                .unwrap_err()
                .to_string();
            assert!(message.contains(expected), "{message}");
        }
        // The key id is the RFC 7638 thumbprint over crv, kty and x.
        let canonical = format!(r#"{{"crv":"X25519","kty":"OKP","x":"{x}"}}"#);
        assert_eq!(
            key.key_id().as_str(),
            URL_SAFE_NO_PAD.encode(crate::hash::sha256(canonical.as_bytes()).as_bytes())
        );
    }

    #[test]
    fn debug_never_shows_key_material() {
        let key = SealingKey::generate().unwrap();
        let jwk = key.to_jwk_json();
        let jwk: serde_json::Value = serde_json::from_str(&jwk).unwrap();
        let d = jwk["d"].as_str().unwrap();
        for text in [format!("{key:?}"), format!("{key:#?}")] {
            assert!(text.contains(key.key_id().as_str()), "{text}");
            assert!(!text.contains(d), "{text}");
            assert!(!text.contains(&format!("{:?}", &key.secret[..4])), "{text}");
        }
        let sealed = key.public_key().seal(TYP, b"", b"plaintext").unwrap();
        assert!(!format!("{sealed:?}").contains(&URL_SAFE_NO_PAD.encode(&sealed.ciphertext)));
    }
}
