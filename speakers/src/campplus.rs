//! CAM++ speaker embeddings (3D-Speaker's `campplus_cn_en_common`, 192
//! dims), written in candle from the model's definition: a 2-D
//! convolutional front (FCM) over the fbank, a TDNN, three densely
//! connected blocks of context-aware masking layers with transitions,
//! statistics pooling and a dense layer with batch norm.

use std::path::Path;

use candle_core::{Device, Tensor, D};

use crate::fbank::{Fbank, MEL_BINS};
use crate::weights::{conv2d_3x3, every_second_row, mean_last, Norm, Weights};
use crate::SpeakerError;

/// Embedding dimensions.
pub const EMBEDDING_DIMS: usize = 192;
/// Channels of the FCM front.
const M: usize = 32;
const GROWTH: usize = 32;
const BN_CHANNELS: usize = 4 * GROWTH;
const INIT_CHANNELS: usize = 128;
/// (layers, kernel, dilation) of the three dense blocks.
const BLOCKS: [(usize, usize, usize); 3] = [(12, 3, 1), (24, 3, 2), (16, 3, 2)];
/// Frames per segment of the CAM layers' segment pooling.
const SEG_LEN: usize = 100;

type R<T> = candle_core::Result<T>;

struct ResBlock {
    conv1: Tensor,
    bn1: Norm,
    conv2: Tensor,
    bn2: Norm,
    /// A 1×1 convolution and norm when the block strides.
    shortcut: Option<(Tensor, Norm)>,
    stride2: bool,
}

impl ResBlock {
    fn load(w: &Weights, p: &str, stride2: bool) -> Result<Self, SpeakerError> {
        Ok(Self {
            conv1: w.get(&format!("{p}.conv1.weight"), &[M, M, 3, 3])?,
            bn1: w.batch_norm(&format!("{p}.bn1"), M, true)?,
            conv2: w.get(&format!("{p}.conv2.weight"), &[M, M, 3, 3])?,
            bn2: w.batch_norm(&format!("{p}.bn2"), M, true)?,
            shortcut: if stride2 {
                Some((
                    w.get(&format!("{p}.shortcut.0.weight"), &[M, M, 1, 1])?,
                    w.batch_norm(&format!("{p}.shortcut.1"), M, true)?,
                ))
            } else {
                None
            },
            stride2,
        })
    }

    fn forward(&self, x: &Tensor) -> R<Tensor> {
        let out = conv2d_3x3(x, &self.conv1, if self.stride2 { 2 } else { 1 })?;
        let out = self.bn1.forward(&out)?.relu()?;
        let out = self.bn2.forward(&conv2d_3x3(&out, &self.conv2, 1)?)?;
        let short = match &self.shortcut {
            Some((conv, bn)) => bn.forward(&every_second_row(x)?.conv2d(conv, 0, 1, 1, 1)?)?,
            None => x.clone(),
        };
        (out + short)?.relu()
    }
}

struct DenseTdnnLayer {
    bn1: Norm,
    linear1: Tensor,
    bn2: Norm,
    local: Tensor,
    cam1: (Tensor, Tensor),
    cam2: (Tensor, Tensor),
    dilation: usize,
}

impl DenseTdnnLayer {
    fn load(w: &Weights, p: &str, inputs: usize, k: usize, d: usize) -> Result<Self, SpeakerError> {
        let c = format!("{p}.cam_layer");
        let half = BN_CHANNELS / 2;
        Ok(Self {
            bn1: w.batch_norm(&format!("{p}.nonlinear1.batchnorm"), inputs, true)?,
            linear1: w.get(&format!("{p}.linear1.weight"), &[BN_CHANNELS, inputs, 1])?,
            bn2: w.batch_norm(&format!("{p}.nonlinear2.batchnorm"), BN_CHANNELS, true)?,
            local: w.get(
                &format!("{c}.linear_local.weight"),
                &[GROWTH, BN_CHANNELS, k],
            )?,
            cam1: (
                w.get(&format!("{c}.linear1.weight"), &[half, BN_CHANNELS, 1])?,
                w.get(&format!("{c}.linear1.bias"), &[half])?,
            ),
            cam2: (
                w.get(&format!("{c}.linear2.weight"), &[GROWTH, half, 1])?,
                w.get(&format!("{c}.linear2.bias"), &[GROWTH])?,
            ),
            dilation: d,
        })
    }

