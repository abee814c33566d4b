//! Criterion benchmarks of the engine's throughput, stage by stage and whole.
//!
//! Throughput is counted in 16 kHz audio samples (audio seconds × 16,000), so
//! criterion's `elem/s` divided by 16,000 is the realtime factor; each bench
//! also prints `× realtime` (audio seconds / wall seconds, best iteration)
//! directly. Groups:
//!
//! - `decode`: symphonia decoding of the scenario recordings (flac, mp3).
//! - `resample`: 48 kHz stereo → 16 kHz mono, synthetic signal.
//! - `vad_segment`: webrtc VAD + speech segmentation over 16 kHz audio.
//! - `front_end`: decode + resample + segmentation on one core (target
//!   ≥ 1,500× realtime).
//! - `pipeline`: the whole pipeline with tiny.en (f16, q8_0, q5_1) at
//!   1 worker × 2 threads and 2 workers × 1 thread, fitted encoder context
//!   (f16 also with the full context, for reference), on the project fixture
//!   `fixtures/audio/db-failover.flac` (49 s), or the recording named by
//!   `HOTWASH_BENCH_AUDIO`.
//!
//! The recordings come from `../shared` beside the workspace and the models
//! from `$HOTWASH_MODELS` (else the user cache); whatever is missing is
//! skipped with a printed note. Run with `cargo bench --bench realtime`, or
//! one group with `cargo bench --bench realtime -- pipeline`.

use std::cell::Cell;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode, Throughput,
};
use hotwash_engine::format::VecSink;
use hotwash_engine::pipeline::{Pipeline, Track};
use hotwash_engine::resample::{ChannelMode, Resampler};
use hotwash_engine::segment::{Segmenter, SegmenterConfig};
use hotwash_engine::source::{AudioSource, FileSource, SourceFormat};
use hotwash_engine::transcriber::{AudioContext, Model, TranscriberConfig};
use hotwash_engine::vad::VadConfig;
use hotwash_engine::SAMPLE_RATE;

/// Read-only reference material beside the workspace.
const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");
/// The project's own 49-second bridge-call fixture.
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/audio/db-failover.flac"
);
/// Scenario recordings decoded by the `decode` and `front_end` groups.
const SCENARIOS: &[&str] = &[
    "scenarios/rendered/dev-01-checkout-deploy.flac",
    "scenarios/rendered/dev-02-latency-creep.mp3",
];

type Group<'a> = BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// Prints why a bench is skipped.
fn skip(what: &str, why: impl std::fmt::Display) {
    println!("skipping {what}: {why}");
}

/// The scenario recordings that are present (with a note for each missing one).
fn scenario_files() -> Vec<PathBuf> {
    SCENARIOS
        .iter()
        .map(|rel| Path::new(SHARED).join(rel))
        .filter(|p| {
            let ok = p.is_file();
            if !ok {
                skip(&p.display().to_string(), "not found (../shared missing?)");
            }
            ok
        })
        .collect()
}

/// Short label for a path (its file name).
fn label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// A criterion group that also prints each bench's realtime factor.
struct RealtimeGroup<'a> {
    inner: Group<'a>,
    name: &'static str,
}

impl<'a> RealtimeGroup<'a> {
    /// Opens the group `name`.
    fn new(c: &'a mut Criterion, name: &'static str) -> Self {
        Self {
            inner: c.benchmark_group(name),
            name,
        }
    }

    /// Times `routine` (one pass over `audio_s` seconds of audio) under
    /// criterion, with throughput in 16 kHz samples, then prints the best
    /// iteration's realtime factor.
    fn bench<F: FnMut()>(&mut self, id: &str, audio_s: f64, mut routine: F) {
        let best = Cell::new(Duration::MAX);
        self.inner.throughput(Throughput::Elements(
            (audio_s * f64::from(SAMPLE_RATE)) as u64,
        ));
        self.inner.bench_function(id, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    routine();
                    let dt = t.elapsed();
                    total += dt;
                    best.set(best.get().min(dt));
                }
                total
            })
        });
        // Duration::MAX: filtered out on the command line, never run.
        let secs = best.get().as_secs_f64();
        if best.get() < Duration::MAX && secs > 0.0 {
            println!(
                "{}/{id}: {:.0}× realtime ({audio_s:.1} s of audio in {:.1} ms, best iteration)",
                self.name,
                audio_s / secs,
                secs * 1e3
            );
        }
    }
}

