//! Built-in sinks: timestamped text, JSON Lines, one JSON document, SRT,
//! WebVTT, and a tee to several sinks.

use std::io::{self, Write};

use serde::Serialize;

use crate::sink::Sink;
use crate::utterance::{Partial, RecordingInfo, Summary, Utterance};

/// Schema name written in JSON transcript documents.
pub const TRANSCRIPT_SCHEMA: &str = "hotwash.transcript/1";

/// The error every built-in sink fails with.
pub type FormatError = io::Error;

/// Formats `secs` as `HH:MM:SS{sep}mmm`.
pub fn clock(secs: f64, sep: char) -> String {
    let ms = (secs.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}{}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        sep,
        ms % 1000
    )
}

/// `[00:00:01.020 --> 00:00:04.500] speaker: text`, one utterance a line.
///
/// Provisional text (live partials) is written as `~ [start --> end]
/// speaker: text…` lines, or, on a terminal ([`TextSink::overwrite_partials`]),
/// redrawn in place on one line that the final utterance then replaces.
///
/// With several input tracks, an utterance without a speaker label is
/// prefixed with its track's name (the file's stem), so every line says
/// which file it came from.
#[derive(Debug)]
pub struct TextSink<W: Write> {
    out: W,
    overwrite: bool,
    partial_shown: bool,
    label_tracks: bool,
}

impl<W: Write> TextSink<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out,
            overwrite: false,
            partial_shown: false,
            label_tracks: false,
        }
    }

    /// Redraw provisional text in place (for a terminal) instead of one
    /// line per update.
    pub fn overwrite_partials(mut self, on: bool) -> Self {
        self.overwrite = on;
        self
    }

    /// Erases the provisional line drawn in place, if any.
    fn clear_partial(&mut self) -> io::Result<()> {
        if self.partial_shown {
            write!(self.out, "\r\x1b[2K")?;
            self.partial_shown = false;
        }
        Ok(())
    }
}

impl<W: Write> Sink for TextSink<W> {
    type Error = FormatError;

    fn partial(&mut self, p: &Partial) -> Result<bool, Self::Error> {
        self.clear_partial()?;
        write!(
            self.out,
            "~ [{} --> {}] ",
            clock(p.start, '.'),
            clock(p.end, '.')
        )?;
        if let Some(s) = &p.speaker {
            write!(self.out, "{s}: ")?;
        }
        if self.overwrite {
            write!(self.out, "{}…", p.text)?;
            self.partial_shown = true;
        } else {
            writeln!(self.out, "{}…", p.text)?;
        }
        self.out.flush()?;
        Ok(true)
    }

    fn begin(&mut self, info: &RecordingInfo) -> Result<(), Self::Error> {
        self.label_tracks = info.tracks.len() > 1;
        Ok(())
    }

    fn utterance(&mut self, u: &Utterance) -> Result<bool, Self::Error> {
        self.clear_partial()?;
        write!(
            self.out,
            "[{} --> {}] ",
            clock(u.start, '.'),
            clock(u.end, '.')
        )?;
        match &u.speaker {
            Some(s) => write!(self.out, "{s}: ")?,
            None if self.label_tracks => write!(self.out, "{}: ", u.track)?,
            None => {}
        }
        writeln!(self.out, "{}", u.text)?;
        self.out.flush()?;
        Ok(true)
    }

    fn finish(&mut self, _: &Summary) -> Result<(), Self::Error> {
        self.clear_partial()?;
        self.out.flush()
    }
}

/// A provisional line in JSON Lines output: the partial's fields plus
/// `"provisional": true`, so readers can skip or replace them.
#[derive(Serialize)]
struct ProvisionalLine<'a> {
    provisional: bool,
    #[serde(flatten)]
    partial: &'a Partial,
}

/// One JSON object per utterance per line, flushed as each arrives.
/// Partials, when the pipeline produces them, are lines with
/// `"provisional": true`; final utterances never carry that field.
#[derive(Debug)]
pub struct JsonLinesSink<W: Write> {
    out: W,
}

impl<W: Write> JsonLinesSink<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        Self { out }
    }
}

impl<W: Write> Sink for JsonLinesSink<W> {
    type Error = FormatError;

    fn partial(&mut self, p: &Partial) -> Result<bool, Self::Error> {
        let line = ProvisionalLine {
            provisional: true,
            partial: p,
        };
        serde_json::to_writer(&mut self.out, &line)?;
        self.out.write_all(b"\n")?;
        self.out.flush()?;
        Ok(true)
    }

