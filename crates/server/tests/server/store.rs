//! The behavioural suite of [`Store`]: every case runs once on SQLite and once on
//! PostgreSQL, so both backends keep the same promises.

use chrono::{DateTime, TimeDelta, Utc};
use studyhall_server::store::{
    self, AccountId, DeviceId, NewAccount, NewDevice, NewEnrollmentToken, NewSession, PackKind,
    PackRecord, ResultRecord, ResultVia, Role, Store, StoreError, StoredPack, StoredResult,
    TokenHash,
};
use studyhall_signing::SigningKey;
use uuid::Uuid;

on_both_backends!(
    accounts_are_found_by_username_with_their_roles,
    usernames_are_unique,
    sessions_name_their_account_until_deleted,
    an_enrollment_token_enrolls_exactly_one_device,
    unknown_and_expired_enrollment_tokens_are_refused,
    a_device_key_enrolls_once_and_a_refused_enrollment_keeps_the_token,
    concurrent_enrollments_with_one_token_enroll_one_device,
    reopening_keeps_everything,
    a_result_is_stored_once_by_its_id,
    results_of_devices_not_enrolled_are_refused,
    concurrent_deliveries_of_one_result_store_it_once,
    a_pack_is_stored_once_by_id_and_version_and_read_by_ranges,
);

/// A fixed, millisecond-precise "now" (what both backends store).
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_780_000_000_123).unwrap()
}

pub async fn open(url: &str) -> std::sync::Arc<dyn Store> {
    store::open(url).await.unwrap()
}

pub async fn account(store: &dyn Store, username: &str, roles: &[Role]) -> AccountId {
    store
        .create_account(NewAccount::new(
            username.to_owned(),
            format!("hash-of-{username}"),
            roles.to_vec(),
            now(),
        ))
        .await
        .unwrap()
        .id
}

async fn enrollment_token(store: &dyn Store, by: AccountId, token: &str) -> TokenHash {
    let token_hash = TokenHash::of(token);
    store
        .create_enrollment_token(NewEnrollmentToken {
            token_hash: token_hash.clone(),
            created_by: by,
            created_at: now(),
            expires_at: now() + TimeDelta::hours(1),
        })
        .await
        .unwrap();
    token_hash
}

fn new_device(key: &SigningKey, at: DateTime<Utc>) -> NewDevice {
    NewDevice {
        id: DeviceId(Uuid::now_v7()),
        public_key: key.public_key(),
        enrolled_at: at,
    }
}

async fn accounts_are_found_by_username_with_their_roles(url: &str) {
    let store = open(url).await;
    let created = store
        .create_account(NewAccount::new(
            "proctor.1".to_owned(),
            "argon2-hash".to_owned(),
            vec![Role::Proctor, Role::Learner, Role::Proctor],
            now(),
        ))
        .await
        .unwrap();
    assert_eq!(created.roles, vec![Role::Learner, Role::Proctor]);

    let found = store.credentials("proctor.1").await.unwrap().unwrap();
    assert_eq!(found.account, created);
    assert_eq!(found.password_hash, "argon2-hash");
    assert!(store.credentials("proctor.2").await.unwrap().is_none());
}

async fn usernames_are_unique(url: &str) {
    let store = open(url).await;
    account(&*store, "ada", &[Role::Learner]).await;
    let again = store
        .create_account(NewAccount::new(
            "ada".to_owned(),
            "other".to_owned(),
            vec![Role::Admin],
            now(),
        ))
        .await;
    assert!(
        matches!(again, Err(StoreError::UsernameTaken(ref name)) if name == "ada"),
        "{again:?}"
    );
    // The refused account left no role behind for the existing one.
    let existing = store.credentials("ada").await.unwrap().unwrap();
    assert_eq!(existing.account.roles, vec![Role::Learner]);
}

