//! `studyhall-server backup` and `restore` on the SQLite backend, with the real binary:
//! a backup taken while the server runs restores into a working server; restores refuse
//! a database in use, an existing database without `--force`, and a file that is not a
//! backup; PostgreSQL is pointed to its own tools.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use studyhall_signing::SigningKey;

use crate::endpoints::{ADMIN, Client, enrollment};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_into_a_working_server() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("server.db");
    let keys = dir.path().join("keys").display().to_string();
    let client = Client::start(&sqlite_url(&database), &[("KEY_DIR", &keys)]);
    let admin = client.token(ADMIN).await;
    let token = client.enrollment_token(&admin, json!({})).await;
    let device = SigningKey::generate().unwrap();
    let (status, body) = client
        .call(
            Method::POST,
            "/v1/devices",
            None,
            Some(&enrollment(&device, &token)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // While the server runs (its WAL open), a consistent, checked copy.
    let backup = dir.path().join("backup.db");
    let output = client
        .server
        .run(&["backup", "--to", &backup.display().to_string()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("1 accounts, 1 devices, 0 results, 0 packs"),
        "{}",
        stdout(&output)
    );
    // Never over an existing file.
    let again = client
        .server
        .run(&["backup", "--to", &backup.display().to_string()]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    // A restore is refused while the server has the database open.
    let in_use = client.server.run(&[
        "restore",
        "--from",
        &backup.display().to_string(),
        "--force",
    ]);
    assert!(!in_use.status.success());
    assert!(
        stderr(&in_use).contains("stop the server first"),
        "{}",
        stderr(&in_use)
    );

    // After the backup the server went on: a second device. The restore goes back to one.
    let token = client.enrollment_token(&admin, json!({})).await;
    let (status, _) = client
        .call(
            Method::POST,
            "/v1/devices",
            None,
            Some(&enrollment(&SigningKey::generate().unwrap(), &token)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let Client { server, .. } = client;
    assert!(server.stop_gracefully(Duration::from_secs(30)).success());

    // Restoring over the stopped server's database needs --force, and keeps the old one.
    let restore_env = |args: &[&str]| -> Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_studyhall-server"))
            .args(args)
            .env("STUDYHALL_SERVER_DATABASE_URL", sqlite_url(&database))
            .env("STUDYHALL_SERVER_KEY_DIR", &keys)
            .output()
            .unwrap()
    };
    let without_force = restore_env(&["restore", "--from", &backup.display().to_string()]);
    assert!(!without_force.status.success());
    assert!(
        stderr(&without_force).contains("pass --force"),
        "{}",
        stderr(&without_force)
    );
    let restored = restore_env(&[
        "restore",
        "--from",
        &backup.display().to_string(),
        "--force",
    ]);
    assert!(restored.status.success(), "{}", stderr(&restored));
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("server.db.before-restore-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "the replaced database is kept");

    // The restored server works: the admin signs in, and one device is enrolled.
    let client = Client::start_existing(&sqlite_url(&database), &[("KEY_DIR", &keys)]);
    let admin = client.token(ADMIN).await;
    let (status, devices) = client
        .call(Method::GET, "/v1/devices", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{devices}");
    assert_eq!(
        devices["devices"].as_array().map(Vec::len),
        Some(1),
        "{devices}"
    );
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let run = |url: &str, args: &[&str]| -> Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_studyhall-server"))
            .args(args)
            .env("STUDYHALL_SERVER_DATABASE_URL", url)
            .env("STUDYHALL_SERVER_KEY_DIR", dir.path().join("keys"))
            .output()
            .unwrap()
    };
    let target = sqlite_url(&dir.path().join("server.db"));

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![0x5a; 8192]).unwrap();
    let output = run(&target, &["restore", "--from", &junk.display().to_string()]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("is not a usable Studyhall server backup"),
        "{}",
        stderr(&output)
    );

    let empty = dir.path().join("empty.db");
    rusqlite::Connection::open(&empty)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let output = run(
        &target,
        &["restore", "--from", &empty.display().to_string()],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("holds no Studyhall server schema"),
        "{}",
        stderr(&output)
    );
    assert!(
        !dir.path().join("server.db").exists(),
        "nothing was written"
    );

    let output = run(
        "postgres://studyhall@localhost/studyhall",
        &["backup", "--to", "x.db"],
    );
    assert!(!output.status.success());
    assert!(stderr(&output).contains("pg_dump"), "{}", stderr(&output));
}