    fn utterance(&mut self, u: &Utterance) -> Result<bool, Self::Error> {
        serde_json::to_writer(&mut self.out, u)?;
        self.out.write_all(b"\n")?;
        self.out.flush()?;
        Ok(true)
    }

    fn finish(&mut self, _: &Summary) -> Result<(), Self::Error> {
        self.out.flush()
    }
}

/// The whole transcript as one JSON document (schema [`TRANSCRIPT_SCHEMA`]),
/// written at the end: `{schema, recording, utterances, summary}`.
#[derive(Debug)]
pub struct JsonSink<W: Write> {
    out: W,
    recording: RecordingInfo,
    utterances: Vec<Utterance>,
}

#[derive(Serialize)]
struct TranscriptDoc<'a> {
    schema: &'static str,
    recording: &'a RecordingInfo,
    utterances: &'a [Utterance],
    summary: &'a Summary,
}

impl<W: Write> JsonSink<W> {
    /// Writes to `out` when the run finishes.
    pub fn new(out: W) -> Self {
        Self {
            out,
            recording: RecordingInfo::default(),
            utterances: Vec::new(),
        }
    }
}

impl<W: Write> Sink for JsonSink<W> {
    type Error = FormatError;

    fn begin(&mut self, info: &RecordingInfo) -> Result<(), Self::Error> {
        self.recording = info.clone();
        Ok(())
    }

    fn utterance(&mut self, u: &Utterance) -> Result<bool, Self::Error> {
        self.utterances.push(u.clone());
        Ok(true)
    }

    fn finish(&mut self, summary: &Summary) -> Result<(), Self::Error> {
        let doc = TranscriptDoc {
            schema: TRANSCRIPT_SCHEMA,
            recording: &self.recording,
            utterances: &self.utterances,
            summary,
        };
        serde_json::to_writer_pretty(&mut self.out, &doc)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

/// Which subtitle dialect a [`SubtitleSink`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubtitleFormat {
    /// SubRip (`.srt`).
    Srt,
    /// WebVTT (`.vtt`).
    Vtt,
}

/// SRT or WebVTT cues, one per utterance, the speaker as a prefix.
#[derive(Debug)]
pub struct SubtitleSink<W: Write> {
    out: W,
    format: SubtitleFormat,
    count: u64,
}

impl<W: Write> SubtitleSink<W> {
    /// Writes cues of `format` to `out`.
    pub fn new(out: W, format: SubtitleFormat) -> Self {
        Self {
            out,
            format,
            count: 0,
        }
    }
}

impl<W: Write> Sink for SubtitleSink<W> {
    type Error = FormatError;

    fn begin(&mut self, _: &RecordingInfo) -> Result<(), Self::Error> {
        if self.format == SubtitleFormat::Vtt {
            writeln!(self.out, "WEBVTT\n")?;
        }
        Ok(())
    }

    fn utterance(&mut self, u: &Utterance) -> Result<bool, Self::Error> {
        self.count += 1;
        let (sep, speaker) = match self.format {
            SubtitleFormat::Srt => (',', u.speaker.as_ref().map(|s| format!("{s}: "))),
            SubtitleFormat::Vtt => ('.', u.speaker.as_ref().map(|s| format!("<v {s}>"))),
        };
        let end = if u.end > u.start {
            u.end
        } else {
            u.start + 0.5
        };
        writeln!(self.out, "{}", self.count)?;
        writeln!(self.out, "{} --> {}", clock(u.start, sep), clock(end, sep))?;
        writeln!(self.out, "{}{}\n", speaker.unwrap_or_default(), u.text)?;
        self.out.flush()?;
        Ok(true)
    }

    fn finish(&mut self, _: &Summary) -> Result<(), Self::Error> {
        self.out.flush()
    }
}

/// A boxed sink with the built-in error type, for [`TeeSink`].
pub type BoxedSink = Box<dyn Sink<Error = FormatError> + Send>;

/// Sends every call to several sinks; stops when any asks to stop.
#[derive(Default)]
pub struct TeeSink {
    sinks: Vec<BoxedSink>,
}

impl TeeSink {
    /// A tee over `sinks`, called in order.
    pub fn new(sinks: Vec<BoxedSink>) -> Self {
        Self { sinks }
    }
}

impl Sink for TeeSink {
    type Error = FormatError;

