//! `studyhall-bench`: measures the budgets of DESIGN.md §8 that a single machine can
//! check, each against this machine's own limit measured in the same run, and prints
//! them as ratios. It is a benchmark, not a test: run it by hand in release mode. It
//! exits with status 1 when a budget is missed, so a person notices.
//!
//! ```sh
//! cargo run --release -p studyhall-tests --bin studyhall-bench -- all
//! cargo run --release -p studyhall-tests --bin studyhall-bench -- answer-save
//! ```
//!
//! The app's own budgets (`app-startup`, `app-memory`) run its release build under a
//! virtual display; build it first (the app embeds `ui/dist`):
//!
//! ```sh
//! (cd ui && npm run build) && cargo build --release -p studyhall-app
//! cargo run --release -p studyhall-tests --bin studyhall-bench -- app-startup
//! cargo run --release -p studyhall-tests --bin studyhall-bench -- app-memory
//! ```

mod answers;
mod app;
mod authoring;
mod corpus;
mod import;
mod report;
mod search;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use answers::AnswerArgs;
use app::{MemoryArgs, StartupArgs};
use import::ImportArgs;
use report::Verdict;
use search::SearchArgs;

#[derive(Debug, Parser)]
#[command(about = "Measures Studyhall against the budgets of DESIGN.md §8")]
struct Cli {
    /// Seed of every random choice, so runs are repeatable.
    #[arg(long, global = true, default_value_t = 1)]
    seed: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Pack import throughput against `openssl dgst -sha256` on the same file.
    Import(ImportArgs),
    /// Search latency over a library of 100k lessons.
    Search(SearchArgs),
    /// Exam answer-save latency against the disk's raw fsync latency.
    AnswerSave(AnswerArgs),
    /// The release app's cold start until its library is interactive, under Xvfb.
    AppStartup(StartupArgs),
    /// The release app's memory (PSS of its whole process tree) during an exam; the
    /// library and a video lesson for comparison.
    AppMemory(MemoryArgs),
    /// Import and search (not the app's budgets, which need its release build).
    All {
        #[command(flatten)]
        import: ImportArgs,
        #[command(flatten)]
        search: SearchArgs,
    },
}

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let verdicts: Vec<Verdict> = match &cli.command {
        Command::Import(args) => vec![import::run(args, cli.seed)?],
        Command::Search(args) => vec![search::run(args, cli.seed)?],
        Command::AnswerSave(args) => vec![answers::run(args)?],
        Command::AppStartup(args) => vec![app::startup(args)?],
        Command::AppMemory(args) => vec![app::memory(args)?],
        Command::All { import, search } => vec![
            import::run(import, cli.seed)?,
            search::run(search, cli.seed)?,
        ],
    };

    println!("== budgets (DESIGN.md §8) ==");
    for verdict in &verdicts {
        println!("{}", verdict.line());
    }
    Ok(if verdicts.iter().all(|v| v.met) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
