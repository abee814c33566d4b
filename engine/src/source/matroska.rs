//! Matroska/WebM files made readable again after damage, for symphonia.
//!
//! symphonia's Matroska reader gives up on the first element it cannot
//! parse: garbage inside a cluster stops the decode there, and a file cut
//! short loses its whole `Segment` ("missing segment element", because the
//! segment declares a size past the end of the file). [`repair`] walks the
//! element structure first and returns what the reader needs to go on:
//!
//! - the length the segment declares, when the file was cut short, and
//!   its seek index (`SeekHead`) blanked, since it points at elements
//!   written after the audio (cues, tags) that the cut removed;
//! - for every stretch of damaged elements, a `Void` (padding) element laid
//!   over it up to the next intact cluster, the damaged cluster's size
//!   rewritten to end there when it has to.
//!
//! The blocks lost are then missing from the packet stream, and their
//! timestamps let the decoder loop fill the gap with silence.

use std::io::{Read, Seek, SeekFrom};

use super::view::Patch;

const EBML_ID: u32 = 0x1A45_DFA3;
const SEGMENT_ID: u32 = 0x1853_8067;
const SEEK_HEAD_ID: u32 = 0x114D_9B74;
const CLUSTER_ID: u32 = 0x1F43_B675;
const CLUSTER_TIMESTAMP_ID: u32 = 0xE7;
/// The `Void` element's one-byte ID.
const VOID_ID: u8 = 0xEC;
/// Elements that may stand at the top of a segment.
const TOP_LEVEL: [u32; 10] = [
    SEEK_HEAD_ID,
    0x1549_A966, // Info
    0x1654_AE6B, // Tracks
    0x1C53_BB6B, // Cues
    0x1254_C367, // Tags
    0x1043_A770, // Chapters
    0x1941_A469, // Attachments
    CLUSTER_ID,
    VOID_ID as u32,
    0xBF, // CRC-32
];
/// Elements that may stand in a cluster.
const IN_CLUSTER: [u32; 9] = [
    CLUSTER_TIMESTAMP_ID,
    0xA3, // SimpleBlock
    0xA0, // BlockGroup
    0xA7, // Position
    0xAB, // PrevSize
    VOID_ID as u32,
    0xBF,   // CRC-32
    0x5854, // SilentTracks
    0xAF,   // EncryptedBlock
];
/// Elements looked at, at most (about 14 hours of 20 ms Opus blocks).
const MAX_ELEMENTS: usize = 4_000_000;
/// Bytes read at a time while walking.
const WINDOW: usize = 64 * 1024;

/// What [`repair`] found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Repair {
    /// The length the file declares (past its end when cut short).
    pub declared_len: u64,
    /// Bytes to lay over the file.
    pub patches: Vec<Patch>,
    /// Whether damaged elements were padded over.
    pub damaged: bool,
}

/// An element header: its ID, where it and its data start, and its data
/// size (`None`: unknown, runs to the end of its parent).
#[derive(Debug, Clone, Copy)]
struct Header {
    id: u32,
    size_at: u64,
    size_len: usize,
    data: u64,
    size: Option<u64>,
}

impl Header {
    fn end(&self) -> Option<u64> {
        self.size.and_then(|s| self.data.checked_add(s))
    }
}

/// A reader with a window of the file held in memory, so that walking
/// thousands of small elements costs few reads.
struct Bytes<'a, R> {
    reader: &'a mut R,
    len: u64,
    start: u64,
    buf: Vec<u8>,
}

impl<'a, R: Read + Seek> Bytes<'a, R> {
    fn new(reader: &'a mut R, len: u64) -> Self {
        Bytes {
            reader,
            len,
            start: 0,
            buf: Vec::new(),
        }
    }

    /// The byte at `pos`, `None` past the end or on a read error.
    fn at(&mut self, pos: u64) -> Option<u8> {
        if pos >= self.len {
            return None;
        }
        if pos < self.start || pos >= self.start + self.buf.len() as u64 {
            self.reader.seek(SeekFrom::Start(pos)).ok()?;
            let want = (self.len - pos).min(WINDOW as u64) as usize;
            self.buf.resize(want, 0);
            self.reader.read_exact(&mut self.buf).ok()?;
            self.start = pos;
        }
        Some(self.buf[(pos - self.start) as usize])
    }

