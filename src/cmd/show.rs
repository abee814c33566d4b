//! `hotwash show RECORD timeline|decisions|actions|mitigations|hypotheses|facts`.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use hotwash_postmortem::{read_record, show, View};

/// Which question to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowView {
    /// Every timeline anchor.
    Timeline,
    /// The decision log.
    Decisions,
    /// Action items.
    Actions,
    /// Mitigations and whether they worked.
    Mitigations,
    /// Hypotheses and how they were settled.
    Hypotheses,
    /// Timeline events stated as fact.
    Facts,
}

/// Arguments of `hotwash show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// An incident.json written by `hotwash postmortem`.
    #[arg(value_name = "RECORD")]
    pub record: PathBuf,
    /// What to show.
    #[arg(value_enum, value_name = "VIEW")]
    pub view: ShowView,
}

/// Runs `hotwash show`.
pub fn run(args: ShowArgs) -> Result<()> {
    let record = read_record(&args.record)?;
    let view = match args.view {
        ShowView::Timeline => View::Timeline,
        ShowView::Decisions => View::Decisions,
        ShowView::Actions => View::Actions,
        ShowView::Mitigations => View::Mitigations,
        ShowView::Hypotheses => View::Hypotheses,
        ShowView::Facts => View::Facts,
    };
    print!("{}", show(&record, view));
    Ok(())
}
