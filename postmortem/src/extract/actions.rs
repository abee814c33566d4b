//! Action items: explicit ("Action item for Ravi: …"), assigned ("Esme owns…",
//! "Priya, can you own…"), self-assigned ("I'll … by Thursday"), and group
//! wishes ("we should improve…") kept and flagged vague. Each gets an owner,
//! a due date resolved against the call's date, a priority, a category,
//! dependencies and a verification plan.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use super::context::{Ctx, Sentence};
use super::cues::{self, has};
use super::lexicon;
use super::people;
use crate::record::{ActionItem, Category, Priority};
use crate::text::dates;

static MARKER: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%actions.marker%)\b"));

static GROUP: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%actions.group%)\b"));

static DEPENDENCY: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%actions.dependency%)\b"));

static VERIFY_START: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"^(%actions.verify_start%)"));

static PRIORITY_HIGH: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%actions.priority_high%)\b"));

static PRIORITY_LOW: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%actions.priority_low%)\b"));

/// Whether a word only answers or fills before a commitment ("Yeah, sure, I'll…").
fn filler(w: &str) -> bool {
    lexicon::list("actions.filler").has(w)
}

/// Words of a short clause before a commitment that only answers or agrees:
/// "Right, on me, I'll also roll the flag back…", "Sure thing, I'll…".
const LEAD_CLAUSE_MAX: usize = 4;

/// How an item begins.
#[derive(Debug, Clone, PartialEq)]
enum Start {
    /// "Action item …" with content.
    Marker(Option<String>),
    /// "Priya owns …", "Priya, can you own …".
    Assigned(String),
    /// "I'll …" with a date or ownership.
    SelfAssigned,
    /// "We should improve …".
    Group,
}

/// Where a first-person commitment starts, and the index after it. Whisper
/// joins a short answer to the commitment after it with a comma ("Right,
/// on me, I'll also roll the flag back…"), so the commitment may follow one.
fn commitment(s: &Sentence) -> Option<(usize, usize)> {
    let w: Vec<&str> = s.toks.iter().map(|t| t.lower.as_str()).collect();
    let mut from = 0;
    for _ in 0..3 {
        if let Some(found) = commitment_at(&w, from) {
            return Some(found);
        }
        let mut i = from;
        while i < w.len() && filler(w[i]) {
            i += 1;
        }
        let comma = w[i..]
            .iter()
            .take(LEAD_CLAUSE_MAX + 1)
            .position(|x| *x == ",")?;
        from = i + comma + 1;
    }
    None
}

/// A commitment starting at `from` (after fillers), as in [`commitment`].
fn commitment_at(w: &[&str], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while i < w.len() && filler(w[i]) {
        i += 1;
    }
    let start = i;
    let end = match (w.get(i), w.get(i + 1), w.get(i + 2)) {
        (Some(&"i'll"), _, _) | (Some(&"i'd"), _, _) => i + 1,
        (Some(&"i"), Some(&"will"), _)
        | (Some(&"i"), Some(&"can"), _)
        | (Some(&"i"), Some(&"own"), _) => i + 2,
        (Some(&"i'm"), Some(&"going"), Some(&"to")) => i + 3,
        (Some(&"i"), Some(&"am"), Some(&"going")) => i + 4,
        (Some(&"let"), Some(&"me"), _) => i + 2,
        (Some(&"i'm"), Some(&"taking"), _) | (Some(&"i'm"), Some(&"owning"), _) => i + 1,
        _ => return None,
    };
    if w.get(start) == Some(&"i'd") && w.get(start + 1) != Some(&"like") {
        return None;
    }
    Some((start, end))
}

/// The first word after a commitment that is not an adverb ("I'll also just…").
fn first_verb<'a>(rest: &[&'a str]) -> Option<&'a str> {
    let adverb = lexicon::list("actions.adverb");
    rest.iter().find(|w| !adverb.has(w)).copied()
}

/// Words after a commitment that make it no task: "I'll be IC", "I'll drop off".
fn not_a_task(rest: &[&str]) -> bool {
    first_verb(rest).is_none_or(|w| lexicon::list("actions.not_task").has(w))
}

/// Words after a commitment that are usually part of the live investigation
/// ("I'll check the logs") unless a deadline makes them a follow-up.
fn investigation(rest: &[&str]) -> bool {
    first_verb(rest).is_some_and(|w| lexicon::list("actions.investigation").has(w))
}

