//! The pipeline: sources → resample → segment → pack → whisper workers →
//! reorder → sink, wired with bounded crossbeam channels.
//!
//! Threads: per track one decode thread and one DSP thread (resample, VAD
//! segmentation, window packing); `workers` whisper threads shared by all
//! tracks; the caller's thread reorders and feeds the sink. A mixed track
//! (one stream, no speaker of its own) also feeds a diarizer thread when a
//! [`DiarizerFactory`] is set; its utterances then wait for the speaker
//! turns and are labelled word by word before they reach the sink. Audio blocks are
//! recycled between the decode and DSP threads, so the audio path does not
//! allocate once warm, and every channel is bounded, so memory stays flat
//! whatever the recording's length.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossbeam_channel::{bounded, Receiver, Sender};

use crate::error::EngineError;
use crate::reorder::Reorder;
use crate::resample::{ChannelMode, Resampler};
use crate::segment::{Segmenter, SegmenterConfig};
use crate::sink::Sink;
use crate::source::{AudioSource, SourceFormat};
use crate::speaker::{attribute_all, DiarizeError, DiarizerFactory, SpeakerTurn};
use crate::transcriber::{Model, TranscriberConfig, WindowResult, Worker};
use crate::utterance::{Partial, RecordingInfo, Summary, Utterance, Word};
use crate::vad::VadConfig;
use crate::window::{PackerConfig, Piece, Window, WindowPacker};
use crate::SAMPLE_RATE;

/// One input to a pipeline: a source and who is speaking on it.
pub struct Track {
    /// Track name (`"main"`, a participant's name, a device).
    pub name: String,
    /// Speaker label for the utterances, when the track is one person.
    pub speaker: Option<String>,
    /// Where the audio comes from.
    pub source: Box<dyn AudioSource>,
    /// Split every channel into a track of its own (one speaker per channel).
    pub split_channels: bool,
}

impl Track {
    /// A track named `name` reading `source`, downmixed, no speaker label.
    pub fn new(name: impl Into<String>, source: Box<dyn AudioSource>) -> Self {
        Self {
            name: name.into(),
            speaker: None,
            source,
            split_channels: false,
        }
    }
}

/// When the packer hands a window to the workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// Fill windows up to the maximum: deterministic, best throughput (files).
    Full,
    /// Hand over as soon as a worker is idle: lowest latency (live capture).
    Eager,
}

/// Live counters a progress display can poll from another thread.
#[derive(Debug, Default)]
pub struct Progress {
    read_ms: AtomicU64,
    released_ms: AtomicU64,
    duration_ms: AtomicU64,
    queued_windows: AtomicU64,
}

impl Progress {
    /// Seconds of audio read so far (the slowest track).
    pub fn read_seconds(&self) -> f64 {
        self.read_ms.load(Ordering::Relaxed) as f64 / 1000.0
    }
    /// Seconds of the recording whose utterances have all reached the sink.
    pub fn done_seconds(&self) -> f64 {
        self.released_ms.load(Ordering::Relaxed) as f64 / 1000.0
    }
    /// Total duration when the container states it, else `None`.
    pub fn duration_seconds(&self) -> Option<f64> {
        match self.duration_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(ms as f64 / 1000.0),
        }
    }
    /// Windows waiting for or inside a worker (the backlog).
    pub fn queued_windows(&self) -> u64 {
        self.queued_windows.load(Ordering::Relaxed)
    }
}

/// Flags to stop a running pipeline from another thread (Ctrl-C, a timer).
#[derive(Debug, Default)]
pub struct StopHandle {
    stop_reading: AtomicBool,
    abort: Arc<AtomicBool>,
}

impl StopHandle {
    /// Stop reading input; speech already read is still transcribed and delivered.
    pub fn stop(&self) {
        self.stop_reading.store(true, Ordering::SeqCst);
    }
    /// Stop now: abandon work in flight.
    pub fn abort(&self) {
        self.stop_reading.store(true, Ordering::SeqCst);
        self.abort.store(true, Ordering::SeqCst);
    }
    /// True once [`StopHandle::stop`] or [`StopHandle::abort`] was called.
    pub fn is_stopped(&self) -> bool {
        self.stop_reading.load(Ordering::SeqCst)
    }
}

/// Builds a [`Pipeline`].
#[derive(Debug, Default)]
pub struct PipelineBuilder {
    model: Option<Arc<Model>>,
    model_path: Option<std::path::PathBuf>,
    workers: Option<usize>,
    transcriber: TranscriberConfig,
    threads_set: bool,
    vad: Option<VadConfig>,
    segmenter: Option<SegmenterConfig>,
    packer: PackerConfig,
    packing: Option<Packing>,
    partials: Option<Duration>,
    start_utc: Option<DateTime<Utc>>,
    diarizer: Option<Arc<dyn DiarizerFactory>>,
}

/// The number of CPU cores available to this process.
pub fn available_cores() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

