//! Subtitle segments: the speech of an analysed file cut at every pause, each piece at most a
//! given length. Longer speech is split at its longest internal quiet gap, else at its deepest
//! dip; a hard cut only where neither exists. Pure planning over [`Analysis`].

use crate::analysis::Analysis;

/// Pieces shorter than this are not made by splitting long speech.
const MIN_PIECE_SECONDS: f64 = 1.0;

/// A stretch of speech, seconds from the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
}

impl Segment {
    pub fn seconds(&self) -> f64 {
        self.end - self.start
    }
}

/// The speech of `analysis` in segments of at most `max_seconds`, in order. Needs the levels of
/// a decode ([`crate::analyse_fully`]); without them long speech is cut hard.
pub fn speech_segments(analysis: &Analysis, max_seconds: f64) -> Vec<Segment> {
    let mut speech = Vec::new();
    let mut at = 0.0;
    for pause in &analysis.silences {
        if pause.start > at {
            speech.push(Segment {
                start: at,
                end: pause.start,
            });
        }
        at = at.max(pause.end);
    }
    if analysis.seconds > at {
        speech.push(Segment {
            start: at,
            end: analysis.seconds,
        });
    }
    let mut out = Vec::new();
    for s in speech {
        split(analysis, s, max_seconds, &mut out);
    }
    out
}

/// Pushes `s`, split until every piece fits `max_seconds`.
fn split(analysis: &Analysis, s: Segment, max_seconds: f64, out: &mut Vec<Segment>) {
    if s.seconds() <= max_seconds {
        out.push(s);
        return;
    }
    let margin = MIN_PIECE_SECONDS.min(max_seconds / 4.0);
    let cut = analysis
        .levels
        .as_ref()
        .and_then(|l| l.quietest(s.start + margin, s.end - margin))
        .unwrap_or(s.start + max_seconds);
    split(
        analysis,
        Segment {
            start: s.start,
            end: cut,
        },
        max_seconds,
        out,
    );
    split(
        analysis,
        Segment {
            start: cut,
            end: s.end,
        },
        max_seconds,
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::levels::Levels;
    use crate::probe::Probe;

    /// An analysis of PCM made of `(peak, seconds)` parts, as the decode pass would make it.
    fn analysed(parts: &[(i16, f64)]) -> Analysis {
        let mut levels = Levels::default();
        for &(amp, secs) in parts {
            let n = (secs * 16_000.0) as usize;
            let bytes: Vec<u8> = (0..n)
                .flat_map(|i| (if i % 2 == 0 { amp } else { -amp }).to_le_bytes())
                .collect();
            levels.push(&bytes);
        }
        let levels = levels.finish();
        Analysis {
            probe: Probe {
                format: "wav".into(),
                audio_codec: "pcm_s16le".into(),
                claimed_seconds: Some(levels.seconds()),
                audio_bit_rate: None,
                has_video: false,
                file_bytes: 0,
            },
            seconds: levels.seconds(),
            silences: levels.pauses(),
            silent: levels.is_silent(),
            levels: Some(levels),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.011
    }

    #[test]
    fn speech_is_cut_at_every_pause() {
        let a = analysed(&[(0, 1.0), (5000, 3.0), (0, 0.5), (5000, 2.0), (0, 1.0)]);
        let segments = speech_segments(&a, 15.0);
        assert_eq!(segments.len(), 2, "{segments:?}");
        assert!(close(segments[0].start, 1.0) && close(segments[0].end, 4.0));
        assert!(close(segments[1].start, 4.5) && close(segments[1].end, 6.5));
    }

    #[test]
    fn long_speech_is_split_at_its_longest_quiet_gap() {
        // 24 s of speech with short gaps (under a pause's 0.3 s) at 6 s (0.1 s) and 14 s (0.2 s).
        let a = analysed(&[
            (5000, 6.0),
            (100, 0.1),
            (5000, 7.9),
            (100, 0.2),
            (5000, 10.0),
        ]);
        let segments = speech_segments(&a, 15.0);
        assert_eq!(segments.len(), 2, "{segments:?}");
        assert!(close(segments[0].end, 14.1), "{segments:?}");
        assert!(segments.iter().all(|s| s.seconds() <= 15.0));
    }

    #[test]
    fn speech_without_any_dip_is_cut_hard_and_still_fits() {
        let a = analysed(&[(5000, 40.0)]);
        let segments = speech_segments(&a, 15.0);
        assert!(segments.iter().all(|s| s.seconds() <= 15.0), "{segments:?}");
        assert!(close(segments[0].start, 0.0));
        assert!(close(segments.last().map_or(0.0, |s| s.end), 40.0));
        assert!(segments.windows(2).all(|w| close(w[0].end, w[1].start)));
    }

    #[test]
    fn the_deepest_dip_wins_when_no_gap_is_quiet() {
        let a = analysed(&[(5000, 9.0), (3000, 0.05), (5000, 9.0)]);
        let segments = speech_segments(&a, 15.0);
        assert_eq!(segments.len(), 2, "{segments:?}");
        assert!((9.0..=9.05).contains(&segments[0].end), "{segments:?}");
    }
}
