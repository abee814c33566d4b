//! `transcribe`: audio in, timestamped utterances out.

use clap::Parser;
use hotwash::cmd::{run_transcribe, transcribe_args::TranscribeArgs};

/// Transcribe meeting and incident-call recordings locally with whisper.
#[derive(Debug, Parser)]
#[command(name = "transcribe", version, about)]
struct Cli {
    #[command(flatten)]
    args: TranscribeArgs,
}

fn main() {
    let cli: Cli = hotwash::parse_args();
    std::process::exit(hotwash::exit_code(run_transcribe(cli.args)));
}
