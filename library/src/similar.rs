//! "Have we seen this before?": the past incidents most like an incident
//! or a description of a symptom.
//!
//! Three signals, combined in a fixed order of trust:
//! 1. **Exact signatures** (`signature.rs`): normalised error strings and
//!    alert names. An incident sharing one ranks above every incident that
//!    shares none; among them, more shared signatures rank higher.
//! 2. **Meaning**: all-MiniLM-L6-v2 sentence embeddings stored per incident
//!    (title and symptoms) and per symptom, mitigation and action. For an
//!    incident the score is the mean of the incident-vector cosine and the
//!    query's symptoms' best matches; for a text it is the best cosine over
//!    the candidate's incident and symptom vectors.
//! 3. **Words**: FTS5 BM25 over the same fields `search` uses.
//!
//! Meaning and words are fused by reciprocal rank (`1/(60 + rank)` summed
//! over both lists, the standard RRF constant), so neither score's scale
//! has to be calibrated against the other. Without an embedder (the model
//! not fetched) only signatures and words rank, and the result says so.
//!
//! A coarse pass ranks every incident by its one incident vector (kept in
//! memory between queries until the database changes); only the best
//! [`REFINE`] by meaning or words are refined with their symptom vectors.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ingest::{self, SearchText};
use crate::signature::{alert_signature, Found, Signatures};
use crate::{IncidentSummary, Library};
use hotwash_postmortem::record::{EventKind, EvidenceKind, IncidentRecord};

/// Reciprocal-rank-fusion constant.
const RRF_K: f64 = 60.0;
/// The most words a words ranking asks the index for (the rarest).
const SIMILAR_TERMS: usize = 6;
/// How many candidates the coarse pass hands to the fine one.
pub const REFINE: usize = 100;
/// Longest text embedded as one piece (characters).
const MAX_PIECE: usize = 600;

/// What to find incidents like.
#[derive(Debug, Clone, Copy)]
pub enum SimilarTo<'a> {
    /// An incident already in the library (it is left out of the answer).
    Incident(&'a str),
    /// A record not (necessarily) in the library, e.g. one being added.
    Record(&'a IncidentRecord),
    /// A description of the symptom, or an error string.
    Text(&'a str),
}

/// Which signals `similar_with` ranks by (all three by default; the eval
/// measures each alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signals {
    /// Exact signatures first.
    pub signatures: bool,
    /// Sentence embeddings.
    pub meaning: bool,
    /// BM25 over the words.
    pub words: bool,
}

impl Default for Signals {
    fn default() -> Self {
        Signals {
            signatures: true,
            meaning: true,
            words: true,
        }
    }
}

/// One similar incident and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimilarHit {
    /// The incident.
    pub incident: IncidentSummary,
    /// The fused score (higher is more similar; comparable within one answer).
    pub score: f64,
    /// Signatures both share, each as this incident's record said it.
    pub signatures: Vec<String>,
    /// Cosine similarity by meaning, when both sides have embeddings.
    pub meaning: Option<f32>,
    /// Rank among the BM25 word matches (1 = best), when the words matched.
    pub words_rank: Option<usize>,
    /// The closest symptom of this incident by meaning, when there is one.
    pub closest: Option<String>,
}

/// The answer of [`Library::similar`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimilarAnswer {
    /// Best first.
    pub hits: Vec<SimilarHit>,
    /// Whether meaning took part (false: no embedder, or nothing embedded).
    pub by_meaning: bool,
    /// The signatures of the query.
    pub query_signatures: Vec<String>,
}

/// A text of a record embedded on its own.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Piece {
    /// `incident`, `symptom`, `mitigation` or `action`.
    pub kind: &'static str,
    /// Its order within the kind.
    pub seq: usize,
    /// The text.
    pub text: String,
}

fn clip(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= MAX_PIECE {
        s
    } else {
        s.chars().take(MAX_PIECE).collect()
    }
}

/// The symptoms of a record: detection, triage and declaration events, the
/// impact statements and the alerts.
fn symptoms(r: &IncidentRecord) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: &str| {
        let s = clip(s);
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    };
    for e in &r.timeline {
        if matches!(
            e.kind,
            EventKind::Detection | EventKind::Triage | EventKind::Declaration
        ) {
            add(&e.event);
        }
    }
    for s in [&r.impact.technical, &r.impact.customer]
        .into_iter()
        .flatten()
    {
        add(s);
    }
    for e in r.evidence.iter().filter(|e| e.kind == EvidenceKind::Alert) {
        add(&e.said);
    }
    out
}

