//! Close-out: an incident is closed when its prevention work is verified,
//! not when its postmortem is written. Four criteria, each met or not with
//! what is missing:
//! 1. **Top prevention actions shipped**: every high-priority prevention
//!    action (every prevention action when none is high) is done or verified.
//! 2. **Verification complete**: every action is verified or declined with a
//!    reason.
//! 3. **Runbook updated**: a link or note recorded with `--runbook`.
//! 4. **Follow-up review done**: the review ("did these actions prevent a
//!    recurrence?") held and noted; its date comes from the record (said on
//!    the call) or `--review-on`, and `reviews_due` lists it when due.

use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::{now_utc, ActionFilter, ActionRow, ActionStatus, IncidentSummary, Library};

/// What is stored of an incident's close-out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseoutRow {
    /// Where the runbook change is (a link or a note).
    pub runbook: Option<String>,
    /// Who recorded it.
    pub runbook_by: Option<String>,
    /// When.
    pub runbook_utc: Option<String>,
    /// When the follow-up review is due (`YYYY-MM-DD`).
    pub review_due: Option<NaiveDate>,
    /// When it was recorded as held.
    pub review_done_utc: Option<String>,
    /// Who recorded it.
    pub review_by: Option<String>,
    /// What the review concluded.
    pub review_note: Option<String>,
}

/// One criterion of the close-out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Criterion {
    /// Its name.
    pub name: &'static str,
    /// Whether it is met.
    pub met: bool,
    /// What meets it, or what is missing.
    pub detail: String,
}

/// Where an incident's close-out stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Closeout {
    /// The incident.
    pub incident: IncidentSummary,
    /// The four criteria, in order.
    pub criteria: Vec<Criterion>,
    /// What is stored.
    pub row: CloseoutRow,
}

impl Closeout {
    /// True when every criterion is met.
    pub fn closed(&self) -> bool {
        self.criteria.iter().all(|c| c.met)
    }
}

/// A change to an incident's close-out.
#[derive(Debug, Clone, Default)]
pub struct CloseoutUpdate {
    /// Record the runbook change (link or note).
    pub runbook: Option<String>,
    /// Set the follow-up review's date.
    pub review_on: Option<NaiveDate>,
    /// Record the follow-up review as held, with its conclusion.
    pub review_done: Option<String>,
}

/// A follow-up review that is due.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewDue {
    /// The incident.
    pub incident: IncidentSummary,
    /// When it is due.
    pub due: NaiveDate,
}

pub(crate) fn write_row(tx: &Transaction<'_>, id: &str, c: &CloseoutRow) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO closeouts (incident_id, runbook, runbook_by, runbook_utc, review_due, review_done_utc, review_by, review_note)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(incident_id) DO UPDATE SET runbook = excluded.runbook, runbook_by = excluded.runbook_by,
           runbook_utc = excluded.runbook_utc, review_due = excluded.review_due,
           review_done_utc = excluded.review_done_utc, review_by = excluded.review_by,
           review_note = excluded.review_note",
        params![
            id,
            c.runbook,
            c.runbook_by,
            c.runbook_utc,
            c.review_due.map(|d| d.to_string()),
            c.review_done_utc,
            c.review_by,
            c.review_note
        ],
    )?;
    Ok(())
}

fn pending(a: &ActionRow) -> bool {
    !matches!(a.status, ActionStatus::Done | ActionStatus::Verified)
}

