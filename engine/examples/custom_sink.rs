//! A custom [`Sink`]: prints each utterance as it arrives and stops after a
//! keyword ("rollback"), then reports how many words each speaker said.
//!
//! ```sh
//! cargo run --release -p hotwash-engine --example custom_sink -- MODEL.bin CALL.flac
//! ```

use std::collections::BTreeMap;
use std::convert::Infallible;

use hotwash_engine::source::FileSource;
use hotwash_engine::{Pipeline, RecordingInfo, Sink, Summary, Track, Utterance};

/// Counts words per speaker and stops the pipeline at the first "rollback".
#[derive(Default)]
struct KeywordWatch {
    words: BTreeMap<String, usize>,
}

impl Sink for KeywordWatch {
    type Error = Infallible;

    fn begin(&mut self, info: &RecordingInfo) -> Result<(), Self::Error> {
        println!("listening to {:?}", info.sources);
        Ok(())
    }

    fn utterance(&mut self, u: &Utterance) -> Result<bool, Self::Error> {
        let who = u.speaker.clone().unwrap_or_else(|| u.track.clone());
        *self.words.entry(who.clone()).or_default() += u.words.len();
        println!("{:>8.2}s {who}: {}", u.start, u.text);
        // Returning false stops the pipeline cleanly.
        Ok(!u.text.to_lowercase().contains("rollback"))
    }

    fn finish(&mut self, summary: &Summary) -> Result<(), Self::Error> {
        println!(
            "{} utterances, stopped early: {}, words per speaker: {:?}",
            summary.utterances, summary.stopped_early, self.words
        );
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(model), Some(audio)) = (args.next(), args.next()) else {
        eprintln!("usage: custom_sink MODEL.bin AUDIO");
        std::process::exit(2);
    };
    let pipeline = Pipeline::builder().model_path(model).build()?;
    let track = Track::new("main", Box::new(FileSource::open(&audio)?));
    pipeline.run(vec![track], &mut KeywordWatch::default())?;
    Ok(())
}
