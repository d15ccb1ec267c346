//! `getFile` and the file download route.

use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Failure;
use super::error::TgError;
use super::method::Answer;
use super::params::Params;
use super::state::{Shared, StoredFile};

/// The cloud Bot API refuses `getFile` above this size.
const CLOUD_DOWNLOAD_LIMIT: u64 = 20 * 1024 * 1024;

/// The failure-queue key of the download route.
pub(crate) const DOWNLOAD_KEY: &str = "download";

fn wrong_file() -> TgError {
    TgError::bad_request("wrong file identifier/HTTP URL specified")
}

pub(crate) async fn get_file(shared: &Shared, params: &Params) -> Result<Answer, TgError> {
    let file_id = params.text("file_id").unwrap_or_default();
    let file = shared
        .book()
        .files
        .get(&file_id)
        .cloned()
        .ok_or_else(wrong_file)?;
    let file_path = match &shared.local_dir {
        None => {
            if file.size > CLOUD_DOWNLOAD_LIMIT {
                return Err(TgError::bad_request("file is too big"));
            }
            file.path.clone()
        }
        Some(dir) => {
            let path = materialise(dir, &file).await.map_err(TgError::internal)?;
            shared.book().downloads.push(path.clone());
            path
        }
    };
    Ok(json!({
        "file_id": file_id,
        "file_unique_id": file.unique_id,
        "file_size": file.size,
        "file_path": file_path,
    })
    .into())
}

/// Writes `file` under `dir` like a local Bot API server downloading it; returns the absolute
/// path. A size-only file becomes a sparse file of that size.
async fn materialise(dir: &std::path::Path, file: &StoredFile) -> std::io::Result<String> {
    let target = dir.join(&file.path);
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    match &file.bytes {
        Some(bytes) => tokio::fs::write(&target, bytes).await?,
        None => {
            tokio::fs::File::create(&target)
                .await?
                .set_len(file.size)
                .await?
        }
    }
    let absolute = tokio::fs::canonicalize(&target).await?;
    Ok(absolute.to_string_lossy().into_owned())
}

/// `GET /file/bot<token>/<file_path>`; `rest` is what follows `/file/bot`.
pub(crate) fn download(shared: &Shared, rest: &str) -> Response {
    let Some((token, path)) = rest.split_once('/') else {
        return TgError::not_found().into_response();
    };
    if token != shared.token {
        return TgError::unauthorized().into_response();
    }
    let failure = shared
        .book()
        .failures
        .get_mut(DOWNLOAD_KEY)
        .and_then(std::collections::VecDeque::pop_front);
    match failure {
        None => {}
        Some(Failure::TooManyRequests { retry_after }) => {
            return TgError::too_many_requests(retry_after).into_response();
        }
        Some(Failure::Status { code, description }) => {
            return TgError::new(code, description).into_response();
        }
    }
    let bytes = {
        let mut book = shared.book();
        book.downloads.push(path.to_owned());
        book.paths
            .get(path)
            .and_then(|file_id| book.files.get(file_id))
            .and_then(|file| file.bytes.clone())
    };
    match bytes {
        Some(bytes) => (
            [(axum::http::header::CONTENT_TYPE, "application/octet-stream")],
            bytes,
        )
            .into_response(),
        None => TgError::not_found().into_response(),
    }
}
