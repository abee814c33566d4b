//! `export`/`import`: the whole library as JSON Lines. The first line is a
//! header (`{"type":"library","schema":"hotwash.library-export/1",...}`);
//! every other line is one incident with everything stored about it: the
//! record, its directory, artifacts with checksums, tags (removed ones too),
//! and its action items with their statuses and history. What is derived
//! from the record (search text, mitigations, services) is rebuilt on
//! import, so exporting an imported library gives the same lines.

use std::io::{BufRead, Write};
use std::path::Path;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ingest::{self, Artifact};
use crate::similar::{record_signatures, write_derived, StoredVector};
use crate::{classify, write_incident, ActionRow, HistoryRow, IncidentWrite, Library, TagRow};

/// The export format's schema tag.
pub const EXPORT_SCHEMA: &str = "hotwash.library-export/1";

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Line {
    Library {
        schema: String,
        version: i64,
        incidents: usize,
    },
    Incident(Box<IncidentLine>),
}

#[derive(Serialize, Deserialize)]
struct IncidentLine {
    id: String,
    dir: String,
    added_utc: String,
    updated_utc: String,
    record: serde_json::Value,
    artifacts: Vec<Artifact>,
    tags: Vec<TagRow>,
    actions: Vec<ActionLine>,
    /// Sentence embeddings as stored (absent in files of older libraries).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    vectors: Vec<StoredVector>,
    /// Close-out state (runbook, follow-up review), when any was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    closeout: Option<crate::closeout::CloseoutRow>,
}

#[derive(Serialize, Deserialize)]
struct ActionLine {
    #[serde(flatten)]
    action: ActionRow,
    history: Vec<HistoryRow>,
}

fn all_actions(lib: &Library, id: &str) -> Result<Vec<ActionRow>> {
    let mut st = lib
        .conn
        .prepare(&format!(
            "SELECT {} FROM actions WHERE incident_id = ? ORDER BY id",
            crate::ACTION_COLUMNS
        ))
        .map_err(lib.err())?;
    let rows = st
        .query_map([id], crate::action_from_row)
        .map_err(lib.err())?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(lib.err())
}

