//! Damaged files keep their timing (issue 14): a synthetic signal of short
//! tone bursts at known times, encoded to every container with ffmpeg,
//! damaged (garbage over the middle, or cut at half), and decoded with
//! [`FileSource`]. Every burst that survives must sit where it sits in the
//! intact file's decode: lost packets become silence, not a shift.
//!
//! Needs ffmpeg; skips without it.

use std::path::Path;
use std::process::Command;

use hotwash_engine::source::{AudioSource, FileSource};

const RATE: u32 = 48_000;
const SECONDS: f64 = 12.0;
/// Bursts every half second from 0.25 s.
const PERIOD: f64 = 0.5;

/// Containers and the ffmpeg options that make them.
const CONTAINERS: [(&str, &[&str]); 9] = [
    ("wav", &[]),
    ("flac", &[]),
    ("mp3", &["-c:a", "libmp3lame", "-b:a", "96k"]),
    (
        "m4a",
        &["-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart"],
    ),
    ("mp4", &["-c:a", "aac", "-b:a", "96k"]),
    ("ogg", &["-c:a", "libvorbis"]),
    ("opus", &["-c:a", "libopus", "-b:a", "48k"]),
    ("webm", &["-c:a", "libopus", "-b:a", "48k"]),
    ("mkv", &["-c:a", "libopus", "-b:a", "48k"]),
];

fn have_ffmpeg() -> bool {
    let ok = Command::new("ffmpeg").arg("-version").output().is_ok();
    if !ok {
        println!("skipping: ffmpeg is not installed");
    }
    ok
}

/// 12 s of 48 kHz mono: 8 ms 1 kHz bursts every half second over faint
/// noise, as 16-bit WAV.
fn burst_wav(path: &Path) {
    let n = (SECONDS * f64::from(RATE)) as usize;
    let mut x: u32 = 12_345;
    let samples: Vec<i16> = (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(RATE);
            let k = ((t - 0.25) / PERIOD).round();
            let dt = t - (0.25 + k * PERIOD);
            let burst = if dt.abs() < 0.004 {
                let w = (std::f64::consts::PI * (dt / 0.008 + 0.5)).sin().powi(2);
                w * (2.0 * std::f64::consts::PI * 1000.0 * dt).cos() * 16_000.0
            } else {
                0.0
            };
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = f64::from((x >> 24) as i8) / 8.0;
            (burst + noise) as i16
        })
        .collect();
    let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut b = b"RIFF".to_vec();
    b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&RATE.to_le_bytes());
    b.extend_from_slice(&(RATE * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&data);
    std::fs::write(path, b).unwrap();
}

