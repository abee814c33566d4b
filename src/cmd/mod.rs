//! One module per command, and the support modules they share (argument
//! parsers, engine options, output, paths, progress, interrupts). No
//! command module uses another.

pub mod actions;
pub mod args;
pub mod closeout;
pub mod devices;
pub mod embedder;
pub mod engine;
pub mod eval_asr;
pub mod eval_diarization;
pub mod eval_library;
pub mod eval_live;
pub mod eval_postmortem;
pub mod interrupt;
pub mod library;
pub mod live;
pub mod manifest;
pub mod models;
pub mod output;
pub mod paths;
pub mod postmortem;
pub mod progress;
pub mod reference;
pub mod review;
pub mod show;
pub mod speakers;
pub mod train;
pub mod transcribe;
pub mod transcribe_args;

/// Runs `transcribe`: the roster's names and terms go into whisper's
/// prompt, then recorded input is transcribed, or with `--live` the
/// devices are captured. Returns the process exit code.
pub fn run_transcribe(mut args: transcribe_args::TranscribeArgs) -> anyhow::Result<i32> {
    interrupt::install();
    if let Some(path) = &args.out.roster {
        let roster = hotwash_postmortem::Roster::load(path)?;
        args.engine = engine::with_roster_prompt(&args.engine, Some(&roster), args.out.quiet);
    }
    if args.capture.live {
        live::run(&args.capture, &args.engine, &args.out)
    } else {
        transcribe::run(args)
    }
}
