//! Slaney-style mel filterbank, computed exactly as `librosa.filters.mel`
//! does by default (f64 arithmetic, f32 weights), which is what Whisper's
//! own `mel_filters.npz` holds.

/// Sample rate Whisper's front end uses.
pub const SAMPLE_RATE: f64 = 16_000.0;
/// FFT size Whisper's front end uses.
pub const N_FFT: usize = 400;

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;

fn min_log_mel() -> f64 {
    MIN_LOG_HZ / F_SP
}

fn logstep() -> f64 {
    6.4f64.ln() / 27.0
}

fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ {
        min_log_mel() + (hz / MIN_LOG_HZ).ln() / logstep()
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    if mel >= min_log_mel() {
        MIN_LOG_HZ * (logstep() * (mel - min_log_mel())).exp()
    } else {
        F_SP * mel
    }
}

/// The `n_mels × (1 + n_fft/2)` filterbank, row-major, for sample rate `sr`
/// (librosa defaults: fmin 0, fmax sr/2, Slaney scale and normalisation).
/// Negative zeros are written as +0.0.
pub fn slaney_filters(sr: f64, n_fft: usize, n_mels: usize) -> Vec<f32> {
    let n_bins = 1 + n_fft / 2;
    // numpy.fft.rfftfreq(n_fft, 1/sr)
    let val = 1.0 / (n_fft as f64 * (1.0 / sr));
    let fft_freqs: Vec<f64> = (0..n_bins).map(|j| j as f64 * val).collect();
    // numpy.linspace(min_mel, max_mel, n_mels + 2), then back to Hz
    let (min_mel, max_mel) = (hz_to_mel(0.0), hz_to_mel(sr / 2.0));
    let n_points = n_mels + 2;
    let step = (max_mel - min_mel) / (n_points - 1) as f64;
    let mel_f: Vec<f64> = (0..n_points)
        .map(|i| {
            let m = if i + 1 == n_points {
                max_mel
            } else {
                i as f64 * step + min_mel
            };
            mel_to_hz(m)
        })
        .collect();
    let mut weights = Vec::with_capacity(n_mels * n_bins);
    for i in 0..n_mels {
        let (fd_lo, fd_hi) = (mel_f[i + 1] - mel_f[i], mel_f[i + 2] - mel_f[i + 1]);
        let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
        for &f in &fft_freqs {
            let lower = -(mel_f[i] - f) / fd_lo;
            let upper = (mel_f[i + 2] - f) / fd_hi;
            let w = 0f64.max(lower.min(upper)) as f32;
            let w = (f64::from(w) * enorm) as f32;
            weights.push(if w == 0.0 { 0.0 } else { w });
        }
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn matches_whispers_mel_filters_npz() {
        let w = slaney_filters(SAMPLE_RATE, N_FFT, 80);
        assert_eq!(w.len(), 80 * 201);
        // Peaks and support as in Whisper's mel_80 table.
        assert_eq!(w[1], 0.024_862_595);
        assert_eq!(w[2], 0.0);
        let bytes: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
        let digest = format!("{:x}", Sha256::digest(&bytes));
        // sha256 of mel_80 from openai-whisper's assets/mel_filters.npz with
        // its single -0.0 (at [0][0]) written as +0.0.
        assert_eq!(digest, MEL_80_SHA256);
    }

    const MEL_80_SHA256: &str = "85818f156f7e189453901a515e4726d270d307f976e161cf9403e8caab405498";
}
