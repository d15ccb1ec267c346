//! An Ogg/Opus file measured in process (RFC 7845): its exact length from the packets — each
//! packet's TOC byte gives its samples; the pre-skip is subtracted and the end trimmed only as
//! far as the last page may trim — the length its last granule position claims, and how much
//! of it the encoder marked as sound. A lying granule changes the claim, never the length.
//! Files this reader does not fully understand are left to ffmpeg (`Ok(None)`).

use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::ogg::{Packets, ReadError};
use crate::opus::{self, PacketInfo};

/// What the packets of an Ogg/Opus file say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OpusStream {
    /// Decoded length, seconds.
    pub(crate) seconds: f64,
    /// The length the last granule position claims, seconds (may be anything).
    pub(crate) claimed_seconds: f64,
    /// Seconds the encoder marked as sound.
    pub(crate) active_seconds: f64,
}

/// Reads `path` as Ogg/Opus on a blocking thread. `Ok(None)`: not a plain Ogg/Opus file.
/// Stops with [`Error::TooLong`] as soon as the packets pass `max_seconds`.
pub(crate) async fn read(path: &Path, max_seconds: f64) -> Result<Option<OpusStream>> {
    let path: PathBuf = path.to_owned();
    tokio::task::spawn_blocking(move || read_file(&path, max_seconds))
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))?
}

fn read_file(path: &Path, max_seconds: f64) -> Result<Option<OpusStream>> {
    let file = std::fs::File::open(path).map_err(Error::Io)?;
    match measure(BufReader::with_capacity(64 * 1024, file), max_seconds) {
        Ok(stream) => Ok(Some(stream)),
        Err(Measure::NotOpus) => Ok(None),
        Err(Measure::TooLong) => Err(Error::TooLong {
            limit_seconds: max_seconds.max(0.0).floor() as u64,
        }),
        Err(Measure::Io(e)) => Err(Error::Io(e)),
    }
}

enum Measure {
    NotOpus,
    TooLong,
    Io(std::io::Error),
}

impl From<ReadError> for Measure {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Malformed => Measure::NotOpus,
            ReadError::Io(e) => Measure::Io(e),
        }
    }
}

fn measure(reader: impl std::io::Read, max_seconds: f64) -> Result<OpusStream, Measure> {
    let mut packets = Packets::new(reader);
    let head = packets.next_packet()?.ok_or(Measure::NotOpus)?;
    // OpusHead: magic, version 1, channels, pre-skip (RFC 7845 §5.1); one page of its own.
    let d = &head.data;
    if d.len() < 19 || &d[..8] != b"OpusHead" || d[8] >> 4 != 0 || d[9] == 0 {
        return Err(Measure::NotOpus);
    }
    let pre_skip = i64::from(u16::from_le_bytes([d[10], d[11]]));
    let tags = packets.next_packet()?.ok_or(Measure::NotOpus)?;
    if !tags.data.starts_with(b"OpusTags") || tags.page == head.page {
        return Err(Measure::NotOpus);
    }
    let max_samples = (max_seconds.max(0.0) * f64::from(opus::RATE)) as i64 + pre_skip;
    let (mut total, mut active) = (0i64, 0i64);
    // Samples at the end of the last page that completed a packet, and of the page before.
    let (mut page, mut page_end, mut before_page) = (tags.page, 0i64, 0i64);
    let (mut last_granule, mut eos) = (-1i64, false);
    while let Some(p) = packets.next_packet()? {
        let PacketInfo { samples, active: a } = opus::packet(&p.data).ok_or(Measure::NotOpus)?;
        if p.page != page {
            before_page = page_end;
            page = p.page;
        }
        total += i64::from(samples);
        active += i64::from(a);
        page_end = total;
        last_granule = p.page_granule;
        eos = p.page_eos;
        if total > max_samples {
            return Err(Measure::TooLong);
        }
    }
    if total == 0 {
        return Err(Measure::NotOpus);
    }
    // The last page may end the stream before its last packet does (RFC 7845 §4.4), by less
    // than the samples that page completes; a granule outside that range trims nothing.
    let trim = page_end - last_granule;
    let trim = if eos && trim > 0 && trim < page_end - before_page {
        trim
    } else {
        0
    };
    let rate = f64::from(opus::RATE);
    let exact = (total - trim - pre_skip).max(0);
    Ok(OpusStream {
        seconds: exact as f64 / rate,
        claimed_seconds: (last_granule - pre_skip).max(0) as f64 / rate,
        active_seconds: active.min(exact) as f64 / rate,
    })
}
