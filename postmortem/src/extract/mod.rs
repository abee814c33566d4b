//! Extraction: from a [`Call`] to an [`IncidentRecord`]. Deterministic and
//! explainable — each extractor is a set of cue phrases over normalised
//! sentences, and every line it produces cites the utterances it read. The
//! phrases are data, `postmortem/lexicon/*.toml` (see [`lexicon`]).
//!
//! Modules depend on each other one way only: `context`, `lexicon` and
//! `cues` underneath; `people`, `evidence` and `execution` on those;
//! `decisions` on `people` and `execution`; `mitigations` on `decisions`;
//! `actions`, `hypotheses`, `timeline`, `impact`, `rca` and `meta` on what
//! they read.

pub mod actions;
pub mod context;
pub mod cues;
pub mod decisions;
pub mod evidence;
pub mod execution;
pub mod hypotheses;
pub mod impact;
pub mod lexicon;
pub mod mentions;
pub mod meta;
pub mod mitigations;
pub mod naming;
pub mod people;
pub mod rca;
pub mod timeline;

use chrono::{DateTime, NaiveDate, Utc};

use crate::input::Call;
use crate::record::{
    EventKind, EvidenceKind, HypothesisStatus, Incident, IncidentRecord, RecordUtterance,
    RecordingInfo, Speaker, Status, SCHEMA,
};
use context::Ctx;

/// How items are found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Extraction {
    /// The rule extractors alone.
    Rules,
    /// The rule extractors, kept and completed by the learned act labeller
    /// (see [`crate::acts`]).
    #[default]
    Combined,
}

/// What the command line can set or override.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// How items are found (default: rules with the learned labeller).
    pub extraction: Extraction,
    /// The act head to use instead of the shipped one (cross-validation,
    /// a team's own training).
    pub head: Option<std::sync::Arc<crate::acts::LinearHead>>,
    /// Sentence embeddings for the act head. With one, the shipped
    /// embedding head (`acts-head-minilm.json`) is used unless `head` is
    /// given; without one, the words-only head.
    pub embedder: Option<std::sync::Arc<dyn crate::acts::Embed>>,
    /// Bars for combining rules and labels (default: the tuned ones).
    pub thresholds: Option<crate::acts::Thresholds>,
    /// Incident id (default `inc-YYYYMMDD-HHMM` from the start time).
    pub id: Option<String>,
    /// Title (default: the reference transcript's, else one built from the systems).
    pub title: Option<String>,
    /// Severity (`SEV1`…; default: as declared on the call).
    pub severity: Option<String>,
    /// Wall clock at offset 0 (default: the transcripts' own).
    pub start_utc: Option<DateTime<Utc>>,
    /// The call's date for due dates (default: the start time's date).
    pub date: Option<NaiveDate>,
}

fn normalise_severity(s: &str) -> String {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        s.to_string()
    } else {
        format!("SEV{digits}")
    }
}

/// Builds the incident record from a call.
pub fn build_record(call: &Call, opts: &Options) -> IncidentRecord {
    let mut record = build_rule_record(call, opts);
    if opts.extraction == Extraction::Combined {
        if let Some(labeller) = labeller(opts) {
            let scores = crate::acts::Labeller::label(&labeller, call);
            crate::acts::apply(
                &mut record,
                call,
                &scores,
                &opts.thresholds.unwrap_or_default(),
                crate::acts::Labeller::name(&labeller),
            );
        }
    }
    record
}

/// The learned labeller of these options: the given head, else the shipped
/// embedding head when there is an embedder, else the shipped words-only
/// one (`None` only if the shipped files were damaged, which a test
/// guards). A head that reads embeddings is never used without an embedder.
fn labeller(opts: &Options) -> Option<crate::acts::LearnedLabeller> {
    use crate::acts::{CueLabeller, LearnedLabeller, LinearHead};
    use std::sync::{Arc, OnceLock};
    type Shipped = Option<(Arc<LinearHead>, Option<Arc<LinearHead>>, CueLabeller)>;
    static SHIPPED: OnceLock<Shipped> = OnceLock::new();
    let shipped = SHIPPED.get_or_init(|| {
        Some((
            Arc::new(LinearHead::shipped().ok()?),
            LinearHead::shipped_minilm().ok().map(Arc::new),
            CueLabeller::shipped().ok()?,
        ))
    });
    let (words, minilm, cues) = shipped.as_ref()?;
    let head = match (&opts.head, &opts.embedder, minilm) {
        (Some(h), None, _) if h.needs_embeddings() => words.clone(),
        (Some(h), _, _) => h.clone(),
        (None, Some(_), Some(m)) => m.clone(),
        _ => words.clone(),
    };
    Some(LearnedLabeller::new(head, cues.clone()).with_embedder(opts.embedder.clone()))
}

