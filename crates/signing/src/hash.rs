//! SHA-256, the one hash of Studyhall: pack file lists, proctor log chains, content
//! addresses, key ids.
//!
//! [`Sha256`] hashes streams (it is also an [`std::io::Write`], so
//! `std::io::copy(&mut file, &mut hasher)` works), [`sha256`] hashes a slice, and
//! [`Digest`] is the result: 32 bytes shown and serialized as 64 lowercase hex
//! characters. Parsing accepts upper or lower case hex and nothing else.

use std::fmt;
use std::str::FromStr;

use ring::digest;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::SigningError;

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; 32]);

impl Digest {
    /// Wraps 32 bytes that already are a SHA-256 digest.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// 64 lowercase hex characters.
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(64);
        for byte in self.0 {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        hex
    }

    /// Parses 64 hex characters (either case).
    pub fn from_hex(hex: &str) -> Result<Self, SigningError> {
        let malformed = || {
            SigningError::Malformed(
                "a SHA-256 digest must be exactly 64 hex characters (0-9, a-f)".to_owned(),
            )
        };
        if hex.len() != 64 {
            return Err(malformed());
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
            let high = hex_value(pair[0]).ok_or_else(malformed)?;
            let low = hex_value(pair[1]).ok_or_else(malformed)?;
            *byte = (high << 4) | low;
        }
        Ok(Self(bytes))
    }
}

fn hex_value(character: u8) -> Option<u8> {
    // `to_digit(16)` is below 16, so it always fits in a u8.
    char::from(character).to_digit(16).map(|value| value as u8)
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl FromStr for Digest {
    type Err = SigningError;

    fn from_str(hex: &str) -> Result<Self, Self::Err> {
        Self::from_hex(hex)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let hex = String::deserialize(deserializer)?;
        Self::from_hex(&hex).map_err(serde::de::Error::custom)
    }
}

/// A streaming SHA-256 hasher.
#[derive(Clone)]
pub struct Sha256(digest::Context);

impl Sha256 {
    pub fn new() -> Self {
        Self(digest::Context::new(&digest::SHA256))
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub fn finish(self) -> Digest {
        Digest(to_array(self.0.finish()))
    }
}

impl Default for Sha256 {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sha256")
    }
}

impl std::io::Write for Sha256 {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Digest {
    Digest(to_array(digest::digest(&digest::SHA256, data)))
}

fn to_array(digest: digest::Digest) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    // A SHA-256 digest is always 32 bytes long.
    bytes.copy_from_slice(digest.as_ref());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    // FIPS 180-2 / NIST examples.
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    const TWO_BLOCKS: &str = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

    #[test]
    fn known_answers() {
        assert_eq!(sha256(b"").to_hex(), EMPTY);
        assert_eq!(sha256(b"abc").to_hex(), ABC);
        assert_eq!(
            sha256(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").to_hex(),
            TWO_BLOCKS
        );
    }

    #[test]
    fn streaming_matches_one_shot_for_every_split() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let expected = sha256(&data);
        for split in [0, 1, 63, 64, 65, 999, 1000] {
            let mut hasher = Sha256::new();
            hasher.update(&data[..split]);
            hasher.update(&data[split..]);
            assert_eq!(hasher.finish(), expected, "split at {split}");
        }
    }

    #[test]
    fn io_write_feeds_the_hasher() {
        let mut hasher = Sha256::default();
        std::io::copy(&mut &b"abc"[..], &mut hasher).unwrap();
        assert_eq!(hasher.finish().to_hex(), ABC);
    }

    #[test]
    fn hex_round_trips_and_accepts_upper_case() {
        let digest = sha256(b"abc");
        assert_eq!(Digest::from_hex(&digest.to_hex()).unwrap(), digest);
        assert_eq!(Digest::from_hex(&ABC.to_uppercase()).unwrap(), digest);
        assert_eq!(digest.to_string(), ABC);
        assert_eq!(ABC.parse::<Digest>().unwrap(), digest);
        assert_eq!(format!("{digest:?}"), format!("Digest({ABC})"));
    }

    #[test]
    fn from_hex_rejects_wrong_length_and_non_hex() {
        for bad in [
            "",
            &ABC[..62],
            &format!("{ABC}00"),
            &format!("g{}", &ABC[1..]),
            &format!("+{}", &ABC[1..]),
            &format!(" {}", &ABC[1..]),
        ] {
            let err = Digest::from_hex(bad).unwrap_err();
            assert!(matches!(err, SigningError::Malformed(_)), "{bad:?}: {err}");
        }
    }

    #[test]
    fn serde_uses_the_hex_string() {
        let digest = sha256(b"abc");
        let json = serde_json::to_string(&digest).unwrap();
        assert_eq!(json, format!("\"{ABC}\""));
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), digest);
        assert!(serde_json::from_str::<Digest>("\"abc\"").is_err());
        assert!(serde_json::from_str::<Digest>("[1,2,3]").is_err());
    }
}
