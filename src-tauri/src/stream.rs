//! Video over loopback HTTP. WebKitGTK plays `<video>` through GStreamer, which reads
//! http(s) but not an app's custom schemes, so the shell serves pack media on
//! `http://127.0.0.1:<random port>/<random token>/<pack id>%2F<path>`, with HTTP Range
//! (seeking), streamed from the pack without loading the file into memory.
//!
//! Only this machine can connect, and only with the token, which is made afresh at every
//! start and handed to the UI alone: a web page in a browser cannot guess the URLs.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

use tauri::{AppHandle, Manager};
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

use crate::media::{pack_and_path, requested_range};
use crate::state::AppState;

/// Worker threads answering requests (a player keeps one or two open at a time).
const WORKERS: usize = 4;

/// The running server's base URL, managed as app state.
#[derive(Debug)]
pub struct StreamServer {
    base_url: String,
}

impl StreamServer {
    /// Binds a free loopback port and starts the workers; `None` (logged) if the port
    /// cannot be bound, in which case videos cannot play but everything else works.
    pub fn start(app: &AppHandle) -> Option<StreamServer> {
        let server = match Server::http("127.0.0.1:0") {
            Ok(server) => Arc::new(server),
            Err(error) => {
                tracing::error!("videos cannot play: no loopback port for them: {error}");
                return None;
            }
        };
        let port = server.server_addr().to_ip().map(|a| a.port())?;
        let token = uuid::Uuid::new_v4().simple().to_string();
        for worker in 0..WORKERS {
            let server = Arc::clone(&server);
            let app = app.clone();
            let token = token.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("media-stream-{worker}"))
                .spawn(move || {
                    for request in server.incoming_requests() {
                        answer(&app, &token, request);
                    }
                });
            if let Err(error) = spawned {
                tracing::error!("could not start a media stream worker: {error}");
            }
        }
        Some(StreamServer {
            base_url: format!("http://127.0.0.1:{port}/{token}/"),
        })
    }

    /// The URL of a pack file.
    pub fn url(&self, pack_id: &str, path: &str) -> String {
        let name = format!("{pack_id}/{path}");
        let encoded =
            percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC);
        format!("{}{encoded}", self.base_url)
    }
}

fn answer(app: &AppHandle, token: &str, request: Request) {
    let outcome = respond(app, token, &request);
    let result = match outcome {
        Ok(response) => request.respond(response),
        Err(status) => request.respond(Response::empty(status)),
    };
    if let Err(error) = result {
        // The player closed the connection (it seeks by opening another): expected.
        tracing::debug!("media stream response not completed: {error}");
    }
}

fn respond(
    app: &AppHandle,
    token: &str,
    request: &Request,
) -> Result<Response<std::io::Take<File>>, StatusCode> {
    if !matches!(request.method(), Method::Get | Method::Head) {
        return Err(StatusCode(405));
    }
    let rest = request
        .url()
        .strip_prefix('/')
        .and_then(|url| url.strip_prefix(token))
        .ok_or(StatusCode(404))?;
    let (pack_id, path) = pack_and_path(rest).ok_or(StatusCode(400))?;
    let location = app
        .state::<AppState>()
        .with_studyhall(|studyhall| studyhall.media(&pack_id, &path))
        .map_err(|_| StatusCode(404))?;
    let range = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Range"))
        .map(|h| h.value.as_str().to_owned());
    let (status, start, end) = match range {
        None => (200, 0, location.length.saturating_sub(1)),
        Some(range) => {
            let wanted = requested_range(&range, location.length).ok_or(StatusCode(416))?;
            (206, *wanted.start(), *wanted.end())
        }
    };
    let length = if location.length == 0 {
        0
    } else {
        end - start + 1
    };
    let mut file = File::open(&location.file).map_err(|_| StatusCode(500))?;
    file.seek(SeekFrom::Start(location.offset + start))
        .map_err(|_| StatusCode(500))?;
    let mut headers = vec![
        header("Content-Type", location.mime),
        header("Accept-Ranges", "bytes"),
        header("Cache-Control", "no-cache"),
    ];
    if status == 206 {
        headers.push(header(
            "Content-Range",
            &format!("bytes {start}-{end}/{}", location.length),
        ));
    }
    let length_usize = usize::try_from(length).map_err(|_| StatusCode(500))?;
    Ok(Response::new(
        StatusCode(status),
        headers.into_iter().flatten().collect(),
        file.take(length),
        Some(length_usize),
        None,
    ))
}

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}
