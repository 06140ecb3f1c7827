//! Another RFC 9180 implementation agrees with our sealing: a base-mode sender and
//! receiver for DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM written here
//! from the RFC's pseudocode on RustCrypto primitives (x25519-dalek 2, hkdf 0.12,
//! aes-gcm 0.10: other major versions than the `hpke` crate uses, and none of this
//! crate's code). It opens what we seal, we open what it seals, and with the fixed
//! ephemeral key of `vectors/hpke-x25519-sha256-aes256gcm.json` it reproduces the
//! ciphertext Python's `cryptography` computed, byte for byte.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use serde::Deserialize;
use sha2::Sha256;
use studyhall_signing::{Sealed, SealingKey, SigningError};
use x25519_dalek::{PublicKey, StaticSecret};

const KEM_SUITE: &[u8] = b"KEM\x00\x20";
const HPKE_SUITE: &[u8] = b"HPKE\x00\x20\x00\x01\x00\x02";

fn labeled_extract(suite: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Vec<u8> {
    let input = [b"HPKE-v1".as_slice(), suite, label, ikm].concat();
    Hkdf::<Sha256>::extract(Some(salt), &input).0.to_vec()
}

fn labeled_expand(suite: &[u8], prk: &[u8], label: &[u8], info: &[u8], len: u16) -> Vec<u8> {
    let input = [&len.to_be_bytes()[..], b"HPKE-v1", suite, label, info].concat();
    let mut out = vec![0u8; usize::from(len)];
    Hkdf::<Sha256>::from_prk(prk)
        .expect("a 32-byte PRK")
        .expand(&input, &mut out)
        .expect("a short output");
    out
}

/// RFC 9180 §4.1 ExtractAndExpand and §5.1 KeySchedule (base mode): the AEAD key and
/// base nonce for a DH result, the encapsulated key and the recipient's public key.
fn key_schedule(dh: &[u8], enc: &[u8], pk_r: &[u8], info: &[u8]) -> (Aes256Gcm, Nonce<U12>) {
    let eae_prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh);
    let kem_context = [enc, pk_r].concat();
    let shared_secret = labeled_expand(KEM_SUITE, &eae_prk, b"shared_secret", &kem_context, 32);
    let psk_id_hash = labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"");
    let info_hash = labeled_extract(HPKE_SUITE, b"", b"info_hash", info);
    let context = [&[0u8][..], &psk_id_hash, &info_hash].concat();
    let secret = labeled_extract(HPKE_SUITE, &shared_secret, b"secret", b"");
    let key = labeled_expand(HPKE_SUITE, &secret, b"key", &context, 32);
    let base_nonce = labeled_expand(HPKE_SUITE, &secret, b"base_nonce", &context, 12);
    let base_nonce: [u8; 12] = base_nonce.try_into().expect("12 bytes");
    (
        Aes256Gcm::new_from_slice(&key).expect("32 bytes"),
        Nonce::from(base_nonce),
    )
}

/// SealBase with a given ephemeral private key: (enc, ct).
fn their_seal(
    pk_r: [u8; 32],
    sk_e: [u8; 32],
    info: &[u8],
    aad: &[u8],
    pt: &[u8],
) -> ([u8; 32], Vec<u8>) {
    let sk_e = StaticSecret::from(sk_e);
    let enc = PublicKey::from(&sk_e).to_bytes();
    let dh = sk_e.diffie_hellman(&PublicKey::from(pk_r));
    let (aead, nonce) = key_schedule(dh.as_bytes(), &enc, &pk_r, info);
    let ct = aead
        .encrypt(&nonce, Payload { msg: pt, aad })
        .expect("encrypts");
    (enc, ct)
}

/// OpenBase: the plaintext, or None when the AEAD refuses.
fn their_open(sk_r: [u8; 32], enc: &[u8], info: &[u8], aad: &[u8], ct: &[u8]) -> Option<Vec<u8>> {
    let sk_r = StaticSecret::from(sk_r);
    let pk_r = PublicKey::from(&sk_r).to_bytes();
    let enc: [u8; 32] = enc.try_into().ok()?;
    let dh = sk_r.diffie_hellman(&PublicKey::from(enc));
    let (aead, nonce) = key_schedule(dh.as_bytes(), &enc, &pk_r, info);
    aead.decrypt(&nonce, Payload { msg: ct, aad }).ok()
}

/// The Studyhall sealed-envelope info (docs/formats.md), written out again here.
fn info(kid: &str, typ: &str) -> Vec<u8> {
    [
        b"studyhall sealed v1\0".as_slice(),
        kid.as_bytes(),
        b"\0",
        typ.as_bytes(),
    ]
    .concat()
}

