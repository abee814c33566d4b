//! Combining the labels with the rule extractors' record: a rule's item is
//! kept where the labeller agrees the utterance does that act (above a low
//! bar), and an utterance the labeller is sure of gets an item the rules
//! missed, its slots filled from the utterance and its neighbours (owner
//! from "I'll…" or the person addressed, due date from the dates said,
//! worked or not from the result said after it). Every item says why it is
//! there and how sure.

use chrono::NaiveDate;

use super::{Act, ActScores};
use crate::input::Call;
use crate::record::{
    ActionItem, Category, Decision, EventKind, Finding, Hypothesis, HypothesisStatus,
    IncidentRecord, Mitigation, Priority, Status, TimelineEvent,
};
use crate::text::{dates, tokenize};

/// The bars for keeping a rule's item and for adding one the rules missed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Keep a rule's item when its utterance scores at least this.
    pub keep: f32,
    /// Add an item where an utterance scores at least this.
    pub add: f32,
    /// Add a timeline entry where an utterance scores at least this.
    pub timeline: f32,
    /// Take the best-scoring utterance as the trigger when it scores at least this.
    pub trigger: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            keep: 0.1,
            add: 0.35,
            timeline: 0.5,
            trigger: 0.3,
        }
    }
}

fn index_of(record: &IncidentRecord, sources: &[String]) -> Option<usize> {
    sources
        .iter()
        .filter_map(|s| record.utterances.iter().position(|u| &u.id == s))
        .max()
}

fn score_at(scores: &[ActScores], i: Option<usize>, a: Act) -> f32 {
    i.and_then(|i| scores.get(i)).map_or(0.0, |s| s.get(a))
}

/// Keeps the items whose utterance scores `keep` or more for `act`, marking
/// each with why and how sure; returns the utterances that hold an item.
fn gate<T>(
    items: &mut Vec<T>,
    record: &IncidentRecord,
    scores: &[ActScores],
    act: Act,
    keep: f32,
    sources: impl Fn(&T) -> &[String],
    mut mark: impl FnMut(&mut T, f32),
) -> Vec<usize> {
    let mut held = Vec::new();
    items.retain_mut(|item| {
        let i = index_of(record, sources(item));
        let p = score_at(scores, i, act);
        if p < keep {
            return false;
        }
        mark(item, p);
        held.extend(i);
        true
    });
    held
}

fn why(labeller: &str, p: f32) -> String {
    format!("{labeller} {p:.2}")
}

const FIRST_PERSON: &[&str] = &[
    "i'll",
    "i will",
    "i can",
    "let me",
    "leave it with me",
    "i'm on it",
    "that's me",
    "me",
    "i'm going to",
    "i'd like to take",
    "mine",
    "i'll do",
];

fn has_phrase(ws: &[String], phrase: &str) -> bool {
    let p: Vec<&str> = phrase.split(' ').collect();
    ws.windows(p.len())
        .any(|w| w.iter().zip(&p).all(|(a, b)| a == b))
}

/// The roster or record name addressed in a text, when exactly one is.
fn named_in(text: &str, names: &[String], speaker: Option<&str>) -> Option<String> {
    let ws = super::features::words(text);
    let mut found: Vec<&String> = names
        .iter()
        .filter(|n| Some(n.as_str()) != speaker)
        .filter(|n| {
            let first = n.split_whitespace().next().unwrap_or("").to_lowercase();
            !first.is_empty() && ws.contains(&first)
        })
        .collect();
    found.dedup();
    (found.len() == 1).then(|| found[0].clone())
}

/// Who owns the work an utterance states, and how that was read.
fn owner_of(
    record: &IncidentRecord,
    i: usize,
    names: &[String],
) -> (Option<String>, Option<String>) {
    let u = &record.utterances[i];
    let ws = super::features::words(&u.text);
    let speaker = u.speaker.clone();
    if let Some(n) = named_in(&u.text, names, speaker.as_deref()) {
        let asks = [
            "can you",
            "could you",
            "would you",
            "please",
            "will you",
            "you take",
        ]
        .iter()
        .any(|p| has_phrase(&ws, p));
        if asks {
            return (Some(n), Some("assigned by name".into()));
        }
    }
    if FIRST_PERSON.iter().any(|p| has_phrase(&ws, p)) && speaker.is_some() {
        return (speaker, Some("took it on".into()));
    }
    // "Can someone…?" answered by a volunteer in the next turns.
    let asks_anyone = [
        "someone",
        "somebody",
        "anyone",
        "who can",
        "who wants",
        "volunteer",
    ]
    .iter()
    .any(|p| has_phrase(&ws, p));
    if asks_anyone {
        for v in record.utterances.iter().skip(i + 1).take(3) {
            let vw = super::features::words(&v.text);
            if v.speaker != u.speaker && FIRST_PERSON.iter().any(|p| has_phrase(&vw, p)) {
                return (v.speaker.clone(), Some("volunteered".into()));
            }
        }
    }
    (None, None)
}

