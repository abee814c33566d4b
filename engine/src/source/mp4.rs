//! The two facts symphonia's mp4 reader leaves out, read straight from the
//! ISO-BMFF boxes: the movie's creation time (`moov/mvhd`, written by Zoom,
//! Teams, phones and ffmpeg) and the audio track's edit list
//! (`trak/edts/elst`), whose media time says how many encoder-priming
//! frames (1024 or 2112 for AAC) come before the recording's first instant.
//! Without skipping them every time would be late by 21–48 ms.

use std::io::{Read, Seek, SeekFrom};

use chrono::{DateTime, TimeZone, Utc};

use super::created::EARLIEST;

/// Seconds between the ISO-BMFF epoch (1904-01-01) and the Unix epoch.
const MP4_EPOCH_OFFSET: i64 = 2_082_844_800;
/// Boxes scanned at most per level, so a damaged file cannot loop for long.
const MAX_BOXES: usize = 4096;

/// A box's type and payload range.
#[derive(Debug, Clone, Copy)]
struct BoxRange {
    kind: [u8; 4],
    start: u64,
    end: u64,
}

/// Lists the boxes laid end to end in `[start, end)`, stopping at the first
/// malformed header.
fn boxes<R: Read + Seek>(reader: &mut R, start: u64, end: u64) -> Vec<BoxRange> {
    let mut out = Vec::new();
    let mut pos = start;
    while out.len() < MAX_BOXES && pos.saturating_add(8) <= end {
        let Some(b) = box_at(reader, pos, end) else {
            break;
        };
        out.push(b);
        pos = b.end;
    }
    out
}

fn box_at<R: Read + Seek>(reader: &mut R, pos: u64, end: u64) -> Option<BoxRange> {
    reader.seek(SeekFrom::Start(pos)).ok()?;
    let mut header = [0u8; 8];
    reader.read_exact(&mut header).ok()?;
    let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let (size, header_len) = match size32 {
        0 => (end - pos, 8),
        1 => {
            let mut large = [0u8; 8];
            reader.read_exact(&mut large).ok()?;
            (u64::from_be_bytes(large), 16)
        }
        n => (u64::from(n), 8),
    };
    if size < header_len || pos.checked_add(size)? > end {
        return None;
    }
    Some(BoxRange {
        kind: [header[4], header[5], header[6], header[7]],
        start: pos + header_len,
        end: pos + size,
    })
}

fn child<R: Read + Seek>(reader: &mut R, parent: BoxRange, kind: &[u8; 4]) -> Option<BoxRange> {
    boxes(reader, parent.start, parent.end)
        .into_iter()
        .find(|b| &b.kind == kind)
}

fn read_bytes<R: Read + Seek, const N: usize>(reader: &mut R, at: u64) -> Option<[u8; N]> {
    reader.seek(SeekFrom::Start(at)).ok()?;
    let mut b = [0u8; N];
    reader.read_exact(&mut b).ok()?;
    Some(b)
}

/// The file's `moov` box, when it is an ISO-BMFF file.
fn moov<R: Read + Seek>(reader: &mut R) -> Option<BoxRange> {
    let end = reader.seek(SeekFrom::End(0)).ok()?;
    boxes(reader, 0, end)
        .into_iter()
        .find(|b| &b.kind == b"moov")
}

/// How an ISO-BMFF file's top-level boxes are laid out, as far as the
/// file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Whether a complete `moov` box (the index of every sample) is there.
    pub has_moov: bool,
    /// Whether a `moov` box starts but the file ends inside it.
    pub moov_cut: bool,
    /// Length the boxes declare: past the file's end when its last box
    /// (typically `mdat`) was cut short.
    pub declared_len: u64,
}

/// Lays out the top-level boxes of an ISO-BMFF file (one that starts with
/// `ftyp`); `None` for anything else. Unlike [`boxes`], the last box may run
/// past the end of the file (a truncated recording).
pub(crate) fn layout<R: Read + Seek>(reader: &mut R) -> Option<Layout> {
    let end = reader.seek(SeekFrom::End(0)).ok()?;
    let mut out = Layout {
        has_moov: false,
        moov_cut: false,
        declared_len: end,
    };
    let mut pos = 0u64;
    let mut count = 0usize;
    while count < MAX_BOXES && pos.saturating_add(8) <= end {
        let Some((kind, size)) = header_at(reader, pos) else {
            break;
        };
        if count == 0 && &kind != b"ftyp" {
            return None;
        }
        count += 1;
        let box_end = match size {
            Some(size) => pos.checked_add(size)?,
            None => end,
        };
        if box_end > end {
            out.declared_len = box_end;
            out.moov_cut |= &kind == b"moov";
            break;
        }
        out.has_moov |= &kind == b"moov";
        pos = box_end;
    }
    (count > 0).then_some(out)
}

