//! Encrypted data and start-code wrapped keys made with Python's `cryptography` and
//! hashlib, none of this crate's code: `vectors/content-key-vectors.json`, made by
//! `vectors/make-content-vectors.py`. Also: a wrap changed anywhere does not unwrap.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use studyhall_signing::{ContentKey, SigningError, StartCode, StartCodeWrap};

const VECTORS: &str = include_str!("vectors/content-key-vectors.json");

#[derive(Deserialize)]
struct Vectors {
    content_key: String,
    encrypted_data: EncryptedData,
    start_code_wrap: Wrap,
}

#[derive(Deserialize)]
struct EncryptedData {
    aad: String,
    plaintext: String,
    data: String,
}

#[derive(Deserialize)]
struct Wrap {
    code_typed: String,
    wrap: String,
}

fn vectors() -> Vectors {
    serde_json::from_str(VECTORS).expect("vector file is valid JSON")
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// True when `key` decrypts the vector's encrypted data: the one way to compare keys,
/// since a content key never shows its bytes.
fn opens_vector_data(key: &ContentKey, vectors: &Vectors) -> bool {
    let case = &vectors.encrypted_data;
    key.decrypt(&hex(&case.aad), &hex(&case.data))
        .is_ok_and(|plaintext| plaintext[..] == hex(&case.plaintext)[..])
}

#[test]
fn decrypts_their_encrypted_data() {
    let vectors = vectors();
    let key = ContentKey::from_bytes(hex(&vectors.content_key).try_into().unwrap());
    assert!(opens_vector_data(&key, &vectors));
    let case = &vectors.encrypted_data;
    assert!(matches!(
        key.decrypt(b"another/file.json", &hex(&case.data)),
        Err(SigningError::DecryptionFailed { .. })
    ));
}

#[test]
fn unwraps_their_start_code_wrap() {
    let vectors = vectors();
    let wrap = StartCodeWrap::from_json(&vectors.start_code_wrap.wrap).unwrap();
    assert_eq!(wrap.iterations(), 600_000);
    assert_eq!(wrap.to_json(), vectors.start_code_wrap.wrap);
    let code = StartCode::parse(&vectors.start_code_wrap.code_typed).unwrap();
    assert_eq!(code.to_grouped().as_str(), "7K3M-Q9XD-4HTR-2WP0");
    let key = wrap.unwrap(&code).unwrap();
    assert!(opens_vector_data(&key, &vectors));

    let wrong = StartCode::parse("7K3M-Q9XD-4HTR-2WP1").unwrap();
    assert!(matches!(
        wrap.unwrap(&wrong),
        Err(SigningError::WrongStartCode)
    ));
}

/// Every byte of `salt`, a byte of each part of `wrapped` (the encrypted-data tests
/// change every byte of that format), and the iterations: each change is refused. Each
/// try costs a PBKDF2 run of 600,000 iterations.
#[test]
fn a_changed_wrap_does_not_unwrap() {
    let vectors = vectors();
    let code = StartCode::parse(&vectors.start_code_wrap.code_typed).unwrap();
    let original: serde_json::Value = serde_json::from_str(&vectors.start_code_wrap.wrap).unwrap();
    let mut tampered_wraps = Vec::new();
    for member in ["wrapped", "salt"] {
        let bytes = URL_SAFE_NO_PAD
            .decode(original[member].as_str().unwrap())
            .unwrap();
        let positions: Vec<usize> = if member == "wrapped" {
            // Header, nonce, ciphertext, tag.
            vec![0, 3, 4, 15, 16, 47, 48, bytes.len() - 1]
        } else {
            (0..bytes.len()).collect()
        };
        for i in positions {
            let mut changed = bytes.clone();
            changed[i] ^= 0x01;
            let mut json = original.clone();
            json[member] = URL_SAFE_NO_PAD.encode(&changed).into();
            tampered_wraps.push((format!("{member}[{i}]"), json));
        }
    }
    let mut json = original.clone();
    json["iterations"] = 600_001.into();
    tampered_wraps.push(("iterations".to_owned(), json));
    assert_eq!(tampered_wraps.len(), 8 + 16 + 1);

    for (what, json) in tampered_wraps {
        let wrap = StartCodeWrap::from_json(&json.to_string()).unwrap();
        match wrap.unwrap(&code) {
            Err(SigningError::WrongStartCode)
            | Err(SigningError::Malformed(_))
            | Err(SigningError::UnsupportedVersion { .. }) => {}
            other => panic!("{what}: expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn wrong_code_message_says_what_to_do() {
    let key = ContentKey::generate().unwrap();
    let code = StartCode::generate().unwrap();
    let wrap = key
        .wrap_with_start_code(&code, StartCodeWrap::MIN_ITERATIONS)
        .unwrap();
    let err = wrap
        .unwrap(&StartCode::generate().unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("start code is wrong"), "{err}");
    assert!(err.contains("proctor"), "{err}");
}
