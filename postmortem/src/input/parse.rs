//! Reading one transcript file: the engine's JSON document, its JSON Lines,
//! or a hand-corrected `.ref.json` (`start_utc`, `speakers`, `turns`).

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// One timed word.
#[derive(Debug, Clone, PartialEq)]
pub struct RawWord {
    /// The word as transcribed.
    pub text: String,
    /// Start, seconds from the recording's start.
    pub start: f64,
    /// End, seconds from the recording's start.
    pub end: f64,
}

/// One utterance as read, before placement on the incident timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct RawUtterance {
    /// The file's own id, as text.
    pub id: String,
    /// Track name (`main` for a single mixed file).
    pub track: Option<String>,
    /// Speaker label, when the transcript has one.
    pub speaker: Option<String>,
    /// Start, seconds from the recording's start.
    pub start: f64,
    /// End, seconds from the recording's start.
    pub end: f64,
    /// Wall-clock start, when the transcript gives it.
    pub wall_start: Option<DateTime<Utc>>,
    /// The text.
    pub text: String,
    /// Word timings, when any.
    pub words: Vec<RawWord>,
}

/// A speaker the file itself names (the `.ref.json` `speakers` map).
#[derive(Debug, Clone, PartialEq)]
pub struct FileSpeaker {
    /// The label turns use.
    pub label: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Option<String>,
}

/// One transcript file, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedTranscript {
    /// Wall clock at offset 0, when known.
    pub start_utc: Option<DateTime<Utc>>,
    /// Duration in seconds, when known.
    pub duration: Option<f64>,
    /// Track names the recording had.
    pub tracks: Vec<String>,
    /// Speakers named by the file.
    pub speakers: Vec<FileSpeaker>,
    /// Title, when the file has one (reference transcripts do).
    pub title: Option<String>,
    /// The utterances, in file order.
    pub utterances: Vec<RawUtterance>,
}

#[derive(Deserialize)]
struct EngineWord {
    #[serde(default)]
    text: String,
    #[serde(default)]
    start: f64,
    #[serde(default)]
    end: f64,
}

#[derive(Deserialize)]
struct EngineUtterance {
    #[serde(default)]
    id: Value,
    #[serde(default)]
    track: Option<String>,
    #[serde(default)]
    speaker: Option<String>,
    start: f64,
    end: f64,
    #[serde(default)]
    wall_start: Option<DateTime<Utc>>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    words: Vec<EngineWord>,
}

#[derive(Deserialize, Default)]
struct EngineRecording {
    #[serde(default)]
    tracks: Vec<String>,
    #[serde(default)]
    start_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    duration: Option<f64>,
}

#[derive(Deserialize)]
struct RefSpeaker {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    role: Option<String>,
}

#[derive(Deserialize)]
struct RefTurn {
    #[serde(default)]
    id: Value,
    #[serde(default)]
    speaker: Option<String>,
    start: f64,
    end: f64,
    #[serde(default)]
    text: String,
}

fn id_text(v: &Value, fallback: usize) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => fallback.to_string(),
    }
}

fn engine_utterance(u: EngineUtterance, index: usize) -> RawUtterance {
    RawUtterance {
        id: id_text(&u.id, index),
        track: u.track,
        speaker: u.speaker.filter(|s| {
            let l = s.trim().to_lowercase();
            !l.is_empty() && l != "unknown" && l != "null"
        }),
        start: u.start,
        end: u.end.max(u.start),
        wall_start: u.wall_start,
        text: u.text.trim().to_string(),
        words: u
            .words
            .into_iter()
            .map(|w| RawWord {
                text: w.text,
                start: w.start,
                end: w.end,
            })
            .collect(),
    }
}

