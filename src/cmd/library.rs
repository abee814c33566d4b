//! `hotwash library add|list|show|search|similar|fixes|tag|tags|export|import|check|reindex`:
//! the incident library (one SQLite database) and its questions: "have we
//! seen this before?" and "what fixed it last time?".

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};
use hotwash_library::{Filters, Fix, Hit, IncidentSummary, Library, SimilarAnswer, SimilarTo};

/// Arguments of `hotwash library`.
#[derive(Debug, Args)]
pub struct LibraryArgs {
    /// The library database (default: $HOTWASH_HOME/library.db, else the
    /// user's data directory, e.g. ~/.local/share/hotwash/library.db).
    #[arg(long, value_name = "PATH", env = "HOTWASH_DB", global = true)]
    pub db: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: LibraryCommand,
}

/// The library's subcommands.
#[derive(Debug, Subcommand)]
pub enum LibraryCommand {
    /// Add incident directories written by `hotwash postmortem -o DIR` (again: update).
    Add(AddArgs),
    /// List the incidents, the latest first.
    List(ListArgs),
    /// Everything stored about one incident.
    Show(ShowArgs),
    /// Find past incidents by words of their title, symptoms, timeline,
    /// cause, decisions, mitigations, actions or call (BM25).
    Search(SearchArgs),
    /// Have we seen this before: the incidents most like an incident
    /// directory, a library id or a description (exact error signatures
    /// first, then meaning and words fused).
    Similar(SimilarArgs),
    /// What fixed it last time: the mitigations that worked in the
    /// incidents most like this symptom.
    Fixes(FixesArgs),
    /// Add tags to an incident, or take them off with --remove.
    Tag(TagArgs),
    /// How many incidents carry each tag (which failure modes keep coming back).
    Tags(TagsArgs),
    /// Write the whole library as JSON Lines.
    Export(ExportArgs),
    /// Read JSON Lines written by `export` (incidents with the same id are replaced).
    Import(ImportArgs),
    /// Check the database's integrity and every stored artifact's checksum.
    Check(CheckArgs),
    /// Embed the incidents stored without sentence embeddings (added before
    /// the model was fetched, or with another model).
    Reindex(ReindexArgs),
}

/// Arguments of `hotwash library similar`.
#[derive(Debug, Args)]
pub struct SimilarArgs {
    /// An incident directory, an id in the library, or a description of
    /// the symptom ("five oh threes at the edge", "connection pool exhausted").
    #[arg(value_name = "INC-DIR|ID|TEXT")]
    pub what: String,
    /// How many incidents to show.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..))]
    pub limit: u16,
    /// Rank by signatures and words only (do not load the embedding model).
    #[arg(long)]
    pub words_only: bool,
    /// Print JSON instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `hotwash library reindex`.
#[derive(Debug, Args)]
pub struct ReindexArgs {}

/// Arguments of `hotwash library add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Incident directories (or their incident.json).
    #[arg(required = true, value_name = "INC-DIR")]
    pub dirs: Vec<PathBuf>,
    /// Who is adding (kept in the actions' history; default: $USER).
    #[arg(long, value_name = "NAME", env = "HOTWASH_USER")]
    pub by: Option<String>,
}

/// What narrows the incidents listed or searched.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only incidents with this tag (repeatable: all of them).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only incidents naming this service among their systems.
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    /// Only incidents that started on or after this date or time.
    #[arg(long, value_name = "YYYY-MM-DD|RFC3339", value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// Only incidents of this severity (SEV2, sev 2 and 2 are one).
    #[arg(long, value_name = "SEV")]
    pub severity: Option<String>,
}

impl FilterArgs {
    fn filters(&self) -> Filters {
        Filters {
            tags: self.tags.clone(),
            service: self.service.clone(),
            since: self.since,
            severity: self.severity.clone(),
        }
    }
}

/// `--since`: a date (midnight UTC) or an RFC 3339 time.
fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"))
}

/// Arguments of `hotwash library list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Filters.
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Print JSON instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `hotwash library show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The incident's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Print JSON (with the whole record) instead of a summary.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `hotwash library search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words to look for (any of them; the incidents matching most, and the rarest, first).
    #[arg(value_name = "QUERY")]
    pub query: String,
    /// Filters.
    #[command(flatten)]
    pub filters: FilterArgs,
    /// How many incidents to show.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    pub limit: u16,
    /// Print JSON instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `hotwash library fixes`.
