//! `studyhall-cli exams schedule`: a proctor or admin schedules a sitting of an exam
//! published on the server, for named candidates; inside its window the server releases
//! the exam's key to each candidate's enrolled device.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use studyhall_core::ServerEndpoint;
use studyhall_core::sync::release::SittingRequest;

use crate::upload::staff_token;

/// What to schedule.
#[derive(Debug, clap::Args)]
pub struct ScheduleArgs {
    /// The server, e.g. http://studyhall.example:8440.
    #[arg(long)]
    server: String,
    /// A proctor's or admin's sign-in token (or set STUDYHALL_TOKEN).
    #[arg(long)]
    token: Option<String>,
    /// The exam's id, as published.
    #[arg(long)]
    exam: String,
    /// The exam pack's version, as published.
    #[arg(long)]
    version: String,
    /// When the sitting opens (RFC 3339, e.g. 2026-12-01T09:00:00Z).
    #[arg(long)]
    opens: DateTime<Utc>,
    /// When it closes (RFC 3339); no key is released from then on.
    #[arg(long)]
    closes: DateTime<Utc>,
    /// A candidate's username; repeat for each candidate.
    #[arg(long = "candidate", required = true, value_name = "USERNAME")]
    candidates: Vec<String>,
}

/// Schedules the sitting and prints its id, window and candidates.
pub fn schedule(args: ScheduleArgs) -> Result<()> {
    let token = staff_token(args.token)?;
    let server = ServerEndpoint::new(&args.server)?;
    let sitting = server
        .schedule_sitting(
            &token,
            &SittingRequest {
                exam_id: args.exam,
                version: args.version,
                opens_at: args.opens,
                closes_at: args.closes,
                candidates: args.candidates,
            },
        )
        .context("the sitting was not scheduled")?;
    let at = |time: DateTime<Utc>| time.format("%Y-%m-%d %H:%M UTC").to_string();
    println!(
        "scheduled sitting {} of {} {}: open from {} until {}, for {}",
        sitting.id,
        sitting.exam_id,
        sitting.exam_version,
        at(sitting.opens_at),
        at(sitting.closes_at),
        sitting.candidates.join(", ")
    );
    Ok(())
}
