//! Budget "search over 100k lessons: p95 ≤ 10 ms".
//!
//! Creates a library of `--lessons` generated lessons through the real path (author
//! folder → `pack::build` → `Studyhall::import_pack`). A pack may hold at most
//! `PackLimits::max_entries` files, so the lessons are split over several packs of
//! `--lessons-per-pack`. Then runs a seeded mix of queries through `Studyhall::search`
//! (limit 20) after a separate warm-up set, and reports latency percentiles.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use studyhall_core::Studyhall;
use studyhall_core::pack;
use studyhall_signing::SigningKey;

use crate::authoring::{self, LessonKind, ModuleOutline};
use crate::corpus::Vocabulary;
use crate::report::{Latencies, StderrProgress, Step, Verdict, load_average, ms};

const BUDGET_P95: Duration = Duration::from_millis(10);
const RESULT_LIMIT: usize = 20;
const WARM_UP_QUERIES: usize = 200;
const LESSONS_PER_MODULE: usize = 50;
const QUESTIONS_PER_QUIZ: usize = 3;
/// One lesson in this many is a video lesson with its own transcript.
const VIDEO_EVERY: usize = 25;
const PACK_ID_PREFIX: &str = "bench-library-";

#[derive(Debug, Clone, clap::Args)]
pub struct SearchArgs {
    /// Lessons in the library, over all packs.
    #[arg(long, default_value_t = 100_000)]
    pub lessons: usize,
    /// Lessons per pack (a pack holds at most 50,000 files, manifest at most 16 MiB).
    #[arg(long, default_value_t = 20_000)]
    pub lessons_per_pack: usize,
    /// Timed queries (after the warm-up).
    #[arg(long, default_value_t = 2_000)]
    pub queries: usize,
    /// Keep the library's generated author folders here (must not exist yet).
    #[arg(long)]
    pub folders: Option<PathBuf>,
    /// Use and keep this profile; when it already holds the generated library (same
    /// --lessons, --lessons-per-pack and --seed), searching starts at once.
    #[arg(long)]
    pub profile: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryKind {
    CommonWord,
    RareWord,
    TwoWords,
    Prefix,
}

impl QueryKind {
    const ALL: [QueryKind; 4] = [
        QueryKind::CommonWord,
        QueryKind::RareWord,
        QueryKind::TwoWords,
        QueryKind::Prefix,
    ];

    fn name(self) -> &'static str {
        match self {
            QueryKind::CommonWord => "single common word",
            QueryKind::RareWord => "single rare word",
            QueryKind::TwoWords => "two words",
            QueryKind::Prefix => "prefix being typed",
        }
    }
}

#[derive(Debug)]
struct Query {
    kind: QueryKind,
    text: String,
}