async fn sessions_name_their_account_until_deleted(url: &str) {
    let store = open(url).await;
    let id = account(&*store, "grace", &[Role::Candidate, Role::Author]).await;
    let token_hash = TokenHash::of("token-1");
    let expires_at = now() + TimeDelta::hours(12);
    store
        .create_session(NewSession {
            token_hash: token_hash.clone(),
            account_id: id,
            created_at: now(),
            expires_at,
        })
        .await
        .unwrap();

    let session = store.session(&token_hash).await.unwrap().unwrap();
    assert_eq!(session.account.id, id);
    assert_eq!(session.account.roles, vec![Role::Candidate, Role::Author]);
    assert_eq!(session.expires_at, expires_at);
    assert!(
        store
            .session(&TokenHash::of("token-2"))
            .await
            .unwrap()
            .is_none()
    );

    assert!(store.delete_session(&token_hash).await.unwrap());
    assert!(store.session(&token_hash).await.unwrap().is_none());
    assert!(!store.delete_session(&token_hash).await.unwrap());
}

async fn an_enrollment_token_enrolls_exactly_one_device(url: &str) {
    let store = open(url).await;
    let proctor = account(&*store, "proctor", &[Role::Proctor]).await;
    let token_hash = enrollment_token(&*store, proctor, "enroll-1").await;
    let key = SigningKey::generate().unwrap();

    let device = store
        .enroll_device(&token_hash, new_device(&key, now()))
        .await
        .unwrap();
    assert_eq!(&device.key_id, key.key_id());
    assert_eq!(device.enrolled_by, proctor);
    assert_eq!(store.devices().await.unwrap(), vec![device]);

    let other_key = SigningKey::generate().unwrap();
    let reused = store
        .enroll_device(&token_hash, new_device(&other_key, now()))
        .await;
    assert!(
        matches!(reused, Err(StoreError::EnrollmentTokenUsed)),
        "{reused:?}"
    );
    assert_eq!(store.devices().await.unwrap().len(), 1);
}

async fn unknown_and_expired_enrollment_tokens_are_refused(url: &str) {
    let store = open(url).await;
    let admin = account(&*store, "admin", &[Role::Admin]).await;
    let key = SigningKey::generate().unwrap();

    let unknown = store
        .enroll_device(&TokenHash::of("never-issued"), new_device(&key, now()))
        .await;
    assert!(
        matches!(unknown, Err(StoreError::EnrollmentTokenUnknown)),
        "{unknown:?}"
    );

    let token_hash = enrollment_token(&*store, admin, "enroll-2").await;
    let late = now() + TimeDelta::hours(1);
    let expired = store
        .enroll_device(&token_hash, new_device(&key, late))
        .await;
    assert!(
        matches!(expired, Err(StoreError::EnrollmentTokenExpired(at)) if at == late),
        "{expired:?}"
    );
    assert!(store.devices().await.unwrap().is_empty());
}

async fn a_device_key_enrolls_once_and_a_refused_enrollment_keeps_the_token(url: &str) {
    let store = open(url).await;
    let admin = account(&*store, "admin", &[Role::Admin]).await;
    let first = enrollment_token(&*store, admin, "enroll-a").await;
    let second = enrollment_token(&*store, admin, "enroll-b").await;
    let key = SigningKey::generate().unwrap();
    store
        .enroll_device(&first, new_device(&key, now()))
        .await
        .unwrap();

    let again = store.enroll_device(&second, new_device(&key, now())).await;
    assert!(
        matches!(again, Err(StoreError::DeviceAlreadyEnrolled(ref id)) if id == key.key_id()),
        "{again:?}"
    );
    // Nothing of the refused enrollment stuck: the second token still works.
    let other_key = SigningKey::generate().unwrap();
    store
        .enroll_device(&second, new_device(&other_key, now()))
        .await
        .unwrap();
    assert_eq!(store.devices().await.unwrap().len(), 2);
}

async fn concurrent_enrollments_with_one_token_enroll_one_device(url: &str) {
    let store = open(url).await;
    let admin = account(&*store, "admin", &[Role::Admin]).await;
    let token_hash = enrollment_token(&*store, admin, "enroll-race").await;
    let attempts = (0..8).map(|_| {
        let store = std::sync::Arc::clone(&store);
        let token_hash = token_hash.clone();
        tokio::spawn(async move {
            let key = SigningKey::generate().unwrap();
            store
                .enroll_device(&token_hash, new_device(&key, now()))
                .await
        })
    });
    let mut enrolled = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        match attempt.await.unwrap() {
            Ok(_) => enrolled += 1,
            Err(StoreError::EnrollmentTokenUsed) => {}
            Err(other) => panic!("unexpected refusal: {other:?}"),
        }
    }
    assert_eq!(enrolled, 1);
    assert_eq!(store.devices().await.unwrap().len(), 1);
}

