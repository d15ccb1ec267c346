//! Loudness of decoded audio, measured in process as the PCM streams by: the peak of every 10 ms
//! frame, from which pauses (quieter than -35 dBFS for at least 0.3 s, as ffmpeg's
//! `silencedetect` would say) and the quiet dips inside speech are read. Samples are counted
//! exactly, so the length is what the decoder produced, whatever the container claims.

/// Sample rate of the analysis PCM (mono, signed 16-bit little-endian).
pub(crate) const RATE: u32 = 16_000;
/// Samples per level frame: 10 ms.
const FRAME: u32 = RATE / 100;
/// Peak amplitude below which a frame is quiet: -35 dBFS of 32768.
pub(crate) const QUIET_PEAK: u16 = 583;
/// Shortest pause, in frames: 0.3 s.
const PAUSE_FRAMES: usize = 30;
/// A file is silent when pauses cover at least this share of it.
const SILENT_SHARE: f64 = 0.97;

/// A pause in seconds from the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Silence {
    pub start: f64,
    pub end: f64,
}

impl Silence {
    pub fn seconds(&self) -> f64 {
        self.end - self.start
    }
}

/// Per-frame peaks of a whole decode, and the exact number of samples.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Levels {
    peaks: Vec<u16>,
    samples: u64,
    /// Peak of the frame being filled.
    open_peak: u16,
    /// A byte of a sample split between two reads.
    carry: Option<u8>,
}

impl Levels {
    /// Takes the next bytes of s16le PCM.
    pub(crate) fn push(&mut self, mut bytes: &[u8]) {
        if let Some(low) = self.carry.take()
            && let Some((&high, rest)) = bytes.split_first()
        {
            self.sample(i16::from_le_bytes([low, high]));
            bytes = rest;
        }
        let mut pairs = bytes.chunks_exact(2);
        for pair in &mut pairs {
            self.sample(i16::from_le_bytes([pair[0], pair[1]]));
        }
        self.carry = pairs.remainder().first().copied();
    }

    fn sample(&mut self, s: i16) {
        self.open_peak = self.open_peak.max(s.unsigned_abs());
        self.samples += 1;
        if self.samples.is_multiple_of(u64::from(FRAME)) {
            self.peaks.push(self.open_peak);
            self.open_peak = 0;
        }
    }

    /// Seconds of audio pushed so far.
    pub(crate) fn seconds(&self) -> f64 {
        self.samples as f64 / f64::from(RATE)
    }

    /// Closes the last, partial frame.
    pub(crate) fn finish(mut self) -> Self {
        if !self.samples.is_multiple_of(u64::from(FRAME)) {
            self.peaks.push(self.open_peak);
            self.open_peak = 0;
        }
        self
    }

    /// Where frame `i` starts, seconds; the end of the audio for the frame after the last.
    fn at(&self, frame: usize) -> f64 {
        ((frame as u64 * u64::from(FRAME)) as f64 / f64::from(RATE)).min(self.seconds())
    }

    /// Runs of quiet frames at least `min_frames` long.
    fn quiet_runs(&self, min_frames: usize) -> Vec<(usize, usize)> {
        let mut runs = Vec::new();
        let mut open: Option<usize> = None;
        for (i, &peak) in self.peaks.iter().chain([&u16::MAX]).enumerate() {
            match (peak < QUIET_PEAK, open) {
                (true, None) => open = Some(i),
                (false, Some(start)) => {
                    if i - start >= min_frames {
                        runs.push((start, i));
                    }
                    open = None;
                }
                _ => {}
            }
        }
        runs
    }

    /// The pauses: at least 0.3 s below -35 dBFS.
    pub(crate) fn pauses(&self) -> Vec<Silence> {
        self.quiet_runs(PAUSE_FRAMES)
            .into_iter()
            .map(|(a, b)| Silence {
                start: self.at(a),
                end: self.at(b),
            })
            .collect()
    }

