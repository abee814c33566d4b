//! Who speaks on a single mixed recording: the `--speakers` options shared
//! by every command that transcribes, and the diarizer they describe.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use hotwash_speakers::{ClusterConfig, DiarizeConfig, SpeakerDiarizer, SpeakerModels};

/// `--speakers auto|off|N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeakerCount {
    /// Find how many speak.
    Auto,
    /// No diarization.
    Off,
    /// Exactly this many speak.
    Exactly(usize),
}

impl FromStr for SpeakerCount {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "off" | "none" | "0" => Ok(Self::Off),
            n => match n.parse::<usize>() {
                Ok(n) if n <= 64 => Ok(Self::Exactly(n)),
                _ => Err(format!(
                    "expected auto, off or a number of speakers (1–64), not {s:?}"
                )),
            },
        }
    }
}

/// The speaker options.
#[derive(Debug, Args, Clone)]
pub struct SpeakerArgs {
    /// Who speaks on a single mixed recording: auto (find them), off, or
    /// the number of speakers when known. Tracks named per participant and
    /// --split-channels keep their own labels.
    #[arg(long, default_value = "auto", value_parser = SpeakerCount::from_str)]
    pub speakers: SpeakerCount,
    /// Fewest speakers to find (with --speakers auto).
    #[arg(long, value_name = "N", value_parser = crate::cmd::args::at_least_one)]
    pub min_speakers: Option<usize>,
    /// Most speakers to find (with --speakers auto).
    #[arg(long, value_name = "N", value_parser = crate::cmd::args::at_least_one)]
    pub max_speakers: Option<usize>,
    /// A directory with your own copies of segmentation-3.0.pt and
    /// campplus_cn_en_common.pt (default: the model store's speakers/,
    /// fetched on first use).
    #[arg(long, value_name = "DIR", env = "HOTWASH_SPEAKER_MODELS")]
    pub speaker_models: Option<PathBuf>,
}

impl SpeakerArgs {
    /// The diarizer's configuration these options describe.
    pub fn config(&self) -> DiarizeConfig {
        let mut cluster = ClusterConfig::default();
        match self.speakers {
            SpeakerCount::Exactly(n) => {
                cluster.min_speakers = n;
                cluster.max_speakers = Some(n);
            }
            _ => {
                if let Some(n) = self.min_speakers {
                    cluster.min_speakers = n;
                }
                cluster.max_speakers = self.max_speakers;
            }
        }
        let mut c = DiarizeConfig {
            cluster,
            ..DiarizeConfig::default()
        };
        // Tuning knobs for the eval (not part of the interface).
        let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<f64>().ok());
        if let Some(v) = env("HOTWASH_DIARIZE_STEP") {
            c.step_s = v;
        }
        if let Some(v) = env("HOTWASH_DIARIZE_MAX_CLIP") {
            c.max_clip_s = v;
        }
        if let Some(v) = env("HOTWASH_DIARIZE_THRESHOLD") {
            c.cluster.threshold = v as f32;
        }
        c
    }

    /// Refuses bounds that contradict each other or `--speakers`.
    pub fn check(&self) -> Result<()> {
        if let (Some(a), Some(b)) = (self.min_speakers, self.max_speakers) {
            anyhow::ensure!(a <= b, "--min-speakers {a} is more than --max-speakers {b}");
        }
        if self.speakers != SpeakerCount::Auto
            && (self.min_speakers.is_some() || self.max_speakers.is_some())
        {
            anyhow::bail!("--min-speakers/--max-speakers go with --speakers auto");
        }
        Ok(())
    }

    /// The diarizer, or `None` with `--speakers off`. Models come from
    /// `--speaker-models` or the store (fetched on first use).
    pub fn diarizer(&self, quiet: bool) -> Result<Option<Arc<SpeakerDiarizer>>> {
        self.check()?;
        if self.speakers == SpeakerCount::Off {
            return Ok(None);
        }
        let dir = match &self.speaker_models {
            Some(d) => d.clone(),
            None => {
                let store = hotwash_models::Store::from_env()?;
                match store.resolve("speakers") {
                    Ok(p) => p,
                    Err(hotwash_models::ModelError::NotPresent { .. }) => {
                        if !quiet {
                            eprintln!(
                                "speaker models are not here yet: fetching them once (first use; --speakers off skips this)"
                            );
                        }
                        store
                            .fetch("speakers", None, &mut |msg: &str| {
                                if !quiet {
                                    eprintln!("{msg}");
                                }
                            })
                            .context("cannot fetch the speaker models (--speakers off transcribes without speakers)")?
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        let models = SpeakerModels::load(&dir)?;
        Ok(Some(Arc::new(SpeakerDiarizer::new(models, self.config()))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaker_counts_parse() {
        assert_eq!("auto".parse(), Ok(SpeakerCount::Auto));
        assert_eq!("OFF".parse(), Ok(SpeakerCount::Off));
        assert_eq!("3".parse(), Ok(SpeakerCount::Exactly(3)));
        assert!("many".parse::<SpeakerCount>().is_err());
        assert!("100".parse::<SpeakerCount>().is_err());
    }
}