pub fn run(args: &SearchArgs, seed: u64) -> anyhow::Result<Verdict> {
    ensure!(
        args.lessons >= 1 && args.lessons_per_pack >= 2,
        "need lessons to search"
    );
    ensure!(args.queries >= 1, "--queries must be at least 1");
    let work = tempfile::Builder::new()
        .prefix("studyhall-bench-search-")
        .tempdir()
        .context("creating a temp folder")?;
    let profile = args
        .profile
        .clone()
        .unwrap_or_else(|| work.path().join("profile"));
    let vocab = Vocabulary::from_sample_course();
    eprintln!("Vocabulary: {} words", vocab.len());

    let installed = installed_lessons(&profile)?;
    let creation = if installed == Some(args.lessons) {
        eprintln!("Reusing the library in {}", profile.display());
        None
    } else {
        ensure!(
            installed.is_none(),
            "{} holds another library ({installed:?} generated lessons); pass a new --profile",
            profile.display()
        );
        let folders = match &args.folders {
            Some(dir) => {
                ensure!(
                    !dir.exists(),
                    "{} already exists; pass a new folder to --folders",
                    dir.display()
                );
                dir.clone()
            }
            None => work.path().join("authored"),
        };
        Some(create_library(
            args,
            seed,
            &vocab,
            &folders,
            &work.path().join("packs"),
            &profile,
        )?)
    };

    let studyhall = Studyhall::open(&profile)?;
    let lessons: usize = studyhall
        .courses()?
        .iter()
        .filter(|c| c.id.starts_with(PACK_ID_PREFIX))
        .map(|c| c.lessons as usize)
        .sum();
    ensure!(
        lessons == args.lessons,
        "the library holds {lessons} lessons, expected {}",
        args.lessons
    );

    let mut rng = StdRng::seed_from_u64(seed ^ 0x5ea7c4);
    let warm_up = make_queries(&vocab, &mut rng, WARM_UP_QUERIES);
    let queries = make_queries(&vocab, &mut rng, args.queries);
    {
        let _step = Step::start(format!("Warm-up: {} queries", warm_up.len()));
        for q in &warm_up {
            studyhall.search(&q.text, RESULT_LIMIT)?;
        }
    }
    let load_before = load_average();
    let mut samples: Vec<(QueryKind, Duration, usize)> = Vec::with_capacity(queries.len());
    {
        let _step = Step::start(format!("Timing {} queries", queries.len()));
        for q in &queries {
            let started = Instant::now();
            let hits = studyhall.search(&q.text, RESULT_LIMIT)?;
            samples.push((q.kind, started.elapsed(), hits.len()));
        }
    }

    let load_after = load_average();
    drop(studyhall);
    {
        let _step = Step::start("Removing the generated files");
        work.close().context("removing the temp folder")?;
    }

    let empty_common: Vec<&str> = queries
        .iter()
        .zip(&samples)
        .filter(|(q, s)| q.kind == QueryKind::CommonWord && s.2 == 0)
        .map(|(q, _)| q.text.as_str())
        .collect();
    ensure!(
        empty_common.is_empty(),
        "common-word queries found nothing, so the index is not what it should be: {empty_common:?}"
    );
    let empty: Vec<&str> = queries
        .iter()
        .zip(&samples)
        .filter(|(_, s)| s.2 == 0)
        .map(|(q, _)| q.text.as_str())
        .collect();
    ensure!(
        empty.len() * 20 <= samples.len(),
        "{} of {} queries found nothing; the benchmark would measure empty searches",
        empty.len(),
        samples.len()
    );

    println!(
        "== search: {lessons} lessons in {} packs, limit {RESULT_LIMIT}, {} timed queries after {WARM_UP_QUERIES} warm-up ==",
        args.lessons.div_ceil(args.lessons_per_pack),
        samples.len()
    );
    if let Some(c) = &creation {
        println!(
            "  library created through author folder → pack::build → import_pack in {:.1} s (generate {:.1} s, build {:.1} s, import {:.1} s)",
            (c.generate + c.build + c.import).as_secs_f64(),
            c.generate.as_secs_f64(),
            c.build.as_secs_f64(),
            c.import.as_secs_f64()
        );
    }
    let all: Vec<Duration> = samples.iter().map(|s| s.1).collect();
    let overall = Latencies::of(&all).context("no samples")?;
    println!("{}", overall.row("all queries"));
    for kind in QueryKind::ALL {
        let of_kind: Vec<Duration> = samples
            .iter()
            .filter(|s| s.0 == kind)
            .map(|s| s.1)
            .collect();
        if let Some(l) = Latencies::of(&of_kind) {
            println!("{}", l.row(kind.name()));
        }
    }
    let mean_hits = samples.iter().map(|s| s.2).sum::<usize>() as f64 / samples.len() as f64;
    let mut examples: Vec<&str> = empty.clone();
    examples.sort_unstable();
    examples.dedup();
    examples.truncate(8);
    println!(
        "  queries with no hit: {} (e.g. {examples:?}); mean hits per query: {mean_hits:.1}",
        empty.len()
    );
    println!("  load average (1 min) before / after timing: {load_before} / {load_after}");
    println!(
        "  p95 = {:.2} ms (budget ≤ {:.0} ms)",
        ms(overall.p95),
        ms(BUDGET_P95)
    );

    Ok(Verdict {
        budget: "search over 100k lessons p95 ≤ 10 ms",
        measured: format!(
            "p95 {:.2} ms over {lessons} lessons (p50 {:.2} ms, p99 {:.2} ms)",
            ms(overall.p95),
            ms(overall.p50),
            ms(overall.p99)
        ),
        met: overall.p95 <= BUDGET_P95,
    })
}

/// Generated lessons in the profile, or `None` when it has no generated library.
fn installed_lessons(profile: &Path) -> anyhow::Result<Option<usize>> {
    if !profile.exists() {
        return Ok(None);
    }
    let courses = Studyhall::open(profile)?.courses()?;
    let generated: Vec<_> = courses
        .iter()
        .filter(|c| c.id.starts_with(PACK_ID_PREFIX))
        .collect();
    Ok((!generated.is_empty()).then(|| generated.iter().map(|c| c.lessons as usize).sum()))
}

/// Time spent creating the library, by phase.
#[derive(Debug, Default)]
struct Creation {
    generate: Duration,
    build: Duration,
    import: Duration,
}

fn create_library(
    args: &SearchArgs,
    seed: u64,
    vocab: &Vocabulary,
    folders: &Path,
    packs: &Path,
    profile: &Path,
) -> anyhow::Result<Creation> {
    let _step = Step::start(format!(
        "Creating a library of {} lessons in {}",
        args.lessons,
        profile.display()
    ));
    std::fs::create_dir_all(packs)?;
    let key = SigningKey::generate()?;
    let mut studyhall = Studyhall::open(profile)?;
    studyhall.trust_publisher(&key.public_key())?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut creation = Creation::default();
    let pack_count = args.lessons.div_ceil(args.lessons_per_pack);
    for p in 0..pack_count {
        let first = p * args.lessons_per_pack;
        let count = args.lessons_per_pack.min(args.lessons - first);
        let folder = folders.join(format!("pack-{p}"));
        let pack_path = packs.join(format!("pack-{p}.shpack"));

        let started = Instant::now();
        eprintln!("  pack {}/{pack_count}: generating {count} lessons", p + 1);
        write_library_pack(&folder, p, first, count, vocab, &mut rng)?;
        creation.generate += started.elapsed();

        let started = Instant::now();
        pack::build(&folder, &key, &pack_path, &StderrProgress::default())?;
        creation.build += started.elapsed();
        ensure!(
            pack_path.is_file(),
            "the pack {} was not written",
            pack_path.display()
        );

        let started = Instant::now();
        studyhall.import_pack(&pack_path, &StderrProgress::default())?;
        creation.import += started.elapsed();
        eprintln!(
            "  pack {}/{pack_count}: built in {:.1} s, imported in {:.1} s so far",
            p + 1,
            creation.build.as_secs_f64(),
            creation.import.as_secs_f64()
        );
    }
    Ok(creation)
}

