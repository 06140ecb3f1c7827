//! `studyhall-cli`: the authoring and admin command line. Each subcommand is a thin
//! wrapper over `studyhall-core` and `studyhall-signing`; messages are for people, exit
//! codes for scripts (0 success, 1 failure, 2 usage).

mod exam;
mod proctor;
mod progress;
mod results;
mod schedule;
mod upload;
mod watch;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};
use studyhall_core::pack::{self, PackLimits};
use studyhall_core::{ImportOutcome, Studyhall};
use studyhall_signing::{
    PublicKey, SealingKey, SealingPublicKey, SigningKey, StartCode, TrustStore,
};

use progress::Bar;

#[derive(Debug, Parser)]
#[command(
    name = "studyhall-cli",
    version,
    about = "Author, sign, check and install Studyhall content; give out exam codes; check exam results."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Build, check and install content packs.
    #[command(subcommand)]
    Pack(PackCommand),
    /// The codes a proctor gives out during an exam: the proctor PIN and resume codes.
    #[command(subcommand)]
    Proctor(ProctorCommand),
    /// Check exam results.
    #[command(subcommand)]
    Results(ResultsCommand),
    /// Exam sittings on a Studyhall server.
    #[command(subcommand)]
    Exams(ExamsCommand),
}

#[derive(Debug, Subcommand)]
enum ExamsCommand {
    /// Schedule a sitting of a published exam for named candidates, as a proctor or
    /// admin: inside its window the server releases the exam's key to each candidate's
    /// enrolled device. Prints the sitting's id.
    Schedule(schedule::ScheduleArgs),
}

#[derive(Debug, Subcommand)]
enum ProctorCommand {
    /// Print a new random start code, for `pack build --start-code` (so the code can be
    /// handed to proctors before the pack is built).
    StartCode,
    /// Print the exam's proctor PIN (to add time, close the exam window or export a result).
    Pin {
        #[command(flatten)]
        exam: ExamArgs,
    },
    /// Print the resume code a candidate needs after being away longer than the exam's
    /// reboot limit. Each code works for one session and one resume.
    ResumeCode {
        #[command(flatten)]
        exam: ExamArgs,
        /// The session id the candidate's screen shows.
        #[arg(long)]
        session: String,
        /// Which resume this is, counting from 0, as the candidate's screen shows.
        #[arg(long, default_value_t = 0)]
        resume: u32,
    },
}

/// The exam pack, checked against its publisher, and the start code that unlocks it.
#[derive(Debug, clap::Args)]
struct ExamArgs {
    /// The exam pack (.shexam).
    #[arg(long, value_name = "PACK")]
    exam: PathBuf,
    /// The publisher's public key (.pub.jwk) the pack must be signed by; repeat for several.
    #[arg(long, required = true, value_name = "PUBLISHER.pub.jwk")]
    trust: Vec<PathBuf>,
    /// The exam's start code, as shown when the pack was built.
    #[arg(long, value_name = "CODE")]
    start_code: String,
}

