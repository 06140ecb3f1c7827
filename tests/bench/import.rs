//! Budget "pack import ≥ 70% of `openssl dgst -sha256` throughput on the same file".
//!
//! Generates a course of about `--size-mib` of already-compressed media (random bytes in
//! WebM-named files: import hashes and copies video, it never decodes it) plus Markdown,
//! transcripts and questions, builds it into a signed pack, and times, with the pack in
//! the page cache: `openssl dgst -sha256`, `sha256sum` (for information), verification
//! alone (`pack::open` + `read_all` without a copy) and `Studyhall::import_pack` into a
//! fresh profile. Each timing is the best of `--runs`.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use studyhall_core::pack::{self, PackLimits, Quiet};
use studyhall_core::{ImportOutcome, Studyhall};
use studyhall_signing::{SigningKey, TrustStore};

use crate::authoring::{self, LessonKind, ModuleOutline};
use crate::corpus::Vocabulary;
use crate::report::{MIB, StderrProgress, Step, Verdict, best_of, load_average, mib_per_s};

/// Import must reach this share of `openssl dgst -sha256` throughput.
const BUDGET_RATIO: f64 = 0.70;
const MODULES: usize = 3;
const CLIPS_PER_MODULE: usize = 10;
const CLIPS: usize = MODULES * CLIPS_PER_MODULE;
const ARTICLES_PER_MODULE: usize = 12;
const QUESTIONS_PER_MODULE: usize = 5;
/// Every third video has a transcript.
const TRANSCRIBED_EVERY: usize = 3;

#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// Approximate size of the course, in MiB (almost all of it video).
    #[arg(long, default_value_t = 1024)]
    pub size_mib: u64,
    /// Keep the generated author folder here (must not exist yet) instead of a temp dir.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Timed runs of each measurement; the best counts.
    #[arg(long, default_value_t = 3)]
    pub runs: u32,
}

