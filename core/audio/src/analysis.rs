//! Measuring a file before anything is billed or sent: its exact (decoded) length, its pauses,
//! whether it is silent, and what its container claims. A voice note (Ogg/Opus) no longer than
//! one chunk is measured in process without any subprocess; everything else is probed and
//! decoded once by ffmpeg. The result feeds [`crate::plan`].

use std::path::Path;

use tokio_util::sync::CancellationToken;

use crate::decode;
use crate::error::{Error, Result};
use crate::levels::{Levels, Silence};
use crate::limits::Limits;
use crate::ogg_opus;
use crate::probe::{self, Probe};

/// A claim and a measurement agree when they differ by at most this many seconds…
const AGREE_SECONDS: f64 = 0.5;
/// …or this share of the length.
const AGREE_SHARE: f64 = 0.02;
/// A note is silent when the encoder marked at most this share of it as sound.
const ACTIVE_SHARE: f64 = 0.03;

/// What one measurement of a file tells.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// What the container says.
    pub probe: Probe,
    /// The decoded length, seconds: what is billed, whatever the container claims.
    pub seconds: f64,
    /// Pauses, seconds from the start. Empty when not searched: a note shorter than one chunk
    /// needs none (see [`analyse`]).
    pub silences: Vec<Silence>,
    /// Nothing to recognise: pauses cover (nearly) all of it, or, for a note measured in
    /// process, its encoder marked (nearly) none of it as sound.
    pub silent: bool,
    /// Frame levels of the decode, when there was one.
    pub(crate) levels: Option<Levels>,
}

impl Analysis {
    /// The container's claimed length agrees with the decoded one. A file that lies about its
    /// length is never passed through or stream-copied: its audio is re-encoded from what the
    /// decoder produced.
    pub fn claims_agree(&self) -> bool {
        self.probe
            .claimed_seconds
            .is_some_and(|claimed| agree(claimed, self.seconds))
    }

    /// True when there is nothing to recognise.
    pub fn is_silent(&self) -> bool {
        self.silent
    }
}

/// A claimed length agrees with a measured one.
fn agree(claimed: f64, measured: f64) -> bool {
    (claimed - measured).abs() <= AGREE_SECONDS.max(measured * AGREE_SHARE)
}

/// Measures `input` as cheaply as is exact: an Ogg/Opus file no longer than
/// [`Limits::chunk_seconds`] whose last granule position agrees with its packets is read in
/// process (length from its packets, silence from its encoder's voice-activity flags; no
/// pauses needed, no subprocess). Anything else goes through [`analyse_fully`] — a lying Ogg
/// file too, so that what is billed is exactly what ffmpeg's decoder, which makes the chunks,
/// produces from it.
///
/// Fails with [`Error::TooLong`] past [`Limits::max_seconds`], [`Error::Undecodable`] for
/// anything that is not media in an accepted format (playlists and scripts included),
/// [`Error::NoAudio`] without an audio stream.
pub async fn analyse(
    input: &Path,
    limits: &Limits,
    cancel: &CancellationToken,
) -> Result<Analysis> {
    if let Some(note) = ogg_opus::read(input, limits.max_seconds).await?
        && note.seconds <= limits.chunk_seconds
        && note.seconds > 0.0
        && agree(note.claimed_seconds, note.seconds)
    {
        let file_bytes = tokio::fs::metadata(input).await.map_err(Error::Io)?.len();
        return Ok(Analysis {
            probe: Probe {
                format: "ogg".to_owned(),
                audio_codec: "opus".to_owned(),
                claimed_seconds: Some(note.claimed_seconds),
                audio_bit_rate: None,
                has_video: false,
                file_bytes,
            },
            seconds: note.seconds,
            silences: Vec::new(),
            silent: note.active_seconds <= note.seconds * ACTIVE_SHARE,
            levels: None,
        });
    }
    analyse_fully(input, limits, cancel).await
}

/// Probes `input` and decodes all of it once (both at the same time): exact length, pauses
/// and levels (what subtitles need), whatever its format and length.
pub async fn analyse_fully(
    input: &Path,
    limits: &Limits,
    cancel: &CancellationToken,
) -> Result<Analysis> {
    let (probe, levels) = tokio::join!(
        probe::probe(input, limits, cancel),
        decode::decode(input, limits, cancel)
    );
    // The probe's verdict first: it tells "no audio track" from "not media".
    let probe = probe?;
    let levels = levels?;
    Ok(Analysis {
        probe,
        seconds: levels.seconds(),
        silences: levels.pauses(),
        silent: levels.is_silent(),
        levels: Some(levels),
    })
}