#[derive(Debug, Subcommand)]
enum ResultsCommand {
    /// Open a sealed result (.shresult) with the server's key and check its signature and
    /// proctor log; prints a readable report. Exit 0 when it verifies.
    Verify {
        file: PathBuf,
        /// The server's private sealing key (from `keys new --kind sealing`).
        #[arg(long)]
        server_key: PathBuf,
        /// The exam pack the result is of: the form is drawn again from its seed and every
        /// item regraded (the server key releases the pack's content key).
        #[arg(long, requires = "trust")]
        exam: Option<PathBuf>,
        /// The exam publisher's public key (.pub.jwk), to verify `--exam`; repeatable.
        #[arg(long)]
        trust: Vec<PathBuf>,
    },
    /// Hand in sealed result files exported from kiosks (.shresult) to the server, as a
    /// proctor or admin; prints each file's receipt code, or that it was a duplicate.
    Upload {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The server, e.g. http://studyhall.example:8440.
        #[arg(long)]
        server: String,
        /// A proctor's or admin's sign-in token (or set STUDYHALL_TOKEN).
        #[arg(long)]
        token: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum KeyKind {
    /// Ed25519, for signing packs, results and receipts.
    Signing,
    /// X25519, for receiving sealed results and exam key requests (a server's).
    Sealing,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create a key pair: NAME.key (private, mode 0600) and NAME.pub.jwk (public). Signing
    /// keys are Ed25519 (PKCS#8 PEM); sealing keys are X25519 (OKP JWK).
    New {
        /// Folder to write the two files into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Base name of the files.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value_t = KeyKind::Signing)]
        kind: KeyKind,
    },
}

#[derive(Debug, Subcommand)]
enum PackCommand {
    /// Build an author folder into a signed pack: a course (.shpack) from a folder with
    /// course.toml, an encrypted exam (.shexam) from a folder with exam.toml. An exam's
    /// start code and proctor PIN are printed once.
    Build {
        /// The author folder (with course.toml or exam.toml).
        source: PathBuf,
        /// The publisher's private key (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
        /// The pack file to write.
        #[arg(long)]
        out: PathBuf,
        /// Exams only, and required for them: the server's public sealing key (from
        /// `keys new --kind sealing`); the exam's key release and results are sealed to it.
        #[arg(long, value_name = "SERVER.pub.jwk")]
        server_key: Option<PathBuf>,
        /// Exams only: use this start code (from `proctor start-code`) instead of a new one.
        #[arg(long, value_name = "CODE", requires = "server_key")]
        start_code: Option<String>,
    },
    /// Run every check an import runs; exit 0 when the pack is valid.
    Verify {
        file: PathBuf,
        /// A trusted publisher public key (.pub.jwk); repeat for several.
        #[arg(long, required = true)]
        trust: Vec<PathBuf>,
    },
    /// Show what a pack holds, without verifying its signature.
    Inspect { file: PathBuf },
    /// Verify a pack and install it into a profile (as a test centre preloading kiosks would).
    Import {
        file: PathBuf,
        /// The profile folder.
        #[arg(long)]
        profile: PathBuf,
        /// A publisher key to trust for this profile (.pub.jwk); repeat for several.
        #[arg(long)]
        trust: Vec<PathBuf>,
        /// A server's public sealing key to trust for this profile (.pub.jwk): exam results
        /// are sealed to it, and an exam starts only if the profile trusts its server.
        #[arg(long, value_name = "SERVER.pub.jwk")]
        trust_server: Vec<PathBuf>,
    },
    /// Rebuild the pack whenever the author folder changes (an exam gets a new start code
    /// each time).
    Watch {
        source: PathBuf,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Exams only, and required for them: as for `pack build`.
        #[arg(long, value_name = "SERVER.pub.jwk")]
        server_key: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Keys(KeysCommand::New { out, name, kind }) => keys_new(&out, &name, kind),
        Command::Exams(ExamsCommand::Schedule(args)) => schedule::schedule(args),
        Command::Results(ResultsCommand::Verify {
            file,
            server_key,
            exam,
            trust,
        }) => {
            let exam = match exam {
                Some(pack) => Some((pack, load_trust(&trust)?)),
                None => None,
            };
            results::verify(&file, &server_key, exam)
        }
        Command::Results(ResultsCommand::Upload {
            files,
            server,
            token,
        }) => upload::upload(&files, &server, token),
        Command::Proctor(ProctorCommand::Pin { exam }) => {
            proctor::pin(&exam.exam, &load_trust(&exam.trust)?, &exam.start_code)
        }
        Command::Proctor(ProctorCommand::ResumeCode {
            exam,
            session,
            resume,
        }) => proctor::resume(
            &exam.exam,
            &load_trust(&exam.trust)?,
            &exam.start_code,
            &session,
            resume,
        ),
        Command::Pack(PackCommand::Build {
            source,
            key,
            out,
            server_key,
            start_code,
        }) => {
            let server = server_for(&source, server_key.as_deref(), "build")?;
            match (server, start_code) {
                (Some(server), Some(code)) => {
                    let code = StartCode::parse(&code).context("--start-code")?;
                    exam::build(&source, &load_key(&key)?, &server, Some(code), &out)
                }
                (server, _) => build_pack(&source, &load_key(&key)?, server.as_ref(), &out),
            }
        }
        Command::Proctor(ProctorCommand::StartCode) => {
            let code = StartCode::generate()?;
            println!("{}", code.to_grouped().as_str());
            eprintln!(
                "A new start code: build the exam with `pack build … --start-code` and give the code to the proctor only."
            );
            Ok(())
        }
        Command::Pack(PackCommand::Verify { file, trust }) if exam::is_exam_pack(&file) => {
            exam::verify(&file, &load_trust(&trust)?)
        }
        Command::Pack(PackCommand::Verify { file, trust }) => verify(&file, &load_trust(&trust)?),
        Command::Pack(PackCommand::Inspect { file }) if exam::is_exam_pack(&file) => {
            exam::inspect(&file)
        }
        Command::Pack(PackCommand::Inspect { file }) => inspect(&file),
        Command::Pack(PackCommand::Import {
            file,
            profile,
            trust,
            trust_server,
        }) => import(&file, &profile, &trust, &trust_server),
        Command::Pack(PackCommand::Watch {
            source,
            key,
            out,
            server_key,
        }) => {
            let server = server_for(&source, server_key.as_deref(), "watch")?;
            let key = load_key(&key)?;
            watch::run(&source, &out, |src, out| {
                build_pack(src, &key, server.as_ref(), out)
            })
        }
    }
}

/// The server key an exam in `source` is sealed to; `None` for a course. A missing or
/// misplaced `--server-key` is a usage error of `pack <subcommand>`.
fn server_for(
    source: &Path,
    server_key: Option<&Path>,
    subcommand: &str,
) -> Result<Option<SealingPublicKey>> {
    match (exam::is_exam_source(source), server_key) {
        (true, Some(path)) => Ok(Some(load_server_public(path)?)),
        (false, None) => Ok(None),
        (true, None) => pack_usage_error(
            subcommand,
            ErrorKind::MissingRequiredArgument,
            format!(
                "{} is an exam (it has exam.toml): building it needs --server-key \
                 SERVER.pub.jwk, the public sealing key of the server its results are sealed \
                 to (`studyhall-cli keys new --kind sealing` makes one)",
                source.display()
            ),
        ),
        (false, Some(_)) => pack_usage_error(
            subcommand,
            ErrorKind::ArgumentConflict,
            format!(
                "--server-key is for exams, and {} has no exam.toml; leave it out to build a course",
                source.display()
            ),
        ),
    }
}

/// Exits with status 2, showing the usage of `pack <subcommand>`: it was called the
/// wrong way.
fn pack_usage_error(subcommand: &str, kind: ErrorKind, message: String) -> ! {
    let mut cli = Cli::command();
    cli.build();
    match cli
        .find_subcommand_mut("pack")
        .and_then(|pack| pack.find_subcommand_mut(subcommand))
    {
        Some(command) => command.error(kind, message).exit(),
        None => cli.error(kind, message).exit(),
    }
}

fn keys_new(out: &Path, name: &str, kind: KeyKind) -> Result<()> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        bail!("--name must be a plain file name such as 'publisher'");
    }
    std::fs::create_dir_all(out).with_context(|| format!("could not create {}", out.display()))?;
    let private = out.join(format!("{name}.key"));
    let public = out.join(format!("{name}.pub.jwk"));
    if public.exists() {
        bail!(
            "{} already exists; choose another --name or folder",
            public.display()
        );
    }
    let key_id = match kind {
        KeyKind::Signing => {
            let key = SigningKey::generate()?;
            key.write_file(&private)?;
            key.public_key().write_jwk_file(&public)?;
            key.key_id().to_string()
        }
        KeyKind::Sealing => {
            let key = SealingKey::generate()?;
            key.write_file(&private)?;
            key.public_key().write_jwk_file(&public)?;
            key.key_id().to_string()
        }
    };
    println!("Created key {key_id}");
    println!(
        "  private: {} (keep it secret; mode 0600)",
        private.display()
    );
    println!(
        "  public:  {} (give this to whoever must trust it)",
        public.display()
    );
    Ok(())
}