fn b64(text: &serde_json::Value) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(text.as_str().expect("a string"))
        .expect("base64url")
}

fn b64_32(text: &str) -> [u8; 32] {
    URL_SAFE_NO_PAD
        .decode(text)
        .expect("base64url")
        .try_into()
        .expect("32 bytes")
}

/// Our private JWK's `d`, the way another program would read the key file.
fn private_bytes(key: &SealingKey) -> [u8; 32] {
    let jwk: serde_json::Value =
        serde_json::from_str(&key.to_jwk_json()).expect("our private JWK is JSON");
    b64_32(jwk["d"].as_str().expect("a private JWK has d"))
}

fn envelope(kid: &str, typ: &str, enc: &[u8], ct: &[u8]) -> String {
    serde_json::json!({
        "v": 1, "kid": kid, "typ": typ,
        "enc": URL_SAFE_NO_PAD.encode(enc), "ct": URL_SAFE_NO_PAD.encode(ct),
    })
    .to_string()
}

#[test]
fn they_open_what_we_seal() {
    let key = SealingKey::generate().unwrap();
    let typ = "studyhall/result+jws";
    for (aad, plaintext) in [
        (&b""[..], &b""[..]),
        (b"exam-1@3", b"a signed result document"),
        (b"x", &[0xa5; 5000][..]),
    ] {
        let sealed = key.public_key().seal(typ, aad, plaintext).unwrap();
        let json: serde_json::Value = serde_json::from_str(&sealed.to_json()).unwrap();
        assert_eq!(json["v"], 1);
        assert_eq!(json["kid"], key.key_id().as_str());
        assert_eq!(json["typ"], typ);
        let info = info(key.key_id().as_str(), typ);
        let opened = their_open(
            private_bytes(&key),
            &b64(&json["enc"]),
            &info,
            aad,
            &b64(&json["ct"]),
        );
        assert_eq!(opened.as_deref(), Some(plaintext));
        // And they too refuse other associated data or another info.
        assert!(
            their_open(
                private_bytes(&key),
                &b64(&json["enc"]),
                &info,
                b"other",
                &b64(&json["ct"])
            )
            .is_none()
        );
        let other_info = self::info(key.key_id().as_str(), "studyhall/other");
        assert!(
            their_open(
                private_bytes(&key),
                &b64(&json["enc"]),
                &other_info,
                aad,
                &b64(&json["ct"])
            )
            .is_none()
        );
    }
}

#[test]
fn we_open_what_they_seal() {
    let key = SealingKey::generate().unwrap();
    let kid = key.key_id().as_str();
    let typ = "studyhall/content-key";
    let mut sk_e = [0u8; 32];
    sk_e.copy_from_slice(&private_bytes(&SealingKey::generate().unwrap()));
    let (enc, ct) = their_seal(
        *key.public_key().as_bytes(),
        sk_e,
        &info(kid, typ),
        b"exam-9",
        b"from them",
    );
    let sealed = Sealed::from_json(&envelope(kid, typ, &enc, &ct)).unwrap();
    assert_eq!(
        &key.open(&sealed, typ, b"exam-9").unwrap()[..],
        b"from them"
    );
    assert!(matches!(
        key.open(&sealed, typ, b"exam-8"),
        Err(SigningError::DecryptionFailed { .. })
    ));
}

#[derive(Deserialize)]
struct Vectors {
    recipient_private_jwk: Jwk,
    recipient_kid: String,
    fixed: Fixed,
}

#[derive(Deserialize)]
struct Jwk {
    x: String,
    d: String,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Fixed {
    skE: String,
    typ: String,
    info: String,
    aad: String,
    plaintext: String,
    enc: String,
    ct: String,
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn they_reproduce_the_python_vector() {
    let vectors: Vectors =
        serde_json::from_str(include_str!("vectors/hpke-x25519-sha256-aes256gcm.json")).unwrap();
    let fixed = &vectors.fixed;
    let info = info(&vectors.recipient_kid, &fixed.typ);
    assert_eq!(info, hex(&fixed.info));
    let sk_e: [u8; 32] = hex(&fixed.skE).try_into().unwrap();
    let (enc, ct) = their_seal(
        b64_32(&vectors.recipient_private_jwk.x),
        sk_e,
        &info,
        &hex(&fixed.aad),
        &hex(&fixed.plaintext),
    );
    assert_eq!(enc.to_vec(), hex(&fixed.enc));
    assert_eq!(ct, hex(&fixed.ct));
    let opened = their_open(
        b64_32(&vectors.recipient_private_jwk.d),
        &enc,
        &info,
        &hex(&fixed.aad),
        &ct,
    );
    assert_eq!(opened, Some(hex(&fixed.plaintext)));
}