/// Latest offset a transcript may give, seconds (about 11 days): beyond
/// it a time is damage, and would overflow the clock arithmetic later.
pub const MAX_OFFSET_S: f64 = 1_000_000.0;
/// Years a wall-clock time in a transcript may fall in.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// Checks that every time in a parsed transcript is one a recording can
/// have: offsets from 0 to [`MAX_OFFSET_S`], wall-clock times in the years
/// 1900 to 9999. The error names the first offender.
fn check_times(path: &Path, t: &ParsedTranscript) -> Result<()> {
    use chrono::Datelike;
    let offset_ok = |x: f64| (0.0..=MAX_OFFSET_S).contains(&x);
    let when_ok = |w: &DateTime<Utc>| YEARS.contains(&w.year());
    if let Some(w) = t.start_utc.as_ref().filter(|w| !when_ok(w)) {
        return Err(bad(path, format!("has an impossible start time ({w})")));
    }
    if let Some(d) = t.duration.filter(|&d| !offset_ok(d)) {
        return Err(bad(
            path,
            format!("has an impossible duration ({d} s; expected 0 to {MAX_OFFSET_S} s)"),
        ));
    }
    for u in &t.utterances {
        let times = [u.start, u.end]
            .into_iter()
            .chain(u.words.iter().flat_map(|w| [w.start, w.end]));
        if let Some(x) = times.into_iter().find(|&x| !offset_ok(x)) {
            return Err(bad(
                path,
                format!(
                    "utterance {} has an impossible time ({x} s; expected seconds from the \
                     recording's start, 0 to {MAX_OFFSET_S})",
                    u.id
                ),
            ));
        }
        if let Some(w) = u.wall_start.as_ref().filter(|w| !when_ok(w)) {
            return Err(bad(
                path,
                format!(
                    "utterance {} has an impossible wall-clock start ({w})",
                    u.id
                ),
            ));
        }
    }
    Ok(())
}

fn bad(path: &Path, reason: impl Into<String>) -> Error {
    Error::Transcript {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads and parses one transcript file, choosing the format from its content.
pub fn read_transcript(path: &Path) -> Result<ParsedTranscript> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        err: source,
    })?;
    parse_transcript(path, &text)
}

/// Parses transcript text; `path` only names the file in errors. Times
/// no recording can have (negative, beyond [`MAX_OFFSET_S`], wall clocks
/// outside the years 1900–9999) are refused.
pub fn parse_transcript(path: &Path, text: &str) -> Result<ParsedTranscript> {
    let t = parse_any(path, text)?;
    check_times(path, &t)?;
    Ok(t)
}

fn parse_any(path: &Path, text: &str) -> Result<ParsedTranscript> {
    if text.trim().is_empty() {
        return Err(bad(path, "is empty"));
    }
    let is_jsonl = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"));
    if !is_jsonl {
        match serde_json::from_str::<Value>(text) {
            Ok(doc) => return parse_document(path, doc),
            Err(e) if text.trim_start().starts_with('{') && text.lines().count() > 1 => {
                // Could still be JSON Lines with a .json name.
                if let Ok(t) = parse_jsonl(path, text) {
                    return Ok(t);
                }
                return Err(bad(path, format!("is not valid JSON ({e})")));
            }
            Err(e) => {
                if let Ok(t) = parse_jsonl(path, text) {
                    return Ok(t);
                }
                return Err(bad(path, format!("is not valid JSON ({e})")));
            }
        }
    }
    parse_jsonl(path, text)
}

