//! Ed25519 public keys, their JWK form (RFC 8037 `OKP` keys) and the [`KeyId`] that
//! names them.
//!
//! Promises: a [`PublicKey`] always carries the key id computed from its bytes (the
//! RFC 7638 thumbprint), so a `kid` read from a file can never disagree with the key;
//! JWKs with another key type or curve, a bad `x`, a private part (`d`) or a wrong
//! `kid` are refused with a message saying which.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{ED25519, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

use crate::{SigningError, hash};

/// Names a key: the RFC 7638 JWK thumbprint (SHA-256, base64url without padding) of
/// its public JWK. This is the `kid` of every signed document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    /// Wraps a key id read from elsewhere (a config file, a header). It is only a
    /// name: looking it up in a [`crate::TrustStore`] is what gives it meaning.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// RFC 7638 §3: SHA-256 over the required members of an `OKP` key in
    /// lexicographic order, no whitespace. `crv` is one of our constants and `x` is
    /// base64url, so neither needs JSON escaping.
    pub(crate) fn okp_thumbprint(crv: &str, x: &str) -> Self {
        let canonical = format!(r#"{{"crv":"{crv}","kty":"OKP","x":"{x}"}}"#);
        Self(URL_SAFE_NO_PAD.encode(hash::sha256(canonical.as_bytes()).as_bytes()))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Ed25519 public key. Serializes as its JWK:
/// `{"kty":"OKP","crv":"Ed25519","x":"…","kid":"…"}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Jwk", into = "Jwk")]
pub struct PublicKey {
    bytes: [u8; 32],
    key_id: KeyId,
}

impl PublicKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let key_id = KeyId::okp_thumbprint("Ed25519", &URL_SAFE_NO_PAD.encode(bytes));
        Self { bytes, key_id }
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// Checks an Ed25519 signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SigningError> {
        UnparsedPublicKey::new(&ED25519, &self.bytes)
            .verify(message, signature)
            .map_err(|_| SigningError::BadSignature)
    }

    pub fn from_jwk_json(json: &str) -> Result<Self, SigningError> {
        let jwk: Jwk = serde_json::from_str(json).map_err(|err| {
            SigningError::InvalidKey(format!("not a public key in JWK (JSON) form: {err}"))
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
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kid", &self.key_id.as_str())
            .finish()
    }
}

/// The JWK as written to and read from disk (RFC 7517, RFC 8037 §2).
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

impl TryFrom<Jwk> for PublicKey {
    type Error = SigningError;

    fn try_from(jwk: Jwk) -> Result<Self, Self::Error> {
        let invalid = |reason: String| Err(SigningError::InvalidKey(reason));
        if jwk.kty != "OKP" {
            return invalid(format!(
                "key type \"{}\" is not supported; Studyhall keys are Ed25519 (\"kty\": \"OKP\")",
                jwk.kty
            ));
        }
        if jwk.crv != "Ed25519" {
            return invalid(format!(
                "curve \"{}\" is not supported; Studyhall keys use \"crv\": \"Ed25519\"",
                jwk.crv
            ));
        }
        if jwk.d.is_some() {
            return invalid(
                "this JWK contains a private key (\"d\"); share and trust only the public key"
                    .to_owned(),
            );
        }
        let Ok(decoded) = URL_SAFE_NO_PAD.decode(&jwk.x) else {
            return invalid("\"x\" is not base64url without padding".to_owned());
        };
        let Ok(bytes) = <[u8; 32]>::try_from(decoded.as_slice()) else {
            return invalid(format!(
                "\"x\" is {} bytes long; an Ed25519 public key is 32 bytes",
                decoded.len()
            ));
        };
        let key = Self::from_bytes(bytes);
        if let Some(kid) = jwk.kid
            && kid != key.key_id.as_str()
        {
            return invalid(format!(
                "\"kid\" is {kid} but the key's thumbprint is {}; the file was edited or mixes two keys",
                key.key_id
            ));
        }
        Ok(key)
    }
}

impl From<PublicKey> for Jwk {
    fn from(key: PublicKey) -> Self {
        Self {
            kty: "OKP".to_owned(),
            crv: "Ed25519".to_owned(),
            x: URL_SAFE_NO_PAD.encode(key.bytes),
            kid: Some(key.key_id.0),
            d: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 8037 Appendix A.2 / A.3.
    const X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    const KID: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

    fn jwk(kty: &str, crv: &str, x: &str) -> String {
        format!(r#"{{"kty":"{kty}","crv":"{crv}","x":"{x}"}}"#)
    }

    fn invalid_key_message(json: &str) -> String {
        match PublicKey::from_jwk_json(json) {
            Err(SigningError::InvalidKey(message)) => message,
            other => panic!("expected InvalidKey for {json}, got {other:?}"),
        }
    }

    #[test]
    fn jwk_round_trips_with_kid() {
        let key = PublicKey::from_jwk_json(&jwk("OKP", "Ed25519", X)).unwrap();
        assert_eq!(key.key_id().as_str(), KID);
        let json = key.to_jwk_json();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": X, "kid": KID})
        );
        assert!(json.contains('\n'), "pretty-printed: {json}");
        assert_eq!(PublicKey::from_jwk_json(&json).unwrap(), key);
    }

    #[test]
    fn serde_is_the_jwk() {
        let key = PublicKey::from_jwk_json(&jwk("OKP", "Ed25519", X)).unwrap();
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(
            json,
            format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{X}","kid":"{KID}"}}"#)
        );
        assert_eq!(serde_json::from_str::<PublicKey>(&json).unwrap(), key);
        assert!(serde_json::from_str::<PublicKey>(&jwk("EC", "P-256", X)).is_err());
    }

    #[test]
    fn rejects_wrong_kty_and_crv() {
        assert!(invalid_key_message(&jwk("EC", "Ed25519", X)).contains("\"EC\""));
        assert!(invalid_key_message(&jwk("OKP", "X25519", X)).contains("\"X25519\""));
        assert!(invalid_key_message(&jwk("OKP", "Ed448", X)).contains("Ed448"));
    }

    #[test]
    fn rejects_bad_x() {
        assert!(invalid_key_message(&jwk("OKP", "Ed25519", "not base64!")).contains("base64url"));
        let padded = format!("{X}=");
        assert!(invalid_key_message(&jwk("OKP", "Ed25519", &padded)).contains("base64url"));
        let short = &X[..40];
        assert!(invalid_key_message(&jwk("OKP", "Ed25519", short)).contains("30 bytes"));
    }

    #[test]
    fn rejects_kid_that_is_not_the_thumbprint() {
        let json = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{X}","kid":"someone-else"}}"#);
        let message = invalid_key_message(&json);
        assert!(
            message.contains("someone-else") && message.contains(KID),
            "{message}"
        );
    }

    #[test]
    fn rejects_private_jwk() {
        let json = format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{X}","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}}"#
        );
        assert!(invalid_key_message(&json).contains("private key"));
    }

    #[test]
    fn rejects_non_json_and_missing_members() {
        assert!(invalid_key_message("-----BEGIN PUBLIC KEY-----").contains("JWK"));
        assert!(invalid_key_message(r#"{"kty":"OKP","crv":"Ed25519"}"#).contains("`x`"));
    }

    #[test]
    fn debug_shows_only_the_kid() {
        let key = PublicKey::from_jwk_json(&jwk("OKP", "Ed25519", X)).unwrap();
        assert_eq!(
            format!("{key:?}"),
            format!("PublicKey {{ kid: \"{KID}\" }}")
        );
    }

    #[test]
    fn key_id_serializes_as_a_plain_string() {
        let id = KeyId::new(KID);
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{KID}\""));
        assert_eq!(id.to_string(), KID);
    }

    #[test]
    fn jwk_file_round_trip_and_bad_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let key = PublicKey::from_jwk_json(&jwk("OKP", "Ed25519", X)).unwrap();
        let path = dir.path().join("publisher.pub.jwk");
        key.write_jwk_file(&path).unwrap();
        assert_eq!(PublicKey::read_jwk_file(&path).unwrap(), key);

        let bad = dir.path().join("bad.jwk");
        std::fs::write(&bad, jwk("OKP", "X25519", X)).unwrap();
        let message = PublicKey::read_jwk_file(&bad).unwrap_err().to_string();
        assert!(message.contains("bad.jwk"), "{message}");

        let missing = dir.path().join("missing.jwk");
        assert!(matches!(
            PublicKey::read_jwk_file(&missing),
            Err(SigningError::Io { path, .. }) if path == missing
        ));
    }
}