/// The record as the rule extractors alone find it.
fn build_rule_record(call: &Call, opts: &Options) -> IncidentRecord {
    let sents = context::sentences(call);
    let people = people::resolve(call, &sents);
    let start_utc = opts.start_utc.or(call.start_utc);
    let today = opts.date.or(start_utc.map(|s| s.date_naive()));
    let ctx = Ctx {
        call,
        sents,
        speaker: people.speaker.clone(),
        today,
        start_utc,
        names: people.names.clone(),
        commander: people.commander.clone(),
        unsure: people
            .identified
            .iter()
            .filter(|(_, (_, confidence))| *confidence < 0.5)
            .map(|(n, _)| n.clone())
            .collect(),
        turn: context::turns(call),
    };
    let evidence = evidence::extract(&ctx);
    let mut hyps = hypotheses::extract(&ctx);
    let recovered = timeline::recovery_offset(&ctx);
    let decisions = decisions::extract(&ctx, recovered);
    let mitigations = mitigations::extract(&ctx, &decisions, recovered);
    // A mitigation that failed rules out the guess it acted on.
    for m in mitigations
        .iter()
        .filter(|m| m.mitigation.worked == Some(false))
    {
        let basis = m
            .decision_sent
            .map(|d| ctx.sents[d].norm.clone())
            .unwrap_or_default();
        let basis = format!("{basis} {}", m.mitigation.what.to_lowercase());
        let reverts = basis.contains("roll") || basis.contains("revert");
        let target = hyps.iter_mut().rev().find(|(h, idx)| {
            h.status == HypothesisStatus::Open
                && h.offset_s < m.mitigation.offset_s
                && m.mitigation.offset_s - h.offset_s < 600.0
                && (cues::overlap(&h.text.to_lowercase(), &basis) > 0
                    || reverts
                        && idx.first().is_some_and(|&i| {
                            ctx.sentences_of(ctx.sents[i].utt).any(|k| {
                                evidence::find(&ctx.sents[k], None).iter().any(|f| {
                                    matches!(f.kind, EvidenceKind::Release | EvidenceKind::Deploy)
                                })
                            })
                        }))
        });
        if let (Some((h, _)), Some(r)) = (target, m.result_sent) {
            h.status = HypothesisStatus::Refuted;
            h.settled_by = vec![ctx.source(&ctx.sents[r])];
            h.settled_text = Some(ctx.sents[r].text.clone());
        }
    }
    let action_items = actions::extract(&ctx, recovered);
    let mut anchors: Vec<(usize, EventKind, Status, Option<String>)> = Vec::new();
    for m in &mitigations {
        anchors.push((m.sent, EventKind::Mitigation, Status::Fact, None));
        if let Some(r) = m.result_sent {
            anchors.push((r, EventKind::MitigationResult, Status::Fact, None));
        }
    }
    for (h, idx) in &hyps {
        if let Some(&i) = idx.first() {
            anchors.push((
                i,
                EventKind::Hypothesis,
                Status::Hypothesis,
                Some(h.text.clone()),
            ));
        }
    }
    let evidence_of = |i: usize| -> Vec<String> {
        let u = ctx.sents[i].utt;
        let mut v: Vec<String> = Vec::new();
        for k in ctx.sentences_of(u) {
            for f in evidence::find(&ctx.sents[k], None) {
                let shown = match f.kind {
                    EvidenceKind::PullRequest => format!("PR {}", f.value),
                    EvidenceKind::Release => format!("release {}", f.value),
                    _ => f.value,
                };
                if !v.contains(&shown) {
                    v.push(shown);
                }
            }
        }
        v
    };
    let timeline = timeline::extract(&ctx, &anchors, &evidence_of);
    let hypotheses: Vec<_> = hyps.into_iter().map(|(h, _)| h).collect();
    let mitigations: Vec<_> = mitigations.into_iter().map(|m| m.mitigation).collect();
    let decisions: Vec<_> = decisions.into_iter().map(|d| d.decision).collect();
    let impact = impact::extract(&ctx, &timeline);
    let rca = rca::extract(&ctx, &hypotheses, &mitigations, &action_items);
    let systems = meta::systems(&ctx);
    let severity = opts
        .severity
        .as_deref()
        .map(normalise_severity)
        .or_else(|| meta::severity(&ctx));
    let end_utc = call
        .utterances
        .iter()
        .map(|u| u.end_s)
        .fold(None, |m: Option<f64>, e| Some(m.map_or(e, |m| m.max(e))))
        .and_then(|e| ctx.utc(e));
    let id = opts.id.clone().unwrap_or_else(|| match start_utc {
        Some(s) => format!("inc-{}", s.format("%Y%m%d-%H%M")),
        None => format!(
            "inc-{}",
            call.recordings
                .first()
                .map(|r| r.name.clone())
                .unwrap_or_else(|| "call".into())
        ),
    });
    let title = opts
        .title
        .clone()
        .or(call.title.clone())
        .unwrap_or_else(|| {
            let sys = if systems.is_empty() {
                "service".to_string()
            } else {
                systems[..systems.len().min(2)].join(" and ")
            };
            match &severity {
                Some(s) => format!("{s}: {sys} incident"),
                None => format!("{sys} incident"),
            }
        });
    let recovered_any = timeline.iter().any(|e| e.kind == EventKind::Recovery);
    let monitoring = timeline.iter().any(|e| e.kind == EventKind::Monitoring);
    let closing_words = lexicon::list("meta.closing");
    let closing = ctx
        .sents
        .iter()
        .rev()
        .take(6)
        .any(|s| closing_words.any_in(&s.norm));
    let status = match (recovered_any, monitoring, closing) {
        (true, _, true) => "resolved",
        (true, true, false) => "monitoring",
        (true, false, false) => "mitigated",
        _ => "ongoing",
    }
    .to_string();
    let mut speakers: Vec<Speaker> = Vec::new();
    let how = |name: &str| people.identified.get(name).copied();
    for k in &call.speakers {
        if !speakers.iter().any(|s| s.name == k.name) {
            speakers.push(Speaker {
                id: k.label.clone(),
                name: k.name.clone(),
                role: k
                    .role
                    .clone()
                    .or_else(|| people.roles.get(&k.name).cloned()),
                email: k.email.clone(),
                identified: how(&k.name).map(|h| h.0.as_str().to_string()),
                identified_confidence: how(&k.name).map(|h| h.1),
            });
        }
    }
    for n in people.speaker.iter().flatten().chain(people.names.iter()) {
        if !speakers.iter().any(|s| &s.name == n) && people.speaker.iter().flatten().any(|x| x == n)
        {
            // A named diarization cluster keeps its label as id.
            let label = call
                .utterances
                .iter()
                .zip(&people.speaker)
                .find(|(_, s)| s.as_deref() == Some(n.as_str()))
                .and_then(|(u, _)| u.label.clone());
            let roster = call.speakers.iter().find(|k| {
                k.name.eq_ignore_ascii_case(n)
                    || k.aliases.iter().any(|a| a.eq_ignore_ascii_case(n))
            });
            speakers.push(Speaker {
                id: label.unwrap_or_else(|| n.to_lowercase()),
                name: n.clone(),
                role: people
                    .roles
                    .get(n)
                    .cloned()
                    .or_else(|| roster.and_then(|k| k.role.clone())),
                email: roster.and_then(|k| k.email.clone()),
                identified: how(n).map(|h| h.0.as_str().to_string()),
                identified_confidence: how(n).map(|h| h.1),
            });
        }
    }
    let utterances = call
        .utterances
        .iter()
        .enumerate()
        .map(|(i, u)| RecordUtterance {
            id: u.id.clone(),
            recording: u.recording.clone(),
            speaker: people.speaker[i].clone(),
            offset_s: round3(u.offset_s),
            end_s: round3(u.end_s),
            start_utc: ctx.utc(u.offset_s),
            text: u.text.clone(),
        })
        .collect();
    let recordings = call
        .recordings
        .iter()
        .map(|r| RecordingInfo {
            name: r.name.clone(),
            path: r.path.display().to_string(),
            start_utc: r.start_utc,
            offset_s: r.offset_s,
            duration_s: r.duration_s,
        })
        .collect();
    IncidentRecord {
        schema: SCHEMA.to_string(),
        incident: Incident {
            id,
            title,
            severity,
            start_utc,
            end_utc,
            date: today,
            systems,
            commander: people.commander.clone(),
            review_date: meta::review_date(&ctx, today),
            next_update_utc: meta::next_update(&ctx),
            status,
        },
        recordings,
        speakers,
        utterances,
        timeline,
        decisions,
        mitigations,
        hypotheses,
        action_items,
        evidence,
        impact,
        rca,
        review: crate::review::Review::default(),
        rendering: crate::record::Rendering::default(),
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
