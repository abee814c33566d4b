//! hotwash-library: the incident library. Every incident record that
//! `hotwash postmortem` wrote goes into one SQLite database (WAL mode, FTS5,
//! schema versioned by migrations) with its artifacts' checksums, its
//! transcript and its action items, so the next on-call can ask "have we
//! seen this before?" (`search`), "what fixed it last time?" (`fixes`), and
//! follow every action item from open to verified.
//!
//! Every write is one transaction; concurrent writers wait for each other
//! (SQLite's busy timeout) rather than fail.

#![deny(missing_docs)]

pub mod closeout;
pub mod error;
mod exchange;
pub mod ingest;
pub mod schema;
pub mod signature;
mod similar;
pub mod status;
pub mod tags;
mod terms;
pub mod tracker;

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use hotwash_postmortem::acts::Embed;
use hotwash_postmortem::record::IncidentRecord;
use rusqlite::{params, params_from_iter, Connection, ErrorCode, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

pub use closeout::{Closeout, CloseoutRow, CloseoutUpdate, Criterion, ReviewDue};
pub use error::{Error, Result};
pub use exchange::EXPORT_SCHEMA;
pub use ingest::{prepare, Artifact, Prepared};
pub use signature::Signatures;
pub use similar::{Signals, SimilarAnswer, SimilarHit, SimilarTo, REFINE};
pub use status::ActionStatus;
pub use tags::{Catalogue, Suggestion};
pub use tracker::{Drift, Moved, Tracker, TrackerReport};

/// The database's file name inside `$HOTWASH_HOME` or the data directory.
pub const DB_FILE: &str = "library.db";

/// How long a writer waits for another to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// FTS5 BM25 column weights: title, symptoms, timeline, rca, decisions,
/// mitigations, actions, transcript. What was extracted outweighs the raw
/// call, and the title and symptoms outweigh the rest.
const BM25: &str = "bm25(incident_fts, 4.0, 3.0, 1.0, 2.0, 1.0, 1.5, 1.0, 0.5)";

/// The most words a search or `fixes` asks the index for (the rarest).
const SEARCH_TERMS: usize = 12;

/// Words too common in calls to rank by.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on",
    "or", "the", "to", "was", "we", "with",
];

/// Where the library lives unless `--db` says otherwise:
/// `$HOTWASH_HOME/library.db`, else the user's data directory
/// (`$XDG_DATA_HOME/hotwash/library.db` or `~/.local/share/hotwash/library.db`).
pub fn default_path() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("HOTWASH_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(home).join(DB_FILE));
    }
    dirs::data_dir()
        .map(|d| d.join("hotwash").join(DB_FILE))
        .ok_or(Error::NoDataDir)
}

/// Now, as stored (RFC 3339, seconds, `Z`).
fn now_utc() -> String {
    fmt_utc(&Utc::now())
}

/// A time as stored.
fn fmt_utc(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A severity as stored and compared: `sev 2`, `Sev2` and `2` are `SEV2`.
pub fn normalise_severity(s: &str) -> String {
    let k: String = s
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_uppercase();
    if !k.is_empty() && k.chars().all(|c| c.is_ascii_digit()) {
        format!("SEV{k}")
    } else {
        k
    }
}

/// What narrows `list`, `search` and `fixes`.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Incidents carrying every one of these tags.
    pub tags: Vec<String>,
    /// Incidents naming this service among their systems (case-insensitive).
    pub service: Option<String>,
    /// Incidents that started at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Incidents of this severity (`SEV2`, `sev 2` and `2` are one).
    pub severity: Option<String>,
}

impl Filters {
    /// The SQL conditions (each starting ` AND`, over incidents `i`) and their parameters.
    fn sql(&self, params: &mut Vec<rusqlite::types::Value>) -> Result<String> {
        let mut s = String::new();
        for t in &self.tags {
            s.push_str(
                " AND EXISTS (SELECT 1 FROM tags t WHERE t.incident_id = i.id AND t.tag = ? AND t.removed = 0)",
            );
            params.push(tags::normalise_tag(t)?.into());
        }
        if let Some(svc) = &self.service {
            s.push_str(
                " AND EXISTS (SELECT 1 FROM services s WHERE s.incident_id = i.id AND s.service = ?)",
            );
            params.push(svc.trim().to_lowercase().into());
        }
        if let Some(since) = &self.since {
            s.push_str(" AND i.started >= ?");
            params.push(fmt_utc(since).into());
        }
        if let Some(sev) = &self.severity {
            s.push_str(" AND i.severity = ?");
            params.push(normalise_severity(sev).into());
        }
        Ok(s)
    }
}

/// One incident as `list` and `search` show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentSummary {
    /// The incident's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its severity, normalised (`SEV2`).
    pub severity: Option<String>,
    /// When it started (RFC 3339), or its date at midnight, when known.
    pub started: Option<String>,
    /// Mitigation state at the end of the call.
    pub status: String,
    /// Systems named as affected (lowercase).
    pub services: Vec<String>,
    /// Its tags (not the removed ones).
    pub tags: Vec<String>,
    /// The incident directory it was added from.
    pub dir: String,
}

/// A search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The incident.
    pub incident: IncidentSummary,
    /// BM25 score (higher is a better match).
    pub score: f64,
    /// The best-matching passage, matches in `[brackets]`.
    pub snippet: String,
}

/// An utterance a stored line cites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cited {
    /// The utterance id.
    pub id: String,
    /// Who said it.
    pub speaker: Option<String>,
    /// Seconds from the incident's start.
    pub offset_s: f64,
    /// Wall clock, when known.
    pub time_utc: Option<String>,
    /// What was said.
    pub text: String,
}