impl PipelineBuilder {
    /// Load the model from this ggml file at `build()`.
    pub fn model_path(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.model_path = Some(path.into());
        self
    }
    /// Use an already loaded model (share one between pipelines).
    pub fn model(mut self, model: Arc<Model>) -> Self {
        self.model = Some(model);
        self
    }
    /// Number of whisper workers (each with its own state).
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = Some(n.max(1));
        self
    }
    /// Compute threads per worker.
    pub fn threads(mut self, n: usize) -> Self {
        self.transcriber.threads = n.max(1);
        self.threads_set = true;
        self
    }
    /// Whisper settings (decoding, prompt, language, guards). Keeps `threads` if set.
    pub fn transcriber(mut self, config: TranscriberConfig) -> Self {
        let threads = self.transcriber.threads;
        self.transcriber = config;
        if self.threads_set {
            self.transcriber.threads = threads;
        }
        self
    }
    /// Voice activity detector.
    pub fn vad(mut self, vad: VadConfig) -> Self {
        self.vad = Some(vad);
        self
    }
    /// Speech segmentation settings.
    pub fn segmenter(mut self, config: SegmenterConfig) -> Self {
        self.segmenter = Some(config);
        self
    }
    /// Window packing settings.
    pub fn packer(mut self, config: PackerConfig) -> Self {
        self.packer = config;
        self
    }
    /// When windows are handed to workers.
    pub fn packing(mut self, packing: Packing) -> Self {
        self.packing = Some(packing);
        self
    }
    /// Provisional text for speech in progress, refreshed about every
    /// `every` of audio, delivered through [`Sink::partial`]: only the
    /// prefix two successive passes agree on, and only while no finished
    /// speech waits for a worker (partials never delay final text). Meant
    /// for live capture.
    pub fn partials(mut self, every: Option<Duration>) -> Self {
        self.partials = every;
        self
    }
    /// Wall-clock time at offset 0 (overrides the file's creation time).
    pub fn start_utc(mut self, t: DateTime<Utc>) -> Self {
        self.start_utc = Some(t);
        self
    }

    /// Finds who speaks on a mixed track (a single stream with no speaker
    /// of its own) with diarizers from `factory`. Named tracks and split
    /// channels keep their own labels.
    pub fn diarizer(mut self, factory: Arc<dyn DiarizerFactory>) -> Self {
        self.diarizer = Some(factory);
        self
    }

    /// Loads the model (if a path was given) and checks the settings.
    pub fn build(self) -> Result<Pipeline, EngineError> {
        let model = match (self.model, self.model_path) {
            (Some(m), _) => m,
            (None, Some(p)) => Model::load(&p)?,
            (None, None) => return Err(EngineError::Config("no model given".into())),
        };
        let cores = available_cores();
        let (workers, threads) = match (self.workers, self.threads_set) {
            (Some(w), true) => (w, self.transcriber.threads),
            (Some(w), false) => (w, (cores / w).max(1)),
            (None, true) => (
                (cores / self.transcriber.threads).max(1),
                self.transcriber.threads,
            ),
            (None, false) => default_split(cores),
        };
        // Never more workers than the free memory holds.
        let memory_cap = crate::memory::worker_cap(model.path());
        let lowered = memory_cap
            .filter(|&cap| cap < workers)
            .map(|cap| (workers, cap));
        let workers = lowered.map_or(workers, |(_, cap)| cap);
        let mut transcriber = self.transcriber;
        transcriber.threads = threads;
        Ok(Pipeline {
            model,
            workers,
            lowered_for_memory: lowered,
            transcriber,
            vad: self.vad.unwrap_or(VadConfig::WebRtc { aggressiveness: 2 }),
            segmenter: self.segmenter.unwrap_or_default(),
            packer: self.packer,
            packing: self.packing.unwrap_or(Packing::Full),
            partial_every: self.partials.map(|d| d.as_secs_f64().max(0.1)),
            start_utc: self.start_utc,
            diarizer: self.diarizer,
            progress: Arc::new(Progress::default()),
            stop: Arc::new(StopHandle::default()),
        })
    }
}

/// Workers × threads for `cores` cores, chosen by measurement (see README):
/// on two cores, two single-threaded workers beat one two-threaded worker,
/// since whisper's small matrices scale poorly across threads.
pub fn default_split(cores: usize) -> (usize, usize) {
    match cores {
        0 | 1 => (1, 1),
        2..=3 => (2, 1),
        n => (n / 2, 2),
    }
}

/// A configured pipeline; [`Pipeline::run`] transcribes tracks into a sink.
pub struct Pipeline {
    model: Arc<Model>,
    workers: usize,
    /// Workers asked for and started when the free memory held fewer.
    lowered_for_memory: Option<(usize, usize)>,
    transcriber: TranscriberConfig,
    vad: VadConfig,
    segmenter: SegmenterConfig,
    packer: PackerConfig,
    packing: Packing,
    partial_every: Option<f64>,
    start_utc: Option<DateTime<Utc>>,
    diarizer: Option<Arc<dyn DiarizerFactory>>,
    progress: Arc<Progress>,
    stop: Arc<StopHandle>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("model", &self.model.path())
            .field("workers", &self.workers)
            .field("threads", &self.transcriber.threads)
            .finish()
    }
}

