//! Sealed-envelope vectors made with Python's `cryptography` (OpenSSL) and none of
//! this crate's code: `vectors/hpke-x25519-sha256-aes256gcm.json`, made by
//! `vectors/make-hpke-vectors.py` (see there for how each was made and checked).

use serde::Deserialize;
use studyhall_signing::{ContentKey, Sealed, SealingKey, SigningError};

const VECTORS: &str = include_str!("vectors/hpke-x25519-sha256-aes256gcm.json");

#[derive(Deserialize)]
struct Vectors {
    recipient_private_jwk: serde_json::Value,
    recipient_kid: String,
    fixed: Case,
    python_sealed: Case,
}

#[derive(Deserialize)]
struct Case {
    typ: String,
    aad: String,
    plaintext: String,
    envelope: String,
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn vectors() -> (Vectors, SealingKey) {
    let vectors: Vectors = serde_json::from_str(VECTORS).expect("vector file is valid JSON");
    let key = SealingKey::from_jwk_json(&vectors.recipient_private_jwk.to_string())
        .expect("the vector's private JWK loads");
    (vectors, key)
}

#[test]
fn key_id_is_the_thumbprint_python_computed() {
    let (vectors, key) = vectors();
    assert_eq!(key.key_id().as_str(), vectors.recipient_kid);
    let public = key.public_key().to_jwk_json();
    let public: serde_json::Value = serde_json::from_str(&public).unwrap();
    assert_eq!(public["x"], vectors.recipient_private_jwk["x"]);
}

#[test]
fn opens_the_fixed_vector() {
    let (vectors, key) = vectors();
    let case = &vectors.fixed;
    let sealed = Sealed::from_json(&case.envelope).unwrap();
    assert_eq!(sealed.recipient(), key.key_id());
    assert_eq!(sealed.typ(), case.typ);
    let plaintext = key.open(&sealed, &case.typ, &hex(&case.aad)).unwrap();
    assert_eq!(&plaintext[..], hex(&case.plaintext));
    // Our serialization of their envelope is byte for byte theirs.
    assert_eq!(sealed.to_json(), case.envelope);
    assert!(matches!(
        key.open(&sealed, &case.typ, b"exam-2@1"),
        Err(SigningError::DecryptionFailed { .. })
    ));
}

#[test]
fn opens_what_openssl_sealed() {
    let (vectors, key) = vectors();
    let case = &vectors.python_sealed;
    let sealed = Sealed::from_json(&case.envelope).unwrap();
    let plaintext = key.open(&sealed, &case.typ, &hex(&case.aad)).unwrap();
    assert_eq!(&plaintext[..], hex(&case.plaintext));
    // It is a content key sealed for release, and unwraps as one.
    let released = ContentKey::unwrap_released(&key, &sealed, b"").unwrap();
    let expected = ContentKey::from_bytes(hex(&case.plaintext).try_into().unwrap());
    let data = expected.encrypt(b"a", b"same key").unwrap();
    assert_eq!(&released.decrypt(b"a", &data).unwrap()[..], b"same key");
}
