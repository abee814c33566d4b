//! `hotwash eval postmortem DIR... [--transcripts DIR] [--json]`: score the
//! records built from each scenario's reference transcript (and the engine's
//! transcript of its audio, when given) against the scenario's `truth`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use hotwash_postmortem::eval;

/// Arguments of `hotwash eval postmortem`.
#[derive(Debug, Args)]
pub struct EvalPostmortemArgs {
    /// Scenario directories (or files) holding `*.json` scenarios with `truth`
    /// and `rendered/<id>.ref.json` reference transcripts.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Directory of engine transcripts named `<scenario-id>.json` to score too.
    #[arg(long, value_name = "DIR")]
    pub transcripts: Option<PathBuf>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also list what was missed and what was extra.
    #[arg(long)]
    pub verbose: bool,
}

/// Runs `hotwash eval postmortem`.
pub fn run(args: EvalPostmortemArgs) -> Result<()> {
    let scores = eval::evaluate(&args.dirs, args.transcripts.as_deref())?;
    if scores.is_empty() {
        anyhow::bail!("no scenarios with `truth` found in the given directories");
    }
    if args.json {
        let doc = serde_json::json!({ "scores": scores, "totals": eval::totals(&scores) });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    print!("{}", eval::table(&scores));
    if args.verbose {
        for s in &scores {
            for n in &s.notes {
                println!("{} [{}] {n}", s.scenario, s.source);
            }
        }
    }
    Ok(())
}