pub fn run(args: &ImportArgs, seed: u64) -> anyhow::Result<Verdict> {
    ensure!(args.runs >= 1, "--runs must be at least 1");
    let work = tempfile::Builder::new()
        .prefix("studyhall-bench-import-")
        .tempdir()
        .context("creating a temp folder")?;
    let folder = match &args.dir {
        Some(dir) => {
            ensure!(
                !dir.exists(),
                "{} already exists; pass a new folder to --dir",
                dir.display()
            );
            dir.clone()
        }
        None => work.path().join("course"),
    };

    let mut rng = StdRng::seed_from_u64(seed);
    let vocab = Vocabulary::from_sample_course();
    {
        let _step = Step::start(format!(
            "Generating a {} MiB course in {}",
            args.size_mib,
            folder.display()
        ));
        write_media_course(&folder, args.size_mib * (1 << 20), &vocab, &mut rng)?;
    }

    let key = SigningKey::generate()?;
    let pack_path = work.path().join("media-course.shpack");
    let built = {
        let _step = Step::start("Building the pack");
        pack::build(&folder, &key, &pack_path, &StderrProgress::default())?
    };
    let pack_bytes = std::fs::metadata(&pack_path)
        .with_context(|| format!("the built pack {} is missing", pack_path.display()))?
        .len();
    ensure!(
        pack_bytes >= args.size_mib * (1 << 20) * 9 / 10,
        "the pack is {pack_bytes} bytes; expected about {} MiB",
        args.size_mib
    );
    let expected_lessons = built
        .manifest
        .modules
        .iter()
        .map(|m| m.lessons.len())
        .sum::<usize>();
    eprintln!(
        "Pack: {pack_bytes} bytes, {} files, {expected_lessons} lessons",
        built.manifest.files.len()
    );

    {
        let _step = Step::start("Warm-up read of the pack (page cache)");
        std::io::copy(&mut File::open(&pack_path)?, &mut std::io::sink())?;
    }

    let load_before = load_average();
    let openssl_hex = hash_with("openssl", &["dgst", "-sha256"], &pack_path)?.1;
    let openssl = best_of(args.runs, "openssl dgst -sha256", || {
        hash_with("openssl", &["dgst", "-sha256"], &pack_path).map(|(t, _)| t)
    })?;
    let (sha256sum, sha256sum_hex) = hash_with("sha256sum", &[], &pack_path)?;
    eprintln!("  sha256sum: {:.3} s", sha256sum.as_secs_f64());
    ensure!(
        openssl_hex == sha256sum_hex,
        "openssl ({openssl_hex}) and sha256sum ({sha256sum_hex}) disagree on the pack's SHA-256"
    );

    let trust: TrustStore = [key.public_key()].into_iter().collect();
    let verify = best_of(args.runs, "pack verify (open + read_all, no copy)", || {
        let started = Instant::now();
        let contents =
            pack::open(&pack_path, &trust, &PackLimits::default())?.read_all(None, None, &Quiet)?;
        let time = started.elapsed();
        ensure!(
            contents.entries.len() == built.manifest.files.len(),
            "verification saw {} files, the pack has {}",
            contents.entries.len(),
            built.manifest.files.len()
        );
        Ok(time)
    })?;

    // Import keeps a durable copy of the pack, so the disk's write speed bounds it too.
    let copy_path = work.path().join("copy.shpack");
    let durable_copy = best_of(args.runs, "durable copy (std::fs::copy + fsync)", || {
        let started = Instant::now();
        std::fs::copy(&pack_path, &copy_path)?;
        File::open(&copy_path)?.sync_all()?;
        let time = started.elapsed();
        std::fs::remove_file(&copy_path)?;
        Ok(time)
    })?;

    let profiles = work.path().join("profiles");
    let mut run = 0;
    let import = best_of(args.runs, "Studyhall::import_pack", || {
        run += 1;
        let profile = profiles.join(format!("run-{run}"));
        let mut studyhall = Studyhall::open(&profile)?;
        studyhall.trust_publisher(&key.public_key())?;
        let started = Instant::now();
        let outcome = studyhall.import_pack(&pack_path, &Quiet)?;
        let time = started.elapsed();
        ensure!(
            matches!(outcome, ImportOutcome::Installed { .. }),
            "import into a fresh profile returned {outcome:?}"
        );
        let courses = studyhall.courses()?;
        ensure!(
            courses.len() == 1 && courses[0].lessons as usize == expected_lessons,
            "after import the library holds {courses:?}"
        );
        drop(studyhall);
        std::fs::remove_dir_all(&profile)
            .with_context(|| format!("removing {}", profile.display()))?;
        Ok(time)
    })?;

    let load_after = load_average();
    {
        let _step = Step::start("Removing the generated files");
        work.close().context("removing the temp folder")?;
    }

    let openssl_rate = mib_per_s(pack_bytes, openssl);
    let import_rate = mib_per_s(pack_bytes, import);
    let ratio = import_rate / openssl_rate;
    println!(
        "== import: {:.1} MiB pack, page cache warm, best of {} ==",
        pack_bytes as f64 / MIB,
        args.runs
    );
    let row = |name: &str, time: Duration| {
        println!(
            "  {name:<44} {:>8.3} s  {:>8.1} MiB/s",
            time.as_secs_f64(),
            mib_per_s(pack_bytes, time)
        );
    };
    row("openssl dgst -sha256 (machine limit)", openssl);
    row("sha256sum (information, 1 run)", sha256sum);
    row("pack verify (open + read_all, no copy)", verify);
    row("durable copy (fs::copy + fsync, information)", durable_copy);
    row("Studyhall::import_pack", import);
    println!("  import / openssl = {ratio:.2} (budget ≥ {BUDGET_RATIO:.2})");
    println!("  load average (1 min) before / after timing: {load_before} / {load_after}");

    Ok(Verdict {
        budget: "pack import ≥ 70% of openssl dgst -sha256 throughput",
        measured: format!(
            "{import_rate:.0} MiB/s vs {openssl_rate:.0} MiB/s = {:.0}%",
            ratio * 100.0
        ),
        met: ratio >= BUDGET_RATIO,
    })
}

