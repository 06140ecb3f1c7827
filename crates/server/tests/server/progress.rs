//! Progress sync, on each backend: the endpoints on the real binary (events stored once
//! by id, refusals one by one, pulls by cursor, each account its own); the store under
//! concurrent pushes from two replicas while a puller follows the cursor; and two
//! devices of one learner (the app's core) ending with the same progress, through lost
//! answers and a lost cursor.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, NaiveDate};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use studyhall_core::Studyhall;
use studyhall_core::clock::ManualClock;
use studyhall_core::content::Response;
use studyhall_core::pack::{self, Quiet};
use studyhall_core::study::{ObjectKind, ProgressEvent, Verb};
use studyhall_core::sync::ServerEndpoint;
use studyhall_core::sync::progress::{ProgressSyncReport, WireEvent};
use studyhall_server::store::{AccountId, Role};
use studyhall_signing::SigningKey;
use uuid::Uuid;

use crate::endpoints::{ADMIN, Client};
use crate::store::{account, now, open};

on_both_backends!(
    pushed_events_are_stored_once_and_pulled_by_cursor,
    concurrent_pushes_never_slip_past_a_pulling_cursor,
    two_devices_of_one_learner_end_with_the_same_progress,
);

const PASSWORD: &str = "correct horse battery";
const COURSE: &str = "tiny-course";

