//! The incident record (`incident.json`, schema `hotwash.incident/2`).
//!
//! One record is the single source every rendering reads, so the postmortem,
//! the briefs and the exports can never disagree. Every extracted line keeps
//! `sources`: the ids of the utterances it was read from. Times are kept two
//! ways: `offset_s` (seconds from the start of the earliest recording) and,
//! when the wall clock is known, `time_utc`. The schema is documented field by
//! field in `postmortem/README.md`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The schema tag written into every record.
pub const SCHEMA: &str = "hotwash.incident/2";

/// The schema before the review section; such records are read and
/// migrated (an empty review) by [`parse_record`].
pub const SCHEMA_V1: &str = "hotwash.incident/1";

/// The whole incident: metadata, the call's utterances and what was extracted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentRecord {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Identity, severity, window and systems.
    pub incident: Incident,
    /// The recordings the utterances came from, placed on one timeline.
    #[serde(default)]
    pub recordings: Vec<RecordingInfo>,
    /// Everyone who spoke or was named as an owner.
    pub speakers: Vec<Speaker>,
    /// Every utterance of every recording, in timeline order.
    pub utterances: Vec<RecordUtterance>,
    /// Timeline anchors (detection, declaration, mitigations, recovery, ...).
    pub timeline: Vec<TimelineEvent>,
    /// Decisions taken on the call.
    pub decisions: Vec<Decision>,
    /// Mitigation attempts, in order, and whether each worked.
    pub mitigations: Vec<Mitigation>,
    /// Guesses at the cause, and what settled them.
    pub hypotheses: Vec<Hypothesis>,
    /// Follow-up work agreed on the call.
    pub action_items: Vec<ActionItem>,
    /// Deploys, releases, PRs, tickets, dashboards, queries, flags, config keys.
    pub evidence: Vec<Evidence>,
    /// What the incident cost, in the call's own numbers.
    pub impact: Impact,
    /// Root-cause analysis skeleton.
    pub rca: Rca,
    /// What people decided about each extracted item (absent in `/1` records).
    #[serde(default)]
    pub review: crate::review::Review,
    /// How the files beside the record were rendered, so a later save (the
    /// review page) renders them the same way; absent: the standard way.
    #[serde(default, skip_serializing_if = "Rendering::is_standard")]
    pub rendering: Rendering,
}

/// How an incident directory's files were rendered from its record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendering {
    /// The user's `postmortem.md` template (absolute); none: the standard one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<std::path::PathBuf>,
    /// Whether the Jira and Linear exports hold only the confirmed items.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed_only: bool,
}

impl Rendering {
    /// The standard template, every item exported.
    pub fn is_standard(&self) -> bool {
        self == &Rendering::default()
    }
}

/// Why a text is not a record this version reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The `schema` tag is missing or names another schema.
    #[error("schema is {found:?}, expected {SCHEMA:?} (or {SCHEMA_V1:?}, which is migrated)")]
    Schema {
        /// The tag found (empty when missing).
        found: String,
    },
    /// The JSON does not have the record's shape.
    #[error("{0}")]
    Shape(String),
}

/// Parses an `incident.json`, migrating a `hotwash.incident/1` record (no
/// review section: every item is still suggested) to [`SCHEMA`].
pub fn parse_record(text: &str) -> Result<IncidentRecord, RecordError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| RecordError::Shape(e.to_string()))?;
    let found = v
        .get("schema")
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .to_string();
    if found != SCHEMA && found != SCHEMA_V1 {
        return Err(RecordError::Schema { found });
    }
    let mut r: IncidentRecord =
        serde_json::from_value(v).map_err(|e| RecordError::Shape(e.to_string()))?;
    r.schema = SCHEMA.to_string();
    Ok(r)
}

/// Identity and framing of the incident.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Stable id, e.g. `inc-20260314-0902`.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// `SEV1`..`SEV5`, when declared or given.
    pub severity: Option<String>,
    /// Wall clock at the start of the earliest recording.
    pub start_utc: Option<DateTime<Utc>>,
    /// Wall clock at the end of the latest recording.
    pub end_utc: Option<DateTime<Utc>>,
    /// The call's date, which due dates are resolved against.
    pub date: Option<NaiveDate>,
    /// Systems named as affected.
    pub systems: Vec<String>,
    /// Incident commander, when someone took the role on the call.
    pub commander: Option<String>,
    /// Postmortem review date, when one was set on the call.
    pub review_date: Option<NaiveDate>,
    /// When the next customer-facing update was promised.
    pub next_update_utc: Option<DateTime<Utc>>,
    /// Mitigation state at the end of the call: `ongoing`, `mitigated`, `monitoring`, `resolved`.
    pub status: String,
}

