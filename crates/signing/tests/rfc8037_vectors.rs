//! RFC 8037 Appendix A: the Ed25519 key, thumbprint and JWS from the RFC, byte for
//! byte. Vectors: `vectors/rfc8037-appendix-a.json`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use studyhall_signing::{PublicKey, SigningError, SigningKey, TrustStore, jws};

const VECTORS: &str = include_str!("vectors/rfc8037-appendix-a.json");

/// PKCS#8 v1 (RFC 8410) wrapping of a 32-byte Ed25519 seed: SEQUENCE { INTEGER 0,
/// SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING seed } }.
const PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

#[derive(Deserialize)]
struct Vectors {
    a1_private_jwk: PrivateJwk,
    a2_public_jwk: serde_json::Value,
    a3_thumbprint_sha256: String,
    a4_protected_header: String,
    a4_payload: String,
    a4_jws: String,
}

#[derive(Deserialize)]
struct PrivateJwk {
    d: String,
    x: String,
}

fn vectors() -> Vectors {
    serde_json::from_str(VECTORS).expect("vector file is valid JSON")
}

/// The A.1 private key, loaded the way any key file is: as a PEM `PRIVATE KEY`.
fn a1_signing_key(vectors: &Vectors) -> SigningKey {
    let seed = URL_SAFE_NO_PAD
        .decode(&vectors.a1_private_jwk.d)
        .expect("d is base64url");
    let der = [&PKCS8_V1_PREFIX[..], &seed].concat();
    let pem = pem_rfc7468::encode_string("PRIVATE KEY", pem_rfc7468::LineEnding::LF, &der)
        .expect("PEM encodes");
    SigningKey::from_pkcs8_pem(&pem).expect("A.1 key loads")
}

#[test]
fn a1_private_key_has_the_a2_public_key() {
    let vectors = vectors();
    let key = a1_signing_key(&vectors);
    let from_jwk = PublicKey::from_jwk_json(&vectors.a2_public_jwk.to_string()).unwrap();
    assert_eq!(key.public_key(), from_jwk);
    assert_eq!(
        URL_SAFE_NO_PAD.encode(key.public_key().as_bytes()),
        vectors.a1_private_jwk.x
    );
    let jwk: serde_json::Value = serde_json::from_str(&key.public_key().to_jwk_json()).unwrap();
    assert_eq!(jwk["x"], vectors.a2_public_jwk["x"]);
    assert_eq!(jwk["kty"], "OKP");
    assert_eq!(jwk["crv"], "Ed25519");
}

#[test]
fn a3_thumbprint_is_the_key_id() {
    let vectors = vectors();
    let key = PublicKey::from_jwk_json(&vectors.a2_public_jwk.to_string()).unwrap();
    assert_eq!(key.key_id().as_str(), vectors.a3_thumbprint_sha256);
    assert_eq!(
        a1_signing_key(&vectors).key_id().as_str(),
        vectors.a3_thumbprint_sha256
    );
}

#[test]
fn a4_jws_is_reproduced_exactly() {
    let vectors = vectors();
    let key = a1_signing_key(&vectors);
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&vectors.a4_protected_header),
        URL_SAFE_NO_PAD.encode(&vectors.a4_payload)
    );
    let signature = key.sign(signing_input.as_bytes());
    let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature));
    assert_eq!(token, vectors.a4_jws);
}

#[test]
fn a4_jws_verifies_but_is_refused_without_a_kid() {
    let vectors = vectors();
    let key = a1_signing_key(&vectors);
    let (signing_input, signature) = vectors.a4_jws.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    key.public_key()
        .verify(signing_input.as_bytes(), &signature)
        .unwrap();

    let header = jws::peek_header(&vectors.a4_jws).unwrap();
    assert_eq!(header.alg, "EdDSA");
    assert_eq!(header.kid, None);

    // Studyhall documents must name their key, so the RFC's kid-less token is refused
    // even though its key is trusted.
    let trust = TrustStore::from_iter([key.public_key()]);
    match jws::verify_compact(&vectors.a4_jws, &trust) {
        Err(SigningError::Malformed(message)) => assert!(message.contains("kid"), "{message}"),
        other => panic!("expected Malformed, got {other:?}"),
    }
}
