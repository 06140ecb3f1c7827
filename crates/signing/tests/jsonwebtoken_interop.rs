//! Another JOSE implementation agrees with ours: `jsonwebtoken` on its RustCrypto
//! backend (ed25519-dalek, not ring, and none of this crate's code) verifies what we
//! sign, and we verify what it signs.

use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::json;
use studyhall_signing::{SigningError, SigningKey, TrustStore, jws};

fn validation() -> Validation {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    validation
}

fn their_decoding_key(key: &SigningKey) -> DecodingKey {
    let jwk: Jwk =
        serde_json::from_str(&key.public_key().to_jwk_json()).expect("they parse our JWK");
    DecodingKey::from_jwk(&jwk).expect("they accept our JWK as a key")
}

fn their_encoding_key(key: &SigningKey) -> EncodingKey {
    let pem = key.to_pkcs8_pem();
    let (_, der) = pem_rfc7468::decode_vec(pem.as_bytes()).expect("our PEM decodes");
    EncodingKey::from_ed_der(&der)
}

#[test]
fn they_verify_our_tokens() {
    let key = SigningKey::generate().unwrap();
    let claims = json!({"sub": "candidate-17", "score": 41, "passed": true});
    let token = jws::sign_compact(&key, Some("JWT"), claims.to_string().as_bytes());

    let decoded =
        jsonwebtoken::decode::<serde_json::Value>(&token, &their_decoding_key(&key), &validation())
            .unwrap();
    assert_eq!(decoded.claims, claims);
    assert_eq!(decoded.header.alg, Algorithm::EdDSA);
    assert_eq!(decoded.header.kid.as_deref(), Some(key.key_id().as_str()));

    // Also from the bare `x`, and a tampered token is refused by them too.
    let jwk: serde_json::Value = serde_json::from_str(&key.public_key().to_jwk_json()).unwrap();
    let from_x = DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()).unwrap();
    jsonwebtoken::decode::<serde_json::Value>(&token, &from_x, &validation()).unwrap();
    let forged = jws::sign_compact(
        &SigningKey::generate().unwrap(),
        Some("JWT"),
        claims.to_string().as_bytes(),
    );
    assert!(jsonwebtoken::decode::<serde_json::Value>(&forged, &from_x, &validation()).is_err());
}

#[test]
fn we_verify_their_tokens() {
    let key = SigningKey::generate().unwrap();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.key_id().as_str().to_owned());
    let claims = json!({"iss": "server", "receipt": "r-1"});
    let token = jsonwebtoken::encode(&header, &claims, &their_encoding_key(&key)).unwrap();

    let trust = TrustStore::from_iter([key.public_key()]);
    let verified = jws::verify_compact(&token, &trust).unwrap();
    assert_eq!(&verified.kid, key.key_id());
    assert_eq!(verified.typ.as_deref(), Some("JWT"));
    let payload: serde_json::Value = serde_json::from_slice(&verified.payload).unwrap();
    assert_eq!(payload, claims);
}

#[test]
fn our_key_id_is_their_rfc7638_thumbprint() {
    let key = SigningKey::generate().unwrap();
    let jwk: Jwk = serde_json::from_str(&key.public_key().to_jwk_json()).unwrap();
    assert_eq!(
        jwk.thumbprint(ThumbprintHash::SHA256).unwrap(),
        key.key_id().as_str()
    );
}

#[test]
fn their_hs256_token_under_a_trusted_kid_is_refused() {
    // The classic algorithm-confusion attack: an HMAC keyed with the public key.
    let key = SigningKey::generate().unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key.key_id().as_str().to_owned());
    let secret = EncodingKey::from_secret(key.public_key().as_bytes());
    let token = jsonwebtoken::encode(&header, &json!({"score": 100}), &secret).unwrap();

    let trust = TrustStore::from_iter([key.public_key()]);
    match jws::verify_compact(&token, &trust) {
        Err(SigningError::UnsupportedAlgorithm(alg)) => assert_eq!(alg, "HS256"),
        other => panic!("expected UnsupportedAlgorithm, got {other:?}"),
    }
}

#[test]
fn their_token_from_an_untrusted_key_is_unknown() {
    let key = SigningKey::generate().unwrap();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.key_id().as_str().to_owned());
    let token = jsonwebtoken::encode(&header, &json!({}), &their_encoding_key(&key)).unwrap();
    let trust = TrustStore::from_iter([SigningKey::generate().unwrap().public_key()]);
    assert!(matches!(
        jws::verify_compact(&token, &trust),
        Err(SigningError::UnknownKey(kid)) if &kid == key.key_id()
    ));
}
