//! The page: the record turned into what the template shows, one view per
//! item with its citations, its review state and its editable fields.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hotwash_postmortem::record::{to_confirm, Finding, IncidentRecord};
use hotwash_postmortem::render::briefs;
use hotwash_postmortem::review::{editable_fields, item_keys, reviewed, ItemKind};
use serde::Serialize;
use serde_json::Value;

use crate::assets;
use crate::audio::AudioSource;

/// One cited utterance: who, when, and where the play button seeks.
#[derive(Debug, Serialize)]
struct Cite {
    id: String,
    speaker: String,
    clock: String,
    rec: usize,
    seek: f64,
    playable: bool,
    why: String,
}

/// An editable field of an item.
#[derive(Debug, Serialize)]
struct Field {
    name: &'static str,
    label: &'static str,
    input: &'static str,
    value: String,
    options: Vec<String>,
}

/// One reviewable item.
#[derive(Debug, Serialize)]
struct Item {
    key: String,
    state: &'static str,
    reviewer: String,
    at: String,
    revision: u64,
    added: bool,
    flag: String,
    clock: String,
    speaker: String,
    text: String,
    details: Vec<String>,
    cites: Vec<Cite>,
    fields: Vec<Field>,
}

/// A list of items of one kind.
#[derive(Debug, Serialize)]
struct Section {
    kind: &'static str,
    title: &'static str,
    items: Vec<Item>,
}

/// A line without a review state (impact, RCA) and its citations.
#[derive(Debug, Serialize)]
struct Line {
    label: String,
    text: String,
    cites: Vec<Cite>,
}

#[derive(Debug, Serialize)]
struct Utterance {
    id: String,
    speaker: String,
    clock: String,
    text: String,
    rec: usize,
    start: f64,
    end: f64,
}

#[derive(Debug, Serialize)]
struct Audio {
    index: usize,
    name: String,
    ok: bool,
    why: String,
}

fn clock(t: Option<DateTime<Utc>>, offset_s: f64) -> String {
    match t {
        Some(t) => t.format("%H:%M:%S").to_string(),
        None => {
            let s = offset_s.max(0.0).round() as i64;
            format!("+{}:{:02}", s / 60, s % 60)
        }
    }
}

/// Looks up utterances and recordings for citations.
struct Cites<'a> {
    r: &'a IncidentRecord,
    by_id: HashMap<&'a str, usize>,
    audio: &'a [AudioSource],
}

impl<'a> Cites<'a> {
    fn new(r: &'a IncidentRecord, audio: &'a [AudioSource]) -> Self {
        let by_id = r
            .utterances
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id.as_str(), i))
            .collect();
        Cites { r, by_id, audio }
    }

    fn rec_of(&self, name: &str) -> usize {
        self.r
            .recordings
            .iter()
            .position(|x| x.name == name)
            .unwrap_or(0)
    }

    fn cite(&self, id: &str) -> Option<Cite> {
        let u = &self.r.utterances[*self.by_id.get(id)?];
        let rec = self.rec_of(&u.recording);
        let src = self.audio.get(rec);
        let start = u.offset_s - src.map_or(0.0, |a| a.offset_s);
        let (playable, why) = match src {
            Some(a) if a.path.is_some() => (true, String::new()),
            Some(a) => (false, a.missing.clone().unwrap_or_default()),
            None => (false, "the record names no recording".to_string()),
        };
        Some(Cite {
            id: u.id.clone(),
            speaker: u.speaker.clone().unwrap_or_else(|| "unknown".into()),
            clock: clock(u.start_utc, u.offset_s),
            rec,
            seek: (start - 1.0).max(0.0),
            playable,
            why,
        })
    }

    fn all(&self, ids: &[String]) -> Vec<Cite> {
        ids.iter().filter_map(|id| self.cite(id)).collect()
    }
}

fn s(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn field(name: &'static str, item: &Value, roster: &[String]) -> Field {
    let value = s(&item[name]);
    let (label, input, options): (&'static str, &'static str, Vec<String>) = match name {
        "owner" | "who" => {
            let mut o = vec![String::new()];
            o.extend(roster.iter().cloned());
            if !value.is_empty() && !o.contains(&value) {
                o.push(value.clone());
            }
            (if name == "owner" { "owner" } else { "who" }, "select", o)
        }
        "due" => ("due", "date", Vec::new()),
        "priority" => (
            "priority",
            "select",
            vec!["High".into(), "Medium".into(), "Low".into()],
        ),
        "category" => (
            "category",
            "select",
            [
                "prevention",
                "detection",
                "mitigation",
                "documentation-comms",
            ]
            .map(String::from)
            .to_vec(),
        ),
        "status" if item.get("settled_by").is_some() => (
            "status",
            "select",
            ["open", "confirmed", "refuted"].map(String::from).to_vec(),
        ),
        "status" => (
            "fact / hypothesis",
            "select",
            ["fact", "hypothesis"].map(String::from).to_vec(),
        ),
        "worked" => (
            "worked",
            "bool",
            ["", "true", "false"].map(String::from).to_vec(),
        ),
        "customer_visible" => (
            "customer visible",
            "bool",
            ["true", "false"].map(String::from).to_vec(),
        ),
        "verification" => ("verification", "text", Vec::new()),
        "rationale" => ("rationale", "text", Vec::new()),
        "result" => ("result", "text", Vec::new()),
        _ => ("text", "text", Vec::new()),
    };
    Field {
        name,
        label,
        input,
        value,
        options,
    }
}

fn title(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Timeline => "Timeline",
        ItemKind::Decision => "Decisions",
        ItemKind::Mitigation => "Mitigations",
        ItemKind::Hypothesis => "Hypotheses",
        ItemKind::Action => "Action items",
        ItemKind::Evidence => "Evidence",
    }
}

