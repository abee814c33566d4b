//! The record's review section: what people decided about each extracted
//! item. Every item starts `suggested`; a reviewer confirms it, edits it or
//! rejects it, and an item can be added by hand citing an utterance. Each
//! item's review carries a revision so that a stale save (two tabs) is
//! refused, never applied over a newer decision.
//!
//! Items are named by a key made of their kind and the utterances they cite
//! (`action:t07`, `decision:t03+t04`, `#2` for a second item citing the
//! same ones), so a re-run of the extraction over the same call finds the
//! same keys and [`carry_over`] keeps every human decision.

mod apply;
mod keys;
mod merge;
mod view;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use apply::{
    add_item, apply_change, editable_fields, Addition, Change, ChangeAction, ReviewError,
};
pub use keys::{item_keys, ItemKind};
pub use merge::carry_over;
pub use view::{reviewed, state_of};

/// Where an item stands in the review.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewState {
    /// As extracted; nobody has looked at it yet.
    #[default]
    Suggested,
    /// A person confirmed it as extracted.
    Confirmed,
    /// A person changed it (and so vouches for the new version).
    Edited,
    /// A person ruled it out: kept in the record, left out of every rendering.
    Rejected,
}

impl ReviewState {
    /// The lowercase name used in the record and on the page.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Suggested => "suggested",
            ReviewState::Confirmed => "confirmed",
            ReviewState::Edited => "edited",
            ReviewState::Rejected => "rejected",
        }
    }

    /// True for the states a person set (confirmed, edited, rejected).
    pub fn is_human(self) -> bool {
        self != ReviewState::Suggested
    }

    /// True when the item counts as confirmed (confirmed or edited).
    pub fn is_confirmed(self) -> bool {
        matches!(self, ReviewState::Confirmed | ReviewState::Edited)
    }
}

/// One item's review.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemReview {
    /// Where it stands.
    pub state: ReviewState,
    /// Who set the state, when a person did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    /// When the state was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    /// Bumped on every change; a change must name the revision it was made on.
    pub revision: u64,
    /// True when a person added the item by hand.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub added: bool,
}

/// The review section of a record: item key → review. Items without an
/// entry are `suggested` at revision 0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// Every item a person touched, by key.
    #[serde(default)]
    pub items: BTreeMap<String, ItemReview>,
}

impl Review {
    /// The review of the item `key` (suggested at revision 0 when untouched).
    pub fn get(&self, key: &str) -> ItemReview {
        self.items.get(key).cloned().unwrap_or_default()
    }
}