/// Only acceptance of something already said: "I'll take that", "I can do that".
fn acceptance_only(rest: &[&str]) -> bool {
    let filler = lexicon::list("actions.acceptance_filler");
    let content: Vec<&&str> = rest.iter().filter(|w| !filler.has(w)).collect();
    content.len() <= 1
        && content
            .iter()
            .all(|w| lexicon::list("actions.acceptance_verb").has(w))
}

fn is_acceptance(s: &Sentence) -> bool {
    let n = &s.norm;
    lexicon::list("actions.acceptance_start")
        .prefix_of(n)
        .is_some()
        || lexicon::list("actions.acceptance").any_in(n)
}

/// A name nobody used before, in an unmistakable ownership phrase:
/// "Gus owns…", "Gus's going to own…", "Gus will take…", "Gus to own…".
fn unknown_owner(t: &[crate::text::Token], i: usize, names: &[String]) -> Option<String> {
    if !people::name_like(&t[i], names)
        || (i > 0
            && !t[i - 1].is_punct()
            && !lexicon::list("actions.owner_lead").has(&t[i - 1].lower))
    {
        return None;
    }
    let next: Vec<&str> = t[i + 1..]
        .iter()
        .take(4)
        .map(|x| x.lower.as_str())
        .collect();
    let owning = matches!(next.first(), Some(&"owns") | Some(&"takes"))
        || next.iter().take(4).any(|w| matches!(*w, "own" | "take"))
            && matches!(
                next.first(),
                Some(&"will") | Some(&"to") | Some(&"going") | Some(&"is")
            );
    // "…, Ken, please own the runbook fix": addressed, then asked to own.
    let asked_to_own = next.first() == Some(&",")
        && matches!(next.get(1), Some(&"please") | Some(&"can") | Some(&"could"))
        && t[i + 1..]
            .iter()
            .take(6)
            .any(|x| matches!(x.lower.as_str(), "own" | "take"));
    (owning || asked_to_own).then(|| t[i].text.trim_end_matches("'s").to_string())
}

/// True when token `i` sits right after "action item" (with a comma,
/// colon or "for" between): the owner's slot.
fn after_item_marker(t: &[crate::text::Token], i: usize) -> bool {
    let at = |k: usize| t.get(k).map(|x| x.lower.as_str());
    i >= 2
        && matches!(at(i - 1), Some(",") | Some(":") | Some("for"))
        && matches!(at(i - 2), Some("item") | Some("items"))
}

fn assigned_owner(s: &Sentence, names: &[String]) -> Option<String> {
    let t = &s.toks;
    for i in 0..t.len() {
        let slot = after_item_marker(t, i);
        let Some(n) = people::name_at(&t[i], names)
            .or_else(|| unknown_owner(t, i, names))
            .or_else(|| {
                slot.then(|| people::run_together_name(&t[i], names))
                    .flatten()
            })
        else {
            continue;
        };
        // "Action item, Quentin adds a smoke test…", "Action item: Esme owns…".
        if slot && names.contains(&n) {
            return Some(n);
        }
        let next: Vec<&str> = t[i + 1..]
            .iter()
            .take(4)
            .map(|x| x.lower.as_str())
            .collect();
        let prev = if i > 0 { t[i - 1].lower.as_str() } else { "" };
        let prev2 = if i > 1 { t[i - 2].lower.as_str() } else { "" };
        let owns = matches!(
            next.first(),
            Some(&"owns")
                | Some(&"going")
                | Some(&"takes")
                | Some(&"has")
                | Some(&"to")
                | Some(&"will")
                | Some(&"is")
        ) && !(next.first() == Some(&"is")
            && next.get(1) != Some(&"going")
            && next.get(1) != Some(&"taking")
            && next.get(1) != Some(&"owning"));
        let for_marker = prev == "for" && lexicon::list("actions.item_word").has(prev2)
            || prev == "to" && lexicon::list("actions.assigned_to").has(prev2)
            || (prev == ":" || prev == "is") && prev2 == "owner"
            || prev == "on" && matches!(prev2, "that's" | "is" | "it's")
            || prev == "have" && matches!(prev2, "let's" | "we'll" | "can");
        // "Can you own the alert fix, Raj?": the name closes the request.
        let closing = prev == ","
            && t[i + 1..].iter().all(|x| x.is_punct())
            && t[..i]
                .iter()
                .any(|x| matches!(x.lower.as_str(), "own" | "take" | "handle" | "pick"));
        let asked = next.first() == Some(&",")
            && (next.get(1) == Some(&"can")
                || next.get(1) == Some(&"could")
                || next.get(1) == Some(&"please")
                || next.get(1) == Some(&"will"));
        if owns || for_marker || asked || closing {
            return Some(n);
        }
    }
    None
}

