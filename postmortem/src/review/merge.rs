//! Carrying people's decisions into a record extracted again from the same
//! call: confirmed, edited and rejected items keep the version a person saw,
//! whatever the new extraction says, and items added by hand stay.

use serde_json::Value;

use super::apply::get;
use super::keys::{item_keys, ItemKind};
use crate::record::{ActionItem, IncidentRecord};

fn parse<T: serde::de::DeserializeOwned>(v: Value) -> Option<T> {
    serde_json::from_value(v).ok()
}

/// Puts the JSON item `v` at `at` (replacing) or at the end of its list.
fn put(r: &mut IncidentRecord, kind: ItemKind, at: Option<usize>, v: Value) {
    fn place<T>(list: &mut Vec<T>, at: Option<usize>, item: Option<T>) {
        match (item, at) {
            (Some(item), Some(i)) => list[i] = item,
            (Some(item), None) => list.push(item),
            (None, _) => {}
        }
    }
    match kind {
        ItemKind::Timeline => place(&mut r.timeline, at, parse(v)),
        ItemKind::Decision => place(&mut r.decisions, at, parse(v)),
        ItemKind::Mitigation => place(&mut r.mitigations, at, parse(v)),
        ItemKind::Hypothesis => place(&mut r.hypotheses, at, parse(v)),
        ItemKind::Action => {
            let Some(mut a) = parse::<ActionItem>(v) else {
                return;
            };
            let clash = |r: &IncidentRecord, id: &str| {
                r.action_items
                    .iter()
                    .enumerate()
                    .any(|(j, b)| b.id == id && Some(j) != at)
            };
            if clash(r, &a.id) {
                let prefix: String = a.id.chars().take_while(|c| c.is_alphabetic()).collect();
                let prefix = if prefix.is_empty() {
                    "A".into()
                } else {
                    prefix
                };
                let n = (1..)
                    .find(|n| !clash(r, &format!("{prefix}{n}")))
                    .unwrap_or(1);
                a.id = format!("{prefix}{n}");
            }
            place(&mut r.action_items, at, Some(a));
        }
        ItemKind::Evidence => place(&mut r.evidence, at, parse(v)),
    }
}

/// Carries the review of `prev` (the record the directory held) into `new`
/// (just extracted from the same call): every item a person confirmed,
/// edited, rejected or added replaces the new item of the same key, or is
/// appended when the new extraction lacks it, and the review section comes
/// along. Suggested items are the new extraction's.
pub fn carry_over(new: &mut IncidentRecord, prev: &IncidentRecord) {
    for kind in ItemKind::ALL {
        for (j, key) in item_keys(prev, kind).iter().enumerate() {
            let review = prev.review.get(key);
            if !review.state.is_human() && !review.added {
                continue;
            }
            let at = item_keys(new, kind).iter().position(|k| k == key);
            put(new, kind, at, get(prev, kind, j));
        }
    }
    let mut present = std::collections::HashSet::new();
    for kind in ItemKind::ALL {
        present.extend(item_keys(new, kind));
    }
    new.review = prev.review.clone();
    new.review.items.retain(|k, _| present.contains(k));
}
