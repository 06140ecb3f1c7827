//! The pack catalogue (DESIGN §7): authors publish course (`.shpack`) and exam
//! (`.shexam`) packs; every signed-in role lists them and downloads them, resumably.
//!
//! Promises:
//! - A pack is stored only after studyhall-core verified it against the publisher keys
//!   in the publisher folder (read at each publish): a course pack's signature and every
//!   file's hash, an exam pack's signature and its encrypted bank's hash. A refusal is a
//!   422 with the core's reason.
//! - A published id and version never change: the same bytes again are a 200 with the
//!   first record, other bytes a 409.
//! - Downloads carry `ETag: "<sha256>"` and honour `If-None-Match` (304) and a single
//!   `Range: bytes=…` (206, or 416 outside the file); only the range's bytes are
//!   fetched from the database.

use std::io::{Cursor, Write as _};
use std::path::Path;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path as UrlPath, State};
use axum::http::header::{
    ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_NONE_MATCH, IF_RANGE,
    RANGE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use studyhall_core::exam::pack::{BANK_ENTRY, open_exam};
use studyhall_core::pack::{self, PackError, PackLimits, Quiet};
use studyhall_signing::TrustStore;

use super::Json;
use crate::app::AppState;
use crate::auth::{Authorized, Policy, SignedIn};
use crate::error::{ApiError, ErrorBody};
use crate::store::{PackKind, PackRecord, Role, StoredPack};

/// Authors and admins publish packs.
#[derive(Debug)]
pub struct AuthorOrAdmin;
impl Policy for AuthorOrAdmin {
    const ROLES: &'static [Role] = &[Role::Author, Role::Admin];
}

/// Publishes a signed pack file.
#[utoipa::path(post, path = "/v1/packs", tag = "packs",
    security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "the pack file (.shpack course or .shexam exam) as it was built"),
    responses(
        (status = 201, description = "verified and published", body = PackRecord),
        (status = 200, description = "published before with the same bytes; nothing changed", body = PackRecord),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only authors and admins", body = ErrorBody),
        (status = 409, description = "this id and version is published with other bytes", body = ErrorBody),
        (status = 413, description = "larger than max_pack_bytes", body = ErrorBody),
        (status = 422, description = "the pack does not verify; the message says why", body = ErrorBody),
    ))]
pub async fn publish_pack(
    State(state): State<AppState>,
    caller: Authorized<AuthorOrAdmin>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<PackRecord>), ApiError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PackTooLarge {
                limit: state.max_pack_bytes,
            }
        } else {
            ApiError::InvalidRequest(rejection.body_text())
        }
    })?;
    if bytes.is_empty() {
        return Err(ApiError::InvalidRequest(
            "send the pack file as the request body (content-type application/octet-stream)"
                .to_owned(),
        ));
    }
    let publisher_dir = state.publisher_dir.clone();
    let checked = bytes.clone();
    let verified = tokio::task::spawn_blocking(move || verify_pack(&checked, &publisher_dir))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "verifying a pack failed");
            ApiError::Internal
        })??;
    let record = PackRecord {
        id: verified.id,
        version: verified.version,
        kind: verified.kind,
        title: verified.title,
        size: bytes.len() as u64,
        sha256: studyhall_signing::hash::sha256(&bytes).to_hex(),
        published_by: caller.account.id,
        published_at: state.now(),
    };
    let (status, stored) = match state.store.publish_pack(record, bytes.to_vec()).await? {
        StoredPack::New(stored) => (StatusCode::CREATED, stored),
        StoredPack::Duplicate(stored) => (StatusCode::OK, stored),
    };
    tracing::info!(
        pack = %stored.id,
        version = %stored.version,
        kind = stored.kind.as_str(),
        new = status == StatusCode::CREATED,
        "pack published"
    );
    Ok((status, Json(stored)))
}

/// The catalogue: every published pack, newest first.
#[utoipa::path(get, path = "/v1/packs", tag = "packs",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<PackRecord>),
        (status = 401, body = ErrorBody),
    ))]
pub async fn list_packs(
    State(state): State<AppState>,
    _caller: Authorized<SignedIn>,
) -> Result<Json<Vec<PackRecord>>, ApiError> {
    Ok(Json(state.store.packs().await?))
}

/// Downloads a pack file, whole or one byte range of it.
#[utoipa::path(get, path = "/v1/packs/{id}/{version}/file", tag = "packs",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "the pack's id"),
        ("version" = String, Path, description = "the pack's version"),
        ("Range" = Option<String>, Header, description = "one range, `bytes=FIRST-LAST`, `bytes=FIRST-` or `bytes=-SUFFIX`"),
        ("If-None-Match" = Option<String>, Header, description = "the ETag held; 304 when it is current"),
        ("If-Range" = Option<String>, Header, description = "the ETag of the part held; the range is sent only when it is current, else the whole file"),
    ),
    responses(
        (status = 200, description = "the whole file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "the range asked for", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 304, description = "the ETag sent is current"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 416, description = "the range starts beyond the file", body = ErrorBody),
    ))]
