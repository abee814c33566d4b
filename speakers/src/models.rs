//! The speaker models as installed (`hotwash models fetch speakers`), and
//! the pipeline's [`DiarizerFactory`] built on them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hotwash_engine::resample::{ChannelMode, Resampler};
use hotwash_engine::source::{AudioSource, FileSource};
use hotwash_engine::{DiarizeError, Diarizer, DiarizerFactory, SpeakerTurn};

use crate::diarize::{Diarization, DiarizeConfig, LocalActivity, VoiceEmbedding, LOCAL_SPEAKERS};
use crate::{Segmenter, SpeakerEmbedder, SpeakerError};

/// The segmentation model's file name in a speaker-model directory.
pub const SEGMENTATION_FILE: &str = "segmentation-3.0.pt";
/// The embedding model's file name in a speaker-model directory.
pub const EMBEDDING_FILE: &str = "campplus_cn_en_common.pt";

/// Both speaker models, loaded once and shared by every stream.
#[derive(Clone)]
pub struct SpeakerModels {
    segmenter: Arc<Segmenter>,
    embedder: Arc<SpeakerEmbedder>,
    dir: PathBuf,
}

impl std::fmt::Debug for SpeakerModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeakerModels")
            .field("dir", &self.dir)
            .finish()
    }
}

impl SpeakerModels {
    /// Loads `segmentation-3.0.pt` and `campplus_cn_en_common.pt` from `dir`
    /// (the store's `speakers/` or a directory of the user's own copies).
    pub fn load(dir: &Path) -> Result<Self, SpeakerError> {
        if !dir.is_dir() {
            return Err(SpeakerError::Missing {
                path: dir.to_path_buf(),
            });
        }
        Ok(Self {
            segmenter: Arc::new(Segmenter::load(&dir.join(SEGMENTATION_FILE))?),
            embedder: Arc::new(SpeakerEmbedder::load(&dir.join(EMBEDDING_FILE))?),
            dir: dir.to_path_buf(),
        })
    }

    /// The directory the models came from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The segmentation model behind the diarizer's trait.
struct SegmentationModel(Arc<Segmenter>);

impl LocalActivity for SegmentationModel {
    fn window_samples(&self) -> usize {
        Segmenter::WINDOW_SAMPLES
    }
    fn frames(&self) -> (f64, f64, f64) {
        Segmenter::frames()
    }
    fn activity(
        &self,
        windows: &[&[f32]],
    ) -> Result<Vec<Vec<[f32; LOCAL_SPEAKERS]>>, SpeakerError> {
        self.0.activity(windows)
    }
}

/// The embedding model behind the diarizer's trait.
struct EmbeddingModel(Arc<SpeakerEmbedder>);

impl VoiceEmbedding for EmbeddingModel {
    fn embed(&self, clips: &[&[f32]]) -> Result<Vec<Vec<f32>>, SpeakerError> {
        self.0.embed(clips)
    }
}

/// Diarizers on the speaker models with one configuration: what a
/// pipeline is given to find speakers on a mixed track.
#[derive(Debug, Clone)]
pub struct SpeakerDiarizer {
    models: SpeakerModels,
    config: DiarizeConfig,
}

impl SpeakerDiarizer {
    /// Diarizers on `models` working as `config` says.
    pub fn new(models: SpeakerModels, config: DiarizeConfig) -> Self {
        Self { models, config }
    }

    /// A diarization of one new stream.
    fn diarization(&self) -> Diarization<SegmentationModel, EmbeddingModel> {
        Diarization::new(
            SegmentationModel(Arc::clone(&self.models.segmenter)),
            EmbeddingModel(Arc::clone(&self.models.embedder)),
            self.config,
        )
    }

    /// Finds the speaker turns of an audio file on its own (no
    /// transcription): decoded, downmixed and resampled to 16 kHz as the
    /// pipeline does, in blocks.
    pub fn diarize_file(&self, path: &Path) -> Result<Vec<SpeakerTurn>, DiarizeError> {
        let fail = |e: &dyn std::fmt::Display| DiarizeError(format!("{}: {e}", path.display()));
        let mut source = FileSource::open(path).map_err(|e| DiarizeError(e.to_string()))?;
        let mut resampler =
            Resampler::new(source.format(), ChannelMode::Downmix).map_err(|e| fail(&e))?;
        let mut d = self.diarization();
        let mut block = Vec::new();
        let mut out = vec![Vec::new()];
        while source
            .read_block(&mut block)
            .map_err(|e| DiarizeError(e.to_string()))?
        {
            out[0].clear();
            resampler.process(&block, &mut out).map_err(|e| fail(&e))?;
            d.push_samples(&out[0]).map_err(|e| fail(&e))?;
        }
        out[0].clear();
        resampler.finish(&mut out).map_err(|e| fail(&e))?;
        d.push_samples(&out[0]).map_err(|e| fail(&e))?;
        d.finish_turns().map_err(|e| fail(&e))
    }
}

impl DiarizerFactory for SpeakerDiarizer {
    fn name(&self) -> String {
        "pyannote segmentation-3.0 + CAM++ (hotwash-speakers)".into()
    }
    fn start(&self) -> Result<Box<dyn Diarizer>, DiarizeError> {
        Ok(Box::new(self.diarization()))
    }
}
