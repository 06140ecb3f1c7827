//! Progress sync (DESIGN §3, §7): a profile's progress events go to the server account
//! it is signed in as, and the account's events made on other devices come back, so
//! every summary (completion, streak, accuracy…) counts them all.
//!
//! Owns the wire format both sides use ([`WireEvent`], [`PushRequest`], [`PushReply`],
//! [`PullPage`]) and [`Studyhall::sync_progress`].
//!
//! Who the actor is: a profile belongs to one learner, so every event it holds is that
//! learner's, whichever device made it. On the wire an event's `actor` is the id of the
//! server account the profile is signed in as (the server refuses any other); the
//! profile's own learner id never leaves it. Pulled events keep the account id as their
//! actor here. Summaries count every event in the profile, whatever its actor.
//!
//! Promises:
//! - Union by event id, no duplicates: a push sends every event the account has not
//!   answered for; the server stores each once by id and ignores repeats. Pulled events
//!   are inserted unless the profile already holds their id.
//! - Safe to stop at any point: which events the server holds is recorded only once
//!   its answer has arrived (a lost answer means they are sent again, and counted as
//!   already held), and pulled events are stored in the same transaction as the cursor
//!   that follows them.
//! - The state is kept per server URL and account, so signing in to another server or
//!   account starts afresh: everything is pushed there, everything pulled from there.
//! - No database transaction is open while waiting for the network.
//!
//! The HTTP client is blocking: call it from a worker thread, never from an async task.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{RequestFailure, ServerEndpoint};
use crate::Studyhall;
use crate::error::{Error, Result};
use crate::storage::{self, AckOutcome, Durability};
use crate::study::{ObjectKind, ProgressEvent, Verb};

/// Where progress events are pushed (`POST`) and pulled (`GET ?after=CURSOR&limit=N`).
pub const PROGRESS_PATH: &str = "/v1/progress";
/// Where the server says whose bearer token it is.
const ACCOUNT_PATH: &str = "/v1/auth/me";
/// The most events one push may carry.
pub const MAX_PUSH_EVENTS: usize = 1000;
/// The most events one pull answers with.
pub const MAX_PULL_EVENTS: u32 = 1000;
/// What this client sends and asks for at once.
const PUSH_BATCH: usize = 500;
const PULL_BATCH: u32 = 500;

/// A progress event on the wire (xAPI-shaped: actor, verb, object, result, timestamp).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireEvent {
    /// UUIDv7, made by the device that recorded the event.
    pub id: Uuid,
    /// The id of the server account whose event this is.
    pub actor: String,
    pub verb: Verb,
    pub object: WireObject,
    /// For `answered`: `{response, score, max, success}` (no score for an answer no one
    /// grades in practice); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// Seconds of active study the event accounts for.
    #[serde(default)]
    pub active_seconds: u32,
    pub timestamp: DateTime<Utc>,
    /// The calendar day where the learner was (for streaks).
    pub local_day: NaiveDate,
}

/// What an event is about: a lesson or a question of a pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireObject {
    pub pack_id: String,
    pub kind: ObjectKind,
    pub id: String,
}

impl WireEvent {
    /// `event` as the account `actor` sends it.
    pub fn from_local(event: &ProgressEvent, actor: &str) -> Self {
        Self {
            id: event.id,
            actor: actor.to_owned(),
            verb: event.verb,
            object: WireObject {
                pack_id: event.pack_id.clone(),
                kind: event.object_kind,
                id: event.object_id.clone(),
            },
            result: event.result.clone(),
            active_seconds: event.active_seconds,
            timestamp: event.occurred_at,
            local_day: event.local_day,
        }
    }

    /// The event as this profile stores it.
    pub fn into_local(self) -> ProgressEvent {
        ProgressEvent {
            id: self.id,
            actor: self.actor,
            verb: self.verb,
            pack_id: self.object.pack_id,
            object_kind: self.object.kind,
            object_id: self.object.id,
            result: self.result,
            active_seconds: self.active_seconds,
            occurred_at: self.timestamp,
            local_day: self.local_day,
        }
    }
}

/// The body of a push.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushRequest {
    pub events: Vec<WireEvent>,
}

