//! Planning chunks for a recogniser with per-request limits on seconds and bytes: cuts go in
//! the middle of a pause near the end of each chunk's window (only a window without any pause
//! gets a hard cut), and each plan says how its chunks are produced — the input as it is, a
//! stream copy when the recogniser accepts the source codec, or a re-encode. [`crate::cut`]
//! carries a plan out.

use crate::analysis::Analysis;
use crate::levels::Silence;
use crate::limits::Limits;

/// A stretch of the input, in seconds from the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub start: f64,
    pub end: f64,
}

impl Span {
    pub fn seconds(&self) -> f64 {
        self.end - self.start
    }
}

/// Where to cut audio of `duration` seconds into chunks of at most `max_chunk` seconds.
///
/// Each chunk's cut is searched in the window `[start + max_chunk/2, start + max_chunk]`; the
/// latest pause overlapping the window wins and the cut goes to the pause's middle (clamped to
/// the window). A window without a pause gets a hard cut at its end. The last chunk is never
/// shorter than [`MIN_TAIL_SECONDS`].
fn plan_cuts(duration: f64, silences: &[Silence], max_chunk: f64) -> Vec<f64> {
    let mut cuts = Vec::new();
    let mut start = 0.0;
    while duration - start > max_chunk {
        let lo = start + max_chunk / 2.0;
        let hi = (start + max_chunk).min(duration - MIN_TAIL_SECONDS).max(lo);
        let cut = silences
            .iter()
            .filter_map(|s| {
                let (a, b) = (s.start.max(lo), s.end.min(hi));
                (a <= b).then(|| ((s.start + s.end) / 2.0).clamp(a, b))
            })
            .fold(None, |best: Option<f64>, c| {
                Some(best.map_or(c, |b| b.max(c)))
            })
            .unwrap_or(hi);
        cuts.push(cut);
        start = cut;
    }
    cuts
}

/// Shortest last chunk: a cut is never put closer to the end than this.
const MIN_TAIL_SECONDS: f64 = 1.0;

/// The chunks audio of `duration` seconds is recognised in: at most `max_chunk` seconds each,
/// cut in pauses (see [`plan_cuts`]), covering the whole input in order.
pub fn plan_spans(duration: f64, silences: &[Silence], max_chunk: f64) -> Vec<Span> {
    let cuts = plan_cuts(duration, silences, max_chunk);
    std::iter::once(0.0)
        .chain(cuts.iter().copied())
        .zip(cuts.iter().copied().chain(std::iter::once(duration)))
        .map(|(start, end)| Span { start, end })
        .filter(|s| s.seconds() > 0.0)
        .collect()
}

/// How a plan's chunks are produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The input file itself, untouched: an Ogg/Opus voice note within the limits whose
    /// container tells its true length.
    Passthrough,
    /// Cut from the input without re-encoding: the recogniser accepts the source codec.
    Copy,
    /// Decoded and encoded as mono 16 kHz Opus.
    Encode,
}

/// The container a chunk is written in, and what the recogniser is told about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// ffmpeg's muxer.
    pub muxer: &'static str,
    pub extension: &'static str,
    /// For the data URI.
    pub mime: &'static str,
}

impl Output {
    pub const OGG: Output = Output {
        muxer: "ogg",
        extension: "ogg",
        mime: "audio/ogg",
    };
    const M4A: Output = Output {
        muxer: "ipod",
        extension: "m4a",
        mime: "audio/mp4",
    };
    const MP3: Output = Output {
        muxer: "mp3",
        extension: "mp3",
        mime: "audio/mpeg",
    };
    const FLAC: Output = Output {
        muxer: "flac",
        extension: "flac",
        mime: "audio/flac",
    };
    const WAV: Output = Output {
        muxer: "wav",
        extension: "wav",
        mime: "audio/wav",
    };

    /// Where a stream of `codec` can be copied to, when the recogniser accepts the codec
    /// (reference/apis.md §1.5: AAC in MP4/M4A, MP3, Opus and Vorbis in Ogg, FLAC, WAV).
    pub fn for_copy(codec: &str) -> Option<Output> {
        match codec {
            "aac" => Some(Output::M4A),
            "mp3" => Some(Output::MP3),
            "opus" | "vorbis" => Some(Output::OGG),
            "flac" => Some(Output::FLAC),
            "pcm_s16le" | "pcm_s24le" | "pcm_s32le" | "pcm_u8" | "pcm_f32le" => Some(Output::WAV),
            _ => None,
        }
    }

    /// Options for the muxer: MP4 puts its index first, so the file can be read as a stream.
    pub(crate) fn muxer_options(&self) -> Option<&'static str> {
        (self.muxer == "ipod").then_some("movflags=+faststart")
    }

    /// The file name the recogniser is given: `audio.<extension>`.
    pub fn file_name(&self) -> String {
        format!("audio.{}", self.extension)
    }
}