/// Decodes a whole file; returns (frames, format).
fn decode_all(path: &Path, buf: &mut Vec<f32>) -> Result<(u64, SourceFormat), String> {
    let mut src = FileSource::open(path).map_err(|e| e.to_string())?;
    let format = src.format();
    let channels = u64::from(format.channels.max(1));
    let mut frames = 0u64;
    while src.read_block(buf).map_err(|e| e.to_string())? {
        frames += buf.len() as u64 / channels;
    }
    Ok((frames, format))
}

/// Decodes a file to 16 kHz mono in memory (bench input for the VAD group).
fn decode_16k(path: &Path) -> Result<Vec<f32>, String> {
    let mut src = FileSource::open(path).map_err(|e| e.to_string())?;
    let mut rs = Resampler::new(src.format(), ChannelMode::Downmix).map_err(|e| e.to_string())?;
    let mut out = vec![Vec::new()];
    let mut buf = Vec::new();
    while src.read_block(&mut buf).map_err(|e| e.to_string())? {
        rs.process(&buf, &mut out).map_err(|e| e.to_string())?;
    }
    rs.finish(&mut out).map_err(|e| e.to_string())?;
    Ok(out.swap_remove(0))
}

/// Synthetic 48 kHz stereo: a gliding tone plus low noise (xorshift).
fn synthetic_48k_stereo(seconds: usize) -> Vec<f32> {
    let rate = 48_000usize;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut out = Vec::with_capacity(seconds * rate * 2);
    for i in 0..seconds * rate {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
        let t = i as f32 / rate as f32;
        let tone = (2.0 * std::f32::consts::PI * (220.0 + 30.0 * t.sin()) * t).sin();
        out.push(0.3 * tone + 0.02 * noise);
        out.push(0.2 * tone - 0.02 * noise);
    }
    out
}

/// Synthetic 16 kHz "speech": 1.5 s tone bursts with 1 s pauses, over noise.
fn synthetic_16k_bursts(seconds: usize) -> Vec<f32> {
    let rate = SAMPLE_RATE as usize;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..seconds * rate)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            let t = i as f32 / rate as f32;
            let on = (i % (rate * 5 / 2)) < rate * 3 / 2;
            let voice = if on {
                0.4 * (2.0 * std::f32::consts::PI * 180.0 * t).sin()
                    * (1.0 + 0.5 * (2.0 * std::f32::consts::PI * 4.0 * t).sin())
            } else {
                0.0
            };
            voice + 0.01 * noise
        })
        .collect()
}

/// Runs the segmenter over 16 kHz audio in 2,048-sample pushes; returns the
/// number of segments.
fn segment(audio: &[f32]) -> Result<usize, String> {
    let vad = VadConfig::WebRtc { aggressiveness: 2 }
        .build()
        .map_err(|e| e.to_string())?;
    let mut seg = Segmenter::new(SegmenterConfig::default(), vad);
    let mut n = 0usize;
    for chunk in audio.chunks(2048) {
        seg.push(chunk, &mut |_| n += 1)
            .map_err(|e| e.to_string())?;
    }
    seg.finish(&mut |_| n += 1).map_err(|e| e.to_string())?;
    Ok(n)
}

