//! The real `studyhall-server` binary on a free loopback port, stopped when dropped.

use std::io::BufRead as _;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_studyhall-server");

pub struct ServerProcess {
    child: Child,
    base: String,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `studyhall-server serve` on `database_url` with extra `STUDYHALL_SERVER_*`
    /// settings, and waits until it listens.
    pub fn start(database_url: &str, settings: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut env = vec![
            (
                "STUDYHALL_SERVER_LISTEN".to_owned(),
                "127.0.0.1:0".to_owned(),
            ),
            (
                "STUDYHALL_SERVER_DATABASE_URL".to_owned(),
                database_url.to_owned(),
            ),
            (
                "STUDYHALL_SERVER_KEY_DIR".to_owned(),
                dir.path().join("keys").display().to_string(),
            ),
            ("RUST_LOG".to_owned(), "warn".to_owned()),
        ];
        env.extend(
            settings
                .iter()
                .map(|(k, v)| (format!("STUDYHALL_SERVER_{k}"), (*v).to_owned())),
        );
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let mut child = Command::new(BINARY)
            .arg("serve")
            .envs(env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_default();
        let Some(base) = line.trim().strip_prefix("studyhall-server listening on ") else {
            let _ = child.kill();
            let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
            panic!("the server did not start; it printed {line:?}; its log:\n{log}");
        };
        Self {
            base: base.to_owned(),
            child,
            env,
            dir,
        }
    }

    /// The process id (the benchmark pins the server to two cores).
    #[allow(dead_code)]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Runs `studyhall-server admin create` against the same database.
    pub fn admin_create(&self, username: &str, password: &str, roles: &[&str]) -> Output {
        let mut command = Command::new(BINARY);
        command
            .args(["admin", "create", "--username", username])
            .envs(self.env.iter().cloned())
            .env("STUDYHALL_ADMIN_PASSWORD", password)
            .stdin(Stdio::null());
        for role in roles {
            command.args(["--role", role]);
        }
        command.output().unwrap()
    }

    /// Runs another `studyhall-server` subcommand with the same configuration.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(BINARY)
            .args(args)
            .envs(self.env.iter().cloned())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Sends SIGTERM and waits (up to `within`) for the server to exit by itself.
    pub fn stop_gracefully(mut self, within: Duration) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not stop within {within:?} of SIGTERM; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server with SIGKILL, as a crash would, and returns its log.
    pub fn kill(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.log()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
