//! `transcribe`: audio in, timestamped utterances out.

use clap::Parser;
use hotwash::cmd::transcribe::{run, TranscribeArgs};

/// Transcribe meeting and incident-call recordings locally with whisper.
#[derive(Debug, Parser)]
#[command(name = "transcribe", version, about)]
struct Cli {
    #[command(flatten)]
    args: TranscribeArgs,
}

fn main() {
    let cli = Cli::parse();
    std::process::exit(hotwash::exit_code(run(cli.args)));
}