    fn forward(&self, x: &Tensor) -> R<Tensor> {
        let x = pointwise(&self.bn1.forward(x)?.relu()?, &self.linear1)?;
        let x = self.bn2.forward(&x)?.relu()?;
        let k = self.local.dim(2)?;
        let pad = (k - 1) / 2 * self.dilation;
        let y = x.conv1d(&self.local, pad, 1, self.dilation, 1)?;
        let context = mean_last(&x)?.broadcast_add(&seg_pooling(&x)?)?;
        let h = conv1x1(&context, &self.cam1)?.relu()?;
        let m = candle_nn::ops::sigmoid(&conv1x1(&h, &self.cam2)?)?;
        y * m
    }
}

/// A 1×1 convolution with bias.
fn conv1x1(x: &Tensor, (w, b): &(Tensor, Tensor)) -> R<Tensor> {
    pointwise(x, w)?.broadcast_add(&b.reshape((1, b.dim(0)?, 1))?)
}

/// A 1×1 convolution of `x` (`1 × C × T`) by `w` (`O × C × 1`), as a
/// matrix product (candle's conv1d unfolds the input first).
fn pointwise(x: &Tensor, w: &Tensor) -> R<Tensor> {
    let (o, c, _) = w.dims3()?;
    w.reshape((o, c))?.matmul(&x.squeeze(0)?)?.unsqueeze(0)
}

/// Each frame's segment mean (segments of [`SEG_LEN`] frames, the last one
/// partial), as the CAM layer's segment-level context.
fn seg_pooling(x: &Tensor) -> R<Tensor> {
    let t = x.dim(D::Minus1)?;
    let mut parts = Vec::new();
    let mut start = 0;
    while start < t {
        let len = SEG_LEN.min(t - start);
        let seg = x.narrow(D::Minus1, start, len)?.mean_keepdim(D::Minus1)?;
        let (b, c, _) = seg.dims3()?;
        parts.push(seg.broadcast_as((b, c, len))?);
        start += len;
    }
    Tensor::cat(&parts, D::Minus1)
}

struct Transit {
    bn: Norm,
    linear: Tensor,
}

/// The CAM++ network with its weights.
pub struct CamPlus {
    conv1: Tensor,
    bn1: Norm,
    layers: Vec<ResBlock>,
    conv2: Tensor,
    bn2: Norm,
    tdnn: Tensor,
    tdnn_bn: Norm,
    blocks: Vec<(Vec<DenseTdnnLayer>, Transit)>,
    out_bn: Norm,
    dense: Tensor,
    dense_bn: Norm,
}

impl CamPlus {
    /// Loads the state dict at `path`.
    pub fn load(path: &Path) -> Result<Self, SpeakerError> {
        let w = Weights::open(path, None)?;
        let layers = [
            ("head.layer1.0", true),
            ("head.layer1.1", false),
            ("head.layer2.0", true),
            ("head.layer2.1", false),
        ]
        .iter()
        .map(|&(p, s)| ResBlock::load(&w, p, s))
        .collect::<Result<_, _>>()?;
        let front = M * (MEL_BINS / 8);
        let mut channels = INIT_CHANNELS;
        let mut blocks = Vec::new();
        for (i, &(n, k, d)) in BLOCKS.iter().enumerate() {
            let layers = (0..n)
                .map(|j| {
                    let p = format!("xvector.block{}.tdnnd{}", i + 1, j + 1);
                    DenseTdnnLayer::load(&w, &p, channels + j * GROWTH, k, d)
                })
                .collect::<Result<Vec<_>, _>>()?;
            channels += n * GROWTH;
            let p = format!("xvector.transit{}", i + 1);
            let transit = Transit {
                bn: w.batch_norm(&format!("{p}.nonlinear.batchnorm"), channels, true)?,
                linear: w.get(&format!("{p}.linear.weight"), &[channels / 2, channels, 1])?,
            };
            channels /= 2;
            blocks.push((layers, transit));
        }
        Ok(Self {
            conv1: w.get("head.conv1.weight", &[M, 1, 3, 3])?,
            bn1: w.batch_norm("head.bn1", M, true)?,
            layers,
            conv2: w.get("head.conv2.weight", &[M, M, 3, 3])?,
            bn2: w.batch_norm("head.bn2", M, true)?,
            tdnn: w.get("xvector.tdnn.linear.weight", &[INIT_CHANNELS, front, 5])?,
            tdnn_bn: w.batch_norm("xvector.tdnn.nonlinear.batchnorm", INIT_CHANNELS, true)?,
            blocks,
            out_bn: w.batch_norm("xvector.out_nonlinear.batchnorm", channels, true)?,
            dense: w.get(
                "xvector.dense.linear.weight",
                &[EMBEDDING_DIMS, channels * 2, 1],
            )?,
            dense_bn: w.batch_norm("xvector.dense.nonlinear.batchnorm", EMBEDDING_DIMS, false)?,
        })
    }

