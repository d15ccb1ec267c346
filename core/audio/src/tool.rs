//! The external tools the crate runs, and the arguments every run of them gets so that they open
//! only the one local file in a container format we accept.

use std::ffi::OsString;
use std::fmt;
use std::path::Path;

/// An ffmpeg program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Ffmpeg,
    Ffprobe,
}

impl Tool {
    /// The program name, looked up on `PATH`.
    pub fn program(self) -> &'static str {
        match self {
            Tool::Ffmpeg => "ffmpeg",
            Tool::Ffprobe => "ffprobe",
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.program())
    }
}

/// The demuxers for what the bot accepts (voice, audio, video, video notes, audio/video
/// documents) — and nothing that names other files: no `hls`, `concat`, `image2`, playlists,
/// manifests or subtitle scripts. A demuxer's name may list aliases (`mov,mp4,m4a,3gp,3g2,mj2`);
/// ffmpeg accepts it when any of them is here. `mov` keeps its default of ignoring external data
/// references (`enable_drefs=0`).
pub const ACCEPTED_DEMUXERS: &str = "ogg,matroska,webm,mov,mp4,m4a,3gp,mp3,wav,w64,flac,aac,\
amr,amrnb,amrwb,aiff,caf,avi,flv,asf,mpeg,mpegts";

/// `-format_whitelist`, `-protocol_whitelist` and the input itself, for both tools.
///
/// The demuxer whitelist is what stops a playlist attack: an HLS playlist or an ffconcat script
/// names other files through the `file` protocol, which the one input needs too, so the protocol
/// whitelist alone cannot tell them apart. With only [`ACCEPTED_DEMUXERS`] allowed, such input
/// fails to open before any entry is read. The whitelists are copied into any nested context, so
/// nothing can widen them. `file:` in front of the path keeps a name with a colon from being read
/// as another protocol.
pub(crate) fn input_args(input: &Path) -> Vec<OsString> {
    let mut file = OsString::from("file:");
    file.push(input.as_os_str());
    vec![
        "-format_whitelist".into(),
        ACCEPTED_DEMUXERS.into(),
        "-protocol_whitelist".into(),
        "file".into(),
        "-i".into(),
        file,
    ]
}
