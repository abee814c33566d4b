//! RTTM, the standard file of speaker turns (NIST Rich Transcription):
//! `SPEAKER <file> <channel> <start> <duration> <NA> <NA> <speaker> <NA> <NA>`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hotwash_engine::SpeakerTurn;

/// The turns of one file in an RTTM document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rttm {
    /// The file id (second field).
    pub file: String,
    /// Its turns, in start order.
    pub turns: Vec<SpeakerTurn>,
}

/// Why an RTTM file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RttmError {
    /// The file cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// A `SPEAKER` line is malformed.
    #[error("{}: line {line}: {reason} (expected `SPEAKER file 1 start duration <NA> <NA> name <NA> <NA>`)", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

impl Rttm {
    /// Parses every file's turns in an RTTM document (lines other than
    /// `SPEAKER` are skipped), in order of first appearance.
    pub fn parse(text: &str, path: &Path) -> Result<Vec<Rttm>, RttmError> {
        let mut files: Vec<Rttm> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.first() != Some(&"SPEAKER") {
                continue;
            }
            let bad = |reason: &str| RttmError::Line {
                path: path.to_path_buf(),
                line: i + 1,
                reason: reason.to_string(),
            };
            if fields.len() < 8 {
                return Err(bad("too few fields"));
            }
            let start: f64 = fields[3]
                .parse()
                .map_err(|_| bad("start is not a number"))?;
            let dur: f64 = fields[4]
                .parse()
                .map_err(|_| bad("duration is not a number"))?;
            if !(start.is_finite() && dur.is_finite() && start >= 0.0 && dur >= 0.0) {
                return Err(bad("negative or non-finite time"));
            }
            let turn = SpeakerTurn {
                start,
                end: start + dur,
                speaker: fields[7].to_string(),
            };
            match files.iter_mut().find(|f| f.file == fields[1]) {
                Some(f) => f.turns.push(turn),
                None => files.push(Rttm {
                    file: fields[1].to_string(),
                    turns: vec![turn],
                }),
            }
        }
        for f in &mut files {
            f.turns.sort_by(|a, b| a.start.total_cmp(&b.start));
        }
        Ok(files)
    }

    /// Reads and parses an RTTM file.
    pub fn read(path: &Path) -> Result<Vec<Rttm>, RttmError> {
        let text = std::fs::read_to_string(path).map_err(|source| RttmError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// This file's turns as RTTM lines (names with spaces get `_`).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for t in &self.turns {
            let _ = writeln!(
                out,
                "SPEAKER {} 1 {:.3} {:.3} <NA> <NA> {} <NA> <NA>",
                self.file,
                t.start,
                (t.end - t.start).max(0.0),
                t.speaker.replace(char::is_whitespace, "_")
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_groups_by_file() {
        let text = "SPEAKER a 1 1.000 2.500 <NA> <NA> maya <NA> <NA>\n\
                    ;; comment\n\
                    SPEAKER b 1 0.000 1.000 <NA> <NA> x <NA> <NA>\n\
                    SPEAKER a 1 0.200 0.500 <NA> <NA> dev <NA> <NA>\n";
        let files = Rttm::parse(text, Path::new("t.rttm")).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].file, "a");
        assert_eq!(files[0].turns[0].speaker, "dev");
        assert_eq!(files[0].turns[1].end, 3.5);
        let again = Rttm::parse(&files[0].to_text(), Path::new("u")).unwrap();
        assert_eq!(again[0], files[0]);
    }

    #[test]
    fn malformed_lines_name_the_line() {
        let err =
            Rttm::parse("SPEAKER a 1 x 1 <NA> <NA> m <NA> <NA>", Path::new("t.rttm")).unwrap_err();
        assert!(err.to_string().contains("t.rttm: line 1: start"), "{err}");
        assert!(Rttm::parse("SPEAKER a 1", Path::new("t")).is_err());
    }
}