/// What flows from the tracks and workers to the ordering thread.
enum Event {
    Dispatched {
        track: usize,
        seq: u64,
        start: f64,
    },
    Watermark {
        track: usize,
        time: f64,
    },
    TrackDone {
        track: usize,
    },
    Result {
        track: usize,
        seq: u64,
        result: Result<WindowResult, EngineError>,
        speech: f64,
    },
    /// A provisional pass over speech still open on `track`.
    Partial {
        track: usize,
        start: f64,
        end: f64,
        text: String,
    },
    Warning(String),
    Failed(EngineError),
    /// The diarizer's answer for the mixed stream.
    Turns(Result<Vec<SpeakerTurn>, DiarizeError>),
}

/// What the ordering loop knows of the streams it orders.
struct OrderedStreams {
    metas: Vec<StreamMeta>,
    start_utc: Option<DateTime<Utc>>,
    /// Utterances wait for a diarizer's turns.
    diarizing: bool,
}

/// Per output stream (track after channel split): its name and speaker.
#[derive(Debug, Clone)]
struct StreamMeta {
    name: String,
    speaker: Option<String>,
}

impl Pipeline {
    /// Starts building a pipeline.
    pub fn builder() -> PipelineBuilder {
        PipelineBuilder::default()
    }

    /// Live counters for a progress display.
    pub fn progress(&self) -> Arc<Progress> {
        Arc::clone(&self.progress)
    }

    /// Flags to stop the run from another thread.
    pub fn stop_handle(&self) -> Arc<StopHandle> {
        Arc::clone(&self.stop)
    }

    /// The loaded model.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// Workers and threads per worker in use.
    pub fn parallelism(&self) -> (usize, usize) {
        (self.workers, self.transcriber.threads)
    }

    /// `(asked, started)` when the free memory held fewer workers than the
    /// settings asked for (see [`crate::memory`]).
    pub fn lowered_for_memory(&self) -> Option<(usize, usize)> {
        self.lowered_for_memory
    }