async fn reopening_keeps_everything(url: &str) {
    let store = open(url).await;
    let admin = account(&*store, "admin", &[Role::Admin]).await;
    let token_hash = enrollment_token(&*store, admin, "enroll-keep").await;
    let key = SigningKey::generate().unwrap();
    let device = store
        .enroll_device(&token_hash, new_device(&key, now()))
        .await
        .unwrap();
    drop(store);

    // Opening again migrates nothing twice and finds what was written.
    let store = open(url).await;
    store.check_health().await.unwrap();
    assert_eq!(store.devices().await.unwrap(), vec![device]);
    assert!(store.credentials("admin").await.unwrap().is_some());
}

/// An enrolled device's key.
async fn enrolled(store: &dyn Store, token: &str) -> SigningKey {
    let admin = match store.credentials("admin").await.unwrap() {
        Some(found) => found.account.id,
        None => account(store, "admin", &[Role::Admin]).await,
    };
    let token_hash = enrollment_token(store, admin, token).await;
    let key = SigningKey::generate().unwrap();
    store
        .enroll_device(&token_hash, new_device(&key, now()))
        .await
        .unwrap();
    key
}

fn result_record(result_id: &str, device: &SigningKey, sealed_sha256: &str) -> ResultRecord {
    ResultRecord {
        result_id: result_id.to_owned(),
        sealed_sha256: sealed_sha256.to_owned(),
        signed: "header.payload.signature".to_owned(),
        device_key_id: device.key_id().clone(),
        session_id: "session-1".to_owned(),
        exam_id: "tiny-exam".to_owned(),
        exam_version: "1.0.0".to_owned(),
        candidate_id: "candidate-1".to_owned(),
        receipt_code: "ABCD-1234".to_owned(),
        receipt: format!("receipt-of-{sealed_sha256}"),
        received_at: now(),
        via: ResultVia::Device,
        handed_in_by: None,
        form_checked: false,
    }
}

async fn a_result_is_stored_once_by_its_id(url: &str) {
    let store = open(url).await;
    let device = enrolled(&*store, "enroll-results").await;
    let id = Uuid::now_v7().to_string();
    let first = result_record(&id, &device, "aaaa");
    assert_eq!(
        store.store_result(first.clone()).await.unwrap(),
        StoredResult::New(first.clone())
    );
    assert_eq!(store.result(&id).await.unwrap(), Some(first.clone()));

    // The same bytes again, later, by hand-in: the first record and receipt come back.
    let mut again = result_record(&id, &device, "aaaa");
    again.receipt = "a newer receipt".to_owned();
    again.received_at = now() + TimeDelta::hours(1);
    again.via = ResultVia::Handin;
    again.handed_in_by = Some(
        store
            .credentials("admin")
            .await
            .unwrap()
            .unwrap()
            .account
            .id,
    );
    assert_eq!(
        store.store_result(again).await.unwrap(),
        StoredResult::Duplicate(first.clone())
    );

    let other = store
        .store_result(result_record(&id, &device, "bbbb"))
        .await;
    assert!(
        matches!(other, Err(StoreError::ResultConflict(ref other_id)) if *other_id == id),
        "{other:?}"
    );
    assert_eq!(store.result(&id).await.unwrap(), Some(first));
    assert_eq!(store.result("unknown").await.unwrap(), None);
}

