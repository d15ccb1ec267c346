//! Ogg pages and the packets they carry (RFC 3533), read from a stream one page at a time.
//! Only a plain single-stream file is read: a bad capture pattern or checksum, a second logical
//! stream or an oversized packet is [`ReadError::Malformed`], and the caller leaves such a file
//! to ffmpeg.

use std::io::Read;

/// Largest packet kept: an Opus packet is at most 120 ms, a few KB.
const MAX_PACKET: usize = 64 * 1024;

/// What went wrong while reading pages.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Not a plain, intact single-stream Ogg file.
    Malformed,
    Io(std::io::Error),
}

/// A packet and what the page it ended on says.
#[derive(Debug)]
pub(crate) struct Packet {
    pub(crate) data: Vec<u8>,
    /// The granule position of the page the packet ended on (-1: none ends there).
    pub(crate) page_granule: i64,
    /// The packet ended on the stream's last page.
    pub(crate) page_eos: bool,
    /// The page the packet ended on, counted from 0.
    pub(crate) page: u64,
}

/// Reads packets of the one logical stream of an Ogg file.
pub(crate) struct Packets<R> {
    reader: R,
    serial: Option<u32>,
    pages: u64,
    /// Packets finished on the current page, not yet handed out.
    ready: std::collections::VecDeque<Vec<u8>>,
    /// A packet continuing onto the next page.
    partial: Vec<u8>,
    granule: i64,
    eos: bool,
    finished: bool,
}

impl<R: Read> Packets<R> {
    pub(crate) fn new(reader: R) -> Self {
        Packets {
            reader,
            serial: None,
            pages: 0,
            ready: Default::default(),
            partial: Vec::new(),
            granule: -1,
            eos: false,
            finished: false,
        }
    }

    /// The next packet; `None` at the end of the stream.
    pub(crate) fn next_packet(&mut self) -> Result<Option<Packet>, ReadError> {
        loop {
            if let Some(data) = self.ready.pop_front() {
                return Ok(Some(Packet {
                    data,
                    page_granule: self.granule,
                    page_eos: self.eos,
                    page: self.pages - 1,
                }));
            }
            if self.finished || self.eos {
                return Ok(None);
            }
            self.read_page()?;
        }
    }

    fn read_page(&mut self) -> Result<(), ReadError> {
        let mut header = [0u8; 27];
        match read_full(&mut self.reader, &mut header)? {
            0 => {
                self.finished = true;
                // A packet cut off by the end of the file is not audio anyone can decode.
                return if self.partial.is_empty() && self.pages > 0 {
                    Ok(())
                } else {
                    Err(ReadError::Malformed)
                };
            }
            27 => {}
            _ => return Err(ReadError::Malformed),
        }
        if &header[..4] != b"OggS" || header[4] != 0 {
            return Err(ReadError::Malformed);
        }
        let flags = header[5];
        let granule = i64::from_le_bytes(le(&header[6..14])?);
        let serial = u32::from_le_bytes(le(&header[14..18])?);
        let crc = u32::from_le_bytes(le(&header[22..26])?);
        let mut lacing = vec![0u8; usize::from(header[26])];
        if read_full(&mut self.reader, &mut lacing)? != lacing.len() {
            return Err(ReadError::Malformed);
        }
        let body_len: usize = lacing.iter().map(|&l| usize::from(l)).sum();
        let mut body = vec![0u8; body_len];
        if read_full(&mut self.reader, &mut body)? != body_len {
            return Err(ReadError::Malformed);
        }
        let mut check = header;
        check[22..26].fill(0);
        if crc32(&[&check, &lacing, &body]) != crc {
            return Err(ReadError::Malformed);
        }
        let first = self.serial.is_none();
        if *self.serial.get_or_insert(serial) != serial || first != (flags & 0x02 != 0) {
            return Err(ReadError::Malformed);
        }
        let continued = flags & 0x01 != 0;
        if continued == self.partial.is_empty() {
            // A continuation flag must match a packet left open on the previous page.
            return Err(ReadError::Malformed);
        }
        let mut at = 0;
        for &l in &lacing {
            let l = usize::from(l);
            self.partial.extend_from_slice(&body[at..at + l]);
            at += l;
            if self.partial.len() > MAX_PACKET {
                return Err(ReadError::Malformed);
            }
            if l < 255 {
                self.ready.push_back(std::mem::take(&mut self.partial));
            }
        }
        self.granule = granule;
        self.eos = flags & 0x04 != 0;
        self.pages += 1;
        Ok(())
    }
}