/// Decode + resample + segmentation of one file on the calling thread;
/// returns the number of speech segments.
fn front_end(path: &Path, buf: &mut Vec<f32>, out: &mut [Vec<f32>]) -> Result<usize, String> {
    let mut src = FileSource::open(path).map_err(|e| e.to_string())?;
    let mut rs = Resampler::new(src.format(), ChannelMode::Downmix).map_err(|e| e.to_string())?;
    let vad = VadConfig::WebRtc { aggressiveness: 2 }
        .build()
        .map_err(|e| e.to_string())?;
    let mut seg = Segmenter::new(SegmenterConfig::default(), vad);
    let mut n = 0usize;
    while src.read_block(buf).map_err(|e| e.to_string())? {
        out[0].clear();
        rs.process(buf, out).map_err(|e| e.to_string())?;
        seg.push(&out[0], &mut |_| n += 1)
            .map_err(|e| e.to_string())?;
    }
    out[0].clear();
    rs.finish(out).map_err(|e| e.to_string())?;
    seg.push(&out[0], &mut |_| n += 1)
        .map_err(|e| e.to_string())?;
    seg.finish(&mut |_| n += 1).map_err(|e| e.to_string())?;
    Ok(n)
}

fn bench_decode(c: &mut Criterion) {
    let files = scenario_files();
    if files.is_empty() {
        return;
    }
    let mut g = RealtimeGroup::new(c, "decode");
    g.inner
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    let mut buf = Vec::new();
    for path in files {
        let (frames, format) = match decode_all(&path, &mut buf) {
            Ok(x) => x,
            Err(e) => {
                skip(&path.display().to_string(), e);
                continue;
            }
        };
        let audio_s = frames as f64 / f64::from(format.sample_rate);
        g.bench(&label(&path), audio_s, || {
            if let Err(e) = decode_all(&path, &mut buf) {
                skip("decode", e);
            }
            black_box(buf.len());
        });
    }
    g.inner.finish();
}

fn bench_resample(c: &mut Criterion) {
    let seconds = 60;
    let input = synthetic_48k_stereo(seconds);
    let format = SourceFormat {
        sample_rate: 48_000,
        channels: 2,
    };
    let mut g = RealtimeGroup::new(c, "resample");
    g.inner
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    let mut out = vec![Vec::with_capacity(seconds * SAMPLE_RATE as usize + 4096)];
    g.bench("48k_stereo_to_16k_mono", seconds as f64, || {
        out[0].clear();
        let result = Resampler::new(format, ChannelMode::Downmix).and_then(|mut rs| {
            // Decoder-sized blocks: 4,096 frames of interleaved stereo.
            for block in input.chunks(4096 * 2) {
                rs.process(block, &mut out)?;
            }
            rs.finish(&mut out)
        });
        if let Err(e) = result {
            skip("resample", e);
        }
        black_box(out[0].len());
    });
    g.inner.finish();
}

fn bench_vad(c: &mut Criterion) {
    let mut inputs: Vec<(String, Vec<f32>)> = Vec::new();
    if let Some(path) = scenario_files().into_iter().next() {
        match decode_16k(&path) {
            Ok(audio) => inputs.push((label(&path), audio)),
            Err(e) => skip(&path.display().to_string(), e),
        }
    }
    inputs.push(("synthetic_bursts_60s".into(), synthetic_16k_bursts(60)));
    let mut g = RealtimeGroup::new(c, "vad_segment");
    g.inner
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    for (name, audio) in &inputs {
        let audio_s = audio.len() as f64 / f64::from(SAMPLE_RATE);
        g.bench(&format!("webrtc/{name}"), audio_s, || {
            match segment(audio) {
                Ok(n) => {
                    black_box(n);
                }
                Err(e) => skip("vad_segment", e),
            }
        });
    }
    g.inner.finish();
}

