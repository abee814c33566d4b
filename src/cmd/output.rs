//! Where a transcript goes: the output formats, stdout or a file, and
//! whole documents written atomically.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use clap::ValueEnum;
use hotwash_engine::format::{
    BoxedSink, JsonLinesSink, JsonSink, SubtitleFormat, SubtitleSink, TextSink,
};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// `[start --> end] speaker: text`, one utterance a line.
    Txt,
    /// One JSON object per utterance per line.
    Jsonl,
    /// One JSON document (schema hotwash.transcript/1).
    Json,
    /// SubRip subtitles.
    Srt,
    /// WebVTT subtitles.
    Vtt,
}

/// Where `-o PATH` points (created, buffered), or stdout without it.
pub fn open_output(path: Option<&Path>) -> Result<Box<dyn Write + Send>> {
    Ok(match path {
        Some(p) => {
            Box::new(BufWriter::new(File::create(p).with_context(|| {
                format!("{}: cannot create output file", p.display())
            })?))
        }
        None => Box::new(io::stdout()),
    })
}

/// A writer into memory that can be read back after a sink that owns it is
/// done: whole documents are collected here and then written atomically.
#[derive(Clone, Default)]
pub struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    /// The bytes written so far.
    pub fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("output buffer poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes a whole document atomically: temporary file beside `path`,
/// fsync, rename. A killed run leaves the previous file untouched.
pub fn write_document(path: &Path, bytes: &[u8]) -> Result<()> {
    hotwash_postmortem::fsutil::write_atomic(path, bytes)
        .with_context(|| format!("{}: cannot write output file", path.display()))
}

/// Makes the sink for `format` writing to `out`.
pub fn make_sink(format: OutputFormat, out: Box<dyn Write + Send>) -> BoxedSink {
    match format {
        OutputFormat::Txt => Box::new(TextSink::new(out)),
        OutputFormat::Jsonl => Box::new(JsonLinesSink::new(out)),
        OutputFormat::Json => Box::new(JsonSink::new(out)),
        OutputFormat::Srt => Box::new(SubtitleSink::new(out, SubtitleFormat::Srt)),
        OutputFormat::Vtt => Box::new(SubtitleSink::new(out, SubtitleFormat::Vtt)),
    }
}
