//! Applying a reviewer's change to a record: confirm, reject, edit, reset,
//! or add an item by hand, each checked against the item's revision.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::keys::{index_of, item_keys, ItemKind};
use super::{ItemReview, ReviewState};
use crate::record::{
    ActionItem, Category, Decision, EventKind, Hypothesis, HypothesisStatus, IncidentRecord,
    Mitigation, Priority, Status, TimelineEvent,
};

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// No item has this key (the record changed under the page).
    #[error("no item {0} in the record; reload the page")]
    UnknownItem(String),
    /// The change was made on an older revision than the record holds.
    #[error("{key} was changed elsewhere (revision {current}, this page had {given}); reload the page to see the newer version before changing it")]
    Stale {
        /// The item.
        key: String,
        /// The revision the record holds.
        current: u64,
        /// The revision the change was made on.
        given: u64,
    },
    /// A field that this kind of item has not, or that cannot be edited.
    #[error("{field} cannot be edited on a {kind} item")]
    NotEditable {
        /// The kind of item.
        kind: &'static str,
        /// The field.
        field: String,
    },
    /// A field's value is not one the record can hold.
    #[error("{field}: {reason}")]
    BadValue {
        /// The field.
        field: String,
        /// What was wrong.
        reason: String,
    },
    /// The change named no reviewer.
    #[error("say who you are first: a change needs a reviewer name")]
    NoReviewer,
    /// An added item cites an utterance the record has not.
    #[error("no utterance {0} in the transcript")]
    UnknownUtterance(String),
    /// Items of this kind cannot be added by hand.
    #[error("{0} items cannot be added by hand")]
    NotAddable(&'static str),
}

/// What a reviewer does to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeAction {
    /// Confirm it as it is.
    Confirm,
    /// Rule it out.
    Reject,
    /// Change fields (and so vouch for the result).
    Edit,
    /// Back to suggested (the fields stay as they are).
    Reset,
}

/// One change, as the review page sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The item's key.
    pub key: String,
    /// The revision the page showed.
    pub revision: u64,
    /// Who makes the change.
    pub reviewer: String,
    /// What to do.
    pub action: ChangeAction,
    /// For `edit`: field → new value (an empty string clears an optional field).
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
}

/// An item added by hand, citing one utterance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Addition {
    /// What kind of item.
    pub kind: ItemKind,
    /// The utterance it cites.
    pub utterance: String,
    /// Who adds it.
    pub reviewer: String,
    /// Its fields (at least its text).
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
}

/// The fields a reviewer may edit on each kind of item.
pub fn editable_fields(kind: ItemKind) -> &'static [&'static str] {
    match kind {
        ItemKind::Timeline => &["event", "owner", "status", "customer_visible"],
        ItemKind::Decision => &["decision", "who", "rationale"],
        ItemKind::Mitigation => &["what", "who", "worked", "result"],
        ItemKind::Hypothesis => &["text", "who", "status"],
        ItemKind::Action => &[
            "action",
            "owner",
            "due",
            "priority",
            "category",
            "verification",
        ],
        ItemKind::Evidence => &["value"],
    }
}

fn to_value<T: Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// The item at `i` of `kind`, as JSON.
pub(crate) fn get(r: &IncidentRecord, kind: ItemKind, i: usize) -> Value {
    match kind {
        ItemKind::Timeline => to_value(&r.timeline[i]),
        ItemKind::Decision => to_value(&r.decisions[i]),
        ItemKind::Mitigation => to_value(&r.mitigations[i]),
        ItemKind::Hypothesis => to_value(&r.hypotheses[i]),
        ItemKind::Action => to_value(&r.action_items[i]),
        ItemKind::Evidence => to_value(&r.evidence[i]),
    }
}

fn parse<T: serde::de::DeserializeOwned>(v: Value, field: &str) -> Result<T, ReviewError> {
    serde_json::from_value(v).map_err(|e| ReviewError::BadValue {
        field: field.to_string(),
        reason: e.to_string(),
    })
}