fn parse_document(path: &Path, doc: Value) -> Result<ParsedTranscript> {
    let Value::Object(map) = doc else {
        return Err(bad(path, "is JSON but not an object"));
    };
    if let Some(turns) = map.get("turns") {
        return parse_reference(path, &map, turns);
    }
    let Some(utts) = map.get("utterances") else {
        if map.contains_key("start") && map.contains_key("text") {
            // A single JSONL utterance in a .json file.
            let u: EngineUtterance = serde_json::from_value(Value::Object(map))
                .map_err(|e| bad(path, format!("utterance is malformed ({e})")))?;
            return Ok(ParsedTranscript {
                start_utc: None,
                duration: None,
                tracks: Vec::new(),
                speakers: Vec::new(),
                title: None,
                utterances: vec![engine_utterance(u, 0)],
            });
        }
        return Err(bad(path, "has neither `utterances` nor `turns`"));
    };
    let recording: EngineRecording = match map.get("recording") {
        Some(r) => serde_json::from_value(r.clone())
            .map_err(|e| bad(path, format!("`recording` is malformed ({e})")))?,
        None => EngineRecording::default(),
    };
    let list: Vec<EngineUtterance> = serde_json::from_value(utts.clone())
        .map_err(|e| bad(path, format!("`utterances` is malformed ({e})")))?;
    Ok(ParsedTranscript {
        start_utc: recording.start_utc,
        duration: recording.duration,
        tracks: recording.tracks,
        speakers: Vec::new(),
        title: None,
        utterances: list
            .into_iter()
            .enumerate()
            .map(|(i, u)| engine_utterance(u, i))
            .collect(),
    })
}

fn parse_reference(
    path: &Path,
    map: &serde_json::Map<String, Value>,
    turns: &Value,
) -> Result<ParsedTranscript> {
    let start_utc = match map.get("start_utc") {
        Some(Value::String(s)) => Some(
            DateTime::parse_from_rfc3339(s)
                .map_err(|e| bad(path, format!("`start_utc` {s:?} is not RFC 3339 ({e})")))?
                .with_timezone(&Utc),
        ),
        _ => None,
    };
    let mut speakers = Vec::new();
    if let Some(Value::Object(sp)) = map.get("speakers") {
        for (label, v) in sp {
            let s: RefSpeaker = serde_json::from_value(v.clone())
                .map_err(|e| bad(path, format!("speaker `{label}` is malformed ({e})")))?;
            speakers.push(FileSpeaker {
                label: label.clone(),
                name: s.name.unwrap_or_else(|| label.clone()),
                role: s.role,
            });
        }
    }
    let list: Vec<RefTurn> = serde_json::from_value(turns.clone())
        .map_err(|e| bad(path, format!("`turns` is malformed ({e})")))?;
    let utterances = list
        .into_iter()
        .enumerate()
        .map(|(i, t)| RawUtterance {
            id: id_text(&t.id, i),
            track: None,
            speaker: t.speaker,
            start: t.start,
            end: t.end.max(t.start),
            wall_start: None,
            text: t.text.trim().to_string(),
            words: Vec::new(),
        })
        .collect();
    Ok(ParsedTranscript {
        start_utc,
        duration: map.get("duration").and_then(Value::as_f64),
        tracks: Vec::new(),
        speakers,
        title: map.get("title").and_then(Value::as_str).map(str::to_string),
        utterances,
    })
}

