//! Studyhall's only door to cryptography. Every hash, key and signature in the
//! project goes through this crate, and it is the only crate that calls `ring`.
//!
//! What it owns:
//! - [`hash`]: SHA-256 ([`hash::Sha256`], [`hash::Digest`]).
//! - Ed25519 keys: [`SigningKey`] (private, PKCS#8 PEM files written with mode
//!   0600), [`PublicKey`] (RFC 8037 OKP JWK files) and [`KeyId`], the RFC 7638
//!   JWK thumbprint that names a key everywhere else.
//! - [`TrustStore`]: the public keys this installation trusts.
//! - [`jws`]: compact JWS (RFC 7515) with `alg: EdDSA`, the format of every signed
//!   Studyhall document.
//!
//! What it promises:
//! - Private key material never shows up in `Debug` output, is never `Clone` or
//!   `Serialize`, and its encoded forms are wiped from memory when dropped.
//! - Anything signed here verifies with any JOSE library, and only tokens signed
//!   with EdDSA by a key in the caller's [`TrustStore`] verify here.
//! - Every [`SigningError`] says what went wrong and what to do about it.

mod error;
pub mod hash;
pub mod jws;
mod public_key;
mod signing_key;
mod trust;

pub use error::SigningError;
pub use public_key::{KeyId, PublicKey};
pub use signing_key::SigningKey;
pub use trust::TrustStore;
/// The wrapper [`SigningKey::to_pkcs8_pem`] returns: wipes the string when dropped.
pub use zeroize::Zeroizing;