/// A mitigation as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMitigation {
    /// Its place in the record's list (0-based).
    pub seq: i64,
    /// What was done.
    pub what: String,
    /// Who did it.
    pub who: Option<String>,
    /// Whether it worked; `None` when never said.
    pub worked: Option<bool>,
    /// The words that settled it.
    pub result: Option<String>,
    /// Seconds from the incident's start.
    pub offset_s: f64,
    /// Wall clock, when known.
    pub time_utc: Option<String>,
    /// The utterances it was read from (the attempt, then the result).
    pub cited: Vec<Cited>,
}

/// "What fixed it last time": a mitigation that worked, and its incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    /// The incident's id.
    pub incident_id: String,
    /// Its title.
    pub incident_title: String,
    /// When it started, when known.
    pub started: Option<String>,
    /// How well the incident matches the symptom (BM25, higher is better).
    pub score: f64,
    /// The mitigation.
    pub mitigation: StoredMitigation,
}

/// A tag on an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRow {
    /// The tag.
    pub tag: String,
    /// `suggested` (from the catalogue) or `user`.
    pub source: String,
    /// The record's phrases that suggested it.
    pub triggers: Vec<String>,
    /// Removed by a user (kept so that a re-add does not suggest it again).
    pub removed: bool,
}

/// An action item as tracked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRow {
    /// `INCIDENT/ITEM`, e.g. `inc-20260212-0035/A3`.
    pub id: String,
    /// The incident's id.
    pub incident_id: String,
    /// The record's item id (`A3`).
    pub item: String,
    /// What is to be done.
    pub action: String,
    /// Who owns it.
    pub owner: Option<String>,
    /// Due date.
    pub due: Option<NaiveDate>,
    /// Priority (`High`, `Medium`, `Low`).
    pub priority: String,
    /// Category (`prevention`, `detection`...).
    pub category: String,
    /// How we will know it is done and works.
    pub verification: Option<String>,
    /// Where it stands.
    pub status: ActionStatus,
    /// How the verification was met (set when verified).
    pub evidence: Option<String>,
    /// Why it will not be done (set when won't do).
    pub reason: Option<String>,
    /// False when a later version of the record no longer has the item.
    pub in_record: bool,
    /// When it last changed.
    pub updated_utc: String,
    /// What the tracker said of it at the last `hotwash actions import`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracker: Option<TrackerState>,
}

/// An action's issue in Jira or Linear, as last imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackerState {
    /// `jira` or `linear`.
    pub tracker: String,
    /// The key.
    pub key: String,
    /// Its status there.
    pub status: String,
    /// When it was read.
    pub seen_utc: String,
}

/// One status change of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// The status before (`None` when the action was first tracked).
    pub from: Option<ActionStatus>,
    /// The status after.
    pub to: ActionStatus,
    /// Who changed it.
    pub who: String,
    /// When.
    pub at_utc: String,
    /// The evidence or reason given.
    pub note: Option<String>,
}

/// What narrows `actions list`.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    /// Owned by (case-insensitive).
    pub owner: Option<String>,
    /// Of this incident.
    pub incident: Option<String>,
    /// In this status.
    pub status: Option<ActionStatus>,
}

/// Everything stored about one incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentView {
    /// The summary line.
    pub summary: IncidentSummary,
    /// When it was first added.
    pub added_utc: String,
    /// When it was last added or imported.
    pub updated_utc: String,
    /// Its files with their checksums.
    pub artifacts: Vec<Artifact>,
    /// Its tags, removed ones included.
    pub tags: Vec<TagRow>,
    /// Its mitigations.
    pub mitigations: Vec<StoredMitigation>,
    /// Its action items.
    pub actions: Vec<ActionRow>,
    /// The record.
    pub record: IncidentRecord,
}

/// What `add` did.
#[derive(Debug, Clone, PartialEq)]
pub struct Added {
    /// The incident's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// True when the incident was already in the library (now updated).
    pub updated: bool,
    /// Action items tracked.
    pub actions: usize,
    /// Of which new.
    pub new_actions: usize,
    /// Artifacts stored.
    pub artifacts: usize,
    /// Tags suggested from the record.
    pub suggested: Vec<Suggestion>,
    /// Notes for the user.
    pub warnings: Vec<String>,
    /// Past incidents this one resembles (a shared signature, or meaning
    /// at least [`RECUR_MEANING`]), with their actions not yet verified.
    pub recurrences: Vec<Recurrence>,
}

/// Cosine by meaning from which an added incident is said to resemble a
/// past one (all-MiniLM-L6-v2; measured in `hotwash eval library`).
pub const RECUR_MEANING: f32 = 0.7;

/// A past incident an added one resembles.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recurrence {
    /// The past incident and why it matched.
    pub hit: SimilarHit,
    /// Its action items that are neither verified nor declined.
    pub unverified: Vec<ActionRow>,
}

/// What `check` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Incidents checked.
    pub incidents: usize,
    /// Artifacts checked.
    pub artifacts: usize,
    /// Everything wrong, one line each; empty when all is well.
    pub problems: Vec<String>,
}

