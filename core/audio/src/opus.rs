//! Opus packets read without decoding audio (RFC 6716): how many samples each one decodes to
//! (its TOC byte and frame count, §3.1–3.2) and whether its frames carry sound — the SILK
//! layer's voice-activity flags and the CELT layer's silence flag, the first symbols of each
//! frame's range-coded data (§4.1, §4.2.3, §4.3). No subprocess, and no trust in the container.

/// Samples per second every Opus packet is counted in.
pub(crate) const RATE: u32 = 48_000;
/// Longest packet: 120 ms.
const MAX_PACKET_SAMPLES: u32 = 5760;

/// How an Opus frame was coded (RFC 6716 §3.1, Table 2).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Silk,
    Hybrid,
    Celt,
}

/// What one packet holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PacketInfo {
    /// Samples at 48 kHz the packet decodes to.
    pub(crate) samples: u32,
    /// Of those, how many the encoder marked as sound: SILK frames flagged active, CELT frames
    /// not flagged silent. Frames of 0 or 1 byte (DTX, concealment) are silence.
    pub(crate) active: u32,
}

/// Reads a packet; `None` when it is not a valid Opus packet.
pub(crate) fn packet(packet: &[u8]) -> Option<PacketInfo> {
    let (&toc, data) = packet.split_first()?;
    let config = toc >> 3;
    let stereo = toc & 0x04 != 0;
    let (mode, frame_samples) = match config {
        0..=11 => (Mode::Silk, [480, 960, 1920, 2880][usize::from(config % 4)]),
        12..=15 => (Mode::Hybrid, [480, 960][usize::from(config % 2)]),
        _ => (Mode::Celt, [120, 240, 480, 960][usize::from(config % 4)]),
    };
    let frames = frames(toc & 0x03, data)?;
    let count = u32::try_from(frames.len()).ok()?;
    let samples = frame_samples * count;
    if samples > MAX_PACKET_SAMPLES {
        return None;
    }
    let active = frames
        .iter()
        .map(|f| frame_activity(mode, stereo, frame_samples, f))
        .sum();
    Some(PacketInfo { samples, active })
}

/// The frames of a packet (RFC 6716 §3.2).
fn frames(code: u8, data: &[u8]) -> Option<Vec<&[u8]>> {
    match code {
        0 => Some(vec![data]),
        1 => {
            if !data.len().is_multiple_of(2) {
                return None;
            }
            let (a, b) = data.split_at(data.len() / 2);
            Some(vec![a, b])
        }
        2 => {
            let (len, rest) = frame_length(data)?;
            (len <= rest.len()).then(|| {
                let (a, b) = rest.split_at(len);
                vec![a, b]
            })
        }
        _ => {
            let (&m, mut rest) = data.split_first()?;
            let (vbr, padded, count) = (m & 0x80 != 0, m & 0x40 != 0, usize::from(m & 0x3f));
            if count == 0 {
                return None;
            }
            if padded {
                let mut padding = 0usize;
                loop {
                    let (&p, after) = rest.split_first()?;
                    rest = after;
                    padding += if p == 255 { 254 } else { usize::from(p) };
                    if p != 255 {
                        break;
                    }
                }
                rest = &rest[..rest.len().checked_sub(padding)?];
            }
            if vbr {
                let mut lengths = Vec::with_capacity(count);
                for _ in 1..count {
                    let (len, after) = frame_length(rest)?;
                    lengths.push(len);
                    rest = after;
                }
                let mut frames = Vec::with_capacity(count);
                for len in lengths {
                    if len > rest.len() {
                        return None;
                    }
                    let (f, after) = rest.split_at(len);
                    frames.push(f);
                    rest = after;
                }
                frames.push(rest);
                Some(frames)
            } else {
                if !rest.len().is_multiple_of(count) {
                    return None;
                }
                let size = rest.len() / count;
                Some(
                    (0..count)
                        .map(|i| &rest[i * size..(i + 1) * size])
                        .collect(),
                )
            }
        }
    }
}

/// A frame length of one or two bytes (RFC 6716 §3.2.1), and what follows it.
fn frame_length(data: &[u8]) -> Option<(usize, &[u8])> {
    let (&first, rest) = data.split_first()?;
    if first < 252 {
        return Some((usize::from(first), rest));
    }
    let (&second, rest) = rest.split_first()?;
    Some((usize::from(first) + 4 * usize::from(second), rest))
}

/// Samples of the frame the encoder marked as sound.
fn frame_activity(mode: Mode, stereo: bool, samples: u32, frame: &[u8]) -> u32 {
    if frame.len() <= 1 {
        // Discontinuous transmission or a lost frame: the decoder fills in silence.
        return 0;
    }
    let mut dec = RangeDecoder::new(frame);
    match mode {
        Mode::Celt => {
            let silence = dec.bit_logp(15);
            if silence { 0 } else { samples }
        }
        Mode::Silk | Mode::Hybrid => {
            // One SILK frame per 20 ms (10 ms frames hold one); the mid channel's flags come
            // first, the side channel's (stereo) after its LBRR flag (RFC 6716 §4.2.3).
            let silk_frames = (samples / 960).max(1);
            let mut active = 0;
            for _ in 0..silk_frames {
                if dec.bit_logp(1) {
                    active += samples / silk_frames;
                }
            }
            if stereo && active == 0 {
                dec.bit_logp(1);
                for _ in 0..silk_frames {
                    if dec.bit_logp(1) {
                        active += samples / silk_frames;
                    }
                }
            }
            active.min(samples)
        }
    }
}