async fn results_of_devices_not_enrolled_are_refused(url: &str) {
    let store = open(url).await;
    let stranger = SigningKey::generate().unwrap();
    assert!(
        store
            .device_by_key(stranger.key_id())
            .await
            .unwrap()
            .is_none()
    );
    let id = Uuid::now_v7().to_string();
    let refused = store
        .store_result(result_record(&id, &stranger, "aaaa"))
        .await;
    assert!(
        matches!(refused, Err(StoreError::DeviceNotEnrolled(ref key)) if key == stranger.key_id()),
        "{refused:?}"
    );
    assert_eq!(store.result(&id).await.unwrap(), None);

    let device = enrolled(&*store, "enroll-known").await;
    let found = store.device_by_key(device.key_id()).await.unwrap().unwrap();
    assert_eq!(found.public_key, device.public_key());
}

async fn concurrent_deliveries_of_one_result_store_it_once(url: &str) {
    let store = open(url).await;
    let device = std::sync::Arc::new(enrolled(&*store, "enroll-race-results").await);
    let id = Uuid::now_v7().to_string();
    let deliveries = (0..8).map(|n| {
        let store = std::sync::Arc::clone(&store);
        let device = std::sync::Arc::clone(&device);
        let id = id.clone();
        tokio::spawn(async move {
            let mut record = result_record(&id, &device, "aaaa");
            record.receipt = format!("receipt-{n}");
            store.store_result(record).await
        })
    });
    let mut receipts = std::collections::BTreeSet::new();
    let mut new = 0;
    for delivery in deliveries.collect::<Vec<_>>() {
        match delivery.await.unwrap().unwrap() {
            StoredResult::New(record) => {
                new += 1;
                receipts.insert(record.receipt);
            }
            StoredResult::Duplicate(record) => {
                receipts.insert(record.receipt);
            }
        }
    }
    assert_eq!(new, 1);
    assert_eq!(receipts.len(), 1, "every delivery answers with one receipt");
}

fn pack_record(version: &str, bytes: &[u8], by: AccountId, minutes: i64) -> PackRecord {
    PackRecord {
        id: "tiny-course".to_owned(),
        version: version.to_owned(),
        kind: PackKind::Course,
        title: "Tiny course".to_owned(),
        size: bytes.len() as u64,
        sha256: studyhall_signing::hash::sha256(bytes).to_hex(),
        published_by: by,
        published_at: now() + TimeDelta::minutes(minutes),
    }
}

async fn a_pack_is_stored_once_by_id_and_version_and_read_by_ranges(url: &str) {
    let store = open(url).await;
    let author = account(&*store, "author", &[Role::Author]).await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let first = pack_record("1.0.0", &bytes, author, 0);
    let stored = store
        .publish_pack(first.clone(), bytes.clone())
        .await
        .unwrap();
    assert_eq!(stored, StoredPack::New(first.clone()));

    // Again, later: the first record stands.
    let again = pack_record("1.0.0", &bytes, author, 5);
    let stored = store.publish_pack(again, bytes.clone()).await.unwrap();
    assert_eq!(stored, StoredPack::Duplicate(first.clone()));

    let other = b"other bytes".to_vec();
    let refused = store
        .publish_pack(pack_record("1.0.0", &other, author, 6), other.clone())
        .await;
    assert!(
        matches!(refused, Err(StoreError::PackConflict { ref version, .. }) if version == "1.0.0"),
        "{refused:?}"
    );

    let newer = pack_record("1.1.0", &other, author, 10);
    store.publish_pack(newer.clone(), other).await.unwrap();
    assert_eq!(store.packs().await.unwrap(), vec![newer, first.clone()]);
    assert_eq!(
        store.pack("tiny-course", "1.0.0").await.unwrap(),
        Some(first)
    );

    let range = |offset, length| store.pack_bytes("tiny-course", "1.0.0", offset, length);
    assert_eq!(range(0, 5000).await.unwrap(), Some(bytes.clone()));
    assert_eq!(
        range(1000, 24).await.unwrap().as_deref(),
        Some(&bytes[1000..1024])
    );
    // A range past the end is cut at the end.
    assert_eq!(
        range(4990, 100).await.unwrap().as_deref(),
        Some(&bytes[4990..])
    );
    assert_eq!(
        store
            .pack_bytes("tiny-course", "9.0.0", 0, 10)
            .await
            .unwrap(),
        None
    );
}
