//! Studyhall's only door to cryptography. Every hash, key and signature in the
//! project goes through this crate, and it is the only crate that calls `ring` (or
//! `hpke`, for the X25519 sealing `ring` cannot do).
//!
//! What it owns:
//! - [`hash`]: SHA-256 ([`hash::Sha256`], [`hash::Digest`]).
//! - Ed25519 keys: [`SigningKey`] (private, PKCS#8 PEM files written with mode
//!   0600), [`PublicKey`] (RFC 8037 OKP JWK files) and [`KeyId`], the RFC 7638
//!   JWK thumbprint that names a key everywhere else.
//! - [`TrustStore`]: the public keys this installation trusts.
//! - [`jws`]: compact JWS (RFC 7515) with `alg: EdDSA`, the format of every signed
//!   Studyhall document.
//! - Sealing (RFC 9180 HPKE, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM):
//!   [`SealingKey`] (private, JWK files written with mode 0600), [`SealingPublicKey`]
//!   and the self-describing [`Sealed`] envelope a result travels in.
//! - [`ContentKey`]: AES-256-GCM encryption of an exam pack's items, wrapped for a
//!   [`StartCode`] by PBKDF2 ([`StartCodeWrap`]) or sealed to the server for release.
//! - Resume codes ([`resume_code`], [`verify_resume_code`]) a proctor derives from a
//!   [`ResumeSecret`].
//!
//! Every format here is versioned and described in `docs/formats.md`; changing one is
//! a new version, never an edit.
//!
//! What it promises:
//! - Private key material (and content keys, start codes and resume secrets) never
//!   shows up in `Debug` output, is never `Clone` or `Serialize`, and it and its
//!   encoded forms are wiped from memory when dropped.
//! - Anything signed here verifies with any JOSE library, and only tokens signed
//!   with EdDSA by a key in the caller's [`TrustStore`] verify here.
//! - Every [`SigningError`] says what went wrong and what to do about it.

mod content_key;
mod crockford;
mod error;
pub mod hash;
pub mod jws;
mod public_key;
mod resume_code;
mod sealing;
mod signing_key;
mod start_code;
mod trust;

pub use content_key::{ContentKey, ProctorPin};
pub use error::SigningError;
pub use public_key::{KeyId, PublicKey};
pub use resume_code::{ResumeCode, ResumeSecret, resume_code, verify_resume_code};
pub use sealing::{Sealed, SealingKey, SealingPublicKey};
pub use signing_key::SigningKey;
pub use start_code::{StartCode, StartCodeWrap};
pub use trust::TrustStore;
/// The wrapper [`SigningKey::to_pkcs8_pem`] returns: wipes the string when dropped.
pub use zeroize::Zeroizing;
