//! Reading an incident directory (what `hotwash postmortem -o DIR` wrote)
//! into what the library stores: the record, its artifacts with their
//! sha256, and the text the search indexes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hotwash_postmortem::record::{EventKind, IncidentRecord};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The record's file name inside an incident directory.
pub const RECORD_FILE: &str = "incident.json";
/// The manifest `hotwash postmortem` writes beside the record.
pub const MANIFEST_FILE: &str = ".hotwash-manifest.json";
/// The renderings `hotwash postmortem` writes, stored as artifacts when present.
pub const RENDERED: &[&str] = &[
    RECORD_FILE,
    "postmortem.md",
    "brief-exec.md",
    "brief-engineering.md",
    "brief-support.md",
    "actions-jira.csv",
    "actions-jira.config.json",
    "actions-linear.csv",
];

/// One file of an incident directory, as the library last saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// File name inside the incident directory.
    pub name: String,
    /// Absolute path.
    pub path: String,
    /// sha256 of its bytes, hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// An incident directory read and ready to store.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The record.
    pub record: IncidentRecord,
    /// The record as canonical JSON (what is stored and exported).
    pub record_json: String,
    /// The directory, absolute.
    pub dir: PathBuf,
    /// Its files with their checksums.
    pub artifacts: Vec<Artifact>,
    /// Notes for the user (files the manifest lists that are gone...).
    pub warnings: Vec<String>,
}

#[derive(Deserialize)]
struct ManifestFiles {
    #[serde(default)]
    files: std::collections::BTreeMap<String, String>,
}

/// The sha256 (hex) and size of a file.
pub fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let bytes = std::fs::read(path).map_err(|err| Error::Read {
        path: path.to_path_buf(),
        err,
    })?;
    Ok((format!("{:x}", Sha256::digest(&bytes)), bytes.len() as u64))
}

/// A plain file name (no directories, not `.`/`..`).
fn plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\\')
}

/// Reads an incident directory (or its `incident.json`).
pub fn prepare(input: &Path) -> Result<Prepared> {
    if !input.exists() {
        return Err(Error::NoSuchDir {
            path: input.to_path_buf(),
        });
    }
    let dir = if input.is_file() && input.file_name().is_some_and(|n| n == RECORD_FILE) {
        input.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else if input.is_dir() {
        input.to_path_buf()
    } else {
        return Err(Error::NotADir {
            path: input.to_path_buf(),
        });
    };
    let dir = std::fs::canonicalize(&dir).map_err(|err| Error::Read {
        path: dir.clone(),
        err,
    })?;
    let record_path = dir.join(RECORD_FILE);
    if !record_path.is_file() {
        return Err(Error::NoRecord { path: dir });
    }
    let record = hotwash_postmortem::read_record(&record_path).map_err(|e| Error::BadRecord {
        reason: e.to_string(),
    })?;
    let record_json = canonical_record_json(&record_path)?;
    let mut warnings = Vec::new();
    if record.incident.id.trim().is_empty() {
        return Err(Error::BadRecord {
            reason: format!("{}: the incident has no id", record_path.display()),
        });
    }
    let mut names: BTreeSet<String> = RENDERED
        .iter()
        .filter(|n| dir.join(n).is_file())
        .map(|n| n.to_string())
        .collect();
    let manifest = dir.join(MANIFEST_FILE);
    if manifest.is_file() {
        let text = std::fs::read_to_string(&manifest).map_err(|err| Error::Read {
            path: manifest.clone(),
            err,
        })?;
        match serde_json::from_str::<ManifestFiles>(&text) {
            Ok(m) => {
                for name in m.files.keys() {
                    if !plain_name(name) {
                        continue;
                    }
                    if dir.join(name).is_file() {
                        names.insert(name.clone());
                    } else {
                        warnings.push(format!(
                            "{}: listed in {MANIFEST_FILE} but missing; not stored",
                            dir.join(name).display()
                        ));
                    }
                }
                names.insert(MANIFEST_FILE.to_string());
            }
            Err(e) => warnings.push(format!(
                "{}: unreadable manifest ({e}); storing the standard files only",
                manifest.display()
            )),
        }
    }
    let mut artifacts = Vec::new();
    for name in names {
        let path = dir.join(&name);
        let (sha256, bytes) = sha256_file(&path)?;
        artifacts.push(Artifact {
            name,
            path: path.display().to_string(),
            sha256,
            bytes,
        });
    }
    Ok(Prepared {
        record,
        record_json,
        dir,
        artifacts,
        warnings,
    })
}

/// The record file's JSON, re-serialised compactly (the stored form).
fn canonical_record_json(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|err| Error::Read {
        path: path.to_path_buf(),
        err,
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::BadRecord {
        reason: format!("{}: {e}", path.display()),
    })?;
    Ok(v.to_string())
}

/// Parses stored or imported record JSON.
pub fn parse_record(json: &str) -> std::result::Result<IncidentRecord, String> {
    hotwash_postmortem::record::parse_record(json).map_err(|e| format!("record {e}"))
}

/// The text the search indexes, one field per FTS column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchText {
    /// The incident's title.
    pub title: String,
    /// Detection and triage events, impact statements, alerts.
    pub symptoms: String,
    /// Every timeline event, and the evidence other than alerts.
    pub timeline: String,
    /// Root-cause analysis and hypotheses.
    pub rca: String,
    /// Decisions with rationale and alternatives.
    pub decisions: String,
    /// Mitigations and their results.
    pub mitigations: String,
    /// Action items and their verification plans.
    pub actions: String,
    /// The whole call, one utterance a line.
    pub transcript: String,
}

