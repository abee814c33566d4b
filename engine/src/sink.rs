//! Where utterances go: a push-model [`Sink`], in the spirit of ripgrep's
//! `grep_searcher::Sink`.

use crate::utterance::{Partial, RecordingInfo, Summary, Utterance};

/// Receives utterances in start-time order.
///
/// `begin` is called once before the first utterance, `utterance` once per
/// utterance (return `Ok(false)` to stop the pipeline cleanly), and `finish`
/// once at the end, also after an early stop.
pub trait Sink {
    /// The error a sink can fail with; it stops the pipeline.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Called once before any utterance.
    fn begin(&mut self, _info: &RecordingInfo) -> Result<(), Self::Error> {
        Ok(())
    }

    /// Called for each utterance, in order; `Ok(false)` stops the run.
    fn utterance(&mut self, utterance: &Utterance) -> Result<bool, Self::Error>;

    /// Called with provisional text for speech still in progress, when the
    /// pipeline was built with partials on (live capture). The next final
    /// utterance of the same track supersedes it. Ignored by default;
    /// `Ok(false)` stops the run like [`Sink::utterance`].
    fn partial(&mut self, _partial: &Partial) -> Result<bool, Self::Error> {
        Ok(true)
    }

    /// Called once at the end with the run's totals.
    fn finish(&mut self, _summary: &Summary) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Passes final utterances on and drops provisional text (for a transcript
/// file that other tools read, which keeps final text only).
#[derive(Debug)]
pub struct FinalOnly<S>(pub S);

impl<S: Sink> Sink for FinalOnly<S> {
    type Error = S::Error;
    fn begin(&mut self, info: &RecordingInfo) -> Result<(), Self::Error> {
        self.0.begin(info)
    }
    fn utterance(&mut self, u: &Utterance) -> Result<bool, Self::Error> {
        self.0.utterance(u)
    }
    fn finish(&mut self, s: &Summary) -> Result<(), Self::Error> {
        self.0.finish(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::VecSink;

    #[test]
    fn final_only_drops_partials() {
        let partial = Partial {
            track: "mic".into(),
            speaker: None,
            start: 0.0,
            end: 1.0,
            text: "hel".into(),
        };
        let mut sink = FinalOnly(VecSink::default());
        assert!(sink.partial(&partial).unwrap());
        assert!(sink.0.partials.is_empty());
        let mut plain = VecSink::default();
        plain.partial(&partial).unwrap();
        assert_eq!(plain.partials.len(), 1);
    }
}
