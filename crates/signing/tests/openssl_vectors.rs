//! A key made by OpenSSL (`openssl genpkey -algorithm ed25519`, PKCS#8 v1) loads,
//! and everything derived from it agrees with what OpenSSL itself printed.
//! Vectors: `vectors/openssl-ed25519.TEST-ONLY.*` (a test-only key, never trusted).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use studyhall_signing::{SigningKey, TrustStore, jws};

const PRIVATE_PEM: &str = include_str!("vectors/openssl-ed25519.TEST-ONLY.key.pem");
const PUBLIC_PEM: &str = include_str!("vectors/openssl-ed25519.TEST-ONLY.pub.pem");
const EXPECTED: &str = include_str!("vectors/openssl-ed25519.TEST-ONLY.json");

/// SubjectPublicKeyInfo for Ed25519 (RFC 8410) up to the 32 key bytes.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

#[derive(Deserialize)]
struct Expected {
    x: String,
    kid: String,
    message: String,
    signature: String,
}

fn expected() -> Expected {
    serde_json::from_str(EXPECTED).expect("vector file is valid JSON")
}

#[test]
fn openssl_key_loads_and_its_jwk_matches_openssl_pubout() {
    let key = SigningKey::from_pkcs8_pem(PRIVATE_PEM).unwrap();

    let (label, spki) = pem_rfc7468::decode_vec(PUBLIC_PEM.as_bytes()).unwrap();
    assert_eq!(label, "PUBLIC KEY");
    assert_eq!(spki[..12], SPKI_PREFIX);
    assert_eq!(&spki[12..], key.public_key().as_bytes());

    let jwk: serde_json::Value = serde_json::from_str(&key.public_key().to_jwk_json()).unwrap();
    let expected = expected();
    assert_eq!(jwk["x"], expected.x.as_str());
    assert_eq!(jwk["kid"], expected.kid.as_str());
    assert_eq!(key.key_id().as_str(), expected.kid);
}

#[test]
fn openssl_signature_verifies_and_ours_is_identical() {
    let key = SigningKey::from_pkcs8_pem(PRIVATE_PEM).unwrap();
    let expected = expected();
    let openssl_signature = URL_SAFE_NO_PAD.decode(&expected.signature).unwrap();
    key.public_key()
        .verify(expected.message.as_bytes(), &openssl_signature)
        .unwrap();
    assert_eq!(
        key.sign(expected.message.as_bytes())[..],
        openssl_signature[..]
    );
}

#[test]
fn pkcs8_v1_key_is_written_back_unchanged() {
    let key = SigningKey::from_pkcs8_pem(PRIVATE_PEM).unwrap();
    assert_eq!(key.to_pkcs8_pem().as_str(), PRIVATE_PEM);
    let crlf = PRIVATE_PEM.replace('\n', "\r\n");
    assert_eq!(
        SigningKey::from_pkcs8_pem(&crlf).unwrap().key_id(),
        key.key_id()
    );
}

#[test]
fn openssl_key_signs_verifiable_documents() {
    let key = SigningKey::from_pkcs8_pem(PRIVATE_PEM).unwrap();
    let trust = TrustStore::from_iter([key.public_key()]);
    let token = jws::sign_compact(&key, None, b"hello");
    assert_eq!(
        jws::verify_compact(&token, &trust).unwrap().payload,
        b"hello"
    );
}