/// One input recording and where it sits on the incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingInfo {
    /// Short name (file stem), used as the utterance id prefix when several are read.
    pub name: String,
    /// The file it was read from.
    pub path: String,
    /// Wall clock at its offset 0, when known.
    pub start_utc: Option<DateTime<Utc>>,
    /// Seconds from the incident's offset 0 to this recording's offset 0.
    pub offset_s: f64,
    /// Seconds of audio covered, when known.
    pub duration_s: Option<f64>,
}

/// Someone on the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Speaker {
    /// The label the transcript used (a track, a diarization label, a roster key).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role on the call, when known.
    pub role: Option<String>,
    /// E-mail address, when the roster gives one (trackers assign by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// How the voice was tied to the name: `track`, `channel`,
    /// `introduction`, `addressed`, `unconfirmed` (a diarization cluster no
    /// name fits with confidence: what it said and owns is to confirm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identified: Option<String>,
    /// How sure the identification is, in [0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identified_confidence: Option<f32>,
}

/// One utterance as it sits in the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordUtterance {
    /// Id cited in `sources` (the transcript's id, prefixed `NAME:` when several recordings are read).
    pub id: String,
    /// Recording name.
    pub recording: String,
    /// Speaker display name, when known.
    pub speaker: Option<String>,
    /// Start, seconds from the incident's offset 0.
    pub offset_s: f64,
    /// End, seconds from the incident's offset 0.
    pub end_s: f64,
    /// Wall-clock start, when known.
    pub start_utc: Option<DateTime<Utc>>,
    /// What was said.
    pub text: String,
}

/// Fact or hypothesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Stated as observed or confirmed.
    Fact,
    /// Hedged: a guess not (yet) confirmed.
    Hypothesis,
}

/// Kinds of timeline anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The incident was declared (severity set).
    Declaration,
    /// The problem was first noticed (alert, customer reports).
    Detection,
    /// A deploy, release or config change relevant to the incident.
    Change,
    /// A guess at the cause.
    Hypothesis,
    /// A finding while investigating.
    Triage,
    /// A mitigation attempt started.
    Mitigation,
    /// The outcome of a mitigation.
    MitigationResult,
    /// Status page, customer or support communication.
    Comms,
    /// Someone escalated or was pulled in.
    Escalation,
    /// On-call or role handoff.
    Handoff,
    /// Recovery confirmed.
    Recovery,
    /// Watching after recovery.
    Monitoring,
}

impl EventKind {
    /// The snake_case name used in the record.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Declaration => "declaration",
            EventKind::Detection => "detection",
            EventKind::Change => "change",
            EventKind::Hypothesis => "hypothesis",
            EventKind::Triage => "triage",
            EventKind::Mitigation => "mitigation",
            EventKind::MitigationResult => "mitigation_result",
            EventKind::Comms => "comms",
            EventKind::Escalation => "escalation",
            EventKind::Handoff => "handoff",
            EventKind::Recovery => "recovery",
            EventKind::Monitoring => "monitoring",
        }
    }
}

/// One timeline anchor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// Seconds from the incident's offset 0.
    pub offset_s: f64,
    /// Wall clock, when known.
    pub time_utc: Option<DateTime<Utc>>,
    /// What kind of anchor.
    pub kind: EventKind,
    /// The event, in the speaker's words (lightly trimmed).
    pub event: String,
    /// Who said or did it.
    pub owner: Option<String>,
    /// Normalised evidence values mentioned with it.
    pub evidence: Vec<String>,
    /// Fact or hypothesis.
    pub status: Status,
    /// Whether customers could see it.
    pub customer_visible: bool,
    /// Utterance ids.
    pub sources: Vec<String>,
}

/// Items whose confidence is below this are shown "to confirm".
pub const CONFIRM_BELOW: f32 = 0.5;

