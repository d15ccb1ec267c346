//! The audio handed to a recogniser: a file on disk, streamed into the request as it is read —
//! raw for multipart uploads, base64 for DashScope's data URI — and never held whole in memory.

use std::path::Path;

use bytes::Bytes;
use futures::{Stream, TryStreamExt};
use tokio::fs::File;
use tokio::io::AsyncReadExt;

use crate::{Error, Result};

/// Bytes read per step: a multiple of 3, so the base64 of each step joins with the next without
/// padding in between.
const STEP: usize = 48 * 1024;

/// An audio file to recognise.
#[derive(Debug, Clone, Copy)]
pub struct Audio<'a> {
    pub path: &'a Path,
    /// MIME type for data URIs and uploads (`audio/ogg`).
    pub mime: &'a str,
    /// File name for multipart uploads (`chunk.ogg`: some servers judge the format by it).
    pub file_name: &'a str,
    /// Bytes to send: the file's length (exactly this many are read).
    pub len: u64,
}

impl Audio<'_> {
    /// Opens the file for one request, checking it holds `len` bytes: a missing or short file
    /// fails here, before anything is sent.
    pub(crate) async fn open(&self, provider: &'static str) -> Result<File> {
        let unreadable = |source| Error::Audio { provider, source };
        let file = File::open(self.path).await.map_err(unreadable)?;
        let on_disk = file.metadata().await.map_err(unreadable)?.len();
        if on_disk < self.len {
            return Err(unreadable(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "the file holds {on_disk} bytes, {} were announced",
                    self.len
                ),
            )));
        }
        Ok(file)
    }

    /// Length of the base64 of the audio.
    pub(crate) fn base64_len(&self) -> u64 {
        self.len.div_ceil(3) * 4
    }
}

/// The first `len` bytes of `file`, a step at a time.
pub(crate) fn raw(file: File, len: u64) -> impl Stream<Item = std::io::Result<Bytes>> + Send {
    futures::stream::try_unfold((file, len), |(mut file, left)| async move {
        if left == 0 {
            return Ok(None);
        }
        let step = usize::try_from(left).map_or(STEP, |left| left.min(STEP));
        let mut buffer = vec![0; step];
        file.read_exact(&mut buffer).await?;
        Ok(Some((Bytes::from(buffer), (file, left - step as u64))))
    })
}

/// The standard base64 of the first `len` bytes of `file`, encoded a step at a time.
pub(crate) fn base64(file: File, len: u64) -> impl Stream<Item = std::io::Result<Bytes>> + Send {
    use base64::Engine;
    raw(file, len)
        .map_ok(|chunk| Bytes::from(base64::engine::general_purpose::STANDARD.encode(chunk)))
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use futures::TryStreamExt;

    use super::*;

    async fn collect(stream: impl Stream<Item = std::io::Result<Bytes>>) -> Vec<u8> {
        stream
            .try_fold(Vec::new(), |mut all, chunk| async move {
                all.extend_from_slice(&chunk);
                Ok(all)
            })
            .await
            .expect("stream")
    }

    #[tokio::test]
    async fn streamed_base64_equals_the_base64_of_the_whole_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        for len in [0, 1, 2, 3, 4, STEP - 1, STEP, STEP + 1, 3 * STEP + 2] {
            let bytes: Vec<u8> = (0..len).map(|_| fastrand::u8(..)).collect();
            let path = dir.path().join(format!("{len}.ogg"));
            std::fs::write(&path, &bytes).expect("write");
            let audio = Audio {
                path: &path,
                mime: "audio/ogg",
                file_name: "a.ogg",
                len: len as u64,
            };
            let encoded = collect(base64(audio.open("test").await.expect("open"), audio.len)).await;
            let expected = base64::engine::general_purpose::STANDARD.encode(&bytes);
            assert_eq!(encoded, expected.as_bytes(), "length {len}");
            assert_eq!(audio.base64_len(), expected.len() as u64);
            let sent = collect(raw(audio.open("test").await.expect("open"), audio.len)).await;
            assert_eq!(sent, bytes);
        }
    }

    #[tokio::test]
    async fn a_short_or_missing_file_fails_before_sending() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("short.ogg");
        std::fs::write(&path, b"abc").expect("write");
        let short = Audio {
            path: &path,
            mime: "audio/ogg",
            file_name: "a.ogg",
            len: 4,
        };
        assert!(matches!(short.open("test").await, Err(Error::Audio { .. })));
        let missing = Audio {
            path: &dir.path().join("none.ogg"),
            ..short
        };
        assert!(matches!(
            missing.open("test").await,
            Err(Error::Audio { .. })
        ));
        let prefix = Audio { len: 2, ..short };
        let sent = collect(raw(prefix.open("test").await.expect("open"), prefix.len)).await;
        assert_eq!(sent, b"ab", "exactly the announced bytes are sent");
    }
}