/// The JSON of each item of `kind`, in record order.
fn items_json(r: &IncidentRecord, kind: ItemKind) -> Vec<Value> {
    fn all<T: Serialize>(v: &[T]) -> Vec<Value> {
        v.iter()
            .map(|x| serde_json::to_value(x).unwrap_or(Value::Null))
            .collect()
    }
    match kind {
        ItemKind::Timeline => all(&r.timeline),
        ItemKind::Decision => all(&r.decisions),
        ItemKind::Mitigation => all(&r.mitigations),
        ItemKind::Hypothesis => all(&r.hypotheses),
        ItemKind::Action => all(&r.action_items),
        ItemKind::Evidence => all(&r.evidence),
    }
}

/// The main text and the detail lines of an item.
fn describe(kind: ItemKind, v: &Value) -> (String, Vec<String>) {
    let mut d = Vec::new();
    let mut add = |label: &str, key: &str| {
        let t = s(&v[key]);
        if !t.is_empty() {
            d.push(format!("{label}: {t}"));
        }
    };
    let text = match kind {
        ItemKind::Timeline => {
            add("kind", "kind");
            add("status", "status");
            add("owner", "owner");
            s(&v["event"])
        }
        ItemKind::Decision => {
            add("who", "who");
            add("rationale", "rationale");
            s(&v["decision"])
        }
        ItemKind::Mitigation => {
            add("who", "who");
            add("worked", "worked");
            add("result", "result");
            s(&v["what"])
        }
        ItemKind::Hypothesis => {
            add("who", "who");
            add("status", "status");
            add("settled by", "settled_text");
            s(&v["text"])
        }
        ItemKind::Action => {
            add("id", "id");
            add("owner", "owner");
            add("due", "due");
            add("priority", "priority");
            add("category", "category");
            add("verification", "verification");
            s(&v["action"])
        }
        ItemKind::Evidence => {
            add("kind", "kind");
            add("said", "said");
            s(&v["value"])
        }
    };
    (text, d)
}

/// Why an item is shown first, "to confirm": a low score or a vague action.
fn flag(v: &Value) -> String {
    let confidence = v["confidence"].as_f64().map(|c| c as f32);
    let mut why = Vec::new();
    if to_confirm(confidence) {
        why.push(format!(
            "low confidence {:.2}",
            confidence.unwrap_or_default()
        ));
    }
    if v["vague"].as_bool() == Some(true) {
        let reasons: Vec<String> = v["vague_reasons"]
            .as_array()
            .into_iter()
            .flatten()
            .map(s)
            .collect();
        why.push(format!("vague: {}", reasons.join(", ")));
    }
    why.join("; ")
}

fn section(r: &IncidentRecord, kind: ItemKind, cites: &Cites, roster: &[String]) -> Section {
    let keys = item_keys(r, kind);
    let mut items: Vec<(f64, Item)> = items_json(r, kind)
        .into_iter()
        .zip(keys)
        .map(|(v, key)| {
            let review = r.review.get(&key);
            let c = cites.all(
                &serde_json::from_value::<Vec<String>>(v["sources"].clone()).unwrap_or_default(),
            );
            let (text, details) = describe(kind, &v);
            let offset = v["offset_s"].as_f64().unwrap_or_default();
            let time: Option<DateTime<Utc>> = v
                .get("time_utc")
                .and_then(|t| serde_json::from_value(t.clone()).ok());
            let item = Item {
                state: review.state.as_str(),
                reviewer: review.reviewer.clone().unwrap_or_default(),
                at: review
                    .at
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default(),
                revision: review.revision,
                added: review.added,
                flag: flag(&v),
                clock: time.map_or_else(
                    || {
                        c.first()
                            .map_or_else(|| clock(None, offset), |c| c.clock.clone())
                    },
                    |t| clock(Some(t), offset),
                ),
                speaker: c.first().map(|c| c.speaker.clone()).unwrap_or_default(),
                text,
                details,
                fields: editable_fields(kind)
                    .iter()
                    .map(|f| field(f, &v, roster))
                    .collect(),
                cites: c,
                key,
            };
            (offset, item)
        })
        .collect();
    let first = |i: &Item| i.state != "suggested" || i.flag.is_empty();
    items.sort_by(|(oa, a), (ob, b)| first(a).cmp(&first(b)).then(oa.total_cmp(ob)));
    Section {
        kind: kind.as_str(),
        title: title(kind),
        items: items.into_iter().map(|(_, i)| i).collect(),
    }
}

