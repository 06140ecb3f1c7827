//! WebVTT transcripts: the cues of a video's captions, for the searchable transcript
//! beside the player and for the search index.

use serde::Serialize;

/// One caption: shown from `start` to `end` seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Cue {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// Parses `hh:mm:ss.ttt` or `mm:ss.ttt` into seconds.
fn seconds(stamp: &str) -> Option<f64> {
    let mut total = 0.0;
    for part in stamp.trim().split(':') {
        total = total * 60.0 + part.parse::<f64>().ok()?;
    }
    Some(total)
}

/// The cues of a WebVTT file, in order; blocks that are not cues (header, notes,
/// styles) and unreadable timings are skipped. Markup tags are removed from the text.
pub fn transcript_cues(vtt: &str) -> Vec<Cue> {
    let tags = regex::Regex::new(r"<[^>]*>").expect("constant regex");
    let mut cues = Vec::new();
    for block in vtt.replace("\r\n", "\n").split("\n\n") {
        let lines: Vec<&str> = block.lines().collect();
        let Some(timing) = lines.iter().position(|l| l.contains("-->")) else {
            continue;
        };
        let mut times = lines[timing].split("-->");
        let start = times.next().and_then(seconds);
        // Cue settings may follow the end time: "00:01.000 --> 00:02.000 align:start".
        let end = times
            .next()
            .and_then(|t| t.split_whitespace().next())
            .and_then(seconds);
        let (Some(start), Some(end)) = (start, end) else {
            continue;
        };
        let text = lines[timing + 1..]
            .iter()
            .map(|l| tags.replace_all(l.trim(), "").into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        cues.push(Cue { start, end, text });
    }
    cues
}

/// All spoken text of a transcript, one string.
pub fn transcript_text(vtt: &str) -> String {
    transcript_cues(vtt)
        .into_iter()
        .map(|c| c.text)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cues_and_text() {
        let vtt = "WEBVTT\n\nNOTE made by hand\n\n1\n00:00.000 --> 00:02.500\nHello <b>there</b>\n\n01:00:02.000 --> 01:00:04.000 align:start\nsecond line\n";
        let cues = transcript_cues(vtt);
        assert_eq!(cues.len(), 2);
        assert_eq!(
            cues[0],
            Cue {
                start: 0.0,
                end: 2.5,
                text: "Hello there".into()
            }
        );
        assert_eq!(cues[1].start, 3602.0);
        assert_eq!(transcript_text(vtt), "Hello there second line");
    }
}
