//! Compact JWS (RFC 7515) signed with EdDSA / Ed25519 (RFC 8037): the format of every
//! signed Studyhall document (manifests, results, receipts, credentials, …).
//!
//! Promises:
//! - [`sign_compact`] writes `BASE64URL(header).BASE64URL(payload).BASE64URL(signature)`
//!   with the protected header `{"alg":"EdDSA","kid":…,"typ":…}`, which any JOSE
//!   library verifies.
//! - [`verify_compact`] returns the payload only when the header says `EdDSA`, names a
//!   `kid` found in the caller's [`TrustStore`], marks nothing `crit`, and the
//!   signature matches. It never picks the algorithm or key from anything the token
//!   says but `kid`. Checking `typ` is the caller's job: it is returned, not judged.
//! - [`peek_header`] and [`peek_payload`] read a token without trusting it, e.g. to
//!   tell which key to ask for or to show what a document claims.
//!
//! Surrounding whitespace (such as a file's final newline) is ignored; nothing else
//! is forgiven: no padding, no non-canonical base64url, no duplicate header members.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::{KeyId, SigningError, SigningKey, TrustStore};

/// The only `alg` Studyhall signs with or accepts.
pub const ALGORITHM: &str = "EdDSA";

/// A JWS protected header, as far as Studyhall reads it. Other members are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<KeyId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// Extensions the signer requires verifiers to understand. Studyhall understands
    /// none, so [`verify_compact`] refuses any token that has this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crit: Option<Vec<String>>,
}

/// What a successful [`verify_compact`] vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The trusted key that signed.
    pub kid: KeyId,
    /// The header's `typ`, for the caller to check against what it expects.
    pub typ: Option<String>,
    pub payload: Vec<u8>,
}

/// Signs `payload` as a compact JWS with `kid` = the key's id and the given `typ`.
pub fn sign_compact(key: &SigningKey, typ: Option<&str>, payload: &[u8]) -> String {
    let header = Header {
        alg: ALGORITHM.to_owned(),
        kid: Some(key.key_id().clone()),
        typ: typ.map(str::to_owned),
        crit: None,
    };
    // Serializing a struct of strings cannot fail.
    let header_json = serde_json::to_vec(&header).expect("a JWS header always serializes");
    let mut token = URL_SAFE_NO_PAD.encode(header_json);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);
    let signature = key.sign(token.as_bytes());
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    token
}

/// Verifies a compact JWS against the trusted keys and returns its payload.
pub fn verify_compact(token: &str, trust: &TrustStore) -> Result<Verified, SigningError> {
    let parts = Parts::split(token)?;
    let header = parts.header()?;
    if let Some(crit) = header.crit {
        return Err(SigningError::Malformed(format!(
            "the header requires extensions Studyhall does not support ({})",
            crit.join(", ")
        )));
    }
    if header.alg != ALGORITHM {
        return Err(SigningError::UnsupportedAlgorithm(header.alg));
    }
    let kid = header.kid.ok_or_else(|| {
        SigningError::Malformed(
            "the header has no key id (\"kid\"), so the signer cannot be known".to_owned(),
        )
    })?;
    let key = trust
        .get(&kid)
        .ok_or_else(|| SigningError::UnknownKey(kid.clone()))?;
    let signature = decode_part(parts.signature, "signature")?;
    key.verify(parts.signing_input.as_bytes(), &signature)?;
    Ok(Verified {
        kid,
        typ: header.typ,
        payload: decode_part(parts.payload, "payload")?,
    })
}

/// Reads the protected header WITHOUT verifying anything: use it only to decide what
/// to do next (which key to load, which document type to expect), never to trust.
pub fn peek_header(token: &str) -> Result<Header, SigningError> {
    Parts::split(token)?.header()
}

/// Decodes the payload WITHOUT verifying the signature, for showing what a document
/// claims (e.g. `pack inspect`). Never base a trust decision on it.
pub fn peek_payload(token: &str) -> Result<Vec<u8>, SigningError> {
    decode_part(Parts::split(token)?.payload, "payload")
}

struct Parts<'a> {
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
    /// `header.payload`, the bytes the signature covers.
    signing_input: &'a str,
}

impl<'a> Parts<'a> {
    fn split(token: &'a str) -> Result<Self, SigningError> {
        let token = token.trim_ascii();
        let pieces: Vec<&str> = token.split('.').collect();
        let [header, payload, signature] = pieces[..] else {
            return Err(SigningError::Malformed(format!(
                "a signed document has three parts separated by dots (header.payload.signature), \
                 this one has {}",
                pieces.len()
            )));
        };
        Ok(Self {
            header,
            payload,
            signature,
            signing_input: &token[..header.len() + 1 + payload.len()],
        })
    }

