//! Whisper workers: one loaded model shared by all, one reused state each.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

use crate::error::EngineError;
use crate::guard::{collapse_repeats, is_annotation, is_stock_phrase, GuardConfig};
use crate::window::Window;
use crate::SAMPLE_RATE;

/// How tokens are chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decoding {
    /// Most likely token at each step (fast; the default).
    Greedy,
    /// Beam search with this many beams (slower, sometimes more accurate).
    Beam(u8),
}

/// How much of whisper's 30-second encoder context a short window uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AudioContext {
    /// Always the model's full context (1500 frames = 30 s).
    Full,
    /// Just enough for the window (plus a margin, at least ~10 s): the
    /// default. Measured on ../shared (1,498 s): 23.5× realtime at WER
    /// 21.5% against 18.8× at 24.0% with the full context.
    Fit,
}

/// Settings for the whisper stage.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriberConfig {
    /// Compute threads each worker's whisper calls use.
    pub threads: usize,
    /// Greedy or beam search.
    pub decoding: Decoding,
    /// Initial prompt: the team's jargon and service names.
    pub prompt: Option<String>,
    /// Spoken language (`"en"`, `"de"`, … or `"auto"`); `None` means English
    /// for `.en` models and detection for multilingual ones.
    pub language: Option<String>,
    /// Encoder context for short windows.
    pub audio_context: AudioContext,
    /// Hallucination thresholds.
    pub guard: GuardConfig,
    /// A pause (seconds) between packed speech pieces at which one whisper
    /// segment is cut into two utterances.
    pub split_gap_s: f64,
}

impl Default for TranscriberConfig {
    fn default() -> Self {
        Self {
            threads: 1,
            decoding: Decoding::Greedy,
            prompt: None,
            language: None,
            audio_context: AudioContext::Fit,
            guard: GuardConfig::default(),
            split_gap_s: 0.6,
        }
    }
}

/// A whisper model loaded once and shared by every worker.
pub struct Model {
    ctx: WhisperContext,
    path: PathBuf,
    multilingual: bool,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("path", &self.path).finish()
    }
}

impl Model {
    /// Loads a whisper.cpp ggml model file.
    pub fn load(path: &Path) -> Result<Arc<Self>, EngineError> {
        if !path.is_file() {
            return Err(EngineError::ModelMissing(path.to_path_buf()));
        }
        crate::quiet_whisper_logs();
        let mut params = WhisperContextParameters::default();
        params.use_gpu(false);
        let ctx =
            WhisperContext::new_with_params(path, params).map_err(|e| EngineError::ModelLoad {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        let multilingual = ctx.is_multilingual();
        Ok(Arc::new(Self {
            ctx,
            path: path.to_path_buf(),
            multilingual,
        }))
    }

    /// The file the model was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True for multilingual models (not `.en`).
    pub fn is_multilingual(&self) -> bool {
        self.multilingual
    }
}

/// One word of whisper output, timed in the recording.
#[derive(Debug, Clone, PartialEq)]
pub struct RawWord {
    /// Text with its leading space, as whisper wrote it.
    pub text: String,
    /// Start in the recording, seconds.
    pub start: f64,
    /// End in the recording, seconds.
    pub end: f64,
    /// Mean token probability.
    pub probability: f32,
}

/// An utterance as a worker produces it, before ordering assigns ids.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// Start in the recording, seconds.
    pub start: f64,
    /// End in the recording, seconds.
    pub end: f64,
    /// Text, trimmed.
    pub text: String,
    /// The words.
    pub words: Vec<RawWord>,
    /// Mean token log-probability.
    pub avg_logprob: f32,
    /// Whisper's no-speech probability for the window.
    pub no_speech_prob: f32,
}

/// What one window gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowResult {
    /// Utterances, in time order.
    pub drafts: Vec<Draft>,
    /// Segments dropped by the guards (count).
    pub dropped: usize,
}

