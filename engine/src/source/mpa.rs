//! Where damaged MPEG audio (mp3) frames were, so that what follows them
//! keeps its time.
//!
//! An mp3 file is a chain of frames with no timestamps: symphonia's reader
//! counts the frames it finds, so when garbage destroys frame headers it
//! resyncs on the next good frame and every time after it comes early by
//! the frames lost. [`scan`] walks the frame chain once up front; where it
//! breaks, the bytes up to the next good frame give how many frames were
//! lost (bytes over the average frame length). [`FrameMap::locate`] then
//! gives each packet symphonia reads its true frame index, for the decoder
//! loop to place it by. A file whose chain never breaks needs no map.

use std::io::{Read, Seek, SeekFrom};

/// Frames at most kept in a map (about 40 hours at 44.1 kHz).
const MAX_FRAMES: usize = 5_000_000;
/// Packets looked ahead, at most, to match a packet to a frame.
const MATCH_WINDOW: usize = 64;
/// Bytes read at a time.
const WINDOW: usize = 64 * 1024;

/// One frame header's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    /// Version bits (0: MPEG 2.5, 2: MPEG 2, 3: MPEG 1), layer (1–3),
    /// sample rate and channel count: what stays fixed along a stream.
    version: u8,
    layer: u8,
    rate: u32,
    channels: u8,
    /// The frame's length in bytes, header included.
    len: usize,
}

/// Parses a 4-byte MPEG audio frame header.
fn parse(word: u32) -> Option<Header> {
    if word >> 21 != 0x7FF {
        return None;
    }
    let version = ((word >> 19) & 3) as u8;
    let layer = match (word >> 17) & 3 {
        0 => return None,
        bits => 4 - bits as u8,
    };
    let br_index = ((word >> 12) & 0xF) as usize;
    let sr_index = ((word >> 10) & 3) as usize;
    if version == 1 || br_index == 0 || br_index == 15 || sr_index == 3 {
        return None;
    }
    const V1: [[u32; 15]; 3] = [
        [
            0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
        ],
        [
            0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
        ],
        [
            0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
        ],
    ];
    const V2: [[u32; 15]; 2] = [
        [
            0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
        ],
        [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    ];
    let kbps = match (version, layer) {
        (3, l) => V1[usize::from(l) - 1][br_index],
        (_, 1) => V2[0][br_index],
        _ => V2[1][br_index],
    };
    let rate = [
        [11_025, 12_000, 8_000],
        [0, 0, 0],
        [22_050, 24_000, 16_000],
        [44_100, 48_000, 32_000],
    ][usize::from(version)][sr_index];
    let padding = ((word >> 9) & 1) as usize;
    let bitrate = kbps as usize * 1000;
    let len = match layer {
        1 => (12 * bitrate / rate as usize + padding) * 4,
        2 => 144 * bitrate / rate as usize + padding,
        _ if version == 3 => 144 * bitrate / rate as usize + padding,
        _ => 72 * bitrate / rate as usize + padding,
    };
    let channels = if (word >> 6) & 3 == 3 { 1 } else { 2 };
    (len > 4).then_some(Header {
        version,
        layer,
        rate,
        channels,
        len,
    })
}

impl Header {
    /// Whether `other` can belong to the same stream.
    fn same_stream(&self, other: &Header) -> bool {
        self.version == other.version
            && self.layer == other.layer
            && self.rate == other.rate
            && self.channels == other.channels
    }
}

/// A frame found by [`scan`]: what identifies it, and its true index.
#[derive(Debug, Clone, Copy)]
struct Frame {
    word: u32,
    len: u32,
    /// The eight bytes after the header (side information), to tell a
    /// frame from junk with the same header.
    sig: u64,
    index: u64,
}

/// The frames of an mp3 file whose chain breaks, with their true indexes.
#[derive(Debug, Clone)]
pub(crate) struct FrameMap {
    frames: Vec<Frame>,
    cursor: usize,
    /// Samples per frame (per channel).
    spf: u32,
}

/// A window of the file held in memory.
struct Bytes<'a, R> {
    reader: &'a mut R,
    len: u64,
    start: u64,
    buf: Vec<u8>,
}