    /// Reads an EBML element header at `pos`.
    fn header(&mut self, pos: u64) -> Option<Header> {
        let first = self.at(pos)?;
        let id_len = first.leading_zeros() as usize + 1;
        if id_len > 4 {
            return None;
        }
        let mut id = 0u32;
        for i in 0..id_len as u64 {
            id = (id << 8) | u32::from(self.at(pos + i)?);
        }
        let size_at = pos + id_len as u64;
        let first = self.at(size_at)?;
        let size_len = first.leading_zeros() as usize + 1;
        if size_len > 8 {
            return None;
        }
        let marker_mask = (0xFFu16 >> size_len) as u8;
        let mut value = u64::from(first & marker_mask);
        let mut all_ones = first & marker_mask == marker_mask;
        for i in 1..size_len as u64 {
            let b = self.at(size_at + i)?;
            value = (value << 8) | u64::from(b);
            all_ones &= b == 0xFF;
        }
        Some(Header {
            id,
            size_at,
            size_len,
            data: size_at + size_len as u64,
            size: (!all_ones).then_some(value),
        })
    }

    /// Whether an intact cluster starts at `pos`: a cluster header whose
    /// first child is its timestamp.
    fn cluster_at(&mut self, pos: u64) -> bool {
        let Some(h) = self.header(pos) else {
            return false;
        };
        if h.id != CLUSTER_ID {
            return false;
        }
        self.header(h.data)
            .is_some_and(|c| c.id == CLUSTER_TIMESTAMP_ID && c.size.is_some_and(|s| s <= 8))
    }

    /// Whether three intact cluster children follow one another from
    /// `pos` (or fewer that end exactly at `end`, the cluster's end; or at
    /// a top-level element when the cluster's size is unknown).
    fn children_at(&mut self, pos: u64, end: Option<u64>, limit: u64) -> bool {
        let mut p = pos;
        for _ in 0..3 {
            if Some(p) == end {
                return true;
            }
            let Some(h) = self.header(p) else {
                return false;
            };
            if end.is_none() && p != pos && TOP_LEVEL.contains(&h.id) {
                return true;
            }
            let Some(e) = h.end() else {
                return false;
            };
            if !IN_CLUSTER.contains(&h.id) || e > end.unwrap_or(limit) {
                return false;
            }
            p = e;
        }
        true
    }

    /// The next intact block (`SimpleBlock` or `BlockGroup` followed by
    /// intact children) after `from` in a cluster ending at `end`.
    fn next_block(&mut self, from: u64, end: Option<u64>, limit: u64) -> Option<u64> {
        let stop = end.unwrap_or(limit);
        let mut pos = from;
        while pos + 2 <= stop {
            let b = self.at(pos)?;
            if (b == 0xA3 || b == 0xA0) && self.children_at(pos, end, limit) {
                return Some(pos);
            }
            pos += 1;
        }
        None
    }

    /// The next intact cluster at or after `from` (before `end`).
    fn next_cluster(&mut self, from: u64, end: u64) -> Option<u64> {
        let mut pos = from;
        while pos + 4 <= end {
            if self.at(pos)? == 0x1F
                && self.at(pos + 1)? == 0x43
                && self.at(pos + 2)? == 0xB6
                && self.at(pos + 3)? == 0x75
                && self.cluster_at(pos)
            {
                return Some(pos);
            }
            pos += 1;
        }
        None
    }
}

/// A `Void` element header making `[at, at + len)` padding; `None` when
/// `len` is too short for one (a single byte).
fn void(at: u64, len: u64) -> Option<Patch> {
    let bytes = if len < 2 {
        return None;
    } else if len - 2 < 127 {
        vec![VOID_ID, 0x80 | (len - 2) as u8]
    } else if len >= 9 {
        let mut b = vec![VOID_ID];
        b.extend_from_slice(&((len - 9) | (1 << 56)).to_be_bytes());
        b
    } else {
        return None;
    };
    Some(Patch { at, bytes })
}

/// Rewrites an element's size field (keeping its length) to `size`;
/// `None` when `size` does not fit.
fn resize(h: &Header, size: u64) -> Option<Patch> {
    let bits = 7 * h.size_len as u32;
    if bits < 64 && size >= (1u64 << bits) - 1 {
        return None;
    }
    let value = size | (1u64 << bits);
    let bytes = value.to_be_bytes()[8 - h.size_len..].to_vec();
    Some(Patch {
        at: h.size_at,
        bytes,
    })
}