#[derive(Debug, Args)]
pub struct FixesArgs {
    /// The symptom, in words ("connection pool exhausted", "five oh threes at the edge").
    #[arg(value_name = "SYMPTOM")]
    pub symptom: String,
    /// Filters.
    #[command(flatten)]
    pub filters: FilterArgs,
    /// How many fixes to show.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    pub limit: u16,
    /// Print JSON instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `hotwash library tag`.
#[derive(Debug, Args)]
pub struct TagArgs {
    /// The incident's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Tags (lowercase-with-dashes; spaces become dashes).
    #[arg(required = true, value_name = "TAG")]
    pub tags: Vec<String>,
    /// Take the tags off instead (a removed suggestion stays removed when the incident is added again).
    #[arg(long)]
    pub remove: bool,
}

/// Arguments of `hotwash library tags`.
#[derive(Debug, Args)]
pub struct TagsArgs {}

/// Arguments of `hotwash library export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// File to write (replaced whole, atomically); standard output when absent or `-`.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Arguments of `hotwash library import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A file written by `hotwash library export` (`-`: standard input).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Arguments of `hotwash library check`.
#[derive(Debug, Args)]
pub struct CheckArgs {}

/// Opens the library `--db` names, or the default one.
pub fn open(db: Option<&Path>) -> Result<Library> {
    let path = match db {
        Some(p) => p.to_path_buf(),
        None => hotwash_library::default_path()?,
    };
    Ok(Library::open(&path)?)
}

/// Opens the library with all-MiniLM-L6-v2 attached when the model store
/// has it; without it, one note says how `similar` ranks instead.
pub fn open_with_meaning(db: Option<&Path>) -> Result<Library> {
    let lib = open(db)?;
    let Some(dir) = crate::cmd::embedder::store_dir() else {
        return Ok(lib);
    };
    match crate::cmd::embedder::load(&dir) {
        Ok(e) => Ok(lib.with_embedder(e)),
        Err(e) => {
            eprintln!(
                "note: {e}; similarity by meaning is off (signatures and words only) until `hotwash models fetch minilm` and `hotwash library reindex`"
            );
            Ok(lib)
        }
    }
}

fn similar_lines(a: &SimilarAnswer) {
    if !a.by_meaning {
        println!("(ranked by signatures and words only: no sentence embeddings)");
    }
    if !a.query_signatures.is_empty() {
        println!("signatures: {}", a.query_signatures.join(", "));
    }
    for h in &a.hits {
        let mut why = Vec::new();
        if !h.signatures.is_empty() {
            why.push(format!("same {}", h.signatures.join(", ")));
        }
        if let Some(m) = h.meaning {
            why.push(format!("meaning {m:.2}"));
        }
        if let Some(r) = h.words_rank {
            why.push(format!("words #{r}"));
        }
        println!("{}  ({})", summary_line(&h.incident), why.join("; "));
        if let Some(c) = &h.closest {
            println!("    closest: {c}");
        }
    }
}

/// Who is acting: `--by`, else `$USER`, else `unknown`.
pub fn who(by: Option<&str>) -> String {
    by.map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".into())
}

fn print_json(v: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn summary_line(s: &IncidentSummary) -> String {
    let mut line = format!(
        "{}  {}  {}  {}",
        s.id,
        s.severity.as_deref().unwrap_or("-"),
        s.started.as_deref().unwrap_or("-"),
        s.title
    );
    if !s.tags.is_empty() {
        line.push_str(&format!("  [{}]", s.tags.join(", ")));
    }
    line
}

fn hit_lines(hits: &[Hit]) {
    for h in hits {
        println!("{}  (score {:.2})", summary_line(&h.incident), h.score);
        if !h.snippet.is_empty() {
            println!("    {}", h.snippet);
        }
    }
}

fn at(offset_s: f64, time_utc: Option<&str>) -> String {
    match time_utc {
        Some(t) => t.to_string(),
        None => {
            let s = offset_s.max(0.0).round() as u64;
            format!("+{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        }
    }
}

fn fix_lines(fixes: &[Fix]) {
    for f in fixes {
        let m = &f.mitigation;
        println!(
            "{}  {}  {}{}{}",
            f.incident_id,
            at(m.offset_s, m.time_utc.as_deref()),
            m.what,
            m.who
                .as_deref()
                .map(|w| format!(" ({w})"))
                .unwrap_or_default(),
            m.result
                .as_deref()
                .map(|r| format!(" -> {r}"))
                .unwrap_or_default(),
        );
        println!("    incident: {}", f.incident_title);
        for c in &m.cited {
            println!(
                "    cited {} {}: {}: \"{}\"",
                c.id,
                at(c.offset_s, c.time_utc.as_deref()),
                c.speaker.as_deref().unwrap_or("?"),
                c.text
            );
        }
    }
}

/// Runs `hotwash library`; returns the exit code (1 when `check` finds problems).
pub fn run(args: LibraryArgs) -> Result<i32> {
    let db = args.db.as_deref();
    match args.command {
        LibraryCommand::Add(a) => {
            // Read every directory first: a bad one stops the run before anything is written.
            let prepared = a
                .dirs
                .iter()
                .map(|d| hotwash_library::prepare(d))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let mut lib = open_with_meaning(db)?;
            let by = who(a.by.as_deref());
            for p in &prepared {
                let added = lib.add_prepared(p, &by)?;
                for w in &added.warnings {
                    eprintln!("warning: {w}");
                }
                println!(
                    "{} {}: {} ({} artifacts, {} action items, {} new)",
                    if added.updated { "updated" } else { "added" },
                    added.id,
                    added.title,
                    added.artifacts,
                    added.actions,
                    added.new_actions
                );
                for s in &added.suggested {
                    println!(
                        "  suggested tag {} (from: {})",
                        s.tag,
                        s.triggers.join(", ")
                    );
                }
                for r in &added.recurrences {
                    let h = &r.hit;
                    let why = if h.signatures.is_empty() {
                        format!("meaning {:.2}", h.meaning.unwrap_or(0.0))
                    } else {
                        format!("same {}", h.signatures.join(", "))
                    };
                    if r.unverified.is_empty() {
                        println!(
                            "  similar to {} ({why}): {}; its actions are all verified or declined",
                            h.incident.id, h.incident.title
                        );
                    } else {
                        for u in &r.unverified {
                            println!(
                                "  similar to {} ({why}) whose action {} was never verified ({}): {}",
                                h.incident.id, u.id, u.status, u.action
                            );
                        }
                    }
                }
            }
            println!("library: {}", lib.path().display());
        }
        LibraryCommand::List(a) => {
            let lib = open(db)?;
            let list = lib.list(&a.filters.filters())?;
            if a.json {
                print_json(&list)?;
            } else if list.is_empty() {
                println!("no incidents (add some with `hotwash library add INC-DIR`)");
            } else {
                for s in &list {
                    println!("{}", summary_line(s));
                }
            }
        }
        LibraryCommand::Show(a) => {
            let lib = open(db)?;
            let v = lib.show(&a.id)?;
            if a.json {
                print_json(&v)?;
            } else {
                let s = &v.summary;
                println!("{}  {}", s.id, s.title);
                println!("severity: {}", s.severity.as_deref().unwrap_or("-"));
                println!("started:  {}", s.started.as_deref().unwrap_or("-"));
                println!("status:   {}", s.status);
                println!("services: {}", s.services.join(", "));
                println!("dir:      {}", s.dir);
                println!("added:    {} (updated {})", v.added_utc, v.updated_utc);
                println!("tags:");
                for t in v.tags.iter().filter(|t| !t.removed) {
                    if t.triggers.is_empty() {
                        println!("  {} ({})", t.tag, t.source);
                    } else {
                        println!("  {} ({}: {})", t.tag, t.source, t.triggers.join(", "));
                    }
                }
                println!("mitigations:");
                for m in &v.mitigations {
                    let worked = match m.worked {
                        Some(true) => "worked",
                        Some(false) => "did not work",
                        None => "outcome not said",
                    };
                    println!(
                        "  {}  {} [{worked}]",
                        at(m.offset_s, m.time_utc.as_deref()),
                        m.what
                    );
                }
                println!("actions:");
                for a in &v.actions {
                    println!("  {}", crate::cmd::actions::action_line(a));
                }
                println!("artifacts: {}", v.artifacts.len());
                for a in &v.artifacts {
                    println!("  {}  {}", &a.sha256[..a.sha256.len().min(12)], a.path);
                }
            }
        }
        LibraryCommand::Search(a) => {
            let lib = open(db)?;
            let hits = lib.search(&a.query, &a.filters.filters(), usize::from(a.limit))?;
            if a.json {
                print_json(&hits)?;
            } else if hits.is_empty() {
                println!("no incident matches {:?}", a.query);
            } else {
                hit_lines(&hits);
            }
        }
        LibraryCommand::Similar(a) => {
            let lib = if a.words_only {
                open(db)?
            } else {
                open_with_meaning(db)?
            };
            let path = Path::new(&a.what);
            let answer = if path.exists() {
                let p = hotwash_library::prepare(path)?;
                lib.similar(SimilarTo::Record(&p.record), usize::from(a.limit))?
            } else if lib.show(&a.what).is_ok() {
                lib.similar(SimilarTo::Incident(&a.what), usize::from(a.limit))?
            } else {
                lib.similar(SimilarTo::Text(&a.what), usize::from(a.limit))?
            };
            if a.json {
                print_json(&answer)?;
            } else if answer.hits.is_empty() {
                println!("nothing in the library is like {:?}", a.what);
            } else {
                similar_lines(&answer);
            }
        }
        LibraryCommand::Reindex(_) => {
            let mut lib = open_with_meaning(db)?;
            let n = lib.reindex()?;
            println!("embedded {n} incidents in {}", lib.path().display());
        }
        LibraryCommand::Fixes(a) => {
            let lib = open(db)?;
            let fixes = lib.fixes(&a.symptom, &a.filters.filters(), usize::from(a.limit))?;
            if a.json {
                print_json(&fixes)?;
            } else if fixes.is_empty() {
                println!(
                    "no mitigation that worked in an incident matching {:?}",
                    a.symptom
                );
            } else {
                fix_lines(&fixes);
            }
        }
        LibraryCommand::Tag(a) => {
            let mut lib = open(db)?;
            let tags = lib.tag(&a.id, &a.tags, a.remove)?;
            let on: Vec<&str> = tags
                .iter()
                .filter(|t| !t.removed)
                .map(|t| t.tag.as_str())
                .collect();
            println!(
                "{}: {}",
                a.id,
                if on.is_empty() {
                    "no tags".to_string()
                } else {
                    on.join(", ")
                }
            );
        }
        LibraryCommand::Tags(_) => {
            let lib = open(db)?;
            for (tag, n) in lib.tag_counts()? {
                println!("{n:>5}  {tag}");
            }
        }
        LibraryCommand::Export(a) => {
            let lib = open(db)?;
            match a.file.as_deref().filter(|f| *f != Path::new("-")) {
                Some(file) => {
                    let mut out = hotwash_postmortem::fsutil::AtomicFile::create(file)
                        .with_context(|| format!("{}: cannot write", file.display()))?;
                    let n = lib.export(&mut out)?;
                    out.commit()
                        .with_context(|| format!("{}: cannot write", file.display()))?;
                    eprintln!("exported {n} incidents to {}", file.display());
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut out = std::io::BufWriter::new(stdout.lock());
                    lib.export(&mut out)?;
                    out.flush()?;
                }
            }
        }
        LibraryCommand::Import(a) => {
            let mut lib = open(db)?;
            let n = if a.file == Path::new("-") {
                let stdin = std::io::stdin();
                lib.import(&mut stdin.lock(), Path::new("<stdin>"))?
            } else {
                let f = std::fs::File::open(&a.file)
                    .with_context(|| format!("{}: cannot read", a.file.display()))?;
                lib.import(&mut std::io::BufReader::new(f), &a.file)?
            };
            println!("imported {n} incidents into {}", lib.path().display());
        }
        LibraryCommand::Check(_) => {
            let mut lib = open(db)?;
            let r = lib.check()?;
            for p in &r.problems {
                println!("problem: {p}");
            }
            if r.ok() {
                println!(
                    "ok: {} incidents, {} artifacts match their checksums, database integrity ok",
                    r.incidents, r.artifacts
                );
            } else {
                eprintln!(
                    "error: {}: {} problems in {} incidents",
                    lib.path().display(),
                    r.problems.len(),
                    r.incidents
                );
                return Ok(1);
            }
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_dates_and_times() {
        assert_eq!(
            parse_since("2026-03-01").unwrap().to_rfc3339(),
            "2026-03-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_since("2026-03-01T10:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2026-03-01T08:00:00+00:00"
        );
        assert!(parse_since("last week").is_err());
    }
}
