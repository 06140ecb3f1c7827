//! A desktop on the virtual display: a window manager (`openbox`) and the X tools that
//! ask it and the X server about windows (`wmctrl`, `xprop`, `xwininfo`, `xmessage`,
//! `import`). Only what a test of the exam lockdown needs: with no window manager there is
//! nobody to make a window fullscreen, send it a close request or move the focus.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the window manager may take to take over the display.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How many times the window manager is started before the test fails.
const START_ATTEMPTS: usize = 3;

/// What to say when an X tool is missing.
const INSTALL_HINT: &str = "run `cargo xtask setup` (Debian packages `openbox`, `wmctrl`, \
                            `x11-utils`, `imagemagick`)";

/// `openbox` managing one display. Killed when dropped.
#[derive(Debug)]
pub struct WindowManager {
    child: Child,
}

impl WindowManager {
    /// Starts the window manager on `desktop` and waits until it manages the display;
    /// `env` is added to its environment (private XDG folders), its output goes to `log`.
    pub fn start(desktop: &Desktop, env: &[(&str, &str)], log: &Path) -> WindowManager {
        // Now and then openbox fails to open a display that other clients reach at the
        // same moment ("Failed to open the display"), seen about once in 50 starts while
        // other test runs started and stopped displays: a new start has always worked.
        let mut failures = Vec::new();
        while failures.len() < START_ATTEMPTS {
            match Self::try_start(desktop, env, log) {
                Ok(manager) => return manager,
                Err(failure) => failures.push(failure),
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "openbox could not manage display {} ({START_ATTEMPTS} attempts):\n{}",
            desktop.display,
            failures
                .iter()
                .map(|failure| format!("{failure:#}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    /// One start; the reason and openbox's output if it exits before managing the display.
    fn try_start(
        desktop: &Desktop,
        env: &[(&str, &str)],
        log: &Path,
    ) -> anyhow::Result<WindowManager> {
        let log_file = std::fs::File::create(log).unwrap();
        let child = Command::new("openbox")
            .arg("--sm-disable")
            .env("DISPLAY", &desktop.display)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "could not start the window manager openbox ({error}). The exam lockdown \
                     test needs one on its virtual display: {INSTALL_HINT}."
                )
            });
        let mut manager = WindowManager { child };
        let started = Instant::now();
        // A window manager announces itself on the root window (EWMH).
        while !desktop
            .root_property("_NET_SUPPORTING_WM_CHECK")
            .contains("window id")
        {
            if let Ok(Some(status)) = manager.child.try_wait() {
                let output = std::fs::read_to_string(log).unwrap_or_default();
                anyhow::bail!("openbox exited ({status}): {}", output.trim());
            }
            assert!(
                started.elapsed() < READY_TIMEOUT,
                "openbox did not manage display {} within {READY_TIMEOUT:?}:\n{}",
                desktop.display,
                std::fs::read_to_string(log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(manager)
    }
}

impl Drop for WindowManager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A top-level window as the window manager lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedWindow {
    /// The X window id, as `0x…`.
    pub id: String,
    /// The process that owns it (`_NET_WM_PID`), 0 if it did not say.
    pub pid: u32,
    pub title: String,
}

/// Where a window is and how large it is, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// The X tools pointed at one display.
#[derive(Debug, Clone)]
pub struct Desktop {
    display: String,
}

impl Desktop {
    /// The display named `display` (a value for `DISPLAY`).
    pub fn new(display: &str) -> Desktop {
        Desktop {
            display: display.to_owned(),
        }
    }

    /// The windows the window manager manages (`wmctrl -l -p`).
    pub fn windows(&self) -> Vec<ManagedWindow> {
        self.run("wmctrl", &["-l", "-p"])
            .lines()
            .filter_map(|line| {
                // `0x00c00003  0 4242   host Title with spaces`
                let mut fields = line.split_whitespace();
                let id = fields.next()?.to_owned();
                let _desktop = fields.next()?;
                let pid = fields.next()?.parse().unwrap_or(0);
                let _host = fields.next()?;
                let title = fields.collect::<Vec<_>>().join(" ");
                Some(ManagedWindow { id, pid, title })
            })
            .collect()
    }

    /// The window's `_NET_WM_STATE` atoms, such as `_NET_WM_STATE_FULLSCREEN`.
    pub fn wm_state(&self, window: &str) -> Vec<String> {
        self.window_property(window, "_NET_WM_STATE")
    }

    /// The width of the window manager's frame around the window: left, right, top,
    /// bottom (`_NET_FRAME_EXTENTS`); all 0 for a window without decorations.
    pub fn frame_extents(&self, window: &str) -> Vec<u32> {
        self.window_property(window, "_NET_FRAME_EXTENTS")
            .iter()
            .filter_map(|size| size.parse().ok())
            .collect()
    }

    /// The values of a window's property; none if it is not set.
    fn window_property(&self, window: &str, property: &str) -> Vec<String> {
        let output = self.run("xprop", &["-id", window, property]);
        // `_NET_WM_STATE(ATOM) = _NET_WM_STATE_ABOVE, _NET_WM_STATE_FULLSCREEN`
        output
            .split_once('=')
            .map(|(_, values)| {
                values
                    .split(',')
                    .map(|value| value.trim().to_owned())
                    .filter(|value| !value.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The window currently focused, as the window manager says (`_NET_ACTIVE_WINDOW`).
    pub fn active_window(&self) -> Option<String> {
        let output = self.root_property("_NET_ACTIVE_WINDOW");
        // `_NET_ACTIVE_WINDOW(WINDOW): window id # 0xc00003`
        let id = output.rsplit_once("# ")?.1.trim();
        let number = u64::from_str_radix(id.trim_start_matches("0x"), 16).ok()?;
        (number != 0).then(|| format!("{number:#010x}"))
    }

    /// Where the window is on the screen (`xwininfo`).
    pub fn geometry(&self, window: &str) -> Geometry {
        parse_geometry(&self.run("xwininfo", &["-id", window]))
    }

    /// The size of the whole screen.
    pub fn screen(&self) -> Geometry {
        parse_geometry(&self.run("xwininfo", &["-root"]))
    }

    /// Asks the window manager to close the window, as its close button would
    /// (`_NET_CLOSE_WINDOW`, which it passes to the app as `WM_DELETE_WINDOW`).
    pub fn request_close(&self, window: &str) {
        self.run("wmctrl", &["-i", "-c", window]);
    }

    /// Asks the window manager to give the window the focus (`_NET_ACTIVE_WINDOW`).
    pub fn activate(&self, window: &str) {
        self.run("wmctrl", &["-i", "-a", window]);
    }

    /// Opens a small window of another program, titled `title`; it closes when dropped.
    pub fn open_other_window(&self, title: &str) -> OtherWindow {
        let child = Command::new("xmessage")
            .args(["-title", title, "-center", "Another program's window"])
            .env("DISPLAY", &self.display)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("could not start xmessage ({error}): {INSTALL_HINT}"));
        OtherWindow { child }
    }

    /// Saves a PNG of the whole screen; whether it worked.
    pub fn screenshot(&self, path: &Path) -> bool {
        Command::new("import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(path)
            .status()
            .is_ok_and(|status| status.success())
    }

    fn root_property(&self, property: &str) -> String {
        self.run("xprop", &["-root", property])
    }

    /// Runs an X tool on this display; fails the test if it cannot.
    fn run(&self, program: &str, args: &[&str]) -> String {
        let output = Command::new(program)
            .args(args)
            .env("DISPLAY", &self.display)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|error| panic!("could not run {program} ({error}): {INSTALL_HINT}"));
        assert!(
            output.status.success(),
            "`{program} {}` failed on display {} ({}): {}",
            args.join(" "),
            self.display,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// Another program's window; closed when dropped.
#[derive(Debug)]
pub struct OtherWindow {
    child: Child,
}

impl Drop for OtherWindow {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The geometry in `xwininfo`'s report.
fn parse_geometry(report: &str) -> Geometry {
    let field = |name: &str| -> i64 {
        report
            .lines()
            .find_map(|line| line.trim().strip_prefix(name))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name:?} in xwininfo's report:\n{report}"))
    };
    Geometry {
        x: i32::try_from(field("Absolute upper-left X:")).unwrap(),
        y: i32::try_from(field("Absolute upper-left Y:")).unwrap(),
        width: u32::try_from(field("Width:")).unwrap(),
        height: u32::try_from(field("Height:")).unwrap(),
    }
}
