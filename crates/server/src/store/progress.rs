//! Learners' progress events as the store keeps them (DESIGN §3, §7): per account,
//! each once by its event id, numbered in the order they were stored. The events are
//! core's [`ProgressEvent`]s whose actor is the account's id; their times are kept to
//! the millisecond, so the API truncates them before they are compared or stored.
//!
//! The numbering is per account and is what pull cursors count. Both backends take the
//! account's `progress_heads` row's write lock before numbering a push's events and
//! keep it until they commit, so an account's events become visible in the order of
//! their numbers: a pull from number n never misses an event numbered above n that a
//! slower transaction commits later (which a plain shared sequence would allow on
//! PostgreSQL). Pushes for one account take turns; different accounts do not wait for
//! each other.

use std::collections::HashMap;

use studyhall_core::study::{ObjectKind, ProgressEvent, Verb};
use uuid::Uuid;

use super::StoreError;

/// What [`Store::store_progress`](super::Store::store_progress) did with a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredProgress {
    /// Events stored now.
    pub stored: u32,
    /// Events the account already held with the same content: nothing changed.
    pub duplicates: u32,
    /// Positions (in the batch) of events whose id the account already holds with
    /// other content (or that an earlier event of the batch used): not stored.
    pub conflicts: Vec<usize>,
    /// The number of the account's newest event (0: none yet).
    pub head: u64,
}

/// A page of an account's events, in the order they were stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressPage {
    pub events: Vec<ProgressEvent>,
    /// The number of the last event in `events`, or where the page started when it is
    /// empty: the next page starts after it.
    pub last: u64,
    pub has_more: bool,
}

/// The columns of an event both backends read and write, after `seq`.
pub(super) const PROGRESS_COLUMNS: &str = "event_id, verb, pack_id, object_kind, object_id, \
     result, active_seconds, occurred_at, local_day";

/// Where a pull asked to go on `after` starts, given the account's newest number
/// `head`: a number the account has not reached yet comes from before the database was
/// restored from a backup, so the pull starts from the beginning (pulling again is
/// harmless: clients insert events by id).
pub(super) fn resume_point(after: u64, head: u64) -> u64 {
    if after > head { 0 } else { after }
}

/// A batch split into what to insert and what the account already holds.
#[derive(Debug, Default)]
pub(super) struct ProgressPlan {
    /// New events, in batch order, each id once.
    pub new: Vec<ProgressEvent>,
    pub duplicates: u32,
    pub conflicts: Vec<usize>,
}

/// Splits `events` against `held` (the account's stored events with the batch's ids).
pub(super) fn plan(
    events: Vec<ProgressEvent>,
    held: impl IntoIterator<Item = ProgressEvent>,
) -> ProgressPlan {
    let mut known: HashMap<Uuid, ProgressEvent> =
        held.into_iter().map(|event| (event.id, event)).collect();
    let mut plan = ProgressPlan::default();
    for (position, event) in events.into_iter().enumerate() {
        match known.get(&event.id) {
            Some(kept) if *kept == event => plan.duplicates += 1,
            Some(_) => plan.conflicts.push(position),
            None => {
                known.insert(event.id, event.clone());
                plan.new.push(event);
            }
        }
    }
    plan
}

impl ProgressPlan {
    /// What the store answers once the new events are stored after number `head`.
    pub(super) fn outcome(self, head: u64) -> StoredProgress {
        let stored = u32::try_from(self.new.len()).unwrap_or(u32::MAX);
        StoredProgress {
            stored,
            duplicates: self.duplicates,
            conflicts: self.conflicts,
            head: head + u64::from(stored),
        }
    }
}

/// The page for rows `(number, event)` read with a limit of `limit + 1`.
pub(super) fn page(mut rows: Vec<(u64, ProgressEvent)>, after: u64, limit: u32) -> ProgressPage {
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    ProgressPage {
        last: rows.last().map_or(after, |(number, _)| *number),
        events: rows.into_iter().map(|(_, event)| event).collect(),
        has_more,
    }
}

pub(super) fn parse_verb(text: &str) -> Result<Verb, StoreError> {
    Verb::parse(text).ok_or_else(|| StoreError::Corrupt(format!("a progress verb \"{text}\"")))
}

pub(super) fn parse_object_kind(text: &str) -> Result<ObjectKind, StoreError> {
    ObjectKind::parse(text)
        .ok_or_else(|| StoreError::Corrupt(format!("a progress object kind \"{text}\"")))
}

pub(super) fn parse_result(json: Option<String>) -> Result<Option<serde_json::Value>, StoreError> {
    json.map(|json| {
        serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("a progress event's result: {e}")))
    })
    .transpose()
}

/// A number read from the database.
pub(super) fn number(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("a progress number {value}")))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate};

    use super::*;

    fn event(id: Uuid, object_id: &str) -> ProgressEvent {
        ProgressEvent {
            id,
            actor: "the account".into(),
            verb: Verb::Completed,
            pack_id: "intro".into(),
            object_kind: ObjectKind::Lesson,
            object_id: object_id.into(),
            result: None,
            active_seconds: 0,
            occurred_at: DateTime::from_timestamp_millis(1_780_000_000_123).unwrap_or_default(),
            local_day: NaiveDate::default(),
        }
    }

    #[test]
    fn a_batch_splits_into_new_repeated_and_conflicting_events() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let plan = plan(
            vec![
                event(a, "l1"),
                event(b, "l2"),
                event(c, "l3"),
                event(c, "l3"),
                event(c, "other"),
            ],
            [event(a, "l1"), event(b, "changed")],
        );
        assert_eq!(plan.new, vec![event(c, "l3")]);
        assert_eq!(plan.duplicates, 2);
        assert_eq!(plan.conflicts, vec![1, 4]);
        let outcome = plan.outcome(7);
        assert_eq!((outcome.stored, outcome.head), (1, 8));
    }
}