/// Walks a Matroska/WebM file (`real_len` bytes) and returns what makes it
/// readable, see the module docs. `None` for anything that is not
/// Matroska and for an intact file.
pub(crate) fn repair<R: Read + Seek>(reader: &mut R, real_len: u64) -> Option<Repair> {
    let mut bytes = Bytes::new(reader, real_len);
    let ebml = bytes.header(0)?;
    if ebml.id != EBML_ID {
        return None;
    }
    let segment = bytes.header(ebml.end()?)?;
    if segment.id != SEGMENT_ID {
        return None;
    }
    let declared = segment.end().unwrap_or(real_len);
    let cut = declared > real_len;
    let seg_end = declared.min(real_len);
    let mut out = Repair {
        declared_len: declared.max(real_len),
        ..Repair::default()
    };
    let mut pos = segment.data;
    let mut seen = 0usize;
    'top: while pos + 2 <= seg_end && seen < MAX_ELEMENTS {
        seen += 1;
        let h = bytes.header(pos);
        let intact =
            h.filter(|h| TOP_LEVEL.contains(&h.id) && h.end().is_none_or(|e| e <= declared));
        let Some(h) = intact else {
            // Garbage between top-level elements: pad up to the next
            // cluster, or give up (the reader stops there, as before).
            let Some(next) = bytes.next_cluster(pos + 1, seg_end) else {
                break;
            };
            out.patches.extend(void(pos, next - pos));
            out.damaged = true;
            pos = next;
            continue;
        };
        if h.id == SEEK_HEAD_ID && cut {
            out.patches.extend(h.end().and_then(|e| void(pos, e - pos)));
        }
        if h.id != CLUSTER_ID {
            match h.end() {
                Some(e) => {
                    pos = e;
                    continue;
                }
                None => break,
            }
        }
        // A cluster: check its children.
        let end = h.end();
        let mut c = h.data;
        loop {
            if end.is_some_and(|e| c >= e) || c >= seg_end {
                pos = end.unwrap_or(c);
                continue 'top;
            }
            seen += 1;
            if seen >= MAX_ELEMENTS {
                break 'top;
            }
            let child = bytes.header(c);
            if child.is_none() && c + 16 > real_len {
                // A header cut off by the end of the file: the cut, not damage.
                break 'top;
            }
            if let Some(ch) = child {
                // An unknown-size cluster ends where the next top-level
                // element starts.
                if end.is_none() && TOP_LEVEL.contains(&ch.id) {
                    pos = c;
                    continue 'top;
                }
                let fits = match (ch.end(), end) {
                    (Some(ce), Some(e)) => ce <= e,
                    (Some(ce), None) => ce <= real_len,
                    (None, _) => false,
                };
                if IN_CLUSTER.contains(&ch.id) && fits {
                    c = ch.end().unwrap_or(seg_end);
                    continue;
                }
            }
            // Damage inside the cluster at `c`: pad over it up to the next
            // intact block of the same cluster, if there is one.
            out.damaged = true;
            if let Some(b) = bytes.next_block(c + 2, end, seg_end) {
                out.patches.extend(void(c, b - c));
                c = b;
                continue;
            }
            if let Some(e) = end.filter(|&e| e <= seg_end) {
                if e == seg_end
                    || bytes.cluster_at(e)
                    || bytes.header(e).is_some_and(|n| TOP_LEVEL.contains(&n.id))
                {
                    // The cluster's own size is intact: pad to its end.
                    out.patches.extend(void(c, e - c));
                    pos = e;
                    continue 'top;
                }
            }
            let Some(next) = bytes.next_cluster(c + 1, seg_end) else {
                break 'top;
            };
            if end.is_some() {
                // The size is damaged too: end the cluster where the next
                // intact one starts.
                match resize(&h, next - h.data) {
                    Some(p) => out.patches.push(p),
                    None => break 'top,
                }
            }
            out.patches.extend(void(c, next - c));
            pos = next;
            continue 'top;
        }
    }
    (cut || !out.patches.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn element(id: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut e = id.to_vec();
        e.push(0x01);
        e.extend_from_slice(&(payload.len() as u64).to_be_bytes()[1..]);
        e.extend_from_slice(payload);
        e
    }

    fn cluster(ts: u8, blocks: usize) -> Vec<u8> {
        let mut body = vec![0xE7, 0x81, ts];
        for i in 0..blocks {
            body.extend(element(&[0xA3], &[0x81, 0, i as u8, 0x80, 1, 2, 3, 4]));
        }
        element(&[0x1F, 0x43, 0xB6, 0x75], &body)
    }

    fn file(clusters: &[Vec<u8>]) -> (Vec<u8>, usize) {
        let ebml = element(
            &[0x1A, 0x45, 0xDF, 0xA3],
            &[0x42, 0x82, 0x84, b'w', b'e', b'b', b'm'],
        );
        let seek_head = element(&[0x11, 0x4D, 0x9B, 0x74], &[0xAB; 20]);
        let info = element(&[0x15, 0x49, 0xA9, 0x66], &[0; 10]);
        let body = [vec![seek_head, info], clusters.to_vec()].concat().concat();
        let seek_at = ebml.len() + 12;
        (
            [ebml, element(&[0x18, 0x53, 0x80, 0x67], &body)].concat(),
            seek_at,
        )
    }

    /// The file with the patches applied (within its length).
    fn patched(bytes: &[u8], patches: &[Patch]) -> Vec<u8> {
        let mut b = bytes.to_vec();
        for p in patches {
            for (i, &x) in p.bytes.iter().enumerate() {
                if let Some(slot) = b.get_mut(p.at as usize + i) {
                    *slot = x;
                }
            }
        }
        b
    }

    /// Walks the patched file the way a strict reader would; returns the
    /// cluster timestamps and block count it reaches.
    fn strict_walk(b: &[u8]) -> (Vec<u8>, usize) {
        let len = b.len() as u64;
        let mut cur = Cursor::new(b);
        let mut bytes = Bytes::new(&mut cur, len);
        let ebml = bytes.header(0).unwrap();
        let seg = bytes.header(ebml.end().unwrap()).unwrap();
        let mut pos = seg.data;
        let (mut ts, mut blocks) = (Vec::new(), 0);
        while let Some(h) = bytes.header(pos) {
            assert!(TOP_LEVEL.contains(&h.id), "bad top-level {:#x}", h.id);
            let end = h.end().unwrap().min(len);
            if h.id == CLUSTER_ID {
                let mut c = h.data;
                while c < end {
                    let ch = bytes.header(c).unwrap();
                    assert!(IN_CLUSTER.contains(&ch.id), "bad child {:#x} at {c}", ch.id);
                    match ch.id {
                        0xE7 => ts.push(bytes.at(ch.data).unwrap()),
                        0xA3 => blocks += 1,
                        _ => {}
                    }
                    c = ch.end().unwrap();
                }
            }
            pos = end;
            if pos >= len {
                break;
            }
        }
        (ts, blocks)
    }

    #[test]
    fn an_intact_file_needs_nothing() {
        let (f, _) = file(&[cluster(0, 5), cluster(1, 5)]);
        assert!(repair(&mut Cursor::new(&f), f.len() as u64).is_none());
        assert!(repair(&mut Cursor::new(b"RIFF1234WAVE"), 12).is_none());
        assert!(repair(&mut Cursor::new([0u8; 3]), 3).is_none());
    }

    #[test]
    fn a_cut_file_declares_its_length_and_loses_its_seek_head() {
        let (f, seek_at) = file(&[cluster(0, 5), cluster(1, 5)]);
        let cut = &f[..f.len() - 30];
        let r = repair(&mut Cursor::new(cut), cut.len() as u64).unwrap();
        assert_eq!(r.declared_len, f.len() as u64);
        assert!(!r.damaged);
        assert_eq!(r.patches.len(), 1);
        assert_eq!(r.patches[0].at, seek_at as u64);
        let p = patched(cut, &r.patches);
        let mut cur = Cursor::new(&p);
        let h = Bytes::new(&mut cur, p.len() as u64)
            .header(seek_at as u64)
            .unwrap();
        assert_eq!(h.id, u32::from(VOID_ID));
        assert_eq!(h.end(), Some(seek_at as u64 + 32));
    }

    #[test]
    fn garbage_in_a_cluster_is_padded_over() {
        let clusters = [cluster(0, 6), cluster(1, 6), cluster(2, 6)];
        let (f, _) = file(&clusters);
        let second = f.len() - clusters[2].len() - clusters[1].len();
        // Garbage over blocks 2..4 of the second cluster.
        let mut bad = f.clone();
        for (i, x) in bad[second + 40..second + 60].iter_mut().enumerate() {
            *x = 0x5A ^ (i as u8).wrapping_mul(37);
        }
        let r = repair(&mut Cursor::new(&bad), bad.len() as u64).unwrap();
        assert!(r.damaged);
        let (ts, blocks) = strict_walk(&patched(&bad, &r.patches));
        assert_eq!(ts, [0, 1, 2]);
        assert!((14..18).contains(&blocks), "{blocks} blocks kept");
        // Garbage over the second cluster's header and size as well.
        let mut bad = f.clone();
        for x in &mut bad[second + 2..second + 30] {
            *x = 0xFF;
        }
        let r = repair(&mut Cursor::new(&bad), bad.len() as u64).unwrap();
        let (ts, blocks) = strict_walk(&patched(&bad, &r.patches));
        assert_eq!(ts, [0, 2]);
        assert_eq!(blocks, 12);
    }

    #[test]
    fn void_and_resize_encode_their_lengths() {
        for len in [2u64, 100, 128, 129, 5000] {
            let p = void(10, len);
            if len == 129 || len >= 9 && len - 2 >= 127 {
                let p = p.unwrap();
                assert_eq!(p.bytes.len(), 9);
            } else {
                assert_eq!(p.unwrap().bytes.len(), 2);
            }
        }
        assert!(void(0, 1).is_none());
        let h = Header {
            id: CLUSTER_ID,
            size_at: 4,
            size_len: 2,
            data: 6,
            size: Some(10),
        };
        assert_eq!(resize(&h, 300).unwrap().bytes, vec![0x41, 0x2C]);
        assert!(resize(&h, 1 << 20).is_none());
    }
}
