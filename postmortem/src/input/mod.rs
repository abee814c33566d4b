//! Inputs: transcripts (engine JSON/JSONL or hand-corrected `.ref.json`) and
//! the roster, placed on one incident timeline as a [`Call`].

pub mod parse;
pub mod roster;
pub mod segments;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};

use crate::error::{Error, Result};
pub use parse::{read_transcript, FileSpeaker, ParsedTranscript, RawUtterance, RawWord};
pub use roster::{initial_prompt, InitialPrompt, Roster, RosterEntry, PROMPT_MAX_CHARS};

/// One timed word on the incident timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// The word as transcribed.
    pub text: String,
    /// Start, seconds from the incident's offset 0.
    pub start: f64,
    /// End, seconds from the incident's offset 0.
    pub end: f64,
}

/// One utterance on the incident timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct CallUtterance {
    /// Id cited in `sources`.
    pub id: String,
    /// Recording name.
    pub recording: String,
    /// Speaker label from the transcript (speaker, or the track of a multitrack recording).
    pub label: Option<String>,
    /// Display name, when the roster, the file or the label gives one.
    pub speaker: Option<String>,
    /// Role, when known.
    pub role: Option<String>,
    /// Start, seconds from the incident's offset 0.
    pub offset_s: f64,
    /// End, seconds from the incident's offset 0.
    pub end_s: f64,
    /// Text.
    pub text: String,
    /// Word timings, when the transcript had them.
    pub words: Vec<Word>,
}

/// One recording of the incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// Short name (file stem).
    pub name: String,
    /// The file read.
    pub path: PathBuf,
    /// Wall clock at its offset 0, when known.
    pub start_utc: Option<DateTime<Utc>>,
    /// Seconds from the incident's offset 0 to this recording's offset 0.
    pub offset_s: f64,
    /// Duration, when known.
    pub duration_s: Option<f64>,
}

/// A speaker known before extraction (from the roster or the file).
#[derive(Debug, Clone, PartialEq)]
pub struct KnownSpeaker {
    /// The label transcripts use.
    pub label: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Option<String>,
    /// Other spellings.
    pub aliases: Vec<String>,
    /// E-mail address, from the roster.
    pub email: Option<String>,
}

/// Every recording of one incident, on one timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Recordings, earliest first.
    pub recordings: Vec<Recording>,
    /// Utterances in timeline order.
    pub utterances: Vec<CallUtterance>,
    /// Speakers known from the roster and the files.
    pub speakers: Vec<KnownSpeaker>,
    /// Wall clock at offset 0, when any recording's start is known.
    pub start_utc: Option<DateTime<Utc>>,
    /// Title a reference transcript carried, if any.
    pub title: Option<String>,
    /// Things worth telling the user (recordings without a start time, ...).
    pub warnings: Vec<String>,
}

impl Call {
    /// Wall clock of an offset, when the call's start is known.
    pub fn utc_at(&self, offset_s: f64) -> Option<DateTime<Utc>> {
        self.start_utc
            .map(|s| s + Duration::milliseconds((offset_s * 1000.0).round() as i64))
    }
}

const MIXED_TRACKS: &[&str] = &["main", "mix", "mixed", "stdin", "-", "mono", "default"];

fn track_label(track: &str) -> Option<String> {
    let stem = Path::new(track)
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| track.to_string());
    let l = stem.to_lowercase();
    if MIXED_TRACKS.contains(&l.as_str()) || l.is_empty() {
        None
    } else {
        Some(stem)
    }
}

/// Whether a label reads like a person's name rather than `S1` or `SPEAKER_00`.
fn looks_like_name(label: &str) -> bool {
    let l = label.to_lowercase();
    label
        .chars()
        .all(|c| c.is_alphabetic() || c == ' ' || c == '-')
        && label.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && !l.starts_with("speaker")
        && !["left", "right", "unknown", "channel"].contains(&l.as_str())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn recording_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "recording".into());
    for suffix in [".ref.json", ".jsonl", ".json"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return stem.to_string();
        }
    }
    name
}