fn load_key(path: &Path) -> Result<SigningKey> {
    SigningKey::read_file(path)
        .with_context(|| format!("could not load the key {}", path.display()))
}

fn load_trust(paths: &[PathBuf]) -> Result<TrustStore> {
    let mut trust = TrustStore::new();
    for path in paths {
        trust.insert(load_public(path)?);
    }
    Ok(trust)
}

fn load_public(path: &Path) -> Result<PublicKey> {
    PublicKey::read_jwk_file(path)
        .with_context(|| format!("could not load the public key {}", path.display()))
}

fn load_server_public(path: &Path) -> Result<SealingPublicKey> {
    SealingPublicKey::read_jwk_file(path).with_context(|| {
        format!(
            "could not load the server's public sealing key {}",
            path.display()
        )
    })
}

/// Builds `source` into `out`: an exam when `server` is given, else a course.
fn build_pack(
    source: &Path,
    key: &SigningKey,
    server: Option<&SealingPublicKey>,
    out: &Path,
) -> Result<()> {
    match server {
        Some(server) => exam::build(source, key, server, None, out),
        None => build_course(source, key, out),
    }
}

fn build_course(source: &Path, key: &SigningKey, out: &Path) -> Result<()> {
    let bar = Bar::new();
    let report = pack::build(source, key, out, &bar)?;
    bar.finish();
    let m = &report.manifest;
    println!(
        "Built {} {} ({} modules, {} lessons, {} files, {}) → {}",
        m.id,
        m.version,
        m.modules.len(),
        m.modules.iter().map(|md| md.lessons.len()).sum::<usize>(),
        m.files.len(),
        progress::bytes(report.content_bytes),
        out.display()
    );
    Ok(())
}

