//! Action-item exports: Jira's CSV importer columns and Linear's, one item a
//! row, each with its verification plan and a link back to the incident.

use std::path::Path;

use crate::error::{Error, Result};
use crate::record::{ActionItem, IncidentRecord, Priority};

/// Jira CSV columns, in order. `Labels` is repeated once per label (Jira's
/// importer maps each repeated column to one label).
pub const JIRA_COLUMNS: [&str; 7] = [
    "Summary",
    "Description",
    "Assignee",
    "Due date",
    "Priority",
    "Labels",
    "Issue Type",
];
/// Linear CSV columns, in order.
pub const LINEAR_COLUMNS: [&str; 7] = [
    "Title",
    "Description",
    "Priority",
    "Assignee",
    "Due Date",
    "Labels",
    "Status",
];
/// The date format of the exports' due dates, as Jira's CSV importer is
/// told it (`actions-jira.config.json`, "Date format" in the wizard).
pub const JIRA_DATE_FORMAT: &str = "yyyy-MM-dd";

/// The label that ties a tracker issue back to its action item:
/// `hotwash-<incident>-<item>` (`hotwash-INC-42-A3`). `hotwash actions
/// import` finds the action by it in the tracker's export.
pub fn marker(incident: &str, item: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("hotwash-{}-{}", clean(incident), clean(item))
}

/// The incident and item of a [`marker`] label (the item is the part after
/// the last dash), or `None` for any other label.
pub fn parse_marker(label: &str) -> Option<(String, String)> {
    let rest = label.trim().strip_prefix("hotwash-")?;
    let (inc, item) = rest.rsplit_once('-')?;
    (!inc.is_empty() && !item.is_empty()).then(|| (inc.to_string(), item.to_string()))
}

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab or
/// carriage return first) gets a leading apostrophe, so opening an export
/// never runs what someone said on a call.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// The assignee as trackers match it: the owner's e-mail when the roster
/// gave one, else the name.
fn assignee(r: &IncidentRecord, a: &ActionItem) -> String {
    let Some(owner) = &a.owner else {
        return String::new();
    };
    r.speakers
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(owner))
        .and_then(|s| s.email.clone())
        .unwrap_or_else(|| owner.clone())
}

