//! `--template FILE`: renders the record through a user's own minijinja
//! (Jinja2) template. The template sees the record's fields at the top level
//! (`incident`, `timeline`, `action_items`, …) plus filters `hhmm` (an RFC 3339
//! time → `HH:MM`) and `cell` (one-line, pipe-escaped table cell).

use std::path::Path;

use minijinja::{Environment, Value};

use crate::error::{Error, Result};
use crate::record::IncidentRecord;

fn hhmm(v: String) -> String {
    chrono::DateTime::parse_from_rfc3339(&v)
        .map(|t| t.with_timezone(&chrono::Utc).format("%H:%M").to_string())
        .unwrap_or(v)
}

fn cell(v: Value) -> String {
    let s = if v.is_none() || v.is_undefined() {
        String::new()
    } else {
        v.to_string()
    };
    super::fmt::cell(&s)
}

/// Renders template text against a record; `path` names the template in errors.
pub fn render_str(path: &Path, source: &str, r: &IncidentRecord) -> Result<String> {
    let err = |e: minijinja::Error| Error::Template {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut env = Environment::new();
    env.add_filter("hhmm", hhmm);
    env.add_filter("cell", cell);
    env.add_template("user", source).map_err(err)?;
    let t = env.get_template("user").map_err(err)?;
    t.render(Value::from_serialize(r)).map_err(err)
}

/// Reads and renders a template file.
pub fn render_file(path: &Path, r: &IncidentRecord) -> Result<String> {
    let source = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        err: source,
    })?;
    render_str(path, &source, r)
}