/// Closes a run of words (with their piece and segments' scores) into a
/// draft, unless it holds no word-like text.
fn push_draft(drafts: &mut Vec<(usize, usize, Draft)>, group: Vec<(usize, RawWord, f32, f32)>) {
    let (Some(first_piece), Some(last_piece)) =
        (group.first().map(|g| g.0), group.last().map(|g| g.0))
    else {
        return;
    };
    let text: String = group.iter().map(|(_, w, ..)| w.text.as_str()).collect();
    let text = text.trim().to_string();
    if text.is_empty() || !text.chars().any(char::is_alphanumeric) {
        return;
    }
    let n = group.len() as f32;
    let avg_logprob = group.iter().map(|(_, _, lp, _)| lp).sum::<f32>() / n;
    let no_speech_prob = group.iter().map(|(.., ns)| ns).sum::<f32>() / n;
    let words: Vec<RawWord> = group.into_iter().map(|(_, w, ..)| w).collect();
    let start = words.first().map_or(0.0, |w| w.start);
    let end = words.last().map_or(start, |w| w.end).max(start);
    drafts.push((
        first_piece,
        last_piece,
        Draft {
            start,
            end,
            text,
            words,
            avg_logprob,
            no_speech_prob,
        },
    ));
}

/// True when an utterance may end after `prev` and a new one begin with
/// `next`: the previous word closes a sentence, or the next one opens one.
fn sentence_boundary(prev: &str, next: &str) -> bool {
    let prev = prev.trim_end();
    let closes = prev.ends_with(['.', '?', '!', '…']);
    let opens = next
        .trim_start()
        .chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
    closes || opens
}

/// Anchors utterance times to the detected speech: whisper's word
/// timestamps are coarse (often hundreds of ms off at the edges), the VAD's
/// speech onset and offset are not. The first utterance in a speech piece
/// starts where its speech starts, the last ends where it ends, and every
/// time stays inside the speech it came from.
fn anchor_to_speech(window: &Window, mut drafts: Vec<(usize, usize, Draft)>) -> Vec<Draft> {
    drafts.sort_by(|a, b| a.2.start.total_cmp(&b.2.start));
    let n = drafts.len();
    for i in 0..n {
        let (first, last) = (drafts[i].0, drafts[i].1);
        let (s0, _) = window.pieces[first].speech_span();
        let (_, e1) = window.pieces[last].speech_span();
        let opens_piece = i == 0 || drafts[i - 1].1 != first;
        let closes_piece = i + 1 == n || drafts[i + 1].0 != last;
        let d = &mut drafts[i].2;
        d.start = if opens_piece { s0 } else { d.start.max(s0) };
        d.end = if closes_piece { e1 } else { d.end.min(e1) };
        if d.end < d.start {
            d.end = d.start;
        }
        for w in &mut d.words {
            w.start = w.start.clamp(s0, e1);
            w.end = w.end.clamp(w.start, e1);
        }
    }
    drafts.into_iter().map(|(.., d)| d).collect()
}

/// One whisper worker: the shared model plus its own reusable state.
pub struct Worker {
    model: Arc<Model>,
    state: WhisperState,
    config: TranscriberConfig,
}

impl Worker {
    /// Creates a worker with a fresh state (allocated once, reused per window).
    pub fn new(model: Arc<Model>, config: TranscriberConfig) -> Result<Self, EngineError> {
        let state = model
            .ctx
            .create_state()
            .map_err(|e| EngineError::Whisper(e.to_string()))?;
        Ok(Self {
            model,
            state,
            config,
        })
    }