    /// Transcribes `tracks` and pushes utterances, in start-time order, into
    /// `sink`. Whatever was transcribed before an error has reached the sink,
    /// and `finish` is called, before the error is returned.
    pub fn run<S: Sink>(&self, tracks: Vec<Track>, sink: &mut S) -> Result<Summary, EngineError> {
        let started = Instant::now();
        if tracks.is_empty() {
            return Err(EngineError::Config("no input tracks".into()));
        }
        // Streams after channel splitting, and their metadata.
        let mut metas: Vec<StreamMeta> = Vec::new();
        let mut info = RecordingInfo {
            model: self.model.path().display().to_string(),
            start_utc: self.start_utc,
            prompt: self
                .transcriber
                .prompt
                .clone()
                .filter(|p| !p.trim().is_empty()),
            ..RecordingInfo::default()
        };
        let mut first_streams = Vec::with_capacity(tracks.len());
        for t in &tracks {
            let fmt = t.source.format();
            first_streams.push(metas.len());
            if t.split_channels && fmt.channels > 1 {
                for ch in 0..fmt.channels {
                    let label = channel_label(ch, fmt.channels);
                    let name = if tracks.len() == 1 {
                        label.clone()
                    } else {
                        format!("{}.{label}", t.name)
                    };
                    metas.push(StreamMeta {
                        speaker: Some(name.clone()),
                        name,
                    });
                }
            } else {
                metas.push(StreamMeta {
                    name: t.name.clone(),
                    speaker: t.speaker.clone(),
                });
            }
            info.sources.push(t.source.name().to_string());
            if info.start_utc.is_none() {
                info.start_utc = t.source.start_utc();
            }
            if let Some(d) = t.source.duration() {
                info.duration = Some(info.duration.map_or(d, |x: f64| x.max(d)));
            }
        }
        info.tracks = metas.iter().map(|m| m.name.clone()).collect();
        let diarizer = self
            .diarizer
            .clone()
            .filter(|_| metas.len() == 1 && metas[0].speaker.is_none());
        info.diarizer = diarizer.as_ref().map(|d| d.name());
        if let Some(d) = info.duration {
            self.progress
                .duration_ms
                .store((d * 1000.0) as u64, Ordering::Relaxed);
        }

        sink.begin(&info)
            .map_err(|e| EngineError::Sink(Box::new(e)))?;

        let (work_tx, work_rx) = bounded::<Window>(self.workers * 2);
        // Partial passes wait in a one-slot queue; workers take them only
        // when no finished speech is waiting.
        let (partial_tx, partial_rx) = bounded::<Window>(1);
        let (event_tx, event_rx) = bounded::<Event>(1024);
        let read_positions: Arc<Vec<AtomicU64>> =
            Arc::new((0..tracks.len()).map(|_| AtomicU64::new(0)).collect());

        let outcome = thread::scope(|scope| {
            // Whisper workers.
            let mut worker_handles = Vec::new();
            for _ in 0..self.workers {
                let rx = work_rx.clone();
                let partial_rx = partial_rx.clone();
                let tx = event_tx.clone();
                let model = Arc::clone(&self.model);
                let config = self.transcriber.clone();
                let abort = Arc::clone(&self.stop.abort);
                let progress = Arc::clone(&self.progress);
                worker_handles.push(scope.spawn(move || {
                    // Whisper state (tens to hundreds of MB) is made on the
                    // first window: workers beyond the work never allocate it.
                    let mut state: Option<Worker> = None;
                    let mut model_config = Some((model, config));
                    let mut partials_open = true;
                    loop {
                        let (window, provisional) = if partials_open {
                            crossbeam_channel::select_biased! {
                                recv(rx) -> w => match w {
                                    Ok(w) => (w, false),
                                    Err(_) => return,
                                },
                                recv(partial_rx) -> w => match w {
                                    Ok(w) => (w, true),
                                    Err(_) => {
                                        partials_open = false;
                                        continue;
                                    }
                                },
                            }
                        } else {
                            match rx.recv() {
                                Ok(w) => (w, false),
                                Err(_) => return,
                            }
                        };
                        if state.is_none() {
                            if let Some((model, config)) = model_config.take() {
                                match Worker::new(model, config) {
                                    Ok(w) => state = Some(w),
                                    Err(e) => {
                                        let _ = tx.send(Event::Failed(e));
                                        return;
                                    }
                                }
                            }
                        }
                        let Some(worker) = state.as_mut() else {
                            return;
                        };
                        if provisional {
                            if abort.load(Ordering::Relaxed) {
                                continue;
                            }
                            if let Ok(r) = worker.transcribe(&window, &abort) {
                                let text = r
                                    .drafts
                                    .iter()
                                    .map(|d| d.text.as_str())
                                    .collect::<Vec<_>>()
                                    .join(" ");
                                let ev = Event::Partial {
                                    track: window.track,
                                    start: window.start(),
                                    end: window.end(),
                                    text,
                                };
                                if tx.send(ev).is_err() {
                                    return;
                                }
                            }
                            continue;
                        }
                        let result = if abort.load(Ordering::Relaxed) {
                            Ok(WindowResult::default())
                        } else {
                            worker.transcribe(&window, &abort)
                        };
                        progress.queued_windows.fetch_sub(1, Ordering::Relaxed);
                        let ev = Event::Result {
                            track: window.track,
                            seq: window.seq,
                            result,
                            speech: window.speech_seconds(),
                        };
                        if tx.send(ev).is_err() {
                            return;
                        }
                    }
                }));
            }
            drop(work_rx);
            drop(partial_rx);

            // The diarizer, beside the mixed stream's speech segmentation.
            let diarize_tx = diarizer.map(|factory| {
                let (tx, rx) = bounded::<Vec<f32>>(256);
                let events = event_tx.clone();
                scope.spawn(move || {
                    let turns = (|| {
                        let mut d = factory.start()?;
                        for block in rx.iter() {
                            d.push(&block)?;
                        }
                        d.finish()
                    })();
                    let _ = events.send(Event::Turns(turns));
                });
                tx
            });

            // Per-track decode and DSP threads.
            for (i, track) in tracks.into_iter().enumerate() {
                let first_stream = first_streams[i];
                let n_streams = if track.split_channels {
                    track.source.format().channels.max(1) as usize
                } else {
                    1
                };
                let (block_tx, block_rx) = bounded::<Result<Vec<f32>, EngineError>>(8);
                let (recycle_tx, recycle_rx) = bounded::<Vec<f32>>(10);
                let stop = Arc::clone(&self.stop);
                let format = track.source.format();
                let source = track.source;
                let events = event_tx.clone();
                scope.spawn(move || decode_loop(source, &stop, block_tx, recycle_rx, events));
                let front = Front {
                    track_index: i,
                    name: track.name.clone(),
                    format,
                    first_stream,
                    n_streams,
                    split: track.split_channels,
                    vad: self.vad.clone(),
                    segmenter: self.segmenter.clone(),
                    packer: self.packer,
                    packing: self.packing,
                    partial_every: self.partial_every,
                    progress: Arc::clone(&self.progress),
                    positions: Arc::clone(&read_positions),
                    diarize: if i == 0 { diarize_tx.clone() } else { None },
                };
                let work = work_tx.clone();
                let partial = partial_tx.clone();
                let events = event_tx.clone();
                scope.spawn(move || front.run(block_rx, recycle_tx, work, partial, events));
            }
            drop(work_tx);
            drop(partial_tx);
            drop(event_tx);
            let diarizing = diarize_tx.is_some();
            drop(diarize_tx);

            let streams = OrderedStreams {
                metas: metas.clone(),
                start_utc: info.start_utc,
                diarizing,
            };
            self.order(streams, event_rx, sink, started, &read_positions)
        });
        outcome
    }

