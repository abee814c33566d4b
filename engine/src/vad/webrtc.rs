//! [`WebRtcVad`]: libfvad (the WebRTC voice activity detector).

use super::{VadError, VoiceDetector};

/// 30 ms at 16 kHz: the longest frame libfvad takes, and its most reliable.
const FRAME_LEN: usize = 480;

/// The WebRTC detector on 30 ms frames. Not `Send`: build it (through
/// [`super::VadConfig::build`]) in the thread that uses it.
pub struct WebRtcVad {
    vad: webrtc_vad::Vad,
    /// Reused i16 copy of the frame libfvad reads.
    pcm: Vec<i16>,
}

impl std::fmt::Debug for WebRtcVad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebRtcVad").finish_non_exhaustive()
    }
}

impl WebRtcVad {
    /// A detector with `aggressiveness` 0 (reports the most speech) to 3
    /// (the most restrictive).
    pub fn new(aggressiveness: u8) -> Result<Self, VadError> {
        use webrtc_vad::VadMode;
        let mode = match aggressiveness {
            0 => VadMode::Quality,
            1 => VadMode::LowBitrate,
            2 => VadMode::Aggressive,
            3 => VadMode::VeryAggressive,
            n => return Err(VadError::Aggressiveness(n)),
        };
        Ok(WebRtcVad {
            vad: webrtc_vad::Vad::new_with_rate_and_mode(webrtc_vad::SampleRate::Rate16kHz, mode),
            pcm: vec![0; FRAME_LEN],
        })
    }
}

impl VoiceDetector for WebRtcVad {
    fn frame_len(&self) -> usize {
        FRAME_LEN
    }

    fn is_speech(&mut self, frame: &[f32]) -> Result<bool, VadError> {
        if frame.len() != FRAME_LEN {
            return Err(VadError::FrameLength {
                expected: FRAME_LEN,
                got: frame.len(),
            });
        }
        for (d, &s) in self.pcm.iter_mut().zip(frame) {
            // `as` saturates; NaN becomes 0.
            *d = (s * 32767.0) as i16;
        }
        self.vad
            .is_voice_segment(&self.pcm)
            .map_err(|()| VadError::Detect("libfvad rejected the frame".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_not_speech_and_bad_frames_are_errors() {
        let mut vad = WebRtcVad::new(2).unwrap();
        assert!(!vad.is_speech(&[0.0; FRAME_LEN]).unwrap());
        assert!(matches!(
            vad.is_speech(&[0.0; 100]),
            Err(VadError::FrameLength { .. })
        ));
        assert!(matches!(
            vad.is_speech(&[]),
            Err(VadError::FrameLength { .. })
        ));
        // Out-of-range and NaN samples do not panic.
        assert!(vad.is_speech(&[f32::NAN; FRAME_LEN]).is_ok());
        assert!(vad.is_speech(&[7.0; FRAME_LEN]).is_ok());
        assert!(matches!(
            WebRtcVad::new(4),
            Err(VadError::Aggressiveness(4))
        ));
    }
}
