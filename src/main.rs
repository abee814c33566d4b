//! `hotwash`: the incident workflow — models, transcription, postmortems.

use clap::{Parser, Subcommand};
use hotwash::cmd;

/// Turn an incident's war-room call into an auditable postmortem, offline.
#[derive(Debug, Parser)]
#[command(name = "hotwash", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List, fetch and verify whisper models.
    Models(cmd::models::ModelsArgs),
    /// List audio input devices (the default marked).
    Devices(cmd::devices::DevicesArgs),
    /// Build the incident record and every artifact from the call's transcripts or audio.
    Postmortem(cmd::postmortem::PostmortemArgs),
    /// Review the record in the browser: confirm, edit, reject, with the call's audio at every line.
    Review(cmd::review::ReviewArgs),
    /// Answer questions over an incident record (timeline, decisions, actions…).
    Show(cmd::show::ShowArgs),
    /// The incident library: add incidents, search them, ask what fixed it last time.
    Library(cmd::library::LibraryArgs),
    /// Track action items from open to verified.
    Actions(cmd::actions::ActionsArgs),
    /// Which close-out criteria an incident meets, and what is missing.
    Closeout(cmd::closeout::CloseoutArgs),
    /// Transcribe recordings (same as the `transcribe` binary).
    Transcribe(cmd::transcribe_args::TranscribeArgs),
    /// Train the learned parts of extraction from scenarios' truth.
    Train {
        #[command(subcommand)]
        what: TrainCommand,
    },
    /// Evaluate transcription or postmortem extraction against references.
    Eval {
        #[command(subcommand)]
        what: EvalCommand,
    },
}

#[derive(Debug, Subcommand)]
enum TrainCommand {
    /// The dialogue-act head (postmortem/model/acts-head.json).
    Acts(cmd::train::TrainActsArgs),
}

#[derive(Debug, Subcommand)]
enum EvalCommand {
    /// Word error rate, realtime factor and peak memory on recordings with references.
    Asr(cmd::eval_asr::EvalAsrArgs),
    /// Play a recording through an audio device in real time, capture it
    /// live: latency p50/p95, WER against offline, overruns, backlog.
    Live(cmd::eval_live::EvalLiveArgs),
    /// Score postmortem extraction against scripted scenarios' truth.
    Postmortem(cmd::eval_postmortem::EvalPostmortemArgs),
    /// How well `library similar` finds the right past incident.
    Library(cmd::eval_library::EvalLibraryArgs),
    /// Who spoke when against reference RTTM files: DER and speaker count.
    Diarization(cmd::eval_diarization::EvalDiarizationArgs),
}

fn main() {
    let cli: Cli = hotwash::parse_args();
    let result = match cli.command {
        Command::Models(a) => cmd::models::run(a).map(|()| 0),
        Command::Devices(a) => cmd::devices::run(a).map(|()| 0),
        Command::Postmortem(a) => cmd::postmortem::run(a),
        Command::Review(a) => cmd::review::run(a),
        Command::Show(a) => cmd::show::run(a).map(|()| 0),
        Command::Library(a) => cmd::library::run(a),
        Command::Actions(a) => cmd::actions::run(a),
        Command::Closeout(a) => cmd::closeout::run(a),
        Command::Transcribe(a) => cmd::run_transcribe(a),
        Command::Train { what } => match what {
            TrainCommand::Acts(a) => cmd::train::run(a).map(|()| 0),
        },
        Command::Eval { what } => match what {
            EvalCommand::Asr(a) => cmd::eval_asr::run(a).map(|()| 0),
            EvalCommand::Live(a) => cmd::eval_live::run(a).map(|()| 0),
            EvalCommand::Postmortem(a) => cmd::eval_postmortem::run(a).map(|()| 0),
            EvalCommand::Library(a) => cmd::eval_library::run(a).map(|()| 0),
            EvalCommand::Diarization(a) => cmd::eval_diarization::run(a).map(|()| 0),
        },
    };
    std::process::exit(hotwash::exit_code(result));
}
