//! Reading a PyTorch checkpoint's tensors, with errors that name the file.

use std::path::{Path, PathBuf};

use candle_core::pickle::PthTensors;
use candle_core::{DType, Tensor, D};

use crate::SpeakerError;

/// The tensors of one `.pt` file (a state dict, or one under `key`).
pub(crate) struct Weights {
    tensors: PthTensors,
    path: PathBuf,
}

impl Weights {
    /// Opens `path`; `key` picks a nested state dict.
    pub(crate) fn open(path: &Path, key: Option<&str>) -> Result<Self, SpeakerError> {
        if !path.is_file() {
            return Err(SpeakerError::Missing {
                path: path.to_path_buf(),
            });
        }
        let tensors = PthTensors::new(path, key).map_err(|e| SpeakerError::Invalid {
            path: path.to_path_buf(),
            reason: format!("not a PyTorch checkpoint ({e})"),
        })?;
        if tensors.tensor_infos().is_empty() {
            return Err(SpeakerError::Invalid {
                path: path.to_path_buf(),
                reason: "holds no weights".into(),
            });
        }
        Ok(Self {
            tensors,
            path: path.to_path_buf(),
        })
    }

    /// The tensor `name` as f32, with the shape `dims`.
    pub(crate) fn get(&self, name: &str, dims: &[usize]) -> Result<Tensor, SpeakerError> {
        let invalid = |reason: String| SpeakerError::Invalid {
            path: self.path.clone(),
            reason,
        };
        let t = self
            .tensors
            .get(name)
            .map_err(|e| invalid(format!("cannot read `{name}` ({e})")))?
            .ok_or_else(|| invalid(format!("no tensor `{name}`: not the expected model")))?;
        if t.dims() != dims {
            return Err(invalid(format!(
                "`{name}` has shape {:?}, expected {dims:?}: not the expected model",
                t.dims()
            )));
        }
        t.to_dtype(DType::F32)
            .map_err(|e| invalid(format!("`{name}`: {e}")))
    }

    /// An eval-mode batch norm over `channels` (`prefix.weight`, `.bias`,
    /// `.running_mean`, `.running_var`; without the affine pair when
    /// `affine` is false), folded into a per-channel scale and shift.
    pub(crate) fn batch_norm(
        &self,
        prefix: &str,
        channels: usize,
        affine: bool,
    ) -> Result<Norm, SpeakerError> {
        let run = |e: candle_core::Error| SpeakerError::Run(format!("{prefix}: {e}"));
        let mean = self.get(&format!("{prefix}.running_mean"), &[channels])?;
        let var = self.get(&format!("{prefix}.running_var"), &[channels])?;
        let inv = (var + 1e-5)
            .and_then(|v| v.sqrt())
            .and_then(|s| s.recip())
            .map_err(run)?;
        let (scale, shift) = if affine {
            let w = self.get(&format!("{prefix}.weight"), &[channels])?;
            let b = self.get(&format!("{prefix}.bias"), &[channels])?;
            let scale = (inv * w).map_err(run)?;
            let shift = (b - (&mean * &scale).map_err(run)?).map_err(run)?;
            (scale, shift)
        } else {
            let shift = (&mean * &inv).map_err(run)?.neg().map_err(run)?;
            (inv, shift)
        };
        Ok(Norm { scale, shift })
    }
}

/// A folded batch norm: `x * scale + shift` per channel (dimension 1).
pub(crate) struct Norm {
    scale: Tensor,
    shift: Tensor,
}

impl Norm {
    /// Applies it to `x` of shape `(batch, channels, …)`.
    pub(crate) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut shape = vec![1usize; x.rank()];
        shape[1] = self.scale.dim(0)?;
        let scale = self.scale.reshape(shape.clone())?;
        let shift = self.shift.reshape(shape)?;
        x.broadcast_mul(&scale)?.broadcast_add(&shift)
    }
}

/// Every second row along dimension 2: a stride-2 convolution from a
/// stride-1 one (candle's conv2d strides both axes alike).
pub(crate) fn every_second_row(x: &Tensor) -> candle_core::Result<Tensor> {
    let h = x.dim(2)?;
    let idx: Vec<u32> = (0..h as u32).step_by(2).collect();
    let idx = Tensor::new(idx.as_slice(), x.device())?;
    x.index_select(&idx, 2)
}

/// Mean over the last dimension, kept.
pub(crate) fn mean_last(x: &Tensor) -> candle_core::Result<Tensor> {
    x.mean_keepdim(D::Minus1)
}

/// A 3×3 convolution with padding 1, stride `stride_h` along dimension 2
/// and 1 along dimension 3, of `x` (`1 × C × H × W`) by `kernel`
/// (`O × C × 3 × 3`), as one matrix product over the unfolded input
/// (candle's CPU conv2d is a direct loop, several times slower).
pub(crate) fn conv2d_3x3(
    x: &Tensor,
    kernel: &Tensor,
    stride_h: usize,
) -> candle_core::Result<Tensor> {
    let (b, c, h, w) = x.dims4()?;
    if b != 1 {
        candle_core::bail!("conv2d_3x3 takes one item, got a batch of {b}");
    }
    let o = kernel.dim(0)?;
    let ho = (h + 2 - 3) / stride_h + 1;
    let src: Vec<f32> = x.flatten_all()?.to_vec1()?;
    let mut cols = vec![0f32; c * 9 * ho * w];
    for ci in 0..c {
        let plane = &src[ci * h * w..(ci + 1) * h * w];
        for ky in 0..3 {
            for kx in 0..3 {
                let row = &mut cols[((ci * 9) + ky * 3 + kx) * ho * w..][..ho * w];
                for oy in 0..ho {
                    let iy = (oy * stride_h + ky) as isize - 1;
                    if iy < 0 || iy >= h as isize {
                        continue;
                    }
                    let src_row = &plane[iy as usize * w..(iy as usize + 1) * w];
                    let dst = &mut row[oy * w..(oy + 1) * w];
                    // dst[ox] = src_row[ox + kx - 1]
                    match kx {
                        0 => dst[1..].copy_from_slice(&src_row[..w - 1]),
                        1 => dst.copy_from_slice(src_row),
                        _ => dst[..w - 1].copy_from_slice(&src_row[1..]),
                    }
                }
            }
        }
    }
    let cols = Tensor::from_vec(cols, (c * 9, ho * w), x.device())?;
    kernel
        .reshape((o, c * 9))?
        .matmul(&cols)?
        .reshape((1, o, ho, w))
}