pub async fn download_pack(
    State(state): State<AppState>,
    _caller: Authorized<SignedIn>,
    UrlPath((id, version)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("no pack {id} {version} is published here"));
    let pack = state
        .store
        .pack(&id, &version)
        .await?
        .ok_or_else(not_found)?;
    let etag = format!("\"{}\"", pack.sha256);
    let etag_value = HeaderValue::from_str(&etag).map_err(|_| ApiError::Internal)?;
    if headers
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|held| matches_etag(held, &etag))
    {
        return Ok((StatusCode::NOT_MODIFIED, [(ETAG, etag_value)]).into_response());
    }
    // A resumed download names the file its first part came from (RFC 9110 §13.1.5: a
    // strong ETag match, else the whole file).
    let range_applies = headers
        .get(IF_RANGE)
        .is_none_or(|held| held.to_str().is_ok_and(|held| held.trim() == etag));
    let range = headers
        .get(RANGE)
        .filter(|_| range_applies)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| parse_range(text, pack.size))
        .transpose();
    let (status, offset, length) = match range {
        Ok(None) => (StatusCode::OK, 0, pack.size),
        Ok(Some((first, last))) => (StatusCode::PARTIAL_CONTENT, first, last - first + 1),
        Err(Unsatisfiable) => {
            let mut response = ApiError::RangeNotSatisfiable { size: pack.size }.into_response();
            response.headers_mut().insert(
                CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{}", pack.size))
                    .map_err(|_| ApiError::Internal)?,
            );
            return Ok(response);
        }
    };
    let bytes = state
        .store
        .pack_bytes(&id, &version, offset, length)
        .await?
        .ok_or_else(not_found)?;
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(ETAG, etag_value);
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    if status == StatusCode::PARTIAL_CONTENT {
        headers.insert(
            CONTENT_RANGE,
            HeaderValue::from_str(&format!(
                "bytes {offset}-{}/{}",
                offset + length - 1,
                pack.size
            ))
            .map_err(|_| ApiError::Internal)?,
        );
    }
    Ok(response)
}

/// Whether an `If-None-Match` value names `etag` (or is `*`).
fn matches_etag(held: &str, etag: &str) -> bool {
    held.split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

/// A range that starts beyond the file.
#[derive(Debug, PartialEq, Eq)]
struct Unsatisfiable;

/// The first and last byte of a single `bytes=` range within a file of `size` bytes.
/// `None` when the header is not one well-formed byte range (it is then ignored and
/// the whole file sent, as RFC 9110 allows).
fn parse_range(header: &str, size: u64) -> Option<Result<(u64, u64), Unsatisfiable>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        let suffix: u64 = last.parse().ok()?;
        if suffix == 0 || size == 0 {
            return Some(Err(Unsatisfiable));
        }
        return Some(Ok((size.saturating_sub(suffix), size - 1)));
    }
    let first: u64 = first.parse().ok()?;
    let last: Option<u64> = if last.is_empty() {
        None
    } else {
        Some(last.parse().ok()?)
    };
    if last.is_some_and(|last| last < first) {
        return None;
    }
    if first >= size {
        return Some(Err(Unsatisfiable));
    }
    let last = last.map_or(size - 1, |last| last.min(size - 1));
    Some(Ok((first, last)))
}

/// What verification learnt about a pack.
#[derive(Debug)]
struct VerifiedPack {
    id: String,
    version: String,
    kind: PackKind,
    title: String,
}

/// Verifies `bytes` as a course or exam pack with studyhall-core, against the publisher
/// keys in `publisher_dir`. Blocking: reads files and hashes the whole pack.
fn verify_pack(bytes: &[u8], publisher_dir: &Path) -> Result<VerifiedPack, ApiError> {
    let trust = TrustStore::from_dir(publisher_dir).map_err(|error| {
        tracing::error!(%error, "reading the publisher keys");
        ApiError::Internal
    })?;
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
        ApiError::InvalidPack(
            "it is not a Studyhall pack (not a zip archive); send the .shpack or .shexam file \
             as it was built"
                .to_owned(),
        )
    })?;
    let kind = if archive.index_for_name(BANK_ENTRY).is_some() {
        PackKind::Exam
    } else {
        PackKind::Course
    };
    // The core reads packs from files: check a private copy of exactly these bytes.
    let internal = |error: std::io::Error| {
        tracing::error!(%error, "writing a pack to check it");
        ApiError::Internal
    };
    let mut file = tempfile::Builder::new()
        .prefix("studyhall-publish-")
        .tempfile()
        .map_err(internal)?;
    file.write_all(bytes).map_err(internal)?;
    file.flush().map_err(internal)?;
    let path = file.path();
    let refused = |error: PackError| {
        // The core names the file; here it is a temporary copy, not the sender's.
        let message = error
            .to_string()
            .replace(&path.display().to_string(), "the pack");
        ApiError::InvalidPack(message)
    };
    match kind {
        PackKind::Course => {
            let contents = pack::open(path, &trust, &PackLimits::default())
                .and_then(|reader| reader.read_all(None, None, &Quiet))
                .map_err(refused)?;
            let manifest = contents.manifest;
            Ok(VerifiedPack {
                id: manifest.id,
                version: manifest.version.to_string(),
                kind,
                title: manifest.title,
            })
        }
        PackKind::Exam => {
            let manifest = open_exam(path, &trust).map_err(refused)?.manifest;
            Ok(VerifiedPack {
                id: manifest.id,
                version: manifest.version.to_string(),
                kind,
                title: manifest.title,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_clamped_and_checked() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=90-500", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=-500", 100), Some(Ok((0, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(Unsatisfiable)));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("bytes=9-1", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }

    #[test]
    fn etags_match_in_lists_and_as_a_star() {
        assert!(matches_etag("\"ab\"", "\"ab\""));
        assert!(matches_etag("\"x\", W/\"ab\"", "\"ab\""));
        assert!(matches_etag("*", "\"ab\""));
        assert!(!matches_etag("\"abc\"", "\"ab\""));
    }
}