/// The start of Opus's range decoder (RFC 6716 §4.1): enough to read single bits.
struct RangeDecoder<'a> {
    data: &'a [u8],
    at: usize,
    rng: u32,
    val: u32,
    rem: u32,
}

const SYM_BITS: u32 = 8;
const SYM_MAX: u32 = 0xff;
const CODE_TOP: u32 = 1 << 31;
const CODE_BOT: u32 = CODE_TOP >> SYM_BITS;
const CODE_EXTRA: u32 = 7;

impl<'a> RangeDecoder<'a> {
    fn new(data: &'a [u8]) -> Self {
        let mut dec = RangeDecoder {
            data,
            at: 0,
            rng: 1 << CODE_EXTRA,
            val: 0,
            rem: 0,
        };
        dec.rem = dec.byte();
        dec.val = dec.rng - 1 - (dec.rem >> (SYM_BITS - CODE_EXTRA));
        dec.normalize();
        dec
    }

    fn byte(&mut self) -> u32 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        u32::from(b)
    }

    fn normalize(&mut self) {
        while self.rng <= CODE_BOT {
            self.rng <<= SYM_BITS;
            let mut sym = self.rem;
            self.rem = self.byte();
            sym = ((sym << SYM_BITS) | self.rem) >> (SYM_BITS - CODE_EXTRA);
            self.val = ((self.val << SYM_BITS).wrapping_add(SYM_MAX & !sym)) & (CODE_TOP - 1);
        }
    }

    /// A bit that is 1 with probability 1/2^`logp` (`ec_dec_bit_logp`).
    fn bit_logp(&mut self, logp: u32) -> bool {
        let s = self.rng >> logp;
        let one = self.val < s;
        if one {
            self.rng = s;
        } else {
            self.val -= s;
            self.rng -= s;
        }
        self.normalize();
        one
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_follow_the_toc_byte() {
        // config 1 (SILK NB 20 ms), one frame.
        assert_eq!(packet(&[1 << 3, 0xff, 0xff]).map(|p| p.samples), Some(960));
        // config 19 (CELT 20 ms), code 1: two equal frames.
        assert_eq!(
            packet(&[19 << 3 | 1, 1, 2, 3, 4]).map(|p| p.samples),
            Some(1920)
        );
        // config 16 (CELT 2.5 ms), code 3 CBR, 6 frames.
        assert_eq!(packet(&[16 << 3 | 3, 6]).map(|p| p.samples), Some(720));
        // code 2: first frame 2 bytes, second the rest.
        assert_eq!(
            packet(&[11 << 3 | 2, 2, 9, 9, 9]).map(|p| p.samples),
            Some(5760)
        );
    }

    #[test]
    fn invalid_packets_are_refused() {
        assert_eq!(packet(&[]), None);
        // Code 1 with an odd payload.
        assert_eq!(packet(&[19 << 3 | 1, 1, 2, 3]), None);
        // Code 3 with zero frames, or more than 120 ms.
        assert_eq!(packet(&[19 << 3 | 3, 0]), None);
        assert_eq!(packet(&[19 << 3 | 3, 7]), None);
        // Code 2 whose first frame is longer than the packet.
        assert_eq!(packet(&[19 << 3 | 2, 9, 1]), None);
        // Code 3 VBR with padding longer than the packet.
        assert_eq!(packet(&[19 << 3 | 3, 0xc2, 10, 1]), None);
    }

    #[test]
    fn dtx_frames_are_silence() {
        let p = packet(&[1 << 3]).expect("a 1-byte packet is valid");
        assert_eq!(
            p,
            PacketInfo {
                samples: 960,
                active: 0
            }
        );
    }

    #[test]
    fn the_first_range_coded_bit_is_read_as_libopus_does() {
        // With val starting at 127 - (b0 >> 1) and rng 128 << 24 after normalising, a bit of
        // probability 1/2 is 1 exactly when the first byte is at least 128.
        assert!(RangeDecoder::new(&[0x80, 0, 0, 0]).bit_logp(1));
        assert!(!RangeDecoder::new(&[0x7f, 0xff, 0, 0]).bit_logp(1));
        // A silence flag (probability 1/32768) needs the top 15 bits set.
        assert!(RangeDecoder::new(&[0xff, 0xff, 0xff, 0xff]).bit_logp(15));
        assert!(!RangeDecoder::new(&[0xff, 0x00, 0, 0]).bit_logp(15));
    }
}