/// Bytes per second of a re-encoded chunk: 24 kb/s Opus plus Ogg framing, rounded up.
const ENCODED_BYTES_PER_SECOND: f64 = 3_400.0;
/// Headroom over a copied stream's average rate: container overhead and variable bit rate. A
/// copied chunk that still comes out too big is re-encoded by [`crate::cut`].
const COPY_RATE_MARGIN: f64 = 1.15;

/// How the audio of an analysed file goes to the recogniser.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub method: Method,
    pub output: Output,
    /// The chunks, in order, covering exactly the decoded length.
    pub spans: Vec<Span>,
}

impl Plan {
    /// The longest a chunk of this plan may be, seconds.
    pub fn max_chunk_seconds(&self) -> f64 {
        self.spans.iter().map(Span::seconds).fold(0.0, f64::max)
    }
}

/// Plans the chunks of `analysis` for a recogniser with `limits`.
///
/// - **Passthrough** (when allowed): an Ogg/Opus file within one chunk's seconds and bytes
///   whose claimed length agrees with the decoded one.
/// - **Copy**: the codec is one the recogniser accepts, the claimed length agrees, and chunks
///   cut to fit [`Limits::max_chunk_bytes`] at the stream's real bit rate are still at least
///   half of [`Limits::chunk_seconds`].
/// - **Encode** otherwise (mono 16 kHz Opus, which fits any chunk length).
///
/// Every plan ends at the decoded length: nothing beyond what is billed goes out.
pub fn plan(analysis: &Analysis, limits: &Limits, passthrough: bool) -> Plan {
    let seconds = analysis.seconds;
    let probe = &analysis.probe;
    let max_bytes = limits.max_chunk_bytes() as f64;
    if passthrough
        && probe.is_ogg_opus()
        && analysis.claims_agree()
        && seconds <= limits.chunk_seconds
        && (probe.file_bytes as f64) <= max_bytes
    {
        return Plan {
            method: Method::Passthrough,
            output: Output::OGG,
            spans: vec![Span {
                start: 0.0,
                end: seconds,
            }],
        };
    }
    let copy = Output::for_copy(&probe.audio_codec)
        .filter(|_| analysis.claims_agree())
        .and_then(|output| {
            let rate = copy_bytes_per_second(analysis)?;
            let max_chunk = limits.chunk_seconds.min(max_bytes / rate);
            (max_chunk >= limits.chunk_seconds / 2.0).then_some((output, max_chunk))
        });
    let (method, output, max_chunk) = match copy {
        Some((output, max_chunk)) => (Method::Copy, output, max_chunk),
        None => (
            Method::Encode,
            Output::OGG,
            limits
                .chunk_seconds
                .min(max_bytes / ENCODED_BYTES_PER_SECOND),
        ),
    };
    Plan {
        method,
        output,
        spans: plan_spans(seconds, &analysis.silences, max_chunk),
    }
}

