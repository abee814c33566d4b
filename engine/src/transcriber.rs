//! Whisper workers: one loaded model shared by all, one reused state each.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use whisper_rs::{
    DtwParameters, FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters,
    WhisperState,
};

use crate::alignment::{alignment_lag, Loudness, ModelShape};
use crate::error::EngineError;
use crate::guard::{
    collapse_repeats, drop_squashed_doubles, is_annotation, is_stock_phrase, GuardConfig,
};
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
        // Word times from the alignment heads (see `alignment`); without a
        // readable header whisper.cpp's own loader reports the problem.
        if let Some(shape) = ModelShape::read(path) {
            params.dtw_parameters(DtwParameters {
                mode: shape.dtw_mode(),
                ..DtwParameters::default()
            });
        }
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

    /// The most initial-prompt tokens whisper reads: half its text context
    /// less the marker token before them (223 for every released model).
    /// A longer prompt loses its beginning, not its end.
    pub fn prompt_token_budget(&self) -> usize {
        usize::try_from(self.ctx.n_text_ctx() / 2 - 1).unwrap_or(0)
    }

    /// How many tokens `text` takes in this model's vocabulary.
    pub fn token_count(&self, text: &str) -> Result<usize, EngineError> {
        // Never more tokens than bytes, plus room for whisper's own checks.
        self.ctx
            .tokenize(text, text.len() + 8)
            .map(|t| t.len())
            .map_err(|e| EngineError::Whisper(e.to_string()))
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
    let (Some(first_piece), Some(last_piece)) = (
        group.iter().map(|g| g.0).min(),
        group.iter().map(|g| g.0).max(),
    ) else {
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
/// time stays inside the speech it came from; then every edge that still
/// falls on a pause (the VAD's hangover, a breath inside a piece) moves
/// onto the voice.
fn anchor_to_speech(window: &Window, mut drafts: Vec<(usize, usize, Draft)>) -> Vec<Draft> {
    drafts.sort_by(|a, b| a.2.start.total_cmp(&b.2.start));
    let loudness = Loudness::of(&window.samples);
    // A span's start is snapped inside its own piece, its end inside its.
    let snap = |a: f64, b: f64| -> (f64, f64) {
        let (pa, pb) = (window.piece_of_track_time(a), window.piece_of_track_time(b));
        let in_piece = |p: &crate::window::Piece, x: f64, y: f64| {
            let (w0, w1) = loudness.snap(p.to_window_time(x), p.to_window_time(y));
            (p.to_track_time(w0), p.to_track_time(w1))
        };
        match (pa, pb) {
            (Some(p), Some(q)) if p == q => in_piece(p, a, b),
            (Some(p), Some(q)) => (
                in_piece(p, a, p.track_span().1).0,
                in_piece(q, q.track_span().0, b).1,
            ),
            _ => (a, b),
        }
    };
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
        (d.start, d.end) = snap(d.start, d.end);
        let (start, end) = (d.start, d.end);
        for w in &mut d.words {
            w.start = w.start.clamp(start, end);
            w.end = w.end.clamp(w.start, end);
        }
        // The last word of the last utterance in a piece runs until the
        // speech ends.
        if closes_piece {
            if let Some(w) = d.words.last_mut() {
                w.end = end;
            }
        }
        // Snapping only moves edges inwards: words stay in the utterance.
        let mut last_start = start;
        for w in &mut d.words {
            (w.start, w.end) = snap(w.start, w.end);
            w.start = w.start.max(last_start);
            w.end = w.end.max(w.start);
            last_start = w.start;
        }
        spread_stacked_words(&mut d.words);
    }
    drafts.into_iter().map(|(.., d)| d).collect()
}

/// Words clamped onto one instant (an utterance edge) share the time up to
/// the next word's start instead: one instant is no time for a word.
fn spread_stacked_words(words: &mut [RawWord]) {
    let mut i = 0;
    while i < words.len() {
        let mut j = i + 1;
        while j < words.len() && words[j].start <= words[i].start {
            j += 1;
        }
        let stop = words.get(j).map(|w| w.start);
        if let Some(stop) = stop.filter(|_| j - i > 1 || words[i].end <= words[i].start) {
            let step = (stop - words[i].start) / (j - i) as f64;
            let base = words[i].start;
            for (k, w) in words[i..j].iter_mut().enumerate() {
                w.start = base + step * k as f64;
                w.end = w.end.max(w.start + step).min(stop);
            }
        }
        i = j;
    }
}

/// True when `d`'s words (three or more) mostly repeat, in order, the last
/// words of `heard`: at least 80% of them form a common subsequence with
/// the last 60 words.
fn repeats_heard(heard: &[Draft], d: &Draft) -> bool {
    let norm = |t: &str| -> Vec<String> {
        t.split_whitespace()
            .map(|w| {
                w.chars()
                    .filter(|c| c.is_alphanumeric())
                    .flat_map(char::to_lowercase)
                    .collect::<String>()
            })
            .filter(|w| !w.is_empty())
            .collect()
    };
    let new = norm(&d.text);
    if new.len() < 3 {
        return false;
    }
    let mut last = heard.iter().rev().take(8).collect::<Vec<_>>();
    last.reverse();
    let old: Vec<String> = last.iter().flat_map(|h| norm(&h.text)).collect();
    let old = &old[old.len().saturating_sub(60)..];
    // Longest common subsequence, one row at a time.
    let mut row = vec![0usize; old.len() + 1];
    for w in &new {
        let mut diag = 0;
        for (j, o) in old.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = if w == o { diag + 1 } else { up.max(row[j]) };
            diag = up;
        }
    }
    row[old.len()] * 5 >= new.len() * 4
}