/// Whether an item with this confidence needs a person to confirm it:
/// scored below [`CONFIRM_BELOW`]. An item without a score (the rules
/// alone) is not marked.
pub fn to_confirm(confidence: Option<f32>) -> bool {
    confidence.is_some_and(|c| c < CONFIRM_BELOW)
}

/// A decision taken on the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Seconds from the incident's offset 0.
    pub offset_s: f64,
    /// Wall clock, when known.
    pub time_utc: Option<DateTime<Utc>>,
    /// What was decided.
    pub decision: String,
    /// Who decided (speaker name).
    pub who: Option<String>,
    /// True when `who` was inferred (the commander) because the speaker was unknown.
    #[serde(default)]
    pub who_inferred: bool,
    /// Why, when said.
    pub rationale: Option<String>,
    /// Options weighed and not taken.
    pub alternatives: Vec<String>,
    /// Utterance ids.
    pub sources: Vec<String>,
    /// What produced the item: a rule, the learned labeller, or both, with its score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// How sure the extractor is, in [0, 1]; below 0.5 the item is shown "to confirm".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
}

/// One mitigation attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mitigation {
    /// Seconds from the incident's offset 0 when it started.
    pub offset_s: f64,
    /// Wall clock, when known.
    pub time_utc: Option<DateTime<Utc>>,
    /// What was done.
    pub what: String,
    /// Who did it.
    pub who: Option<String>,
    /// Whether it worked, from what was said after it; null when never said.
    pub worked: Option<bool>,
    /// The words that settled `worked`.
    pub result: Option<String>,
    /// Offset of the result, when one was said.
    pub result_offset_s: Option<f64>,
    /// Utterance ids (the attempt, then the result).
    pub sources: Vec<String>,
    /// What produced the item: a rule, the learned labeller, or both, with its score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// How sure the extractor is, in [0, 1]; below 0.5 the item is shown "to confirm".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
}

/// State of a hypothesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HypothesisStatus {
    /// Never settled on the call.
    Open,
    /// A later turn confirmed it.
    Confirmed,
    /// A later turn ruled it out.
    Refuted,
}

/// A guess at the cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hypothesis {
    /// Seconds from the incident's offset 0.
    pub offset_s: f64,
    /// Wall clock, when known.
    pub time_utc: Option<DateTime<Utc>>,
    /// The guess as said.
    pub text: String,
    /// Who guessed.
    pub who: Option<String>,
    /// Open, confirmed or refuted.
    pub status: HypothesisStatus,
    /// Utterance ids of the turn(s) that settled it.
    pub settled_by: Vec<String>,
    /// What the settling turn said.
    pub settled_text: Option<String>,
    /// Utterance ids.
    pub sources: Vec<String>,
    /// What produced the item: a rule, the learned labeller, or both, with its score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// How sure the extractor is, in [0, 1]; below 0.5 the item is shown "to confirm".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
}

/// Follow-up categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Stops it happening again.
    Prevention,
    /// Notices it sooner.
    Detection,
    /// Recovers faster or finishes the clean-up.
    Mitigation,
    /// Documents or communicates.
    DocumentationComms,
}

impl Category {
    /// The kebab-case name used in the record and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Prevention => "prevention",
            Category::Detection => "detection",
            Category::Mitigation => "mitigation",
            Category::DocumentationComms => "documentation-comms",
        }
    }
}

/// Action-item priority (Jira's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Priority {
    /// Do first.
    High,
    /// Normal.
    Medium,
    /// When there is room.
    Low,
}

impl Priority {
    /// The name used in the record and in Jira.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "High",
            Priority::Medium => "Medium",
            Priority::Low => "Low",
        }
    }
}

/// One follow-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionItem {
    /// Stable id within the record (`A1`, `A2`, ...).
    pub id: String,
    /// Seconds from the incident's offset 0 when it was raised.
    pub offset_s: f64,
    /// Wall clock, when known.
    pub time_utc: Option<DateTime<Utc>>,
    /// What is to be done.
    pub action: String,
    /// Who owns it.
    pub owner: Option<String>,
    /// How the owner was found: `assigned`, `self`, `accepted`, `addressed`.
    pub owner_how: Option<String>,
    /// Due date, resolved against the call's date.
    pub due: Option<NaiveDate>,
    /// The words the due date was read from.
    pub due_said: Option<String>,
    /// Priority.
    pub priority: Priority,
    /// What it waits on.
    pub dependencies: Vec<String>,
    /// Category.
    pub category: Category,
    /// How we will know it is done and works.
    pub verification: Option<String>,
    /// True when it lacks an owner, a date, a verification plan or a measurable goal.
    pub vague: bool,
    /// Why it is vague.
    pub vague_reasons: Vec<String>,
    /// Utterance ids.
    pub sources: Vec<String>,
    /// What produced the item: a rule, the learned labeller, or both, with its score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// How sure the extractor is, in [0, 1]; below 0.5 the item is shown "to confirm".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
}

