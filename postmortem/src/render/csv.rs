//! Action-item exports: Jira's CSV importer columns and Linear's, one item a
//! row, each with its verification plan and a link back to the incident.

use std::path::Path;

use crate::error::{Error, Result};
use crate::record::{ActionItem, IncidentRecord, Priority};

/// Jira CSV columns, in order.
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
        r.incident.id.clone(),
        a.category.as_str().to_string(),
    ];
    if a.vague {
        l.push("needs-triage".into());
    }
    l
}

fn bytes(path: &Path, header: [&str; 7], rows: Vec<[String; 7]>) -> Result<Vec<u8>> {
    let err = |reason: String| Error::Csv {
        path: path.to_path_buf(),
        reason,
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(|e| err(e.to_string()))?;
    for r in rows {
        w.write_record(&r).map_err(|e| err(e.to_string()))?;
    }
    w.into_inner().map_err(|e| err(e.to_string()))
}

/// The Jira CSV as bytes (`name` only labels errors).
pub fn jira_csv(r: &IncidentRecord, name: &Path) -> Result<Vec<u8>> {
    bytes(name, JIRA_COLUMNS, jira_rows(r))
}

/// The Linear CSV as bytes (`name` only labels errors).
pub fn linear_csv(r: &IncidentRecord, name: &Path) -> Result<Vec<u8>> {
    bytes(name, LINEAR_COLUMNS, linear_rows(r))
}

fn write(path: &Path, header: [&str; 7], rows: Vec<[String; 7]>) -> Result<()> {
    let bytes = bytes(path, header, rows)?;
    crate::fsutil::write_atomic(path, &bytes).map_err(|e| Error::Write {
        path: path.to_path_buf(),
        err: e,
    })
}

/// Rows for Jira's CSV importer.
pub fn jira_rows(r: &IncidentRecord) -> Vec<[String; 7]> {
    r.action_items
        .iter()
        .map(|a| {
            [
                summary(a),
                description(r, a),
                a.owner.clone().unwrap_or_default(),
                a.due.map(|d| d.to_string()).unwrap_or_default(),
                a.priority.as_str().to_string(),
                labels(r, a).join(" "),
                "Task".to_string(),
            ]
        })
        .collect()
}

/// Rows for Linear's CSV import.
pub fn linear_rows(r: &IncidentRecord) -> Vec<[String; 7]> {
    r.action_items
        .iter()
        .map(|a| {
            [
                summary(a),
                description(r, a),
                match a.priority {
                    Priority::High => "High",
                    Priority::Medium => "Medium",
                    Priority::Low => "Low",
                }
                .to_string(),
                a.owner.clone().unwrap_or_default(),
                a.due.map(|d| d.to_string()).unwrap_or_default(),
                labels(r, a).join(","),
                "Todo".to_string(),
            ]
        })
        .collect()
}

/// Writes `actions-jira.csv`.
pub fn write_jira(r: &IncidentRecord, path: &Path) -> Result<()> {
    write(path, JIRA_COLUMNS, jira_rows(r))
}

/// Writes `actions-linear.csv`.
pub fn write_linear(r: &IncidentRecord, path: &Path) -> Result<()> {
    write(path, LINEAR_COLUMNS, linear_rows(r))
}