/// The due date said in an utterance, or corrected by the same speaker
/// right after ("actually, make that Monday").
fn due_of(
    record: &IncidentRecord,
    i: usize,
    today: Option<NaiveDate>,
) -> (Option<NaiveDate>, Option<String>) {
    let Some(today) = today else {
        return (None, None);
    };
    let mut due =
        dates::due_date(&tokenize(&record.utterances[i].text), today).map(|d| (d.date, d.said));
    if let Some(next) = record.utterances.get(i + 1) {
        let ws = super::features::words(&next.text);
        let corrects = ["actually", "make that", "make it", "instead", "sorry"]
            .iter()
            .any(|p| has_phrase(&ws, p));
        if corrects && next.speaker == record.utterances[i].speaker {
            if let Some(d) = dates::due_date(&tokenize(&next.text), today) {
                due = Some((d.date, d.said));
            }
        }
    }
    match due {
        Some((d, s)) => (Some(d), Some(s)),
        None => (None, None),
    }
}

fn category_of(text: &str) -> Category {
    let ws = super::features::words(text);
    let any = |list: &[&str]| list.iter().any(|p| has_phrase(&ws, p));
    if any(&[
        "alert",
        "alerting",
        "monitor",
        "monitoring",
        "page",
        "paging",
        "dashboard",
        "detect",
        "synthetic",
    ]) {
        Category::Detection
    } else if any(&[
        "runbook",
        "document",
        "docs",
        "write up",
        "postmortem",
        "update",
        "customers",
        "status page",
        "email",
        "brief",
        "checklist",
        "announce",
    ]) {
        Category::DocumentationComms
    } else {
        Category::Prevention
    }
}

