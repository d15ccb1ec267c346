//! The bounds of the audio work for one job: the longest audio accepted, the recogniser's
//! per-request limits, and how long a tool may run.

use std::time::Duration;

/// Bounds every function of the crate respects. [`Limits::default`] matches the settings'
/// defaults (`MAX_AUDIO_SECONDS`, `ASR_CHUNK_SECONDS`, `ASR_MAX_REQUEST_BYTES`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Longest audio accepted, seconds of decoded audio: decoding stops there.
    pub max_seconds: f64,
    /// Longest chunk one recognition request may carry, seconds.
    pub chunk_seconds: f64,
    /// Largest recognition request body, bytes; the audio goes in as a base64 data URI.
    pub max_request_bytes: u64,
    /// Wall-clock time any tool run gets, whatever the audio's length.
    pub base_timeout: Duration,
    /// Plus this much per second of audio the run handles (20× slower than real time is the
    /// slowest decode we wait for at 50 ms).
    pub timeout_per_audio_second: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_seconds: 4.0 * 3600.0,
            chunk_seconds: 180.0,
            max_request_bytes: 10 * 1024 * 1024,
            base_timeout: Duration::from_secs(30),
            timeout_per_audio_second: Duration::from_millis(50),
        }
    }
}

/// Room kept in a request body for everything but the audio: JSON, model, parameters, the
/// data-URI prefix, a context prompt.
const REQUEST_OVERHEAD_BYTES: u64 = 64 * 1024;

impl Limits {
    /// The wall-clock limit of a run handling `audio_seconds` of audio.
    pub fn timeout(&self, audio_seconds: f64) -> Duration {
        let seconds = audio_seconds.clamp(0.0, self.max_seconds.max(0.0));
        self.base_timeout + self.timeout_per_audio_second.mul_f64(seconds)
    }

    /// Largest audio file one request can carry: base64 turns 3 bytes into 4.
    pub fn max_chunk_bytes(&self) -> u64 {
        self.max_request_bytes
            .saturating_sub(REQUEST_OVERHEAD_BYTES)
            / 4
            * 3
    }

    pub(crate) fn max_whole_seconds(&self) -> u64 {
        // Seconds are at most a few days: the float fits.
        self.max_seconds.max(0.0).floor() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeout_grows_with_the_length_up_to_the_longest_audio() {
        let limits = Limits::default();
        assert_eq!(limits.timeout(0.0), Duration::from_secs(30));
        assert_eq!(limits.timeout(600.0), Duration::from_secs(60));
        assert_eq!(limits.timeout(1e9), limits.timeout(limits.max_seconds));
    }

    #[test]
    fn a_chunk_fits_the_request_as_base64() {
        let limits = Limits::default();
        let raw = limits.max_chunk_bytes();
        assert!(raw.div_ceil(3) * 4 + REQUEST_OVERHEAD_BYTES <= limits.max_request_bytes);
        assert!(raw > 7_000_000);
    }
}