fn bench_front_end(c: &mut Criterion) {
    let files = scenario_files();
    if files.is_empty() {
        return;
    }
    let mut g = RealtimeGroup::new(c, "front_end");
    g.inner
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    let mut buf = Vec::new();
    let mut out = vec![Vec::with_capacity(16_384)];
    for path in files {
        let audio_s = match decode_all(&path, &mut buf) {
            Ok((frames, format)) => frames as f64 / f64::from(format.sample_rate),
            Err(e) => {
                skip(&path.display().to_string(), e);
                continue;
            }
        };
        g.bench(&label(&path), audio_s, || {
            match front_end(&path, &mut buf, &mut out) {
                Ok(n) => {
                    black_box(n);
                }
                Err(e) => skip("front_end", e),
            }
        });
    }
    g.inner.finish();
}

/// The model directory: `$HOTWASH_MODELS`, else the user cache.
fn model_dir() -> Option<PathBuf> {
    hotwash_models::default_model_dir().ok()
}

fn bench_pipeline(c: &mut Criterion) {
    // HOTWASH_BENCH_AUDIO points the whole-pipeline bench at another
    // recording (e.g. ../shared/scenarios/rendered/dev-01-checkout-deploy.flac).
    let chosen = std::env::var_os("HOTWASH_BENCH_AUDIO").map(PathBuf::from);
    let fixture = chosen.as_deref().unwrap_or(Path::new(FIXTURE));
    let audio_s = match decode_all(fixture, &mut Vec::new()) {
        Ok((frames, format)) => frames as f64 / f64::from(format.sample_rate),
        Err(e) => return skip("pipeline", format!("{}: {e}", fixture.display())),
    };
    let Some(dir) = model_dir() else {
        return skip("pipeline", "no model directory (set HOTWASH_MODELS)");
    };
    let mut g = RealtimeGroup::new(c, "pipeline");
    g.inner
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    for variant in ["f16", "q8_0", "q5_1"] {
        let file = match variant {
            "f16" => "ggml-tiny.en.bin".to_string(),
            v => format!("ggml-tiny.en-{v}.bin"),
        };
        let path = dir.join(&file);
        if !path.is_file() {
            skip(
                &format!("pipeline/tiny.en-{variant}"),
                format!(
                    "{} not found (hotwash models fetch tiny.en --quant {variant})",
                    path.display()
                ),
            );
            continue;
        }
        let model: Arc<Model> = match Model::load(&path) {
            Ok(m) => m,
            Err(e) => {
                skip(&format!("pipeline/tiny.en-{variant}"), e);
                continue;
            }
        };
        // Both splits with the fitted encoder context (the measured best);
        // the full context once, as the reference it is compared with.
        let configs: &[(usize, usize, AudioContext)] = if variant == "f16" {
            &[
                (1, 2, AudioContext::Fit),
                (2, 1, AudioContext::Fit),
                (2, 1, AudioContext::Full),
            ]
        } else {
            &[(1, 2, AudioContext::Fit), (2, 1, AudioContext::Fit)]
        };
        for &(workers, threads, ctx) in configs {
            let ctx_name = match ctx {
                AudioContext::Full => "full",
                AudioContext::Fit => "fit",
            };
            let built = Pipeline::builder()
                .model(Arc::clone(&model))
                .transcriber(TranscriberConfig {
                    audio_context: ctx,
                    ..TranscriberConfig::default()
                })
                .workers(workers)
                .threads(threads)
                .build();
            let pipeline = match built {
                Ok(p) => p,
                Err(e) => {
                    skip("pipeline", e);
                    continue;
                }
            };
            let id = format!("tiny.en-{variant}/{workers}x{threads}/{ctx_name}");
            g.bench(&id, audio_s, || {
                let source = match FileSource::open(fixture) {
                    Ok(s) => s,
                    Err(e) => return skip("pipeline", e),
                };
                let mut sink = VecSink::default();
                match pipeline.run(vec![Track::new("main", Box::new(source))], &mut sink) {
                    Ok(summary) => {
                        black_box(summary.utterances);
                    }
                    Err(e) => skip("pipeline", e),
                }
            });
        }
    }
    g.inner.finish();
}

criterion_group!(
    benches,
    bench_decode,
    bench_resample,
    bench_vad,
    bench_front_end,
    bench_pipeline
);
criterion_main!(benches);
