//! Progress sync (DESIGN §3, §7): learners' devices push their progress events and
//! pull the events their other devices pushed, by cursor; the union by event id is
//! every device's history.
//!
//! Who: any signed-in account with the learner or candidate role, for its own events
//! only. The account is the events' actor: each pushed event's `actor` must be the
//! account's id (a client sends its profile's events under the account it is signed in
//! as; see `studyhall_core::sync::progress`), and a pull answers with the account's
//! events only.
//!
//! Promises:
//! - A push carries at most [`MAX_PUSH_EVENTS`]; each event is checked on its own
//!   (shape, UUIDv7 id, actor, sizes) and one that fails is refused with the reason
//!   while the others are stored. An event is stored once per account by its id: the
//!   same event again is counted as a duplicate, another event under a held id is
//!   refused as a conflict; neither changes anything.
//! - A pull answers with the account's events after its cursor in the order the server
//!   stored them, and the cursor to go on from; an event stored later, on any replica,
//!   always comes after that cursor (see `store::progress`). Cursors are opaque.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::SubsecRound as _;
use serde::Deserialize;
use studyhall_core::study::{MAX_ACTIVE_SECONDS_PER_REPORT, ProgressEvent};
use studyhall_core::sync::progress::{
    MAX_PULL_EVENTS, MAX_PUSH_EVENTS, PullPage, PushReply, Refusal, RefusedEvent, WireEvent,
};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Json;
use crate::app::AppState;
use crate::auth::{Authorized, Policy};
use crate::error::{ApiError, ErrorBody};
use crate::store::{AccountId, Role};

/// How many events a pull answers with when it does not say.
const DEFAULT_PULL_EVENTS: u32 = 500;
/// The longest pack or object id an event may name.
const MAX_ID_CHARS: usize = 200;
/// The largest result an event may carry, as JSON.
const MAX_RESULT_BYTES: usize = 16 * 1024;

/// Learners and candidates: the people whose progress is recorded.
#[derive(Debug)]
pub struct LearnerOrCandidate;
impl Policy for LearnerOrCandidate {
    const ROLES: &'static [Role] = &[Role::Learner, Role::Candidate];
}

/// A push: the account's events, each checked on its own.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProgressPush {
    /// At most 1,000 events, each `{id (UUIDv7), actor (the account's id), verb
    /// (experienced|completed|answered|studied), object {pack_id, kind (lesson|question),
    /// id}, result (object, optional), active_seconds, timestamp (RFC 3339), local_day
    /// (YYYY-MM-DD)}`.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<serde_json::Value>,
}

/// A pull's query (described in [`pull_progress`]'s parameters).
#[derive(Debug, Deserialize)]
pub struct PullQuery {
    pub after: Option<String>,
    pub limit: Option<u32>,
}

/// Stores the account's events, each once by its id.
#[utoipa::path(post, path = "/v1/progress", tag = "progress",
    security(("bearer" = [])),
    request_body = ProgressPush,
    responses(
        (status = 200, description = "`{stored, duplicates, refused: [{index, id, refusal: conflict|invalid, message}], cursor}`: every event not refused is held", body = Object),
        (status = 400, description = "not a push, or more than 1,000 events", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only learners and candidates", body = ErrorBody),
    ))]
