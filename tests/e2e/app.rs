//! [`App`]: one running Studyhall under WebDriver, with the helpers the flows need —
//! waiting for what a person would see, screenshots, accessibility checks, restarts.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use super::desktop::{Desktop, WindowManager};
use super::processes::{SessionBus, TauriDriver, VirtualDisplay};
use super::{artifacts_dir, axe, proc_tree};

/// How long a flow waits for something to appear: a debug build on a busy two-core
/// machine is slow, and a wait ends as soon as the thing is there.
pub const WAIT: Duration = Duration::from_secs(30);

/// How long one attempt to open a session (start the app) may take, and how many.
const SESSION_TIMEOUT: Duration = Duration::from_secs(60);
const SESSION_ATTEMPTS: u32 = 3;

/// A running Studyhall window with a WebDriver session on it. Dropping it kills the app,
/// the driver, the bus and the display.
#[derive(Debug)]
pub struct App {
    client: Option<Client>,
    binary: PathBuf,
    // Fields drop in order: the app and driver first, then what they ran on.
    driver: TauriDriver,
    _window_manager: Option<WindowManager>,
    _bus: SessionBus,
    display: VirtualDisplay,
    /// Folders the app may write besides its profile (WebKit caches, Tauri's data dir).
    _home: tempfile::TempDir,
    name: String,
}

impl App {
    /// Opens the debug app (see [`super::app_binary`]) on `profile`; `name` prefixes its
    /// screenshots.
    pub async fn launch(name: &str, profile: &Path) -> App {
        Self::launch_binary(name, &super::app_binary(), profile, &[]).await
    }

    /// Opens the debug app on `profile` on a display with a window manager, for tests
    /// of what the window manager sees and does (see [`App::desktop`]).
    pub async fn launch_with_window_manager(name: &str, profile: &Path) -> App {
        Self::start(name, &super::app_binary(), profile, &[], true).await
    }

    /// Opens `binary` on `profile` with `env` added to its environment.
    pub async fn launch_binary(
        name: &str,
        binary: &Path,
        profile: &Path,
        env: &[(&str, &str)],
    ) -> App {
        Self::start(name, binary, profile, env, false).await
    }

