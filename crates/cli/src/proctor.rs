//! `studyhall-cli proctor`: the codes a proctor gives out during an exam. The proctor
//! PIN and the resume codes derive from the exam's content key, which the start code
//! unlocks from the pack's manifest; so a proctor needs the exam pack, verified against
//! its publisher's key, and the start code, and nothing else. Nothing here is stored.

use std::path::Path;

use anyhow::{Result, bail};
use studyhall_core::exam::pack::{ExamManifest, open_exam};
use studyhall_signing::{ContentKey, SigningError, StartCode, TrustStore, resume_code};

/// Prints the proctor PIN of `exam`.
pub fn pin(exam: &Path, trust: &TrustStore, start_code: &str) -> Result<()> {
    let (manifest, key) = unlock(exam, trust, start_code)?;
    let pin = key.proctor_pin(&manifest.binding());
    println!(
        "Proctor PIN for {} {}: {}",
        manifest.id,
        manifest.version,
        pin.as_str()
    );
    Ok(())
}

/// Prints the code for the `resume`-th resume (from 0) of `session` of `exam`.
pub fn resume(
    exam: &Path,
    trust: &TrustStore,
    start_code: &str,
    session: &str,
    resume: u32,
) -> Result<()> {
    let session = session.trim();
    if session.is_empty() {
        bail!("--session is empty: type the session id the candidate's screen shows");
    }
    let (manifest, key) = unlock(exam, trust, start_code)?;
    let secret = key.resume_secret(&manifest.binding());
    let code = resume_code(&secret, session, resume);
    println!("Resume code: {code}");
    println!(
        "  for session {session} of {} {}, resume {resume} (counting from 0, as the candidate's \
         screen shows); it works once",
        manifest.id, manifest.version
    );
    Ok(())
}

/// Verifies `exam` and unlocks its content key with `start_code`.
fn unlock(exam: &Path, trust: &TrustStore, start_code: &str) -> Result<(ExamManifest, ContentKey)> {
    let manifest = open_exam(exam, trust)?.manifest;
    let code = StartCode::parse(start_code)?;
    match manifest.start_code.unwrap(&code) {
        Ok(key) => Ok((manifest, key)),
        Err(SigningError::WrongStartCode) => bail!(
            "that start code does not open {} {}: check it against the one shown when the pack \
             was built, and that this is the same pack file",
            manifest.id,
            manifest.version
        ),
        Err(other) => Err(other.into()),
    }
}