fn starts_item(
    ctx: &Ctx,
    s: &Sentence,
    following: &[&Sentence],
    today: Option<NaiveDate>,
    after_recovery: bool,
) -> Option<Start> {
    let n = &s.norm;
    let w: Vec<&str> = s.toks.iter().map(|t| t.lower.as_str()).collect();
    let marker_at_start = MARKER.find(n).is_some_and(|m| {
        m.as_str().starts_with("action item")
            || n[..m.start()]
                .split_whitespace()
                .all(|w| lexicon::list("actions.marker_lead").has(w))
    });
    if marker_at_start {
        let filler = lexicon::list("actions.marker_filler");
        let content = s
            .toks
            .iter()
            .filter(|t| t.is_word() && !filler.has(&t.lower))
            .count();
        if content >= 3 {
            return Some(Start::Marker(assigned_owner(s, &ctx.names)));
        }
        return None;
    }
    if let Some(owner) = assigned_owner(s, &ctx.names) {
        let owning = lexicon::list("actions.owning").any_in(n);
        let dated = today.is_some_and(|d| {
            dates::due_date(&s.toks, d)
                .is_some_and(|x| x.deadline || x.said.to_ascii_lowercase().contains("tomorrow"))
        });
        if owning || (dated && (!s.question || n.contains("can you"))) {
            return Some(Start::Assigned(owner));
        }
    }
    if let Some((_, end)) = commitment(s) {
        let rest: Vec<&str> = w[end..].to_vec();
        if not_a_task(&rest) || acceptance_only(&rest) {
            return None;
        }
        let owns =
            rest.first().is_some_and(|x| matches!(*x, "own" | "take")) || n.contains("i own");
        let dated_here =
            |x: &Sentence| today.is_some_and(|d| dates::due_date(&x.toks, d).is_some());
        // The date or the plan may follow: "I'll write the alert rule. Does Thursday work?"
        let later: Vec<&&Sentence> = following
            .iter()
            .take_while(|f| {
                commitment(f).is_none() || refers_back(f) || has(&cues::VERIFICATION, &f.norm)
            })
            .take(3)
            .collect();
        let dated = dated_here(s) || later.iter().any(|f| dated_here(f));
        let planned = later.iter().any(|f| has(&cues::VERIFICATION, &f.norm));
        let deadline =
            today.is_some_and(|d| dates::due_date(&s.toks, d).is_some_and(|x| x.deadline));
        if investigation(&rest) && !deadline {
            return None;
        }
        // Once the incident is over, a substantial "I'll …" is a follow-up even
        // when its date was lost ("I'll draft a customer note for the affected accounts").
        let substantial = after_recovery && cues::content_words(&rest.join(" ")).len() >= 4;
        if owns || dated || planned || substantial {
            return Some(Start::SelfAssigned);
        }
        return None;
    }
    if GROUP.is_match(n) && !s.question {
        let monitoring = lexicon::list("actions.monitoring").any_in(n);
        if !monitoring
            && (has(&cues::UNMEASURABLE, n) || after_recovery)
            && !has(&cues::MITIGATION_VERB, n)
        {
            return Some(Start::Group);
        }
    }
    None
}

/// Token index where a verification plan starts in normalised text, if any.
fn verification_at(norm: &str) -> Option<usize> {
    cues::VERIFICATION
        .find(norm)
        .map(|m| norm[..m.start()].split_whitespace().count())
}

