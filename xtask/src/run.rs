//! `cargo xtask run`: builds everything, installs the sample programme into the profile
//! and opens the app in the foreground.
//!
//! The sample programme is the DWCP Fundamentals course and two exams, signed with a
//! local sample publisher key and sealed to a local sample server key (both made once,
//! outside the checkout). Exam packs are kept with their start codes and proctor PINs in
//! the same place and rebuilt only when their example folder or a key changes, because a
//! profile refuses a changed pack under a version it already has; the codes are printed
//! on every run so that whoever runs the app can sit the exams.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use anyhow::{Context, Result, bail};

use crate::process;
use crate::room;
use crate::setup;
use crate::workspace::{self, Workspace};

/// The sample course, as source files in the repository.
const SAMPLE_COURSE: &str = "examples/dwcp-fundamentals";
/// The sample exams, as source folders in the repository.
const SAMPLE_EXAMS: [&str; 2] = [
    "examples/dwcp-practice-exam",
    "examples/novacron-developer-exam",
];
const SAMPLE_PUBLISHER: &str = "sample-publisher";
const SAMPLE_SERVER: &str = "sample-server";
/// The lines `studyhall-cli pack build` prints an exam's codes on.
const START_CODE_LABEL: &str = "Start code:";
const PROCTOR_PIN_LABEL: &str = "Proctor PIN:";

pub fn run(workspace: &Workspace) -> Result<()> {
    ensure_display()?;
    room::ensure_room_for_build(workspace.target_dir())?;
    setup::setup(workspace)?;
    build(workspace)?;
    let profile = profile_dir()?;
    install_sample_programme(workspace, &profile)?;
    open_app(workspace, &profile)
}

/// Fail before a long build rather than after it.
fn ensure_display() -> Result<()> {
    let has = |name| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    if has("DISPLAY") || has("WAYLAND_DISPLAY") {
        return Ok(());
    }
    bail!(
        "there is no display to open the app on (neither DISPLAY nor WAYLAND_DISPLAY is set).\n\
         Run it inside a desktop session, or on a virtual display: `xvfb-run -a cargo xtask run`"
    )
}

fn build(workspace: &Workspace) -> Result<()> {
    process::run(workspace.npm().args(["run", "--silent", "build"]))?;
    process::run(workspace.cargo().args([
        "build",
        "--package",
        "studyhall-cli",
        "--package",
        "studyhall-app",
    ]))
}

/// `$STUDYHALL_PROFILE`, else `~/.local/share/studyhall/profile`.
fn profile_dir() -> Result<PathBuf> {
    match std::env::var_os("STUDYHALL_PROFILE").filter(|dir| !dir.is_empty()) {
        Some(dir) => Ok(std::path::absolute(PathBuf::from(dir))?),
        None => Ok(workspace::data_home()?.join("studyhall/profile")),
    }
}

/// A key pair of the sample programme: `NAME.key` and `NAME.pub.jwk` in
/// `studyhall/NAME/` of the data folder.
struct SampleKey {
    private: PathBuf,
    public: PathBuf,
}

/// Makes the key pair `name` of `kind` (`signing` or `sealing`) unless it exists.
fn sample_key(cli: &Path, name: &str, kind: &str) -> Result<SampleKey> {
    let folder = workspace::data_home()?.join("studyhall").join(name);
    let key = SampleKey {
        private: folder.join(format!("{name}.key")),
        public: folder.join(format!("{name}.pub.jwk")),
    };
    if !key.private.exists() || !key.public.exists() {
        process::run(
            Command::new(cli)
                .args(["keys", "new", "--name", name, "--kind", kind, "--out"])
                .arg(&folder),
        )?;
    }
    Ok(key)
}

/// Signs the sample course and exams and imports them, trusting the sample publisher
/// and server; prints the exams' codes.
fn install_sample_programme(workspace: &Workspace, profile: &Path) -> Result<()> {
    let cli = workspace.debug_binary("studyhall-cli");
    let publisher = sample_key(&cli, SAMPLE_PUBLISHER, "signing")?;
    let server = sample_key(&cli, SAMPLE_SERVER, "sealing")?;

    let packs = workspace.target_dir().join("sample");
    std::fs::create_dir_all(&packs)
        .with_context(|| format!("could not create {}", packs.display()))?;
    let pack = packs.join("dwcp-fundamentals.shpack");
    process::run(
        Command::new(&cli)
            .current_dir(workspace.root())
            .args(["pack", "build", SAMPLE_COURSE, "--key"])
            .arg(&publisher.private)
            .arg("--out")
            .arg(&pack),
    )?;
    process::run(&mut import(&cli, &pack, profile, &publisher, &server))?;

    let mut exams = Vec::new();
    for source in SAMPLE_EXAMS {
        let exam = sample_exam(workspace, &cli, source, &publisher, &server)?;
        process::run(&mut import(&cli, &exam.pack, profile, &publisher, &server)).with_context(|| {
            if exam.rebuilt {
                format!(
                    "{source} was rebuilt; if it changed, give it a new version in its exam.toml \
                     (an installed exam is never replaced in place) or use another STUDYHALL_PROFILE"
                )
            } else {
                format!("could not install {source}")
            }
        })?;
        exams.push(exam);
    }
    print_exam_codes(&cli, &exams, &publisher);
    Ok(())
}

