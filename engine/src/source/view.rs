//! [`RepairedView`]: a damaged file as the demuxers should see it.
//!
//! symphonia's mp4 and Matroska readers drop a top-level box or element
//! whose declared size runs past the end of the file, so a recording cut
//! short (the app killed, the disk full, a partial download) is rejected
//! although everything before the cut is intact. The view seeks to the
//! length the file declares instead of the length it has, gives no length
//! otherwise (reads past the real end give end-of-file, which the decoder
//! loop reports as the cut),
//! and can overlay a few bytes (a Matroska seek index pointing past the cut
//! is blanked out as padding). The file itself is never written.

use std::io::{self, Read, Seek, SeekFrom};

use symphonia::core::io::MediaSource;

/// Bytes laid over the file at an offset.
#[derive(Debug, Clone)]
pub(crate) struct Patch {
    /// Offset in the file.
    pub at: u64,
    /// Replacement bytes.
    pub bytes: Vec<u8>,
}

/// A seekable reader shown with a declared length and byte patches.
pub(crate) struct RepairedView<R> {
    inner: R,
    real_len: u64,
    shown_len: u64,
    pos: u64,
    /// Where `inner` is positioned, when known (saves a seek per read).
    inner_pos: Option<u64>,
    patches: Vec<Patch>,
}

impl<R: Read + Seek> RepairedView<R> {
    /// Shows `inner` (`real_len` bytes long) as `shown_len` bytes long
    /// (at least `real_len`), with `patches` laid over it.
    pub(crate) fn new(inner: R, real_len: u64, shown_len: u64, patches: Vec<Patch>) -> Self {
        RepairedView {
            inner,
            real_len,
            shown_len: shown_len.max(real_len),
            pos: 0,
            inner_pos: None,
            patches,
        }
    }
}

impl<R: Read + Seek> Read for RepairedView<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.real_len {
            return Ok(0);
        }
        let want = usize::try_from(self.real_len - self.pos)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        if self.inner_pos != Some(self.pos) {
            self.inner.seek(SeekFrom::Start(self.pos))?;
        }
        let n = match self.inner.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(e) => {
                self.inner_pos = None;
                return Err(e);
            }
        };
        let start = self.pos;
        let end = start + n as u64;
        for p in &self.patches {
            let p_end = p.at.saturating_add(p.bytes.len() as u64);
            if p_end <= start || p.at >= end {
                continue;
            }
            let from = p.at.max(start);
            let to = p_end.min(end);
            let dst = (from - start) as usize..(to - start) as usize;
            let src = (from - p.at) as usize..(to - p.at) as usize;
            buf[dst].copy_from_slice(&p.bytes[src]);
        }
        self.pos = end;
        self.inner_pos = Some(end);
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for RepairedView<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.shown_len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.pos = target;
        Ok(target)
    }
}

impl<R: Read + Seek + Send + Sync> MediaSource for RepairedView<R> {
    fn is_seekable(&self) -> bool {
        true
    }

    /// Unknown when the file was cut short: symphonia's probe reads
    /// trailing tags at `byte_len() - n` and fails at the real end, and
    /// its Matroska reader bounds the segment by it. Seeking to the end
    /// still reaches the declared length (the mp4 reader asks that way).
    fn byte_len(&self) -> Option<u64> {
        (self.shown_len == self.real_len).then_some(self.real_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn shows_the_declared_length_and_the_patches() {
        let data: Vec<u8> = (0..100u8).collect();
        let mut v = RepairedView::new(
            Cursor::new(data.clone()),
            100,
            250,
            vec![Patch {
                at: 10,
                bytes: vec![0xEE; 5],
            }],
        );
        assert_eq!(v.byte_len(), None);
        assert_eq!(v.seek(SeekFrom::End(0)).unwrap(), 250);
        assert_eq!(v.seek(SeekFrom::End(-200)).unwrap(), 50);
        let mut b = [0u8; 8];
        v.read_exact(&mut b).unwrap();
        assert_eq!(b, [50, 51, 52, 53, 54, 55, 56, 57]);
        v.seek(SeekFrom::Start(8)).unwrap();
        let mut b = [0u8; 10];
        v.read_exact(&mut b).unwrap();
        assert_eq!(b, [8, 9, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 15, 16, 17]);
        // Past the real end: end of file, not zeros.
        v.seek(SeekFrom::Start(98)).unwrap();
        let mut rest = Vec::new();
        v.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, [98, 99]);
        v.seek(SeekFrom::Start(180)).unwrap();
        assert_eq!(v.read(&mut b).unwrap(), 0);
        assert!(v.seek(SeekFrom::Current(-1000)).is_err());
    }
}