    /// Acts on a sink's answer to one item: `Ok(false)` stops the run
    /// cleanly, an error stops it and is kept for the caller. Returns
    /// whether the sink took the item.
    fn take_answer<E: std::error::Error + Send + Sync + 'static>(
        &self,
        answer: Result<bool, E>,
        sink_open: &mut bool,
        summary: &mut Summary,
        first_error: &mut Option<EngineError>,
    ) -> bool {
        match answer {
            Ok(true) => true,
            Ok(false) => {
                *sink_open = false;
                summary.stopped_early = true;
                self.stop.abort();
                true
            }
            Err(e) => {
                *sink_open = false;
                self.stop.abort();
                first_error.get_or_insert(EngineError::Sink(Box::new(e)));
                false
            }
        }
    }

    /// The ordering loop on the caller's thread: reorders results and feeds the sink.
    fn order<S: Sink>(
        &self,
        streams: OrderedStreams,
        events: Receiver<Event>,
        sink: &mut S,
        started: Instant,
        positions: &[AtomicU64],
    ) -> Result<Summary, EngineError> {
        let OrderedStreams {
            metas,
            start_utc,
            diarizing,
        } = streams;
        // With a diarizer, utterances wait here for the speaker turns.
        let mut held: Vec<Utterance> = Vec::new();
        let mut turns: Option<Result<Vec<SpeakerTurn>, DiarizeError>> = None;
        let mut reorder = Reorder::new(metas.len());
        let mut summary = Summary::default();
        let mut first_error: Option<EngineError> = None;
        let mut sink_open = true;
        let mut dropped = 0usize;
        let mut next_id = 0u64;
        let mut partials: Vec<PartialAgreement> = (0..metas.len())
            .map(|_| PartialAgreement::default())
            .collect();
        for event in events.iter() {
            match event {
                Event::Dispatched { track, seq, start } => reorder.dispatched(track, seq, start),
                Event::Watermark { track, time } => reorder.watermark(track, time),
                Event::TrackDone { track } => reorder.track_done(track),
                Event::Warning(w) => summary.warnings.push(w),
                Event::Partial {
                    track,
                    start,
                    end,
                    text,
                } => {
                    let Some(agreed) = partials[track].update(start, end, &text) else {
                        continue;
                    };
                    if !sink_open {
                        continue;
                    }
                    let meta = &metas[track];
                    let p = Partial {
                        track: meta.name.clone(),
                        speaker: meta.speaker.clone(),
                        start,
                        end,
                        text: agreed,
                    };
                    let answer = sink.partial(&p);
                    self.take_answer(answer, &mut sink_open, &mut summary, &mut first_error);
                    continue;
                }
                Event::Failed(e) => {
                    self.stop.stop();
                    first_error.get_or_insert(e);
                }
                Event::Turns(t) => turns = Some(t),
                Event::Result {
                    track,
                    seq,
                    result,
                    speech,
                } => {
                    summary.speech_seconds += speech;
                    match result {
                        Ok(r) => {
                            dropped += r.dropped;
                            reorder.completed(track, seq, r.drafts);
                        }
                        Err(e) => {
                            reorder.completed(track, seq, Vec::new());
                            self.stop.stop();
                            first_error.get_or_insert(e);
                        }
                    }
                }
            }
            while let Some((stream, draft)) = reorder.pop() {
                if !sink_open {
                    continue;
                }
                partials[stream].finalized(draft.end);
                let meta = &metas[stream];
                let u = Utterance {
                    id: next_id,
                    track: meta.name.clone(),
                    speaker: meta.speaker.clone(),
                    start: draft.start,
                    end: draft.end,
                    wall_start: start_utc
                        .map(|t| t + chrono::Duration::milliseconds((draft.start * 1000.0) as i64)),
                    text: draft.text,
                    words: draft
                        .words
                        .into_iter()
                        .map(|w| Word {
                            text: w.text.trim().to_string(),
                            start: w.start,
                            end: w.end,
                            probability: w.probability,
                        })
                        .collect(),
                    avg_logprob: draft.avg_logprob,
                    no_speech_prob: draft.no_speech_prob,
                };
                next_id += 1;
                if diarizing {
                    held.push(u);
                    continue;
                }
                let answer = sink.utterance(&u);
                if self.take_answer(answer, &mut sink_open, &mut summary, &mut first_error) {
                    summary.utterances += 1;
                }
            }
            let released = reorder.released_until();
            let released = if released.is_finite() {
                released
            } else {
                self.progress.read_seconds()
            };
            self.progress
                .released_ms
                .store((released.max(0.0) * 1000.0) as u64, Ordering::Relaxed);
        }
        if diarizing {
            let labelled = match turns {
                Some(Ok(t)) => attribute_all(&held, &t),
                Some(Err(e)) => {
                    summary
                        .warnings
                        .push(format!("speakers not found, utterances unlabelled: {e}"));
                    held
                }
                None => held,
            };
            for u in &labelled {
                if !sink_open {
                    break;
                }
                let answer = sink.utterance(u);
                if self.take_answer(answer, &mut sink_open, &mut summary, &mut first_error) {
                    summary.utterances += 1;
                }
            }
        }
        // Audio processed: every track counted (two 10 s tracks are 20 s of
        // work); the call's length is the longest track.
        let per_track: Vec<f64> = positions
            .iter()
            .map(|p| p.load(Ordering::Relaxed) as f64 / 1000.0)
            .collect();
        summary.audio_seconds = per_track.iter().sum();
        summary.call_seconds = per_track.iter().copied().fold(0.0, f64::max);
        summary.tracks = per_track.len();
        summary.elapsed_seconds = started.elapsed().as_secs_f64();
        if self.stop.is_stopped() {
            summary.stopped_early = true;
        }
        if dropped > 0 {
            summary.warnings.push(format!(
                "dropped {dropped} segment(s) whisper probably invented over silence or noise"
            ));
        }
        if sink_open || first_error.is_none() {
            sink.finish(&summary)
                .map_err(|e| EngineError::Sink(Box::new(e)))?;
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(summary),
        }
    }
}

