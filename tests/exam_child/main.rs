//! `studyhall-exam-child`: a candidate answering as fast as it can, for the kill torture
//! test (`tests/tests/exam_kill.rs`). It sits an exam session in the given database with
//! the real `studyhall-core` code the app uses, saves answer after answer, and after each
//! save returns prints `saved <seq> <question> <text> <used_ms>`, as the UI would show
//! "saved". The test kills it (SIGKILL) at random moments and checks that every answer it
//! reported is on disk, byte for byte, and that the clock kept its time.
//!
//! Usage: `studyhall-exam-child <database> <session id> <first answer number>`.

use std::io::Write;

use anyhow::{Context, Result, bail};
use studyhall_core::clock::SystemClock;
use studyhall_core::content::Response;
use studyhall_core::exam::session::{Reopened, Sessions};
use studyhall_core::storage::Storage;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, database, session, first] = args.as_slice() else {
        bail!("usage: studyhall-exam-child <database> <session id> <first answer number>");
    };
    let first: u64 = first.parse().context("the first answer number")?;
    let clock = SystemClock;
    let mut storage = Storage::open(database.as_ref())?;
    let mut sessions = Sessions::default();
    let view = match sessions.reopen(&mut storage, &clock, session)? {
        Reopened::Continue { session } => session,
        Reopened::NeedsResumeCode { .. } => bail!("the session wants a resume code"),
    };
    let items: Vec<String> = view
        .form
        .sections
        .iter()
        .flat_map(|s| &s.items)
        .map(|i| i.question_id.clone())
        .collect();
    let mut out = std::io::stdout().lock();
    for n in first.. {
        let question = &items[(n as usize) % items.len()];
        let text = format!("answer-{n}");
        let saved = sessions.record_answer(
            &mut storage,
            &clock,
            session,
            question,
            &Response::ShortText { text: text.clone() },
        )?;
        let timer = sessions.tick(&mut storage, &clock, session)?;
        writeln!(
            out,
            "saved {} {question} {text} {}",
            saved.seq, timer.used_ms
        )?;
        out.flush()?;
    }
    Ok(())
}