pub async fn push_progress(
    State(state): State<AppState>,
    caller: Authorized<LearnerOrCandidate>,
    Json(push): Json<ProgressPush>,
) -> Result<Json<PushReply>, ApiError> {
    if push.events.len() > MAX_PUSH_EVENTS {
        return Err(ApiError::InvalidRequest(format!(
            "a push carries at most {MAX_PUSH_EVENTS} events, this one {}; send them in batches",
            push.events.len()
        )));
    }
    let account = caller.account.id;
    let mut refused = Vec::new();
    let mut checked = Vec::new();
    // Each checked event's position in the push.
    let mut positions = Vec::new();
    for (index, value) in push.events.into_iter().enumerate() {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        let id = value
            .get("id")
            .and_then(|id| id.as_str())
            .map(str::to_owned);
        match checked_event(value, account) {
            Ok(event) => {
                positions.push(index);
                checked.push(event);
            }
            Err(reason) => refused.push(RefusedEvent {
                index,
                id,
                refusal: Refusal::Invalid,
                message: reason.to_string(),
            }),
        }
    }
    let ids: Vec<Uuid> = checked.iter().map(|event| event.id).collect();
    let stored = state
        .store
        .store_progress(account, checked, state.now())
        .await?;
    for position in stored.conflicts {
        let (Some(index), Some(id)) = (positions.get(position), ids.get(position)) else {
            continue;
        };
        refused.push(RefusedEvent {
            index: *index,
            id: Some(id.to_string()),
            refusal: Refusal::Conflict,
            message: format!(
                "this account already holds another event with id {id}; an event never \
                 changes, so it was not stored"
            ),
        });
    }
    refused.sort_by_key(|refused| refused.index);
    tracing::info!(
        account = %account.0,
        stored = stored.stored,
        duplicates = stored.duplicates,
        refused = refused.len(),
        "progress pushed"
    );
    Ok(Json(PushReply {
        stored: stored.stored,
        duplicates: stored.duplicates,
        refused,
        cursor: cursor(stored.head),
    }))
}

/// The account's events after a cursor, in the order the server stored them.
#[utoipa::path(get, path = "/v1/progress", tag = "progress",
    security(("bearer" = [])),
    params(
        ("after" = Option<String>, Query, description = "the cursor the previous pull answered with; from the beginning when left out"),
        ("limit" = Option<u32>, Query, description = "at most this many events: 500 when left out, at most 1,000"),
    ),
    responses(
        (status = 200, description = "`{events: [event as pushed], cursor, has_more}`: pull again from `cursor` while `has_more`", body = Object),
        (status = 400, description = "a cursor this server did not give, or a bad limit", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only learners and candidates", body = ErrorBody),
    ))]
pub async fn pull_progress(
    State(state): State<AppState>,
    caller: Authorized<LearnerOrCandidate>,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<PullPage>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::InvalidRequest(e.body_text()))?;
    let after = query.after.as_deref().map(parse_cursor).transpose()?;
    let limit = query
        .limit
        .unwrap_or(DEFAULT_PULL_EVENTS)
        .clamp(1, MAX_PULL_EVENTS);
    let account = caller.account.id;
    let page = state
        .store
        .progress_after(account, after.unwrap_or(0), limit)
        .await?;
    Ok(Json(PullPage {
        events: page
            .events
            .iter()
            .map(|event| WireEvent::from_local(event, &event.actor))
            .collect(),
        cursor: cursor(page.last),
        has_more: page.has_more,
    }))
}

/// Why one pushed event is not stored.
#[derive(Debug, thiserror::Error)]
enum InvalidEvent {
    #[error("it is not a progress event: {0}")]
    Shape(serde_json::Error),
    #[error("its id {0} is not a UUIDv7")]
    NotUuidV7(Uuid),
    #[error(
        "its actor \"{actor}\" is not the signed-in account ({account}); push only the events of the account you signed in as"
    )]
    OtherActor { actor: String, account: Uuid },
    #[error("its {0} is empty or longer than {MAX_ID_CHARS} characters")]
    BadId(&'static str),
    #[error("its result is not a JSON object of at most {MAX_RESULT_BYTES} bytes")]
    BadResult,
    #[error(
        "it claims {0} active seconds; one event accounts for at most {MAX_ACTIVE_SECONDS_PER_REPORT}"
    )]
    TooManySeconds(u32),
    #[error("its local day {day} is more than a day away from its timestamp {timestamp}")]
    FarDay { day: String, timestamp: String },
}

