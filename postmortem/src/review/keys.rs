//! Item keys: the kind and the cited utterances, stable across re-runs.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::record::IncidentRecord;

/// The lists of a record whose items are reviewed one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A timeline anchor.
    Timeline,
    /// A decision.
    Decision,
    /// A mitigation attempt.
    Mitigation,
    /// A hypothesis.
    Hypothesis,
    /// An action item.
    Action,
    /// A piece of evidence.
    Evidence,
}

impl ItemKind {
    /// Every kind, in page order.
    pub const ALL: [ItemKind; 6] = [
        ItemKind::Timeline,
        ItemKind::Decision,
        ItemKind::Mitigation,
        ItemKind::Hypothesis,
        ItemKind::Action,
        ItemKind::Evidence,
    ];

    /// The lowercase name used in keys and on the page.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Timeline => "timeline",
            ItemKind::Decision => "decision",
            ItemKind::Mitigation => "mitigation",
            ItemKind::Hypothesis => "hypothesis",
            ItemKind::Action => "action",
            ItemKind::Evidence => "evidence",
        }
    }

    /// The kind named `s` (as [`ItemKind::as_str`] writes it).
    pub fn parse(s: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind a key names.
    pub fn of_key(key: &str) -> Option<ItemKind> {
        ItemKind::parse(key.split(':').next().unwrap_or_default())
    }
}

/// The cited utterances of every item of `kind`, in record order.
pub(crate) fn sources(r: &IncidentRecord, kind: ItemKind) -> Vec<&[String]> {
    match kind {
        ItemKind::Timeline => r.timeline.iter().map(|i| i.sources.as_slice()).collect(),
        ItemKind::Decision => r.decisions.iter().map(|i| i.sources.as_slice()).collect(),
        ItemKind::Mitigation => r.mitigations.iter().map(|i| i.sources.as_slice()).collect(),
        ItemKind::Hypothesis => r.hypotheses.iter().map(|i| i.sources.as_slice()).collect(),
        ItemKind::Action => r
            .action_items
            .iter()
            .map(|i| i.sources.as_slice())
            .collect(),
        ItemKind::Evidence => r.evidence.iter().map(|i| i.sources.as_slice()).collect(),
    }
}

/// The keys of every item of `kind`, in record order: `KIND:SOURCES`, with
/// `#2`, `#3`… for further items citing the same utterances.
pub fn item_keys(r: &IncidentRecord, kind: ItemKind) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    sources(r, kind)
        .into_iter()
        .map(|s| {
            let base = format!("{}:{}", kind.as_str(), s.join("+"));
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                base
            } else {
                format!("{base}#{n}")
            }
        })
        .collect()
}

/// The index of the item named `key`, if the record holds it.
pub(crate) fn index_of(r: &IncidentRecord, key: &str) -> Option<(ItemKind, usize)> {
    let kind = ItemKind::of_key(key)?;
    let i = item_keys(r, kind).iter().position(|k| k == key)?;
    Some((kind, i))
}