/// The server's answer to a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushReply {
    /// Events stored now.
    pub stored: u32,
    /// Events the account already held, unchanged (sent again): nothing was stored.
    pub duplicates: u32,
    /// Events not stored, each with why. Every other event of the push is held.
    pub refused: Vec<RefusedEvent>,
    /// The account's newest cursor. Informational: pull from the cursor of the last
    /// pull, never from this one, or other devices' events would be skipped.
    pub cursor: String,
}

/// One event of a push that the server did not store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedEvent {
    /// Its position in the push, from 0.
    pub index: u32,
    /// Its id, when it had a readable one.
    pub id: Option<String>,
    pub refusal: Refusal,
    /// Why, in words.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The account holds another event with this id: the event is not stored.
    Conflict,
    /// The event does not pass the server's checks (shape, id, actor, sizes).
    Invalid,
}

/// The server's answer to a pull.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullPage {
    /// The account's events after the cursor asked for, in the order the server
    /// stored them.
    pub events: Vec<WireEvent>,
    /// Where the next pull goes on (opaque: send it back as it is).
    pub cursor: String,
    /// More events wait after `cursor`.
    pub has_more: bool,
}

/// An event the server would not store; it is not sent again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RefusedProgressEvent {
    pub event_id: String,
    /// In words.
    pub reason: String,
}

/// What one round of progress sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProgressSyncReport {
    /// This profile's events the server stored in this round.
    pub pushed: u32,
    /// Events sent again that the server already held (an earlier answer was lost).
    pub already_held: u32,
    /// Events the server refused; they are not sent to it again.
    pub refused: Vec<RefusedProgressEvent>,
    /// Events made elsewhere (on another device) that this profile now holds.
    pub pulled: u32,
    /// Events pulled that this profile already held (its own, or pulled before).
    pub pulled_known: u32,
}

/// The part of the server's `/v1/auth/me` answer sync needs.
#[derive(Deserialize)]
struct AccountReply {
    id: String,
}

fn bad_reply(error: serde_json::Error) -> Error {
    Error::Server(super::bad_reply(error))
}

/// The path of a pull from `cursor` (`None`: from the start).
fn pull_path(cursor: Option<&str>, limit: u32) -> String {
    let mut query = format!("limit={limit}");
    if let Some(cursor) = cursor {
        query.push_str("&after=");
        query.extend(cursor.bytes().map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        }));
    }
    format!("{PROGRESS_PATH}?{query}")
}

impl Studyhall {
    /// Pushes every event the account signed in with `token` does not hold yet, in
    /// batches, then pulls the account's events from where the last pull stopped until
    /// the server has no more, adding those this profile lacks. Stops at the first
    /// failed request (what was done until then is kept); call it again to go on.
    pub fn sync_progress(
        &mut self,
        server: &ServerEndpoint,
        token: &str,
    ) -> Result<ProgressSyncReport> {
        let account: AccountReply =
            serde_json::from_str(&server.get(ACCOUNT_PATH, Some(token))?).map_err(bad_reply)?;
        let peer = self.storage.transact(Durability::Normal, |tx| {
            storage::progress_peer(tx, server.base_url(), &account.id)
        })?;
        let mut report = ProgressSyncReport::default();
        self.push_progress(server, token, peer, &account.id, &mut report)?;
        self.pull_progress(server, token, peer, &mut report)?;
        tracing::info!(
            server = %server.base_url(),
            pushed = report.pushed,
            already_held = report.already_held,
            refused = report.refused.len(),
            pulled = report.pulled,
            "progress synced"
        );
        Ok(report)
    }

