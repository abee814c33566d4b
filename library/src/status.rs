//! An action item's workflow: open → in progress → done → verified (with
//! evidence), or won't do (with a reason).

use std::fmt;
use std::str::FromStr;

/// Where an action item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    /// Agreed, not started.
    Open,
    /// Someone is on it.
    InProgress,
    /// Shipped, not yet shown to work.
    Done,
    /// Shown to work: the verification plan was met (evidence kept).
    Verified,
    /// Decided against (reason kept).
    WontDo,
}

/// Every status, in workflow order.
pub const ALL_STATUSES: [ActionStatus; 5] = [
    ActionStatus::Open,
    ActionStatus::InProgress,
    ActionStatus::Done,
    ActionStatus::Verified,
    ActionStatus::WontDo,
];

impl ActionStatus {
    /// The name stored and shown (`open`, `in-progress`, `done`, `verified`, `wont-do`).
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::InProgress => "in-progress",
            ActionStatus::Done => "done",
            ActionStatus::Verified => "verified",
            ActionStatus::WontDo => "wont-do",
        }
    }

    /// Whether work is still owed (open or in progress): what `due` and `overdue` list.
    pub fn is_pending(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }

    /// The statuses this one may move to.
    pub fn next(self) -> &'static [ActionStatus] {
        use ActionStatus::*;
        match self {
            Open => &[InProgress, Done, WontDo],
            InProgress => &[Open, Done, WontDo],
            Done => &[Verified, InProgress, WontDo],
            Verified => &[],
            WontDo => &[Open],
        }
    }

    /// Whether `self → to` is allowed; when not, what to do instead.
    pub fn check(self, to: ActionStatus) -> Result<(), String> {
        if self == to {
            return Err(format!("it is already {}", self.as_str()));
        }
        if self.next().contains(&to) {
            return Ok(());
        }
        Err(match (self, to) {
            (ActionStatus::Verified, _) => {
                "a verified action is closed; raise a new action for new work".to_string()
            }
            (_, ActionStatus::Verified) => {
                "only a done action can be verified; set it done first".to_string()
            }
            _ => format!(
                "from {} it can go to {}",
                self.as_str(),
                self.next()
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }
}

impl fmt::Display for ActionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActionStatus {
    type Err = String;

    /// Accepts the stored names and the obvious spellings (`in progress`, `won't do`).
    fn from_str(s: &str) -> Result<Self, String> {
        let k: String = s
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        Ok(match k.as_str() {
            "open" => ActionStatus::Open,
            "inprogress" => ActionStatus::InProgress,
            "done" => ActionStatus::Done,
            "verified" => ActionStatus::Verified,
            "wontdo" => ActionStatus::WontDo,
            _ => {
                return Err(format!(
                    "unknown status {s:?}; use open, in-progress, done, verified or wont-do"
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow_allows_forward_and_reopen_and_refuses_shortcuts() {
        use ActionStatus::*;
        assert!(Open.check(InProgress).is_ok());
        assert!(InProgress.check(Done).is_ok());
        assert!(Done.check(Verified).is_ok());
        assert!(Open.check(WontDo).is_ok());
        assert!(WontDo.check(Open).is_ok());
        let e = Open.check(Verified).unwrap_err();
        assert!(e.contains("set it done first"), "{e}");
        assert!(Verified.check(Open).is_err());
        assert!(Done.check(Done).unwrap_err().contains("already"));
    }

    #[test]
    fn names_round_trip_and_spellings_parse() {
        for s in ALL_STATUSES {
            assert_eq!(s.as_str().parse::<ActionStatus>().unwrap(), s);
        }
        assert_eq!(
            "In Progress".parse::<ActionStatus>().unwrap(),
            ActionStatus::InProgress
        );
        assert_eq!(
            "won't do".parse::<ActionStatus>().unwrap(),
            ActionStatus::WontDo
        );
        assert!("closed".parse::<ActionStatus>().is_err());
    }
}