/// Bytes per second of the audio stream as it would be copied, with headroom: the stream's bit
/// rate when the container tells it, else (audio-only files) the file's size over its decoded
/// length.
fn copy_bytes_per_second(analysis: &Analysis) -> Option<f64> {
    let probe = &analysis.probe;
    let rate = match probe.audio_bit_rate {
        Some(bits) => bits as f64 / 8.0,
        None if !probe.has_video && analysis.seconds > 0.0 => {
            probe.file_bytes as f64 / analysis.seconds
        }
        None => return None,
    };
    (rate > 0.0).then_some(rate * COPY_RATE_MARGIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_audio_is_not_cut() {
        assert!(plan_cuts(179.0, &[], 180.0).is_empty());
        assert_eq!(
            plan_spans(179.0, &[], 180.0),
            vec![Span {
                start: 0.0,
                end: 179.0
            }]
        );
    }

    #[test]
    fn spans_cover_the_input_in_order() {
        let spans = plan_spans(
            400.0,
            &[Silence {
                start: 170.0,
                end: 171.0,
            }],
            180.0,
        );
        assert_eq!(
            spans,
            vec![
                Span {
                    start: 0.0,
                    end: 170.5
                },
                Span {
                    start: 170.5,
                    end: 350.5
                },
                Span {
                    start: 350.5,
                    end: 400.0
                }
            ]
        );
    }

    #[test]
    fn cuts_go_into_the_latest_pause_of_each_window() {
        let silences = [
            Silence {
                start: 50.0,
                end: 51.0,
            },
            Silence {
                start: 150.0,
                end: 152.0,
            },
            Silence {
                start: 170.0,
                end: 171.0,
            },
            Silence {
                start: 300.0,
                end: 300.6,
            },
        ];
        let cuts = plan_cuts(400.0, &silences, 180.0);
        assert_eq!(cuts, vec![170.5, 300.3]);
    }

    #[test]
    fn no_pause_means_a_hard_cut_and_no_chunk_exceeds_the_limit() {
        let cuts = plan_cuts(
            400.0,
            &[Silence {
                start: 10.0,
                end: 11.0,
            }],
            180.0,
        );
        assert_eq!(cuts, vec![180.0, 360.0]);
        let mut bounds = vec![0.0];
        bounds.extend(&cuts);
        bounds.push(400.0);
        assert!(bounds.windows(2).all(|w| w[1] - w[0] <= 180.0));
    }

    #[test]
    fn a_pause_straddling_the_window_end_is_clamped_into_it() {
        let cuts = plan_cuts(
            300.0,
            &[Silence {
                start: 179.0,
                end: 185.0,
            }],
            180.0,
        );
        assert_eq!(cuts, vec![180.0]);
    }

    use crate::probe::Probe;

    fn analysis(codec: &str, format: &str, claimed: f64, seconds: f64, bit_rate: u64) -> Analysis {
        Analysis {
            probe: Probe {
                format: format.into(),
                audio_codec: codec.into(),
                claimed_seconds: Some(claimed),
                audio_bit_rate: Some(bit_rate),
                has_video: false,
                file_bytes: (seconds * bit_rate as f64 / 8.0) as u64,
            },
            seconds,
            silences: vec![Silence {
                start: 170.0,
                end: 171.0,
            }],
            silent: false,
            levels: None,
        }
    }

    #[test]
    fn a_short_voice_note_passes_through_unless_it_lies() {
        let limits = Limits::default();
        let note = analysis("opus", "ogg", 9.98, 10.0, 32_000);
        assert_eq!(plan(&note, &limits, true).method, Method::Passthrough);
        assert_eq!(plan(&note, &limits, false).method, Method::Copy);
        let liar = analysis("opus", "ogg", 2.0, 94.0, 32_000);
        let p = plan(&liar, &limits, true);
        assert_eq!(p.method, Method::Encode);
        assert_eq!(
            p.spans,
            vec![Span {
                start: 0.0,
                end: 94.0
            }]
        );
    }

    #[test]
    fn accepted_codecs_are_copied_and_others_encoded() {
        let limits = Limits::default();
        let m4a = plan(
            &analysis("aac", "mov,mp4,m4a,3gp,3g2,mj2", 400.0, 400.0, 64_000),
            &limits,
            true,
        );
        assert_eq!((m4a.method, m4a.output.mime), (Method::Copy, "audio/mp4"));
        assert_eq!(m4a.spans.len(), 3);
        let amr = plan(
            &analysis("amr_nb", "amr", 400.0, 400.0, 12_200),
            &limits,
            true,
        );
        assert_eq!((amr.method, amr.output), (Method::Encode, Output::OGG));
        let lying_mp3 = plan(&analysis("mp3", "mp3", 1.0, 400.0, 64_000), &limits, true);
        assert_eq!(lying_mp3.method, Method::Encode);
    }

    #[test]
    fn chunks_respect_bytes_as_well_as_seconds() {
        let limits = Limits::default();
        // 320 kb/s MP3: 180 s would be 7.2 MB plus headroom, over the 7.8 MB a request holds.
        let big = plan(
            &analysis("mp3", "mp3", 900.0, 900.0, 320_000),
            &limits,
            true,
        );
        assert_eq!(big.method, Method::Copy);
        let rate = 320_000.0 / 8.0 * COPY_RATE_MARGIN;
        assert!(big.max_chunk_seconds() <= limits.max_chunk_bytes() as f64 / rate + 1e-9);
        assert!(big.max_chunk_seconds() < 180.0);
        // 44.1 kHz stereo WAV: copied chunks would be under a minute; re-encoded instead.
        let wav = plan(
            &analysis("pcm_s16le", "wav", 900.0, 900.0, 1_411_200),
            &limits,
            true,
        );
        assert_eq!(wav.method, Method::Encode);
        assert!(wav.max_chunk_seconds() <= 180.0);
        // A tiny request limit bounds re-encoded chunks too.
        let tight = Limits {
            max_request_bytes: 200_000,
            ..limits
        };
        let p = plan(
            &analysis("amr_nb", "amr", 900.0, 900.0, 12_200),
            &tight,
            true,
        );
        assert!(
            p.max_chunk_seconds()
                <= tight.max_chunk_bytes() as f64 / ENCODED_BYTES_PER_SECOND + 1e-9
        );
    }

    #[test]
    fn the_last_chunk_is_never_a_sliver() {
        let spans = plan_spans(360.2, &[], 180.0);
        assert!(
            spans.last().is_some_and(|s| s.seconds() >= 1.0),
            "{spans:?}"
        );
        assert!(spans.iter().all(|s| s.seconds() <= 180.0));
        assert!((spans.last().map_or(0.0, |s| s.end) - 360.2).abs() < 1e-9);
    }
}
