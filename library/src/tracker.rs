//! Status back from the trackers: `hotwash actions import jira.csv|linear.csv`
//! reads a Jira or Linear CSV export, finds each issue's action by the
//! marker label the hotwash export gave it (`hotwash-<incident>-<item>`),
//! moves the action forward where the tracker is ahead (never to verified:
//! that needs the verification evidence), and reports every drift between
//! the two ("done in Jira, not verified here").

use std::collections::HashMap;
use std::path::Path;

use hotwash_postmortem::render::csv::marker;
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::{now_utc, ActionRow, ActionStatus, Library};

/// The status vocabulary shipped with hotwash.
pub const BUILTIN_STATUSES: &str = include_str!("../data/tracker-statuses.toml");

/// Which tracker an export came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tracker {
    /// Jira (Issues → Export → CSV).
    Jira,
    /// Linear (Settings → Import/Export → Export CSV).
    Linear,
}

impl Tracker {
    /// Its name as shown.
    pub fn name(self) -> &'static str {
        match self {
            Tracker::Jira => "Jira",
            Tracker::Linear => "Linear",
        }
    }
}

/// What a tracker's status means here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrackerClass {
    /// Not started.
    Open,
    /// Being worked on.
    InProgress,
    /// Finished.
    Done,
    /// Dropped.
    Canceled,
    /// A status the vocabulary does not know.
    Unknown,
}

#[derive(Debug, Deserialize)]
struct Vocabulary {
    open: Vec<String>,
    #[serde(rename = "in-progress")]
    in_progress: Vec<String>,
    done: Vec<String>,
    canceled: Vec<String>,
}

fn key(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Maps tracker status names to [`TrackerClass`].
#[derive(Debug, Clone)]
pub struct StatusMap(HashMap<String, TrackerClass>);

impl StatusMap {
    /// The vocabulary shipped with hotwash (`data/tracker-statuses.toml`).
    pub fn builtin() -> Result<StatusMap> {
        let v: Vocabulary =
            toml::from_str(BUILTIN_STATUSES).map_err(|e| Error::Catalogue(e.to_string()))?;
        let mut m = HashMap::new();
        for (names, class) in [
            (&v.open, TrackerClass::Open),
            (&v.in_progress, TrackerClass::InProgress),
            (&v.done, TrackerClass::Done),
            (&v.canceled, TrackerClass::Canceled),
        ] {
            for n in names {
                m.insert(key(n), class);
            }
        }
        Ok(StatusMap(m))
    }

    /// What `status` means.
    pub fn class(&self, status: &str) -> TrackerClass {
        self.0
            .get(&key(status))
            .copied()
            .unwrap_or(TrackerClass::Unknown)
    }
}

/// One issue of a tracker export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerIssue {
    /// Its key (`OPS-123`, `ENG-45`).
    pub key: String,
    /// Its status as the tracker names it.
    pub status: String,
    /// Its labels.
    pub labels: Vec<String>,
}

/// Reads a Jira or Linear CSV export (told apart by their columns).
pub fn read_export(path: &Path) -> Result<(Tracker, Vec<TrackerIssue>)> {
    let bytes = std::fs::read(path).map_err(|err| Error::Read {
        path: path.to_path_buf(),
        err,
    })?;
    let bad = |reason: String| Error::TrackerExport {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(bad("empty file".into()));
    }
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.as_slice());
    let header: Vec<String> = rd
        .headers()
        .map_err(|e| bad(e.to_string()))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let col = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let labels: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| h.eq_ignore_ascii_case("labels"))
        .map(|(i, _)| i)
        .collect();
    let status = col("Status").ok_or_else(|| bad("no Status column".into()))?;
    if labels.is_empty() {
        return Err(bad(
            "no Labels column; export with the Labels field so the hotwash markers come back"
                .into(),
        ));
    }
    let (tracker, key_col) = if let Some(k) = col("Issue key") {
        (Tracker::Jira, k)
    } else if let (Some(k), Some(_)) = (col("ID"), col("Title")) {
        (Tracker::Linear, k)
    } else {
        return Err(bad(
            "neither a Jira export (no \"Issue key\" column) nor a Linear one (no \"ID\" and \"Title\")"
                .into(),
        ));
    };
    let mut out = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let rec = rec.map_err(|e| bad(format!("row {}: {e}", i + 2)))?;
        let cell = |c: usize| rec.get(c).unwrap_or("").trim().to_string();
        let mut ls: Vec<String> = Vec::new();
        for &c in &labels {
            let v = cell(c);
            let parts: Vec<&str> = match tracker {
                Tracker::Jira => v.split_whitespace().collect(),
                Tracker::Linear => v.split(',').collect(),
            };
            ls.extend(
                parts
                    .into_iter()
                    .map(|p| p.trim().trim_start_matches('\'').to_string())
                    .filter(|p| !p.is_empty()),
            );
        }
        out.push(TrackerIssue {
            key: cell(key_col),
            status: cell(status),
            labels: ls,
        });
    }
    Ok((tracker, out))
}

/// An action whose status the import changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Moved {
    /// The action.
    pub action: String,
    /// The tracker issue.
    pub key: String,
    /// Before.
    pub from: ActionStatus,
    /// After.
    pub to: ActionStatus,
}

/// A difference between the tracker and the library the import did not
/// settle, and what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    /// The action.
    pub action: String,
    /// The tracker issue.
    pub key: String,
    /// The tracker's status.
    pub tracker_status: String,
    /// The status here (after the import).
    pub here: ActionStatus,
    /// What it means.
    pub note: String,
}