impl<R: Read + Seek> Bytes<'_, R> {
    fn get(&mut self, pos: u64, n: usize) -> Option<&[u8]> {
        let end = pos.checked_add(n as u64)?;
        if end > self.len {
            return None;
        }
        if pos < self.start || end > self.start + self.buf.len() as u64 {
            self.reader.seek(SeekFrom::Start(pos)).ok()?;
            let want = (self.len - pos).min(WINDOW.max(n) as u64) as usize;
            self.buf.resize(want, 0);
            self.reader.read_exact(&mut self.buf).ok()?;
            self.start = pos;
        }
        let at = (pos - self.start) as usize;
        Some(&self.buf[at..at + n])
    }

    fn word(&mut self, pos: u64) -> Option<u32> {
        let b = self.get(pos, 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A frame header at `pos` of the same stream as `like` (any, if
    /// `None`) whose frame ends inside the file.
    fn frame_at(&mut self, pos: u64, like: Option<&Header>) -> Option<(u32, Header)> {
        let word = self.word(pos)?;
        let h = parse(word)?;
        if like.is_some_and(|l| !l.same_stream(&h)) || pos + h.len as u64 > self.len {
            return None;
        }
        Some((word, h))
    }

    /// The next position from `from` where two frames of the stream follow
    /// one another (or one ends exactly at the end of the file).
    fn resync(&mut self, from: u64, like: Option<&Header>) -> Option<(u64, Header)> {
        let mut pos = from;
        while pos + 4 <= self.len {
            if self.get(pos, 1)? == [0xFF] {
                if let Some((_, h)) = self.frame_at(pos, like) {
                    let next = pos + h.len as u64;
                    if next == self.len || self.frame_at(next, Some(&h)).is_some() {
                        return Some((pos, h));
                    }
                }
            }
            pos += 1;
        }
        None
    }
}

/// Length of an ID3v2 tag at the start of the file (0 if none).
fn id3v2_len<R: Read + Seek>(bytes: &mut Bytes<'_, R>) -> u64 {
    let Some(b) = bytes.get(0, 10) else {
        return 0;
    };
    if &b[..3] != b"ID3" || b[6..10].iter().any(|&x| x & 0x80 != 0) {
        return 0;
    }
    let size = b[6..10]
        .iter()
        .fold(0u64, |acc, &x| (acc << 7) | u64::from(x));
    let footer = if b[5] & 0x10 != 0 { 10 } else { 0 };
    10 + size + footer
}

/// Whether a file starting with `head` may be MPEG audio (an ID3v2 tag or
/// a frame sync), worth a [`scan`].
pub(crate) fn may_be_mpa(head: &[u8]) -> bool {
    head.starts_with(b"ID3") || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0)
}

/// Walks the frames of an MPEG audio file; a map when the chain breaks
/// somewhere with good frames after it, `None` for an intact file (or
/// anything that is not MPEG audio).
pub(crate) fn scan<R: Read + Seek>(reader: &mut R) -> Option<FrameMap> {
    let len = reader.seek(SeekFrom::End(0)).ok()?;
    let mut bytes = Bytes {
        reader,
        len,
        start: 0,
        buf: Vec::new(),
    };
    let start = id3v2_len(&mut bytes);
    let (mut pos, first) = bytes.resync(start, None)?;
    let mut frames = Vec::new();
    let mut index = 0u64;
    let mut total_len = 0u64;
    let mut broken = false;
    while frames.len() < MAX_FRAMES {
        if let Some((word, h)) = bytes.frame_at(pos, Some(&first)) {
            let sig = bytes
                .get(pos + 4, 8)
                .map_or(0, |b| u64::from_be_bytes(b.try_into().unwrap_or([0; 8])));
            frames.push(Frame {
                word,
                len: h.len as u32,
                sig,
                index,
            });
            index += 1;
            total_len += h.len as u64;
            pos += h.len as u64;
            continue;
        }
        // The chain breaks here: junk up to the next good frame, or the
        // end (tags, padding).
        let Some((next, _)) = bytes.resync(pos + 1, Some(&first)) else {
            break;
        };
        let average = total_len as f64 / frames.len().max(1) as f64;
        index += ((next - pos) as f64 / average).round() as u64;
        broken = true;
        pos = next;
    }
    let spf = match (first.layer, first.version) {
        (1, _) => 384,
        (2, _) | (3, 3) => 1152,
        _ => 576,
    };
    broken.then_some(FrameMap {
        frames,
        cursor: 0,
        spf,
    })
}

impl FrameMap {
    /// Samples per frame and channel.
    pub(crate) fn samples_per_frame(&self) -> u32 {
        self.spf
    }

    /// The true index of the frame a packet holds (`data`: header and
    /// body, as the reader gives it), matched in order; `None` for a packet
    /// that matches no frame (junk the reader took for a frame).
    pub(crate) fn locate(&mut self, data: &[u8]) -> Option<u64> {
        let word = u32::from_be_bytes(data.get(..4)?.try_into().ok()?);
        let sig = data
            .get(4..12)
            .map_or(0, |b| u64::from_be_bytes(b.try_into().unwrap_or([0; 8])));
        let end = (self.cursor + MATCH_WINDOW).min(self.frames.len());
        let found = self.frames[self.cursor..end]
            .iter()
            .position(|f| f.word == word && f.len as usize == data.len() && f.sig == sig)?;
        let frame = self.frames[self.cursor + found];
        self.cursor += found + 1;
        Some(frame.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// MPEG-2 layer III, 64 kbit/s, 16 kHz, mono: 288-byte frames.
    const WORD: u32 = 0xFFF3_88C4;

    fn frame(i: u8) -> Vec<u8> {
        let mut f = WORD.to_be_bytes().to_vec();
        f.extend((0..284).map(|k| i.wrapping_mul(31).wrapping_add(k as u8) | 1));
        // Keep a stray sync pattern out of the body.
        for b in f.iter_mut().skip(4) {
            if *b == 0xFF {
                *b = 0x7F;
            }
        }
        f
    }

    #[test]
    fn parses_headers() {
        let h = parse(WORD).unwrap();
        assert_eq!(
            (h.version, h.layer, h.rate, h.channels, h.len),
            (2, 3, 16_000, 1, 288)
        );
        // MPEG-1 layer III, 128 kbit/s, 44.1 kHz, stereo, padded: 418 bytes.
        let h = parse(0xFFFB_9200).unwrap();
        assert_eq!((h.rate, h.channels, h.len), (44_100, 2, 418));
        assert!(parse(0).is_none() && parse(0xFFFF_FFFF).is_none());
    }

    #[test]
    fn an_intact_chain_needs_no_map() {
        let file: Vec<u8> = (0..50).flat_map(frame).collect();
        assert!(scan(&mut Cursor::new(&file)).is_none());
        assert!(scan(&mut Cursor::new(b"not audio at all".to_vec())).is_none());
    }

    #[test]
    fn junk_over_frames_counts_the_frames_it_destroyed() {
        let frames: Vec<Vec<u8>> = (0..60).map(frame).collect();
        let mut file: Vec<u8> = frames.concat();
        // Garbage over frames 20..25 (and into 26's body, not its header).
        for b in &mut file[20 * 288 + 7..25 * 288 + 9] {
            *b = 0x13;
        }
        // A trailing tag is no break.
        file.extend_from_slice(b"TAG just some tag text");
        let mut map = scan(&mut Cursor::new(&file)).unwrap();
        assert_eq!(map.samples_per_frame(), 576);
        for i in 0..20u8 {
            assert_eq!(map.locate(&frames[usize::from(i)]), Some(u64::from(i)));
        }
        // Frame 20's header survived, its body did not: it is still frame 20.
        let damaged20 = &file[20 * 288..21 * 288];
        assert_eq!(map.locate(damaged20), Some(20));
        // Frames 21..24 are gone; 25's header is garbage. The next frames
        // symphonia finds keep their true indexes.
        assert_eq!(map.locate(&frames[26]), Some(26));
        for i in 27..60u8 {
            assert_eq!(map.locate(&frames[usize::from(i)]), Some(u64::from(i)));
        }
        // Junk that matches no frame is not located.
        assert_eq!(map.locate(&[0xFF, 0xF3, 0x80, 0xC4, 1, 2, 3]), None);
    }
}
