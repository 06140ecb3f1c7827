//! Exam packs at the command line: building one from an author folder (its start code
//! and proctor PIN are shown once, then kept nowhere), and describing one for
//! `pack inspect` and `pack verify` from its manifest alone: the blueprint and the
//! server its key release is sealed to, never anything of the items, which stay
//! encrypted.

use std::fs::File;
use std::io::Read as _;
use std::path::Path;

use anyhow::{Context, Result};
use studyhall_core::exam::blueprint::{Blueprint, CrashPolicy, Feedback};
use studyhall_core::exam::pack::{
    EXAM_FILE, ExamManifest, MANIFEST_ENTRY, build_exam, build_exam_with_start_code, open_exam,
};
use studyhall_signing::{SealingPublicKey, SigningKey, StartCode, TrustStore, jws};

use crate::progress;

/// The largest `manifest.jws` read by `pack inspect` (a manifest is a few kilobytes).
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// Whether `folder` is an exam author folder (it has an `exam.toml`).
pub fn is_exam_source(folder: &Path) -> bool {
    folder.join(EXAM_FILE).is_file()
}

pub use studyhall_core::exam::pack::is_exam_pack;

/// Builds the exam in `source`, its key release sealed to `server`, and shows the start code and proctor PIN this once.
pub fn build(
    source: &Path,
    publisher: &SigningKey,
    server: &SealingPublicKey,
    start_code: Option<StartCode>,
    out: &Path,
) -> Result<()> {
    let built = match start_code {
        Some(code) => build_exam_with_start_code(source, publisher, server, code, out)?,
        None => build_exam(source, publisher, server, out)?,
    };
    let m = &built.manifest;
    // Unwrapping costs one more PBKDF2 run (about half a second); the build keeps no key.
    let key = m.start_code.unwrap(&built.start_code)?;
    let pin = key.proctor_pin(&m.binding());
    println!("Built exam {} {} → {}", m.id, m.version, out.display());
    println!("  {}", form_summary(m));
    println!(
        "  key release and results sealed to server key {}",
        m.release.recipient()
    );
    println!();
    println!("Start code:  {}", built.start_code.to_grouped().as_str());
    println!("Proctor PIN: {}", pin.as_str());
    println!();
    println!(
        "Shown this once and kept in no file. Give both to the proctor only: the start code \
         opens this exam on any computer that has the pack, and the PIN lets a proctor add \
         time, close the exam window and export results. `studyhall-cli proctor pin` \
         derives the PIN again from the start code; a lost start code means building the \
         exam again, with a new version."
    );
    Ok(())
}

/// `pack verify` of an exam pack: every check an import runs.
pub fn verify(file: &Path, trust: &TrustStore) -> Result<()> {
    let pack = open_exam(file, trust)?;
    let m = &pack.manifest;
    println!(
        "Valid: exam {} {} signed by {}; its encrypted item bank ({} items, {}) matches the \
         signed manifest; key release sealed to server key {}.",
        m.id,
        m.version,
        m.publisher_kid,
        m.bank_items,
        progress::bytes(m.bank_size),
        m.release.recipient()
    );
    println!("{}", form_summary(m));
    println!(
        "The items stay encrypted until a start code or the server's key release unlocks them."
    );
    Ok(())
}

/// `pack inspect` of an exam pack: what the manifest says, without verifying it.
pub fn inspect(file: &Path) -> Result<()> {
    let m = read_manifest_unverified(file)?;
    let b = &m.blueprint;
    println!(
        "{} — {} {} (exam pack; its items are encrypted)",
        m.title, m.id, m.version
    );
    println!("publisher key: {}", m.publisher_kid);
    println!("built: {}", m.built_at.to_rfc3339());
    if let Some(track) = &m.track {
        println!("track: {track}");
    }
    println!("{}", m.summary);
    println!();
    println!(
        "{} items per form, drawn from a bank of {}",
        b.item_count(),
        m.bank_items
    );
    println!("time limit:    {}", time_limit(b));
    println!("cut score:     {}%", b.cut_score_percent);
    println!("attempts:      {}", b.attempts_allowed);
    println!("shuffled:      {}", shuffled(b));
    println!(
        "feedback:      {}",
        match b.feedback {
            Feedback::None => "none until the result",
            Feedback::Immediate => "each answer is marked when saved",
        }
    );
    println!(
        "after a crash: {}; the candidate may reopen alone within {} min, later only with a proctor's resume code",
        match b.crash_policy {
            CrashPolicy::ClockStops => "the clock stops",
            CrashPolicy::ClockRuns => "the clock keeps running",
        },
        b.reboot_limit_minutes
    );
    println!();
    println!("sections (items drawn at random per topic):");
    for section in &b.sections {
        let draws: Vec<String> = section
            .draws
            .iter()
            .map(|d| format!("{} from '{}'", d.count, topic_title(&m, &d.topic)))
            .collect();
        println!("  {} ({}): {}", section.title, section.id, draws.join(", "));
    }
    println!();
    println!(
        "key release:   sealed to server key {}",
        m.release.recipient()
    );
    println!(
        "start code:    wraps the content key with PBKDF2-HMAC-SHA256, {} iterations",
        m.start_code.iterations()
    );
    println!(
        "encrypted bank: {} items, {}",
        m.bank_items,
        progress::bytes(m.bank_size)
    );
    println!(
        "(not verified: run `studyhall-cli pack verify --trust PUBLISHER.pub.jwk` to check the signature and the bank)"
    );
    Ok(())
}

/// One line on the form: sections, items, time, cut score, attempts.
fn form_summary(m: &ExamManifest) -> String {
    let b = &m.blueprint;
    format!(
        "{} section(s), {} items per form from a bank of {}; {}; cut score {}%; {} attempt(s)",
        b.sections.len(),
        b.item_count(),
        m.bank_items,
        time_limit(b),
        b.cut_score_percent,
        b.attempts_allowed
    )
}

fn time_limit(b: &Blueprint) -> String {
    b.time_limit_minutes
        .map_or_else(|| "untimed".to_owned(), |minutes| format!("{minutes} min"))
}

fn shuffled(b: &Blueprint) -> &'static str {
    match (b.shuffle_items, b.shuffle_options) {
        (true, true) => "items and options",
        (true, false) => "items",
        (false, true) => "options",
        (false, false) => "nothing (ordering items always start shuffled)",
    }
}

fn topic_title<'a>(m: &'a ExamManifest, topic: &'a str) -> &'a str {
    m.topics
        .iter()
        .find(|t| t.id == topic)
        .map_or(topic, |t| t.title.as_str())
}

/// The manifest as the pack states it, signature unchecked.
fn read_manifest_unverified(file: &Path) -> Result<ExamManifest> {
    let unreadable = || format!("{} is not a readable exam pack", file.display());
    let mut archive = File::open(file)
        .map_err(anyhow::Error::from)
        .and_then(|f| Ok(zip::ZipArchive::new(f)?))
        .with_context(unreadable)?;
    let mut token = String::new();
    archive
        .by_name(MANIFEST_ENTRY)
        .with_context(|| format!("{} has no {MANIFEST_ENTRY}", file.display()))?
        .take(MAX_MANIFEST_BYTES)
        .read_to_string(&mut token)
        .with_context(unreadable)?;
    let payload = jws::peek_payload(token.trim()).with_context(unreadable)?;
    serde_json::from_slice(&payload).with_context(unreadable)
}
