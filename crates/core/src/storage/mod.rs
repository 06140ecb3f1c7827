//! Client storage: one SQLite database per profile. This module owns every SQL
//! statement of the client. It promises: WAL journaling, foreign keys on, the schema
//! migrated forward to the newest version in one transaction (or not at all), a clear
//! error for a database written by a newer Studyhall, and one transaction helper
//! (`Storage::transact`) that every write goes through.

mod account;
mod content;
mod exam;
mod notes;
mod outbox;
mod progress;
mod progress_sync;
mod search;

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use rusqlite::{Connection, OpenFlags, Transaction};
use rusqlite_migration::{MigrationDefinitionError, Migrations};

pub(crate) use account::{
    AccountRow, account, delete_account, enrolled_at, events_waiting, exam_in_progress,
    record_enrollment, set_account, set_last_sync,
};
pub(crate) use content::{
    LessonRow, file_location, installed_pack, installed_packs, lessons_in_order, modules,
    outline_counts, referenced_blobs, replace_pack,
};
pub use content::{NewPack, PackRecord};
pub(crate) use exam::{
    ExamPackRow, OutboxRow, SessionRow, add_extra_time, append_log, exam_pack, exam_packs, flags,
    forget_session_key, insert_answer, insert_exam_pack, insert_outbox, insert_session,
    insert_session_secrets, last_log_entry, latest_answers, log_entries, open_sessions,
    outbox_for_session, resume_count, session, session_secrets, sessions_of_exam, set_break,
    set_break_allowance, set_flag, set_position, set_session_started, set_session_state,
    set_session_submitted, set_session_time,
};
pub(crate) use notes::{bookmarks, delete_note, insert_note, notes, set_bookmark, update_note};
pub(crate) use outbox::{
    PendingResult, outbox_counts, pending_results, record_delivery, record_failed_delivery,
};
pub(crate) use progress::insert_event_if_new;
pub(crate) use progress::{
    active_seconds, completed_lessons, daily_activity, first_incomplete_lesson, insert_event,
    lesson_exists, module_progress, question_json, set_setting, setting, study_days,
    topic_accuracy,
};
pub(crate) use progress_sync::{
    AckOutcome, acknowledge, progress_peer, pull_cursor, set_pull_cursor, unacknowledged_events,
};
pub(crate) use search::search;
pub use search::{HIGHLIGHT_END, HIGHLIGHT_START, SearchHit, SearchHitKind};

use crate::error::{Error, Result};

static CLIENT_MIGRATIONS: Dir<'static> =
    include_dir!("$CARGO_MANIFEST_DIR/../../migrations/client");

/// The client's migrations, newest last. Forward-only: a landed migration is never edited.
pub fn migrations() -> Migrations<'static> {
    // The folder is embedded at build time and checked by the `migrations_are_valid` test.
    Migrations::from_directory(&CLIENT_MIGRATIONS)
        .expect("embedded client migrations are well-formed")
}

/// Durability of a write transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// WAL with `synchronous=NORMAL`: survives a crash of the app; the last commits may
    /// be lost on power loss. Content imports and study progress use this.
    Normal,
    /// `synchronous=FULL`: the commit is on disk when `transact` returns.
    Full,
}

#[derive(Debug)]
pub struct Storage {
    conn: Connection,
    path: PathBuf,
}

impl Storage {
    /// Opens (creating if needed) the database at `path` and migrates it to the newest schema.
    pub fn open(path: &Path) -> Result<Self> {
        let open_error = |reason: String| Error::DatabaseOpen {
            path: path.to_owned(),
            reason,
        };
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_error(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| open_error(e.to_string()))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;",
        )
        .map_err(|e| open_error(e.to_string()))?;
        migrations().to_latest(&mut conn).map_err(|e| match e {
            rusqlite_migration::Error::MigrationDefinition(
                MigrationDefinitionError::DatabaseTooFarAhead,
            ) => Error::DatabaseTooNew {
                path: path.to_owned(),
            },
            other => open_error(other.to_string()),
        })?;
        Ok(Storage {
            conn,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one write transaction: everything `f` does is committed together, or,
    /// if `f` fails, nothing is.
    pub fn transact<T>(
        &mut self,
        durability: Durability,
        f: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let full = durability == Durability::Full;
        if full {
            self.conn.pragma_update(None, "synchronous", "FULL")?;
        }
        let outcome = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        if full {
            self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        }
        outcome
    }

    /// Read-only access for queries.
    pub(crate) fn reader(&self) -> &Connection {
        &self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn fresh_schema_equals_a_schema_upgraded_step_by_step() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = Storage::open(&dir.path().join("fresh.db")).unwrap();

        let stepped_path = dir.path().join("stepped.db");
        let mut conn = Connection::open(&stepped_path).unwrap();
        let all = migrations();
        let newest = CLIENT_MIGRATIONS.dirs().count();
        for version in 1..=newest {
            all.to_version(&mut conn, version).unwrap();
        }
        drop(conn);
        let stepped = Storage::open(&stepped_path).unwrap();

        assert_eq!(schema_of(fresh.reader()), schema_of(stepped.reader()));
        let version: i64 = stepped
            .reader()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, newest);
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("study.db");
        drop(Storage::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 999)
            .unwrap();
        let err = Storage::open(&path).unwrap_err();
        assert!(matches!(err, Error::DatabaseTooNew { .. }), "{err:?}");
        assert!(err.to_string().contains("newer version of Studyhall"));
    }

    #[test]
    fn a_failing_migration_leaves_the_database_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("study.db");
        drop(Storage::open(&path).unwrap());
        let before = schema_of(&Connection::open(&path).unwrap());

        let mut conn = Connection::open(&path).unwrap();
        let mut steps: Vec<rusqlite_migration::M<'static>> = Vec::new();
        for dir in CLIENT_MIGRATIONS.dirs() {
            let up = dir
                .get_file(dir.path().join("up.sql"))
                .and_then(|f| f.contents_utf8())
                .unwrap();
            steps.push(rusqlite_migration::M::up(up));
        }
        steps.push(rusqlite_migration::M::up(
            "CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);",
        ));
        let err = Migrations::new(steps).to_latest(&mut conn);
        assert!(err.is_err());
        drop(conn);

        let conn = Connection::open(&path).unwrap();
        assert_eq!(schema_of(&conn), before);
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, CLIENT_MIGRATIONS.dirs().count());
    }

    #[test]
    fn a_failed_transaction_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut storage = Storage::open(&dir.path().join("study.db")).unwrap();
        let result: Result<()> = storage.transact(Durability::Full, |tx| {
            tx.execute(
                "INSERT INTO packs VALUES ('p', '1.0.0', 't', 's', 'en', NULL, 'k', 'j', 'h', 'now')",
                [],
            )?;
            Err(Error::NotFound { what: "x".into() })
        });
        assert!(result.is_err());
        let count: i64 = storage
            .reader()
            .query_row("SELECT count(*) FROM packs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 0);
    }

    fn schema_of(conn: &Connection) -> Vec<(String, String, Option<String>)> {
        let mut stmt = conn
            .prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}
