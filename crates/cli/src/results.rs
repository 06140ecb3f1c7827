//! `studyhall-cli results verify`: opens a sealed result file with the server's key and
//! prints what it holds and which checks it passed.

use std::path::Path;

use anyhow::{Context, Result};
use studyhall_core::exam::result::{ResultDocument, verify_sealed};
use studyhall_signing::SealingKey;

pub fn verify(file: &Path, server_key: &Path) -> Result<()> {
    let server = SealingKey::read_file(server_key)
        .with_context(|| format!("could not load the server key {}", server_key.display()))?;
    let sealed = std::fs::read_to_string(file)
        .with_context(|| format!("could not read {}", file.display()))?;
    let document = verify_sealed(&sealed, &server, None)
        .with_context(|| format!("{} does not verify", file.display()))?;
    print!("{}", report(&document));
    Ok(())
}

/// The readable report of a verified result.
fn report(d: &ResultDocument) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let g = &d.grading;
    let t = &d.timing;
    let minutes = |ms: u64| format!("{:.1} min", ms as f64 / 60_000.0);
    let _ = writeln!(out, "Result {}", d.result_id);
    let _ = writeln!(out, "  exam:       {} {}", d.exam_id, d.exam_version);
    let _ = writeln!(out, "  candidate:  {}", d.candidate_id);
    let _ = writeln!(out, "  session:    {}", d.session_id);
    let _ = writeln!(out, "  device key: {}", d.device_kid);
    let _ = writeln!(
        out,
        "  score:      {} of {} points, {}% (cut score {}%): {:?}",
        g.points, g.max, g.percent, g.cut_score_percent, g.outcome
    );
    for topic in &g.topics {
        let _ = writeln!(
            out,
            "    {:<24} {} of {}",
            topic.topic, topic.points, topic.max
        );
    }
    let answered = g.items.iter().filter(|i| i.response.is_some()).count();
    let _ = writeln!(
        out,
        "  items:      {answered} of {} answered",
        g.items.len()
    );
    let _ = writeln!(
        out,
        "  time:       {} used of {}; started {}, submitted {} ({})",
        minutes(t.used_ms),
        t.limit_ms.map_or("no limit".to_owned(), minutes),
        t.started_at.as_deref().unwrap_or("-"),
        t.submitted_at.as_deref().unwrap_or("-"),
        t.submit_reason.as_deref().unwrap_or("-"),
    );
    if t.extra_time_percent > 0 || t.extra_time_ms > 0 {
        let _ = writeln!(
            out,
            "              accommodation {}%, extra time granted {}",
            t.extra_time_percent,
            minutes(t.extra_time_ms)
        );
    }
    let _ = writeln!(
        out,
        "  proctor log: {} entries, head {}",
        d.proctor_log.head.length, d.proctor_log.head.hash
    );
    for entry in &d.proctor_log.entries {
        let detail = if entry.detail.as_object().is_some_and(|o| o.is_empty()) {
            String::new()
        } else {
            format!(" {}", entry.detail)
        };
        let _ = writeln!(
            out,
            "    {:>3} {} {}{detail}",
            entry.seq,
            entry.at.format("%Y-%m-%d %H:%M:%S"),
            entry.kind
        );
    }
    let _ = writeln!(out, "  app build:  {}", d.app_build);
    let _ = writeln!(
        out,
        "Checks passed: sealed to this server key; signed by the device key it names; proctor log chain intact."
    );
    let _ = writeln!(
        out,
        "Not checked here: whether the device is enrolled, and the form against the exam pack (the server does both)."
    );
    out
}