    fn params<'a>(
        config: &'a TranscriberConfig,
        multilingual: bool,
        window_len: usize,
        abort: &Arc<AtomicBool>,
    ) -> FullParams<'a, 'a> {
        let strategy = match config.decoding {
            Decoding::Greedy => SamplingStrategy::Greedy { best_of: 5 },
            Decoding::Beam(n) => SamplingStrategy::BeamSearch {
                beam_size: n.max(1) as i32,
                patience: -1.0,
            },
        };
        let mut p = FullParams::new(strategy);
        p.set_n_threads(config.threads.max(1) as i32);
        p.set_no_context(true);
        p.set_token_timestamps(true);
        p.set_print_progress(false);
        p.set_print_realtime(false);
        p.set_print_special(false);
        p.set_print_timestamps(false);
        p.set_suppress_blank(true);
        p.set_suppress_nst(true);
        // whisper.cpp's own fallback: raise the temperature when the decode
        // fails the entropy (repetition) or log-probability checks.
        p.set_temperature(0.0);
        p.set_temperature_inc(0.2);
        p.set_entropy_thold(2.4);
        p.set_logprob_thold(config.guard.logprob_threshold);
        p.set_no_speech_thold(config.guard.no_speech_threshold);
        let language = match &config.language {
            Some(l) => l.as_str(),
            None if multilingual => "auto",
            None => "en",
        };
        p.set_language(Some(language));
        if let Some(prompt) = &config.prompt {
            p.set_initial_prompt(prompt);
        }
        if config.audio_context == AudioContext::Fit {
            // 50 encoder frames per second, plus a margin; whisper needs at least a few seconds.
            let secs = window_len as f64 / SAMPLE_RATE as f64;
            // At least ~10 s: an encoder context cut to the bone makes
            // tiny.en loop on short clips (measured: a 6 s clip at 384
            // frames took 15 s of temperature fallbacks; at 512, 0.9 s).
            let frames = ((secs * 50.0).ceil() as i32 + 64).clamp(512, 1500);
            if frames < 1500 {
                p.set_audio_ctx(frames);
            }
        }
        // No abort callback: whisper-rs 0.16's `set_abort_callback_safe`
        // boxes the closure twice but its trampoline reads it as the bare
        // closure, so it returns garbage and aborts encodes at random
        // (whisper error -6). Aborting skips windows not yet started instead.
        let _ = abort;
        p
    }

    /// Transcribes one window; `abort` set from another thread stops it early.
    pub fn transcribe(
        &mut self,
        window: &Window,
        abort: &Arc<AtomicBool>,
    ) -> Result<WindowResult, EngineError> {
        if window.samples.is_empty() {
            return Ok(WindowResult::default());
        }
        // Whisper wants at least one second; pad short windows with silence.
        let min_len = SAMPLE_RATE as usize + SAMPLE_RATE as usize / 10;
        let padded;
        let audio: &[f32] = if window.samples.len() < min_len {
            let mut v = window.samples.clone();
            v.resize(min_len, 0.0);
            padded = v;
            &padded
        } else {
            &window.samples
        };
        let params = Self::params(&self.config, self.model.multilingual, audio.len(), abort);
        if let Err(e) = self.state.full(params, audio) {
            if abort.load(Ordering::Relaxed) {
                return Ok(WindowResult::default());
            }
            return Err(EngineError::Whisper(e.to_string()));
        }
        Ok(self.collect(window))
    }

    /// Turns the state's segments into drafts: words mapped to the
    /// recording, guarded, then grouped into utterances that break only at
    /// real pauses between the packed speech pieces.
    fn collect(&self, window: &Window) -> WindowResult {
        let eot = self.model.ctx.token_eot();
        let guard = self.config.guard;
        let mut result = WindowResult::default();
        // Every kept word of the window: its piece, the word, and its
        // segment's average log-probability and no-speech probability.
        let mut stream: Vec<(usize, RawWord, f32, f32)> = Vec::new();
        // Indices in `stream` where a whisper segment begins.
        let mut segment_starts: Vec<usize> = Vec::new();
        for segment in self.state.as_iter() {
            let no_speech = segment.no_speech_probability();
            let mut words: Vec<(usize, RawWord)> = Vec::new();
            let mut logprob_sum = 0.0f32;
            let mut logprob_n = 0usize;
            // The word being built: bytes, t0, t1 (10 ms units), probability sum, tokens.
            let mut cur: Option<(Vec<u8>, i64, i64, f32, usize)> = None;
            for i in 0..segment.n_tokens() {
                let Some(token) = segment.get_token(i) else {
                    continue;
                };
                let data = token.token_data();
                if data.id >= eot {
                    continue;
                }
                let Ok(tb) = token.to_bytes() else { continue };
                logprob_sum += data.plog;
                logprob_n += 1;
                match cur.as_mut() {
                    Some((b, _, t1, psum, n)) if tb.first() != Some(&b' ') => {
                        b.extend_from_slice(tb);
                        *t1 = (*t1).max(data.t1);
                        *psum += data.p;
                        *n += 1;
                    }
                    _ => {
                        if let Some(w) = cur.take() {
                            words.extend(map_word(window, w));
                        }
                        cur = Some((tb.to_vec(), data.t0, data.t1, data.p, 1));
                    }
                }
            }
            if let Some(w) = cur.take() {
                words.extend(map_word(window, w));
            }
            if words.is_empty() {
                continue;
            }
            // Whisper's segment timestamps are more reliable than its token
            // timestamps: a segment lying mostly inside one speech piece
            // belongs to it entirely.
            let (s0, s1) = (
                segment.start_timestamp() as f64 / 100.0,
                segment.end_timestamp() as f64 / 100.0,
            );
            if let Some(home) = dominant_piece(window, s0, s1) {
                let piece = &window.pieces[home];
                for (p, w) in words.iter_mut() {
                    if *p != home {
                        *p = home;
                        let (t0, t1) = piece.track_span();
                        w.start = w.start.clamp(t0, t1);
                        w.end = w.end.clamp(w.start, t1);
                    }
                }
            }
            let avg_logprob = logprob_sum / logprob_n.max(1) as f32;
            // Word texts carry their own leading spaces, as in `push_draft`.
            let said: String = words.iter().map(|(_, w)| w.text.as_str()).collect();
            if guard.is_hallucination(no_speech, avg_logprob) || is_stock_phrase(&said, no_speech) {
                result.dropped += 1;
                continue;
            }
            let first = stream.len();
            stream.extend(
                words
                    .into_iter()
                    .filter(|(_, w)| !is_annotation(&w.text))
                    .map(|(p, w)| (p, w, avg_logprob, no_speech)),
            );
            if first < stream.len() {
                segment_starts.push(first);
            }
        }
        // Repetition loops often span whisper's segments: collapse over the window.
        let texts: Vec<&str> = stream.iter().map(|(_, w, _, _)| w.text.trim()).collect();
        let keep = collapse_repeats(&texts);

        let mut drafts: Vec<(usize, usize, Draft)> = Vec::new();
        let mut group: Vec<(usize, RawWord, f32, f32)> = Vec::new();
        let mut last_piece = keep.first().map_or(0, |&i| stream[i].0);
        for i in keep {
            let (mut piece, word, lp, ns) = stream[i].clone();
            if piece != last_piece && !group.is_empty() {
                // Cut at a pause between pieces, or where whisper itself
                // started a new segment as the speech piece changed — but
                // never mid-sentence: whisper's word timestamps stretch into
                // the silence, so a sentence's last word can look as if it
                // belonged to the next piece.
                let (a, b) = (piece.min(last_piece), piece.max(last_piece));
                let gap = window.pieces[b].track_span().0 - window.pieces[a].track_span().1;
                let prev = group.last().map_or("", |(_, w, ..)| w.text.as_str());
                if !sentence_boundary(prev, &word.text) {
                    piece = last_piece;
                } else if gap >= self.config.split_gap_s || segment_starts.binary_search(&i).is_ok()
                {
                    push_draft(&mut drafts, std::mem::take(&mut group));
                }
            }
            last_piece = piece;
            group.push((piece, word, lp, ns));
        }
        push_draft(&mut drafts, group);
        result.drafts = anchor_to_speech(window, drafts);
        result
    }
}

/// The piece holding at least 60% of the window span `s0..s1` (seconds), if any.
fn dominant_piece(window: &Window, s0: f64, s1: f64) -> Option<usize> {
    let len = s1 - s0;
    if len <= 0.0 {
        return None;
    }
    window
        .pieces
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (w0, w1) = p.window_span();
            (i, (s1.min(w1) - s0.max(w0)).max(0.0))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|&(_, overlap)| overlap >= 0.6 * len)
        .map(|(i, _)| i)
}

/// Maps a word built from tokens (bytes, t0, t1 in 10 ms units, probability
/// sum, token count) to the recording through the piece its middle falls in.
fn map_word(window: &Window, w: (Vec<u8>, i64, i64, f32, usize)) -> Option<(usize, RawWord)> {
    let (bytes, t0, t1, psum, n) = w;
    let (w0, w1) = (t0 as f64 / 100.0, t1 as f64 / 100.0);
    let (pi, piece) = window.piece_at((w0 + w1) / 2.0)?;
    let start = piece.to_track_time(w0);
    let end = piece.to_track_time(w1).max(start);
    Some((
        pi,
        RawWord {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            start,
            end,
            probability: psum / n.max(1) as f32,
        },
    ))
}
