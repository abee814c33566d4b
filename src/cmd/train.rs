//! `hotwash train acts DIR... [-o FILE] [--hold-out ID...] [--embed [MODEL_DIR]]`:
//! train the act labeller's head from scenarios' truth (their reference
//! transcripts); `--embed` trains the head that also reads all-MiniLM-L6-v2
//! sentence embeddings (default model: the store's, `hotwash models fetch minilm`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use hotwash_postmortem::acts::{train_on, CueLabeller, TrainConfig};
use hotwash_postmortem::eval;

/// Arguments of `hotwash train acts`.
#[derive(Debug, Args)]
pub struct TrainActsArgs {
    /// Scenario directories (or files) with `truth`.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Where to write the head (JSON).
    #[arg(short, long, default_value = "postmortem/model/acts-head.json")]
    pub output: PathBuf,
    /// Scenario ids kept out of training (to score on later).
    #[arg(long = "hold-out", value_name = "ID")]
    pub hold_out: Vec<String>,
    /// Passes over the data.
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    pub epochs: usize,
    /// Add all-MiniLM-L6-v2 sentence embeddings to the features (model
    /// directory; default the store's). Write the result to
    /// `postmortem/model/acts-head-minilm.json` to ship it.
    #[arg(long, value_name = "MODEL_DIR", num_args = 0..=1, default_missing_value = "")]
    pub embed: Option<PathBuf>,
}

/// Runs `hotwash train acts`.
pub fn run(args: TrainActsArgs) -> Result<()> {
    let cases = eval::load_cases(&args.dirs)?;
    let train: Vec<&eval::Case> = cases
        .iter()
        .filter(|c| !args.hold_out.iter().any(|h| c.id.starts_with(h.as_str())))
        .collect();
    if train.is_empty() {
        anyhow::bail!("no scenarios left to train on (check the directories and --hold-out)");
    }
    let cfg = TrainConfig {
        epochs: args.epochs,
        ..TrainConfig::default()
    };
    let embedder = match &args.embed {
        None => None,
        Some(dir) => {
            let dir = if dir.as_os_str().is_empty() {
                crate::cmd::embedder::store_dir().context("no model directory")?
            } else {
                dir.clone()
            };
            Some(crate::cmd::embedder::load(&dir)?)
        }
    };
    let head = train_on(&train, &CueLabeller::shipped()?, &cfg, embedder.as_deref())?;
    let text = serde_json::to_string(&head)?;
    let dir = args
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("{}: cannot write beside it", args.output.display()))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(&args.output)
        .with_context(|| format!("{}: cannot write", args.output.display()))?;
    eprintln!(
        "trained on {} calls ({} held out); wrote {}",
        train.len(),
        cases.len() - train.len(),
        args.output.display()
    );
    Ok(())
}