fn list(actions: &[&ActionRow]) -> String {
    actions
        .iter()
        .map(|a| format!("{} ({})", a.id, a.status))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The four criteria over an incident's actions and stored close-out.
pub(crate) fn criteria(actions: &[ActionRow], row: &CloseoutRow) -> Vec<Criterion> {
    let live: Vec<&ActionRow> = actions
        .iter()
        .filter(|a| a.status != ActionStatus::WontDo)
        .collect();
    let prevention: Vec<&ActionRow> = live
        .iter()
        .copied()
        .filter(|a| a.category == "prevention")
        .collect();
    let high: Vec<&ActionRow> = prevention
        .iter()
        .copied()
        .filter(|a| a.priority.eq_ignore_ascii_case("high"))
        .collect();
    let top = if high.is_empty() { prevention } else { high };
    let shipped = if top.is_empty() {
        Criterion {
            name: "top prevention actions shipped",
            met: false,
            detail: "no prevention action is tracked; add one to the record (or decide none is needed and say why in the review)".into(),
        }
    } else {
        let missing: Vec<&ActionRow> = top.iter().copied().filter(|a| pending(a)).collect();
        Criterion {
            name: "top prevention actions shipped",
            met: missing.is_empty(),
            detail: if missing.is_empty() {
                format!("{} shipped", list(&top))
            } else {
                format!("not shipped: {}", list(&missing))
            },
        }
    };
    let unverified: Vec<&ActionRow> = live
        .iter()
        .copied()
        .filter(|a| a.status != ActionStatus::Verified)
        .collect();
    let verification = Criterion {
        name: "verification complete",
        met: unverified.is_empty() && !actions.is_empty(),
        detail: if actions.is_empty() {
            "no action is tracked".into()
        } else if unverified.is_empty() {
            format!(
                "{} actions verified or declined with a reason",
                actions.len()
            )
        } else {
            format!("not verified: {}", list(&unverified))
        },
    };
    let runbook = Criterion {
        name: "runbook updated",
        met: row.runbook.is_some(),
        detail: match &row.runbook {
            Some(r) => format!(
                "{r} (by {}, {})",
                row.runbook_by.as_deref().unwrap_or("?"),
                row.runbook_utc.as_deref().unwrap_or("?")
            ),
            None => "not recorded: `hotwash closeout ID --runbook LINK-OR-NOTE`".into(),
        },
    };
    let review = Criterion {
        name: "follow-up review done",
        met: row.review_done_utc.is_some(),
        detail: match (&row.review_done_utc, row.review_due) {
            (Some(at), _) => format!(
                "held {at} (by {}): {}",
                row.review_by.as_deref().unwrap_or("?"),
                row.review_note.as_deref().unwrap_or("")
            ),
            (None, Some(d)) => {
                format!("due {d}; once held: `hotwash closeout ID --review-done \"what it found\"`")
            }
            (None, None) => "no date set: `hotwash closeout ID --review-on YYYY-MM-DD`".into(),
        },
    };
    vec![shipped, verification, runbook, review]
}

impl Library {
    /// The stored close-out of an incident, when anything was recorded.
    pub(crate) fn closeout_row(&self, id: &str) -> Result<Option<CloseoutRow>> {
        self.conn
            .query_row(
                "SELECT runbook, runbook_by, runbook_utc, review_due, review_done_utc, review_by, review_note
                 FROM closeouts WHERE incident_id = ?",
                [id],
                |r| {
                    let due: Option<String> = r.get(3)?;
                    Ok(CloseoutRow {
                        runbook: r.get(0)?,
                        runbook_by: r.get(1)?,
                        runbook_utc: r.get(2)?,
                        review_due: due.and_then(|d| d.parse().ok()),
                        review_done_utc: r.get(4)?,
                        review_by: r.get(5)?,
                        review_note: r.get(6)?,
                    })
                },
            )
            .optional()
            .map_err(self.err())
    }

    /// The follow-up review date: stored, else the one in the record.
    fn review_date(&self, id: &str, row: &CloseoutRow) -> Result<Option<NaiveDate>> {
        if row.review_due.is_some() {
            return Ok(row.review_due);
        }
        // A record that no longer parses has no date to offer; `check` and
        // `show` report it.
        Ok(self
            .stored_record(id)
            .ok()
            .and_then(|r| r.incident.review_date))
    }

    /// Where the close-out of `id` stands.
    pub fn closeout(&self, id: &str) -> Result<Closeout> {
        let incident = self.summary(id)?;
        let mut row = self.closeout_row(id)?.unwrap_or_default();
        row.review_due = self.review_date(id, &row)?;
        let actions = self.actions(&ActionFilter {
            incident: Some(id.to_string()),
            ..ActionFilter::default()
        })?;
        Ok(Closeout {
            criteria: criteria(&actions, &row),
            incident,
            row,
        })
    }

    /// Records a runbook change, a review date or a held review, in one
    /// transaction; returns the close-out after.
    pub fn update_closeout(&mut self, id: &str, u: &CloseoutUpdate, who: &str) -> Result<Closeout> {
        self.require_incident(id)?;
        let clean = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let (runbook, done) = (clean(&u.runbook), clean(&u.review_done));
        if u.runbook.is_some() && runbook.is_none() {
            return Err(Error::Usage(format!(
                "{id}: --runbook needs the link or a note saying what changed"
            )));
        }
        if u.review_done.is_some() && done.is_none() {
            return Err(Error::Usage(format!(
                "{id}: --review-done needs what the review found"
            )));
        }
        let mut row = self.closeout_row(id)?.unwrap_or_default();
        let now = now_utc();
        if let Some(r) = runbook {
            row.runbook = Some(r);
            row.runbook_by = Some(who.to_string());
            row.runbook_utc = Some(now.clone());
        }
        if let Some(d) = u.review_on {
            row.review_due = Some(d);
        }
        if let Some(n) = done {
            row.review_note = Some(n);
            row.review_by = Some(who.to_string());
            row.review_done_utc = Some(now);
        }
        let path = self.path.clone();
        let e = |err| crate::classify(&path, err);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        write_row(&tx, id, &row).map_err(e)?;
        tx.commit().map_err(e)?;
        self.writes.set(self.writes.get() + 1);
        self.closeout(id)
    }

    /// Follow-up reviews not yet held and due on or before `until`, the
    /// oldest first (dates stored with `--review-on`, else said on the call).
    pub fn reviews_due(&self, until: NaiveDate) -> Result<Vec<ReviewDue>> {
        let ids: Vec<String> = {
            let mut st = self
                .conn
                .prepare("SELECT id FROM incidents ORDER BY id")
                .map_err(self.err())?;
            let rows = st
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(self.err())?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(self.err())?
        };
        let mut out = Vec::new();
        for id in ids {
            let row = self.closeout_row(&id)?.unwrap_or_default();
            if row.review_done_utc.is_some() {
                continue;
            }
            if let Some(due) = self.review_date(&id, &row)? {
                if due <= until {
                    out.push(ReviewDue {
                        incident: self.summary(&id)?,
                        due,
                    });
                }
            }
        }
        out.sort_by(|a, b| {
            a.due
                .cmp(&b.due)
                .then_with(|| a.incident.id.cmp(&b.incident.id))
        });
        Ok(out)
    }
}