    fn header(&self) -> Result<Header, SigningError> {
        let json = decode_part(self.header, "header")?;
        // serde would also read a JSON array into the struct; JOSE allows only objects.
        if !json.trim_ascii_start().starts_with(b"{") {
            return Err(SigningError::Malformed(
                "the header is not a JSON object".to_owned(),
            ));
        }
        serde_json::from_slice(&json).map_err(|err| {
            SigningError::Malformed(format!("the header is not a valid JOSE header: {err}"))
        })
    }
}

fn decode_part(encoded: &str, what: &str) -> Result<Vec<u8>, SigningError> {
    URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| SigningError::Malformed(format!("the {what} is not base64url")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(data: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(data)
    }

    fn key_and_trust() -> (SigningKey, TrustStore) {
        let key = SigningKey::generate().unwrap();
        let trust = TrustStore::from_iter([key.public_key()]);
        (key, trust)
    }

    /// `signing_input` with `key`'s signature appended, whatever the input says.
    fn signed(key: &SigningKey, signing_input: &str) -> String {
        format!(
            "{signing_input}.{}",
            b64(&key.sign(signing_input.as_bytes()))
        )
    }

    /// A token with any header, signed by `key`.
    fn token_with_header(key: &SigningKey, header_json: &str, payload: &[u8]) -> String {
        signed(
            key,
            &format!("{}.{}", b64(header_json.as_bytes()), b64(payload)),
        )
    }

    fn malformed_message(result: Result<Verified, SigningError>) -> String {
        match result {
            Err(SigningError::Malformed(message)) => message,
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn round_trip_with_and_without_typ() {
        let (key, trust) = key_and_trust();
        let token = sign_compact(&key, Some("studyhall-result+jws"), b"{\"score\":7}");
        let verified = verify_compact(&token, &trust).unwrap();
        assert_eq!(
            verified,
            Verified {
                kid: key.key_id().clone(),
                typ: Some("studyhall-result+jws".to_owned()),
                payload: b"{\"score\":7}".to_vec(),
            }
        );

        let token = sign_compact(&key, None, b"");
        let verified = verify_compact(&token, &trust).unwrap();
        assert_eq!(verified.typ, None);
        assert!(verified.payload.is_empty());
    }

    #[test]
    fn header_is_exactly_alg_kid_typ() {
        let (key, _) = key_and_trust();
        let token = sign_compact(&key, Some("T"), b"x");
        let header_b64 = token.split('.').next().unwrap();
        let header = URL_SAFE_NO_PAD.decode(header_b64).unwrap();
        assert_eq!(
            String::from_utf8(header).unwrap(),
            format!(r#"{{"alg":"EdDSA","kid":"{}","typ":"T"}}"#, key.key_id())
        );
        let token = sign_compact(&key, None, b"x");
        let header = URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap();
        assert_eq!(
            String::from_utf8(header).unwrap(),
            format!(r#"{{"alg":"EdDSA","kid":"{}"}}"#, key.key_id())
        );
    }

    #[test]
    fn flipping_any_single_byte_fails() {
        let (key, trust) = key_and_trust();
        let token = sign_compact(&key, Some("receipt"), b"{\"paid\":true}");
        for index in 0..token.len() {
            for flip in [0x01u8, 0x20] {
                let mut bytes = token.clone().into_bytes();
                bytes[index] ^= flip;
                let Ok(tampered) = String::from_utf8(bytes) else {
                    continue;
                };
                assert!(
                    verify_compact(&tampered, &trust).is_err(),
                    "byte {index} ^ {flip:#x} still verified: {tampered}"
                );
            }
        }
    }

    #[test]
    fn changed_payload_or_other_signer_is_bad_signature() {
        let (key, trust) = key_and_trust();
        let token = sign_compact(&key, None, b"score=7");
        let [header, _, signature] = token.split('.').collect::<Vec<_>>()[..] else {
            panic!("three parts");
        };
        let forged = format!("{header}.{}.{signature}", b64(b"score=9"));
        assert!(matches!(
            verify_compact(&forged, &trust),
            Err(SigningError::BadSignature)
        ));

        // Another key's signature under a trusted kid.
        let intruder = SigningKey::generate().unwrap();
        let header = format!(r#"{{"alg":"EdDSA","kid":"{}"}}"#, key.key_id());
        let forged = token_with_header(&intruder, &header, b"score=9");
        let err = verify_compact(&forged, &trust).unwrap_err();
        assert!(matches!(err, SigningError::BadSignature));
        assert!(err.to_string().contains("changed after signing"), "{err}");
    }

    #[test]
    fn alg_none_and_others_are_unsupported() {
        let (key, trust) = key_and_trust();
        for alg in ["none", "None", "HS256", "RS256", "ES256", "Ed25519", ""] {
            let header = format!(r#"{{"alg":"{alg}","kid":"{}"}}"#, key.key_id());
            let signed = token_with_header(&key, &header, b"{}");
            let unsigned = format!("{}.{}.", b64(header.as_bytes()), b64(b"{}"));
            for token in [signed, unsigned] {
                match verify_compact(&token, &trust) {
                    Err(SigningError::UnsupportedAlgorithm(found)) => assert_eq!(found, alg),
                    other => panic!("alg {alg:?}: expected UnsupportedAlgorithm, got {other:?}"),
                }
            }
        }
    }

    #[test]
    fn unknown_kid_is_named() {
        let (key, _) = key_and_trust();
        let other_trust = TrustStore::from_iter([SigningKey::generate().unwrap().public_key()]);
        let token = sign_compact(&key, None, b"{}");
        let err = verify_compact(&token, &other_trust).unwrap_err();
        assert!(matches!(&err, SigningError::UnknownKey(kid) if kid == key.key_id()));
        assert!(
            err.to_string().contains(&format!(
                "signed by key {}, which is not in the trusted keys",
                key.key_id()
            )),
            "{err}"
        );
        assert!(matches!(
            verify_compact(&token, &TrustStore::new()),
            Err(SigningError::UnknownKey(_))
        ));
    }

    #[test]
    fn missing_kid_and_crit_are_refused() {
        let (key, trust) = key_and_trust();
        let token = token_with_header(&key, r#"{"alg":"EdDSA"}"#, b"{}");
        assert!(malformed_message(verify_compact(&token, &trust)).contains("kid"));

        let header = format!(
            r#"{{"alg":"EdDSA","kid":"{}","crit":["exp"],"exp":1}}"#,
            key.key_id()
        );
        let token = token_with_header(&key, &header, b"{}");
        assert!(malformed_message(verify_compact(&token, &trust)).contains("exp"));
        assert_eq!(
            peek_header(&token).unwrap().crit,
            Some(vec!["exp".to_owned()])
        );
    }

    #[test]
    fn structurally_broken_tokens_are_malformed() {
        let (key, trust) = key_and_trust();
        let good = sign_compact(&key, None, b"{}");
        let [header, payload, signature] = good.split('.').collect::<Vec<_>>()[..] else {
            panic!("three parts");
        };
        let kid = key.key_id();
        let cases = [
            (String::new(), "three parts"),
            (format!("{header}.{payload}"), "has 2"),
            (format!("{good}.{signature}"), "has 4"),
            (
                format!("{header}=.{payload}.{signature}"),
                "header is not base64url",
            ),
            (
                format!("{header}.{payload}.{signature}=="),
                "signature is not base64url",
            ),
            (
                signed(&key, &format!("{header}.{payload}!")),
                "payload is not base64url",
            ),
            (
                format!("{}.{payload}.{signature}", b64(b"{not json")),
                "not a valid JOSE",
            ),
            (
                format!("{}.{payload}.{signature}", b64(b"not json")),
                "not a JSON object",
            ),
            (
                format!("{}.{payload}.{signature}", b64(b"[\"EdDSA\"]")),
                "not a JSON object",
            ),
            (
                format!("{}.{payload}.{signature}", b64(br#"{"kid":"k"}"#)),
                "missing field `alg`",
            ),
            (
                format!(
                    "{}.{payload}.{signature}",
                    b64(format!(r#"{{"alg":"none","alg":"EdDSA","kid":"{kid}"}}"#).as_bytes())
                ),
                "duplicate field `alg`",
            ),
        ];
        for (token, expected) in cases {
            let message = malformed_message(verify_compact(&token, &trust));
            assert!(message.contains(expected), "{token}: {message}");
        }
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        let (key, trust) = key_and_trust();
        let token = sign_compact(&key, None, b"{}");
        assert!(verify_compact(&format!("{token}\n"), &trust).is_ok());
        assert!(verify_compact(&format!(" \r\n{token}\r\n"), &trust).is_ok());
        assert!(verify_compact(&token.replacen('.', ". ", 1), &trust).is_err());
    }

    #[test]
    fn peek_header_reads_without_trust() {
        let (key, _) = key_and_trust();
        let token = sign_compact(&key, Some("manifest"), b"{}");
        let header = peek_header(&token).unwrap();
        assert_eq!(header.alg, "EdDSA");
        assert_eq!(header.kid.as_ref(), Some(key.key_id()));
        assert_eq!(header.typ.as_deref(), Some("manifest"));
        assert!(matches!(
            peek_header("a.b"),
            Err(SigningError::Malformed(_))
        ));
    }

    #[test]
    fn peek_payload_reads_without_trust_even_when_forged() {
        let (key, _) = key_and_trust();
        let token = sign_compact(&key, None, b"{\"claims\":1}");
        assert_eq!(peek_payload(&token).unwrap(), b"{\"claims\":1}");
        let (unsigned, _) = token.rsplit_once('.').unwrap();
        assert_eq!(
            peek_payload(&format!("{unsigned}.")).unwrap(),
            b"{\"claims\":1}"
        );
        assert!(matches!(
            peek_payload("e30.!!.sig"),
            Err(SigningError::Malformed(m)) if m.contains("payload")
        ));
    }
}