/// `value` as a progress event of `account`, checked; its actor written as the server
/// writes the account's id, its time to the millisecond (what both backends keep), so
/// that the same event pushed again compares equal.
fn checked_event(
    value: serde_json::Value,
    account: AccountId,
) -> Result<ProgressEvent, InvalidEvent> {
    let event: WireEvent = serde_json::from_value(value).map_err(InvalidEvent::Shape)?;
    if event.id.get_version() != Some(uuid::Version::SortRand) {
        return Err(InvalidEvent::NotUuidV7(event.id));
    }
    if Uuid::parse_str(&event.actor).ok() != Some(account.0) {
        return Err(InvalidEvent::OtherActor {
            actor: event.actor,
            account: account.0,
        });
    }
    for (what, id) in [
        ("pack id", &event.object.pack_id),
        ("object id", &event.object.id),
    ] {
        if id.is_empty() || id.chars().count() > MAX_ID_CHARS {
            return Err(InvalidEvent::BadId(what));
        }
    }
    if let Some(result) = &event.result
        && (!result.is_object() || result.to_string().len() > MAX_RESULT_BYTES)
    {
        return Err(InvalidEvent::BadResult);
    }
    if event.active_seconds > MAX_ACTIVE_SECONDS_PER_REPORT {
        return Err(InvalidEvent::TooManySeconds(event.active_seconds));
    }
    // A learner's calendar day is within a day of the UTC date (offsets are < 24 h).
    if (event.local_day - event.timestamp.date_naive())
        .num_days()
        .abs()
        > 1
    {
        return Err(InvalidEvent::FarDay {
            day: event.local_day.to_string(),
            timestamp: event.timestamp.to_rfc3339(),
        });
    }
    Ok(ProgressEvent {
        actor: account.0.to_string(),
        occurred_at: event.timestamp.trunc_subsecs(3),
        ..event.into_local()
    })
}

/// The cursor after the account's event number `number` (0: before the first).
fn cursor(number: u64) -> String {
    format!("s{number}")
}

fn parse_cursor(text: &str) -> Result<u64, ApiError> {
    text.strip_prefix('s')
        .and_then(|number| number.parse().ok())
        .ok_or_else(|| {
            ApiError::InvalidRequest(format!(
                "\"{text}\" is not a progress cursor this server gave; pull without `after` to \
                 start from the beginning"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_strangers_are_refused() {
        assert_eq!(parse_cursor(&cursor(42)).unwrap(), 42);
        assert_eq!(parse_cursor(&cursor(0)).unwrap(), 0);
        for stranger in ["42", "s", "s-1", "sx", ""] {
            assert!(parse_cursor(stranger).is_err(), "{stranger}");
        }
    }

    #[test]
    fn pushed_events_are_checked_one_by_one() {
        let account = AccountId(Uuid::now_v7());
        let event = |changes: serde_json::Value| {
            let mut event = serde_json::json!({
                "id": Uuid::now_v7(),
                "actor": account.0,
                "verb": "completed",
                "object": { "pack_id": "intro", "kind": "lesson", "id": "l1" },
                "active_seconds": 0,
                "timestamp": "2026-11-24T23:30:00.123456Z",
                "local_day": "2026-11-25",
            });
            for (key, value) in changes.as_object().unwrap() {
                event[key] = value.clone();
            }
            checked_event(event, account)
        };
        let ok = event(serde_json::json!({})).unwrap();
        assert_eq!(ok.occurred_at.timestamp_subsec_micros(), 123_000);
        let refusal = |changes| event(changes).unwrap_err().to_string();
        assert!(refusal(serde_json::json!({ "id": Uuid::new_v4() })).contains("not a UUIDv7"));
        assert!(refusal(serde_json::json!({ "actor": Uuid::now_v7() })).contains("actor"));
        assert!(refusal(serde_json::json!({ "verb": "danced" })).contains("not a progress event"));
        assert!(refusal(serde_json::json!({ "result": [1] })).contains("result"));
        assert!(refusal(serde_json::json!({ "active_seconds": 301 })).contains("301"));
        assert!(refusal(serde_json::json!({ "local_day": "2026-11-27" })).contains("day"));
        assert!(
            refusal(
                serde_json::json!({ "object": { "pack_id": "", "kind": "lesson", "id": "l" } })
            )
            .contains("pack id")
        );
    }
}
