//! Bounded fuzzing of the decode path, inside the normal test suite (no
//! nightly, no cargo-fuzz): small valid files of every container (made
//! with ffmpeg at test time, plus WAV bytes built here) are mutated with a
//! seeded generator — bit flips, byte overwrites, truncations, chunks
//! duplicated or deleted, random headers, extreme integers, splices — and
//! each result is probed and decoded to the end through [`FileSource`]
//! (seekable and streamed), and random bytes through [`RawPcmSource`].
//! No input may panic or take longer than [`TIME_LIMIT`]; errors and
//! warnings must be one line naming the input.
//!
//! An input that fails is saved under `tests/crashers/` and the test
//! fails; `crashers_replay_cleanly` replays every file there, so a fixed
//! crash stays fixed.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hotwash_engine::source::{AudioSource, FileSource, RawPcmSource, RawSampleFormat};

/// Mutated inputs per seed file.
const PER_SEED: usize = 1000;
/// Random raw-PCM inputs.
const RAW_INPUTS: usize = 400;
/// Longest one input may take before it counts as a hang.
const TIME_LIMIT: Duration = Duration::from_secs(10);
/// Samples decoded at most per input (damaged lengths can be absurd).
const MAX_SAMPLES: usize = 20_000_000;
/// The name inputs go by in messages.
const NAME: &str = "fuzz-input";

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

/// A WAV file: 16-bit PCM, `channels` × `frames` of a tone.
fn wav(rate: u32, channels: u16, frames: usize) -> Vec<u8> {
    let samples: Vec<i16> = (0..frames * usize::from(channels))
        .map(|i| ((i as f64 * 0.05).sin() * 12_000.0) as i16)
        .collect();
    let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut b = b"RIFF".to_vec();
    b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2 * u32::from(channels)).to_le_bytes());
    b.extend_from_slice(&(2 * channels).to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&data);
    b
}

/// The seed files: WAV bytes always, every other container when ffmpeg
/// is installed.
fn seeds(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![
        ("wav16k".to_string(), wav(16_000, 1, 8_000)),
        ("wav-stereo".to_string(), wav(44_100, 2, 8_000)),
    ];
    if Command::new("ffmpeg").arg("-version").output().is_err() {
        println!("ffmpeg is not installed: fuzzing WAV only");
        return out;
    }
    let src = dir.join("seed.wav");
    std::fs::write(&src, wav(16_000, 1, 12_000)).unwrap();
    let made: [(&str, &[&str]); 11] = [
        ("flac", &[]),
        ("mp3", &["-c:a", "libmp3lame", "-b:a", "32k"]),
        (
            "m4a",
            &["-c:a", "aac", "-b:a", "32k", "-movflags", "+faststart"],
        ),
        ("mp4", &["-c:a", "aac", "-b:a", "32k"]),
        ("ogg", &["-c:a", "libvorbis"]),
        ("opus", &["-c:a", "libopus", "-b:a", "24k"]),
        ("webm", &["-c:a", "libopus", "-b:a", "24k"]),
        ("mkv", &["-c:a", "libopus", "-b:a", "24k"]),
        ("aiff", &[]),
        ("caf", &["-c:a", "alac"]),
        ("wav", &["-c:a", "pcm_f32le", "-ac", "2"]),
    ];
    for (ext, args) in made {
        let out_path = dir.join(format!("seed-{ext}.{ext}"));
        let ok = Command::new("ffmpeg")
            .args(["-loglevel", "error", "-y", "-i"])
            .arg(&src)
            .args(args)
            .arg(&out_path)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            let label = if ext == "wav" { "wav-f32" } else { ext };
            out.push((label.to_string(), std::fs::read(&out_path).unwrap()));
        } else {
            println!("ffmpeg could not make a .{ext} seed; skipped");
        }
    }
    out
}

/// Integers that break size and count fields.
const EXTREMES: [u32; 10] = [
    0,
    1,
    0x7F,
    0x80,
    0xFF,
    0xFFFF,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFE,
    0xFFFF_FFFF,
];