    fn begin(&mut self, info: &RecordingInfo) -> Result<(), Self::Error> {
        self.sinks.iter_mut().try_for_each(|s| s.begin(info))
    }

    fn utterance(&mut self, u: &Utterance) -> Result<bool, Self::Error> {
        let mut go_on = true;
        for s in &mut self.sinks {
            go_on &= s.utterance(u)?;
        }
        Ok(go_on)
    }

    fn partial(&mut self, p: &Partial) -> Result<bool, Self::Error> {
        let mut go_on = true;
        for s in &mut self.sinks {
            go_on &= s.partial(p)?;
        }
        Ok(go_on)
    }

    fn finish(&mut self, summary: &Summary) -> Result<(), Self::Error> {
        self.sinks.iter_mut().try_for_each(|s| s.finish(summary))
    }
}

/// Collects utterances in memory (handy for library users and tests).
#[derive(Debug, Default)]
pub struct VecSink {
    /// The recording info passed to `begin`.
    pub info: RecordingInfo,
    /// Utterances, in the order received.
    pub utterances: Vec<Utterance>,
    /// Provisional texts, in the order received (live partials only).
    pub partials: Vec<Partial>,
    /// The summary passed to `finish`.
    pub summary: Option<Summary>,
}

impl Sink for VecSink {
    type Error = std::convert::Infallible;

    fn begin(&mut self, info: &RecordingInfo) -> Result<(), Self::Error> {
        self.info = info.clone();
        Ok(())
    }

    fn utterance(&mut self, u: &Utterance) -> Result<bool, Self::Error> {
        self.utterances.push(u.clone());
        Ok(true)
    }

    fn partial(&mut self, p: &Partial) -> Result<bool, Self::Error> {
        self.partials.push(p.clone());
        Ok(true)
    }

    fn finish(&mut self, summary: &Summary) -> Result<(), Self::Error> {
        self.summary = Some(summary.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utt(start: f64, end: f64, text: &str, speaker: Option<&str>) -> Utterance {
        Utterance {
            id: 0,
            track: "main".into(),
            speaker: speaker.map(str::to_string),
            start,
            end,
            wall_start: None,
            text: text.into(),
            words: vec![],
            avg_logprob: -0.2,
            no_speech_prob: 0.01,
        }
    }

    fn run<S: Sink>(sink: &mut S, us: &[Utterance]) {
        sink.begin(&RecordingInfo::default()).ok();
        for u in us {
            sink.utterance(u).ok();
        }
        sink.finish(&Summary::default()).ok();
    }

    #[test]
    fn clock_formats() {
        assert_eq!(clock(3723.4567, '.'), "01:02:03.457");
        assert_eq!(clock(0.0, ','), "00:00:00,000");
    }

    #[test]
    fn srt_and_vtt() {
        let us = [utt(1.0, 2.5, "Hello there.", Some("maya"))];
        let mut buf = Vec::new();
        run(&mut SubtitleSink::new(&mut buf, SubtitleFormat::Srt), &us);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "1\n00:00:01,000 --> 00:00:02,500\nmaya: Hello there.\n\n"
        );
        let mut buf = Vec::new();
        run(&mut SubtitleSink::new(&mut buf, SubtitleFormat::Vtt), &us);
        let s = String::from_utf8(buf).unwrap();
        assert!(s.starts_with("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\n<v maya>Hello"));
    }

    #[test]
    fn json_document_round_trips() {
        let us = [utt(1.0, 2.0, "a", None), utt(3.0, 4.0, "b", Some("x"))];
        let mut buf = Vec::new();
        run(&mut JsonSink::new(&mut buf), &us);
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["schema"], TRANSCRIPT_SCHEMA);
        let back: Vec<Utterance> = serde_json::from_value(v["utterances"].clone()).unwrap();
        assert_eq!(back, us);
    }

    #[test]
    fn jsonl_and_text_and_tee() {
        let us = [utt(1.0, 2.0, "a", None)];
        let mut tee = TeeSink::new(vec![
            Box::new(JsonLinesSink::new(Vec::new())),
            Box::new(TextSink::new(Vec::new())),
        ]);
        run(&mut tee, &us);
        let mut buf = Vec::new();
        run(&mut TextSink::new(&mut buf), &us);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "[00:00:01.000 --> 00:00:02.000] a\n"
        );
    }
}