fn summary(a: &ActionItem) -> String {
    let mut s: String = a.action.chars().take(120).collect();
    if a.action.chars().count() > 120 {
        s.push('…');
    }
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

fn description(r: &IncidentRecord, a: &ActionItem) -> String {
    let mut d = vec![a.action.clone()];
    d.push(format!(
        "Verification plan: {}",
        a.verification
            .as_deref()
            .unwrap_or("none stated — define one before starting")
    ));
    if !a.dependencies.is_empty() {
        d.push(format!("Dependencies: {}", a.dependencies.join("; ")));
    }
    d.push(format!("Category: {}", a.category.as_str()));
    if a.vague {
        d.push(format!("Flagged vague: {}", a.vague_reasons.join(", ")));
    }
    d.push(format!(
        "Incident: {} — {} (incident.json, action item {}; said in utterances {})",
        r.incident.id,
        r.incident.title,
        a.id,
        a.sources.join(", ")
    ));
    d.join("\n\n")
}

fn labels(r: &IncidentRecord, a: &ActionItem) -> Vec<String> {
    let mut l = vec![
        "postmortem".to_string(),
        marker(&r.incident.id, &a.id),
        a.category.as_str().to_string(),
    ];
    if a.vague {
        l.push("needs-triage".into());
    }
    l
}

fn bytes(path: &Path, header: &[&str], rows: Vec<Vec<String>>) -> Result<Vec<u8>> {
    let err = |reason: String| Error::Csv {
        path: path.to_path_buf(),
        reason,
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(|e| err(e.to_string()))?;
    for r in rows {
        let r: Vec<String> = r.iter().map(|c| neutralise(c)).collect();
        w.write_record(&r).map_err(|e| err(e.to_string()))?;
    }
    w.into_inner().map_err(|e| err(e.to_string()))
}

/// The Jira CSV as bytes (`name` only labels errors).
pub fn jira_csv(r: &IncidentRecord, name: &Path) -> Result<Vec<u8>> {
    let rows = jira_rows(r);
    let width = rows.first().map_or(1, |row| row.len().saturating_sub(6));
    bytes(name, &jira_header(width), rows)
}

/// The Linear CSV as bytes (`name` only labels errors).
pub fn linear_csv(r: &IncidentRecord, name: &Path) -> Result<Vec<u8>> {
    bytes(name, &LINEAR_COLUMNS, linear_rows(r))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::fsutil::write_atomic(path, bytes).map_err(|e| Error::Write {
        path: path.to_path_buf(),
        err: e,
    })
}

/// Jira's header for rows with at most `labels` labels: `Labels` repeated.
pub fn jira_header(labels: usize) -> Vec<&'static str> {
    let mut h: Vec<&str> = JIRA_COLUMNS[..5].to_vec();
    h.extend(std::iter::repeat_n("Labels", labels.max(1)));
    h.push(JIRA_COLUMNS[6]);
    h
}

/// Rows for Jira's CSV importer (before neutralising), one `Labels` cell
/// per label, padded to the widest row.
pub fn jira_rows(r: &IncidentRecord) -> Vec<Vec<String>> {
    let width = r
        .action_items
        .iter()
        .map(|a| labels(r, a).len())
        .max()
        .unwrap_or(1);
    r.action_items
        .iter()
        .map(|a| {
            let mut row = vec![
                summary(a),
                description(r, a),
                assignee(r, a),
                a.due.map(|d| d.to_string()).unwrap_or_default(),
                a.priority.as_str().to_string(),
            ];
            let mut l = labels(r, a);
            l.resize(width, String::new());
            row.extend(l);
            row.push("Task".to_string());
            row
        })
        .collect()
}

/// Rows for Linear's CSV import (before neutralising).
pub fn linear_rows(r: &IncidentRecord) -> Vec<Vec<String>> {
    r.action_items
        .iter()
        .map(|a| {
            vec![
                summary(a),
                description(r, a),
                match a.priority {
                    Priority::High => "High",
                    Priority::Medium => "Medium",
                    Priority::Low => "Low",
                }
                .to_string(),
                assignee(r, a),
                a.due.map(|d| d.to_string()).unwrap_or_default(),
                labels(r, a).join(","),
                "Todo".to_string(),
            ]
        })
        .collect()
}

/// The settings Jira's CSV importer is told with the file: the date format
/// and which column is which (`actions-jira.config.json`).
pub fn jira_config() -> String {
    let cfg = serde_json::json!({
        "config.version": "2.0",
        "config.date.format": JIRA_DATE_FORMAT,
        "config.delimiter": ",",
        "config.encoding": "UTF-8",
        "config.field.mappings": {
            "Summary": { "jira.field": "summary" },
            "Description": { "jira.field": "description" },
            "Assignee": { "jira.field": "assignee" },
            "Due date": { "jira.field": "duedate" },
            "Priority": { "jira.field": "priority" },
            "Labels": { "jira.field": "labels" },
            "Issue Type": { "jira.field": "issuetype" }
        }
    });
    serde_json::to_string_pretty(&cfg).unwrap_or_default() + "\n"
}

/// Writes `actions-jira.csv` and, beside it, the importer's settings
/// (`actions-jira.config.json`).
pub fn write_jira(r: &IncidentRecord, path: &Path) -> Result<()> {
    write(path, &jira_csv(r, path)?)?;
    let cfg = path.with_extension("config.json");
    crate::fsutil::write_atomic(&cfg, jira_config().as_bytes()).map_err(|e| Error::Write {
        path: cfg.clone(),
        err: e,
    })
}

/// Writes `actions-linear.csv`.
pub fn write_linear(r: &IncidentRecord, path: &Path) -> Result<()> {
    write(path, &linear_csv(r, path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_others_kept() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+1 page the DBA"), "'+1 page the DBA");
        assert_eq!(neutralise("-rf"), "'-rf");
        assert_eq!(neutralise("@channel"), "'@channel");
        assert_eq!(neutralise("Rotate the key"), "Rotate the key");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn markers_round_trip_and_other_labels_are_not_markers() {
        let m = marker("INC-db-failover", "A3");
        assert_eq!(m, "hotwash-INC-db-failover-A3");
        assert_eq!(
            parse_marker(&m),
            Some(("INC-db-failover".to_string(), "A3".to_string()))
        );
        assert_eq!(parse_marker("postmortem"), None);
        assert_eq!(parse_marker("hotwash-"), None);
        assert_eq!(marker("inc 7/x", "A1"), "hotwash-inc_7_x-A1");
    }
}
