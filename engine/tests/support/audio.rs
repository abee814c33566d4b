//! Helpers shared by the live-capture tests of the engine
//! (`engine/tests/capture.rs`) and of the binaries (`tests/live.rs`): a
//! private PulseAudio server, decoding, and correlating a capture with its
//! source. Each includer defines `VIRTUAL_AUDIO_SCRIPT`, the path of
//! `scripts/virtual-audio.sh` from its own manifest directory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use hotwash_engine::source::{AudioSource, FileSource};

use super::VIRTUAL_AUDIO_SCRIPT as SCRIPT;

/// A private PulseAudio server; stopped on drop.
pub struct VirtualAudio {
    dir: tempfile::TempDir,
}

impl VirtualAudio {
    pub fn start() -> Option<VirtualAudio> {
        for tool in ["pulseaudio", "pactl", "paplay"] {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !found {
                println!("skipping: {tool} is not installed (apt-get install pulseaudio pulseaudio-utils)");
                return None;
            }
        }
        let dir = tempfile::Builder::new().prefix("hw-va-").tempdir().unwrap();
        let va = VirtualAudio { dir };
        va.script("start");
        Some(va)
    }

    pub fn script(&self, cmd: &str) {
        let out = Command::new("bash")
            .arg(SCRIPT)
            .arg(cmd)
            .arg(self.dir.path().join("pa"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "virtual-audio.sh {cmd} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn env(&self) -> Vec<(String, String)> {
        let pa = self.dir.path().join("pa");
        vec![
            (
                "XDG_RUNTIME_DIR".into(),
                pa.join("run").display().to_string(),
            ),
            (
                "PULSE_SERVER".into(),
                format!("unix:{}", pa.join("run/native").display()),
            ),
        ]
    }

    pub fn play(&self, wav: &Path, sink: &str) -> Child {
        Command::new("paplay")
            .arg(format!("--device={sink}"))
            .arg(wav)
            .envs(self.env())
            .spawn()
            .unwrap()
    }

    /// Kills the server the hard way (the audio system "crashes").
    pub fn kill_server(&self) {
        let pid = std::fs::read_to_string(self.dir.path().join("pa/pid")).unwrap();
        let status = Command::new("kill")
            .args(["-9", pid.trim()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for VirtualAudio {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(SCRIPT)
            .arg("stop")
            .arg(self.dir.path().join("pa"))
            .output();
    }
}

/// Decodes a whole file with the engine's symphonia-based reader (what
/// `transcribe` does later) into mono samples at its native rate.
pub fn decode_mono(path: &Path) -> (Vec<f32>, u32) {
    let mut src = FileSource::open(path).unwrap();
    let fmt = src.format();
    let ch = usize::from(fmt.channels);
    let mut buf = Vec::new();
    let mut mono = Vec::new();
    while src.read_block(&mut buf).unwrap() {
        mono.extend(
            buf.chunks_exact(ch)
                .map(|f| f.iter().sum::<f32>() / ch as f32),
        );
    }
    (mono, fmt.sample_rate)
}

/// Linear-interpolation resampling (good enough for a correlation check).
pub fn resample(x: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to {
        return x.to_vec();
    }
    let n = (x.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 * f64::from(from) / f64::from(to);
            let j = t.floor() as usize;
            let f = (t - j as f64) as f32;
            let a = x.get(j).copied().unwrap_or(0.0);
            let b = x.get(j + 1).copied().unwrap_or(a);
            a + (b - a) * f
        })
        .collect()
}

/// Normalised cross-correlation over the overlap when `cap[i]` is compared
/// with `src[i - lag]` (a negative lag: the capture began after the source).
pub fn ncc_at(src: &[f32], cap: &[f32], lag: isize) -> f64 {
    let first = lag.max(0) as usize;
    let last = (src.len() as isize + lag).clamp(0, cap.len() as isize) as usize;
    let (mut sx, mut sy, mut sxy) = (0.0f64, 0.0f64, 0.0f64);
    for i in first..last {
        let (x, y) = (
            f64::from(src[(i as isize - lag) as usize]),
            f64::from(cap[i]),
        );
        sx += x * x;
        sy += y * y;
        sxy += x * y;
    }
    if sx == 0.0 || sy == 0.0 {
        0.0
    } else {
        sxy / (sx * sy).sqrt()
    }
}

/// RMS of each `hop` samples.
fn envelope(x: &[f32], hop: usize) -> Vec<f32> {
    x.chunks(hop)
        .map(|c| (c.iter().map(|v| v * v).sum::<f32>() / c.len() as f32).sqrt())
        .collect()
}

/// The better of two (correlation, lag) candidates.
fn better(a: (f64, isize), b: (f64, isize)) -> (f64, isize) {
    if b.0 > a.0 {
        b
    } else {
        a
    }
}

/// Best normalised cross-correlation of `src` against `cap` (same rate)
/// over every lag leaving a second of overlap: coarse on 10 ms energy
/// envelopes, then exact around the best coarse lag.
pub fn best_correlation(src: &[f32], cap: &[f32], rate: u32) -> (f64, isize) {
    let hop = (rate / 100) as usize;
    let (es, ec) = (envelope(src, hop), envelope(cap, hop));
    let coarse = (-(es.len() as isize) + 100..=ec.len() as isize - 100)
        .map(|l| (ncc_at(&es, &ec, l), l))
        .fold((f64::MIN, 0), better)
        .1;
    let centre = coarse * hop as isize;
    let span = 2 * hop as isize;
    ((centre - span)..=(centre + span))
        .map(|l| (ncc_at(src, cap, l), l))
        .fold((f64::MIN, 0), better)
}

/// One piece of the source found in the capture: its correlation there and
/// the lag it sits at.
#[allow(dead_code)]
pub struct PieceMatch {
    /// Seconds into the source where the piece starts.
    pub at: f64,
    /// Normalised cross-correlation of the piece at its best lag.
    pub ncc: f64,
    /// Samples of `cap` ahead of `src` (see [`ncc_at`]).
    pub lag: isize,
}

/// Follows the source through the capture piece by piece (`piece_s` long,
/// pieces without voice skipped): each piece is searched from the lag the
/// one before it sat at up to `slack_s` later, so an audio server that
/// stalled the player (silence inserted, the rest shifted later) is
/// followed, while audio missing from the capture still shows as a piece
/// that matches nowhere.
#[allow(dead_code)]
pub fn piecewise_correlation(
    src: &[f32],
    cap: &[f32],
    rate: u32,
    piece_s: f64,
    slack_s: f64,
) -> Vec<PieceMatch> {
    let (_, start) = best_correlation(src, cap, rate);
    let piece = (piece_s * f64::from(rate)) as usize;
    let slack = (slack_s * f64::from(rate)) as isize;
    let hop = (rate / 100) as isize;
    let loudest = src.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let env_cap = envelope(cap, hop as usize);
    let mut lag = start;
    let mut out = Vec::new();
    for (k, chunk) in src.chunks(piece).enumerate() {
        if chunk.len() < piece / 2 || envelope(chunk, chunk.len())[0] < loudest * 0.02 {
            continue;
        }
        let offset = (k * piece) as isize;
        let at = |l: isize| -> f64 {
            // The piece alone, placed at `offset + l` in the capture.
            let begin = offset + l;
            if begin < 0 || begin as usize + chunk.len() > cap.len() {
                return 0.0;
            }
            ncc_at(chunk, &cap[begin as usize..begin as usize + chunk.len()], 0)
        };
        // Coarse on 10 ms energy envelopes, then exact around the best.
        let env_piece = envelope(chunk, hop as usize);
        let coarse = ((lag - 2 * hop) / hop..=(lag + slack) / hop)
            .map(|l| {
                let begin = offset / hop + l;
                let end = begin + env_piece.len() as isize;
                if begin < 0 || end as usize > env_cap.len() {
                    return (0.0, l * hop);
                }
                let window = &env_cap[begin as usize..end as usize];
                (ncc_at(&env_piece, window, 0), l * hop)
            })
            .fold((f64::MIN, lag), better)
            .1;
        let (ncc, best) = ((coarse - 2 * hop)..=(coarse + 2 * hop))
            .map(|l| (at(l), l))
            .fold((f64::MIN, coarse), better);
        out.push(PieceMatch {
            at: offset as f64 / f64::from(rate),
            ncc,
            lag: best,
        });
        lag = best;
    }
    out
}