pub(crate) fn export(lib: &Library, out: &mut dyn Write) -> Result<usize> {
    let ids: Vec<String> = {
        let mut st = lib
            .conn
            .prepare("SELECT id FROM incidents ORDER BY id")
            .map_err(lib.err())?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(lib.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(lib.err())?
    };
    let write = |out: &mut dyn Write, line: &Line| -> Result<()> {
        let mut s = serde_json::to_string(line).map_err(|e| Error::Usage(e.to_string()))?;
        s.push('\n');
        out.write_all(s.as_bytes()).map_err(|err| Error::Write {
            path: "export".into(),
            err,
        })
    };
    write(
        out,
        &Line::Library {
            schema: EXPORT_SCHEMA.to_string(),
            version: lib.schema_version()?,
            incidents: ids.len(),
        },
    )?;
    for id in &ids {
        let (dir, added_utc, updated_utc, json): (String, String, String, String) = lib
            .conn
            .query_row(
                "SELECT dir, added_utc, updated_utc, record_json FROM incidents WHERE id = ?",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .map_err(lib.err())?;
        let record: serde_json::Value =
            serde_json::from_str(&json).map_err(|e| Error::BadRecord {
                reason: format!("{}: stored record of {id}: {e}", lib.path.display()),
            })?;
        let mut actions = Vec::new();
        for a in all_actions(lib, id)? {
            let history = lib.history(&a.id)?;
            actions.push(ActionLine { action: a, history });
        }
        let line = IncidentLine {
            id: id.clone(),
            dir,
            added_utc,
            updated_utc,
            record,
            artifacts: lib.artifacts(id)?,
            tags: lib.tags(id)?,
            actions,
            vectors: lib.vectors_of(id)?,
            closeout: lib.closeout_row(id)?,
        };
        write(out, &Line::Incident(Box::new(line)))?;
    }
    out.flush().map_err(|err| Error::Write {
        path: "export".into(),
        err,
    })?;
    Ok(ids.len())
}

pub(crate) fn import(lib: &mut Library, input: &mut dyn BufRead, name: &Path) -> Result<usize> {
    let bad = |line: usize, reason: String| Error::Import {
        path: name.to_path_buf(),
        line,
        reason,
    };
    let mut incidents: Vec<(usize, IncidentLine)> = Vec::new();
    let mut header = false;
    for (i, line) in input.lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|err| Error::Read {
            path: name.to_path_buf(),
            err,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(&line).map_err(|e| bad(n, e.to_string()))?;
        match parsed {
            Line::Library { schema, .. } => {
                if schema != EXPORT_SCHEMA {
                    return Err(bad(n, format!("schema is {schema:?}, not {EXPORT_SCHEMA}")));
                }
                header = true;
            }
            Line::Incident(inc) => {
                if !header {
                    return Err(bad(n, "an incident before the header line".into()));
                }
                incidents.push((n, *inc));
            }
        }
    }
    if !header {
        return Err(bad(1, "no header line".into()));
    }
    let path = lib.path.clone();
    let e = |err| classify(&path, err);
    let tx = lib
        .conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(e)?;
    for (n, inc) in &incidents {
        let json = inc.record.to_string();
        let record = ingest::parse_record(&json).map_err(|r| bad(*n, r))?;
        if record.incident.id != inc.id {
            return Err(bad(
                *n,
                format!(
                    "the record's id is {:?}, the line's {:?}",
                    record.incident.id, inc.id
                ),
            ));
        }
        // Replace whatever the library had under this id.
        tx.execute(
            "DELETE FROM incident_fts WHERE rowid = (SELECT rowid FROM incidents WHERE id = ?)",
            [&inc.id],
        )
        .map_err(e)?;
        tx.execute("DELETE FROM incidents WHERE id = ?", [&inc.id])
            .map_err(e)?;
        write_incident(
            &tx,
            &IncidentWrite {
                record: &record,
                record_json: &json,
                dir: &inc.dir,
                added_utc: &inc.added_utc,
                updated_utc: &inc.updated_utc,
                artifacts: &inc.artifacts,
            },
        )
        .map_err(e)?;
        write_derived(
            &tx,
            &inc.id,
            &record_signatures(&lib.signatures, &record),
            Some(&inc.vectors),
        )
        .map_err(e)?;
        if let Some(c) = &inc.closeout {
            crate::closeout::write_row(&tx, &inc.id, c).map_err(e)?;
        }
        for t in &inc.tags {
            tx.execute(
                "INSERT INTO tags (incident_id, tag, source, triggers, removed) VALUES (?, ?, ?, ?, ?)",
                params![
                    inc.id,
                    t.tag,
                    t.source,
                    serde_json::to_string(&t.triggers).unwrap_or_default(),
                    t.removed
                ],
            )
            .map_err(e)?;
        }
        for al in &inc.actions {
            let a = &al.action;
            if a.incident_id != inc.id {
                return Err(bad(
                    *n,
                    format!(
                        "action {} belongs to {}, not {}",
                        a.id, a.incident_id, inc.id
                    ),
                ));
            }
            tx.execute(
                "INSERT INTO actions (id, incident_id, item, action, owner, due, priority, category, verification, status, evidence, reason, in_record, updated_utc, tracker, tracker_key, tracker_status, tracker_utc)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    a.id,
                    a.incident_id,
                    a.item,
                    a.action,
                    a.owner,
                    a.due.map(|d| d.to_string()),
                    a.priority,
                    a.category,
                    a.verification,
                    a.status.as_str(),
                    a.evidence,
                    a.reason,
                    a.in_record,
                    a.updated_utc,
                    a.tracker.as_ref().map(|t| t.tracker.as_str()),
                    a.tracker.as_ref().map(|t| t.key.as_str()),
                    a.tracker.as_ref().map(|t| t.status.as_str()),
                    a.tracker.as_ref().map(|t| t.seen_utc.as_str())
                ],
            )
            .map_err(e)?;
            for h in &al.history {
                tx.execute(
                    "INSERT INTO action_history (action_id, from_status, to_status, who, at_utc, note) VALUES (?, ?, ?, ?, ?, ?)",
                    params![
                        a.id,
                        h.from.map(|s| s.as_str()),
                        h.to.as_str(),
                        h.who,
                        h.at_utc,
                        h.note
                    ],
                )
                .map_err(e)?;
            }
        }
    }
    tx.commit().map_err(e)?;
    lib.writes.set(lib.writes.get() + 1);
    Ok(incidents.len())
}