/// What `import_tracker` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackerReport {
    /// The tracker.
    pub tracker: Tracker,
    /// Issues read.
    pub issues: usize,
    /// Issues tied to an action here.
    pub matched: usize,
    /// Actions moved forward.
    pub moved: Vec<Moved>,
    /// Differences left for a person.
    pub drift: Vec<Drift>,
    /// Issues with a hotwash marker naming no action here.
    pub unknown_markers: Vec<String>,
}

impl Library {
    /// Reads a tracker export and brings the actions it marks up to date, in
    /// one transaction; see the module's notes for the rules.
    pub fn import_tracker(&mut self, path: &Path, who: &str) -> Result<TrackerReport> {
        let (tracker, issues) = read_export(path)?;
        let map = StatusMap::builtin()?;
        let all: Vec<ActionRow> = {
            let sql = format!("SELECT {} FROM actions", crate::ACTION_COLUMNS);
            self.query_actions(&sql, Vec::new())?
        };
        let by_marker: HashMap<String, &ActionRow> = all
            .iter()
            .map(|a| (marker(&a.incident_id, &a.item), a))
            .collect();
        let mut report = TrackerReport {
            tracker,
            issues: issues.len(),
            matched: 0,
            moved: Vec::new(),
            drift: Vec::new(),
            unknown_markers: Vec::new(),
        };
        let name = tracker.name();
        let now = now_utc();
        let db = self.path.clone();
        let e = |err| crate::classify(&db, err);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        for issue in &issues {
            let markers: Vec<&String> = issue
                .labels
                .iter()
                .filter(|l| l.starts_with("hotwash-"))
                .collect();
            for m in markers {
                let Some(a) = by_marker.get(m.as_str()) else {
                    report.unknown_markers.push(format!("{} ({m})", issue.key));
                    continue;
                };
                report.matched += 1;
                let here: String = tx
                    .query_row("SELECT status FROM actions WHERE id = ?", [&a.id], |r| {
                        r.get(0)
                    })
                    .map_err(e)?;
                let here: ActionStatus = here.parse().unwrap_or(ActionStatus::Open);
                tx.execute(
                    "UPDATE actions SET tracker = ?, tracker_key = ?, tracker_status = ?, tracker_utc = ? WHERE id = ?",
                    params![name.to_lowercase(), issue.key, issue.status, now, a.id],
                )
                .map_err(e)?;
                let class = map.class(&issue.status);
                let target = match (class, here) {
                    (TrackerClass::Done, ActionStatus::Open | ActionStatus::InProgress) => {
                        Some(ActionStatus::Done)
                    }
                    (TrackerClass::InProgress, ActionStatus::Open) => {
                        Some(ActionStatus::InProgress)
                    }
                    _ => None,
                };
                let mut now_here = here;
                if let Some(to) = target {
                    if here.check(to).is_ok() {
                        tx.execute(
                            "UPDATE actions SET status = ?, updated_utc = ? WHERE id = ?",
                            params![to.as_str(), now, a.id],
                        )
                        .map_err(e)?;
                        tx.execute(
                            "INSERT INTO action_history (action_id, from_status, to_status, who, at_utc, note) VALUES (?, ?, ?, ?, ?, ?)",
                            params![
                                a.id,
                                here.as_str(),
                                to.as_str(),
                                who,
                                now,
                                format!("{} in {name} ({})", issue.status, issue.key)
                            ],
                        )
                        .map_err(e)?;
                        report.moved.push(Moved {
                            action: a.id.clone(),
                            key: issue.key.clone(),
                            from: here,
                            to,
                        });
                        now_here = to;
                    }
                }
                let note = match (class, now_here) {
                    (TrackerClass::Done, ActionStatus::Done) => Some(format!(
                        "{} in {name}, not verified here: once the verification plan is met, `hotwash actions set {} verified --evidence …`",
                        issue.status, a.id
                    )),
                    (TrackerClass::Open | TrackerClass::InProgress, ActionStatus::Done | ActionStatus::Verified) => Some(format!(
                        "{} in {name} but {now_here} here: reopened there, or closed here too early",
                        issue.status
                    )),
                    (TrackerClass::Canceled, s) if s != ActionStatus::WontDo => Some(format!(
                        "{} in {name} but {s} here: if it is dropped, `hotwash actions set {} wont-do --reason …`",
                        issue.status, a.id
                    )),
                    (TrackerClass::Open, ActionStatus::InProgress) => Some(format!(
                        "{} in {name} but in progress here",
                        issue.status
                    )),
                    (TrackerClass::Open | TrackerClass::InProgress | TrackerClass::Done, ActionStatus::WontDo) => Some(format!(
                        "{} in {name} but declined here",
                        issue.status
                    )),
                    (TrackerClass::Unknown, _) => Some(format!(
                        "{name} status {:?} is not in hotwash's vocabulary (data/tracker-statuses.toml); left as {now_here}",
                        issue.status
                    )),
                    _ => None,
                };
                if let Some(note) = note {
                    report.drift.push(Drift {
                        action: a.id.clone(),
                        key: issue.key.clone(),
                        tracker_status: issue.status.clone(),
                        here: now_here,
                        note,
                    });
                }
            }
        }
        tx.commit().map_err(e)?;
        self.writes.set(self.writes.get() + 1);
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_map_across_trackers() {
        let m = StatusMap::builtin().unwrap();
        assert_eq!(m.class("Done"), TrackerClass::Done);
        assert_eq!(m.class("In Progress"), TrackerClass::InProgress);
        assert_eq!(m.class("To Do"), TrackerClass::Open);
        assert_eq!(m.class("Todo"), TrackerClass::Open);
        assert_eq!(m.class("Won't Do"), TrackerClass::Canceled);
        assert_eq!(m.class("Canceled"), TrackerClass::Canceled);
        assert_eq!(m.class("Parked upstairs"), TrackerClass::Unknown);
    }
}
