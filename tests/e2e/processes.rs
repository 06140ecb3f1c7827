//! The processes under one session: a virtual display, a private session bus and
//! `tauri-driver`. Each is killed when dropped.

use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// How long a helper process may take to say it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// An `Xvfb` server on a display number it chose itself (`-displayfd`), so parallel runs
/// and a developer's own displays never collide.
#[derive(Debug)]
pub struct VirtualDisplay {
    child: Child,
    number: u32,
}

impl VirtualDisplay {
    pub fn start() -> VirtualDisplay {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "could not start Xvfb ({error}). The end-to-end tests need a virtual \
                     display: run `cargo xtask setup` (Debian package `xvfb`)."
                )
            });
        // Xvfb writes the display number once it accepts connections.
        let line = first_line(child.stdout.take().unwrap(), READY_TIMEOUT);
        let number = line.as_deref().and_then(|l| l.trim().parse().ok());
        let Some(number) = number else {
            let _ = child.kill();
            panic!("Xvfb did not report a display number within {READY_TIMEOUT:?} (got {line:?})");
        };
        VirtualDisplay { child, number }
    }

    /// The value for `DISPLAY`.
    pub fn name(&self) -> String {
        format!(":{}", self.number)
    }
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private D-Bus session bus. The app's single-instance plugin claims a well-known name
/// on the session bus and hands over to whoever holds it: on the developer's own bus, a
/// test app would find the developer's Studyhall (or another test run) and quit.
#[derive(Debug)]
pub struct SessionBus {
    child: Child,
    address: String,
}

impl SessionBus {
    pub fn start(dir: &Path) -> SessionBus {
        let socket = dir.join("session-bus");
        let mut child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .arg(format!("--address=unix:path={}", socket.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "could not start dbus-daemon ({error}). The end-to-end tests give the app \
                     a private session bus: run `cargo xtask setup` (Debian package `dbus`)."
                )
            });
        let Some(address) = first_line(child.stdout.take().unwrap(), READY_TIMEOUT) else {
            let _ = child.kill();
            panic!("dbus-daemon did not print its address within {READY_TIMEOUT:?}");
        };
        SessionBus {
            child,
            address: address.trim().to_owned(),
        }
    }

    /// The value for `DBUS_SESSION_BUS_ADDRESS`.
    pub fn address(&self) -> &str {
        &self.address
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tauri-driver` with its own process group: it, `WebKitWebDriver`, the app and the
/// app's WebKit processes are all killed together.
#[derive(Debug)]
pub struct TauriDriver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl TauriDriver {
    /// Starts the driver; every process it starts inherits `env`.
    pub fn start(log: &Path, env: &[(&str, &str)]) -> TauriDriver {
        let binary = tauri_driver_binary();
        let port = free_port();
        let native_port = free_port();
        let log_file = std::fs::File::create(log).unwrap();
        let mut command = Command::new(&binary);
        command
            .arg("--port")
            .arg(port.to_string())
            .arg("--native-port")
            .arg(native_port.to_string())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().unwrap_or_else(|error| {
            panic!(
                "could not start {} ({error}). Install it with `cargo xtask setup`, or set \
                 STUDYHALL_TAURI_DRIVER to its path.",
                binary.display()
            )
        });
        let mut driver = TauriDriver {
            child,
            port,
            log: log.to_owned(),
        };
        driver.wait_until_listening();
        driver
    }

    fn wait_until_listening(&mut self) {
        let started = Instant::now();
        while TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "tauri-driver exited ({status}) before listening:\n{}",
                    self.log_text()
                );
            }
            assert!(
                started.elapsed() < READY_TIMEOUT,
                "tauri-driver did not listen on port {} within {READY_TIMEOUT:?}:\n{}",
                self.port,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The process group of the driver and everything it started.
    pub fn process_group(&self) -> u32 {
        self.child.id()
    }

    /// What the driver, `WebKitWebDriver` and the app printed so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        let group = Pid::from_raw(i32::try_from(self.child.id()).unwrap());
        let _ = killpg(group, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && !super::proc_tree::in_group(self.child.id()).is_empty() {
            let _ = self.child.try_wait();
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = killpg(group, Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

/// `$STUDYHALL_TAURI_DRIVER`, else where `cargo xtask setup` installs it, else `PATH`.
fn tauri_driver_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("STUDYHALL_TAURI_DRIVER").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    if let Some(home) = std::env::var_os("HOME") {
        let cached = Path::new(&home).join(".cache/studyhall/tools/bin/tauri-driver");
        if cached.is_file() {
            return cached;
        }
    }
    PathBuf::from("tauri-driver")
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The first line `output` prints, or `None` if it prints none within `timeout`.
fn first_line(output: impl Read + Send + 'static, timeout: Duration) -> Option<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let mut reader = BufReader::new(output);
        let _ = reader.read_line(&mut line);
        let _ = sender.send(line);
        // Keep reading so the child never blocks on a full pipe.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    receiver
        .recv_timeout(timeout)
        .ok()
        .filter(|line| !line.is_empty())
}