/// The pieces of a record that are embedded.
pub(crate) fn pieces(r: &IncidentRecord) -> Vec<Piece> {
    let sym = symptoms(r);
    let mut head = r.incident.title.trim().to_string();
    for s in sym.iter().take(4) {
        head.push_str(". ");
        head.push_str(s);
    }
    let mut out = vec![Piece {
        kind: "incident",
        seq: 0,
        text: clip(&head),
    }];
    out.extend(sym.into_iter().enumerate().map(|(seq, text)| Piece {
        kind: "symptom",
        seq,
        text,
    }));
    out.extend(r.mitigations.iter().enumerate().map(|(seq, m)| Piece {
        kind: "mitigation",
        seq,
        text: clip(&m.what),
    }));
    out.extend(r.action_items.iter().enumerate().map(|(seq, a)| Piece {
        kind: "action",
        seq,
        text: clip(&a.action),
    }));
    out.retain(|p| !p.text.is_empty());
    out
}

/// A piece with its vector.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
pub(crate) struct StoredVector {
    pub kind: String,
    pub seq: usize,
    pub model: String,
    pub text: String,
    pub vector: Vec<f32>,
}

/// Embeds a record's pieces; none without an embedder.
pub(crate) fn embed_record(lib: &Library, r: &IncidentRecord) -> Result<Vec<StoredVector>> {
    let Some(e) = &lib.embedder else {
        return Ok(Vec::new());
    };
    let ps = pieces(r);
    let texts: Vec<&str> = ps.iter().map(|p| p.text.as_str()).collect();
    let vs = e.embed(&texts).map_err(|reason| Error::Embed {
        model: e.name().to_string(),
        reason,
    })?;
    if vs.len() != ps.len() {
        return Err(Error::Embed {
            model: e.name().to_string(),
            reason: format!("{} vectors for {} texts", vs.len(), ps.len()),
        });
    }
    Ok(ps
        .into_iter()
        .zip(vs)
        .map(|(p, vector)| StoredVector {
            kind: p.kind.to_string(),
            seq: p.seq,
            model: e.name().to_string(),
            text: p.text,
            vector,
        })
        .collect())
}

/// The signatures of a record (extracted text and call) with its alerts.
pub(crate) fn record_signatures(cat: &Signatures, r: &IncidentRecord) -> Vec<Found> {
    let text = ingest::search_text(r);
    let mut found = cat.find(&format!("{}\n{}", text.extracted(), text.transcript));
    for e in r.evidence.iter().filter(|e| e.kind == EvidenceKind::Alert) {
        if let Some(s) = alert_signature(&e.value) {
            if !found.iter().any(|f| f.signature == s) {
                found.push(Found {
                    signature: s,
                    said: e.said.trim().to_string(),
                });
            }
        }
    }
    found
}

fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_blob(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Replaces an incident's signatures and (when given) vectors.
pub(crate) fn write_derived(
    tx: &Transaction<'_>,
    id: &str,
    signatures: &[Found],
    vectors: Option<&[StoredVector]>,
) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM signatures WHERE incident_id = ?", [id])?;
    for f in signatures {
        tx.execute(
            "INSERT INTO signatures (incident_id, signature, said) VALUES (?, ?, ?)
             ON CONFLICT(incident_id, signature) DO NOTHING",
            params![id, f.signature, f.said],
        )?;
    }
    if let Some(vs) = vectors {
        tx.execute("DELETE FROM vectors WHERE incident_id = ?", [id])?;
        for v in vs {
            tx.execute(
                "INSERT INTO vectors (incident_id, kind, seq, model, text, vector) VALUES (?, ?, ?, ?, ?, ?)",
                params![id, v.kind, v.seq as i64, v.model, v.text, to_blob(&v.vector)],
            )?;
        }
    }
    Ok(())
}

