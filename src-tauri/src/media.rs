//! The `media` URI scheme: serves the files of installed packs (images, video, captions)
//! to the webview, with HTTP Range support so that video seeking works. A URL names the
//! pack and the file inside it: `media://localhost/<pack id>%2F<path>` (the UI builds it
//! with `convertFileSrc`).
//!
//! WebKitGTK's video player (GStreamer) does not read custom schemes, so videos are served
//! over loopback HTTP instead, by [`crate::stream`], with the same range handling.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::RangeInclusive;

use percent_encoding::percent_decode_str;
use studyhall_core::course::MediaLocation;
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

pub const SCHEME: &str = "media";

/// The most bytes one response carries: a player asking for "everything from here" gets
/// this much and asks again, so memory stays small however large the video.
const MAX_CHUNK: u64 = 4 * 1024 * 1024;

/// Handles one request on a worker thread, so reading a file never blocks the webview.
pub fn handle<R: Runtime>(
    context: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let app = context.app_handle().clone();
    std::thread::spawn(move || {
        let response = match serve(&app.state::<AppState>(), &request) {
            Ok(response) => response,
            Err(status) => plain(status),
        };
        responder.respond(response);
    });
}

fn serve(state: &AppState, request: &Request<Vec<u8>>) -> Result<Response<Vec<u8>>, StatusCode> {
    let (pack_id, path) = pack_and_path(request.uri().path()).ok_or(StatusCode::BAD_REQUEST)?;
    let location = state
        .with_studyhall(|studyhall| studyhall.media(&pack_id, &path))
        .map_err(|_| StatusCode::NOT_FOUND)?;
    let range = request
        .headers()
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok());
    match range {
        None => respond(&location, 0..=location.length.saturating_sub(1), false),
        Some(range) => {
            let wanted =
                byte_range(range, location.length).ok_or(StatusCode::RANGE_NOT_SATISFIABLE)?;
            respond(&location, wanted, true)
        }
    }
}

/// `/dwcp-fundamentals%2Fmedia%2Fclip.webm` → ("dwcp-fundamentals", "media/clip.webm").
pub(crate) fn pack_and_path(uri_path: &str) -> Option<(String, String)> {
    let decoded = percent_decode_str(uri_path.trim_start_matches('/'))
        .decode_utf8()
        .ok()?;
    let (pack, path) = decoded.split_once('/')?;
    (!pack.is_empty() && !path.is_empty()).then(|| (pack.to_owned(), path.to_owned()))
}

/// The first range of a `Range: bytes=…` header, clamped to [`MAX_CHUNK`] bytes; `None`
/// when it cannot be satisfied.
fn byte_range(header: &str, length: u64) -> Option<RangeInclusive<u64>> {
    let (start, end) = requested_range(header, length)?.into_inner();
    Some(start..=end.min(start.saturating_add(MAX_CHUNK - 1)))
}

/// The first range of a `Range: bytes=…` header as asked; `None` when it cannot be
/// satisfied.
pub(crate) fn requested_range(header: &str, length: u64) -> Option<RangeInclusive<u64>> {
    let ranges = http_range_header::parse_range_header(header)
        .ok()?
        .validate(length)
        .ok()?;
    ranges.into_iter().next()
}

fn respond(
    location: &MediaLocation,
    range: RangeInclusive<u64>,
    partial: bool,
) -> Result<Response<Vec<u8>>, StatusCode> {
    let body = if location.length == 0 {
        Vec::new()
    } else {
        read(location, &range).map_err(|error| {
            tracing::warn!(file = %location.file.display(), "could not read media: {error}");
            StatusCode::INTERNAL_SERVER_ERROR
        })?
    };
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, location.mime)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_LENGTH, body.len())
        .header(header::CACHE_CONTROL, "no-cache")
        // The UI's origin differs from this scheme's; captions (<track>) load only with CORS.
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    builder = if partial {
        builder.status(StatusCode::PARTIAL_CONTENT).header(
            header::CONTENT_RANGE,
            format!(
                "bytes {}-{}/{}",
                range.start(),
                range.end(),
                location.length
            ),
        )
    } else {
        builder.status(StatusCode::OK)
    };
    builder
        .body(body)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

fn read(location: &MediaLocation, range: &RangeInclusive<u64>) -> std::io::Result<Vec<u8>> {
    let mut file = File::open(&location.file)?;
    file.seek(SeekFrom::Start(location.offset + range.start()))?;
    let length = range.end() - range.start() + 1;
    let mut body = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
    file.take(length).read_to_end(&mut body)?;
    if (body.len() as u64) < length {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the file is shorter than the pack says",
        ));
    }
    Ok(body)
}

fn plain(status: StatusCode) -> Response<Vec<u8>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pack_and_path_from_the_url() {
        assert_eq!(
            pack_and_path("/dwcp-fundamentals%2Fmedia%2Fraft%20tour.webm"),
            Some(("dwcp-fundamentals".into(), "media/raft tour.webm".into()))
        );
        assert_eq!(pack_and_path("/only-a-pack"), None);
        assert_eq!(pack_and_path("/%2Fmedia%2Fx.png"), None);
    }

    #[test]
    fn ranges_are_clamped_and_validated() {
        assert_eq!(byte_range("bytes=0-99", 1000), Some(0..=99));
        assert_eq!(byte_range("bytes=900-", 1000), Some(900..=999));
        assert_eq!(byte_range("bytes=-100", 1000), Some(900..=999));
        assert_eq!(
            byte_range("bytes=0-", 100 * 1024 * 1024),
            Some(0..=MAX_CHUNK - 1)
        );
        assert_eq!(byte_range("bytes=1000-1001", 1000), None);
        assert_eq!(byte_range("lines=1-2", 1000), None);
    }

    #[test]
    fn serves_exactly_the_bytes_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pack.shpack");
        std::fs::write(&file, b"zip-headerHELLO, WORLDtrailer").unwrap();
        let location = MediaLocation {
            file,
            offset: 10,
            length: 12,
            mime: "text/plain",
        };
        let response = respond(&location, 7..=11, true).unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(response.body(), b"WORLD");
        assert_eq!(response.headers()[header::CONTENT_RANGE], "bytes 7-11/12");
        let whole = respond(&location, 0..=11, false).unwrap();
        assert_eq!(whole.body(), b"HELLO, WORLD");
    }
}
