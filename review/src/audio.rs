//! The call's audio: finding each recording's file, and serving byte ranges
//! of it so the browser can seek (`Accept-Ranges: bytes`, 206 Partial Content).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use hotwash_postmortem::IncidentRecord;

const AUDIO_EXTS: [&str; 8] = ["flac", "wav", "mp3", "ogg", "opus", "m4a", "webm", "aac"];

/// One recording's audio as the page plays it.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioSource {
    /// The recording's name in the record.
    pub name: String,
    /// The audio file, when one was found.
    pub path: Option<PathBuf>,
    /// Why there is none, when there is none (shown on the play buttons).
    pub missing: Option<String>,
    /// Seconds from the incident's offset 0 to this recording's offset 0.
    pub offset_s: f64,
}

fn is_audio(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTS.iter().any(|a| e.eq_ignore_ascii_case(a)))
}

/// Where a path as written in a record may be: as written, under the
/// incident directory, and its file name inside the incident directory.
fn candidates(written: &Path, dir: &Path) -> Vec<PathBuf> {
    let mut v = vec![written.to_path_buf()];
    if written.is_relative() {
        v.push(dir.join(written));
    }
    if let Some(name) = written.file_name() {
        v.push(dir.join(name));
    }
    v
}

/// The audio a transcript JSON names as its source (`recording.sources`).
fn source_of_transcript(json: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(json) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    let base = json.parent().unwrap_or(Path::new("."));
    v["recording"]["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str())
        .flat_map(|s| candidates(Path::new(s), base))
        .collect()
}

/// Audio files beside a transcript with the same stem (`call.ref.json` → `call.flac`).
fn siblings(p: &Path, dir: &Path) -> Vec<PathBuf> {
    let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let mut stem = name;
    for suffix in [".json", ".jsonl", ".ref", ".transcript"] {
        stem = stem.strip_suffix(suffix).unwrap_or(stem);
    }
    let parents = [p.parent().map(Path::to_path_buf), Some(dir.to_path_buf())];
    let mut v = Vec::new();
    for parent in parents.into_iter().flatten() {
        for ext in AUDIO_EXTS {
            v.push(parent.join(format!("{stem}.{ext}")));
        }
    }
    v
}

/// Finds the audio of each of the record's recordings. `given` (the
/// command's `--audio`) wins for the first recording.
pub fn find_audio(dir: &Path, r: &IncidentRecord, given: Option<&Path>) -> Vec<AudioSource> {
    r.recordings
        .iter()
        .enumerate()
        .map(|(i, rec)| {
            let mut tried: Vec<PathBuf> = Vec::new();
            if let (0, Some(g)) = (i, given) {
                tried.push(g.to_path_buf());
            }
            for c in candidates(Path::new(&rec.path), dir) {
                if is_audio(&c) {
                    tried.push(c);
                } else if c.is_file() {
                    tried.extend(source_of_transcript(&c));
                    tried.extend(siblings(&c, dir));
                }
            }
            tried.extend(siblings(Path::new(&rec.path), dir));
            let found = tried
                .iter()
                .find(|p| p.is_file() && is_audio(p))
                .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()));
            let missing = match (&found, given) {
                (Some(_), _) => None,
                (None, Some(g)) if i == 0 => Some(format!("{}: no such audio file", g.display())),
                (None, _) => Some(format!(
                    "no audio found for recording {} ({}); pass --audio FILE",
                    rec.name, rec.path
                )),
            };
            AudioSource {
                name: rec.name.clone(),
                path: found,
                missing,
                offset_s: rec.offset_s,
            }
        })
        .collect()
}

/// The MIME type of an audio file, by extension.
pub(crate) fn mime(p: &Path) -> &'static str {
    match p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("flac") => "audio/flac",
        Some("wav") => "audio/wav",
        Some("mp3") => "audio/mpeg",
        Some("ogg" | "opus") => "audio/ogg",
        Some("m4a" | "aac") => "audio/mp4",
        Some("webm") => "audio/webm",
        _ => "application/octet-stream",
    }
}

/// A byte range request resolved against a file's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Span {
    /// No (usable) Range header: the whole file, 200.
    Whole,
    /// Bytes `start..=end`, 206.
    Part(u64, u64),
    /// Outside the file, 416.
    Unsatisfiable,
}

/// Reads a `Range: bytes=…` header (one range; several are served whole).
pub(crate) fn span(header: Option<&str>, len: u64) -> Span {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Span::Whole;
    };
    if spec.contains(',') {
        return Span::Whole;
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Span::Whole;
    };
    let (a, b) = (a.trim(), b.trim());
    let parsed = match (a.is_empty(), b.is_empty()) {
        (true, false) => b
            .parse::<u64>()
            .ok()
            .map(|n| (len.saturating_sub(n), len.saturating_sub(1))),
        (false, _) => a.parse::<u64>().ok().map(|s| {
            let e = b.parse::<u64>().unwrap_or(u64::MAX);
            (s, e.min(len.saturating_sub(1)))
        }),
        (true, true) => None,
    };
    match parsed {
        Some((s, e)) if len > 0 && s <= e && s < len => Span::Part(s, e),
        Some(_) => Span::Unsatisfiable,
        None => Span::Whole,
    }
}

/// Reads bytes `start..=end` of `path`.
pub(crate) fn read_span(path: &Path, start: u64, end: u64) -> std::io::Result<Vec<u8>> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    f.take(end - start + 1).read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::{span, Span};

    #[test]
    fn ranges_as_browsers_send_them() {
        assert_eq!(span(None, 100), Span::Whole);
        assert_eq!(span(Some("bytes=0-"), 100), Span::Part(0, 99));
        assert_eq!(span(Some("bytes=10-19"), 100), Span::Part(10, 19));
        assert_eq!(span(Some("bytes=90-200"), 100), Span::Part(90, 99));
        assert_eq!(span(Some("bytes=-10"), 100), Span::Part(90, 99));
        assert_eq!(span(Some("bytes=100-"), 100), Span::Unsatisfiable);
        assert_eq!(span(Some("bytes=5-1"), 100), Span::Unsatisfiable);
        assert_eq!(span(Some("items=1-2"), 100), Span::Whole);
        assert_eq!(span(Some("bytes=0-1,5-6"), 100), Span::Whole);
    }
}