/// A box header at `pos`: its type and total size (`None` when it runs to
/// the end of the file). `None` when the header is malformed.
fn header_at<R: Read + Seek>(reader: &mut R, pos: u64) -> Option<([u8; 4], Option<u64>)> {
    let header = read_bytes::<_, 8>(reader, pos)?;
    let kind = [header[4], header[5], header[6], header[7]];
    if !kind
        .iter()
        .all(|&c| c.is_ascii_graphic() || c == b' ' || c == 0xA9)
    {
        return None;
    }
    let size = match u32::from_be_bytes([header[0], header[1], header[2], header[3]]) {
        0 => return Some((kind, None)),
        1 => {
            let large = u64::from_be_bytes(read_bytes::<_, 8>(reader, pos + 8)?);
            (large >= 16).then_some(large)?
        }
        n => (n >= 8).then_some(u64::from(n))?,
    };
    Some((kind, Some(size)))
}

/// Reads the creation time from an mp4/m4a/mov file's `moov/mvhd` box.
/// `None` for other files, unset (zero) times, or any read problem.
pub(crate) fn creation_time<R: Read + Seek>(reader: &mut R) -> Option<DateTime<Utc>> {
    let moov = moov(reader)?;
    let mvhd = child(reader, moov, b"mvhd")?;
    let [version, ..] = read_bytes::<_, 4>(reader, mvhd.start)?;
    let secs = if version == 1 {
        (mvhd.end >= mvhd.start + 12).then_some(())?;
        u64::from_be_bytes(read_bytes(reader, mvhd.start + 4)?)
    } else {
        (mvhd.end >= mvhd.start + 8).then_some(())?;
        u64::from(u32::from_be_bytes(read_bytes(reader, mvhd.start + 4)?))
    };
    let unix = i64::try_from(secs).ok()?.checked_sub(MP4_EPOCH_OFFSET)?;
    if unix < EARLIEST {
        return None;
    }
    Utc.timestamp_opt(unix, 0).single()
}

/// Leading media time of the first sound track that the edit list says to
/// skip (encoder priming), as `(media_time, timescale)`. `None` when the
/// file is not mp4, has no sound track or no edit list, or the list is
/// malformed.
pub(crate) fn audio_priming<R: Read + Seek>(reader: &mut R) -> Option<(u64, u32)> {
    let moov = moov(reader)?;
    let trak = boxes(reader, moov.start, moov.end)
        .into_iter()
        .filter(|b| &b.kind == b"trak")
        .find(|&trak| is_sound_track(reader, trak))?;
    let mdia = child(reader, trak, b"mdia")?;
    let mdhd = child(reader, mdia, b"mdhd")?;
    let [version, ..] = read_bytes::<_, 4>(reader, mdhd.start)?;
    let timescale_at = mdhd.start + if version == 1 { 20 } else { 12 };
    (mdhd.end >= timescale_at + 4).then_some(())?;
    let timescale = u32::from_be_bytes(read_bytes(reader, timescale_at)?);
    if timescale == 0 {
        return None;
    }
    let edts = child(reader, trak, b"edts")?;
    let elst = child(reader, edts, b"elst")?;
    let [version, ..] = read_bytes::<_, 4>(reader, elst.start)?;
    let count = u32::from_be_bytes(read_bytes(reader, elst.start + 4)?);
    let entry_len: u64 = if version == 1 { 20 } else { 12 };
    let mut at = elst.start + 8;
    for _ in 0..count.min(16) {
        if at + entry_len > elst.end {
            return None;
        }
        let media_time = if version == 1 {
            i64::from_be_bytes(read_bytes(reader, at + 8)?)
        } else {
            i64::from(i32::from_be_bytes(read_bytes(reader, at + 4)?))
        };
        // -1 marks an empty edit (a gap before the media); skip past it.
        if media_time >= 0 {
            return Some((media_time.unsigned_abs(), timescale));
        }
        at += entry_len;
    }
    None
}