impl SearchText {
    /// Everything but the transcript, for tag suggestion.
    pub fn extracted(&self) -> String {
        [
            &self.title,
            &self.symptoms,
            &self.timeline,
            &self.rca,
            &self.decisions,
            &self.mitigations,
            &self.actions,
        ]
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("\n")
    }
}

fn push(out: &mut String, s: &str) {
    let s = s.trim();
    if !s.is_empty() {
        out.push_str(s);
        out.push('\n');
    }
}

/// The transcript text of a record: `speaker: text` a line.
pub fn transcript_text(r: &IncidentRecord) -> String {
    let mut out = String::new();
    for u in &r.utterances {
        match &u.speaker {
            Some(s) => out.push_str(&format!("{s}: {}\n", u.text.trim())),
            None => push(&mut out, &u.text),
        }
    }
    out
}

/// The search fields of a record.
pub fn search_text(r: &IncidentRecord) -> SearchText {
    let mut t = SearchText {
        title: r.incident.title.clone(),
        transcript: transcript_text(r),
        ..SearchText::default()
    };
    for e in &r.timeline {
        push(&mut t.timeline, &e.event);
        if matches!(
            e.kind,
            EventKind::Detection | EventKind::Triage | EventKind::Declaration
        ) {
            push(&mut t.symptoms, &e.event);
        }
    }
    for s in [&r.impact.technical, &r.impact.customer, &r.impact.business]
        .into_iter()
        .flatten()
    {
        push(&mut t.symptoms, s);
    }
    for n in &r.impact.numbers {
        push(&mut t.symptoms, &n.said);
    }
    // Alerts are symptoms; every other piece of evidence (deploy ids,
    // tickets, flags, releases) goes with the timeline, so an exact id said
    // on the call finds its incident.
    for e in &r.evidence {
        let field = if e.kind == hotwash_postmortem::record::EvidenceKind::Alert {
            &mut t.symptoms
        } else {
            &mut t.timeline
        };
        push(field, &e.value);
        push(field, &e.said);
    }
    for s in &r.incident.systems {
        push(&mut t.symptoms, s);
    }
    let rca = &r.rca;
    for f in [
        &rca.trigger,
        &rca.detection_gap,
        &rca.mitigation_gap,
        &rca.prevention_gap,
    ]
    .into_iter()
    .flatten()
    .chain(rca.contributing_factors.iter())
    .chain(rca.unconfirmed.iter())
    {
        push(&mut t.rca, &f.text);
    }
    for h in &r.hypotheses {
        push(&mut t.rca, &h.text);
        if let Some(s) = &h.settled_text {
            push(&mut t.rca, s);
        }
    }
    for d in &r.decisions {
        push(&mut t.decisions, &d.decision);
        if let Some(s) = &d.rationale {
            push(&mut t.decisions, s);
        }
        for a in &d.alternatives {
            push(&mut t.decisions, a);
        }
    }
    for m in &r.mitigations {
        push(&mut t.mitigations, &m.what);
        if let Some(s) = &m.result {
            push(&mut t.mitigations, s);
        }
    }
    for a in &r.action_items {
        push(&mut t.actions, &a.action);
        if let Some(s) = &a.verification {
            push(&mut t.actions, s);
        }
    }
    t
}