    fn push_progress(
        &mut self,
        server: &ServerEndpoint,
        token: &str,
        peer: i64,
        actor: &str,
        report: &mut ProgressSyncReport,
    ) -> Result<()> {
        loop {
            let batch = storage::unacknowledged_events(self.storage.reader(), peer, PUSH_BATCH)?;
            if batch.is_empty() {
                return Ok(());
            }
            let request = PushRequest {
                events: batch
                    .iter()
                    .map(|event| WireEvent::from_local(event, actor))
                    .collect(),
            };
            let body = serde_json::to_string(&request).map_err(bad_reply)?;
            let reply: PushReply =
                serde_json::from_str(&server.post(PROGRESS_PATH, body, Some(token))?)
                    .map_err(bad_reply)?;
            let refused: HashMap<usize, &RefusedEvent> = reply
                .refused
                .iter()
                .map(|refused| (refused.index as usize, refused))
                .collect();
            // Every event of the batch gets an answer, so the next batch is a new one.
            self.storage.transact(Durability::Normal, |tx| {
                for (index, event) in batch.iter().enumerate() {
                    let (outcome, reason) = match refused.get(&index) {
                        None => (AckOutcome::Held, None),
                        Some(refused) => (
                            match refused.refusal {
                                Refusal::Conflict => AckOutcome::Conflict,
                                Refusal::Invalid => AckOutcome::Rejected,
                            },
                            Some(refused.message.as_str()),
                        ),
                    };
                    storage::acknowledge(tx, peer, &event.id, outcome, reason)?;
                }
                Ok(())
            })?;
            report.pushed += reply.stored;
            report.already_held += reply.duplicates;
            for (index, refused) in refused {
                if let Some(event) = batch.get(index) {
                    tracing::warn!(event = %event.id, reason = %refused.message, "the server refused a progress event");
                    report.refused.push(RefusedProgressEvent {
                        event_id: event.id.to_string(),
                        reason: refused.message.clone(),
                    });
                }
            }
        }
    }

    fn pull_progress(
        &mut self,
        server: &ServerEndpoint,
        token: &str,
        peer: i64,
        report: &mut ProgressSyncReport,
    ) -> Result<()> {
        let mut cursor = storage::pull_cursor(self.storage.reader(), peer)?;
        loop {
            let path = pull_path(cursor.as_deref(), PULL_BATCH);
            let page: PullPage =
                serde_json::from_str(&server.get(&path, Some(token))?).map_err(bad_reply)?;
            let events: Vec<ProgressEvent> =
                page.events.into_iter().map(WireEvent::into_local).collect();
            let added = self.storage.transact(Durability::Normal, |tx| {
                let mut added = 0u32;
                for event in &events {
                    if storage::insert_event_if_new(tx, event)? {
                        added += 1;
                    }
                    storage::acknowledge(tx, peer, &event.id, AckOutcome::Held, None)?;
                }
                storage::set_pull_cursor(tx, peer, &page.cursor)?;
                Ok(added)
            })?;
            report.pulled += added;
            report.pulled_known += u32::try_from(events.len()).unwrap_or(u32::MAX) - added;
            if !page.has_more {
                return Ok(());
            }
            if cursor.as_deref() == Some(page.cursor.as_str()) {
                return Err(Error::Server(RequestFailure::BadReply(
                    "the server said more progress events wait but did not move its cursor".into(),
                )));
            }
            cursor = Some(page.cursor);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_paths_carry_the_cursor_escaped() {
        assert_eq!(pull_path(None, 500), "/v1/progress?limit=500");
        assert_eq!(
            pull_path(Some("s42"), 10),
            "/v1/progress?limit=10&after=s42"
        );
        assert_eq!(
            pull_path(Some("a b&c"), 10),
            "/v1/progress?limit=10&after=a%20b%26c"
        );
    }

    #[test]
    fn a_local_event_goes_over_the_wire_and_back_unchanged_but_for_its_actor() {
        let local = ProgressEvent {
            id: Uuid::now_v7(),
            actor: "urn:uuid:learner".into(),
            verb: Verb::Answered,
            pack_id: "intro".into(),
            object_kind: ObjectKind::Question,
            object_id: "q1".into(),
            result: Some(serde_json::json!({ "score": 1.0, "max": 1.0, "success": true })),
            active_seconds: 0,
            occurred_at: DateTime::parse_from_rfc3339("2026-11-24T09:00:00.123Z")
                .unwrap()
                .to_utc(),
            local_day: "2026-11-24".parse().unwrap(),
        };
        let wire = WireEvent::from_local(&local, "0190a7e8-0000-7000-8000-000000000001");
        let json = serde_json::to_value(&wire).unwrap();
        assert_eq!(json["verb"], "answered");
        assert_eq!(json["object"]["kind"], "question");
        let back: WireEvent = serde_json::from_value(json).unwrap();
        let back = back.into_local();
        assert_eq!(back.actor, "0190a7e8-0000-7000-8000-000000000001");
        assert_eq!(
            ProgressEvent {
                actor: local.actor.clone(),
                ..back
            },
            local
        );
    }
}
