//! The real-window end-to-end harness: the built `studyhall` binary in a real WebKitGTK
//! window on a private virtual display, driven over WebDriver through `tauri-driver`.
//!
//! Each [`App`] owns everything it starts — an `Xvfb` display, a private D-Bus session
//! bus, `tauri-driver` (which starts `WebKitWebDriver`, which starts the app) and, for
//! tests of the window itself, a window manager ([`App::launch_with_window_manager`]) —
//! and kills all of it when dropped, panics included. Nothing is shared with another run
//! or with a Studyhall the developer has open: the display number is picked by Xvfb
//! itself, the ports are free ones, and the single-instance plugin only sees the private
//! bus.
//!
//! Missing tools are failures with a message saying how to install them, never skips.

mod app;
mod axe;
mod desktop;
pub mod proc_tree;
mod processes;
pub mod sitting;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use app::{App, WAIT};
pub use axe::Violation;
pub use desktop::{Desktop, Geometry, ManagedWindow, OtherWindow};
pub use processes::{SessionBus, TauriDriver, VirtualDisplay};

/// The app binary to test: `$STUDYHALL_E2E_APP` (set by `cargo xtask test`), else the
/// `studyhall` binary built beside this test binary.
pub fn app_binary() -> PathBuf {
    let binary = match std::env::var_os("STUDYHALL_E2E_APP").filter(|path| !path.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => {
            // Test binaries live in `<target>/<profile>/deps/`; the app in `<target>/<profile>/`.
            let exe = std::env::current_exe().unwrap();
            let profile_dir = exe.parent().and_then(Path::parent).unwrap();
            profile_dir.join("studyhall")
        }
    };
    assert!(
        binary.is_file(),
        "the Studyhall app binary {} does not exist.\n\
         Build it first (the app embeds ui/dist, so build the UI before it):\n  \
         (cd ui && npm run build) && cargo build -p studyhall-app\n\
         or run the whole suite with `cargo xtask test`, which does both and sets \
         STUDYHALL_E2E_APP.",
        binary.display()
    );
    binary
}

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Where screenshots go: `$STUDYHALL_E2E_ARTIFACTS`, else `<repo>/artifacts/e2e/`
/// (ignored by git).
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("STUDYHALL_E2E_ARTIFACTS")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| repo_root().join("artifacts/e2e"), PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One session at a time per process: two WebKit windows on two cores only make each
/// other slow and flaky.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs one end-to-end flow on its own runtime, after any other flow of this process
/// has finished.
pub fn run_serially<F: Future<Output = ()>>(flow: F) {
    // A flow that panicked poisons the lock; the next one may still run.
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            if tokio::time::timeout(FLOW_TIMEOUT, flow).await.is_err() {
                panic!("the flow did not finish within {FLOW_TIMEOUT:?}");
            }
        });
}

/// A flow that takes longer is stuck (every wait inside it is bounded by [`WAIT`]).
const FLOW_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(180);

/// A learner's profile in a temp folder that trusts a fresh publisher, with the sample
/// course built as a pack by that publisher.
#[derive(Debug)]
pub struct Profile {
    pub publisher: crate::Publisher,
    dir: tempfile::TempDir,
    /// The sample course, signed by `publisher`.
    pub sample_pack: PathBuf,
}

impl Profile {
    /// An empty profile that trusts the publisher.
    pub fn empty() -> Profile {
        let publisher = crate::Publisher::new();
        let dir = tempfile::tempdir().unwrap();
        let sample_pack = dir.path().join("dwcp-fundamentals.shpack");
        publisher.build(&crate::sample_course(), &sample_pack);
        let profile = Profile {
            publisher,
            dir,
            sample_pack,
        };
        profile
            .open()
            .trust_publisher(&profile.publisher.key.public_key())
            .unwrap();
        profile
    }

    /// A profile with the sample course installed.
    pub fn with_sample_course() -> Profile {
        let profile = Profile::empty();
        profile
            .open()
            .import_pack(&profile.sample_pack, &studyhall_core::pack::Quiet)
            .unwrap();
        profile
    }

    /// Installs the exam whose author folder is `source`: built by the profile's
    /// publisher, sealed for a fresh server key the profile trusts. Returns the start
    /// code a proctor would give out.
    pub fn install_exam(&self, source: &Path) -> String {
        let dir = tempfile::tempdir().unwrap();
        let server = studyhall_signing::SealingKey::generate().unwrap();
        let pack = dir.path().join("exam.shexam");
        let build = studyhall_core::exam::pack::build_exam(
            source,
            &self.publisher.key,
            &server.public_key(),
            &pack,
        )
        .unwrap();
        let mut studyhall = self.open();
        studyhall.trust_server(&server.public_key()).unwrap();
        studyhall
            .import_pack(&pack, &studyhall_core::pack::Quiet)
            .unwrap();
        build.start_code.to_grouped().to_string()
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("profile")
    }

    /// The profile through the core façade, as the app would see it (do not keep it open
    /// while the app runs).
    pub fn open(&self) -> studyhall_core::Studyhall {
        studyhall_core::Studyhall::open(&self.path()).unwrap()
    }
}