/// Local agreement for one stream's provisional passes: shows only the
/// words two successive passes over the same open speech agree on, never
/// takes back words already shown, and ignores passes over speech a final
/// utterance already covers.
#[derive(Debug, Default)]
struct PartialAgreement {
    /// Start of the open speech the passes are about (seconds).
    start: Option<f64>,
    /// The previous pass's words.
    previous: Vec<String>,
    /// Words already shown.
    shown: usize,
    /// End of the last final utterance on this stream (seconds).
    final_until: f64,
}

impl PartialAgreement {
    /// Takes a pass over speech starting at `start`; returns the text to
    /// show when the agreed prefix grew.
    fn update(&mut self, start: f64, end: f64, text: &str) -> Option<String> {
        if end <= self.final_until + 0.05 {
            return None;
        }
        let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
        if self.start.is_none_or(|s| (s - start).abs() > 1e-6) {
            self.start = Some(start);
            self.previous = words;
            self.shown = 0;
            return None;
        }
        let agreed = self
            .previous
            .iter()
            .zip(&words)
            .take_while(|(a, b)| same_word(a, b))
            .count();
        self.previous = words;
        if agreed <= self.shown {
            return None;
        }
        self.shown = agreed;
        Some(self.previous[..agreed].join(" "))
    }

    /// A final utterance ending at `end` was delivered: it supersedes the
    /// provisional text for the speech it covers.
    fn finalized(&mut self, end: f64) {
        self.final_until = self.final_until.max(end);
        self.start = None;
        self.previous.clear();
        self.shown = 0;
    }
}

/// Words equal but for case and surrounding punctuation.
fn same_word(a: &str, b: &str) -> bool {
    let trim = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    trim(a) == trim(b)
}

/// Human label for channel `ch` of `n`: left/right for stereo, ch1… otherwise.
fn channel_label(ch: u16, n: u16) -> String {
    match (n, ch) {
        (2, 0) => "left".into(),
        (2, 1) => "right".into(),
        _ => format!("ch{}", ch + 1),
    }
}

/// Reads blocks from a source until it ends, errors, or reading is stopped.
fn decode_loop(
    mut source: Box<dyn AudioSource>,
    stop: &StopHandle,
    blocks: Sender<Result<Vec<f32>, EngineError>>,
    recycled: Receiver<Vec<f32>>,
    events: Sender<Event>,
) {
    loop {
        if stop.is_stopped() {
            break;
        }
        let mut buf = recycled.try_recv().unwrap_or_default();
        match source.read_block(&mut buf) {
            Ok(true) => {
                if buf.is_empty() {
                    continue;
                }
                if blocks.send(Ok(buf)).is_err() {
                    break;
                }
            }
            Ok(false) => break,
            Err(e) => {
                let _ = blocks.send(Err(e.into()));
                break;
            }
        }
        for w in source.take_warnings() {
            let _ = events.send(Event::Warning(w));
        }
    }
    for w in source.take_warnings() {
        let _ = events.send(Event::Warning(w));
    }
}

/// The DSP side of one track: resample, segment, pack.
struct Front {
    track_index: usize,
    name: String,
    format: SourceFormat,
    first_stream: usize,
    n_streams: usize,
    split: bool,
    vad: VadConfig,
    segmenter: SegmenterConfig,
    packer: PackerConfig,
    packing: Packing,
    partial_every: Option<f64>,
    progress: Arc<Progress>,
    positions: Arc<Vec<AtomicU64>>,
    /// The diarizer's input, for the mixed stream.
    diarize: Option<Sender<Vec<f32>>>,
}

