//! One recording of a call as audio files — a single mix or one track per
//! participant — and transcribing it into one transcript document (schema
//! hotwash.transcript/1).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::format::JsonSink;
use crate::pipeline::{Pipeline, Track};
use crate::source::FileSource;
use crate::{EngineError, Summary};

/// File extensions read as audio when a directory of tracks is given.
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "flac", "mp3", "ogg", "opus", "m4a", "mp4", "webm", "aac",
];

/// One audio file of a call: the whole call (`name: None`) or one
/// participant's own track (`name` labels the speaker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTrack {
    /// The speaker label, for a participant's own track.
    pub name: Option<String>,
    /// The audio file.
    pub path: PathBuf,
}

impl CallTrack {
    /// The whole call in one file, with no speaker label of its own.
    pub fn whole(path: impl Into<PathBuf>) -> Self {
        Self {
            name: None,
            path: path.into(),
        }
    }
}

/// A participant's track given as `NAME=FILE` on the command line: NAME is
/// the speaker label, FILE the audio (`-` is standard input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackSpec {
    /// The speaker label (trimmed, never empty).
    pub name: String,
    /// The audio file (never empty).
    pub path: PathBuf,
}

/// Why a `NAME=FILE` track, or a set of them, is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackSpecError {
    /// No `=` in the value.
    #[error("expected NAME=FILE, e.g. --track maya=maya.flac")]
    NoEquals,
    /// Nothing before the `=`.
    #[error("the NAME before `=` is empty (it labels the speaker)")]
    EmptyName,
    /// Nothing after the `=`.
    #[error("the FILE after `=` is empty")]
    EmptyFile,
    /// Two tracks with one name (compared case-insensitively).
    #[error(
        "--track {spec}: the name {name} is given to two tracks; give each track its own name"
    )]
    DuplicateName {
        /// The second track with the name, as given.
        spec: String,
        /// The name used twice.
        name: String,
    },
}

impl FromStr for TrackSpec {
    type Err = TrackSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, file) = s.split_once('=').ok_or(TrackSpecError::NoEquals)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(TrackSpecError::EmptyName);
        }
        if file.is_empty() {
            return Err(TrackSpecError::EmptyFile);
        }
        Ok(Self {
            name: name.to_string(),
            path: PathBuf::from(file),
        })
    }
}

impl fmt::Display for TrackSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.path.display())
    }
}

impl TrackSpec {
    /// Refuses a name given to two tracks (case-insensitively: it is the
    /// speaker label).
    pub fn check_unique(specs: &[TrackSpec]) -> Result<(), TrackSpecError> {
        for (i, spec) in specs.iter().enumerate() {
            if specs[..i]
                .iter()
                .any(|s| s.name.eq_ignore_ascii_case(&spec.name))
            {
                return Err(TrackSpecError::DuplicateName {
                    spec: spec.to_string(),
                    name: spec.name.clone(),
                });
            }
        }
        Ok(())
    }
}

impl From<TrackSpec> for CallTrack {
    fn from(spec: TrackSpec) -> Self {
        Self {
            name: Some(spec.name),
            path: spec.path,
        }
    }
}

/// Why a directory of tracks cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TrackDirError {
    /// The directory cannot be listed.
    #[error("{}: cannot list directory: {source}", dir.display())]
    List {
        /// The directory.
        dir: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// No file in it has an audio extension.
    #[error("{}: no audio files in this directory (expected one track per participant)", .0.display())]
    NoAudio(PathBuf),
}

/// Whether `path`'s extension is one of [`AUDIO_EXTENSIONS`] (any case).
pub fn is_audio_file_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The audio files in `dir` (one per participant, as Zoom, Riverside or
/// Craig export them), sorted, each labelled with its file stem.
pub fn tracks_in_dir(dir: &Path) -> Result<Vec<CallTrack>, TrackDirError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| TrackDirError::List {
            dir: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && is_audio_file_name(p))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(TrackDirError::NoAudio(dir.to_path_buf()));
    }
    Ok(files
        .into_iter()
        .map(|p| CallTrack {
            name: p.file_stem().map(|s| s.to_string_lossy().into_owned()),
            path: p,
        })
        .collect())
}