impl Client {
    /// A new account with `role`, signed in: its id and token.
    async fn person(&self, admin: &str, username: &str, role: &str) -> (String, String) {
        let body = json!({ "username": username, "password": PASSWORD, "roles": [role] });
        let (status, created) = self
            .call(Method::POST, "/v1/accounts", Some(admin), Some(&body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap().to_owned();
        (id, self.token(username).await)
    }

    async fn push(&self, token: &str, events: &[Value]) -> (StatusCode, Value) {
        let body = json!({ "events": events });
        self.call(Method::POST, "/v1/progress", Some(token), Some(&body))
            .await
    }

    async fn pull(&self, token: &str, query: &str) -> (StatusCode, Value) {
        self.call(
            Method::GET,
            &format!("/v1/progress{query}"),
            Some(token),
            None,
        )
        .await
    }

    /// Every event the account holds, pulled from the beginning.
    async fn pull_all(&self, token: &str) -> Vec<Value> {
        let mut events = Vec::new();
        let mut query = "?limit=3".to_owned();
        loop {
            let (status, page) = self.pull(token, &query).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            events.extend(page["events"].as_array().unwrap().iter().cloned());
            if page["has_more"] == false {
                return events;
            }
            query = format!("?limit=3&after={}", page["cursor"].as_str().unwrap());
        }
    }
}

/// A lesson event of `actor` on the wire, at a millisecond-precise time.
fn lesson_event(actor: &str, verb: &str, lesson: &str) -> Value {
    json!({
        "id": Uuid::now_v7(),
        "actor": actor,
        "verb": verb,
        "object": { "pack_id": COURSE, "kind": "lesson", "id": lesson },
        "active_seconds": 30,
        "timestamp": "2026-11-24T08:00:00.123Z",
        "local_day": "2026-11-24",
    })
}

fn codes(reply: &Value) -> Vec<(u64, String)> {
    reply["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|refused| {
            (
                refused["index"].as_u64().unwrap(),
                refused["refusal"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn pushed_events_are_stored_once_and_pulled_by_cursor(database_url: &str) {
    let client = Client::start(database_url, &[]);
    let admin = client.token(ADMIN).await;
    let (ada, ada_token) = client.person(&admin, "ada", "learner").await;
    let (_, bob_token) = client.person(&admin, "bob", "learner").await;
    let (cy, cy_token) = client.person(&admin, "cy", "candidate").await;

    let events: Vec<Value> = ["quorums", "clocks-video", "quiz"]
        .iter()
        .map(|lesson| lesson_event(&ada, "completed", lesson))
        .collect();
    let mut not_v7 = lesson_event(&ada, "completed", "quorums");
    not_v7["id"] = json!(Uuid::new_v4());
    let someone_else = lesson_event(&cy, "completed", "quorums");
    let mut batch = events.clone();
    batch.extend([not_v7, someone_else, json!({ "id": "x", "verb": "danced" })]);
    let (status, reply) = client.push(&ada_token, &batch).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(
        (reply["stored"].as_u64(), reply["duplicates"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(
        codes(&reply),
        [
            (3, "invalid".into()),
            (4, "invalid".into()),
            (5, "invalid".into())
        ]
    );
    let messages = reply["refused"].to_string();
    assert!(messages.contains("not a UUIDv7"), "{messages}");
    assert!(messages.contains("not the signed-in account"), "{messages}");
    assert_eq!(reply["refused"][2]["id"], "x");
    assert_eq!(reply["cursor"], "s3");

    // The same events again (an answer that was lost) store nothing; another event
    // under a held id is a conflict and changes nothing.
    let mut changed = events[0].clone();
    changed["object"]["id"] = json!("quiz");
    let mut again = events.clone();
    again.push(changed);
    let (status, reply) = client.push(&ada_token, &again).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(
        (reply["stored"].as_u64(), reply["duplicates"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(codes(&reply), [(3, "conflict".into())]);
    assert_eq!(reply["refused"][0]["id"], events[0]["id"]);

    // Pulled by cursor, in the order stored, exactly as pushed.
    let (status, first) = client.pull(&ada_token, "?limit=2").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["events"].as_array().unwrap(), &events[..2]);
    assert_eq!(first["has_more"], true);
    let after = first["cursor"].as_str().unwrap();
    let (_, second) = client.pull(&ada_token, &format!("?after={after}")).await;
    assert_eq!(second["events"].as_array().unwrap(), &events[2..]);
    assert_eq!(second["has_more"], false);
    let end = second["cursor"].as_str().unwrap();
    let (_, nothing) = client.pull(&ada_token, &format!("?after={end}")).await;
    assert_eq!(nothing["events"], json!([]));
    assert_eq!(
        (&nothing["cursor"], &nothing["has_more"]),
        (&json!(end), &json!(false))
    );
    assert_eq!(client.pull_all(&ada_token).await, events);
    // A cursor the account has not reached (the database was restored from an older
    // backup) starts again from the beginning rather than waiting for it.
    let (_, restarted) = client.pull(&ada_token, "?after=s99").await;
    assert_eq!(restarted["events"].as_array().unwrap(), &events);

    // Each account has its own events; a candidate's progress syncs too.
    assert_eq!(client.pull_all(&bob_token).await, Vec::<Value>::new());
    let cy_event = lesson_event(&cy, "experienced", "quorums");
    let (_, reply) = client
        .push(&cy_token, std::slice::from_ref(&cy_event))
        .await;
    assert_eq!(reply["stored"], 1, "{reply}");
    assert_eq!(client.pull_all(&cy_token).await, [cy_event]);

    // Refusals of whole requests say what to do.
    let (status, reply) = client.pull(&ada_token, "?after=42").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reply["error"], "invalid_request");
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .contains("without `after`")
    );
    let (status, reply) = client.pull(&ada_token, "?limit=many").await;
    assert_eq!(
        (status, &reply["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_request"))
    );
    let too_many = vec![lesson_event(&ada, "studied", "quorums"); 1001];
    let (status, reply) = client.push(&ada_token, &too_many).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        reply["message"].as_str().unwrap().contains("at most 1000"),
        "{reply}"
    );
}

/// A new event of `account`, as the API hands it to the store.
fn stored_event(account: AccountId, lesson: String) -> ProgressEvent {
    ProgressEvent {
        id: Uuid::now_v7(),
        actor: account.0.to_string(),
        verb: Verb::Studied,
        pack_id: COURSE.to_owned(),
        object_kind: ObjectKind::Lesson,
        object_id: lesson,
        result: Some(json!({ "note": "made by a test" })),
        active_seconds: 1,
        occurred_at: now(),
        local_day: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
    }
}

async fn concurrent_pushes_never_slip_past_a_pulling_cursor(database_url: &str) {
    const PUSHERS: usize = 12;
    const PUSHES: usize = 8;
    const EVENTS_PER_PUSH: usize = 5;
    // Two replicas on one database.
    let replicas = [open(database_url).await, open(database_url).await];
    let ada = account(&*replicas[0], "ada", &[Role::Learner]).await;
    let other = account(&*replicas[0], "bob", &[Role::Learner]).await;

    let pushers: Vec<_> = (0..PUSHERS)
        .map(|pusher| {
            let store = Arc::clone(&replicas[pusher % 2]);
            tokio::spawn(async move {
                let mut pushed = Vec::new();
                for push in 0..PUSHES {
                    let (account, lesson) = if push % 4 == 3 {
                        (other, "not-ada")
                    } else {
                        (ada, "ada")
                    };
                    let events: Vec<ProgressEvent> = (0..EVENTS_PER_PUSH)
                        .map(|_| stored_event(account, format!("{lesson}-{pusher}")))
                        .collect();
                    let stored = store
                        .store_progress(account, events.clone(), now())
                        .await
                        .unwrap();
                    assert_eq!(stored.stored as usize, EVENTS_PER_PUSH);
                    if account == ada {
                        pushed.extend(events.iter().map(|event| event.id));
                    }
                }
                pushed
            })
        })
        .collect();

    // The puller follows ada's cursor on the other replica while the pushes go on, and
    // stops at the end of a pull that began after every push had finished.
    let finished = Arc::new(AtomicBool::new(false));
    let puller = {
        let store = Arc::clone(&replicas[1]);
        let finished = Arc::clone(&finished);
        tokio::spawn(async move {
            let (mut seen, mut cursor, mut pulls) = (Vec::new(), 0, 0);
            loop {
                let all_pushed = finished.load(Ordering::SeqCst);
                let page = store.progress_after(ada, cursor, 7).await.unwrap();
                pulls += 1;
                assert!(page.last >= cursor);
                seen.extend(page.events.into_iter().map(|event| event.id));
                cursor = page.last;
                if all_pushed && !page.has_more {
                    return (seen, pulls);
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let mut pushed = HashSet::new();
    for pusher in pushers {
        pushed.extend(pusher.await.unwrap());
    }
    finished.store(true, Ordering::SeqCst);
    let (seen, pulls) = puller.await.unwrap();

    assert!(pulls > 1);
    let unique: HashSet<Uuid> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "the puller got an event twice");
    assert_eq!(
        unique, pushed,
        "the puller missed events or got another account's"
    );
    assert_eq!(
        pushed.len(),
        PUSHERS * PUSHES * EVENTS_PER_PUSH * 3 / 4,
        "every push of ada's was stored"
    );
}

/// A learner's profile on one device: the fixture course installed, on a shared clock.
struct Device {
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
}

impl Device {
    fn new(course: &Path, publisher: &SigningKey, clock: &Arc<ManualClock>) -> Self {
        let device = Self {
            dir: tempfile::tempdir().unwrap(),
            clock: Arc::clone(clock),
        };
        let mut app = device.open();
        app.trust_publisher(&publisher.public_key()).unwrap();
        app.import_pack(course, &Quiet).unwrap();
        device
    }

    fn open(&self) -> Studyhall {
        Studyhall::open_with_clock(&self.dir.path().join("profile"), self.clock.clone()).unwrap()
    }

    fn sync(&self, server: &str, token: &str) -> ProgressSyncReport {
        let server = ServerEndpoint::new(server).unwrap();
        self.open().sync_progress(&server, token).unwrap()
    }

    /// Everything the app derives from the events.
    fn summaries(&self) -> Value {
        let app = self.open();
        json!({
            "course": app.course_progress(COURSE).unwrap(),
            "streak": app.streak().unwrap(),
            "topics": app.topic_accuracy(COURSE).unwrap(),
            "days": app.daily_activity(7).unwrap(),
        })
    }
}

/// Runs blocking client code (the core's HTTP client) off the test's async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.unwrap()
}

fn report(pushed: u32, already_held: u32, pulled: u32, pulled_known: u32) -> ProgressSyncReport {
    ProgressSyncReport {
        pushed,
        already_held,
        refused: Vec::new(),
        pulled,
        pulled_known,
    }
}

async fn two_devices_of_one_learner_end_with_the_same_progress(database_url: &str) {
    let client = Client::start(database_url, &[]);
    let admin = client.token(ADMIN).await;
    let (ada, token) = client.person(&admin, "ada", "learner").await;
    let base = client.server.url("");

    let publisher = SigningKey::generate().unwrap();
    let packs = tempfile::tempdir().unwrap();
    let course = packs.path().join("tiny-course.shpack");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/tiny-course");
    pack::build(&fixture, &publisher, &course, &Quiet).unwrap();
    let clock = Arc::new(ManualClock::new(
        DateTime::parse_from_rfc3339("2026-11-23T20:00:00+01:00").unwrap(),
    ));
    let laptop = Arc::new(Device::new(&course, &publisher, &clock));
    let tablet = Arc::new(Device::new(&course, &publisher, &clock));

    // Monday on the laptop, Tuesday on the tablet; neither has synced.
    let on_laptop: Vec<ProgressEvent> = {
        let mut app = laptop.open();
        vec![
            app.open_lesson(COURSE, "quorums").unwrap(),
            app.record_study_time(COURSE, "quorums", 120).unwrap(),
            app.complete_lesson(COURSE, "quorums").unwrap(),
        ]
    };
    laptop
        .open()
        .answer_question(
            COURSE,
            "majority-of-five",
            &Response::Numeric { value: 3.0 },
        )
        .unwrap();
    clock.advance(Duration::days(1));
    {
        let mut app = tablet.open();
        app.open_lesson(COURSE, "clocks-video").unwrap();
        app.complete_lesson(COURSE, "clocks-video").unwrap();
        app.answer_question(
            COURSE,
            "lamport-rule",
            &Response::SingleChoice { choice: "a".into() },
        )
        .unwrap();
    }
    assert_ne!(laptop.summaries(), tablet.summaries());

    // The laptop's first push reached the server but its answer was lost: the server
    // holds three of its events, the laptop does not know.
    let lost: Vec<Value> = on_laptop
        .iter()
        .map(|event| serde_json::to_value(WireEvent::from_local(event, &ada)).unwrap())
        .collect();
    let (status, reply) = client.push(&token, &lost).await;
    assert_eq!(
        (status, &reply["stored"]),
        (StatusCode::OK, &json!(3)),
        "{reply}"
    );

    let (laptop_first, tablet_first, laptop_second) = {
        let (laptop, tablet, base, token) = (
            Arc::clone(&laptop),
            Arc::clone(&tablet),
            base.clone(),
            token.clone(),
        );
        blocking(move || {
            (
                laptop.sync(&base, &token),
                tablet.sync(&base, &token),
                laptop.sync(&base, &token),
            )
        })
        .await
    };
    // Four events on the laptop (three of them already held), three on the tablet; each
    // device pulls its own back (known) and the other's (new).
    assert_eq!(laptop_first, report(1, 3, 0, 4));
    assert_eq!(tablet_first, report(3, 0, 4, 3));
    assert_eq!(laptop_second, report(0, 0, 3, 0));
    let summaries = laptop.summaries();
    assert_eq!(summaries, tablet.summaries());
    assert_eq!(summaries["course"]["completed"], 2);
    assert_eq!(summaries["streak"]["current_days"], 2);
    assert_eq!(summaries["topics"][0]["answers"], 1);
    assert_eq!(summaries["topics"][1]["answers"], 1);

    // The tablet dies after pulling, before its cursor is saved: it pulls everything
    // again, and nothing is added twice. Nothing is left to push anywhere.
    rusqlite::Connection::open(tablet.dir.path().join("profile/studyhall.db"))
        .unwrap()
        .execute("UPDATE progress_sync_peers SET pull_cursor = NULL", [])
        .unwrap();
    let (tablet_again, laptop_again) = {
        let (laptop, tablet, base, token) = (
            Arc::clone(&laptop),
            Arc::clone(&tablet),
            base.clone(),
            token.clone(),
        );
        blocking(move || (tablet.sync(&base, &token), laptop.sync(&base, &token))).await
    };
    assert_eq!(tablet_again, report(0, 0, 0, 7));
    assert_eq!(laptop_again, report(0, 0, 0, 0));
    assert_eq!(tablet.summaries(), summaries);

    // The server holds each of the seven events once.
    let held = client.pull_all(&token).await;
    let ids: HashSet<&str> = held.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!((held.len(), ids.len()), (7, 7));
    assert!(held.iter().all(|event| event["actor"] == ada.as_str()));

    // Signed in as another account, the laptop starts afresh: all it holds goes there.
    let (_, other_token) = client.person(&admin, "ada-at-work", "learner").await;
    let fresh = {
        let laptop = Arc::clone(&laptop);
        blocking(move || laptop.sync(&base, &other_token)).await
    };
    assert_eq!(fresh, report(7, 0, 0, 7));
}