/// One to three mutations of `seed`; `other` is another seed to splice in.
fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(3) {
        let len = b.len();
        match rng.below(10) {
            0 => {
                for _ in 0..1 + rng.below(16) {
                    if len > 0 {
                        let at = rng.below(len);
                        b[at] ^= 1 << rng.below(8);
                    }
                }
            }
            1 => {
                let at = rng.below(len);
                let end = (at + 1 + rng.below(64)).min(len);
                for x in &mut b[at..end] {
                    *x = rng.byte();
                }
            }
            2 => b.truncate(rng.below(len + 1)),
            3 => {
                let from = rng.below(len);
                let n = (1 + rng.below(4096)).min(len - from.min(len));
                let chunk = b[from..from + n].to_vec();
                let at = rng.below(b.len() + 1);
                b.splice(at..at, chunk);
            }
            4 => {
                let from = rng.below(len);
                let n = (1 + rng.below(2048)).min(len - from.min(len));
                b.drain(from..from + n);
            }
            5 => {
                let end = (1 + rng.below(64)).min(len);
                for x in &mut b[..end] {
                    *x = rng.byte();
                }
            }
            6 | 7 => {
                // An extreme integer over a field: in the first kilobytes
                // (headers, box and element sizes) most of the time.
                let v = EXTREMES[rng.below(EXTREMES.len())];
                let bytes = if rng.below(2) == 0 {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                };
                let span = if rng.below(4) == 0 {
                    len
                } else {
                    len.min(4096)
                };
                let at = rng.below(span.saturating_sub(3));
                let width = [1, 2, 4][rng.below(3)];
                for (i, x) in bytes[4 - width..].iter().enumerate() {
                    if let Some(slot) = b.get_mut(at + i) {
                        *slot = *x;
                    }
                }
            }
            8 => {
                let keep = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                b.truncate(keep);
                b.extend_from_slice(&other[from..]);
            }
            _ => {
                let at = rng.below(len);
                let end = (at + 1 + rng.below(512)).min(len);
                b[at..end].fill(0);
            }
        }
    }
    b
}

/// Recomputes the CRC of every Ogg page, so that a mutation inside a page
/// reaches the codec instead of being dropped by the page check.
fn fix_ogg_crcs(b: &mut [u8]) {
    fn crc(data: &[u8]) -> u32 {
        let mut c = 0u32;
        for &x in data {
            c ^= u32::from(x) << 24;
            for _ in 0..8 {
                c = if c & 0x8000_0000 != 0 {
                    (c << 1) ^ 0x04C1_1DB7
                } else {
                    c << 1
                };
            }
        }
        c
    }
    let mut pos = 0;
    while pos + 27 <= b.len() {
        if &b[pos..pos + 4] != b"OggS" {
            pos += 1;
            continue;
        }
        let segments = usize::from(b[pos + 26]);
        let Some(table) = b.get(pos + 27..pos + 27 + segments) else {
            break;
        };
        let body: usize = table.iter().map(|&x| usize::from(x)).sum();
        let end = (pos + 27 + segments + body).min(b.len());
        b[pos + 22..pos + 26].fill(0);
        let c = crc(&b[pos..end]);
        b[pos + 22..pos + 26].copy_from_slice(&c.to_le_bytes());
        pos = end.max(pos + 1);
    }
}

/// Checks a message: one line naming the input.
fn check_message(what: &str, msg: &str) -> Result<(), String> {
    if msg.contains('\n') || !msg.contains(NAME) {
        return Err(format!("{what} is not one line naming the input: {msg:?}"));
    }
    Ok(())
}

/// Drains a source to its end (or the sample cap), checking its warnings.
fn drain(mut src: impl AudioSource) -> Result<(), String> {
    let mut buf = Vec::new();
    let mut total = 0usize;
    loop {
        match src.read_block(&mut buf) {
            Ok(true) => {
                total += buf.len();
                if buf.iter().any(|x| !x.is_finite()) {
                    return Err("a decoded sample is not finite".into());
                }
                if total > MAX_SAMPLES {
                    break;
                }
            }
            Ok(false) => break,
            Err(e) => {
                check_message("a read error", &e.to_string())?;
                break;
            }
        }
    }
    for w in src.take_warnings() {
        check_message("a warning", &w)?;
    }
    Ok(())
}