    async fn start(
        name: &str,
        binary: &Path,
        profile: &Path,
        env: &[(&str, &str)],
        with_window_manager: bool,
    ) -> App {
        let home = tempfile::tempdir().unwrap();
        let display = VirtualDisplay::start();
        let bus = SessionBus::start(home.path());
        let dirs = ["data", "cache", "config", "runtime"].map(|dir| {
            let path = home.path().join(dir);
            std::fs::create_dir_all(&path).unwrap();
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o700))
                .unwrap();
            path.display().to_string()
        });
        let display_name = display.name();
        let profile = profile.display().to_string();
        let xdg_dirs = [
            ("XDG_DATA_HOME", dirs[0].as_str()),
            ("XDG_CACHE_HOME", &dirs[1]),
            ("XDG_CONFIG_HOME", &dirs[2]),
            ("XDG_RUNTIME_DIR", &dirs[3]),
        ];
        let window_manager = with_window_manager.then(|| {
            WindowManager::start(
                &Desktop::new(&display_name),
                &xdg_dirs,
                &home.path().join("openbox.log"),
            )
        });
        let mut vars: Vec<(&str, &str)> = vec![
            ("DISPLAY", &display_name),
            ("DBUS_SESSION_BUS_ADDRESS", bus.address()),
            ("STUDYHALL_PROFILE", &profile),
            // No accessibility bus on the private session bus: GTK would wait for one.
            ("NO_AT_BRIDGE", "1"),
            ("LANGUAGE", "en"),
            ("GDK_BACKEND", "x11"),
        ];
        vars.extend_from_slice(&xdg_dirs);
        vars.extend_from_slice(env);
        let driver = TauriDriver::start(&home.path().join("driver.log"), &vars);
        let mut app = App {
            client: None,
            binary: binary.to_owned(),
            driver,
            _window_manager: window_manager,
            _bus: bus,
            display,
            _home: home,
            name: name.to_owned(),
        };
        app.open_session().await;
        app
    }

    async fn open_session(&mut self) {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "tauri:options".into(),
            json!({ "application": self.binary }),
        );
        // tauri-driver accepts connections before WebKitWebDriver behind it does, and a
        // start can stall on a loaded machine: try again, from a clean slate, a few times.
        let mut attempt = 0;
        let client = loop {
            attempt += 1;
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(capabilities.clone());
            let url = self.driver.url();
            let connecting = builder.connect(&url);
            let error = match tokio::time::timeout(SESSION_TIMEOUT, connecting).await {
                Ok(Ok(client)) => break client,
                Ok(Err(error)) => error.to_string(),
                Err(_) => format!("no answer within {SESSION_TIMEOUT:?}"),
            };
            if attempt == SESSION_ATTEMPTS {
                panic!(
                    "could not open a WebDriver session on {} ({attempt} attempts): {error}\n\
                     --- driver and app log ---\n{}",
                    self.binary.display(),
                    self.driver.log_text()
                );
            }
            eprintln!("e2e: opening a session failed ({error}); trying again");
            self.kill_app().await;
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        client
            .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                Some(Duration::from_secs(120)),
                Some(Duration::from_secs(60)),
                Some(Duration::ZERO),
            ))
            .await
            .unwrap();
        self.client = Some(client);
    }

    /// Kills an app left over from a failed session start, so the next start is not
    /// handed over to it by the single-instance plugin.
    async fn kill_app(&self) {
        while let Some(pid) = self.app_pid() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap()),
                nix::sys::signal::Signal::SIGKILL,
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Closes the window like a person quitting, waits for the app to exit, and opens it
    /// again on the same profile.
    pub async fn restart(&mut self) {
        if let Some(client) = self.client.take() {
            match tokio::time::timeout(WAIT, client.close()).await {
                Ok(closed) => closed.unwrap(),
                Err(_) => {
                    eprintln!("e2e: the session did not close within {WAIT:?}; killing the app");
                    self.kill_app().await;
                }
            }
        }
        let started = Instant::now();
        while self.app_pid().is_some() {
            assert!(
                started.elapsed() < WAIT,
                "the app did not exit within {WAIT:?} after its session closed"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.open_session().await;
    }

    /// Kills the app outright, like a crash or a power cut (SIGKILL: nothing is flushed or
    /// closed), and opens it again on the same profile and display.
    pub async fn kill_and_relaunch(&mut self) {
        assert!(self.app_pid().is_some(), "the app is not running");
        self.kill_app().await;
        if let Some(client) = self.client.take() {
            // The session's browser is gone; the driver only has to forget the session.
            let _ = tokio::time::timeout(WAIT, client.close()).await;
        }
        self.open_session().await;
    }

    /// The app's display, to ask the X server and the window manager about its window.
    pub fn desktop(&self) -> Desktop {
        Desktop::new(&self.display.name())
    }

    pub fn client(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    /// The app's process id (the `studyhall` process under this driver), while it runs.
    pub fn app_pid(&self) -> Option<u32> {
        let binary_name = self.binary.file_name()?.to_str()?;
        proc_tree::in_group(self.driver.process_group())
            .into_iter()
            .find(|p| binary_name.starts_with(&p.name))
            .map(|p| p.pid)
    }

    /// What the driver and the app printed.
    pub fn log(&self) -> String {
        self.driver.log_text()
    }

    /// The first element matching `locator` once there is one; fails after [`WAIT`]
    /// naming `what` a person would have been looking for.
    pub async fn wait_for(&self, locator: Locator<'_>, what: &str) -> Element {
        let started = Instant::now();
        loop {
            if let Ok(element) = self.client().find(locator).await {
                return element;
            }
            if started.elapsed() > WAIT {
                self.fail(&format!(
                    "{what} did not appear within {WAIT:?} ({locator:?})"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the element, then clicks it.
    pub async fn click(&self, locator: Locator<'_>, what: &str) {
        let element = self.wait_for(locator, what).await;
        // Centred, so no sticky header or panel covers it when WebDriver clicks.
        let script = "arguments[0].scrollIntoView({ block: 'center', inline: 'nearest', behavior: 'instant' });";
        let argument = serde_json::to_value(&element).unwrap();
        let _ = self.client().execute(script, vec![argument]).await;
        if let Err(error) = element.click().await {
            self.fail(&format!("could not click {what}: {error:?}"))
                .await;
        }
    }

    /// Waits until the page's visible text contains `text`.
    pub async fn wait_for_text(&self, text: &str) {
        let started = Instant::now();
        while !self.page_text().await.contains(text) {
            if started.elapsed() > WAIT {
                let shown = self.page_text().await;
                self.fail(&format!(
                    "the text {text:?} did not appear within {WAIT:?}; the page shows:\n{shown}"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the JavaScript expression `condition` is truthy in the page.
    pub async fn wait_until(&self, condition: &str, what: &str) {
        let started = Instant::now();
        loop {
            let script = format!("return Boolean({condition});");
            if self.client().execute(&script, vec![]).await.ok() == Some(Value::Bool(true)) {
                return;
            }
            if started.elapsed() > WAIT {
                self.fail(&format!("{what}: not true within {WAIT:?}: {condition}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `condition` holds, looking again every 100 ms; fails after [`WAIT`]
    /// saying `what` was expected. For what the page cannot tell: the display, the
    /// window manager, the profile on disk.
    pub async fn wait_until_holds(&self, what: &str, mut condition: impl FnMut() -> bool) {
        let started = Instant::now();
        while !condition() {
            if started.elapsed() > WAIT {
                self.fail(&format!("not true within {WAIT:?}: {what}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its result.
    pub async fn eval(&self, script: &str, args: Vec<Value>) -> Value {
        match self.client().execute(script, args).await {
            Ok(value) => value,
            Err(error) => {
                self.fail(&format!("script failed: {error}\n{script}"))
                    .await
            }
        }
    }

    /// Calls the Tauri command `command` with `args` (camelCase names) as the UI would,
    /// and returns what it answers; fails the test if the command fails.
    pub async fn invoke(&self, command: &str, args: Value) -> Value {
        let script = "const [command, args, done] = arguments;
             window.__TAURI_INTERNALS__.invoke(command, args).then(
                 (value) => done({ ok: value ?? null }),
                 (error) => done({ error: error ?? null }));";
        let answer = self.eval_async(script, vec![json!(command), args]).await;
        match answer.get("ok") {
            Some(value) => value.clone(),
            None => {
                self.fail(&format!("the command {command} failed: {answer}"))
                    .await
            }
        }
    }

    /// Runs `script` asynchronously (it calls `arguments[arguments.length - 1]` with its
    /// result) and returns the result.
    pub async fn eval_async(&self, script: &str, args: Vec<Value>) -> Value {
        match self.client().execute_async(script, args).await {
            Ok(value) => value,
            Err(error) => {
                self.fail(&format!("script failed: {error}\n{script}"))
                    .await
            }
        }
    }

    /// The visible text of the whole page.
    pub async fn page_text(&self) -> String {
        self.eval("return document.body.innerText;", vec![])
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Navigates within the app to a hash route such as `/course/x`.
    pub async fn go(&self, route: &str) {
        self.eval("location.hash = arguments[0];", vec![json!(route)])
            .await;
    }

    /// Saves a PNG of the window as `<artifacts>/<app name>-<screen>.png`.
    pub async fn screenshot(&self, screen: &str) -> PathBuf {
        // WebKitWebDriver captures the last painted frame: let the page paint what the
        // flow just waited for first.
        self.wait_for_paint().await;
        let png = self.client().screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        let path = artifacts_dir().join(format!("{}-{screen}.png", self.name));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Saves a PNG of the whole display, as a person would see it (window manager and
    /// other windows included), as `<artifacts>/<app name>-<screen>.png`.
    pub async fn screenshot_display(&self, screen: &str) -> PathBuf {
        self.wait_for_paint().await;
        let path = artifacts_dir().join(format!("{}-{screen}.png", self.name));
        assert!(
            self.desktop().screenshot(&path),
            "could not take a screenshot of display {} with `import`",
            self.display.name()
        );
        path
    }

    async fn wait_for_paint(&self) {
        let painted = self
            .client()
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 document.fonts.ready.then(() => requestAnimationFrame(() =>
                     requestAnimationFrame(() => setTimeout(() => done(true), 100))));",
                vec![],
            )
            .await;
        assert!(painted.is_ok(), "the page did not paint: {painted:?}");
    }

    /// Runs axe-core on the current screen and fails listing every serious or critical
    /// violation; lesser ones are printed.
    pub async fn check_accessibility(&self, screen: &str) {
        let violations = axe::run(self.client()).await;
        let (blocking, minor): (Vec<_>, Vec<_>) = violations
            .into_iter()
            .partition(|v| matches!(v.impact.as_deref(), Some("serious" | "critical")));
        for violation in &minor {
            eprintln!("axe ({screen}, not blocking): {violation}");
        }
        if !blocking.is_empty() {
            let list: Vec<String> = blocking.iter().map(ToString::to_string).collect();
            self.fail(&format!(
                "axe-core found {} serious or critical accessibility violation(s) on the {screen} screen:\n{}",
                blocking.len(),
                list.join("\n")
            ))
            .await;
        }
    }

    /// Fails the test with `message`, after saving a screenshot of the display (the
    /// whole virtual screen, in case the page is not reachable) and printing the log.
    pub async fn fail(&self, message: &str) -> ! {
        let shot = artifacts_dir().join(format!("{}-FAILED.png", self.name));
        let page = match &self.client {
            Some(client) => tokio::time::timeout(Duration::from_secs(10), client.screenshot())
                .await
                .ok()
                .and_then(Result::ok),
            None => None,
        };
        let saved = if let Some(png) = page {
            std::fs::write(&shot, png).is_ok()
        } else {
            self.desktop().screenshot(&shot)
        };
        let url = match &self.client {
            Some(client) => client
                .current_url()
                .await
                .map_or_else(|e| format!("unknown ({e})"), |url| url.to_string()),
            None => "no session".to_owned(),
        };
        panic!(
            "{message}\n  page: {url}\n  screenshot: {}\n--- driver and app log ---\n{}",
            if saved {
                shot.display().to_string()
            } else {
                "could not be taken".to_owned()
            },
            self.log()
        );
    }
}