/// An item's first-person commitment that refers back ("I'll get that note sent").
fn refers_back(s: &Sentence) -> bool {
    let Some((_, end)) = commitment(s) else {
        return false;
    };
    // Only its first clause: "Ready by the 12th, then we rehearse it…".
    let rest: Vec<&str> = s.toks[end..]
        .iter()
        .take_while(|t| !t.is_punct())
        .map(|t| t.lower.as_str())
        .collect();
    let demonstrative = rest
        .iter()
        .take(3)
        .any(|w| matches!(*w, "that" | "it" | "this" | "those" | "them"));
    let content = cues::content_words(&rest.join(" ")).len();
    demonstrative && content <= 4
}

fn clean_action(text: &str, due_said: Option<&str>, owner: Option<&str>) -> String {
    let mut t = text.trim().trim_end_matches(['.', '!', '?']).to_string();
    if let Some(d) = due_said {
        let lower = t.to_ascii_lowercase();
        let dl = d.to_ascii_lowercase();
        for pat in [
            format!(", due {dl}"),
            format!(" due {dl}"),
            format!(", {dl}"),
            format!(" {dl}"),
            format!("{dl} "),
        ] {
            if let Some(p) = lower.find(&pat) {
                t = format!("{}{}", &t[..p], &t[p + pat.len()..]);
                break;
            }
        }
    }
    let lower = t.to_ascii_lowercase();
    // Strip the marker and the owner phrase.
    let mut cut = 0;
    for m in &lexicon::list("actions.marker_text").phrases {
        if let Some(p) = lower.find(m.as_str()) {
            cut = cut.max(p + m.len());
        }
    }
    if let Some(o) = owner {
        let first = o
            .split_whitespace()
            .next()
            .unwrap_or(o)
            .to_ascii_lowercase();
        for pat in [
            format!("for {first}:"),
            format!("{first} owns"),
            format!("{first} will own"),
            format!("{first} to own"),
            format!("{first}, can you own"),
            format!("{first}, can you"),
            format!("{first} will"),
            format!("{first} to"),
            format!("{first} has"),
        ] {
            if let Some(p) = lower.find(&pat) {
                if p <= cut + 3 || p < 40 {
                    cut = cut.max(p + pat.len());
                }
            }
        }
    }
    let mut t = t[cut.min(t.len())..]
        .trim()
        .trim_start_matches([':', ',', '-'])
        .trim()
        .to_string();
    loop {
        let lower = t.to_ascii_lowercase();
        let mut changed = false;
        for p in &lexicon::list("actions.lead_text").phrases {
            if lower.starts_with(p.as_str()) {
                t = t[p.len()..].trim().to_string();
                changed = true;
                break;
            }
        }
        if !changed {
            break;
        }
    }
    t.trim().trim_end_matches([',', ' ']).to_string()
}

fn category(action: &str, scope: &str) -> Category {
    let a = action.to_ascii_lowercase();
    let s = scope.to_ascii_lowercase();
    let score = |list: &str| -> usize {
        lexicon::list(list)
            .weights
            .iter()
            .map(|(w, weight)| {
                let w = w.as_str();
                let mut v = 0;
                if a.contains(w) {
                    v += weight * 2;
                    if a.split_whitespace().take(3).any(|x| x.starts_with(w)) {
                        v += weight;
                    }
                }
                if s.contains(w) {
                    v += 1;
                }
                v
            })
            .sum()
    };
    let detection = score("actions.detection");
    let prevention = score("actions.prevention");
    let mitigation = score("actions.mitigation");
    let comms = score("actions.comms");
    let mut best = (prevention, Category::Prevention);
    for c in [
        (detection, Category::Detection),
        (mitigation, Category::Mitigation),
        (comms, Category::DocumentationComms),
    ] {
        if c.0 > best.0 {
            best = c;
        }
    }
    best.1
}

/// An item being built from its sentences.
#[derive(Debug, Clone)]
struct Draft {
    start: Start,
    sent: usize,
    scope: Vec<usize>,
    owner: Option<String>,
    owner_how: Option<String>,
    action_from: Option<String>,
}