fn is_sound_track<R: Read + Seek>(reader: &mut R, trak: BoxRange) -> bool {
    let handler = (|| {
        let mdia = child(reader, trak, b"mdia")?;
        let hdlr = child(reader, mdia, b"hdlr")?;
        (hdlr.end >= hdlr.start + 12).then_some(())?;
        read_bytes::<_, 4>(reader, hdlr.start + 8)
    })();
    handler == Some(*b"soun")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn mp4_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(payload);
        b
    }

    fn sample_file(ctime: u32, media_time: i32) -> Vec<u8> {
        let mut mvhd = vec![0u8, 0, 0, 0];
        mvhd.extend_from_slice(&ctime.to_be_bytes());
        mvhd.extend_from_slice(&[0u8; 92]);
        let mut hdlr = vec![0u8; 8];
        hdlr.extend_from_slice(b"soun");
        hdlr.extend_from_slice(&[0u8; 12]);
        let mut mdhd = vec![0u8; 12];
        mdhd.extend_from_slice(&44_100u32.to_be_bytes());
        mdhd.extend_from_slice(&[0u8; 8]);
        let mut elst = vec![0u8, 0, 0, 0];
        elst.extend_from_slice(&1u32.to_be_bytes());
        elst.extend_from_slice(&1000u32.to_be_bytes());
        elst.extend_from_slice(&media_time.to_be_bytes());
        elst.extend_from_slice(&0x0001_0000u32.to_be_bytes());
        let mdia = mp4_box(
            b"mdia",
            &[mp4_box(b"mdhd", &mdhd), mp4_box(b"hdlr", &hdlr)].concat(),
        );
        let edts = mp4_box(b"edts", &mp4_box(b"elst", &elst));
        let trak = mp4_box(b"trak", &[mp4_box(b"tkhd", &[0; 84]), edts, mdia].concat());
        let moov = mp4_box(
            b"moov",
            &[mp4_box(b"mvhd", &mvhd), mp4_box(b"udta", &[1, 2, 3]), trak].concat(),
        );
        [
            mp4_box(b"ftyp", b"isomiso2"),
            mp4_box(b"mdat", &[0; 50]),
            moov,
        ]
        .concat()
    }

    #[test]
    fn reads_mvhd_creation_time() {
        let when = Utc.with_ymd_and_hms(2023, 11, 5, 9, 30, 0).unwrap();
        let secs = (when.timestamp() + MP4_EPOCH_OFFSET) as u32;
        let file = sample_file(secs, 1024);
        assert_eq!(creation_time(&mut Cursor::new(&file)), Some(when));
        // Zero means "unset".
        assert_eq!(creation_time(&mut Cursor::new(sample_file(0, 0))), None);
        // Garbage and truncation give None, not a panic.
        assert_eq!(creation_time(&mut Cursor::new(&file[..30])), None);
        assert_eq!(creation_time(&mut Cursor::new(vec![0xffu8; 64])), None);
    }

    #[test]
    fn lays_out_cut_and_unfinished_files() {
        let file = sample_file(0, 0);
        let whole = layout(&mut Cursor::new(&file)).unwrap();
        assert!(whole.has_moov && !whole.moov_cut);
        assert_eq!(whole.declared_len, file.len() as u64);
        // Cut inside the trailing moov: the index is cut off.
        let cut = layout(&mut Cursor::new(&file[..file.len() - 10])).unwrap();
        assert!(!cut.has_moov && cut.moov_cut);
        // Cut inside mdat: no moov, and the declared length is mdat's end.
        let mdat_end = 16 + 58;
        let cut = layout(&mut Cursor::new(&file[..40])).unwrap();
        assert!(!cut.has_moov && !cut.moov_cut);
        assert_eq!(cut.declared_len, mdat_end);
        assert_eq!(layout(&mut Cursor::new(b"RIFF....WAVEfmt ".to_vec())), None);
    }

    #[test]
    fn reads_edit_list_priming() {
        let file = sample_file(0, 2112);
        assert_eq!(audio_priming(&mut Cursor::new(&file)), Some((2112, 44_100)));
        let cut = &file[..file.len() - 10];
        assert_eq!(audio_priming(&mut Cursor::new(cut)), None);
        let wav = b"RIFF....WAVE".to_vec();
        assert_eq!(audio_priming(&mut Cursor::new(wav)), None);
    }
}