fn encode(src: &Path, args: &[&str], out: &Path) {
    let o = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i"])
        .arg(src)
        .args(args)
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Decodes a file to mono at its own rate; returns the samples, the rate
/// and the warnings.
fn decode(path: &Path) -> (Vec<f32>, u32, Vec<String>) {
    let mut src = FileSource::open(path).unwrap_or_else(|e| panic!("{e}"));
    let f = src.format();
    let ch = usize::from(f.channels);
    let mut all = Vec::new();
    let mut buf = Vec::new();
    while src.read_block(&mut buf).unwrap() {
        all.extend(
            buf.chunks_exact(ch)
                .map(|c| c.iter().sum::<f32>() / ch as f32),
        );
    }
    (all, f.sample_rate, src.take_warnings())
}

/// Times (seconds) of the bursts in `audio`: the energy centroid of every
/// stretch louder than a tenth of the loudest sample.
fn bursts(audio: &[f32], rate: u32) -> Vec<f64> {
    let peak = audio.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let threshold = peak * 0.1;
    let rate = f64::from(rate);
    let mut out = Vec::new();
    let mut i = 0;
    while i < audio.len() {
        if audio[i].abs() < threshold {
            i += 1;
            continue;
        }
        // A burst: 12 ms either side of its first loud sample.
        let from = i.saturating_sub((0.012 * rate) as usize);
        let to = (i + (0.012 * rate) as usize).min(audio.len());
        let (mut sum, mut weighted) = (0.0f64, 0.0f64);
        for (k, x) in audio[from..to].iter().enumerate() {
            let e = f64::from(*x) * f64::from(*x);
            sum += e;
            weighted += e * (from + k) as f64;
        }
        out.push(weighted / sum / rate);
        i = to + (0.1 * rate) as usize;
    }
    out
}

/// Overwrites 4% of the file from 45% on with deterministic garbage.
fn garble(bytes: &mut [u8]) {
    let start = bytes.len() * 45 / 100;
    let len = bytes.len() / 25;
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in bytes.iter_mut().skip(start).take(len) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
}

/// Checks the bursts of a damaged decode against the intact one's:
/// each within 10 ms of an intact burst, and at least `after` of them
/// later than `from` seconds. Returns the problems found.
fn compare(what: &str, intact: &[f64], damaged: &[f64], from: f64, after: usize) -> Vec<String> {
    let mut problems = Vec::new();
    for &t in damaged {
        let nearest = intact
            .iter()
            .map(|&i| (i - t).abs())
            .fold(f64::INFINITY, f64::min);
        if nearest > 0.010 {
            problems.push(format!(
                "{what}: a burst at {t:.4} s is {:.1} ms off",
                nearest * 1e3
            ));
        }
    }
    let late = damaged.iter().filter(|&&t| t > from).count();
    if late < after {
        problems.push(format!(
            "{what}: {late} bursts after {from} s, expected at least {after}"
        ));
    }
    problems
}

#[test]
fn bursts_after_garbage_keep_their_time() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("bursts.wav");
    burst_wav(&wav);
    let mut problems = Vec::new();
    for (ext, args) in CONTAINERS {
        let good = dir.path().join(format!("good.{ext}"));
        encode(&wav, args, &good);
        let (clean, rate, _) = decode(&good);
        let intact = bursts(&clean, rate);
        assert_eq!(intact.len(), 24, "{ext}: intact bursts {intact:?}");
        let mut bytes = std::fs::read(&good).unwrap();
        garble(&mut bytes);
        let bad = dir.path().join(format!("garbled.{ext}"));
        std::fs::write(&bad, &bytes).unwrap();
        let (audio, rate, warnings) = decode(&bad);
        // Garbage that decodes (PCM, or a packet that happens to parse) is
        // loud noise, not a burst: leave out what lies where the garbled
        // bytes are, by their share of the file.
        let noisy = SECONDS * 0.43..SECONDS * 0.52;
        let damaged: Vec<f64> = bursts(&audio, rate)
            .into_iter()
            .filter(|t| !noisy.contains(t))
            .collect();
        println!("{ext}: {} bursts kept; {warnings:?}", damaged.len());
        // Garbage over 4% of the bytes loses at most a couple of seconds
        // (a page or a cluster); everything after keeps its time.
        problems.extend(compare(ext, &intact, &damaged, 7.5, 8));
        let len = |a: &[f32]| a.len() as f64 / f64::from(rate);
        if (len(&audio) - len(&clean)).abs() > 0.02 {
            problems.push(format!(
                "{ext}: {:.3} s decoded, the intact file has {:.3} s",
                len(&audio),
                len(&clean)
            ));
        }
        if ext != "wav"
            && !warnings
                .iter()
                .any(|w| w.contains("could not be decoded at"))
        {
            problems.push(format!("{ext}: no gap reported: {warnings:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_file_cut_at_half_keeps_its_first_half_on_time() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("bursts.wav");
    burst_wav(&wav);
    let mut problems = Vec::new();
    for (ext, args) in CONTAINERS {
        if ext == "mp4" {
            // moov after mdat: cut at half, the index is gone (an error,
            // tested end to end in tests/damaged_media.rs).
            continue;
        }
        let good = dir.path().join(format!("good.{ext}"));
        encode(&wav, args, &good);
        let (clean, rate, _) = decode(&good);
        let intact = bursts(&clean, rate);
        let bytes = std::fs::read(&good).unwrap();
        let cut = dir.path().join(format!("cut.{ext}"));
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let (audio, rate, warnings) = decode(&cut);
        let damaged = bursts(&audio, rate);
        problems.extend(compare(ext, &intact, &damaged, 4.0, 2));
        if damaged.len() < 9 {
            problems.push(format!(
                "{ext}: only {} bursts before the cut",
                damaged.len()
            ));
        }
        if !warnings
            .iter()
            .any(|w| w.contains("truncated") && w.contains("ends at"))
        {
            problems.push(format!("{ext}: the cut is not reported: {warnings:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