/// A fixed-size field of a header.
fn le<const N: usize>(bytes: &[u8]) -> Result<[u8; N], ReadError> {
    bytes.try_into().map_err(|_| ReadError::Malformed)
}

/// Reads until `buf` is full or the input ends; how many bytes were read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize, ReadError> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    Ok(filled)
}

/// Ogg's CRC-32: polynomial 0x04c11db7, no reflection, initial value and final XOR 0.
pub(crate) fn crc32(parts: &[&[u8]]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut r = (i as u32) << 24;
            let mut bit = 0;
            while bit < 8 {
                r = if r & 0x8000_0000 != 0 {
                    (r << 1) ^ 0x04c1_1db7
                } else {
                    r << 1
                };
                bit += 1;
            }
            table[i] = r;
            i += 1;
        }
        table
    };
    let mut crc = 0u32;
    for part in parts {
        for &b in *part {
            crc = (crc << 8) ^ TABLE[usize::from(((crc >> 24) as u8) ^ b)];
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One page holding `packets` (each under 255 bytes here).
    fn page(flags: u8, granule: i64, serial: u32, seq: u32, packets: &[&[u8]]) -> Vec<u8> {
        let mut p = b"OggS\0".to_vec();
        p.push(flags);
        p.extend(granule.to_le_bytes());
        p.extend(serial.to_le_bytes());
        p.extend(seq.to_le_bytes());
        p.extend([0; 4]);
        p.push(packets.len() as u8);
        p.extend(packets.iter().map(|d| d.len() as u8));
        for d in packets {
            p.extend_from_slice(d);
        }
        let crc = crc32(&[&p]);
        p[22..26].copy_from_slice(&crc.to_le_bytes());
        p
    }

    #[test]
    fn the_checksum_is_oggs() {
        // The CRC of "123456789" under Ogg's parameters (CRC-32/MPEG-2 without init/xorout).
        assert_eq!(crc32(&[b"123456789"]), 0x89a1_897f);
    }

    #[test]
    fn packets_come_out_with_their_page() {
        let mut file = page(0x02, 0, 7, 0, &[b"head"]);
        file.extend(page(0x04, 960, 7, 1, &[b"a", b"bc"]));
        let mut packets = Packets::new(file.as_slice());
        let mut seen = Vec::new();
        while let Some(p) = packets.next_packet().expect("valid") {
            seen.push((p.data, p.page_granule, p.page_eos, p.page));
        }
        assert_eq!(
            seen,
            vec![
                (b"head".to_vec(), 0, false, 0),
                (b"a".to_vec(), 960, true, 1),
                (b"bc".to_vec(), 960, true, 1)
            ]
        );
    }

    #[test]
    fn a_bad_checksum_or_a_second_stream_is_malformed() {
        let mut file = page(0x02, 0, 7, 0, &[b"head"]);
        file[30] ^= 1;
        assert!(matches!(
            Packets::new(file.as_slice()).next_packet(),
            Err(ReadError::Malformed)
        ));
        let mut file = page(0x02, 0, 7, 0, &[b"head"]);
        file.extend(page(0x00, 0, 8, 0, &[b"x"]));
        let mut packets = Packets::new(file.as_slice());
        assert!(packets.next_packet().expect("first").is_some());
        assert!(matches!(packets.next_packet(), Err(ReadError::Malformed)));
    }
}