/// Adds the items the labels show and the rules missed, and keeps the
/// rules' items the labels agree with. `labeller` names the source in each
/// item's `why`.
// Utterance indices walk the scores, the record's utterances and their
// neighbours together, so the loops index rather than iterate.
#[allow(clippy::needless_range_loop)]
pub fn apply(
    record: &mut IncidentRecord,
    call: &Call,
    scores: &[ActScores],
    th: &Thresholds,
    labeller: &str,
) {
    if scores.len() != record.utterances.len() || scores.len() != call.utterances.len() {
        return;
    }
    let names: Vec<String> = record.speakers.iter().map(|s| s.name.clone()).collect();
    let n = scores.len();
    let mark_rule = |p: f32| {
        (
            Some(format!("rule + {}", why(labeller, p))),
            Some(p.max(0.5)),
        )
    };

    // Action items.
    let mut actions = std::mem::take(&mut record.action_items);
    let held = gate(
        &mut actions,
        record,
        scores,
        Act::Action,
        th.keep,
        |a| &a.sources,
        |a, p| {
            (a.why, a.confidence) = mark_rule(p);
        },
    );
    let mut next_id = actions.len() + 1;
    for i in 0..n {
        let p = scores[i].get(Act::Action);
        // A request and its acceptance, or a plan and "doing it now", are
        // one item: none is added next to one the rules found.
        if p < th.add || held.iter().any(|&j| j.abs_diff(i) <= 1) {
            continue;
        }
        let u = &record.utterances[i];
        let (owner, owner_how) = owner_of(record, i, &names);
        let (due, due_said) = due_of(record, i, record.incident.date);
        let mut vague_reasons = Vec::new();
        if owner.is_none() {
            vague_reasons.push("no owner said".to_string());
        }
        if due.is_none() {
            vague_reasons.push("no due date said".to_string());
        }
        while actions.iter().any(|a| a.id == format!("A{next_id}")) {
            next_id += 1;
        }
        actions.push(ActionItem {
            id: format!("A{next_id}"),
            offset_s: u.offset_s,
            time_utc: u.start_utc,
            action: u.text.clone(),
            owner,
            owner_how,
            due,
            due_said,
            priority: Priority::Medium,
            dependencies: Vec::new(),
            category: category_of(&u.text),
            verification: None,
            vague: !vague_reasons.is_empty(),
            vague_reasons,
            sources: vec![u.id.clone()],
            why: Some(why(labeller, p)),
            confidence: Some(p),
        });
        next_id += 1;
    }
    actions.sort_by(|a, b| a.offset_s.total_cmp(&b.offset_s));
    record.action_items = actions;

    // Decisions.
    let mut decisions = std::mem::take(&mut record.decisions);
    let mut held = gate(
        &mut decisions,
        record,
        scores,
        Act::Decision,
        th.keep,
        |d| &d.sources,
        |d, p| {
            (d.why, d.confidence) = mark_rule(p);
        },
    );
    // A proposal and its approval are one decision, taken at the approval:
    // walk backwards and skip a turn next to one already taken.
    for i in (0..n).rev() {
        let p = scores[i].get(Act::Decision);
        if p < th.add || held.iter().any(|&j| j.abs_diff(i) <= 1) {
            continue;
        }
        held.push(i);
        let u = &record.utterances[i];
        let short = u.text.split_whitespace().count() <= 8;
        let mut sources = vec![u.id.clone()];
        let mut text = u.text.clone();
        if short && i > 0 {
            let prev = &record.utterances[i - 1];
            text = format!("{} — {}", prev.text, u.text);
            sources.insert(0, prev.id.clone());
        }
        decisions.push(Decision {
            offset_s: u.offset_s,
            time_utc: u.start_utc,
            decision: text,
            who: u.speaker.clone(),
            who_inferred: true,
            rationale: None,
            alternatives: Vec::new(),
            sources,
            why: Some(why(labeller, p)),
            confidence: Some(p),
        });
    }
    decisions.sort_by(|a, b| a.offset_s.total_cmp(&b.offset_s));
    record.decisions = decisions;

    // Mitigations, each with the result said after it.
    let mut mitigations = std::mem::take(&mut record.mitigations);
    // An attempt reported in the first person and the past ("I restarted
    // it at ten") is kept whatever the labeller says: the head learned
    // attempts as they happen and scores these low.
    let (reported, mut mitigations): (Vec<Mitigation>, Vec<Mitigation>) = mitigations
        .drain(..)
        .partition(|m| m.why.as_deref() == Some(crate::extract::mitigations::REPORTED));
    let mut held = gate(
        &mut mitigations,
        record,
        scores,
        Act::Mitigation,
        th.keep,
        |m| &m.sources,
        |m, p| {
            (m.why, m.confidence) = mark_rule(p);
        },
    );
    for mut m in reported {
        let i = index_of(record, &m.sources);
        let p = score_at(scores, i, Act::Mitigation);
        m.why = Some(format!(
            "{} + {}",
            crate::extract::mitigations::REPORTED,
            why(labeller, p)
        ));
        m.confidence = Some(p.max(0.5));
        held.extend(i);
        mitigations.push(m);
    }
    for i in 0..n {
        let p = scores[i].get(Act::Mitigation);
        // A request and its acceptance, or a plan and "doing it now", are
        // one item: none is added next to one the rules found.
        if p < th.add || held.iter().any(|&j| j.abs_diff(i) <= 1) {
            continue;
        }
        let u = &record.utterances[i];
        // The first turn after it that reads as a result; failing that,
        // the likeliest one within the next dozen turns.
        let window = i..n.min(i + 12);
        let result_p = |k: usize| {
            scores[k]
                .get(Act::ResultWorked)
                .max(scores[k].get(Act::ResultFailed))
        };
        let result = window
            .clone()
            .find(|&k| result_p(k) >= 0.5)
            .or_else(|| {
                window
                    .max_by(|&a, &b| result_p(a).total_cmp(&result_p(b)))
                    .filter(|&k| result_p(k) >= 0.15)
            })
            .map(|k| {
                (
                    k,
                    scores[k].get(Act::ResultWorked) >= scores[k].get(Act::ResultFailed),
                )
            });
        mitigations.push(Mitigation {
            offset_s: u.offset_s,
            time_utc: u.start_utc,
            what: u.text.clone(),
            who: u.speaker.clone(),
            worked: result.map(|(_, w)| w),
            result: result.map(|(k, _)| record.utterances[k].text.clone()),
            result_offset_s: result.map(|(k, _)| record.utterances[k].offset_s),
            sources: vec![u.id.clone()],
            why: Some(why(labeller, p)),
            confidence: Some(p),
        });
    }
    mitigations.sort_by(|a, b| a.offset_s.total_cmp(&b.offset_s));
    record.mitigations = mitigations;

    // Hypotheses, each with what settled it.
    let mut hyps = std::mem::take(&mut record.hypotheses);
    let held = gate(
        &mut hyps,
        record,
        scores,
        Act::Hypothesis,
        th.keep,
        |h| &h.sources,
        |h, p| {
            (h.why, h.confidence) = mark_rule(p);
        },
    );
    for i in 0..n {
        let p = scores[i].get(Act::Hypothesis);
        if p < th.add || held.contains(&i) {
            continue;
        }
        let u = &record.utterances[i];
        let settled = (i + 1..n.min(i + 15)).find_map(|k| {
            let (c, r) = (
                scores[k].get(Act::Confirmation),
                scores[k].get(Act::Refutation),
            );
            (c.max(r) >= 0.5).then_some((k, c >= r))
        });
        hyps.push(Hypothesis {
            offset_s: u.offset_s,
            time_utc: u.start_utc,
            text: u.text.clone(),
            who: u.speaker.clone(),
            status: match settled {
                Some((_, true)) => HypothesisStatus::Confirmed,
                Some((_, false)) => HypothesisStatus::Refuted,
                None => HypothesisStatus::Open,
            },
            settled_by: settled
                .map(|(k, _)| vec![record.utterances[k].id.clone()])
                .unwrap_or_default(),
            settled_text: settled.map(|(k, _)| record.utterances[k].text.clone()),
            sources: vec![u.id.clone()],
            why: Some(why(labeller, p)),
            confidence: Some(p),
        });
    }
    hyps.sort_by(|a, b| a.offset_s.total_cmp(&b.offset_s));
    record.hypotheses = hyps;

    // Evidence: a rule's find stays where the labeller sees an evidence mention.
    let mut evidence = std::mem::take(&mut record.evidence);
    gate(
        &mut evidence,
        record,
        scores,
        Act::Evidence,
        th.keep / 2.0,
        |e| &e.sources,
        |_, _| {},
    );
    record.evidence = evidence;

    // Timeline entries for the moments the labels show.
    let kinds: [(Act, EventKind); 13] = [
        (Act::Detection, EventKind::Detection),
        (Act::Declaration, EventKind::Declaration),
        (Act::Change, EventKind::Change),
        (Act::Hypothesis, EventKind::Hypothesis),
        (Act::Triage, EventKind::Triage),
        (Act::Mitigation, EventKind::Mitigation),
        (Act::ResultWorked, EventKind::MitigationResult),
        (Act::ResultFailed, EventKind::MitigationResult),
        (Act::Comms, EventKind::Comms),
        (Act::Escalation, EventKind::Escalation),
        (Act::Handoff, EventKind::Handoff),
        (Act::Recovery, EventKind::Recovery),
        (Act::Monitoring, EventKind::Monitoring),
    ];
    for i in 0..n {
        let id = &record.utterances[i].id;
        if record.timeline.iter().any(|e| e.sources.contains(id)) {
            continue;
        }
        let best = kinds.iter().map(|&(a, k)| (scores[i].get(a), a, k)).fold(
            None,
            |m: Option<(f32, Act, EventKind)>, x| match m {
                Some(b) if b.0 >= x.0 => Some(b),
                _ => Some(x),
            },
        );
        if let Some((_, a, kind)) = best.filter(|b| b.0 >= th.timeline) {
            let u = &record.utterances[i];
            record.timeline.push(TimelineEvent {
                offset_s: u.offset_s,
                time_utc: u.start_utc,
                kind,
                event: u.text.clone(),
                owner: u.speaker.clone(),
                evidence: Vec::new(),
                status: if a == Act::Hypothesis {
                    Status::Hypothesis
                } else {
                    Status::Fact
                },
                customer_visible: false,
                sources: vec![u.id.clone()],
            });
        }
    }
    record
        .timeline
        .sort_by(|a, b| a.offset_s.total_cmp(&b.offset_s));

    // Root cause: the utterance that most reads as the trigger, and the factors.
    let best = (0..n).max_by(|&a, &b| {
        scores[a]
            .get(Act::Trigger)
            .total_cmp(&scores[b].get(Act::Trigger))
    });
    if let Some(i) = best
        .filter(|&i| scores[i].get(Act::Trigger) >= th.trigger)
        .filter(|_| record.rca.trigger.is_none())
    {
        let u = &record.utterances[i];
        record.rca.trigger = Some(Finding {
            text: u.text.clone(),
            offset_s: u.offset_s,
            sources: vec![u.id.clone()],
        });
    }
    let mut factors = std::mem::take(&mut record.rca.contributing_factors);
    let held = gate(
        &mut factors,
        record,
        scores,
        Act::Factor,
        th.keep,
        |f| &f.sources,
        |_, _| {},
    );
    for i in 0..n {
        if scores[i].get(Act::Factor) >= th.add && !held.contains(&i) {
            let u = &record.utterances[i];
            factors.push(Finding {
                text: u.text.clone(),
                offset_s: u.offset_s,
                sources: vec![u.id.clone()],
            });
        }
    }
    factors.sort_by(|a, b| a.offset_s.total_cmp(&b.offset_s));
    record.rca.contributing_factors = factors;
}
