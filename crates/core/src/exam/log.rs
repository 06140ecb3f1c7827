//! The proctor log: every security-relevant event of an exam session (focus lost, a
//! display added, a blocked shortcut, a resume after a crash, extra time granted) as an
//! append-only, hash-chained list (DESIGN §4).
//!
//! Entry n carries `hash(n) = SHA-256(hash(n-1) || canonical(entry n))`, where the chain
//! starts from `hash(-1) = SHA-256("studyhall proctor log v1" || session id)`, so a log
//! cannot be moved to another session. `canonical` is the entry's JSON without its hash,
//! fields in a fixed order and object keys sorted. The result document signs the head
//! (length and last hash); [`verify`] then detects any edit, reorder, insertion or
//! truncation.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use studyhall_signing::hash::{Digest, Sha256};

/// Domain separation for the chain's starting hash; a new log format is a new tag.
const CHAIN_TAG: &[u8] = b"studyhall proctor log v1";

/// One event in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Position in the log, from 0.
    pub seq: u32,
    /// Wall-clock time when recorded (UTC).
    pub at: DateTime<Utc>,
    /// What happened, as a stable snake_case word (see [`LogKind`]).
    pub kind: String,
    /// The particulars, a JSON object.
    pub detail: serde_json::Value,
    /// `hash(seq)`, 64 hex characters.
    pub hash: String,
}

/// What the log records. Stored by name, so new kinds can be added without a new format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    SessionStarted,
    SystemCheck,
    Paused,
    Resumed,
    ResumedAfterCrash,
    ResumeCodeAccepted,
    ExtraTimeGranted,
    FocusLost,
    FocusRegained,
    VisibilityChanged,
    DisplayAdded,
    DisplayRemoved,
    VirtualMachineDetected,
    ShortcutBlocked,
    ClipboardBlocked,
    CloseRefused,
    ClockJumped,
    ProctorExit,
    Submitted,
    /// The server released the exam's key to this device for this session.
    KeyReleased,
}

impl LogKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::SessionStarted => "session_started",
            LogKind::SystemCheck => "system_check",
            LogKind::Paused => "paused",
            LogKind::Resumed => "resumed",
            LogKind::ResumedAfterCrash => "resumed_after_crash",
            LogKind::ResumeCodeAccepted => "resume_code_accepted",
            LogKind::ExtraTimeGranted => "extra_time_granted",
            LogKind::FocusLost => "focus_lost",
            LogKind::FocusRegained => "focus_regained",
            LogKind::VisibilityChanged => "visibility_changed",
            LogKind::DisplayAdded => "display_added",
            LogKind::DisplayRemoved => "display_removed",
            LogKind::VirtualMachineDetected => "virtual_machine_detected",
            LogKind::ShortcutBlocked => "shortcut_blocked",
            LogKind::ClipboardBlocked => "clipboard_blocked",
            LogKind::CloseRefused => "close_refused",
            LogKind::ClockJumped => "clock_jumped",
            LogKind::ProctorExit => "proctor_exit",
            LogKind::Submitted => "submitted",
            LogKind::KeyReleased => "key_released",
        }
    }
}

/// The end of a log: what a result document signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChainHead {
    /// Number of entries.
    pub length: u32,
    /// Hash of the last entry, or the chain's starting hash for an empty log.
    pub hash: String,
}

/// Why a log does not verify. Each says which entry is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error(
        "proctor log entry {found} is where entry {expected} should be: entries were removed or reordered"
    )]
    OutOfOrder { expected: u32, found: u32 },
    #[error("proctor log entry {seq} was changed after it was written (its hash does not match)")]
    Altered { seq: u32 },
    #[error(
        "the proctor log has {found} entries but the signed result says {expected}: entries were removed or added"
    )]
    WrongLength { expected: u32, found: u32 },
    #[error("the proctor log does not end with the hash the signed result names")]
    WrongHead,
}

/// `hash(-1)` of a session's chain.
pub fn chain_start(session_id: &str) -> Digest {
    let mut hasher = Sha256::new();
    hasher.update(CHAIN_TAG);
    hasher.update(session_id.as_bytes());
    hasher.finish()
}

/// The next entry after `previous` (the last hash, or [`chain_start`]).
pub fn next_entry(
    previous: &Digest,
    seq: u32,
    at: DateTime<Utc>,
    kind: LogKind,
    detail: serde_json::Value,
) -> LogEntry {
    let mut entry = LogEntry {
        seq,
        at,
        kind: kind.as_str().to_owned(),
        detail,
        hash: String::new(),
    };
    entry.hash = link_hash(previous, &entry).to_hex();
    entry
}

/// `SHA-256(previous || canonical(entry))`.
fn link_hash(previous: &Digest, entry: &LogEntry) -> Digest {
    let mut hasher = Sha256::new();
    hasher.update(previous.as_bytes());
    hasher.update(&canonical(entry));
    hasher.finish()
}

/// The entry without its hash as JSON: fields in a fixed order, object keys sorted at
/// every depth, time with microseconds and `Z`, no white space.
fn canonical(entry: &LogEntry) -> Vec<u8> {
    #[derive(Serialize)]
    struct Canonical<'a> {
        seq: u32,
        at: String,
        kind: &'a str,
        detail: Sorted<'a>,
    }
    let canonical = Canonical {
        seq: entry.seq,
        at: entry.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        kind: &entry.kind,
        detail: Sorted(&entry.detail),
    };
    // Serializing strings, integers and JSON values into memory cannot fail.
    serde_json::to_vec(&canonical).unwrap_or_default()
}

