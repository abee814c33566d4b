//! The record as people read it after review: rejected items left out, and
//! for exports limited to confirmed items, only action items a person
//! confirmed, edited or added.

use super::keys::{item_keys, ItemKind};
use super::ReviewState;
use crate::record::IncidentRecord;

/// The state of the item named `key`.
pub fn state_of(r: &IncidentRecord, key: &str) -> ReviewState {
    r.review.get(key).state
}

fn keep<T>(list: &mut Vec<T>, keys: &[String], ok: impl Fn(&str) -> bool) {
    let mut i = 0;
    list.retain(|_| {
        let k = &keys[i];
        i += 1;
        ok(k)
    });
}

/// A copy of `r` without its rejected items; with `confirmed_only`, its
/// action items are only those a person confirmed or edited.
pub fn reviewed(r: &IncidentRecord, confirmed_only: bool) -> IncidentRecord {
    let mut out = r.clone();
    let not_rejected = |k: &str| state_of(r, k) != ReviewState::Rejected;
    let keys = |kind| item_keys(r, kind);
    keep(&mut out.timeline, &keys(ItemKind::Timeline), not_rejected);
    keep(&mut out.decisions, &keys(ItemKind::Decision), not_rejected);
    keep(
        &mut out.mitigations,
        &keys(ItemKind::Mitigation),
        not_rejected,
    );
    keep(
        &mut out.hypotheses,
        &keys(ItemKind::Hypothesis),
        not_rejected,
    );
    keep(&mut out.evidence, &keys(ItemKind::Evidence), not_rejected);
    if confirmed_only {
        keep(&mut out.action_items, &keys(ItemKind::Action), |k| {
            state_of(r, k).is_confirmed()
        });
    } else {
        keep(&mut out.action_items, &keys(ItemKind::Action), not_rejected);
    }
    out.timeline
        .sort_by(|a, b| a.offset_s.total_cmp(&b.offset_s));
    out
}