fn import(
    cli: &Path,
    pack: &Path,
    profile: &Path,
    publisher: &SampleKey,
    server: &SampleKey,
) -> Command {
    let mut command = Command::new(cli);
    command
        .args(["pack", "import"])
        .arg(pack)
        .arg("--profile")
        .arg(profile)
        .arg("--trust")
        .arg(&publisher.public)
        .arg("--trust-server")
        .arg(&server.public);
    command
}

/// A sample exam pack and the codes it was built with.
struct SampleExam {
    name: String,
    pack: PathBuf,
    start_code: String,
    proctor_pin: String,
    rebuilt: bool,
}

/// The pack of the example exam in `source`, built again only if the folder or a key
/// changed since; its codes come from the file kept beside it.
fn sample_exam(
    workspace: &Workspace,
    cli: &Path,
    source: &str,
    publisher: &SampleKey,
    server: &SampleKey,
) -> Result<SampleExam> {
    let name = source.rsplit('/').next().unwrap_or(source).to_owned();
    let folder = workspace::data_home()?.join("studyhall/sample-exams");
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("could not create {}", folder.display()))?;
    let pack = folder.join(format!("{name}.shexam"));
    let codes_file = folder.join(format!("{name}.codes"));
    let inputs = [
        workspace.root().join(source),
        publisher.public.clone(),
        server.public.clone(),
    ];
    let up_to_date = codes_file.exists() && modified(&pack)? > newest_change(&inputs)?;
    if !up_to_date {
        let mut codes = String::new();
        process::run_reading_stdout(
            Command::new(cli)
                .current_dir(workspace.root())
                .args(["pack", "build", source, "--key"])
                .arg(&publisher.private)
                .arg("--server-key")
                .arg(&server.public)
                .arg("--out")
                .arg(&pack),
            |line| {
                if line.starts_with(START_CODE_LABEL) || line.starts_with(PROCTOR_PIN_LABEL) {
                    codes.push_str(line);
                    codes.push('\n');
                }
            },
        )?;
        write_private(&codes_file, &codes)?;
    }
    let codes = std::fs::read_to_string(&codes_file)
        .with_context(|| format!("could not read {}", codes_file.display()))?;
    let value = |label: &str| -> Result<String> {
        codes
            .lines()
            .find_map(|line| line.strip_prefix(label))
            .map(|value| value.trim().to_owned())
            .with_context(|| {
                format!(
                    "{} has no '{label}' line; delete it to build the exam again",
                    codes_file.display()
                )
            })
    };
    Ok(SampleExam {
        start_code: value(START_CODE_LABEL)?,
        proctor_pin: value(PROCTOR_PIN_LABEL)?,
        name,
        pack,
        rebuilt: !up_to_date,
    })
}

fn print_exam_codes(cli: &Path, exams: &[SampleExam], publisher: &SampleKey) {
    eprintln!();
    eprintln!(
        "xtask: the sample exams' codes, for whoever plays the proctor (they stay the same until an exam is rebuilt):"
    );
    for exam in exams {
        eprintln!(
            "  {:<26} start code {}   proctor PIN {}",
            exam.name, exam.start_code, exam.proctor_pin
        );
    }
    if let Some(exam) = exams.last() {
        eprintln!("xtask: a resume code, when the app asks for one after a long interruption:");
        eprintln!(
            "  {} proctor resume-code --exam {} --trust {} --start-code {} --session SESSION --resume N",
            cli.display(),
            exam.pack.display(),
            publisher.public.display(),
            exam.start_code
        );
    }
    eprintln!();
}

/// When `path` last changed; the distant past if it does not exist.
fn modified(path: &Path) -> Result<SystemTime> {
    match std::fs::metadata(path) {
        Ok(metadata) => metadata
            .modified()
            .with_context(|| format!("could not read when {} changed", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(SystemTime::UNIX_EPOCH),
        Err(error) => Err(error).with_context(|| format!("could not read {}", path.display())),
    }
}

/// The latest change to any of `paths` or to anything in the folders among them.
fn newest_change(paths: &[PathBuf]) -> Result<SystemTime> {
    let mut newest = SystemTime::UNIX_EPOCH;
    for path in paths {
        newest = newest.max(modified(path)?);
        if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .with_context(|| format!("could not list {}", path.display()))?;
            let children = entries
                .map(|entry| entry.map(|e| e.path()))
                .collect::<std::io::Result<Vec<_>>>()
                .with_context(|| format!("could not list {}", path.display()))?;
            newest = newest.max(newest_change(&children)?);
        }
    }
    Ok(newest)
}

/// Writes `text` to `path`, readable by its owner only: a start code opens an exam.
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("could not write {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("could not write {}", path.display()))
}

fn open_app(workspace: &Workspace, profile: &Path) -> Result<()> {
    eprintln!(
        "xtask: opening Studyhall with the profile {}",
        profile.display()
    );
    process::run(
        Command::new(workspace.debug_binary("studyhall"))
            .current_dir(workspace.root())
            .env("STUDYHALL_PROFILE", profile),
    )
}