    /// The embedding of one clip's features (`frames × 80`, frame-major,
    /// mean-normalised).
    pub fn forward(&self, feats: &[f32], frames: usize) -> R<Vec<f32>> {
        let x = Tensor::from_slice(feats, (1, frames, MEL_BINS), &Device::Cpu)?
            .permute((0, 2, 1))?
            .contiguous()?
            .unsqueeze(1)?;
        let mut x = self.bn1.forward(&conv2d_3x3(&x, &self.conv1, 1)?)?.relu()?;
        for l in &self.layers {
            x = l.forward(&x)?;
        }
        let x = conv2d_3x3(&x, &self.conv2, 2)?;
        let x = self.bn2.forward(&x)?.relu()?;
        let (b, c, h, t) = x.dims4()?;
        let x = x.reshape((b, c * h, t))?;
        let mut x = self
            .tdnn_bn
            .forward(&x.conv1d(&self.tdnn, 2, 2, 1, 1)?)?
            .relu()?;
        for (layers, transit) in &self.blocks {
            for l in layers {
                let y = l.forward(&x)?;
                x = Tensor::cat(&[&x, &y], 1)?;
            }
            x = pointwise(&transit.bn.forward(&x)?.relu()?, &transit.linear)?;
        }
        let x = self.out_bn.forward(&x)?.relu()?;
        let mean = x.mean(D::Minus1)?;
        let n = x.dim(D::Minus1)?;
        let std = if n > 1 {
            x.broadcast_sub(&mean.unsqueeze(D::Minus1)?)?
                .sqr()?
                .sum(D::Minus1)?
                .affine(1.0 / (n as f64 - 1.0), 0.0)?
                .sqrt()?
        } else {
            (mean.zeros_like()? + 1e-2)?
        };
        let stats = Tensor::cat(&[&mean, &std], D::Minus1)?.unsqueeze(D::Minus1)?;
        let e = self.dense_bn.forward(&pointwise(&stats, &self.dense)?)?;
        e.flatten_all()?.to_vec1()
    }
}

/// Speaker embeddings of audio clips: fbank then CAM++.
pub struct SpeakerEmbedder {
    fbank: Fbank,
    net: CamPlus,
}

impl std::fmt::Debug for SpeakerEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeakerEmbedder").finish_non_exhaustive()
    }
}

impl SpeakerEmbedder {
    /// Loads CAM++ from `path` (`campplus_cn_en_common.pt`).
    pub fn load(path: &Path) -> Result<Self, SpeakerError> {
        Ok(Self {
            fbank: Fbank::new(),
            net: CamPlus::load(path)?,
        })
    }

    /// One 192-dim embedding per clip of 16 kHz mono audio (not
    /// normalised; compare with cosine).
    pub fn embed(&self, clips: &[&[f32]]) -> Result<Vec<Vec<f32>>, SpeakerError> {
        clips
            .iter()
            .map(|clip| {
                let (feats, frames) = self.fbank.features(clip);
                self.net
                    .forward(&feats, frames)
                    .map_err(|e| SpeakerError::Run(format!("CAM++: {e}")))
            })
            .collect()
    }
}
