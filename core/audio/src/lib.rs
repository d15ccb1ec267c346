//! Audio tools for untrusted media. [`analyse`] measures a file — its exact decoded length
//! (what is billed), pauses, silence and what its container claims — in process for a voice
//! note, else with one bounded ffmpeg decode; [`plan`] decides how its audio reaches the
//! recogniser (as it is, stream copy or re-encode) in chunks cut at pauses within the
//! request's seconds and bytes; [`cut`] writes those chunks; [`speech_segments`] plans subtitle
//! segments. Every ffmpeg/ffprobe run opens only the one local file in an accepted container
//! format, within a wall-clock limit, and is killed on timeout or when the job is cancelled.
#![forbid(unsafe_code)]

mod analysis;
mod cut;
mod decode;
mod error;
mod levels;
mod limits;
mod ogg;
mod ogg_opus;
mod opus;
mod plan;
mod probe;
mod segments;
mod subprocess;
mod tool;

pub use analysis::{Analysis, analyse, analyse_fully};
pub use cut::{ChunkFile, cut};
pub use error::{Error, Result};
pub use levels::Silence;
pub use limits::Limits;
pub use plan::{Method, Output, Plan, Span, plan, plan_spans};
pub use probe::{Probe, probe};
pub use segments::{Segment, speech_segments};
pub use tool::{ACCEPTED_DEMUXERS, Tool};
