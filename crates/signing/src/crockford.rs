//! Crockford base32 for codes people read aloud and type: start codes and resume
//! codes. Output is upper case; input is forgiving the way Crockford intends: any
//! case, spaces and dashes anywhere, `O` read as `0`, and `I` or `L` read as `1`.

use std::sync::LazyLock;

use data_encoding::{Encoding, Specification};
use zeroize::Zeroizing;

use crate::SigningError;

/// The 32 symbols: digits and letters without I, L, O and U.
const SYMBOLS: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static CROCKFORD: LazyLock<Encoding> = LazyLock::new(|| {
    let mut spec = Specification::new();
    spec.symbols.push_str(SYMBOLS);
    spec.encoding()
        .expect("32 distinct ASCII symbols are a valid base32 specification")
});

/// Upper-case Crockford base32 without padding.
pub(crate) fn encode(bytes: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(CROCKFORD.encode(bytes))
}

/// The typed code's symbols in canonical form (upper case, no separators, confusable
/// letters mapped to digits), checked to be exactly `length` symbols long.
pub(crate) fn normalize(
    kind: &'static str,
    typed: &str,
    length: usize,
    example: &str,
) -> Result<Zeroizing<String>, SigningError> {
    let mut canonical = Zeroizing::new(String::with_capacity(length));
    for c in typed.chars() {
        let symbol = match c.to_ascii_uppercase() {
            ' ' | '-' | '\t' | '\n' | '\r' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            upper if SYMBOLS.contains(upper) => upper,
            other => {
                return Err(SigningError::InvalidCode {
                    kind,
                    reason: format!(
                        "\"{other}\" is not used in codes (they use the digits and the letters A to Z except U)"
                    ),
                });
            }
        };
        canonical.push(symbol);
    }
    if canonical.len() != length {
        return Err(SigningError::InvalidCode {
            kind,
            reason: format!(
                "it has {} letters and digits, but a {kind} has {length}, like {example}",
                canonical.len()
            ),
        });
    }
    Ok(canonical)
}

/// Decodes a canonical code from [`normalize`] whose length is a multiple of 8
/// symbols (whole bytes, no trailing bits).
pub(crate) fn decode_canonical(canonical: &str) -> Zeroizing<Vec<u8>> {
    // `normalize` let through only the 32 symbols, and every caller's length is a
    // multiple of 8 symbols (5 bytes), so decoding cannot fail.
    Zeroizing::new(
        CROCKFORD
            .decode(canonical.as_bytes())
            .expect("a normalized code of whole 8-symbol blocks decodes"),
    )
}

/// `ABCD-EFGH-…`: the canonical code in groups of four.
pub(crate) fn grouped(canonical: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(canonical.len() * 5 / 4));
    for (i, c) in canonical.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_crockford_and_reads_confusables() {
        // Five bytes, 40 bits: the symbols for 0 to 6, then 31.
        let encoded = encode(&[0x00, 0x44, 0x32, 0x14, 0xdf]);
        assert_eq!(encoded.as_str(), "0123456Z");
        let canonical = normalize("code", "o12-3 456z", 8, "X").unwrap();
        assert_eq!(canonical.as_str(), "0123456Z");
        assert_eq!(
            &decode_canonical(&canonical)[..],
            [0x00, 0x44, 0x32, 0x14, 0xdf]
        );
        assert_eq!(
            normalize("code", "iIlL0oO0", 8, "X").unwrap().as_str(),
            "11110000"
        );
    }

    #[test]
    fn refuses_other_symbols_and_lengths() {
        for (typed, expected) in [
            ("0123456U", "\"U\""),
            ("0123456é", "\"é\""),
            ("0123-456", "7 letters and digits"),
            ("0123 4567 8", "9 letters and digits"),
        ] {
            match normalize("start code", typed, 8, "ABCD-EFGH") {
                Err(SigningError::InvalidCode { kind, reason }) => {
                    assert_eq!(kind, "start code");
                    assert!(reason.contains(expected), "{typed}: {reason}");
                }
                other => panic!("{typed}: expected InvalidCode, got {other:?}"),
            }
        }
    }

    #[test]
    fn groups_by_four() {
        assert_eq!(grouped("ABCDEFGH12").as_str(), "ABCD-EFGH-12");
    }
}