/// What one input goes through: `Ok(true)` when it opened and decoded,
/// `Ok(false)` when it was refused with a good message, `Err` for a wrong
/// message (a panic is caught by the caller).
fn exercise(kind: u8, bytes: &[u8]) -> Result<bool, String> {
    match kind {
        // A recording file, as `transcribe FILE` reads it.
        0 => match FileSource::from_bytes(NAME, bytes.to_vec()) {
            Ok(src) => drain(src).map(|_| true),
            Err(e) => check_message("an open error", &e.to_string()).map(|_| false),
        },
        // The same bytes from a pipe (no seeking).
        1 => match FileSource::from_reader(NAME, Cursor::new(bytes.to_vec())) {
            Ok(src) => drain(src).map(|_| true),
            Err(e) => check_message("an open error", &e.to_string()).map(|_| false),
        },
        // Raw PCM: the first bytes choose the format, the rest is audio.
        _ => {
            let pick = |i: usize| bytes.get(i).copied().unwrap_or(0);
            let sample = if pick(0) & 1 == 0 {
                RawSampleFormat::S16Le
            } else {
                RawSampleFormat::F32Le
            };
            let rates = [0, 1, 8_000, 16_000, 44_100, 48_000, 768_000, 4_000_000_000];
            let rate = rates[usize::from(pick(1)) % rates.len()];
            let channels = u16::from(pick(2) % 70);
            let body = bytes.get(3..).unwrap_or_default().to_vec();
            match RawPcmSource::new(NAME, Box::new(Cursor::new(body)), sample, rate, channels) {
                Ok(src) => drain(src).map(|_| true),
                Err(e) => check_message("a raw PCM error", &e.to_string()).map(|_| false),
            }
        }
    }
}

/// How one input ended.
enum Outcome {
    /// No panic, good messages; whether the input opened.
    Clean(bool),
    /// A panic or a wrong message, with what was said.
    Failed(String),
    Hang,
}

/// Runs inputs on a worker thread, each under `catch_unwind` and the time
/// limit. A hang leaves the worker stuck; the runner then refuses more.
struct Runner {
    jobs: mpsc::Sender<(u8, Vec<u8>)>,
    results: mpsc::Receiver<Result<Result<bool, String>, String>>,
    /// The longest an input took.
    slowest: Duration,
    stuck: bool,
}

impl Runner {
    fn new() -> Self {
        let (jobs, job_rx) = mpsc::channel::<(u8, Vec<u8>)>();
        let (res_tx, results) = mpsc::channel();
        std::thread::spawn(move || {
            for (kind, bytes) in job_rx {
                let r = catch_unwind(AssertUnwindSafe(|| exercise(kind, &bytes))).map_err(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "a panic".into())
                });
                if res_tx.send(r).is_err() {
                    break;
                }
            }
        });
        Runner {
            jobs,
            results,
            slowest: Duration::ZERO,
            stuck: false,
        }
    }

    fn run(&mut self, kind: u8, bytes: &[u8]) -> Outcome {
        assert!(!self.stuck, "the worker is stuck on an earlier input");
        self.jobs.send((kind, bytes.to_vec())).unwrap();
        let t = Instant::now();
        let r = self.results.recv_timeout(TIME_LIMIT);
        self.slowest = self.slowest.max(t.elapsed());
        match r {
            Ok(Ok(Ok(opened))) => Outcome::Clean(opened),
            Ok(Ok(Err(msg))) => Outcome::Failed(msg),
            Ok(Err(panic)) => Outcome::Failed(format!("panicked: {panic}")),
            Err(_) => {
                self.stuck = true;
                Outcome::Hang
            }
        }
    }
}

fn crashers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crashers")
}

/// Silences the default panic message while inputs run (a caught panic is
/// reported once, with its input).
fn quiet_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}