impl CheckReport {
    /// True when nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The incident library: one SQLite database.
#[derive(Debug)]
pub struct Library {
    conn: Connection,
    path: PathBuf,
    catalogue: Catalogue,
    signatures: Signatures,
    embedder: Option<Arc<dyn Embed>>,
    cache: RefCell<similar::VectorCache>,
    /// Writes through this connection (with `PRAGMA data_version`, which
    /// counts the others', it tells when the vector cache is stale).
    writes: Cell<u64>,
}

/// Turns SQLite's "not a database"/"corrupt" into the error that says so.
fn classify(path: &Path, err: rusqlite::Error) -> Error {
    if let rusqlite::Error::SqliteFailure(f, _) = &err {
        if matches!(f.code, ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) {
            return Error::NotADatabase {
                path: path.to_path_buf(),
            };
        }
    }
    Error::Sqlite {
        path: path.to_path_buf(),
        err,
    }
}

fn is_busy(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// The utterances with these ids, in the order given.
fn cite(r: &IncidentRecord, ids: &[String]) -> Vec<Cited> {
    ids.iter()
        .filter_map(|id| r.utterances.iter().find(|u| &u.id == id))
        .map(|u| Cited {
            id: u.id.clone(),
            speaker: u.speaker.clone(),
            offset_s: u.offset_s,
            time_utc: u.start_utc.as_ref().map(fmt_utc),
            text: u.text.trim().to_string(),
        })
        .collect()
}

/// The fields of an incident row `write_incident` stores.
struct IncidentWrite<'a> {
    record: &'a IncidentRecord,
    record_json: &'a str,
    dir: &'a str,
    added_utc: &'a str,
    updated_utc: &'a str,
    artifacts: &'a [Artifact],
}

/// Stores (or replaces) the incident row and everything derived from the
/// record: services, artifacts, mitigations, the search text. Tags and
/// actions are the caller's. Returns whether the incident was there before.
fn write_incident(tx: &Transaction<'_>, w: &IncidentWrite<'_>) -> rusqlite::Result<bool> {
    let r = w.record;
    let id = &r.incident.id;
    let existed: bool = tx
        .query_row("SELECT 1 FROM incidents WHERE id = ?", [id], |_| Ok(()))
        .optional()?
        .is_some();
    let started = r
        .incident
        .start_utc
        .as_ref()
        .map(fmt_utc)
        .or_else(|| r.incident.date.map(|d| format!("{d}T00:00:00Z")));
    let text = ingest::search_text(r);
    tx.execute(
        "INSERT INTO incidents (id, title, severity, started, status, dir, record_json, transcript, added_utc, updated_utc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT(id) DO UPDATE SET title = excluded.title, severity = excluded.severity,
           started = excluded.started, status = excluded.status, dir = excluded.dir,
           record_json = excluded.record_json, transcript = excluded.transcript,
           updated_utc = excluded.updated_utc",
        params![
            id,
            r.incident.title,
            r.incident.severity.as_deref().map(normalise_severity),
            started,
            r.incident.status,
            w.dir,
            w.record_json,
            text.transcript,
            w.added_utc,
            w.updated_utc,
        ],
    )?;
    let rowid: i64 = tx.query_row("SELECT rowid FROM incidents WHERE id = ?", [id], |row| {
        row.get(0)
    })?;
    for table in ["services", "artifacts", "mitigations"] {
        tx.execute(&format!("DELETE FROM {table} WHERE incident_id = ?"), [id])?;
    }
    tx.execute("DELETE FROM incident_fts WHERE rowid = ?", [rowid])?;
    let mut services: Vec<String> = r
        .incident
        .systems
        .iter()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    services.sort();
    services.dedup();
    for s in services {
        tx.execute(
            "INSERT INTO services (incident_id, service) VALUES (?, ?)",
            params![id, s],
        )?;
    }
    for a in w.artifacts {
        tx.execute(
            "INSERT INTO artifacts (incident_id, name, path, sha256, bytes) VALUES (?, ?, ?, ?, ?)",
            params![id, a.name, a.path, a.sha256, a.bytes as i64],
        )?;
    }
    for (seq, m) in r.mitigations.iter().enumerate() {
        let cited = serde_json::to_string(&cite(r, &m.sources)).unwrap_or_else(|_| "[]".into());
        tx.execute(
            "INSERT INTO mitigations (incident_id, seq, what, who, worked, result, offset_s, time_utc, cited)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                id,
                seq as i64,
                m.what,
                m.who,
                m.worked,
                m.result,
                m.offset_s,
                m.time_utc.as_ref().map(fmt_utc),
                cited
            ],
        )?;
    }
    tx.execute(
        "INSERT INTO incident_fts (rowid, title, symptoms, timeline, rca, decisions, mitigations, actions, transcript)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            rowid,
            text.title,
            text.symptoms,
            text.timeline,
            text.rca,
            text.decisions,
            text.mitigations,
            text.actions,
            text.transcript
        ],
    )?;
    Ok(existed)
}

fn action_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ActionRow> {
    let status: String = row.get(9)?;
    let due: Option<String> = row.get(5)?;
    Ok(ActionRow {
        id: row.get(0)?,
        incident_id: row.get(1)?,
        item: row.get(2)?,
        action: row.get(3)?,
        owner: row.get(4)?,
        due: due.and_then(|d| d.parse().ok()),
        priority: row.get(6)?,
        category: row.get(7)?,
        verification: row.get(8)?,
        status: status.parse().unwrap_or(ActionStatus::Open),
        evidence: row.get(10)?,
        reason: row.get(11)?,
        in_record: row.get(12)?,
        updated_utc: row.get(13)?,
        tracker: match row.get::<_, Option<String>>(14)? {
            Some(tracker) => Some(TrackerState {
                tracker,
                key: row.get::<_, Option<String>>(15)?.unwrap_or_default(),
                status: row.get::<_, Option<String>>(16)?.unwrap_or_default(),
                seen_utc: row.get::<_, Option<String>>(17)?.unwrap_or_default(),
            }),
            None => None,
        },
    })
}

const ACTION_COLUMNS: &str = "id, incident_id, item, action, owner, due, priority, category, verification, status, evidence, reason, in_record, updated_utc, tracker, tracker_key, tracker_status, tracker_utc";