/// A JSON value serialized with object keys sorted, whatever order the map keeps (a
/// dependency may switch serde_json to insertion order for the whole build).
struct Sorted<'a>(&'a serde_json::Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = serializer.serialize_map(Some(keys.len()))?;
                for key in keys {
                    out.serialize_entry(key, &Sorted(&map[key]))?;
                }
                out.end()
            }
            serde_json::Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Sorted(item))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// Checks the chain of `entries` (in order) for `session_id` and returns its head.
pub fn verify(session_id: &str, entries: &[LogEntry]) -> Result<ChainHead, ChainError> {
    let mut previous = chain_start(session_id);
    for (index, entry) in entries.iter().enumerate() {
        let expected = u32::try_from(index).unwrap_or(u32::MAX);
        if entry.seq != expected {
            return Err(ChainError::OutOfOrder {
                expected,
                found: entry.seq,
            });
        }
        let hash = link_hash(&previous, entry);
        if Digest::from_hex(&entry.hash).ok() != Some(hash) {
            return Err(ChainError::Altered { seq: entry.seq });
        }
        previous = hash;
    }
    Ok(ChainHead {
        length: u32::try_from(entries.len()).unwrap_or(u32::MAX),
        hash: previous.to_hex(),
    })
}

/// [`verify`], then checks the head against the one a signed result names.
pub fn verify_against(
    session_id: &str,
    entries: &[LogEntry],
    signed: &ChainHead,
) -> Result<(), ChainError> {
    let head = verify(session_id, entries)?;
    if head.length != signed.length {
        return Err(ChainError::WrongLength {
            expected: signed.length,
            found: head.length,
        });
    }
    if head.hash != signed.hash {
        return Err(ChainError::WrongHead);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = "0193a1b2-0000-7000-8000-000000000001";

    fn log_of(kinds: &[LogKind]) -> Vec<LogEntry> {
        let start: DateTime<Utc> = "2026-11-24T09:00:00Z".parse().unwrap();
        let mut previous = chain_start(SESSION);
        let mut entries = Vec::new();
        for (seq, kind) in kinds.iter().enumerate() {
            let entry = next_entry(
                &previous,
                seq as u32,
                start + chrono::Duration::seconds(seq as i64 * 7),
                *kind,
                serde_json::json!({ "window": "exam", "n": seq }),
            );
            previous = Digest::from_hex(&entry.hash).unwrap();
            entries.push(entry);
        }
        entries
    }

    fn sample() -> Vec<LogEntry> {
        log_of(&[
            LogKind::SessionStarted,
            LogKind::FocusLost,
            LogKind::FocusRegained,
            LogKind::ExtraTimeGranted,
            LogKind::Submitted,
        ])
    }

    #[test]
    fn an_intact_log_verifies_against_its_head() {
        let log = sample();
        let head = verify(SESSION, &log).unwrap();
        assert_eq!(head.length, 5);
        assert_eq!(head.hash, log[4].hash);
        verify_against(SESSION, &log, &head).unwrap();
        let empty = verify(SESSION, &[]).unwrap();
        assert_eq!(empty.hash, chain_start(SESSION).to_hex());
    }

    #[test]
    fn any_edit_is_detected_at_its_entry() {
        let log = sample();
        let head = verify(SESSION, &log).unwrap();
        for seq in 0..log.len() {
            let mut edited = log.clone();
            edited[seq].detail["window"] = "browser".into();
            assert_eq!(
                verify(SESSION, &edited),
                Err(ChainError::Altered { seq: seq as u32 })
            );
            let mut retimed = log.clone();
            retimed[seq].at += chrono::Duration::seconds(1);
            assert!(verify_against(SESSION, &retimed, &head).is_err());
            let mut renamed = log.clone();
            renamed[seq].kind = "resumed".into();
            assert!(verify(SESSION, &renamed).is_err());
        }
    }

    #[test]
    fn reorder_insertion_and_truncation_are_detected() {
        let log = sample();
        let head = verify(SESSION, &log).unwrap();
        let mut swapped = log.clone();
        swapped.swap(1, 2);
        assert!(matches!(
            verify(SESSION, &swapped),
            Err(ChainError::OutOfOrder { .. })
        ));
        // Renumbered after removing an entry: the hashes no longer link.
        let mut removed = log.clone();
        removed.remove(1);
        for (seq, entry) in removed.iter_mut().enumerate() {
            entry.seq = seq as u32;
        }
        assert!(matches!(
            verify(SESSION, &removed),
            Err(ChainError::Altered { seq: 1 })
        ));
        // Cut off at the end: the chain itself is fine, but not the signed head.
        let truncated = &log[..3];
        assert_eq!(
            verify_against(SESSION, truncated, &head),
            Err(ChainError::WrongLength {
                expected: 5,
                found: 3
            })
        );
        // A log moved to another session does not verify there.
        assert!(verify("another-session", &log).is_err());
    }

    #[test]
    fn canonical_form_sorts_object_keys_at_every_depth() {
        let mut entry = sample().remove(0);
        entry.detail = serde_json::json!({ "z": [{ "b": 1, "a": 2 }], "a": null });
        let text = String::from_utf8(canonical(&entry)).unwrap();
        assert_eq!(
            text,
            r#"{"seq":0,"at":"2026-11-24T09:00:00.000000Z","kind":"session_started","detail":{"a":null,"z":[{"a":2,"b":1}]}}"#
        );
    }
}