fn finding_line(label: &str, f: &Finding, cites: &Cites) -> Line {
    Line {
        label: label.to_string(),
        text: f.text.clone(),
        cites: cites.all(&f.sources),
    }
}

fn impact_and_rca(r: &IncidentRecord, cites: &Cites) -> (Vec<Line>, Vec<Line>) {
    let mut impact = Vec::new();
    let times = cites.all(&r.impact.sources);
    for (label, text) in [
        ("technical", &r.impact.technical),
        ("customer", &r.impact.customer),
        ("business", &r.impact.business),
    ] {
        if let Some(t) = text {
            impact.push(Line {
                label: label.into(),
                text: t.clone(),
                cites: Vec::new(),
            });
        }
    }
    for n in &r.impact.numbers {
        impact.push(Line {
            label: n.what.clone(),
            text: n.said.clone(),
            cites: cites.all(&n.sources),
        });
    }
    if let Some(m) = r.impact.duration_min {
        impact.push(Line {
            label: "duration".into(),
            text: format!("{m:.0} min from detection to recovery"),
            cites: times,
        });
    }
    let mut rca = Vec::new();
    let rc = &r.rca;
    for (label, f) in [
        ("trigger", &rc.trigger),
        ("detection gap", &rc.detection_gap),
        ("mitigation gap", &rc.mitigation_gap),
        ("prevention gap", &rc.prevention_gap),
    ] {
        if let Some(f) = f {
            rca.push(finding_line(label, f, cites));
        }
    }
    for f in &rc.contributing_factors {
        rca.push(finding_line("contributing factor", f, cites));
    }
    for f in &rc.unconfirmed {
        rca.push(finding_line("unconfirmed", f, cites));
    }
    (impact, rca)
}

/// Renders the whole page for `r`.
pub(crate) fn render(
    r: &IncidentRecord,
    audio: &[AudioSource],
) -> Result<String, minijinja::Error> {
    let cites = Cites::new(r, audio);
    let mut roster: Vec<String> = r.speakers.iter().map(|s| s.name.clone()).collect();
    roster.sort();
    roster.dedup();
    let sections: Vec<Section> = ItemKind::ALL
        .into_iter()
        .map(|k| section(r, k, &cites, &roster))
        .collect();
    let shown = reviewed(r, false);
    let (impact, rca) = impact_and_rca(&shown, &cites);
    let briefs = vec![
        ("Executive", briefs::executive(&shown)),
        ("Engineering", briefs::engineering(&shown)),
        ("Support", briefs::support(&shown)),
    ];
    let transcript: Vec<Utterance> = r
        .utterances
        .iter()
        .map(|u| {
            let rec = cites.rec_of(&u.recording);
            let base = audio.get(rec).map_or(0.0, |a| a.offset_s);
            Utterance {
                id: u.id.clone(),
                speaker: u.speaker.clone().unwrap_or_else(|| "unknown".into()),
                clock: clock(u.start_utc, u.offset_s),
                text: u.text.clone(),
                rec,
                start: u.offset_s - base,
                end: u.end_s - base,
            }
        })
        .collect();
    let audios: Vec<Audio> = audio
        .iter()
        .enumerate()
        .map(|(index, a)| Audio {
            index,
            name: a.name.clone(),
            ok: a.path.is_some(),
            why: a.missing.clone().unwrap_or_default(),
        })
        .collect();
    let total: usize = sections.iter().map(|s| s.items.len()).sum();
    let reviewed_n: usize = sections
        .iter()
        .flat_map(|s| &s.items)
        .filter(|i| i.state != "suggested")
        .count();
    let to_confirm_n: usize = sections
        .iter()
        .flat_map(|s| &s.items)
        .filter(|i| i.state == "suggested" && !i.flag.is_empty())
        .count();
    let inc = &r.incident;
    let mut env = minijinja::Environment::new();
    env.add_template("page.html", assets::PAGE)?;
    env.get_template("page.html")?.render(minijinja::context! {
        id => inc.id,
        title => inc.title,
        severity => inc.severity.clone().unwrap_or_default(),
        status => inc.status,
        commander => inc.commander.clone().unwrap_or_default(),
        systems => inc.systems.join(", "),
        window => hotwash_postmortem::render::fmt::window(r),
        sections => sections,
        impact => impact,
        rca => rca,
        briefs => briefs,
        transcript => transcript,
        audios => audios,
        total => total,
        reviewed_n => reviewed_n,
        to_confirm_n => to_confirm_n,
        style => assets::STYLE,
        script => assets::SCRIPT,
    })
}