fn mitigation_from_row(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<StoredMitigation> {
    let cited: String = row.get(at + 7)?;
    Ok(StoredMitigation {
        seq: row.get(at)?,
        what: row.get(at + 1)?,
        who: row.get(at + 2)?,
        worked: row.get(at + 3)?,
        result: row.get(at + 4)?,
        offset_s: row.get(at + 5)?,
        time_utc: row.get(at + 6)?,
        cited: serde_json::from_str(&cited).unwrap_or_default(),
    })
}

const MITIGATION_COLUMNS: &str =
    "m.seq, m.what, m.who, m.worked, m.result, m.offset_s, m.time_utc, m.cited";

impl Library {
    /// Opens the library at `path`, creating it (and its directory) when
    /// absent and bringing its schema up to date. A file that is not SQLite,
    /// an SQLite database of something else, or a library from a newer
    /// hotwash is refused with an error naming the file.
    pub fn open(path: &Path) -> Result<Library> {
        if path.is_dir() {
            return Err(Error::Usage(format!(
                "{}: is a directory; the library is a file (pass --db DIR/{DB_FILE})",
                path.display()
            )));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|err| Error::Write {
                path: parent.to_path_buf(),
                err,
            })?;
        }
        let conn = Connection::open(path).map_err(|e| classify(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| classify(path, e))?;
        let mut lib = Library {
            conn,
            path: path.to_path_buf(),
            catalogue: Catalogue::builtin()?,
            signatures: Signatures::builtin()?,
            embedder: None,
            cache: RefCell::default(),
            writes: Cell::new(0),
        };
        let version = lib.probe()?;
        lib.retry_busy(|c| {
            c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
                .map(|_| ())
        })?;
        lib.conn
            .execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
            .map_err(|e| classify(path, e))?;
        if version < schema::VERSION {
            lib.migrate()?;
        }
        Ok(lib)
    }

    /// Uses `e` to embed what is added and what `similar` is asked
    /// (all-MiniLM-L6-v2 in hotwash); without one, `similar` ranks by
    /// signatures and words only.
    pub fn with_embedder(mut self, e: Arc<dyn Embed>) -> Library {
        self.embedder = Some(e);
        self
    }

    /// Whether an embedder is set.
    pub fn has_embedder(&self) -> bool {
        self.embedder.is_some()
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        |e| classify(&self.path, e)
    }

    /// Runs `f`, again while another connection holds a lock SQLite's busy
    /// handler does not wait for (the switch to WAL).
    fn retry_busy(&self, f: impl Fn(&Connection) -> rusqlite::Result<()>) -> Result<()> {
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match f(&self.conn) {
                Ok(()) => return Ok(()),
                Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(classify(&self.path, e)),
            }
        }
    }

    /// Reads the file's identity; refuses foreign and newer files. The
    /// three reads are one read transaction: read apart, a second process
    /// opening a new file while the first creates the schema could see the
    /// tables without the application id and call the file foreign.
    fn probe(&self) -> Result<i64> {
        self.conn.execute_batch("BEGIN").map_err(self.err())?;
        let found = self.read_identity();
        let _ = self.conn.execute_batch("ROLLBACK");
        found
    }

    fn read_identity(&self) -> Result<i64> {
        let app: i32 = self
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(self.err())?;
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(self.err())?;
        let tables: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(self.err())?;
        if app != schema::APPLICATION_ID {
            if app != 0 {
                return Err(Error::Foreign {
                    path: self.path.clone(),
                    reason: format!("application id {app:#x}"),
                });
            }
            if tables > 0 || version != 0 {
                return Err(Error::Foreign {
                    path: self.path.clone(),
                    reason: format!("it holds {tables} other tables or indexes"),
                });
            }
        }
        if version > schema::VERSION {
            return Err(Error::TooNew {
                path: self.path.clone(),
                found: version,
                known: schema::VERSION,
            });
        }
        Ok(version)
    }

    /// Applies the migrations the file lacks, in one transaction.
    fn migrate(&mut self) -> Result<()> {
        let path = self.path.clone();
        let e = |err| classify(&path, err);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(e)?;
        if version < schema::VERSION {
            let from = usize::try_from(version).unwrap_or(0);
            for m in &schema::MIGRATIONS[from..] {
                tx.execute_batch(m).map_err(e)?;
            }
            tx.execute_batch(&format!(
                "PRAGMA application_id = {}; PRAGMA user_version = {};",
                schema::APPLICATION_ID,
                schema::VERSION
            ))
            .map_err(e)?;
        }
        tx.commit().map_err(e)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(self.err())
    }

    /// Reads an incident directory and adds it (see [`Library::add_prepared`]).
    pub fn add(&mut self, dir: &Path, who: &str) -> Result<Added> {
        let p = ingest::prepare(dir)?;
        self.add_prepared(&p, who)
    }

    /// Adds a read incident in one transaction: the record, its artifacts,
    /// its search text, suggested tags and every action item. Adding an
    /// incident already there updates it and keeps its action statuses,
    /// its history and the tags users set or removed.
    pub fn add_prepared(&mut self, p: &Prepared, who: &str) -> Result<Added> {
        let now = now_utc();
        let r = &p.record;
        let id = r.incident.id.clone();
        let text = ingest::search_text(r);
        let suggested = self.catalogue.suggest(&text.extracted());
        let sigs = similar::record_signatures(&self.signatures, r);
        let vectors = similar::embed_record(self, r)?;
        let path = self.path.clone();
        let e = |err| classify(&path, err);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        let dir = p.dir.display().to_string();
        let updated = write_incident(
            &tx,
            &IncidentWrite {
                record: r,
                record_json: &p.record_json,
                dir: &dir,
                added_utc: &now,
                updated_utc: &now,
                artifacts: &p.artifacts,
            },
        )
        .map_err(e)?;
        similar::write_derived(&tx, &id, &sigs, Some(vectors.as_slice())).map_err(e)?;
        tx.execute(
            "DELETE FROM tags WHERE incident_id = ? AND source = 'suggested' AND removed = 0",
            [&id],
        )
        .map_err(e)?;
        for s in &suggested {
            tx.execute(
                "INSERT INTO tags (incident_id, tag, source, triggers, removed) VALUES (?, ?, 'suggested', ?, 0)
                 ON CONFLICT(incident_id, tag) DO NOTHING",
                params![id, s.tag, serde_json::to_string(&s.triggers).unwrap_or_default()],
            )
            .map_err(e)?;
        }
        tx.execute(
            "UPDATE actions SET in_record = 0 WHERE incident_id = ?",
            [&id],
        )
        .map_err(e)?;
        let mut new_actions = 0;
        for a in &r.action_items {
            let aid = format!("{id}/{}", a.id);
            let existed = tx
                .query_row("SELECT 1 FROM actions WHERE id = ?", [&aid], |_| Ok(()))
                .optional()
                .map_err(e)?
                .is_some();
            tx.execute(
                "INSERT INTO actions (id, incident_id, item, action, owner, due, priority, category, verification, status, evidence, reason, in_record, updated_utc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'open', NULL, NULL, 1, ?10)
                 ON CONFLICT(id) DO UPDATE SET action = excluded.action, owner = excluded.owner,
                   due = excluded.due, priority = excluded.priority, category = excluded.category,
                   verification = excluded.verification, in_record = 1",
                params![
                    aid,
                    id,
                    a.id,
                    a.action,
                    a.owner,
                    a.due.map(|d| d.to_string()),
                    a.priority.as_str(),
                    a.category.as_str(),
                    a.verification,
                    now
                ],
            )
            .map_err(e)?;
            if !existed {
                new_actions += 1;
                tx.execute(
                    "INSERT INTO action_history (action_id, from_status, to_status, who, at_utc, note)
                     VALUES (?, NULL, 'open', ?, ?, 'tracked from the record')",
                    params![aid, who, now],
                )
                .map_err(e)?;
            }
        }
        tx.commit().map_err(e)?;
        let before = self.writes.get();
        self.writes.set(before + 1);
        self.patch_cache(&id, &vectors, before)?;
        let recurrences = self.recurrences(&id)?;
        Ok(Added {
            recurrences,
            id,
            title: r.incident.title.clone(),
            updated,
            actions: r.action_items.len(),
            new_actions,
            artifacts: p.artifacts.len(),
            suggested,
            warnings: p.warnings.clone(),
        })
    }

    /// The past incidents `id` resembles, with their unverified actions.
    fn recurrences(&self, id: &str) -> Result<Vec<Recurrence>> {
        let answer = self.similar(SimilarTo::Incident(id), 5)?;
        let mut out = Vec::new();
        for hit in answer.hits {
            let close =
                !hit.signatures.is_empty() || hit.meaning.is_some_and(|m| m >= RECUR_MEANING);
            if !close {
                continue;
            }
            let unverified = self
                .actions(&ActionFilter {
                    incident: Some(hit.incident.id.clone()),
                    ..ActionFilter::default()
                })?
                .into_iter()
                .filter(|a| !matches!(a.status, ActionStatus::Verified | ActionStatus::WontDo))
                .collect();
            out.push(Recurrence { hit, unverified });
        }
        Ok(out)
    }

    fn summaries(&self, ids: &[String]) -> Result<Vec<IncidentSummary>> {
        ids.iter().map(|id| self.summary(id)).collect()
    }

    fn summary(&self, id: &str) -> Result<IncidentSummary> {
        let row = self
            .conn
            .query_row(
                "SELECT id, title, severity, started, status, dir FROM incidents WHERE id = ?",
                [id],
                |r| {
                    Ok(IncidentSummary {
                        id: r.get(0)?,
                        title: r.get(1)?,
                        severity: r.get(2)?,
                        started: r.get(3)?,
                        status: r.get(4)?,
                        dir: r.get(5)?,
                        services: Vec::new(),
                        tags: Vec::new(),
                    })
                },
            )
            .optional()
            .map_err(self.err())?;
        let mut s = row.ok_or_else(|| Error::UnknownIncident { id: id.to_string() })?;
        s.services = self.strings(
            "SELECT service FROM services WHERE incident_id = ? ORDER BY service",
            id,
        )?;
        s.tags = self.strings(
            "SELECT tag FROM tags WHERE incident_id = ? AND removed = 0 ORDER BY tag",
            id,
        )?;
        Ok(s)
    }

    fn strings(&self, sql: &str, arg: &str) -> Result<Vec<String>> {
        let mut st = self.conn.prepare(sql).map_err(self.err())?;
        let rows = st
            .query_map([arg], |r| r.get::<_, String>(0))
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    /// Every incident the filters let through, the latest first.
    pub fn list(&self, filters: &Filters) -> Result<Vec<IncidentSummary>> {
        let mut params = Vec::new();
        let cond = filters.sql(&mut params)?;
        let sql = format!(
            "SELECT i.id FROM incidents i WHERE 1 = 1{cond} ORDER BY i.started DESC NULLS LAST, i.id"
        );
        let mut st = self.conn.prepare(&sql).map_err(self.err())?;
        let ids = st
            .query_map(params_from_iter(params.iter()), |r| r.get::<_, String>(0))
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())?;
        self.summaries(&ids)
    }

    /// The stored record of one incident, parsed (and migrated).
    pub(crate) fn stored_record(&self, id: &str) -> Result<IncidentRecord> {
        let json: String = self
            .conn
            .query_row(
                "SELECT record_json FROM incidents WHERE id = ?",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err())?
            .ok_or_else(|| Error::UnknownIncident { id: id.to_string() })?;
        ingest::parse_record(&json).map_err(|reason| Error::BadRecord {
            reason: format!("{}: stored record of {id}: {reason}", self.path.display()),
        })
    }

    /// Everything stored about one incident.
    pub fn show(&self, id: &str) -> Result<IncidentView> {
        let summary = self.summary(id)?;
        let (added_utc, updated_utc): (String, String) = self
            .conn
            .query_row(
                "SELECT added_utc, updated_utc FROM incidents WHERE id = ?",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(self.err())?;
        let record = self.stored_record(id)?;
        Ok(IncidentView {
            summary,
            added_utc,
            updated_utc,
            artifacts: self.artifacts(id)?,
            tags: self.tags(id)?,
            mitigations: self.mitigations(id)?,
            actions: self.actions(&ActionFilter {
                incident: Some(id.to_string()),
                ..ActionFilter::default()
            })?,
            record,
        })
    }

    fn artifacts(&self, id: &str) -> Result<Vec<Artifact>> {
        let mut st = self
            .conn
            .prepare("SELECT name, path, sha256, bytes FROM artifacts WHERE incident_id = ? ORDER BY name")
            .map_err(self.err())?;
        let rows = st
            .query_map([id], |r| {
                Ok(Artifact {
                    name: r.get(0)?,
                    path: r.get(1)?,
                    sha256: r.get(2)?,
                    bytes: r.get::<_, i64>(3)?.max(0) as u64,
                })
            })
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    /// An incident's tags, removed ones included.
    pub fn tags(&self, id: &str) -> Result<Vec<TagRow>> {
        let mut st = self
            .conn
            .prepare("SELECT tag, source, triggers, removed FROM tags WHERE incident_id = ? ORDER BY tag")
            .map_err(self.err())?;
        let rows = st
            .query_map([id], |r| {
                let triggers: String = r.get(2)?;
                Ok(TagRow {
                    tag: r.get(0)?,
                    source: r.get(1)?,
                    triggers: serde_json::from_str(&triggers).unwrap_or_default(),
                    removed: r.get(3)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    fn mitigations(&self, id: &str) -> Result<Vec<StoredMitigation>> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT {MITIGATION_COLUMNS} FROM mitigations m WHERE m.incident_id = ? ORDER BY m.seq"
            ))
            .map_err(self.err())?;
        let rows = st
            .query_map([id], |r| mitigation_from_row(r, 0))
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    /// Incidents matching free text, best first (FTS5 BM25 over the title,
    /// symptoms, timeline, RCA, decisions, mitigations, actions and the
    /// transcript, extracted fields weighted over the raw call).
    pub fn search(&self, query: &str, filters: &Filters, limit: usize) -> Result<Vec<Hit>> {
        let q = self.match_query(query, SEARCH_TERMS)?;
        let mut params: Vec<rusqlite::types::Value> = vec![q.clone().into()];
        let cond = filters.sql(&mut params)?;
        params.push((limit.max(1) as i64).into());
        // Ranked first, then a snippet for the rows shown only: a snippet
        // for every matching row costs ten times the ranking.
        // Without filters the best rows are taken before the join (joining
        // every matching row first costs as much as the ranking).
        let sql = if cond.is_empty() {
            format!(
                "SELECT i.id, f.score, f.rid FROM
                   (SELECT rowid AS rid, {BM25} AS score
                      FROM incident_fts WHERE incident_fts MATCH ? ORDER BY score, rowid LIMIT ?) f
                 JOIN incidents i ON i.rowid = f.rid
                 ORDER BY f.score, i.id"
            )
        } else {
            format!(
                "SELECT i.id, f.score, f.rid FROM
                   (SELECT rowid AS rid, {BM25} AS score
                      FROM incident_fts WHERE incident_fts MATCH ?) f
                 JOIN incidents i ON i.rowid = f.rid
                 WHERE 1 = 1{cond}
                 ORDER BY f.score, i.id LIMIT ?"
            )
        };
        let mut st = self.conn.prepare(&sql).map_err(self.err())?;
        let rows = st
            .query_map(params_from_iter(params.iter()), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())?;
        let mut snip = self
            .conn
            .prepare_cached(
                "SELECT snippet(incident_fts, -1, '[', ']', '…', 12) FROM incident_fts
                 WHERE incident_fts MATCH ? AND rowid = ?",
            )
            .map_err(self.err())?;
        rows.into_iter()
            .map(|(id, score, rid)| {
                let snippet: String = snip
                    .query_row(params![q, rid], |r| r.get(0))
                    .map_err(self.err())?;
                Ok(Hit {
                    incident: self.summary(&id)?,
                    score: -score,
                    snippet: snippet.split_whitespace().collect::<Vec<_>>().join(" "),
                })
            })
            .collect()
    }

    /// "What fixed it last time": the mitigations that worked, ranked by
    /// how well their incident matches the symptom, each with its incident,
    /// time and the utterances it cites.
    pub fn fixes(&self, symptom: &str, filters: &Filters, limit: usize) -> Result<Vec<Fix>> {
        let q = self.match_query(symptom, SEARCH_TERMS)?;
        let mut params: Vec<rusqlite::types::Value> = vec![q.into()];
        let cond = filters.sql(&mut params)?;
        params.push((limit.max(1) as i64).into());
        let sql = format!(
            "SELECT i.id, i.title, i.started, f.score, {MITIGATION_COLUMNS} FROM
               (SELECT rowid AS rid, {BM25} AS score FROM incident_fts WHERE incident_fts MATCH ?) f
             JOIN incidents i ON i.rowid = f.rid
             JOIN mitigations m ON m.incident_id = i.id
             WHERE m.worked = 1{cond}
             ORDER BY f.score, i.id, m.seq LIMIT ?"
        );
        let mut st = self.conn.prepare(&sql).map_err(self.err())?;
        let rows = st
            .query_map(params_from_iter(params.iter()), |r| {
                Ok(Fix {
                    incident_id: r.get(0)?,
                    incident_title: r.get(1)?,
                    started: r.get(2)?,
                    score: -r.get::<_, f64>(3)?,
                    mitigation: mitigation_from_row(r, 4)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    fn require_incident(&self, id: &str) -> Result<()> {
        let there = self
            .conn
            .query_row("SELECT 1 FROM incidents WHERE id = ?", [id], |_| Ok(()))
            .optional()
            .map_err(self.err())?
            .is_some();
        if there {
            Ok(())
        } else {
            Err(Error::UnknownIncident { id: id.to_string() })
        }
    }

    /// Adds tags to an incident (or, with `remove`, takes them off), in one
    /// transaction; returns its tags after.
    pub fn tag(&mut self, id: &str, tags: &[String], remove: bool) -> Result<Vec<TagRow>> {
        self.require_incident(id)?;
        let tags = tags
            .iter()
            .map(|t| tags::normalise_tag(t))
            .collect::<Result<Vec<_>>>()?;
        let path = self.path.clone();
        let e = |err| classify(&path, err);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        for t in &tags {
            if remove {
                let n = tx
                    .execute(
                        "UPDATE tags SET removed = 1 WHERE incident_id = ? AND tag = ? AND removed = 0",
                        params![id, t],
                    )
                    .map_err(e)?;
                if n == 0 {
                    return Err(Error::BadTag {
                        tag: t.clone(),
                        reason: format!("not on {id}; `hotwash library show {id}` lists its tags"),
                    });
                }
            } else {
                tx.execute(
                    "INSERT INTO tags (incident_id, tag, source, triggers, removed) VALUES (?, ?, 'user', '[]', 0)
                     ON CONFLICT(incident_id, tag) DO UPDATE SET removed = 0",
                    params![id, t],
                )
                .map_err(e)?;
            }
        }
        tx.commit().map_err(e)?;
        self.tags(id)
    }

    /// How many incidents carry each tag, the most frequent first ("which
    /// failure modes keep coming back").
    pub fn tag_counts(&self) -> Result<Vec<(String, usize)>> {
        let mut st = self
            .conn
            .prepare("SELECT tag, count(*) AS n FROM tags WHERE removed = 0 GROUP BY tag ORDER BY n DESC, tag")
            .map_err(self.err())?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    /// Action items the filter lets through (only those the latest record
    /// still has), by incident and item.
    pub fn actions(&self, f: &ActionFilter) -> Result<Vec<ActionRow>> {
        if let Some(inc) = &f.incident {
            self.require_incident(inc)?;
        }
        let mut sql = format!("SELECT {ACTION_COLUMNS} FROM actions WHERE in_record = 1");
        let mut params: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(o) = &f.owner {
            sql.push_str(" AND lower(owner) = lower(?)");
            params.push(o.trim().to_string().into());
        }
        if let Some(i) = &f.incident {
            sql.push_str(" AND incident_id = ?");
            params.push(i.clone().into());
        }
        if let Some(s) = f.status {
            sql.push_str(" AND status = ?");
            params.push(s.as_str().to_string().into());
        }
        sql.push_str(" ORDER BY incident_id, length(item), item");
        self.query_actions(&sql, params)
    }

    fn query_actions(
        &self,
        sql: &str,
        params: Vec<rusqlite::types::Value>,
    ) -> Result<Vec<ActionRow>> {
        let mut st = self.conn.prepare(sql).map_err(self.err())?;
        let rows = st
            .query_map(params_from_iter(params.iter()), action_from_row)
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    /// Open or in-progress actions due from `today` to `within_days` after it, soonest first.
    pub fn due(&self, today: NaiveDate, within_days: u32) -> Result<Vec<ActionRow>> {
        let until = today
            .checked_add_days(chrono::Days::new(u64::from(within_days)))
            .unwrap_or(NaiveDate::MAX);
        self.query_actions(
            &format!(
                "SELECT {ACTION_COLUMNS} FROM actions WHERE in_record = 1
                 AND status IN ('open', 'in-progress') AND due IS NOT NULL AND due >= ? AND due <= ?
                 ORDER BY due, id"
            ),
            vec![today.to_string().into(), until.to_string().into()],
        )
    }

    /// Open or in-progress actions whose due date is before `today`, the oldest first.
    pub fn overdue(&self, today: NaiveDate) -> Result<Vec<ActionRow>> {
        self.query_actions(
            &format!(
                "SELECT {ACTION_COLUMNS} FROM actions WHERE in_record = 1
                 AND status IN ('open', 'in-progress') AND due IS NOT NULL AND due < ?
                 ORDER BY due, id"
            ),
            vec![today.to_string().into()],
        )
    }

    /// One action.
    pub fn action(&self, id: &str) -> Result<ActionRow> {
        let rows = self.query_actions(
            &format!("SELECT {ACTION_COLUMNS} FROM actions WHERE id = ?"),
            vec![id.to_string().into()],
        )?;
        rows.into_iter()
            .next()
            .ok_or_else(|| Error::UnknownAction { id: id.to_string() })
    }

    /// An action's status changes, oldest first.
    pub fn history(&self, id: &str) -> Result<Vec<HistoryRow>> {
        self.action(id)?;
        let mut st = self
            .conn
            .prepare("SELECT from_status, to_status, who, at_utc, note FROM action_history WHERE action_id = ? ORDER BY seq")
            .map_err(self.err())?;
        let rows = st
            .query_map([id], |r| {
                let from: Option<String> = r.get(0)?;
                let to: String = r.get(1)?;
                Ok(HistoryRow {
                    from: from.and_then(|s| s.parse().ok()),
                    to: to.parse().unwrap_or(ActionStatus::Open),
                    who: r.get(2)?,
                    at_utc: r.get(3)?,
                    note: r.get(4)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    /// Moves an action to `to`, in one transaction with its history row.
    /// Verified needs `evidence` (how the verification plan was met); won't
    /// do needs a `reason`; a move the workflow does not allow is refused.
    pub fn set_status(
        &mut self,
        id: &str,
        to: ActionStatus,
        evidence: Option<&str>,
        reason: Option<&str>,
        who: &str,
    ) -> Result<ActionRow> {
        let evidence = evidence.map(str::trim).filter(|s| !s.is_empty());
        let reason = reason.map(str::trim).filter(|s| !s.is_empty());
        let refuse = |from: ActionStatus, hint: String| Error::Transition {
            id: id.to_string(),
            from: from.as_str().to_string(),
            to: to.as_str().to_string(),
            hint,
        };
        let path = self.path.clone();
        let e = |err| classify(&path, err);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        let from: String = tx
            .query_row("SELECT status FROM actions WHERE id = ?", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(e)?
            .ok_or_else(|| Error::UnknownAction { id: id.to_string() })?;
        let from: ActionStatus = from.parse().unwrap_or(ActionStatus::Open);
        from.check(to).map_err(|hint| refuse(from, hint))?;
        match to {
            ActionStatus::Verified if evidence.is_none() => {
                return Err(refuse(
                    from,
                    "verifying needs the evidence: --evidence \"how the verification plan was met (a link or a note)\"".into(),
                ))
            }
            ActionStatus::WontDo if reason.is_none() => {
                return Err(refuse(from, "won't do needs --reason \"why\"".into()))
            }
            _ => {}
        }
        if evidence.is_some() && to != ActionStatus::Verified {
            return Err(Error::Usage(format!(
                "action {id}: --evidence goes with verified, not {to}"
            )));
        }
        if reason.is_some() && to != ActionStatus::WontDo {
            return Err(Error::Usage(format!(
                "action {id}: --reason goes with wont-do, not {to}"
            )));
        }
        let now = now_utc();
        tx.execute(
            "UPDATE actions SET status = ?, evidence = coalesce(?, evidence), reason = coalesce(?, reason), updated_utc = ? WHERE id = ?",
            params![to.as_str(), evidence, reason, now, id],
        )
        .map_err(e)?;
        tx.execute(
            "INSERT INTO action_history (action_id, from_status, to_status, who, at_utc, note) VALUES (?, ?, ?, ?, ?, ?)",
            params![id, from.as_str(), to.as_str(), who, now, evidence.or(reason)],
        )
        .map_err(e)?;
        tx.commit().map_err(e)?;
        self.action(id)
    }

    /// SQLite's integrity check, the search index's, foreign keys, and every
    /// stored artifact: the file is there with the sha256 it was added with.
    pub fn check(&mut self) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        {
            let mut st = self
                .conn
                .prepare("PRAGMA integrity_check")
                .map_err(self.err())?;
            let rows = st
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(self.err())?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(self.err())?;
            for r in rows.into_iter().filter(|r| r != "ok") {
                report.problems.push(format!("integrity: {r}"));
            }
            let mut st = self
                .conn
                .prepare("PRAGMA foreign_key_check")
                .map_err(self.err())?;
            let n = st.query_map([], |_| Ok(())).map_err(self.err())?.count();
            if n > 0 {
                report
                    .problems
                    .push(format!("integrity: {n} rows point at missing rows"));
            }
        }
        if let Err(err) = self.conn.execute(
            "INSERT INTO incident_fts (incident_fts) VALUES ('integrity-check')",
            [],
        ) {
            report
                .problems
                .push(format!("integrity: the search index: {err}"));
        }
        report.incidents = self
            .conn
            .query_row("SELECT count(*) FROM incidents", [], |r| r.get::<_, i64>(0))
            .map_err(self.err())? as usize;
        let mut st = self
            .conn
            .prepare(
                "SELECT incident_id, name, path, sha256 FROM artifacts ORDER BY incident_id, name",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())?;
        for (inc, name, path, sha) in rows {
            report.artifacts += 1;
            let p = Path::new(&path);
            if !p.is_file() {
                report
                    .problems
                    .push(format!("{inc}: {path}: missing (stored as {name})"));
                continue;
            }
            match ingest::sha256_file(p) {
                Ok((now, _)) if now == sha => {}
                Ok((now, _)) => report.problems.push(format!(
                    "{inc}: {path}: changed since it was added (sha256 {now}, stored {sha}); `hotwash library add` the directory again if the change is wanted"
                )),
                Err(err) => report.problems.push(format!("{inc}: {err}")),
            }
        }
        Ok(report)
    }

    /// Writes the whole library as JSON Lines (see [`EXPORT_SCHEMA`]);
    /// returns the number of incidents written.
    pub fn export(&self, out: &mut dyn std::io::Write) -> Result<usize> {
        exchange::export(self, out)
    }

    /// Reads JSON Lines written by [`Library::export`] in one transaction:
    /// every incident in the file replaces the one with its id, with its
    /// tags, action statuses and history. `name` is used in errors.
    pub fn import(&mut self, input: &mut dyn std::io::BufRead, name: &Path) -> Result<usize> {
        exchange::import(self, input, name)
    }
}

#[cfg(test)]
mod tests;