impl Front {
    /// Hands the speech still open on stream `s` to a worker for a
    /// provisional pass when it is at least a second long, has grown by
    /// `every` seconds since the last pass, and no finished speech waits.
    fn offer_partial(
        &self,
        segmenter: &Segmenter,
        s: usize,
        every: f64,
        last: &mut Option<(u64, u64)>,
        work: &Sender<Window>,
        partial: &Sender<Window>,
    ) {
        let Some((seg_start, audio)) = segmenter.open_speech() else {
            return;
        };
        let sr = SAMPLE_RATE as u64;
        let end = seg_start + audio.len() as u64;
        let due = match *last {
            Some((start, reached)) if start == seg_start => {
                end >= reached + (every * sr as f64) as u64
            }
            _ => true,
        };
        if audio.len() < sr as usize || !due || !work.is_empty() || partial.is_full() {
            return;
        }
        // A window holds at most ~29 s; show the latest part of longer speech.
        let keep = audio.len().min(28 * sr as usize);
        let from = audio.len() - keep;
        let track_start = seg_start + from as u64;
        let window = Window {
            track: self.first_stream + s,
            seq: u64::MAX,
            samples: audio[from..].to_vec(),
            pieces: vec![Piece {
                window_offset: 0,
                len: keep,
                track_start,
                speech: (track_start, end),
            }],
        };
        if partial.try_send(window).is_ok() {
            *last = Some((seg_start, end));
        }
    }

    fn run(
        mut self,
        blocks: Receiver<Result<Vec<f32>, EngineError>>,
        recycle: Sender<Vec<f32>>,
        work: Sender<Window>,
        partial: Sender<Window>,
        events: Sender<Event>,
    ) {
        let diarize = self.diarize.take();
        if let Err(e) = self.process(&blocks, &recycle, &work, &partial, &events, diarize) {
            let _ = events.send(Event::Failed(e));
        }
        for s in 0..self.n_streams {
            let _ = events.send(Event::TrackDone {
                track: self.first_stream + s,
            });
        }
    }

