//! Studyhall's developer commands, run as `cargo xtask <command>`:
//!
//! - `setup`: install what is missing (Debian packages, Rust components, the UI's npm packages);
//! - `run`: build everything, import the sample programme and open the app;
//! - `test`: every check CI runs, in order, stopping at the first failure;
//! - `bindings`: regenerate `ui/src/bindings.ts` from the Tauri commands;
//! - `icons`: regenerate the PNG icons from `icons/icon.svg`.
//!
//! Plain `std::process::Command` code: each step echoes the command it runs.

mod generate;
mod process;
mod room;
mod run;
mod setup;
mod test;
mod workspace;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::workspace::Workspace;

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Studyhall's developer commands")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Install missing Debian packages, Rust components and the UI's npm packages.
    Setup,
    /// Build the UI, the CLI and the app, import the sample programme, and open the app.
    Run,
    /// Run every check: formatting, UI type check and build, clippy, and all tests.
    Test,
    /// Regenerate `ui/src/bindings.ts` from the Tauri commands.
    Bindings,
    /// Regenerate the PNG icons in `icons/` from `icons/icon.svg` (needs ImageMagick).
    Icons,
}

fn main() {
    let cli = Cli::parse();
    if let Err(error) = dispatch(cli.command) {
        eprintln!("xtask: error: {error:#}");
        std::process::exit(1);
    }
}

fn dispatch(command: Command) -> Result<()> {
    let workspace = Workspace::discover()?;
    match command {
        Command::Setup => setup::setup(&workspace),
        Command::Run => run::run(&workspace),
        Command::Test => test::test(&workspace),
        Command::Bindings => generate::bindings(&workspace),
        Command::Icons => generate::icons(&workspace),
    }
}
