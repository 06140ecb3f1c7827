//! Answer-save latency (DESIGN §8: "answer saved durably (fsync): p99 ≤ 2 × the machine's
//! raw fsync latency, measured in the same run"). Raw fsync: appending a small record to
//! a file and `fdatasync`-ing it, as a minimal durable write. Answer save: the core's
//! `record_answer` on a running exam session (one SQLite transaction with
//! `synchronous=FULL`), in the same folder, interleaved so both see the same disk.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use studyhall_core::clock::SystemClock;
use studyhall_core::content::{Question, QuestionBody, Response};
use studyhall_core::exam::blueprint::{Blueprint, Draw, Section};
use studyhall_core::exam::session::{NewSession, Sessions};
use studyhall_core::storage::Storage;

use crate::report::{Latencies, Verdict, load_average, ms};

#[derive(Debug, Clone, clap::Args)]
pub struct AnswerArgs {
    /// How many answers (and raw fsyncs) to time.
    #[arg(long, default_value_t = 1000)]
    pub saves: usize,
    /// Folder on the disk to measure (default: a temp folder).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

pub fn run(args: &AnswerArgs) -> anyhow::Result<Verdict> {
    anyhow::ensure!(args.saves >= 100, "--saves must be at least 100");
    let work = match &args.dir {
        Some(dir) => tempfile::Builder::new()
            .prefix("studyhall-bench-answers-")
            .tempdir_in(dir),
        None => tempfile::Builder::new()
            .prefix("studyhall-bench-answers-")
            .tempdir(),
    }
    .context("creating a temp folder")?;

    let bank: Vec<Question> = (0..20)
        .map(|i| Question {
            id: format!("q{i}"),
            topics: vec!["consensus".into()],
            prompt: "Which node leads?".into(),
            explanation: String::new(),
            points: 1,
            body: QuestionBody::ShortText {
                accepted: vec!["s3".into()],
                patterns: Vec::new(),
            },
        })
        .collect();
    let blueprint = Blueprint {
        time_limit_minutes: Some(24 * 60),
        cut_score_percent: 50,
        attempts_allowed: 1,
        shuffle_items: false,
        shuffle_options: false,
        feedback: Default::default(),
        crash_policy: Default::default(),
        reboot_limit_minutes: 15,
        sections: vec![Section {
            id: "all".into(),
            title: "All".into(),
            draws: vec![Draw {
                topic: "consensus".into(),
                count: 20,
            }],
        }],
    };
    let clock = SystemClock;
    let mut storage = Storage::open(&work.path().join("studyhall.db"))?;
    let mut sessions = Sessions::default();
    let session = sessions
        .create(
            &mut storage,
            &clock,
            &NewSession {
                exam_id: "bench",
                exam_version: "1.0.0",
                candidate_id: "bench",
                blueprint: &blueprint,
                bank: &bank,
                extra_time_percent: 0,
            },
        )?
        .session_id;
    sessions.start(&mut storage, &clock, &session, serde_json::json!({}))?;

    let raw_path = work.path().join("raw-fsync.bin");
    let mut raw = std::fs::File::create(&raw_path).context("creating the raw fsync file")?;
    let record = [b'x'; 256];
    let mut raw_times = Vec::with_capacity(args.saves);
    let mut answer_times = Vec::with_capacity(args.saves);
    eprintln!(
        "Timing {} raw fsyncs and {} answer saves in {} (load {}) …",
        args.saves,
        args.saves,
        work.path().display(),
        load_average()
    );
    for n in 0..args.saves {
        let started = Instant::now();
        raw.write_all(&record)?;
        raw.sync_data()?;
        raw_times.push(started.elapsed());

        let question = format!("q{}", n % 20);
        let response = Response::ShortText {
            text: format!("answer {n}: S3 became leader in term 5"),
        };
        let started = Instant::now();
        sessions.record_answer(&mut storage, &clock, &session, &question, &response)?;
        answer_times.push(started.elapsed());
    }
    let raw = Latencies::of(&raw_times).context("no samples")?;
    let answers = Latencies::of(&answer_times).context("no samples")?;
    println!("== answer save vs raw fsync ==");
    println!("{}", raw.row("raw fsync (256 B)"));
    println!("{}", answers.row("answer saved"));
    let ratio = ratio(answers.p99, raw.p99);
    Ok(Verdict {
        budget: "answer saved durably: p99 ≤ 2 × raw fsync p99",
        measured: format!(
            "answer p99 {:.2} ms, raw fsync p99 {:.2} ms: {ratio:.2}×",
            ms(answers.p99),
            ms(raw.p99)
        ),
        met: ratio <= 2.0,
    })
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}