    /// The quietest stretch inside `(start, end)` seconds: the longest run of quiet frames, or,
    /// with none, the single frame with the lowest peak. `None` when the stretch is a frame or
    /// less. The result is a moment to cut at, strictly inside the stretch.
    pub(crate) fn quietest(&self, start: f64, end: f64) -> Option<f64> {
        let frame_of = |t: f64| (t * f64::from(RATE) / f64::from(FRAME)).ceil() as usize;
        let (a, b) = (frame_of(start) + 1, frame_of(end).saturating_sub(1));
        if a >= b || b > self.peaks.len() {
            return None;
        }
        let inside = &self.peaks[a..b];
        let mut best: Option<(usize, usize)> = None;
        let mut open: Option<usize> = None;
        for (i, &peak) in inside.iter().chain([&u16::MAX]).enumerate() {
            match (peak < QUIET_PEAK, open) {
                (true, None) => open = Some(i),
                (false, Some(s)) => {
                    if best.is_none_or(|(bs, be)| i - s > be - bs) {
                        best = Some((s, i));
                    }
                    open = None;
                }
                _ => {}
            }
        }
        let (s, e) = match best {
            Some(run) => run,
            None => {
                let (i, _) = inside.iter().enumerate().min_by_key(|&(_, p)| *p)?;
                (i, i + 1)
            }
        };
        let middle = (self.at(a + s) + self.at(a + e)) / 2.0;
        (middle > start && middle < end).then_some(middle)
    }

    /// Pauses cover (nearly) all of the audio: nothing to recognise.
    pub(crate) fn is_silent(&self) -> bool {
        let quiet: f64 = self.pauses().iter().map(Silence::seconds).sum();
        self.samples == 0 || quiet >= self.seconds() * SILENT_SHARE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcm(parts: &[(i16, f64)]) -> Vec<u8> {
        parts
            .iter()
            .flat_map(|&(amp, secs)| {
                let n = (secs * f64::from(RATE)) as usize;
                // A square wave of the given peak, or zeros.
                (0..n).flat_map(move |i| (if i % 2 == 0 { amp } else { -amp }).to_le_bytes())
            })
            .collect()
    }

    fn levels(bytes: &[u8], piece: usize) -> Levels {
        let mut levels = Levels::default();
        for chunk in bytes.chunks(piece) {
            levels.push(chunk);
        }
        levels.finish()
    }

    #[test]
    fn samples_are_counted_exactly_whatever_the_read_sizes() {
        let bytes = pcm(&[(5000, 1.25), (0, 0.5)]);
        for piece in [1, 3, 4096] {
            let l = levels(&bytes, piece);
            assert_eq!(l.samples, 28_000);
            assert!((l.seconds() - 1.75).abs() < 1e-9);
        }
    }

    #[test]
    fn pauses_are_quiet_runs_of_at_least_three_tenths() {
        let bytes = pcm(&[
            (5000, 1.0),
            (0, 0.5),
            (5000, 1.0),
            (300, 0.2), // too short to be a pause
            (5000, 1.0),
            (100, 0.75), // quiet, not digital silence, at the end
        ]);
        let pauses = levels(&bytes, 4096).pauses();
        assert_eq!(
            pauses,
            vec![
                Silence {
                    start: 1.0,
                    end: 1.5
                },
                Silence {
                    start: 3.7,
                    end: 4.45
                }
            ]
        );
    }

    #[test]
    fn silence_and_near_silence_are_silent_and_speech_is_not() {
        assert!(levels(&pcm(&[(0, 10.0)]), 4096).is_silent());
        assert!(levels(&pcm(&[(200, 10.0)]), 4096).is_silent());
        assert!(levels(&[], 4096).is_silent());
        assert!(!levels(&pcm(&[(0, 4.0), (8000, 1.0), (0, 5.0)]), 4096).is_silent());
    }

    #[test]
    fn the_quietest_moment_is_the_longest_quiet_run_or_the_lowest_frame() {
        let l = levels(
            &pcm(&[
                (5000, 2.0),
                (100, 0.1),
                (5000, 2.0),
                (100, 0.2),
                (5000, 2.0),
            ]),
            4096,
        );
        let cut = l.quietest(0.0, 6.3).expect("a dip");
        assert!((cut - 4.2).abs() < 0.011, "{cut}");
        // No quiet frame: the lowest peak wins.
        let l = levels(&pcm(&[(5000, 1.0), (2000, 0.01), (5000, 1.0)]), 4096);
        let cut = l.quietest(0.0, 2.01).expect("a dip");
        assert!((cut - 1.005).abs() < 0.011, "{cut}");
        assert_eq!(l.quietest(0.5, 0.51), None);
    }
}