/// Replaces the item at `i` of `kind` by `v`.
fn set(
    r: &mut IncidentRecord,
    kind: ItemKind,
    i: usize,
    v: Value,
    field: &str,
) -> Result<(), ReviewError> {
    match kind {
        ItemKind::Timeline => r.timeline[i] = parse(v, field)?,
        ItemKind::Decision => r.decisions[i] = parse(v, field)?,
        ItemKind::Mitigation => r.mitigations[i] = parse(v, field)?,
        ItemKind::Hypothesis => r.hypotheses[i] = parse(v, field)?,
        ItemKind::Action => {
            let mut a: ActionItem = parse(v, field)?;
            refresh_vague(&mut a);
            r.action_items[i] = a;
        }
        ItemKind::Evidence => r.evidence[i] = parse(v, field)?,
    }
    Ok(())
}

/// Drops the vague reasons an edit has answered.
fn refresh_vague(a: &mut ActionItem) {
    a.vague_reasons.retain(|why| {
        let w = why.to_lowercase();
        !((w.contains("owner") && a.owner.is_some())
            || ((w.contains("due") || w.contains("date")) && a.due.is_some())
            || (w.contains("verification") && a.verification.is_some()))
    });
    a.vague = !a.vague_reasons.is_empty();
}

/// Writes `fields` into the item JSON `v`, refusing fields not editable on `kind`.
fn edit_fields(
    v: &mut Value,
    kind: ItemKind,
    fields: &BTreeMap<String, Value>,
) -> Result<(), ReviewError> {
    let obj = v.as_object_mut().ok_or_else(|| ReviewError::BadValue {
        field: "item".into(),
        reason: "not an object".into(),
    })?;
    for (name, value) in fields {
        if !editable_fields(kind).contains(&name.as_str()) {
            return Err(ReviewError::NotEditable {
                kind: kind.as_str(),
                field: name.clone(),
            });
        }
        let value = match value {
            Value::String(s) if s.trim().is_empty() => Value::Null,
            Value::String(s) => Value::String(s.trim().to_string()),
            other => other.clone(),
        };
        obj.insert(name.clone(), value);
    }
    Ok(())
}

/// Applies `change` at `now`; returns the item's new review. The record is
/// untouched when the change is refused.
pub fn apply_change(
    r: &mut IncidentRecord,
    change: &Change,
    now: DateTime<Utc>,
) -> Result<ItemReview, ReviewError> {
    let reviewer = change.reviewer.trim();
    if reviewer.is_empty() {
        return Err(ReviewError::NoReviewer);
    }
    let (kind, i) =
        index_of(r, &change.key).ok_or_else(|| ReviewError::UnknownItem(change.key.clone()))?;
    let mut review = r.review.get(&change.key);
    if review.revision != change.revision {
        return Err(ReviewError::Stale {
            key: change.key.clone(),
            current: review.revision,
            given: change.revision,
        });
    }
    review.state = match change.action {
        ChangeAction::Confirm => ReviewState::Confirmed,
        ChangeAction::Reject => ReviewState::Rejected,
        ChangeAction::Reset => ReviewState::Suggested,
        ChangeAction::Edit => {
            let mut v = get(r, kind, i);
            edit_fields(&mut v, kind, &change.fields)?;
            let field = change.fields.keys().next().cloned().unwrap_or_default();
            set(r, kind, i, v, &field)?;
            ReviewState::Edited
        }
    };
    review.reviewer = Some(reviewer.to_string());
    review.at = Some(now);
    review.revision += 1;
    r.review.items.insert(change.key.clone(), review.clone());
    Ok(review)
}

fn text_field(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Timeline => "event",
        ItemKind::Decision => "decision",
        ItemKind::Mitigation => "what",
        ItemKind::Hypothesis => "text",
        ItemKind::Action => "action",
        ItemKind::Evidence => "value",
    }
}