fn parse_jsonl(path: &Path, text: &str) -> Result<ParsedTranscript> {
    let mut out = ParsedTranscript {
        start_utc: None,
        duration: None,
        tracks: Vec::new(),
        speakers: Vec::new(),
        title: None,
        utterances: Vec::new(),
    };
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .map_err(|e| bad(path, format!("line {} is not JSON ({e})", n + 1)))?;
        let kind = v.get("type").and_then(Value::as_str);
        match kind {
            None | Some("utterance") => {
                let u: EngineUtterance = serde_json::from_value(v)
                    .map_err(|e| bad(path, format!("line {} is not an utterance ({e})", n + 1)))?;
                let i = out.utterances.len();
                out.utterances.push(engine_utterance(u, i));
            }
            Some("recording") | Some("header") => {
                let r: EngineRecording =
                    serde_json::from_value(v.get("recording").cloned().unwrap_or(v.clone()))
                        .unwrap_or_default();
                out.start_utc = out.start_utc.or(r.start_utc);
                out.duration = out.duration.or(r.duration);
                if out.tracks.is_empty() {
                    out.tracks = r.tracks;
                }
            }
            Some(_) => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn p(name: &str) -> PathBuf {
        PathBuf::from(name)
    }

    #[test]
    fn reads_engine_document() {
        let t = parse_transcript(
            &p("a.json"),
            r#"{"schema":"hotwash.transcript/1","recording":{"sources":["x.wav"],"tracks":["main"],"start_utc":"2026-01-02T10:00:00Z","model":"m"},
            "utterances":[{"id":0,"track":"main","speaker":null,"start":1.0,"end":2.0,"text":" Hello there. ","words":[{"text":"Hello","start":1.0,"end":1.4,"probability":0.9}],"avg_logprob":-0.2,"no_speech_prob":0.0,"extra":1}],
            "summary":{}}"#,
        )
        .unwrap();
        assert_eq!(t.utterances.len(), 1);
        assert_eq!(t.utterances[0].id, "0");
        assert_eq!(t.utterances[0].text, "Hello there.");
        assert!(t.utterances[0].speaker.is_none());
        assert_eq!(
            t.start_utc.unwrap().to_rfc3339(),
            "2026-01-02T10:00:00+00:00"
        );
    }

    #[test]
    fn reads_jsonl_skipping_other_types() {
        let t = parse_transcript(
            &p("a.jsonl"),
            "{\"id\":3,\"track\":\"ann\",\"speaker\":\"unknown\",\"start\":0.5,\"end\":1,\"text\":\"hi\"}\n\n{\"type\":\"summary\",\"utterances\":1}\n{\"type\":\"utterance\",\"id\":4,\"start\":2,\"end\":3,\"text\":\"bye\",\"wall_start\":\"2026-01-02T10:00:02Z\"}\n",
        )
        .unwrap();
        assert_eq!(t.utterances.len(), 2);
        assert!(t.utterances[0].speaker.is_none());
        assert!(t.utterances[1].wall_start.is_some());
    }

    #[test]
    fn reads_reference_turns() {
        let t = parse_transcript(
            &p("x.ref.json"),
            r#"{"start_utc":"2026-03-01T08:00:00Z","speakers":{"ann":{"name":"Ann","role":"IC"}},
                "turns":[{"id":"t01","speaker":"ann","start":0.5,"end":2.5,"text":"We are live."}]}"#,
        )
        .unwrap();
        assert_eq!(t.speakers[0].name, "Ann");
        assert_eq!(t.utterances[0].id, "t01");
    }

    #[test]
    fn impossible_times_are_refused() {
        for (text, what) in [
            (
                r#"{"utterances":[{"start":1e300,"end":2,"text":"a"}]}"#,
                "impossible time",
            ),
            (
                r#"{"utterances":[{"start":-5,"end":2,"text":"a"}]}"#,
                "impossible time",
            ),
            (
                r#"{"utterances":[{"start":1,"end":2,"text":"a","words":[{"text":"a","start":9e18,"end":1}]}]}"#,
                "impossible time",
            ),
            (
                r#"{"recording":{"start_utc":"+262142-12-31T23:59:59Z"},"utterances":[{"start":1,"end":2,"text":"a"}]}"#,
                "impossible start time",
            ),
            (
                r#"{"recording":{"duration":1e20},"utterances":[{"start":1,"end":2,"text":"a"}]}"#,
                "impossible duration",
            ),
        ] {
            let e = parse_transcript(&p("t.json"), text)
                .unwrap_err()
                .to_string();
            assert!(e.contains("t.json") && e.contains(what), "{text}: {e}");
        }
    }

    #[test]
    fn bad_input_names_the_problem() {
        let e = parse_transcript(&p("bad.json"), "{\"foo\":1}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.json") && e.contains("utterances"));
        assert!(parse_transcript(&p("e.json"), "  ").is_err());
        assert!(parse_transcript(&p("r.json"), "\u{0}garbage").is_err());
    }
}
