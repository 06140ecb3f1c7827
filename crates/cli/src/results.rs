//! `studyhall-cli results verify`: opens a sealed result file with the server's key and
//! prints what it holds and which checks it passed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use studyhall_core::exam::pack::open_exam;
use studyhall_core::exam::result::{ExamContent, ResultDocument, verify_sealed};
use studyhall_signing::{ContentKey, SealingKey, TrustStore};

/// Verifies `file`; with `exam` (a pack and the keys to verify it), also against the
/// exam: the form drawn again from its seed and every item regraded.
pub fn verify(file: &Path, server_key: &Path, exam: Option<(PathBuf, TrustStore)>) -> Result<()> {
    let server = SealingKey::read_file(server_key)
        .with_context(|| format!("could not load the server key {}", server_key.display()))?;
    let sealed = std::fs::read_to_string(file)
        .with_context(|| format!("could not read {}", file.display()))?;
    let unlocked = match &exam {
        Some((pack, trust)) => Some(unlock_for_server(pack, trust, &server)?),
        None => None,
    };
    let content = unlocked.as_ref().map(|u| ExamContent {
        exam_id: &u.manifest.id,
        exam_version: &u.version,
        blueprint: &u.manifest.blueprint,
        bank: &u.bank,
    });
    let document = verify_sealed(&sealed, &server, content)
        .with_context(|| format!("{} does not verify", file.display()))?;
    print!("{}", report(&document, unlocked.is_some()));
    Ok(())
}

struct Unlocked {
    manifest: studyhall_core::exam::pack::ExamManifest,
    version: String,
    bank: Vec<studyhall_core::content::Question>,
}

/// Opens the exam pack with the key it sealed for the server's release.
fn unlock_for_server(pack: &Path, trust: &TrustStore, server: &SealingKey) -> Result<Unlocked> {
    let exam = open_exam(pack, trust)
        .with_context(|| format!("the exam pack {} does not verify", pack.display()))?;
    let key = ContentKey::unwrap_released(server, &exam.manifest.release, &exam.manifest.binding())
        .with_context(|| {
            format!(
                "{} is not sealed to this server key, so its items cannot be opened to check the form",
                pack.display()
            )
        })?;
    let unlocked = exam.unlock_with_key(&key)?;
    Ok(Unlocked {
        version: unlocked.manifest.version.to_string(),
        manifest: unlocked.manifest,
        bank: unlocked.bank,
    })
}

/// The readable report of a verified result.
fn report(d: &ResultDocument, against_exam: bool) -> String {
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
    if against_exam {
        let _ = writeln!(
            out,
            "Checks passed: sealed to this server key; signed by the device key it names; proctor log chain intact; \
             the form is the one its seed draws from the exam pack, and regrading gives the same scores."
        );
        let _ = writeln!(
            out,
            "Not checked here: whether the device is enrolled (the server does that)."
        );
    } else {
        let _ = writeln!(
            out,
            "Checks passed: sealed to this server key; signed by the device key it names; proctor log chain intact."
        );
        let _ = writeln!(
            out,
            "Not checked here: whether the device is enrolled (the server does that), and the form against the exam \
             pack (add --exam PACK --trust PUBLISHER.pub.jwk)."
        );
    }
    out
}