/// Runs `program args.. file`, returning its wall time and the first hex word it printed
/// after the file name or at the start (`sha256sum` and `openssl dgst` formats).
fn hash_with(program: &str, args: &[&str], file: &Path) -> anyhow::Result<(Duration, String)> {
    let started = Instant::now();
    let output = Command::new(program)
        .args(args)
        .arg(file)
        .output()
        .with_context(|| format!("running {program}; is it installed?"))?;
    let time = started.elapsed();
    if !output.status.success() {
        bail!(
            "{program} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let hex = stdout
        .split(|c: char| c.is_whitespace() || c == '=')
        .find(|w| w.len() == 64 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        .with_context(|| format!("{program} printed no SHA-256: {stdout}"))?;
    Ok((time, hex.to_ascii_lowercase()))
}

/// A course of `MODULES` modules, each with articles, video lessons (some transcribed)
/// and a quiz; the `CLIPS` videos share `total_bytes` between them.
fn write_media_course(
    root: &Path,
    total_bytes: u64,
    vocab: &Vocabulary,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let clip_bytes = total_bytes / CLIPS as u64;
    let mut chunk = vec![0u8; 1 << 20];
    let mut modules = Vec::new();
    let mut clip = 0;
    for m in 0..MODULES {
        let mut lessons = Vec::new();
        let mut write_lesson = |name: String, kind: LessonKind<'_>, rng: &mut StdRng| {
            let path = format!("lessons/{name}.md");
            let words = rng.random_range(150..=300);
            let body = vocab.markdown(rng, words);
            let text = authoring::lesson_markdown(&name, &vocab.title(rng), &kind, rng, &body);
            authoring::write_file(root, &path, text)?;
            lessons.push(path);
            anyhow::Ok(())
        };
        for a in 0..ARTICLES_PER_MODULE.max(CLIPS_PER_MODULE) {
            if a < ARTICLES_PER_MODULE {
                write_lesson(format!("m{m}-article-{a:02}"), LessonKind::Article, rng)?;
            }
            if a < CLIPS_PER_MODULE {
                let video = format!("media/clip-{clip:02}.webm");
                let size = if clip == CLIPS - 1 {
                    total_bytes - clip_bytes * (CLIPS as u64 - 1)
                } else {
                    clip_bytes
                };
                write_random_file(&root.join(&video), size, &mut chunk, rng)?;
                let transcript =
                    (clip % TRANSCRIBED_EVERY == 0).then(|| format!("media/clip-{clip:02}.vtt"));
                if let Some(t) = &transcript {
                    let words = rng.random_range(300..=600);
                    authoring::write_file(root, t, authoring::transcript(vocab, rng, words))?;
                }
                let video_link = format!("../{video}");
                let transcript_link = transcript.map(|t| format!("../{t}"));
                write_lesson(
                    format!("m{m}-video-{clip:02}"),
                    LessonKind::Video {
                        video: &video_link,
                        transcript: transcript_link.as_deref(),
                    },
                    rng,
                )?;
                clip += 1;
            }
        }
        let questions: Vec<String> = (0..QUESTIONS_PER_MODULE)
            .map(|q| format!("m{m}-q{q}"))
            .collect();
        authoring::write_file(
            root,
            &format!("questions/module-{m}.toml"),
            authoring::question_bank(vocab, rng, &questions),
        )?;
        write_lesson(
            format!("m{m}-quiz"),
            LessonKind::Quiz {
                questions: &questions,
            },
            rng,
        )?;
        modules.push(ModuleOutline {
            id: format!("module-{m}"),
            title: vocab.title(rng),
            lessons,
        });
    }
    authoring::write_course_toml(
        root,
        "bench-media-course",
        "Benchmark media course",
        &modules,
    )
}

fn write_random_file(
    path: &Path,
    size: u64,
    chunk: &mut [u8],
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut left = size;
    while left > 0 {
        let n = chunk.len().min(left as usize);
        rng.fill_bytes(&mut chunk[..n]);
        file.write_all(&chunk[..n])
            .with_context(|| format!("writing {}", path.display()))?;
        left -= n as u64;
    }
    Ok(())
}
