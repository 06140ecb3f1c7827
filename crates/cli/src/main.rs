//! `studyhall-cli`: the authoring and admin command line. Each subcommand is a thin
//! wrapper over `studyhall-core` and `studyhall-signing`; messages are for people, exit
//! codes for scripts (0 success, 1 failure, 2 usage).

mod progress;
mod results;
mod watch;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use studyhall_core::pack::{self, PackLimits};
use studyhall_core::{ImportOutcome, Studyhall};
use studyhall_signing::{PublicKey, SealingKey, SigningKey, TrustStore};

use progress::Bar;

#[derive(Debug, Parser)]
#[command(
    name = "studyhall-cli",
    version,
    about = "Author, sign, check and install Studyhall content; check exam results."
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
    /// Check exam results.
    #[command(subcommand)]
    Results(ResultsCommand),
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
    /// Build an author folder into a signed .shpack.
    Build {
        /// The author folder (with course.toml).
        source: PathBuf,
        /// The publisher's private key (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
        /// The pack file to write.
        #[arg(long)]
        out: PathBuf,
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
    },
    /// Rebuild the pack whenever the author folder changes.
    Watch {
        source: PathBuf,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        out: PathBuf,
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
        Command::Results(ResultsCommand::Verify { file, server_key }) => {
            results::verify(&file, &server_key)
        }
        Command::Pack(PackCommand::Build { source, key, out }) => {
            let key = load_key(&key)?;
            build_once(&source, &key, &out)
        }
        Command::Pack(PackCommand::Verify { file, trust }) => verify(&file, &load_trust(&trust)?),
        Command::Pack(PackCommand::Inspect { file }) => inspect(&file),
        Command::Pack(PackCommand::Import {
            file,
            profile,
            trust,
        }) => import(&file, &profile, &trust),
        Command::Pack(PackCommand::Watch { source, key, out }) => {
            let key = load_key(&key)?;
            watch::run(&source, &out, |src, out| build_once(src, &key, out))
        }
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

fn build_once(source: &Path, key: &SigningKey, out: &Path) -> Result<()> {
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

fn import(file: &Path, profile: &Path, trust: &[PathBuf]) -> Result<()> {
    let mut studyhall = Studyhall::open(profile)
        .with_context(|| format!("could not open the profile {}", profile.display()))?;
    for path in trust {
        let key = load_public(path)?;
        studyhall.trust_publisher(&key)?;
    }
    let bar = Bar::new();
    let outcome = studyhall.import_pack(file, &bar)?;
    bar.finish();
    match outcome {
        ImportOutcome::Installed { pack_id, version } => {
            println!("Installed {pack_id} {version} into {}", profile.display())
        }
        ImportOutcome::Updated { pack_id, from, to } => {
            println!("Updated {pack_id} from {from} to {to}; study progress is kept")
        }
        ImportOutcome::Unchanged { pack_id, version } => {
            println!("{pack_id} {version} is already installed; nothing changed")
        }
    }
    Ok(())
}