#[test]
fn mutated_files_never_panic_or_hang() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = seeds(dir.path());
    quiet_panics();
    let started = Instant::now();
    let mut runner = Runner::new();
    let mut rng = Rng(std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_0FD3_C0DE));
    let mut tried = 0usize;
    let mut failures = Vec::new();
    let mut opened_by_seed = Vec::new();
    'all: for (s, (label, seed)) in seeds.iter().enumerate() {
        let other = &seeds[(s + 1) % seeds.len()].1;
        let mut opened = 0;
        let is_ogg = seed.starts_with(b"OggS");
        assert!(
            matches!(runner.run(0, seed), Outcome::Clean(true)),
            "the {label} seed does not decode"
        );
        for i in 0..PER_SEED {
            let mut input = mutate(&mut rng, seed, other);
            if is_ogg && i % 4 != 0 {
                fix_ogg_crcs(&mut input);
            }
            // One in four goes through the streaming (unseekable) path.
            let kind = u8::from(i % 4 == 3);
            tried += 1;
            match runner.run(kind, &input) {
                Outcome::Clean(o) => opened += usize::from(o),
                Outcome::Failed(msg) => {
                    failures.push((format!("{label}-{i:04}-k{kind}"), input, msg))
                }
                Outcome::Hang => {
                    failures.push((
                        format!("{label}-{i:04}-k{kind}"),
                        input,
                        format!("took over {TIME_LIMIT:?}"),
                    ));
                    break 'all;
                }
            }
        }
        opened_by_seed.push(format!("{label} {opened}/{PER_SEED}"));
    }
    if !runner.stuck {
        for i in 0..RAW_INPUTS {
            let n = rng.below(20_000);
            let input: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
            tried += 1;
            match runner.run(2, &input) {
                Outcome::Clean(_) => {}
                Outcome::Failed(msg) => failures.push((format!("raw-{i:04}-k2"), input, msg)),
                Outcome::Hang => {
                    failures.push((format!("raw-{i:04}-k2"), input, "hang".into()));
                    break;
                }
            }
        }
    }
    let _ = std::panic::take_hook();
    println!(
        "fuzz_decode: {tried} inputs from {} seeds in {:.1} s (slowest {:.0} ms), {} failed",
        seeds.len(),
        started.elapsed().as_secs_f64(),
        runner.slowest.as_secs_f64() * 1e3,
        failures.len()
    );
    println!("decoded after mutation: {}", opened_by_seed.join(", "));
    if !failures.is_empty() {
        std::fs::create_dir_all(crashers_dir()).unwrap();
        for (name, input, _) in &failures {
            std::fs::write(crashers_dir().join(format!("{name}.crash")), input).unwrap();
        }
        let list: Vec<String> = failures
            .iter()
            .take(20)
            .map(|(n, _, m)| format!("{n}: {m}"))
            .collect();
        panic!(
            "{} of {tried} inputs failed (saved under tests/crashers/):\n{}",
            failures.len(),
            list.join("\n")
        );
    }
}

#[test]
fn crashers_replay_cleanly() {
    let Ok(entries) = std::fs::read_dir(crashers_dir()) else {
        println!("no crashers saved");
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    files.sort();
    quiet_panics();
    let mut runner = Runner::new();
    let mut failures = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        // The name ends in -k0, -k1 or -k2: the path the input failed on.
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let kind = stem
            .rsplit("-k")
            .next()
            .and_then(|k| k.parse::<u8>().ok())
            .unwrap_or(0);
        for k in [kind, 0] {
            match runner.run(k, &bytes) {
                Outcome::Clean(_) => {}
                Outcome::Failed(msg) => failures.push(format!("{stem} (path {k}): {msg}")),
                Outcome::Hang => {
                    failures.push(format!("{stem} (path {k}): hang"));
                    break;
                }
            }
            if runner.stuck {
                break;
            }
        }
        if runner.stuck {
            break;
        }
    }
    let _ = std::panic::take_hook();
    println!("replayed {} crashers", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
