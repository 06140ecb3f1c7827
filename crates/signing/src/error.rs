//! The one error type of this crate. Each message says what happened and what to do;
//! none ever contains private key material.

use std::path::PathBuf;

use crate::KeyId;

/// Everything that can go wrong while hashing, loading keys, signing or verifying.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// A key or trust file could not be read or written.
    #[error("could not read or write {}: {source}; check that the file exists and that Studyhall may access it", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A key (PEM, JWK or raw bytes) is not a valid Ed25519 key.
    #[error("invalid key: {0}")]
    InvalidKey(String),

    /// A signed document, digest or other encoded value is not well formed.
    #[error("malformed signed data: {0}; the file may be damaged or not come from Studyhall")]
    Malformed(String),

    /// A signed document uses an algorithm other than EdDSA.
    #[error(
        "signature algorithm \"{0}\" is not accepted; Studyhall only accepts EdDSA (Ed25519) signatures"
    )]
    UnsupportedAlgorithm(String),

    /// The document names a key that is not trusted here.
    #[error(
        "signed by key {0}, which is not in the trusted keys; add the signer's public key to the trusted keys only if you trust its owner"
    )]
    UnknownKey(KeyId),

    /// The signature was not made over this content by this key.
    #[error(
        "signature does not match: the content was changed after signing or signed by another key"
    )]
    BadSignature,

    /// Sealed data was sealed to another key than the one trying to open it.
    #[error(
        "this was sealed for key {sealed_for}, not for key {key}; open it with the private key whose id is {sealed_for}"
    )]
    WrongRecipient { sealed_for: KeyId, key: KeyId },

    /// Sealed data holds another kind of content than the caller expects.
    #[error(
        "the sealed data holds \"{found}\", not the expected \"{expected}\"; check that the right file was chosen"
    )]
    UnexpectedContent { expected: String, found: String },

    /// Authenticated decryption failed: the data was changed, or the key or the
    /// context it is bound to is not the one it was made with.
    #[error(
        "the {what} could not be decrypted: it was changed or damaged after it was made, or it belongs to another key or exam; get a fresh copy from where it came from"
    )]
    DecryptionFailed { what: &'static str },

    /// A format version this build does not know.
    #[error(
        "{what} version {version} is not supported by this version of Studyhall; update Studyhall to read it"
    )]
    UnsupportedVersion { what: &'static str, version: String },

    /// A start code did not unlock the wrapped content key.
    #[error(
        "the start code is wrong (or the exam pack was changed); check the code with the proctor and type it again (dashes and spaces do not matter)"
    )]
    WrongStartCode,

    /// A resume code does not match the session and attempt it was typed for.
    #[error(
        "the resume code is wrong; ask the proctor for the resume code of this session and attempt and type it again"
    )]
    WrongResumeCode,

    /// Typed text is not a start or resume code at all.
    #[error("not a valid {kind}: {reason}; check the code and type it again")]
    InvalidCode { kind: &'static str, reason: String },

    /// A caller passed a value this crate cannot use (a programming error, not bad data).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed; try again")]
    RandomFailed,

    /// Writing a private key would have replaced an existing file.
    #[error("key file {} already exists; Studyhall never overwrites a key file, so move it away or choose another path", .0.display())]
    KeyFileExists(PathBuf),
}

impl SigningError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Puts the file's name in front of an invalid key's reason.
    pub(crate) fn in_file(self, path: &std::path::Path) -> Self {
        match self {
            Self::InvalidKey(reason) => Self::InvalidKey(format!("{}: {reason}", path.display())),
            other => other,
        }
    }
}
