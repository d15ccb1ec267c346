//! Planning chunks for a recogniser with a per-request limit: cuts go in the middle of a pause
//! near the end of each chunk's window; only when a window has no pause at all is the cut hard.

/// A pause in seconds from the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Silence {
    pub start: f64,
    pub end: f64,
}

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

/// Reads `silence_start` / `silence_end` lines of ffmpeg's silencedetect filter. A pause still
/// open at the end of the input ends at `duration`.
pub(super) fn parse_silences(log: &str, duration: f64) -> Vec<Silence> {
    let mut out = Vec::new();
    let mut open: Option<f64> = None;
    for line in log.lines() {
        if let Some(v) = value_after(line, "silence_start:") {
            open = Some(v.max(0.0));
        } else if let Some(v) = value_after(line, "silence_end:")
            && let Some(start) = open.take()
        {
            out.push(Silence { start, end: v });
        }
    }
    if let Some(start) = open
        && duration > start
    {
        out.push(Silence {
            start,
            end: duration,
        });
    }
    out
}

/// The length ffmpeg decoded: the last `time=HH:MM:SS.ss` of its progress output.
pub(super) fn decoded_seconds(log: &str) -> Option<f64> {
    let last = log
        .rsplit("time=")
        .next()
        .filter(|_| log.contains("time="))?;
    let stamp = last.split_whitespace().next()?;
    let mut parts = stamp.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    let seconds =
        h.parse::<f64>().ok()? * 3600.0 + m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?;
    (seconds.is_finite() && seconds > 0.0).then_some(seconds)
}

fn value_after(line: &str, key: &str) -> Option<f64> {
    let rest = &line[line.find(key)? + key.len()..];
    rest.split_whitespace().next()?.parse().ok()
}

/// Where to cut audio of `duration` seconds into chunks of at most `max_chunk` seconds.
///
/// Each chunk's cut is searched in the window `[start + max_chunk/2, start + max_chunk]`; the
/// latest pause overlapping the window wins and the cut goes to the pause's middle (clamped to
/// the window). A window without a pause gets a hard cut at its end.
fn plan_cuts(duration: f64, silences: &[Silence], max_chunk: f64) -> Vec<f64> {
    let mut cuts = Vec::new();
    let mut start = 0.0;
    while duration - start > max_chunk {
        let lo = start + max_chunk / 2.0;
        let hi = start + max_chunk;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silencedetect_output_is_parsed() {
        let log = "[silencedetect @ 0x5] silence_start: 1.5\n\
                   [silencedetect @ 0x5] silence_end: 2.25 | silence_duration: 0.75\n\
                   size=  12kB time=00:00:09.00\n\
                   [silencedetect @ 0x5] silence_start: 8.9\n";
        assert_eq!(
            parse_silences(log, 9.5),
            vec![
                Silence {
                    start: 1.5,
                    end: 2.25
                },
                Silence {
                    start: 8.9,
                    end: 9.5
                }
            ]
        );
    }

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
    fn the_decoded_length_is_the_last_progress_time() {
        let log = "size=N/A time=00:01:02.50 bitrate=N/A\nsize=N/A time=01:00:03.25 bitrate=N/A speed=90x\n";
        assert_eq!(decoded_seconds(log), Some(3603.25));
        assert_eq!(decoded_seconds("no progress"), None);
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
}