/// Reads transcripts of one incident and places them on one UTC timeline by
/// their wall-clock starts; the roster names the speakers.
pub fn load_transcripts<P: AsRef<Path>>(paths: &[P], roster: Option<&Roster>) -> Result<Call> {
    if paths.is_empty() {
        return Err(Error::NoInput);
    }
    let mut parsed = Vec::new();
    for p in paths {
        let path = p.as_ref();
        let t = read_transcript(path)?;
        if t.utterances.is_empty() {
            return Err(Error::Transcript {
                path: path.to_path_buf(),
                reason: "has no utterances".into(),
            });
        }
        parsed.push((path.to_path_buf(), t));
    }
    Ok(assemble(parsed, roster))
}

/// Places parsed transcripts on one timeline (exposed for callers that parse themselves).
pub fn assemble(parsed: Vec<(PathBuf, ParsedTranscript)>, roster: Option<&Roster>) -> Call {
    let parsed: Vec<(PathBuf, ParsedTranscript)> = parsed
        .into_iter()
        .map(|(p, mut t)| {
            t.utterances = segments::split_squashed_tails(std::mem::take(&mut t.utterances));
            (p, t)
        })
        .collect();
    let mut warnings = Vec::new();
    // Each recording's wall-clock start: stated, or derived from an utterance's wall_start.
    let starts: Vec<Option<DateTime<Utc>>> = parsed
        .iter()
        .map(|(_, t)| {
            t.start_utc.or_else(|| {
                t.utterances.iter().find_map(|u| {
                    u.wall_start
                        .map(|w| w - Duration::milliseconds((u.start * 1000.0).round() as i64))
                })
            })
        })
        .collect();
    let t0 = starts.iter().flatten().min().copied();
    let several = parsed.len() > 1;
    let mut names: Vec<String> = Vec::new();
    let mut recordings = Vec::new();
    let mut next_free = 0.0_f64;
    let mut order: Vec<usize> = (0..parsed.len()).collect();
    order.sort_by_key(|&i| (starts[i].is_none(), starts[i]));
    let mut placed = vec![0.0; parsed.len()];
    for &i in &order {
        let (path, t) = &parsed[i];
        let offset = match (starts[i], t0) {
            (Some(s), Some(t0)) => (s - t0).num_milliseconds() as f64 / 1000.0,
            _ => {
                if several {
                    warnings.push(format!(
                        "{}: no start time; placed after the previous recording",
                        path.display()
                    ));
                }
                next_free
            }
        };
        let end = t
            .duration
            .unwrap_or_else(|| t.utterances.iter().map(|u| u.end).fold(0.0, f64::max));
        next_free = next_free.max(offset + end);
        placed[i] = offset;
    }
    let mut speakers: Vec<KnownSpeaker> = Vec::new();
    if let Some(r) = roster {
        for e in &r.entries {
            speakers.push(KnownSpeaker {
                label: e.label.clone(),
                name: e.name.clone(),
                role: e.role.clone(),
                aliases: e.aliases.clone(),
                email: e.email.clone(),
            });
        }
    }
    let mut utterances = Vec::new();
    let mut title = None;
    for (i, (path, t)) in parsed.iter().enumerate() {
        let mut name = recording_name(path);
        while names.contains(&name) {
            name.push('_');
        }
        names.push(name.clone());
        title = title.or(t.title.clone());
        for fs in &t.speakers {
            if !speakers
                .iter()
                .any(|k| k.label.eq_ignore_ascii_case(&fs.label))
            {
                let from_roster = roster.and_then(|r| r.lookup(&fs.label));
                speakers.push(KnownSpeaker {
                    label: fs.label.clone(),
                    name: from_roster
                        .map(|e| e.name.clone())
                        .unwrap_or(fs.name.clone()),
                    role: from_roster.and_then(|e| e.role.clone()).or(fs.role.clone()),
                    aliases: vec![fs.name.clone()],
                    email: from_roster.and_then(|e| e.email.clone()),
                });
            }
        }
        let offset = placed[i];
        let multitrack = t.tracks.len() > 1
            || t.utterances
                .iter()
                .filter_map(|u| u.track.as_deref())
                .any(|tr| track_label(tr).is_some());
        for u in &t.utterances {
            let label = u.speaker.clone().or_else(|| {
                if multitrack {
                    u.track.as_deref().and_then(track_label)
                } else {
                    None
                }
            });
            let known = label.as_deref().and_then(|l| {
                speakers.iter().find(|k| {
                    k.label.eq_ignore_ascii_case(l)
                        || k.aliases.iter().any(|a| a.eq_ignore_ascii_case(l))
                })
            });
            let (speaker, role) = match (known, label.as_deref()) {
                (Some(k), _) => (Some(k.name.clone()), k.role.clone()),
                (None, Some(l)) if looks_like_name(l) => (Some(capitalise(l)), None),
                _ => (None, None),
            };
            utterances.push(CallUtterance {
                id: if several {
                    format!("{name}:{}", u.id)
                } else {
                    u.id.clone()
                },
                recording: name.clone(),
                label,
                speaker,
                role,
                offset_s: offset + u.start,
                end_s: offset + u.end,
                text: u.text.clone(),
                words: u
                    .words
                    .iter()
                    .map(|w| Word {
                        text: w.text.clone(),
                        start: offset + w.start,
                        end: offset + w.end,
                    })
                    .collect(),
            });
        }
        recordings.push(Recording {
            name,
            path: path.clone(),
            start_utc: starts[i],
            offset_s: offset,
            duration_s: t.duration,
        });
    }
    // Speakers named only by label (no roster, no file map) still count as known.
    for u in &utterances {
        if let (Some(l), Some(n)) = (&u.label, &u.speaker) {
            if !speakers.iter().any(|k| k.label.eq_ignore_ascii_case(l)) {
                speakers.push(KnownSpeaker {
                    label: l.clone(),
                    name: n.clone(),
                    role: u.role.clone(),
                    aliases: Vec::new(),
                    email: None,
                });
            }
        }
    }
    utterances.sort_by(|a, b| a.offset_s.total_cmp(&b.offset_s));
    recordings.sort_by(|a, b| a.offset_s.total_cmp(&b.offset_s));
    Call {
        recordings,
        utterances,
        speakers,
        start_utc: t0,
        title,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utt(
        id: &str,
        speaker: Option<&str>,
        track: Option<&str>,
        start: f64,
        text: &str,
    ) -> RawUtterance {
        RawUtterance {
            id: id.into(),
            track: track.map(str::to_string),
            speaker: speaker.map(str::to_string),
            start,
            end: start + 1.0,
            wall_start: None,
            text: text.into(),
            words: Vec::new(),
        }
    }

    fn transcript(start: Option<&str>, utts: Vec<RawUtterance>) -> ParsedTranscript {
        ParsedTranscript {
            start_utc: start.map(|s| s.parse().unwrap()),
            duration: None,
            tracks: Vec::new(),
            speakers: Vec::new(),
            title: None,
            utterances: utts,
        }
    }

    #[test]
    fn recordings_share_one_timeline_by_wall_clock() {
        let a = transcript(
            Some("2026-01-01T10:00:00Z"),
            vec![utt("0", None, Some("main"), 5.0, "a")],
        );
        let b = transcript(
            Some("2026-01-01T09:59:00Z"),
            vec![utt("0", None, Some("main"), 1.0, "b")],
        );
        let call = assemble(
            vec![
                (PathBuf::from("bridge.json"), a),
                (PathBuf::from("handoff.json"), b),
            ],
            None,
        );
        assert_eq!(call.utterances[0].id, "handoff:0");
        assert_eq!(call.utterances[0].offset_s, 1.0);
        assert_eq!(call.utterances[1].id, "bridge:0");
        assert_eq!(call.utterances[1].offset_s, 65.0);
        assert_eq!(
            call.start_utc.unwrap().to_rfc3339(),
            "2026-01-01T09:59:00+00:00"
        );
    }

    #[test]
    fn tracks_and_roster_name_speakers() {
        let roster =
            Roster::parse("[speakers.S2]\nname = \"Priya Raman\"\nrole = \"Payments\"\n").unwrap();
        let t = transcript(
            None,
            vec![
                utt("0", None, Some("dev.flac"), 0.0, "x"),
                utt("1", Some("S2"), Some("main"), 2.0, "y"),
                utt("2", Some("SPEAKER_07"), None, 3.0, "z"),
            ],
        );
        let call = assemble(vec![(PathBuf::from("c.json"), t)], Some(&roster));
        assert_eq!(call.utterances[0].speaker.as_deref(), Some("Dev"));
        assert_eq!(call.utterances[1].speaker.as_deref(), Some("Priya Raman"));
        assert_eq!(call.utterances[2].speaker, None);
        assert_eq!(call.utterances[2].label.as_deref(), Some("SPEAKER_07"));
    }
}
