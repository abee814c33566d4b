//! ggml block quantization, bit-for-bit as ggml's reference quantizers
//! (`quantize_row_q8_0_ref`, `quantize_row_q5_1_ref`), which is what
//! whisper.cpp's `quantize` tool runs on each weight matrix.

use half::f16;

/// Elements per q8_0 / q5_1 block.
pub const BLOCK: usize = 32;

/// Bytes of one q8_0 block: f16 scale + 32 × i8.
pub const Q8_0_BYTES: usize = 34;

/// Bytes of one q5_1 block: f16 scale, f16 minimum, u32 high bits, 16 bytes of nibbles.
pub const Q5_1_BYTES: usize = 24;

/// Appends `x` quantized to q8_0 to `out`. `x.len()` must be a multiple of
/// [`BLOCK`] (a trailing partial block is ignored).
pub fn quantize_q8_0(x: &[f32], out: &mut Vec<u8>) {
    out.reserve(x.len() / BLOCK * Q8_0_BYTES);
    for block in x.chunks_exact(BLOCK) {
        let amax = block.iter().fold(0.0f32, |a, &v| {
            let v = v.abs();
            if a > v {
                a
            } else {
                v
            }
        });
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
        for &v in block {
            // roundf: half away from zero, then the C conversion to int8_t.
            out.push((v * id).round() as i8 as u8);
        }
    }
}

/// Appends `x` quantized to q5_1 to `out`. `x.len()` must be a multiple of
/// [`BLOCK`] (a trailing partial block is ignored).
pub fn quantize_q5_1(x: &[f32], out: &mut Vec<u8>) {
    out.reserve(x.len() / BLOCK * Q5_1_BYTES);
    for block in x.chunks_exact(BLOCK) {
        let mut min = f32::MAX;
        let mut max = -f32::MAX;
        for &v in block {
            if v < min {
                min = v;
            }
            if v > max {
                max = v;
            }
        }
        let d = (max - min) / 31.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
        out.extend_from_slice(&f16::from_f32(min).to_le_bytes());
        let mut qh = 0u32;
        let mut qs = [0u8; BLOCK / 2];
        for j in 0..BLOCK / 2 {
            let x0 = (block[j] - min) * id;
            let x1 = (block[BLOCK / 2 + j] - min) * id;
            // (uint8_t)(x + 0.5f): truncation of a non-negative value.
            let xi0 = (x0 + 0.5) as u8;
            let xi1 = (x1 + 0.5) as u8;
            qs[j] = (xi0 & 0x0F) | ((xi1 & 0x0F) << 4);
            qh |= u32::from((xi0 & 0x10) >> 4) << j;
            qh |= u32::from((xi1 & 0x10) >> 4) << (j + BLOCK / 2);
        }
        out.extend_from_slice(&qh.to_le_bytes());
        out.extend_from_slice(&qs);
    }
}

/// Inverse of [`quantize_q8_0`] (ggml's `dequantize_row_q8_0`).
pub fn dequantize_q8_0(data: &[u8]) -> Vec<f32> {
    let mut out = Vec::with_capacity(data.len() / Q8_0_BYTES * BLOCK);
    for b in data.chunks_exact(Q8_0_BYTES) {
        let d = f16::from_le_bytes([b[0], b[1]]).to_f32();
        out.extend(b[2..].iter().map(|&q| f32::from(q as i8) * d));
    }
    out
}

/// Inverse of [`quantize_q5_1`] (ggml's `dequantize_row_q5_1`).
pub fn dequantize_q5_1(data: &[u8]) -> Vec<f32> {
    let mut out = vec![0.0; data.len() / Q5_1_BYTES * BLOCK];
    for (b, y) in data
        .chunks_exact(Q5_1_BYTES)
        .zip(out.chunks_exact_mut(BLOCK))
    {
        let d = f16::from_le_bytes([b[0], b[1]]).to_f32();
        let m = f16::from_le_bytes([b[2], b[3]]).to_f32();
        let qh = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
        for j in 0..BLOCK / 2 {
            let xh0 = (((qh >> j) << 4) & 0x10) as u8;
            let xh1 = ((qh >> (j + 12)) & 0x10) as u8;
            let x0 = (b[8 + j] & 0x0F) | xh0;
            let x1 = (b[8 + j] >> 4) | xh1;
            y[j] = f32::from(x0) * d + m;
            y[j + BLOCK / 2] = f32::from(x1) * d + m;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp() -> Vec<f32> {
        (0..64)
            .map(|i| ((i * 37) % 64) as f32 / 10.0 - 3.0)
            .collect()
    }

    #[test]
    fn q8_0_layout_and_round_trip() {
        let x = ramp();
        let mut q = Vec::new();
        quantize_q8_0(&x, &mut q);
        assert_eq!(q.len(), 2 * Q8_0_BYTES);
        let y = dequantize_q8_0(&q);
        for (a, b) in x.iter().zip(&y) {
            assert!((a - b).abs() <= 3.2 / 127.0, "{a} vs {b}");
        }
        // The extreme element maps to ±127 exactly.
        let amax_pos = x[..32]
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map(|(i, _)| i)
            .unwrap();
        assert_eq!((q[2 + amax_pos] as i8).unsigned_abs(), 127);
    }

    #[test]
    fn q5_1_layout_and_round_trip() {
        let x = ramp();
        let mut q = Vec::new();
        quantize_q5_1(&x, &mut q);
        assert_eq!(q.len(), 2 * Q5_1_BYTES);
        let y = dequantize_q5_1(&q);
        for (a, b) in x.iter().zip(&y) {
            assert!((a - b).abs() <= 6.4 / 31.0 / 2.0 + 1e-3, "{a} vs {b}");
        }
        // min maps to 0 and max to 31 (all five bits set).
        let block = &q[..Q5_1_BYTES];
        assert_eq!(f16::from_le_bytes([block[2], block[3]]).to_f32(), -3.0);
    }

    #[test]
    fn constant_blocks_quantize_to_zero_scale() {
        let x = [0.25f32; 32];
        let mut q = Vec::new();
        quantize_q5_1(&x, &mut q);
        assert_eq!(&q[..2], &[0, 0]);
        assert_eq!(dequantize_q5_1(&q), x.to_vec());
        let mut q8 = Vec::new();
        quantize_q8_0(&[0.0; 32], &mut q8);
        assert!(q8.iter().all(|&b| b == 0));
    }
}