/// Seconds of detected speech left without a word at the end of a prompted
/// window that make it worth decoding that part again.
const UNHEARD_TAIL_S: f64 = 1.0;

/// A silence between speech pieces (seconds) that ends an utterance even
/// where whisper's text runs on without a sentence break.
const LONG_PAUSE_S: f64 = 2.0;

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
        use_prompt: bool,
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
        // The prompt conditions every window's decode: each window is one
        // `full` call (at most 30 s, one pass), and `no_context` keeps one
        // window's text from becoming the next one's prompt. whisper.cpp
        // drops the prompt on its own once a failed decode is retried at
        // temperature 0.5 or more, where a prompt breeds hallucination.
        if let Some(prompt) = config
            .prompt
            .as_deref()
            .filter(|p| use_prompt && !p.trim().is_empty())
        {
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
    ///
    /// With a prompt, whisper often closes its text early: it writes the
    /// first sentences of a window and ends, and the rest of the window's
    /// speech is never transcribed (measured with tiny.en on the project's
    /// db-failover fixture: the last two of seven sentences went missing
    /// under a five-name prompt). So when a prompted window's text ends
    /// before its last speech pieces begin, the window is decoded again from
    /// the first such piece on, with the prompt; a part that yields nothing
    /// with it is tried once more without it. A word's start can fall in the
    /// gap before a piece and be mapped to the one before, so a retry can
    /// hear a sentence again: a retried utterance whose words mostly repeat
    /// the last ones already heard is dropped (measured on a rendered call:
    /// three sentences doubled without this).
    pub fn transcribe(
        &mut self,
        window: &Window,
        abort: &Arc<AtomicBool>,
    ) -> Result<WindowResult, EngineError> {
        let prompted = self
            .config
            .prompt
            .as_deref()
            .is_some_and(|p| !p.trim().is_empty());
        let (mut result, mut heard) = self.decode(window, abort, prompted)?;
        if !prompted {
            return Ok(result);
        }
        // Nothing heard with the prompt: the next try goes without it.
        let mut use_prompt = heard.is_some();
        let mut retried = false;
        // Every try starts later than the one before, or stops.
        let mut last_from: Option<usize> = None;
        loop {
            // The first piece after the last one a word came from.
            let from = heard.map_or(0, |h| h + 1);
            if from >= window.pieces.len() {
                break;
            }
            if last_from.is_some_and(|l| from <= l) {
                break;
            }
            last_from = Some(from);
            let unheard: f64 = window.pieces.get(from..).map_or(0.0, |rest| {
                rest.iter()
                    .map(|p| {
                        let (a, b) = p.speech_span();
                        b - a
                    })
                    .sum()
            });
            if unheard < UNHEARD_TAIL_S || abort.load(Ordering::Relaxed) {
                break;
            }
            let Some(tail) = window.tail(from) else {
                break;
            };
            let (r, h) = self.decode(&tail, abort, use_prompt)?;
            retried = true;
            for d in r.drafts {
                if repeats_heard(&result.drafts, &d) {
                    result.dropped += 1;
                } else {
                    result.drafts.push(d);
                }
            }
            result.dropped += r.dropped;
            match h {
                Some(h) => heard = Some(from + h),
                None if use_prompt => {
                    use_prompt = false;
                    last_from = None;
                }
                None => break,
            }
        }
        if retried {
            result.drafts.sort_by(|a, b| a.start.total_cmp(&b.start));
        }
        Ok(result)
    }

    /// One whisper call over `window` (with the configured prompt when
    /// `use_prompt`): its result, and the last of the window's pieces any
    /// word came from (kept or dropped by the guards), `None` when whisper
    /// wrote nothing.
    fn decode(
        &mut self,
        window: &Window,
        abort: &Arc<AtomicBool>,
        use_prompt: bool,
    ) -> Result<(WindowResult, Option<usize>), EngineError> {
        if window.samples.is_empty() {
            return Ok((WindowResult::default(), None));
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
        let params = Self::params(
            &self.config,
            self.model.multilingual,
            audio.len(),
            abort,
            use_prompt,
        );
        if let Err(e) = self.state.full(params, audio) {
            if abort.load(Ordering::Relaxed) {
                return Ok((WindowResult::default(), None));
            }
            return Err(EngineError::Whisper(e.to_string()));
        }
        Ok(self.collect(window))
    }

    /// The state's segments as words built from tokens, each timed by the
    /// alignment heads (see `alignment`): a word starts at its first
    /// token's DTW time and ends where the next word starts, or where its
    /// segment ends; a word far longer than the window's typical word is
    /// cut at a sentence's end (the pause after it is not the word).
    fn timed_segments(&self, eot: i32, onset: Option<f64>) -> Vec<TimedSegment> {
        let mut segments: Vec<TimedSegment> = Vec::new();
        for segment in self.state.as_iter() {
            let mut seg = TimedSegment {
                no_speech: segment.no_speech_probability(),
                avg_logprob: 0.0,
                start: segment.start_timestamp() as f64 / 100.0,
                end: segment.end_timestamp() as f64 / 100.0,
                words: Vec::new(),
            };
            let (mut logprob_sum, mut logprob_n) = (0.0f32, 0usize);
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
                match seg.words.last_mut() {
                    Some(w) if tb.first() != Some(&b' ') => {
                        w.bytes.extend_from_slice(tb);
                        w.probability_sum += data.p;
                        w.tokens += 1;
                    }
                    _ => seg.words.push(TokenWord {
                        bytes: tb.to_vec(),
                        start: if data.t_dtw >= 0 { data.t_dtw } else { data.t0 },
                        end: data.t1.max(data.t0),
                        probability_sum: data.p,
                        tokens: 1,
                    }),
                }
            }
            seg.avg_logprob = logprob_sum / logprob_n.max(1) as f32;
            segments.push(seg);
        }
        let first = segments
            .iter()
            .find_map(|s| s.words.first().map(|w| w.start));
        let onset = onset.map(|t| (t * 100.0).round() as i64);
        time_words(&mut segments, alignment_lag(first, onset));
        segments
    }

    /// Turns the state's segments into drafts: words mapped to the
    /// recording, guarded, then grouped into utterances that break only at
    /// real pauses between the packed speech pieces.
    fn collect(&self, window: &Window) -> (WindowResult, Option<usize>) {
        let eot = self.model.ctx.token_eot();
        let guard = self.config.guard;
        let mut result = WindowResult::default();
        // Every kept word of the window: its piece, the word, and its
        // segment's average log-probability and no-speech probability.
        let mut stream: Vec<(usize, RawWord, f32, f32)> = Vec::new();
        // Indices in `stream` where a whisper segment begins.
        let mut segment_starts: Vec<usize> = Vec::new();
        let onset = window.pieces.first().map(|p| p.speech_window_span().0);
        let segments = self.timed_segments(eot, onset);
        // Whether the word before ended a sentence (true at the window start).
        let mut after_sentence = true;
        let mut heard: Option<usize> = None;
        for seg in segments {
            let no_speech = seg.no_speech;
            let avg_logprob = seg.avg_logprob;
            let words: Vec<(usize, RawWord)> = seg
                .words
                .into_iter()
                .filter_map(|w| {
                    let ends = ends_sentence(&w.bytes);
                    let mapped = map_word(window, w, after_sentence);
                    after_sentence = ends;
                    mapped
                })
                .collect();
            if words.is_empty() {
                continue;
            }
            heard = heard.max(words.iter().map(|(p, _)| *p).max());
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
        let looped = collapse_repeats(&texts);
        // A sentence written twice with the copy squashed onto an instant.
        let timed: Vec<(&str, f64, f64)> = looped
            .iter()
            .map(|&i| (texts[i], stream[i].1.start, stream[i].1.end))
            .collect();
        let keep: Vec<usize> = drop_squashed_doubles(&timed)
            .into_iter()
            .map(|k| looped[k])
            .collect();

        let mut drafts: Vec<(usize, usize, Draft)> = Vec::new();
        let mut group: Vec<(usize, RawWord, f32, f32)> = Vec::new();
        let mut last_piece = keep.first().map_or(0, |&i| stream[i].0);
        for i in keep {
            let (piece, word, lp, ns) = stream[i].clone();
            if piece != last_piece && !group.is_empty() {
                // Cut at a pause between pieces, or where whisper itself
                // started a new segment as the speech piece changed — but
                // not mid-sentence: a speaker's pause for breath inside a
                // sentence does not end the utterance, a long silence does.
                let (a, b) = (piece.min(last_piece), piece.max(last_piece));
                let gap = window.pieces[b].track_span().0 - window.pieces[a].track_span().1;
                let prev = group.last().map_or("", |(_, w, ..)| w.text.as_str());
                let boundary = sentence_boundary(prev, &word.text)
                    && (gap >= self.config.split_gap_s || segment_starts.binary_search(&i).is_ok());
                if boundary || gap >= LONG_PAUSE_S {
                    push_draft(&mut drafts, std::mem::take(&mut group));
                }
            }
            last_piece = piece;
            group.push((piece, word, lp, ns));
        }
        push_draft(&mut drafts, group);
        result.drafts = anchor_to_speech(window, drafts);
        (result, heard)
    }
}

/// Whether a word's text ends a sentence (`.`, `?`, `!`, before closing quotes).
fn ends_sentence(bytes: &[u8]) -> bool {
    let t = String::from_utf8_lossy(bytes);
    t.trim_end_matches(['"', '\'', ')', ' '])
        .ends_with(['.', '?', '!'])
}

/// Maps a word built from tokens to the recording through the piece it
/// starts in (its end may run over a packed gap into the next piece: it is
/// clipped to its own). A start in the silence packed between two pieces
/// is a late start of the earlier piece's last word (the alignment runs
/// late, never early by that much), unless the word before ended a
/// sentence and this one ends in a later piece: then it opens that piece.
fn map_word(window: &Window, w: TokenWord, after_sentence: bool) -> Option<(usize, RawWord)> {
    let (w0, w1) = (w.start as f64 / 100.0, w.end as f64 / 100.0);
    let inside = window.pieces.iter().position(|p| {
        let (a, b) = p.window_span();
        w0 >= a && w0 < b
    });
    let before = window.pieces.iter().rposition(|p| p.window_span().1 <= w0);
    let opens_next = || {
        let next = before.map_or(0, |b| b + 1);
        window.pieces.get(next).and_then(|p| {
            let (a, b) = p.window_span();
            (after_sentence && w1 > a && w1 <= b).then_some(next)
        })
    };
    let gap_piece = match inside {
        Some(_) => None,
        None => opens_next().or(before),
    };
    let (pi, piece) = match inside.or(gap_piece) {
        Some(i) => (i, &window.pieces[i]),
        None => window.piece_at(w0)?,
    };
    // Kept to the piece's detected speech, not its padding: a word that
    // starts in the packed gap after a piece would otherwise land in the
    // silence between two turns.
    let (s0, s1) = piece.speech_span();
    let start = piece.to_track_time(w0).clamp(s0, s1);
    let end = piece.to_track_time(w1).clamp(start, s1);
    Some((
        pi,
        RawWord {
            text: String::from_utf8_lossy(&w.bytes).into_owned(),
            start,
            end,
            probability: w.probability_sum / w.tokens.max(1) as f32,
        },
    ))
}

/// One whisper segment's words with its scores, times in the window (s).
struct TimedSegment {
    no_speech: f32,
    avg_logprob: f32,
    start: f64,
    end: f64,
    words: Vec<TokenWord>,
}

/// A word built from tokens; times in 10 ms units inside the window.
#[derive(Debug, Clone, PartialEq)]
struct TokenWord {
    bytes: Vec<u8>,
    start: i64,
    end: i64,
    probability_sum: f32,
    tokens: usize,
}

/// Gives every word an end (the next word's start, or its segment's end),
/// keeps starts in order, and cuts a sentence's last word that runs on into
/// the pause after it to twice the median word length (at most 1.4 s), as
/// OpenAI's word timing does.
/// First every time moves back by `lag` (10 ms frames), how late the
/// alignment heads run on this window (see `alignment`).
fn time_words(segments: &mut [TimedSegment], lag: i64) {
    for w in segments.iter_mut().flat_map(|s| s.words.iter_mut()) {
        w.start -= lag;
    }
    for s in segments.iter_mut() {
        s.start -= lag as f64 / 100.0;
        s.end -= lag as f64 / 100.0;
    }
    let mut last_start = i64::MIN;
    for seg in segments.iter_mut() {
        for w in &mut seg.words {
            w.start = w.start.max(last_start).max(0);
            last_start = w.start;
        }
    }
    let n_seg = segments.len();
    for si in 0..n_seg {
        let seg_end = (segments[si].end * 100.0).round() as i64;
        let next_seg_start = segments[si + 1..]
            .iter()
            .find_map(|s| s.words.first().map(|w| w.start));
        let words = &mut segments[si].words;
        for i in 0..words.len() {
            let next = words.get(i + 1).map(|w| w.start);
            let end = match next {
                Some(n) => n,
                None => next_seg_start.map_or(seg_end, |n| n.min(seg_end.max(words[i].start))),
            };
            words[i].end = end.max(words[i].start);
        }
    }
    let mut lengths: Vec<i64> = segments
        .iter()
        .flat_map(|s| s.words.iter().map(|w| w.end - w.start))
        .filter(|&d| d > 0)
        .collect();
    if lengths.is_empty() {
        return;
    }
    lengths.sort_unstable();
    let median = lengths[lengths.len() / 2].min(70);
    let longest = median * 2;
    for seg in segments.iter_mut() {
        let n = seg.words.len();
        for (i, w) in seg.words.iter_mut().enumerate() {
            let closes = i + 1 == n || {
                let t = String::from_utf8_lossy(&w.bytes);
                t.trim_end().ends_with(['.', '?', '!', ','])
            };
            if closes && w.end - w.start > longest {
                w.end = w.start + longest;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(text: &str) -> Draft {
        Draft {
            start: 0.0,
            end: 1.0,
            text: text.into(),
            words: Vec::new(),
            avg_logprob: 0.0,
            no_speech_prob: 0.0,
        }
    }

    #[test]
    fn a_retried_sentence_heard_already_is_a_repeat() {
        let heard = [
            draft("Draining the west pool now."),
            draft("then the cache warmer kept running on the old nodes, so half the fleet stayed cold."),
        ];
        assert!(repeats_heard(
            &heard,
            &draft("And then the cache warmer kept running on the old nodes, so half the fleet")
        ));
        assert!(repeats_heard(&heard, &draft("Draining the west pool now.")));
        assert!(!repeats_heard(
            &heard,
            &draft("Support has forty tickets so far.")
        ));
        // Too short to tell a repeat from a real "yes, thanks".
        assert!(!repeats_heard(&heard, &draft("west pool")));
        assert!(!repeats_heard(&[], &draft("anything said here")));
    }
}
