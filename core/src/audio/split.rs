//! Splitting long audio for a recogniser with a per-request limit: cuts go in the middle of a
//! pause near the end of each chunk's window; only when a window has no pause at all is the cut
//! hard.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

use super::{Error, Prepared, Result};

/// A pause in seconds from the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Silence {
    pub start: f64,
    pub end: f64,
}

/// One piece of audio to recognise.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub index: usize,
    pub path: PathBuf,
    pub start: f64,
    pub end: f64,
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

fn value_after(line: &str, key: &str) -> Option<f64> {
    let rest = &line[line.find(key)? + key.len()..];
    rest.split_whitespace().next()?.parse().ok()
}

/// Where to cut audio of `duration` seconds into chunks of at most `max_chunk` seconds.
///
/// Each chunk's cut is searched in the window `[start + max_chunk/2, start + max_chunk]`; the
/// latest pause overlapping the window wins and the cut goes to the pause's middle (clamped to
/// the window). A window without a pause gets a hard cut at its end.
pub fn plan_cuts(duration: f64, silences: &[Silence], max_chunk: f64) -> Vec<f64> {
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

/// Cuts `prepared` at `cuts` (seconds) into Ogg/Opus chunks in `work_dir`, without re-encoding.
pub async fn split(prepared: &Prepared, cuts: &[f64], work_dir: &Path) -> Result<Vec<Chunk>> {
    let bounds: Vec<f64> = std::iter::once(0.0)
        .chain(cuts.iter().copied())
        .chain(std::iter::once(prepared.duration))
        .collect();
    if cuts.is_empty() {
        return Ok(vec![Chunk {
            index: 0,
            path: prepared.path.clone(),
            start: 0.0,
            end: prepared.duration,
        }]);
    }
    let times = cuts
        .iter()
        .map(|c| format!("{c:.3}"))
        .collect::<Vec<_>>()
        .join(",");
    let pattern = work_dir.join("chunk%04d.ogg");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-y", "-v", "error", "-i"])
        .arg(&prepared.path)
        .args([
            "-map",
            "0:a:0",
            "-c",
            "copy",
            "-f",
            "segment",
            "-segment_times",
        ])
        .arg(&times)
        .args(["-reset_timestamps", "1"])
        .arg(&pattern)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .status()
        .await
        .map_err(|source| Error::Spawn {
            tool: "ffmpeg",
            source,
        })?;
    if !status.success() {
        return Err(Error::Undecodable { tool: "ffmpeg" });
    }
    let mut chunks = Vec::with_capacity(cuts.len() + 1);
    for (index, pair) in bounds.windows(2).enumerate() {
        let path = work_dir.join(format!("chunk{index:04}.ogg"));
        if tokio::fs::metadata(&path).await.is_err() {
            // A cut at the very end leaves no last segment; nothing is lost.
            continue;
        }
        chunks.push(Chunk {
            index,
            path,
            start: pair[0],
            end: pair[1],
        });
    }
    Ok(chunks)
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
