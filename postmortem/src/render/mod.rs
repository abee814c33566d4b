//! Renderings of one record: `incident.json`, `postmortem.md` (standard or a
//! user's template), three briefs, Jira and Linear CSV, and `show` views.
//! Every file is written atomically (temporary file, fsync, rename).

pub mod briefs;
pub mod csv;
pub mod fmt;
pub mod markdown;
pub mod show;
pub mod template;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::record::IncidentRecord;

fn write(path: PathBuf, text: &str, out: &mut Vec<PathBuf>) -> Result<()> {
    crate::fsutil::write_atomic(&path, text.as_bytes()).map_err(|source| Error::Write {
        path: path.clone(),
        err: source,
    })?;
    out.push(path);
    Ok(())
}

/// Writes every artifact into `out_dir` and returns the paths written.
/// With `template`, `postmortem.md` is rendered through that template instead of the standard one.
/// `incident.json` is the whole record, review included; everything else is
/// rendered from the reviewed record (rejected items left out).
pub fn render_all(
    r: &IncidentRecord,
    out_dir: &Path,
    template: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    render_all_with(r, out_dir, template, false)
}

/// Renders a record's files again the way they were rendered last (its
/// template, its export choice): what a save of the review page does.
pub fn render_again(r: &IncidentRecord, out_dir: &Path) -> Result<Vec<PathBuf>> {
    render_all_with(
        r,
        out_dir,
        r.rendering.template.as_deref(),
        r.rendering.confirmed_only,
    )
}

/// [`render_all`], with the Jira and Linear exports limited to the action
/// items a person confirmed or edited when `confirmed_only`. The record
/// written notes both choices ([`crate::record::Rendering`]) so that
/// [`render_again`] repeats them. Nothing is written when the template fails.
pub fn render_all_with(
    full: &IncidentRecord,
    out_dir: &Path,
    template: Option<&Path>,
    confirmed_only: bool,
) -> Result<Vec<PathBuf>> {
    let mut full = full.clone();
    full.rendering = crate::record::Rendering {
        template: template.map(|t| std::fs::canonicalize(t).unwrap_or_else(|_| t.to_path_buf())),
        confirmed_only,
    };
    let full = &full;
    let reviewed = crate::review::reviewed(full, false);
    let pm = match template {
        Some(t) => template::render_file(t, &reviewed)?,
        None => markdown::postmortem(&reviewed),
    };
    std::fs::create_dir_all(out_dir).map_err(|source| Error::Write {
        path: out_dir.to_path_buf(),
        err: source,
    })?;
    let mut out = Vec::new();
    let json = serde_json::to_string_pretty(full).map_err(|e| Error::Write {
        path: out_dir.join("incident.json"),
        err: std::io::Error::other(e),
    })?;
    write(out_dir.join("incident.json"), &(json + "\n"), &mut out)?;
    let r = &reviewed;
    write(out_dir.join("postmortem.md"), &pm, &mut out)?;
    write(
        out_dir.join("brief-exec.md"),
        &briefs::executive(r),
        &mut out,
    )?;
    write(
        out_dir.join("brief-engineering.md"),
        &briefs::engineering(r),
        &mut out,
    )?;
    write(
        out_dir.join("brief-support.md"),
        &briefs::support(r),
        &mut out,
    )?;
    let exported = crate::review::reviewed(full, confirmed_only);
    let jira = out_dir.join("actions-jira.csv");
    csv::write_jira(&exported, &jira)?;
    out.push(jira.with_extension("config.json"));
    out.push(jira);
    let linear = out_dir.join("actions-linear.csv");
    csv::write_linear(&exported, &linear)?;
    out.push(linear);
    Ok(out)
}