    fn process(
        &self,
        blocks: &Receiver<Result<Vec<f32>, EngineError>>,
        recycle: &Sender<Vec<f32>>,
        work: &Sender<Window>,
        partial: &Sender<Window>,
        events: &Sender<Event>,
        mut diarize: Option<Sender<Vec<f32>>>,
    ) -> Result<(), EngineError> {
        let mode = if self.split {
            ChannelMode::Split
        } else {
            ChannelMode::Downmix
        };
        let mut resampler = Resampler::new(self.format, mode)?;
        let mut segmenters: Vec<Segmenter> = Vec::with_capacity(self.n_streams);
        let mut packers: Vec<WindowPacker> = (0..self.n_streams)
            .map(|s| WindowPacker::new(self.first_stream + s, self.packer))
            .collect();
        for _ in 0..self.n_streams {
            // webrtc's Vad is not Send: build detectors on this thread.
            segmenters.push(Segmenter::new(self.segmenter.clone(), self.vad.build()?));
        }
        let mut out: Vec<Vec<f32>> = vec![Vec::with_capacity(16_384); self.n_streams];
        // Per stream: the open speech last sent for a partial pass and how
        // far it reached (samples).
        let mut last_partial: Vec<Option<(u64, u64)>> = vec![None; self.n_streams];
        let mut last_watermark = 0.0f64;
        let hold_back = f64::from(self.segmenter.max_segment_s) + 1.0;
        let sr = SAMPLE_RATE as f64;

        let dispatch = |packer_window: Window, events: &Sender<Event>| -> bool {
            self.progress.queued_windows.fetch_add(1, Ordering::Relaxed);
            let ok = events
                .send(Event::Dispatched {
                    track: packer_window.track,
                    seq: packer_window.seq,
                    start: packer_window.start(),
                })
                .is_ok();
            ok && work.send(packer_window).is_ok()
        };

        // Energy of the whole input, for the "very quiet" warning.
        let mut energy = 0.0f64;
        let mut samples = 0u64;
        let mut finished = false;
        while !finished {
            let block = match blocks.recv() {
                Ok(Ok(b)) => Some(b),
                Ok(Err(e)) => {
                    // Keep what decoded so far: flush, then report.
                    let _ = events.send(Event::Failed(e));
                    None
                }
                Err(_) => None,
            };
            for o in out.iter_mut() {
                o.clear();
            }
            match block {
                Some(b) => {
                    resampler.process(&b, &mut out)?;
                    let _ = recycle.try_send(b);
                }
                None => {
                    resampler.finish(&mut out)?;
                    finished = true;
                }
            }
            if let (Some(tx), Some(o)) = (&diarize, out.first()) {
                // A diarizer that failed has dropped its end: go on without it.
                if !o.is_empty() && tx.send(o.clone()).is_err() {
                    diarize = None;
                }
            }
            for o in &out {
                energy += o.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>();
                samples += o.len() as u64;
            }
            for s in 0..self.n_streams {
                let mut closed = Vec::new();
                segmenters[s].push(&out[s], &mut |seg| closed.push(seg))?;
                if finished {
                    segmenters[s].finish(&mut |seg| closed.push(seg))?;
                }
                for seg in closed {
                    let mut ready = Vec::new();
                    packers[s].push(
                        seg.start,
                        &seg.samples,
                        (seg.speech_start, seg.speech_end),
                        &mut |w| ready.push(w),
                    );
                    if self.packing == Packing::Eager && work.is_empty() {
                        packers[s].flush(&mut |w| ready.push(w));
                    }
                    for w in ready {
                        if !dispatch(w, events) {
                            return Ok(());
                        }
                    }
                }
                if let Some(every) = self.partial_every.filter(|_| !finished) {
                    self.offer_partial(
                        &segmenters[s],
                        s,
                        every,
                        &mut last_partial[s],
                        work,
                        partial,
                    );
                }
                if finished {
                    let mut ready = Vec::new();
                    packers[s].flush(&mut |w| ready.push(w));
                    for w in ready {
                        if !dispatch(w, events) {
                            return Ok(());
                        }
                    }
                }
            }
            // Progress and watermarks (about once per second of audio).
            let pos = segmenters.first().map_or(0, |s| s.position()) as f64 / sr;
            self.positions[self.track_index].store((pos * 1000.0) as u64, Ordering::Relaxed);
            let slowest = self
                .positions
                .iter()
                .map(|p| p.load(Ordering::Relaxed))
                .min()
                .unwrap_or(0);
            self.progress.read_ms.store(slowest, Ordering::Relaxed);
            if pos - last_watermark >= 1.0 {
                last_watermark = pos;
                for (s, packer) in packers.iter().enumerate() {
                    let held = packer.pending_start().map(|p| p as f64 / sr);
                    let safe = (pos - hold_back).max(0.0);
                    let time = held.map_or(safe, |h| h.min(safe));
                    let _ = events.send(Event::Watermark {
                        track: self.first_stream + s,
                        time,
                    });
                }
            }
        }
        if samples >= SAMPLE_RATE as u64 {
            let rms = (energy / samples as f64).sqrt();
            let dbfs = 20.0 * rms.max(1e-10).log10();
            if dbfs < QUIET_DBFS {
                let _ = events.send(Event::Warning(format!(
                    "{}: very quiet input (RMS {dbfs:.0} dBFS over the whole recording); \
                     speech may be missed: check the recording level or the right channel",
                    self.name
                )));
            }
        }
        Ok(())
    }
}

/// Below this RMS level (dBFS) over a whole input, a warning says so.
pub const QUIET_DBFS: f64 = -50.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partials_show_only_what_two_passes_agree_on() {
        let mut a = PartialAgreement::default();
        // The first pass over new speech shows nothing.
        assert_eq!(a.update(10.0, 11.0, "the database"), None);
        // The second agrees on both words (case and punctuation aside).
        assert_eq!(
            a.update(10.0, 12.0, "The database, fail"),
            Some("The database,".to_string())
        );
        // A third pass that changes the tail shows nothing new.
        assert_eq!(a.update(10.0, 13.0, "the database failover"), None);
        // The fourth agrees on one more word.
        assert_eq!(
            a.update(10.0, 14.0, "the database failover started"),
            Some("the database failover".to_string())
        );
    }

    #[test]
    fn partials_never_take_back_words_and_restart_on_new_speech() {
        let mut a = PartialAgreement::default();
        a.update(0.0, 1.0, "roll back now");
        assert_eq!(
            a.update(0.0, 2.0, "roll back now please"),
            Some("roll back now".to_string())
        );
        // A pass that disagrees early does not shrink what was shown.
        assert_eq!(a.update(0.0, 3.0, "hold back now please"), None);
        // Speech starting elsewhere starts over.
        assert_eq!(a.update(5.0, 6.0, "next"), None);
        assert_eq!(a.update(5.0, 7.0, "next one"), Some("next".to_string()));
    }

    #[test]
    fn final_text_supersedes_partials_it_covers() {
        let mut a = PartialAgreement::default();
        a.update(0.0, 1.0, "we are");
        a.update(0.0, 2.0, "we are rolling");
        a.finalized(2.5);
        // A late pass over speech the final utterance covered is ignored.
        assert_eq!(a.update(0.0, 2.4, "we are rolling back"), None);
        assert_eq!(a.update(0.0, 2.5, "we are rolling back"), None);
        // Later speech is shown again once two passes agree.
        assert_eq!(a.update(3.0, 4.0, "done"), None);
        assert_eq!(a.update(3.0, 5.0, "done now"), Some("done".to_string()));
    }
}