/// Evidence kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// A deploy id (`D4692`).
    Deploy,
    /// A release or version (`4.18`, `3.9.2`).
    Release,
    /// A pull or merge request number.
    PullRequest,
    /// A commit hash.
    Commit,
    /// A ticket key (`OPS-1234`).
    Ticket,
    /// A dashboard.
    Dashboard,
    /// A log query or search.
    LogQuery,
    /// A URL.
    Url,
    /// A status page that was read.
    StatusPage,
    /// A config key or feature flag.
    Config,
    /// An alert.
    Alert,
}

impl EvidenceKind {
    /// The snake_case name used in the record.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::Deploy => "deploy",
            EvidenceKind::Release => "release",
            EvidenceKind::PullRequest => "pull_request",
            EvidenceKind::Commit => "commit",
            EvidenceKind::Ticket => "ticket",
            EvidenceKind::Dashboard => "dashboard",
            EvidenceKind::LogQuery => "log_query",
            EvidenceKind::Url => "url",
            EvidenceKind::StatusPage => "status_page",
            EvidenceKind::Config => "config",
            EvidenceKind::Alert => "alert",
        }
    }
}

/// One piece of evidence, normalised from how it was said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// What it is.
    pub kind: EvidenceKind,
    /// Normalised value (`D4692`, `OPS-1234`, `4.18`, `#4411`).
    pub value: String,
    /// The words it was read from.
    pub said: String,
    /// Seconds from the incident's offset 0 of its first mention.
    pub offset_s: f64,
    /// Utterance ids (first mention).
    pub sources: Vec<String>,
}

/// A number said on the call about the impact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImpactNumber {
    /// What was measured (`error rate`, `p99 latency`, `tickets`).
    pub what: String,
    /// The value.
    pub value: f64,
    /// Unit (`%`, `ms`, `s`, `tickets`, `USD`, `req/s`, ...).
    pub unit: String,
    /// The words it was read from.
    pub said: String,
    /// Seconds from the incident's offset 0.
    pub offset_s: f64,
    /// Utterance ids.
    pub sources: Vec<String>,
}

/// What the incident cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Impact {
    /// Technical impact (what broke), from the detection and triage turns.
    pub technical: Option<String>,
    /// Customer impact, from customer-visible turns.
    pub customer: Option<String>,
    /// Business impact (tickets, money, contracts).
    pub business: Option<String>,
    /// Numbers said on the call.
    pub numbers: Vec<ImpactNumber>,
    /// When impact began, when a time was said for it.
    pub started_utc: Option<DateTime<Utc>>,
    /// When the problem was detected.
    pub detected_utc: Option<DateTime<Utc>>,
    /// When recovery was confirmed.
    pub recovered_utc: Option<DateTime<Utc>>,
    /// Detection to recovery, minutes.
    pub duration_min: Option<f64>,
    /// Impact start to recovery, minutes, when the start was said.
    pub impact_duration_min: Option<f64>,
    /// Utterance ids for the times above.
    pub sources: Vec<String>,
}

/// One RCA line with its sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The statement.
    pub text: String,
    /// Seconds from the incident's offset 0.
    pub offset_s: f64,
    /// Utterance ids.
    pub sources: Vec<String>,
}

/// Root-cause analysis skeleton: filled from the call, for people to finish.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rca {
    /// What set it off.
    pub trigger: Option<Finding>,
    /// What made it possible or worse.
    pub contributing_factors: Vec<Finding>,
    /// Why it was not noticed sooner.
    pub detection_gap: Option<Finding>,
    /// Why recovery took as long as it did.
    pub mitigation_gap: Option<Finding>,
    /// What would have stopped it.
    pub prevention_gap: Option<Finding>,
    /// Hypotheses never settled on the call.
    pub unconfirmed: Vec<Finding>,
}
