//! `hotwash show RECORD VIEW`: the questions people ask of an incident.

use std::fmt::Write;
use std::path::Path;

use super::fmt::at;
use crate::error::{Error, Result};
use crate::record::{HypothesisStatus, IncidentRecord, Status};

/// What to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
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

impl View {
    /// Parses a view name.
    pub fn parse(s: &str) -> Option<View> {
        Some(match s {
            "timeline" => View::Timeline,
            "decisions" => View::Decisions,
            "actions" | "action-items" => View::Actions,
            "mitigations" => View::Mitigations,
            "hypotheses" => View::Hypotheses,
            "facts" => View::Facts,
            _ => return None,
        })
    }
}

/// Reads an `incident.json` (a `/1` record is migrated to the current schema).
pub fn read_record(path: &Path) -> Result<IncidentRecord> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        err: source,
    })?;
    crate::record::parse_record(&text).map_err(|e| Error::Record {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Renders one view as plain text, one line per item with its sources.
pub fn show(r: &IncidentRecord, view: View) -> String {
    let mut o = String::new();
    match view {
        View::Timeline | View::Facts => {
            for e in r
                .timeline
                .iter()
                .filter(|e| view == View::Timeline || e.status == Status::Fact)
            {
                let st = if e.status == Status::Hypothesis {
                    " [hypothesis]"
                } else {
                    ""
                };
                let _ = writeln!(
                    o,
                    "{:>9}  {:<17} {}{st}  ({}) [{}]",
                    at(e.time_utc, e.offset_s),
                    e.kind.as_str(),
                    e.event,
                    e.owner.as_deref().unwrap_or("—"),
                    e.sources.join(", ")
                );
            }
        }
        View::Decisions => {
            for d in &r.decisions {
                let _ = writeln!(
                    o,
                    "{:>9}  {} — {}",
                    at(d.time_utc, d.offset_s),
                    d.decision,
                    d.who.as_deref().unwrap_or("—")
                );
                if let Some(w) = &d.rationale {
                    let _ = writeln!(o, "           why: {w}");
                }
                if !d.alternatives.is_empty() {
                    let _ = writeln!(o, "           instead of: {}", d.alternatives.join("; "));
                }
                let _ = writeln!(o, "           [{}]", d.sources.join(", "));
            }
        }
        View::Actions => {
            for a in &r.action_items {
                let _ = writeln!(
                    o,
                    "{}  {} — owner {}, due {}, {}, {}{} [{}]",
                    a.id,
                    a.action,
                    a.owner.as_deref().unwrap_or("none"),
                    a.due
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "none".into()),
                    a.priority.as_str(),
                    a.category.as_str(),
                    if a.vague {
                        format!(" — VAGUE: {}", a.vague_reasons.join(", "))
                    } else {
                        String::new()
                    },
                    a.sources.join(", ")
                );
                if let Some(v) = &a.verification {
                    let _ = writeln!(o, "    verify: {v}");
                }
            }
        }
        View::Mitigations => {
            for m in &r.mitigations {
                let w = match m.worked {
                    Some(true) => "worked",
                    Some(false) => "did not work",
                    None => "unknown",
                };
                let _ = writeln!(
                    o,
                    "{:>9}  {} — {w} [{}]",
                    at(m.time_utc, m.offset_s),
                    m.what,
                    m.sources.join(", ")
                );
                if let Some(res) = &m.result {
                    let _ = writeln!(o, "           result: {res}");
                }
            }
        }
        View::Hypotheses => {
            for h in &r.hypotheses {
                let st = match h.status {
                    HypothesisStatus::Open => "OPEN".to_string(),
                    HypothesisStatus::Confirmed => {
                        format!("confirmed by {}", h.settled_by.join(", "))
                    }
                    HypothesisStatus::Refuted => format!("refuted by {}", h.settled_by.join(", ")),
                };
                let _ = writeln!(
                    o,
                    "{:>9}  {} — {} ({st}) [{}]",
                    at(h.time_utc, h.offset_s),
                    h.text,
                    h.who.as_deref().unwrap_or("—"),
                    h.sources.join(", ")
                );
            }
        }
    }
    if o.is_empty() {
        o.push_str("(none)\n");
    }
    o
}