/// One pack of the library: modules of `LESSONS_PER_MODULE` lessons, each ending with a
/// quiz on the module's own questions; one lesson in `VIDEO_EVERY` is a video with a
/// transcript (the videos share one small clip).
fn write_library_pack(
    root: &Path,
    pack: usize,
    first: usize,
    count: usize,
    vocab: &Vocabulary,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let clip = "media/clip.webm";
    let mut bytes = vec![0u8; 256 << 10];
    rng.fill_bytes(&mut bytes);
    authoring::write_file(root, clip, bytes)?;

    let mut modules = Vec::new();
    for (m, start) in (first..first + count)
        .step_by(LESSONS_PER_MODULE)
        .enumerate()
    {
        let end = (start + LESSONS_PER_MODULE).min(first + count);
        let questions: Vec<String> = (0..QUESTIONS_PER_QUIZ)
            .map(|q| format!("p{pack}-m{m}-q{q}"))
            .collect();
        let mut lessons = Vec::new();
        for g in start..end {
            let id = format!("l-{g:06}");
            let transcript = format!("media/{id}.vtt");
            let transcript_link = format!("../{transcript}");
            let kind = if g + 1 == end && end - start > 1 {
                authoring::write_file(
                    root,
                    &format!("questions/module-{m:04}.toml"),
                    authoring::question_bank(vocab, rng, &questions),
                )?;
                LessonKind::Quiz {
                    questions: &questions,
                }
            } else if g % VIDEO_EVERY == VIDEO_EVERY / 2 {
                let words = rng.random_range(100..=250);
                authoring::write_file(root, &transcript, authoring::transcript(vocab, rng, words))?;
                LessonKind::Video {
                    video: "../media/clip.webm",
                    transcript: Some(&transcript_link),
                }
            } else {
                LessonKind::Article
            };
            let words = rng.random_range(150..=300);
            let body = vocab.markdown(rng, words);
            let path = format!("lessons/{id}.md");
            let text = authoring::lesson_markdown(&id, &vocab.title(rng), &kind, rng, &body);
            authoring::write_file(root, &path, text)?;
            lessons.push(path);
        }
        modules.push(ModuleOutline {
            id: format!("module-{m:04}"),
            title: vocab.title(rng),
            lessons,
        });
    }
    authoring::write_course_toml(
        root,
        &format!("{PACK_ID_PREFIX}{pack}"),
        &format!("Benchmark library, part {}", pack + 1),
        &modules,
    )
}

/// A shuffled mix: 30% a common word, 20% a rare word, 25% two words, 25% a word being
/// typed (a prefix of 3 letters or more).
fn make_queries(vocab: &Vocabulary, rng: &mut StdRng, n: usize) -> Vec<Query> {
    let content: Vec<(usize, &str)> = vocab.content_words().collect();
    let common: Vec<&str> = content.iter().take(100).map(|c| c.1).collect();
    let frequent: Vec<&str> = content.iter().take(1000).map(|c| c.1).collect();
    let rare_from = vocab.len() * 2 / 3;
    let rare: Vec<&str> = content
        .iter()
        .filter(|c| c.0 >= rare_from)
        .map(|c| c.1)
        .collect();
    let typed: Vec<&str> = frequent.iter().copied().filter(|w| w.len() >= 6).collect();
    let pick =
        |rng: &mut StdRng, words: &[&str]| words[rng.random_range(0..words.len())].to_owned();
    let mut queries: Vec<Query> = (0..n)
        .map(|i| match i * 20 / n {
            0..=5 => Query {
                kind: QueryKind::CommonWord,
                text: pick(rng, &common),
            },
            6..=9 => Query {
                kind: QueryKind::RareWord,
                text: pick(rng, &rare),
            },
            10..=14 => Query {
                kind: QueryKind::TwoWords,
                text: format!("{} {}", pick(rng, &frequent), pick(rng, &frequent)),
            },
            _ => {
                let word = pick(rng, &typed);
                let len = rng.random_range(3..word.len());
                Query {
                    kind: QueryKind::Prefix,
                    text: word[..len].to_owned(),
                }
            }
        })
        .collect();
    queries.shuffle(rng);
    queries
}