/// The incident vectors of the whole library, for the coarse pass.
#[derive(Debug, Default)]
pub(crate) struct VectorCache {
    /// `PRAGMA data_version` and the number of local writes when read.
    stamp: Option<(i64, u64)>,
    model: String,
    ids: Vec<String>,
    vectors: Vec<Vec<f32>>,
}

/// The query side, embedded.
struct Query {
    exclude: Option<String>,
    head: Option<Vec<f32>>,
    symptoms: Vec<Vec<f32>>,
    words: String,
    signatures: Vec<String>,
    is_text: bool,
}

impl Library {
    /// Stored vectors of one incident, of the embedder's model.
    pub(crate) fn vectors_of(&self, id: &str) -> Result<Vec<StoredVector>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT kind, seq, model, text, vector FROM vectors WHERE incident_id = ? ORDER BY kind, seq",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map([id], |r| {
                Ok(StoredVector {
                    kind: r.get(0)?,
                    seq: r.get::<_, i64>(1)?.max(0) as usize,
                    model: r.get(2)?,
                    text: r.get(3)?,
                    vector: from_blob(&r.get::<_, Vec<u8>>(4)?),
                })
            })
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    fn signatures_of(&self, id: &str) -> Result<Vec<(String, String)>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT signature, said FROM signatures WHERE incident_id = ? ORDER BY signature",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    fn model(&self) -> Option<String> {
        self.embedder.as_ref().map(|e| e.name().to_string())
    }

    fn query(&self, to: SimilarTo<'_>) -> Result<Query> {
        let model = self.model();
        match to {
            SimilarTo::Text(t) => {
                let t = t.trim();
                if t.is_empty() {
                    return Err(Error::EmptyQuery {
                        query: t.to_string(),
                    });
                }
                let head = match &self.embedder {
                    Some(e) => Some(
                        e.embed(&[t])
                            .map_err(|reason| Error::Embed {
                                model: e.name().to_string(),
                                reason,
                            })?
                            .into_iter()
                            .next()
                            .unwrap_or_default(),
                    ),
                    None => None,
                };
                Ok(Query {
                    exclude: None,
                    symptoms: head.iter().cloned().collect(),
                    head,
                    words: t.to_string(),
                    signatures: self
                        .signatures
                        .find(t)
                        .into_iter()
                        .map(|f| f.signature)
                        .collect(),
                    is_text: true,
                })
            }
            SimilarTo::Incident(id) => {
                let record = self.stored_record(id)?;
                let vs: Vec<StoredVector> = self
                    .vectors_of(id)?
                    .into_iter()
                    .filter(|v| Some(&v.model) == model.as_ref())
                    .collect();
                let mut q = self.record_query(&record, vs);
                q.exclude = Some(id.to_string());
                q.signatures = self.signatures_of(id)?.into_iter().map(|s| s.0).collect();
                Ok(q)
            }
            SimilarTo::Record(r) => {
                let vs = embed_record(self, r)?;
                let mut q = self.record_query(r, vs);
                q.exclude = Some(r.incident.id.clone());
                Ok(q)
            }
        }
    }

    fn record_query(&self, r: &IncidentRecord, vs: Vec<StoredVector>) -> Query {
        let text: SearchText = ingest::search_text(r);
        let head = vs
            .iter()
            .find(|v| v.kind == "incident")
            .map(|v| v.vector.clone());
        let symptoms = vs
            .iter()
            .filter(|v| v.kind == "symptom")
            .map(|v| v.vector.clone())
            .collect();
        Query {
            exclude: None,
            head,
            symptoms,
            words: format!("{}\n{}", text.title, text.symptoms),
            signatures: record_signatures(&self.signatures, r)
                .into_iter()
                .map(|f| f.signature)
                .collect(),
            is_text: false,
        }
    }

    /// Brings the in-memory incident vectors up to date with the database.
    fn refresh_cache(&self) -> Result<()> {
        let Some(model) = self.model() else {
            return Ok(());
        };
        let version = self.data_version()?;
        let stamp = (version, self.writes.get());
        let mut cache = self.cache.borrow_mut();
        if cache.stamp == Some(stamp) && cache.model == model {
            return Ok(());
        }
        let mut st = self
            .conn
            .prepare(
                "SELECT incident_id, vector FROM vectors WHERE kind = 'incident' AND model = ? ORDER BY incident_id",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map([&model], |r| {
                Ok((r.get::<_, String>(0)?, from_blob(&r.get::<_, Vec<u8>>(1)?)))
            })
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())?;
        let (ids, vectors) = rows.into_iter().unzip();
        *cache = VectorCache {
            stamp: Some(stamp),
            model,
            ids,
            vectors,
        };
        Ok(())
    }

    /// The incident and symptom vectors of `model` of each incident, read
    /// in batches (one query per hundred incidents, not one per incident).
    fn meaning_vectors(
        &self,
        ids: &[&String],
        model: &str,
    ) -> Result<HashMap<String, Vec<StoredVector>>> {
        let mut out: HashMap<String, Vec<StoredVector>> = HashMap::new();
        for chunk in ids.chunks(100) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut st = self
                .conn
                .prepare_cached(&format!(
                    "SELECT incident_id, kind, seq, text, vector FROM vectors
                     WHERE model = ? AND kind IN ('incident', 'symptom') AND incident_id IN ({marks})
                     ORDER BY incident_id, kind, seq"
                ))
                .map_err(self.err())?;
            let mut args: Vec<&str> = vec![model];
            args.extend(chunk.iter().map(|s| s.as_str()));
            let rows = st
                .query_map(rusqlite::params_from_iter(args), |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        StoredVector {
                            kind: r.get(1)?,
                            seq: r.get::<_, i64>(2)?.max(0) as usize,
                            model: model.to_string(),
                            text: r.get(3)?,
                            vector: from_blob(&r.get::<_, Vec<u8>>(4)?),
                        },
                    ))
                })
                .map_err(self.err())?;
            for row in rows {
                let (id, v) = row.map_err(self.err())?;
                out.entry(id).or_default().push(v);
            }
        }
        Ok(out)
    }

    /// SQLite's count of other connections' commits, which tells when the
    /// cached vectors are stale.
    fn data_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(self.err())
    }

    /// Puts one incident's freshly written vectors into the in-memory cache
    /// instead of reading every incident's again, when the cache was up to
    /// date just before this library's write (`writes_before`) and no other
    /// connection has written since.
    pub(crate) fn patch_cache(
        &self,
        id: &str,
        vectors: &[StoredVector],
        writes_before: u64,
    ) -> Result<()> {
        let Some(model) = self.model() else {
            return Ok(());
        };
        let version = self.data_version()?;
        let mut cache = self.cache.borrow_mut();
        if cache.stamp != Some((version, writes_before)) || cache.model != model {
            return Ok(());
        }
        let head = vectors
            .iter()
            .find(|v| v.kind == "incident" && v.model == model)
            .map(|v| v.vector.clone());
        match (cache.ids.binary_search_by(|x| x.as_str().cmp(id)), head) {
            (Ok(at), Some(v)) => cache.vectors[at] = v,
            (Ok(at), None) => {
                cache.ids.remove(at);
                cache.vectors.remove(at);
            }
            (Err(at), Some(v)) => {
                cache.ids.insert(at, id.to_string());
                cache.vectors.insert(at, v);
            }
            (Err(_), None) => {}
        }
        cache.stamp = Some((version, writes_before + 1));
        Ok(())
    }

    /// BM25 ranks of the incidents matching the words (best first).
    /// With `fields_only`, only the title and symptoms are matched (an
    /// incident's own title and symptoms are the query, and matching them
    /// against whole transcripts is slow and ranks by chatter).
    fn word_ranks(&self, words: &str, limit: usize, fields_only: bool) -> Result<Vec<String>> {
        let q = match self.match_query(words, SIMILAR_TERMS) {
            Ok(q) if fields_only => format!("{{title symptoms}} : ({q})"),
            Ok(q) => q,
            Err(Error::EmptyQuery { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT i.id FROM (SELECT rowid AS rid, {} AS score FROM incident_fts WHERE incident_fts MATCH ?
                                    ORDER BY score, rowid LIMIT ?) f
                 JOIN incidents i ON i.rowid = f.rid ORDER BY f.score, i.id",
                crate::BM25
            ))
            .map_err(self.err())?;
        let rows = st
            .query_map(params![q, limit as i64], |r| r.get::<_, String>(0))
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    /// Incidents sharing any of these signatures, with the ones shared.
    fn signature_matches(&self, sigs: &[String]) -> Result<HashMap<String, Vec<String>>> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        let mut st = self
            .conn
            .prepare_cached("SELECT incident_id, said FROM signatures WHERE signature = ?")
            .map_err(self.err())?;
        for s in sigs {
            let rows = st
                .query_map([s], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(self.err())?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(self.err())?;
            for (id, said) in rows {
                out.entry(id).or_default().push(format!("{s} ({said})"));
            }
        }
        Ok(out)
    }

    /// The incidents most like `to`, best first (see the module's notes for
    /// how signatures, meaning and words combine).
    pub fn similar(&self, to: SimilarTo<'_>, limit: usize) -> Result<SimilarAnswer> {
        self.similar_with(to, limit, Signals::default())
    }

    /// [`Library::similar`] ranking by the chosen signals only.
    pub fn similar_with(
        &self,
        to: SimilarTo<'_>,
        limit: usize,
        signals: Signals,
    ) -> Result<SimilarAnswer> {
        let mut q = self.query(to)?;
        if !signals.meaning {
            q.head = None;
            q.symptoms.clear();
        }
        if !signals.words {
            q.words.clear();
        }
        if !signals.signatures {
            q.signatures.clear();
        }
        let limit = limit.max(1);
        self.refresh_cache()?;
        // Coarse meaning: the incident vector against every incident's.
        let mut coarse: Vec<(String, f32)> = Vec::new();
        if let Some(head) = &q.head {
            let cache = self.cache.borrow();
            coarse = cache
                .ids
                .iter()
                .zip(&cache.vectors)
                .filter(|(id, _)| Some(*id) != q.exclude.as_ref())
                .map(|(id, v)| (id.clone(), dot(head, v)))
                .collect();
            coarse.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        }
        let mut words = if q.words.is_empty() {
            Vec::new()
        } else {
            self.word_ranks(&q.words, REFINE + 1, !q.is_text)?
        };
        words.retain(|id| Some(id) != q.exclude.as_ref());
        let sigs = self.signature_matches(&q.signatures)?;
        let coarse_of: HashMap<&str, f32> = coarse.iter().map(|(i, s)| (i.as_str(), *s)).collect();
        // Candidates: every signature match, the best by meaning and by
        // words. Refined with symptom vectors: the best [`REFINE`] by
        // meaning and by words, and the [`REFINE`] signature matches
        // closest by meaning; the others keep their coarse score.
        let mut by_sig: Vec<&String> = sigs.keys().collect();
        by_sig.sort_by(|a, b| {
            let s = |id: &String| coarse_of.get(id.as_str()).copied().unwrap_or(f32::MIN);
            s(b).total_cmp(&s(a)).then_with(|| a.cmp(b))
        });
        let mut cand: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut refine: HashSet<String> = HashSet::new();
        for (i, id) in by_sig
            .iter()
            .copied()
            .enumerate()
            .chain(coarse.iter().take(REFINE).map(|c| &c.0).enumerate())
            .chain(words.iter().take(REFINE).enumerate())
        {
            if Some(id) == q.exclude.as_ref() {
                continue;
            }
            if seen.insert(id.clone()) {
                cand.push(id.clone());
            }
            if i < REFINE {
                refine.insert(id.clone());
            }
        }
        // Fine meaning: symptoms against symptoms.
        let model = self.model();
        let mut meaning: HashMap<String, (f32, Option<String>)> = HashMap::new();
        if let (Some(_), Some(model)) = (&q.head, &model) {
            let refined: Vec<&String> = cand.iter().filter(|id| refine.contains(*id)).collect();
            let mut fine = self.meaning_vectors(&refined, model)?;
            for id in &cand {
                let vs = fine.remove(id.as_str()).unwrap_or_default();
                if vs.is_empty() {
                    if let Some(c) = coarse_of.get(id.as_str()) {
                        meaning.insert(id.clone(), (*c, None));
                    }
                    continue;
                }
                let head_cos = coarse_of.get(id.as_str()).copied().unwrap_or(0.0);
                let best = |qv: &[f32]| -> (f32, Option<&str>) {
                    vs.iter()
                        .map(|v| (dot(qv, &v.vector), Some(v.text.as_str())))
                        .max_by(|a, b| a.0.total_cmp(&b.0))
                        .unwrap_or((0.0, None))
                };
                let (score, closest) = if q.is_text {
                    let (s, c) = best(q.head.as_deref().unwrap_or_default());
                    (s, c.map(str::to_string))
                } else if q.symptoms.is_empty() {
                    (head_cos, None)
                } else {
                    let mut total = 0.0;
                    let mut top: (f32, Option<&str>) = (f32::MIN, None);
                    for sv in &q.symptoms {
                        let b = best(sv);
                        total += b.0;
                        if b.0 > top.0 {
                            top = b;
                        }
                    }
                    (
                        0.5 * head_cos + 0.5 * total / q.symptoms.len() as f32,
                        top.1.map(str::to_string),
                    )
                };
                meaning.insert(id.clone(), (score, closest));
            }
        }
        let mut by_meaning: Vec<(&String, f32)> =
            meaning.iter().map(|(id, (s, _))| (id, *s)).collect();
        by_meaning.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let meaning_rank: HashMap<&str, usize> = by_meaning
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (id.as_str(), i + 1))
            .collect();
        let words_rank: HashMap<&str, usize> = words
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i + 1))
            .collect();
        let mut scored: Vec<(usize, f64, String)> = cand
            .iter()
            .map(|id| {
                let rrf = |r: Option<&usize>| r.map_or(0.0, |r| 1.0 / (RRF_K + *r as f64));
                let s = rrf(meaning_rank.get(id.as_str())) + rrf(words_rank.get(id.as_str()));
                let shared = sigs.get(id).map_or(0, Vec::len);
                (shared, s, id.clone())
            })
            .collect();
        scored.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| b.1.total_cmp(&a.1))
                .then_with(|| a.2.cmp(&b.2))
        });
        let mut hits = Vec::new();
        for (_, score, id) in scored.into_iter().take(limit) {
            let (m, closest) = match meaning.get(&id) {
                Some((s, c)) => (Some(*s), c.clone()),
                None => (None, None),
            };
            hits.push(SimilarHit {
                incident: self.summary(&id)?,
                score,
                signatures: sigs.get(&id).cloned().unwrap_or_default(),
                meaning: m,
                words_rank: words_rank.get(id.as_str()).copied(),
                closest,
            });
        }
        Ok(SimilarAnswer {
            hits,
            by_meaning: q.head.is_some() && !meaning.is_empty(),
            query_signatures: q.signatures,
        })
    }

    /// Embeds every incident whose vectors are missing or of another model;
    /// returns how many were embedded. Needs an embedder.
    pub fn reindex(&mut self) -> Result<usize> {
        let Some(model) = self.model() else {
            return Err(Error::Usage(
                "no sentence-embedding model: `hotwash models fetch minilm`, then run this again"
                    .into(),
            ));
        };
        let ids: Vec<String> = {
            let mut st = self
                .conn
                .prepare(
                    "SELECT id FROM incidents i WHERE NOT EXISTS (SELECT 1 FROM vectors v
                       WHERE v.incident_id = i.id AND v.kind = 'incident' AND v.model = ?) ORDER BY id",
                )
                .map_err(self.err())?;
            let rows = st
                .query_map([&model], |r| r.get::<_, String>(0))
                .map_err(self.err())?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(self.err())?
        };
        for id in &ids {
            let record = self.stored_record(id)?;
            let vs = embed_record(self, &record)?;
            let sigs = record_signatures(&self.signatures, &record);
            let path = self.path.clone();
            let e = |err| crate::classify(&path, err);
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(e)?;
            let still: Option<i64> = tx
                .query_row("SELECT 1 FROM incidents WHERE id = ?", [id], |r| r.get(0))
                .optional()
                .map_err(e)?;
            if still.is_some() {
                write_derived(&tx, id, &sigs, Some(&vs)).map_err(e)?;
            }
            tx.commit().map_err(e)?;
            self.writes.set(self.writes.get() + 1);
        }
        Ok(ids.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_survive_the_blob() {
        let v = vec![0.25f32, -1.5, 3.0e-7, f32::MIN_POSITIVE];
        assert_eq!(from_blob(&to_blob(&v)), v);
    }
}