/// A call transcribed into one document.
#[derive(Debug)]
pub struct CallTranscript {
    /// The transcript document (JSON, schema hotwash.transcript/1).
    pub document: Vec<u8>,
    /// The run's totals and warnings.
    pub summary: Summary,
}

/// Transcribes one recording of a call with `pipeline` into one transcript
/// document. Several tracks are transcribed together onto one timeline,
/// each utterance labelled with its track's name; `split_channels` makes
/// each channel its own speaker. The document is returned whole, for the
/// caller to write atomically (a killed run leaves no partial transcript).
pub fn transcribe_call(
    pipeline: &Pipeline,
    audio: &[CallTrack],
    split_channels: bool,
) -> Result<CallTranscript, EngineError> {
    let mut tracks = Vec::with_capacity(audio.len());
    for t in audio {
        let source = FileSource::open(&t.path)?;
        let mut track = Track::new(t.name.as_deref().unwrap_or("main"), Box::new(source));
        track.speaker = t.name.clone();
        track.split_channels = split_channels;
        tracks.push(track);
    }
    let mut document = Vec::new();
    let mut sink = JsonSink::new(&mut document);
    let summary = pipeline.run(tracks, &mut sink)?;
    drop(sink);
    Ok(CallTranscript { document, summary })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn track_specs_parse_and_refuse() {
        let t: TrackSpec = " maya =maya.flac".parse().unwrap();
        assert_eq!(t.name, "maya");
        assert_eq!(t.path, PathBuf::from("maya.flac"));
        assert_eq!(t.to_string(), "maya=maya.flac");
        let t: TrackSpec = "a=b=c.wav".parse().unwrap();
        assert_eq!(t.path, PathBuf::from("b=c.wav"));
        assert_eq!("maya".parse::<TrackSpec>(), Err(TrackSpecError::NoEquals));
        assert_eq!(
            "=x.wav".parse::<TrackSpec>(),
            Err(TrackSpecError::EmptyName)
        );
        assert_eq!(
            " =x.wav".parse::<TrackSpec>(),
            Err(TrackSpecError::EmptyName)
        );
        assert_eq!("a=".parse::<TrackSpec>(), Err(TrackSpecError::EmptyFile));
    }

    #[test]
    fn track_names_are_unique_ignoring_case() {
        let specs: Vec<TrackSpec> = ["a=1.wav", "b=2.wav"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert!(TrackSpec::check_unique(&specs).is_ok());
        let specs: Vec<TrackSpec> = ["a=1.wav", "A=2.wav"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let err = TrackSpec::check_unique(&specs).unwrap_err();
        assert!(err.to_string().contains("--track A=2.wav"), "{err}");
        let call: CallTrack = specs[0].clone().into();
        assert_eq!(call.name.as_deref(), Some("a"));
    }

    #[test]
    fn a_directory_gives_its_audio_files_sorted() {
        let d = tempfile::tempdir().unwrap();
        for f in ["b.FLAC", "a.wav", "notes.txt"] {
            std::fs::write(d.path().join(f), b"").unwrap();
        }
        std::fs::create_dir(d.path().join("c.wav")).unwrap();
        let tracks = tracks_in_dir(d.path()).unwrap();
        let names: Vec<_> = tracks.iter().map(|t| t.name.as_deref().unwrap()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(tracks[1].path, d.path().join("b.FLAC"));
    }

    #[test]
    fn a_directory_without_audio_is_refused() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("notes.txt"), b"").unwrap();
        let err = tracks_in_dir(d.path()).unwrap_err();
        assert!(matches!(err, TrackDirError::NoAudio(_)));
        assert!(err.to_string().contains("no audio files"), "{err}");
        let err = tracks_in_dir(&d.path().join("missing")).unwrap_err();
        assert!(err.to_string().contains("cannot list directory"), "{err}");
    }
}