fn request_for(ctx: &Ctx, before: usize, owner: Option<&str>) -> Option<(usize, String, String)> {
    // A request in the 60 s before: "Esme, could you notify the affected accounts …?"
    let here = ctx.sents[before].offset_s;
    for k in (0..before).rev() {
        let s = &ctx.sents[k];
        if here - s.offset_s > 60.0 {
            break;
        }
        if let Some((i, name)) = people::addressed(s, &ctx.names) {
            if owner.is_some_and(|o| o != name) {
                continue;
            }
            let words: Vec<&str> = s.toks.iter().map(|t| t.lower.as_str()).collect();
            let mut j = i + 2;
            while j < words.len()
                && matches!(
                    words[j],
                    "can" | "could" | "you" | "please" | "will" | "would"
                )
            {
                j += 1;
            }
            if j < words.len() && j > i + 2 {
                let text = s.toks[j..]
                    .iter()
                    .map(|t| t.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
                    .replace(" ,", ",")
                    .replace(" ?", "")
                    .replace(" .", "");
                let text = text.trim_end_matches(" instead").trim().to_string();
                return Some((k, name, text));
            }
        }
    }
    None
}

/// Every action item on the call.
pub fn extract(ctx: &Ctx, recovered_at: Option<f64>) -> Vec<ActionItem> {
    let today = ctx.today;
    let mut drafts: Vec<Draft> = Vec::new();
    for u in 0..ctx.turns() {
        let sents: Vec<usize> = ctx.sentences_of_turn(u).collect();
        let mut current: Option<usize> = None;
        let mut quoting = false;
        for &i in &sents {
            let s = &ctx.sents[i];
            if quoting {
                continue;
            }
            if s.norm.starts_with("tell them")
                || s.norm.contains("tell them :")
                || s.norm.contains(", tell them")
            {
                quoting = true;
                continue;
            }
            let after_recovery = recovered_at.is_some_and(|r| s.offset_s >= r);
            let continuing = current.is_some()
                && (has(&cues::VERIFICATION, &s.norm)
                    || refers_back(s)
                    || s.norm.starts_with("due ")
                    || s.question);
            let following: Vec<&Sentence> = sents
                .iter()
                .filter(|&&k| k > i)
                .map(|&k| &ctx.sents[k])
                .collect();
            // "Sure, I'll send it tomorrow" answers the item assigned just before: same item.
            let answers_previous = current.is_none()
                && refers_back(s)
                && drafts.last().is_some_and(|d| {
                    matches!(d.start, Start::Assigned(_) | Start::Marker(_))
                        && ctx.turn[ctx.sents[d.sent].utt] + 1 == u
                        && s.offset_s - ctx.sents[d.sent].offset_s < 60.0
                });
            if answers_previous {
                let who = ctx.who(s);
                if let Some(d) = drafts.last_mut() {
                    d.scope.push(i);
                    if d.owner.is_none() || d.owner == who {
                        d.owner = d.owner.clone().or(who);
                        d.owner_how = Some("accepted".into());
                    }
                }
                current = Some(drafts.len() - 1);
                continue;
            }
            // A new commitment with its own content starts a new item even when it also
            // carries a plan; "I'll verify it by…" or "ready by…" continue the current one.
            let plan_first = VERIFY_START.is_match(&s.norm);
            let start = if continuing && (plan_first || refers_back(s)) {
                None
            } else {
                starts_item(ctx, s, &following, today, after_recovery)
            };
            match start {
                Some(st) => {
                    let owner = match &st {
                        Start::Marker(o) => o.clone(),
                        Start::Assigned(o) => Some(o.clone()),
                        Start::SelfAssigned => ctx.who(s),
                        Start::Group => None,
                    };
                    let owner_how = owner.as_ref().map(|_| match st {
                        Start::SelfAssigned => "self".to_string(),
                        _ => "assigned".to_string(),
                    });
                    drafts.push(Draft {
                        start: st,
                        sent: i,
                        scope: vec![i],
                        owner,
                        owner_how,
                        action_from: None,
                    });
                    current = Some(drafts.len() - 1);
                }
                None => {
                    if let Some(c) = current {
                        drafts[c].scope.push(i);
                    } else if refers_back(s) {
                        // "Sure. I'll get that note sent in the next hour." — a commitment to an earlier request.
                        let dated = today.is_some_and(|d| dates::due_date(&s.toks, d).is_some());
                        if dated {
                            let owner = ctx.who(s);
                            let req = request_for(ctx, i, owner.as_deref());
                            let (owner, how) = match (owner, &req) {
                                (Some(o), _) => (Some(o), Some("self".to_string())),
                                (None, Some((_, n, _))) => {
                                    (Some(n.clone()), Some("addressed".to_string()))
                                }
                                (None, None) => (None, None),
                            };
                            drafts.push(Draft {
                                start: Start::SelfAssigned,
                                sent: i,
                                scope: vec![i],
                                owner,
                                owner_how: how,
                                action_from: req.map(|r| r.2),
                            });
                            current = Some(drafts.len() - 1);
                        }
                    }
                }
            }
        }
    }
    // Owners from acceptance ("Fine, I'll grab that") and from who was asked.
    for d in drafts.iter_mut() {
        let s = &ctx.sents[d.sent];
        if d.owner.is_some()
            && d.start == Start::SelfAssigned
            && d.action_from.is_none()
            && refers_back(s)
        {
            // "I'll get that note sent": the task is the one this speaker was asked for.
            if let Some((_, _, text)) = request_for(ctx, d.sent, d.owner.as_deref()) {
                d.action_from = Some(text);
            }
        }
        if d.owner.is_none() && d.start == Start::SelfAssigned && refers_back(s) {
            if let Some((_, n, text)) = request_for(ctx, d.sent, None) {
                d.owner = Some(n);
                d.owner_how = Some("addressed".into());
                d.action_from = Some(text);
            }
        }
        if matches!(d.start, Start::Marker(_) | Start::Assigned(_)) {
            let next_turn = ctx.turn[s.utt] + 1;
            if let Some(k) = ctx.sentences_of_turn(next_turn).next() {
                let ns = &ctx.sents[k];
                if is_acceptance(ns) && ns.offset_s - s.offset_s < 60.0 {
                    match (&d.owner, ctx.who(ns)) {
                        (None, Some(w)) => {
                            d.owner = Some(w);
                            d.owner_how = Some("accepted".into());
                        }
                        (Some(o), Some(w)) if *o == w => d.owner_how = Some("accepted".into()),
                        _ => {}
                    }
                }
            }
        }
    }
    drafts
        .into_iter()
        .enumerate()
        .map(|(k, d)| finish(ctx, d, k + 1, today))
        .collect()
}

fn finish(ctx: &Ctx, d: Draft, n: usize, today: Option<NaiveDate>) -> ActionItem {
    let s = &ctx.sents[d.sent];
    // Due: the item's own sentence first, then the rest of its scope (not verification sentences).
    let mut due = None;
    if let Some(t) = today {
        for &i in &d.scope {
            let si = &ctx.sents[i];
            // In a sentence with the plan, only a date said before the plan counts.
            let plan_at = verification_at(&si.norm).filter(|_| i != d.sent);
            if plan_at.is_some() && si.norm.starts_with("due") {
                // "Due Friday, verify it by…"
            } else if let Some(x) = dates::due_date(&si.toks, t) {
                if plan_at.is_none_or(|p| x.index < p) {
                    due = Some(x);
                    break;
                }
            }
        }
    }
    let verification: Vec<String> = d
        .scope
        .iter()
        .filter_map(|&i| {
            let si = &ctx.sents[i];
            if !has(&cues::VERIFICATION, &si.norm) {
                return None;
            }
            let text = si.text.trim().trim_end_matches('.');
            // Keep just the clause with the plan when the sentence also holds the task.
            let lower = text.to_ascii_lowercase();
            for cue in &lexicon::list("actions.plan_start").phrases {
                if i == d.sent {
                    if let Some(p) = lower.find(cue.as_str()) {
                        return Some(text[p..].to_string());
                    }
                }
            }
            Some(text.to_string())
        })
        .collect();
    let verification = (!verification.is_empty()).then(|| verification.join(" "));
    let mut action = match &d.action_from {
        Some(a) => a.clone(),
        None => clean_action(
            &s.text,
            due.as_ref().map(|x| x.said.as_str()),
            d.owner.as_deref(),
        ),
    };
    // The plan said in the same sentence is the verification, not the task.
    if let Some(v) = &verification {
        let lower = action.to_ascii_lowercase();
        let head: String = v.to_ascii_lowercase().chars().take(12).collect();
        if let Some(p) = lower.find(&head).filter(|&p| p > 0) {
            let cut = lower[..p]
                .rfind([',', ';'])
                .filter(|&c| p - c < 30)
                .unwrap_or(p);
            let mut a = action[..cut].trim_end().to_string();
            for tail in &lexicon::list("actions.plan_joint").phrases {
                if a.to_ascii_lowercase().ends_with(tail.as_str()) {
                    a.truncate(a.len() - tail.len());
                }
            }
            if a.split_whitespace().count() >= 3 {
                action = a;
            }
        }
    }
    let scope_text: String = d
        .scope
        .iter()
        .map(|&i| ctx.sents[i].norm.clone())
        .collect::<Vec<_>>()
        .join(" ");
    let category = category(&action, &scope_text);
    let mut dependencies = Vec::new();
    for &i in &d.scope {
        let si = &ctx.sents[i];
        if has(&cues::VERIFICATION, &si.norm) {
            continue;
        }
        if let Some(m) = DEPENDENCY.find(&si.norm) {
            let rest = si.norm[m.start()..]
                .split([',', '.'])
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            let trivial = lexicon::list("actions.trivial_dependency")
                .prefix_of(&rest)
                .is_some();
            if !trivial && rest.split_whitespace().count() >= 3 {
                dependencies.push(rest);
            }
        }
    }
    // "Vikram can hand you the export" in the request this item answers.
    if d.action_from.is_some() {
        for k in (0..d.sent).rev().take(4) {
            let sk = &ctx.sents[k];
            for (t, tok) in sk.toks.iter().enumerate() {
                if let Some(name) = people::name_at(tok, &ctx.names) {
                    let w: Vec<&str> = sk.toks[t + 1..]
                        .iter()
                        .take(3)
                        .map(|x| x.lower.as_str())
                        .collect();
                    if w.len() >= 3
                        && matches!(w[0], "can" | "will")
                        && matches!(w[1], "get" | "send" | "give")
                        && w[2] == "you"
                    {
                        let what: Vec<&str> = sk.toks[t + 4..]
                            .iter()
                            .filter(|x| !x.is_punct())
                            .map(|x| x.text.as_str())
                            .collect();
                        dependencies.push(format!("{} from {name}", what.join(" ")));
                    }
                }
            }
        }
    }
    let mut vague_reasons = Vec::new();
    if d.owner.is_none() {
        vague_reasons.push("no owner".to_string());
    } else if d
        .owner
        .as_deref()
        .is_some_and(|o| o.ends_with("(unconfirmed)"))
    {
        vague_reasons.push("owner's voice not matched to a name: confirm who it is".to_string());
    } else if d.owner.as_ref().is_some_and(|o| ctx.unsure.contains(o)) {
        vague_reasons.push("owner's voice tied to the name by one exchange: confirm".to_string());
    }
    if due.is_none() {
        vague_reasons.push("no due date".to_string());
    }
    if verification.is_none() && category != Category::DocumentationComms {
        vague_reasons.push("no verification plan".to_string());
    }
    if has(&cues::UNMEASURABLE, &action.to_ascii_lowercase()) {
        vague_reasons.push("unmeasurable goal".to_string());
    }
    let vague = !vague_reasons.is_empty();
    let priority = if PRIORITY_HIGH.is_match(&scope_text) {
        Priority::High
    } else if PRIORITY_LOW.is_match(&scope_text) || d.owner.is_none() {
        Priority::Low
    } else {
        match (due.as_ref(), today) {
            (Some(x), Some(t)) if (x.date - t).num_days() <= 7 => Priority::High,
            (Some(x), Some(t)) if (x.date - t).num_days() <= 21 => Priority::Medium,
            (Some(_), Some(_)) => Priority::Low,
            _ => Priority::Medium,
        }
    };
    let mut sources: Vec<String> = Vec::new();
    for &i in &d.scope {
        let src = ctx.source(&ctx.sents[i]);
        if !sources.contains(&src) {
            sources.push(src);
        }
    }
    ActionItem {
        why: Some("rule".into()),
        confidence: None,
        id: format!("A{n}"),
        offset_s: s.offset_s,
        time_utc: ctx.utc(s.offset_s),
        action,
        owner: d.owner,
        owner_how: d.owner_how,
        due: due.as_ref().map(|x| x.date),
        due_said: due.map(|x| x.said),
        priority,
        dependencies,
        category,
        verification,
        vague,
        vague_reasons,
        sources,
    }
}