/// Adds an item by hand citing one utterance, confirmed by its author;
/// returns its key.
pub fn add_item(
    r: &mut IncidentRecord,
    add: &Addition,
    now: DateTime<Utc>,
) -> Result<String, ReviewError> {
    let reviewer = add.reviewer.trim();
    if reviewer.is_empty() {
        return Err(ReviewError::NoReviewer);
    }
    let u = r
        .utterances
        .iter()
        .find(|u| u.id == add.utterance)
        .ok_or_else(|| ReviewError::UnknownUtterance(add.utterance.clone()))?
        .clone();
    let text_name = text_field(add.kind);
    let text = add
        .fields
        .get(text_name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map_or_else(|| u.text.clone(), str::to_string);
    let sources = vec![u.id.clone()];
    let who = u.speaker.clone();
    let mut fields = add.fields.clone();
    fields.remove(text_name);
    match add.kind {
        ItemKind::Timeline => r.timeline.push(TimelineEvent {
            offset_s: u.offset_s,
            time_utc: u.start_utc,
            kind: EventKind::Triage,
            event: text,
            owner: who,
            evidence: Vec::new(),
            status: Status::Fact,
            customer_visible: false,
            sources,
        }),
        ItemKind::Decision => r.decisions.push(Decision {
            offset_s: u.offset_s,
            time_utc: u.start_utc,
            decision: text,
            who,
            who_inferred: false,
            rationale: None,
            alternatives: Vec::new(),
            sources,
            why: Some("added by hand".into()),
            confidence: None,
        }),
        ItemKind::Mitigation => r.mitigations.push(Mitigation {
            offset_s: u.offset_s,
            time_utc: u.start_utc,
            what: text,
            who,
            worked: None,
            result: None,
            result_offset_s: None,
            sources,
            why: Some("added by hand".into()),
            confidence: None,
        }),
        ItemKind::Hypothesis => r.hypotheses.push(Hypothesis {
            offset_s: u.offset_s,
            time_utc: u.start_utc,
            text,
            who,
            status: HypothesisStatus::Open,
            settled_by: Vec::new(),
            settled_text: None,
            sources,
            why: Some("added by hand".into()),
            confidence: None,
        }),
        ItemKind::Action => {
            let n = (1..)
                .find(|n| !r.action_items.iter().any(|a| a.id == format!("H{n}")))
                .unwrap_or(1);
            r.action_items.push(ActionItem {
                id: format!("H{n}"),
                offset_s: u.offset_s,
                time_utc: u.start_utc,
                action: text,
                owner: None,
                owner_how: None,
                due: None,
                due_said: None,
                priority: Priority::Medium,
                dependencies: Vec::new(),
                category: Category::Prevention,
                verification: None,
                vague: false,
                vague_reasons: Vec::new(),
                sources,
                why: Some("added by hand".into()),
                confidence: None,
            })
        }
        ItemKind::Evidence => return Err(ReviewError::NotAddable("evidence")),
    }
    let keys = item_keys(r, add.kind);
    let key = keys.last().cloned().unwrap_or_default();
    let i = keys.len() - 1;
    if !fields.is_empty() {
        let mut v = get(r, add.kind, i);
        let applied =
            edit_fields(&mut v, add.kind, &fields).and_then(|()| set(r, add.kind, i, v, "fields"));
        if let Err(e) = applied {
            remove(r, add.kind, i);
            return Err(e);
        }
    }
    r.review.items.insert(
        key.clone(),
        ItemReview {
            state: ReviewState::Confirmed,
            reviewer: Some(reviewer.to_string()),
            at: Some(now),
            revision: 1,
            added: true,
        },
    );
    Ok(key)
}

/// Removes the item at `i` of `kind`.
pub(crate) fn remove(r: &mut IncidentRecord, kind: ItemKind, i: usize) {
    match kind {
        ItemKind::Timeline => drop(r.timeline.remove(i)),
        ItemKind::Decision => drop(r.decisions.remove(i)),
        ItemKind::Mitigation => drop(r.mitigations.remove(i)),
        ItemKind::Hypothesis => drop(r.hypotheses.remove(i)),
        ItemKind::Action => drop(r.action_items.remove(i)),
        ItemKind::Evidence => drop(r.evidence.remove(i)),
    }
}
