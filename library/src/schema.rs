//! The database schema and its migrations. The schema version lives in
//! SQLite's `PRAGMA user_version`; `MIGRATIONS[n]` takes a database from
//! version `n` to `n + 1`. A hotwash library is marked with its own
//! `PRAGMA application_id`, so a foreign SQLite file is refused rather than
//! written into.

/// `PRAGMA application_id` of a hotwash library ("HWLB").
pub const APPLICATION_ID: i32 = 0x4857_4c42;

/// Every migration, in order; the schema version is their count.
pub const MIGRATIONS: &[&str] = &[V1, V2, V3];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

const V1: &str = r#"
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    severity TEXT,
    started TEXT,
    status TEXT NOT NULL,
    dir TEXT NOT NULL,
    record_json TEXT NOT NULL,
    transcript TEXT NOT NULL,
    added_utc TEXT NOT NULL,
    updated_utc TEXT NOT NULL
) STRICT;
CREATE INDEX incidents_started ON incidents(started);

CREATE TABLE services (
    incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    service TEXT NOT NULL,
    PRIMARY KEY (incident_id, service)
) STRICT;

CREATE TABLE artifacts (
    incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (incident_id, name)
) STRICT;

CREATE TABLE tags (
    incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    source TEXT NOT NULL,
    triggers TEXT NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (incident_id, tag)
) STRICT;

CREATE TABLE mitigations (
    incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    what TEXT NOT NULL,
    who TEXT,
    worked INTEGER,
    result TEXT,
    offset_s REAL NOT NULL,
    time_utc TEXT,
    cited TEXT NOT NULL,
    PRIMARY KEY (incident_id, seq)
) STRICT;

CREATE TABLE actions (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    item TEXT NOT NULL,
    action TEXT NOT NULL,
    owner TEXT,
    due TEXT,
    priority TEXT NOT NULL,
    category TEXT NOT NULL,
    verification TEXT,
    status TEXT NOT NULL,
    evidence TEXT,
    reason TEXT,
    in_record INTEGER NOT NULL DEFAULT 1,
    updated_utc TEXT NOT NULL
) STRICT;
CREATE INDEX actions_incident ON actions(incident_id);

CREATE TABLE action_history (
    seq INTEGER PRIMARY KEY,
    action_id TEXT NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    from_status TEXT,
    to_status TEXT NOT NULL,
    who TEXT NOT NULL,
    at_utc TEXT NOT NULL,
    note TEXT
) STRICT;
CREATE INDEX action_history_action ON action_history(action_id);

-- One row per incident, rowid = incidents.rowid.
CREATE VIRTUAL TABLE incident_fts USING fts5(
    title, symptoms, timeline, rca, decisions, mitigations, actions, transcript,
    tokenize = 'porter unicode61'
);
"#;

/// Version 2: sentence embeddings and exact signatures for `similar`,
/// close-out state per incident, and the trackers' view of each action.
const V2: &str = r#"
-- Sentence embeddings (little-endian f32), one row per embedded text:
-- kind 'incident' (title and symptoms), 'symptom', 'mitigation', 'action'.
CREATE TABLE vectors (
    incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (incident_id, kind, seq)
) STRICT;

-- Normalised error strings and alert names the record holds.
CREATE TABLE signatures (
    incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    signature TEXT NOT NULL,
    said TEXT NOT NULL,
    PRIMARY KEY (incident_id, signature)
) STRICT;
CREATE INDEX signatures_signature ON signatures(signature);

-- Close-out: the runbook update and the follow-up review.
CREATE TABLE closeouts (
    incident_id TEXT PRIMARY KEY REFERENCES incidents(id) ON DELETE CASCADE,
    runbook TEXT,
    runbook_by TEXT,
    runbook_utc TEXT,
    review_due TEXT,
    review_done_utc TEXT,
    review_by TEXT,
    review_note TEXT
) STRICT;

-- What the tracker (Jira, Linear) last said of an action.
ALTER TABLE actions ADD COLUMN tracker TEXT;
ALTER TABLE actions ADD COLUMN tracker_key TEXT;
ALTER TABLE actions ADD COLUMN tracker_status TEXT;
ALTER TABLE actions ADD COLUMN tracker_utc TEXT;
"#;

/// Version 3: the incident vectors of one model found without reading the
/// other vectors' rows (the coarse pass of `similar` reads them all).
const V3: &str = r#"
CREATE INDEX vectors_kind_model ON vectors(kind, model, incident_id);
"#;