fn verify(file: &Path, trust: &TrustStore) -> Result<()> {
    let reader = pack::open(file, trust, &PackLimits::default())?;
    let bar = Bar::new();
    let contents = reader.read_all(None, None, &bar)?;
    bar.finish();
    let m = &contents.manifest;
    println!(
        "Valid: {} {} signed by {}; {} files match the signed manifest; {} lessons, {} questions.",
        m.id,
        m.version,
        m.publisher_kid,
        m.files.len(),
        contents.course.lessons.len(),
        contents.course.questions.len()
    );
    Ok(())
}

fn inspect(file: &Path) -> Result<()> {
    let manifest = pack::inspect(file)?;
    println!("{} — {} {}", manifest.title, manifest.id, manifest.version);
    println!("publisher key: {}", manifest.publisher_kid);
    println!("built: {}", manifest.built_at.to_rfc3339());
    if let Some(track) = &manifest.track {
        println!("track: {track}");
    }
    println!("{}", manifest.summary);
    println!();
    for module in &manifest.modules {
        println!("{} ({})", module.title, module.id);
        for lesson in &module.lessons {
            println!(
                "  {:<8} {:>3} min  {} ({})",
                lesson.kind.as_str(),
                lesson.minutes,
                lesson.title,
                lesson.id
            );
        }
    }
    let total: u64 = manifest.files.iter().map(|f| f.size).sum();
    println!();
    println!("{} files, {}", manifest.files.len(), progress::bytes(total));
    println!("(not verified: run `studyhall-cli pack verify` to check signature and hashes)");
    Ok(())
}

fn import(file: &Path, profile: &Path, trust: &[PathBuf], trust_server: &[PathBuf]) -> Result<()> {
    let mut studyhall = Studyhall::open(profile)
        .with_context(|| format!("could not open the profile {}", profile.display()))?;
    for path in trust {
        let key = load_public(path)?;
        studyhall.trust_publisher(&key)?;
    }
    for path in trust_server {
        studyhall.trust_server(&load_server_public(path)?)?;
    }
    let bar = Bar::new();
    let outcome = studyhall.import_pack(file, &bar)?;
    bar.finish();
    let pack_id = match outcome {
        ImportOutcome::Installed { pack_id, version } => {
            println!("Installed {pack_id} {version} into {}", profile.display());
            pack_id
        }
        ImportOutcome::Updated { pack_id, from, to } => {
            println!("Updated {pack_id} from {from} to {to}; study progress is kept");
            pack_id
        }
        ImportOutcome::Unchanged { pack_id, version } => {
            println!("{pack_id} {version} is already installed; nothing changed");
            pack_id
        }
    };
    let untrusted_server = studyhall
        .exams()?
        .iter()
        .any(|exam| exam.exam_id == pack_id && !exam.server_trusted);
    if untrusted_server {
        println!(
            "Note: this profile does not trust the server {pack_id}'s results are sealed to, so \
             the exam cannot start yet; import it again with --trust-server SERVER.pub.jwk"
        );
    }
    Ok(())
}
