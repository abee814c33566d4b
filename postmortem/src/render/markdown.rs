//! `postmortem.md` in the standard template.

use std::fmt::Write;

use super::fmt::{at, cell, number, window};
use crate::record::{to_confirm, EventKind, HypothesisStatus, IncidentRecord, Status};

fn or_dash(s: Option<&str>) -> String {
    s.map(cell).unwrap_or_else(|| "—".into())
}

/// The mark after an item the extractor is not sure of, with what produced it.
fn confirm_mark(confidence: Option<f32>, why: Option<&str>) -> String {
    if !to_confirm(confidence) {
        return String::new();
    }
    match why {
        Some(w) => format!(" ⚠ to confirm ({w})"),
        None => " ⚠ to confirm".into(),
    }
}

/// How many items are marked "to confirm".
pub fn to_confirm_count(r: &IncidentRecord) -> usize {
    r.decisions
        .iter()
        .filter(|d| to_confirm(d.confidence))
        .count()
        + r.mitigations
            .iter()
            .filter(|m| to_confirm(m.confidence))
            .count()
        + r.hypotheses
            .iter()
            .filter(|h| to_confirm(h.confidence))
            .count()
        + r.action_items
            .iter()
            .filter(|a| to_confirm(a.confidence))
            .count()
}

/// Renders the standard postmortem.
pub fn postmortem(r: &IncidentRecord) -> String {
    let mut o = String::new();
    let i = &r.incident;
    let _ = writeln!(o, "# {}\n", i.title);
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| Incident | {} |", i.id);
    let _ = writeln!(o, "| Severity | {} |", or_dash(i.severity.as_deref()));
    let _ = writeln!(o, "| Status | {} |", i.status);
    let _ = writeln!(o, "| Window | {} |", cell(&window(r)));
    let _ = writeln!(
        o,
        "| Owner (incident commander) | {} |",
        or_dash(i.commander.as_deref())
    );
    let _ = writeln!(
        o,
        "| Follow-up review | {} |",
        i.review_date
            .map(|d| d.to_string())
            .unwrap_or_else(|| "to be scheduled".into())
    );
    let _ = writeln!(
        o,
        "| Systems | {} |\n",
        if i.systems.is_empty() {
            "—".into()
        } else {
            cell(&i.systems.join(", "))
        }
    );

    let unsure = to_confirm_count(r);
    if unsure > 0 {
        let _ = writeln!(
            o,
            "> ⚠ **To confirm: {unsure}.** The extractor is not sure of the items marked *to confirm*; check each against the call. The briefs leave them out.\n"
        );
    }
    let _ = writeln!(o, "## Impact\n");
    let _ = writeln!(
        o,
        "- **Customer:** {}",
        or_dash(r.impact.customer.as_deref())
    );
    let _ = writeln!(
        o,
        "- **Business:** {}",
        or_dash(r.impact.business.as_deref())
    );
    let _ = writeln!(
        o,
        "- **Technical:** {}\n",
        or_dash(r.impact.technical.as_deref())
    );
    if !r.impact.numbers.is_empty() {
        let _ = writeln!(o, "| Measure | As said | Sources |\n|---|---|---|");
        for n in &r.impact.numbers {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                cell(&number(n)),
                cell(&n.said),
                n.sources.join(", ")
            );
        }
        o.push('\n');
    }

    let _ = writeln!(o, "## Detection\n");
    match r.timeline.iter().find(|e| e.kind == EventKind::Detection) {
        Some(d) => {
            let _ = writeln!(
                o,
                "- **How noticed:** {} ({}; {})",
                d.event,
                at(d.time_utc, d.offset_s),
                d.sources.join(", ")
            );
        }
        None => {
            let _ = writeln!(o, "- **How noticed:** not stated on the call");
        }
    }
    let _ = writeln!(
        o,
        "- **Alerting gaps:** {}\n",
        r.rca
            .detection_gap
            .as_ref()
            .map(|f| format!("{} ({})", f.text, f.sources.join(", ")))
            .unwrap_or_else(|| "none named on the call".into())
    );

    let _ = writeln!(o, "## Timeline\n");
    let _ = writeln!(o, "| Time (UTC) | Event | Owner/Role | Evidence | Fact/Hypothesis | Customer visible? |\n|---|---|---|---|---|---|");
    for e in &r.timeline {
        let role = e
            .owner
            .as_ref()
            .and_then(|n| r.speakers.iter().find(|s| &s.name == n))
            .and_then(|s| s.role.clone());
        let owner = match (&e.owner, role) {
            (Some(n), Some(role)) => format!("{n} ({role})"),
            (Some(n), None) => n.clone(),
            _ => "—".into(),
        };
        let _ = writeln!(
            o,
            "| {} | **{}:** {} | {} | {} | {} | {} |",
            at(e.time_utc, e.offset_s),
            e.kind.as_str(),
            cell(&e.event),
            cell(&owner),
            if e.evidence.is_empty() {
                "—".into()
            } else {
                cell(&e.evidence.join(", "))
            },
            match e.status {
                Status::Fact => "fact",
                Status::Hypothesis => "hypothesis",
            },
            if e.customer_visible { "yes" } else { "no" }
        );
    }
    o.push('\n');

    let _ = writeln!(o, "## Root cause analysis\n");
    let f = |x: &Option<crate::record::Finding>| {
        x.as_ref()
            .map(|f| format!("{} ({})", f.text, f.sources.join(", ")))
            .unwrap_or_else(|| "not established on the call".into())
    };
    let _ = writeln!(o, "- **Trigger:** {}", f(&r.rca.trigger));
    let _ = writeln!(o, "- **Contributing factors:**");
    if r.rca.contributing_factors.is_empty() {
        let _ = writeln!(o, "  - none named on the call");
    }
    for c in &r.rca.contributing_factors {
        let _ = writeln!(o, "  - {} ({})", c.text, c.sources.join(", "));
    }
    let _ = writeln!(o, "- **Detection gap:** {}", f(&r.rca.detection_gap));
    let _ = writeln!(o, "- **Mitigation gap:** {}", f(&r.rca.mitigation_gap));
    let _ = writeln!(o, "- **Prevention gap:** {}", f(&r.rca.prevention_gap));
    let _ = writeln!(o, "- **Unconfirmed hypotheses:**");
    if r.rca.unconfirmed.is_empty() {
        let _ = writeln!(
            o,
            "  - none: every hypothesis raised was settled on the call"
        );
    }
    for u in &r.rca.unconfirmed {
        let _ = writeln!(o, "  - {} ({})", u.text, u.sources.join(", "));
    }
    if !r.hypotheses.is_empty() {
        let _ = writeln!(
            o,
            "\n| Time | Hypothesis | Who | Status | Settled by |\n|---|---|---|---|---|"
        );
        for h in &r.hypotheses {
            let st = match h.status {
                HypothesisStatus::Open => "open",
                HypothesisStatus::Confirmed => "confirmed",
                HypothesisStatus::Refuted => "refuted",
            };
            let settled = match (&h.settled_text, h.settled_by.is_empty()) {
                (Some(t), false) => format!("{} ({})", t, h.settled_by.join(", ")),
                _ => "—".into(),
            };
            let _ = writeln!(
                o,
                "| {} | {}{} | {} | {st} | {} |",
                at(h.time_utc, h.offset_s),
                cell(&h.text),
                cell(&confirm_mark(h.confidence, h.why.as_deref())),
                or_dash(h.who.as_deref()),
                cell(&settled)
            );
        }
    }
    o.push('\n');

    let _ = writeln!(o, "## Decision log\n");
    let _ = writeln!(
        o,
        "| Time | Decision | Who | Rationale | Alternatives |\n|---|---|---|---|---|"
    );
    for d in &r.decisions {
        let who = match (&d.who, d.who_inferred) {
            (Some(w), true) => format!("{w} (inferred: commander)"),
            (Some(w), false) => w.clone(),
            _ => "—".into(),
        };
        let _ = writeln!(
            o,
            "| {} | {}{} | {} | {} | {} |",
            at(d.time_utc, d.offset_s),
            cell(&d.decision),
            cell(&confirm_mark(d.confidence, d.why.as_deref())),
            cell(&who),
            or_dash(d.rationale.as_deref()),
            if d.alternatives.is_empty() {
                "—".into()
            } else {
                cell(&d.alternatives.join("; "))
            }
        );
    }
    o.push('\n');

    let _ = writeln!(o, "## Mitigations\n");
    let _ = writeln!(
        o,
        "| Time | What | Who | Worked? | Result |\n|---|---|---|---|---|"
    );
    for m in &r.mitigations {
        let worked = match m.worked {
            Some(true) => "yes",
            Some(false) => "no",
            None => "unknown",
        };
        let _ = writeln!(
            o,
            "| {} | {}{} | {} | {worked} | {} |",
            at(m.time_utc, m.offset_s),
            cell(&m.what),
            cell(&confirm_mark(m.confidence, m.why.as_deref())),
            or_dash(m.who.as_deref()),
            or_dash(m.result.as_deref())
        );
    }
    o.push('\n');

    let _ = writeln!(o, "## What went well\n");
    let mut well = Vec::new();
    for m in r.mitigations.iter().filter(|m| m.worked == Some(true)) {
        well.push(format!("Mitigation worked: {}", m.what));
    }
    for d in r.decisions.iter().filter(|d| !d.alternatives.is_empty()) {
        well.push(format!("Options weighed before deciding: {}", d.decision));
    }
    let alerted = r.timeline.iter().any(|e| {
        let t = e.event.to_lowercase();
        e.kind == EventKind::Detection
            && (t.contains("alert fired") || t.contains("alert went off") || t.contains("paged"))
    });
    if alerted && r.rca.detection_gap.is_none() {
        well.push("An alert detected the problem.".into());
    }
    if well.is_empty() {
        well.push("Nothing noted on the call.".into());
    }
    for w in well {
        let _ = writeln!(o, "- {w}");
    }
    let _ = writeln!(o, "\n## What didn't go well\n");
    let mut bad = Vec::new();
    for m in r.mitigations.iter().filter(|m| m.worked == Some(false)) {
        bad.push(format!("Mitigation did not help: {}", m.what));
    }
    if let Some(g) = &r.rca.detection_gap {
        bad.push(format!("Detection: {}", g.text));
    }
    for u in &r.rca.unconfirmed {
        bad.push(format!("Never confirmed: {}", u.text));
    }
    if bad.is_empty() {
        bad.push("Nothing noted on the call.".into());
    }
    for b in bad {
        let _ = writeln!(o, "- {b}");
    }
    o.push('\n');

    let _ = writeln!(o, "## Action items\n");
    let _ = writeln!(o, "| ID | Action | Owner | Due | Priority | Dependencies | Category | Verification plan |\n|---|---|---|---|---|---|---|---|");
    for a in &r.action_items {
        let _ = writeln!(
            o,
            "| {} | {}{}{} | {} | {} | {} | {} | {} | {} |",
            a.id,
            cell(&a.action),
            if a.vague {
                format!(" ⚠ vague: {}", a.vague_reasons.join(", "))
            } else {
                String::new()
            },
            cell(&confirm_mark(a.confidence, a.why.as_deref())),
            or_dash(a.owner.as_deref()),
            a.due.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
            a.priority.as_str(),
            if a.dependencies.is_empty() {
                "—".into()
            } else {
                cell(&a.dependencies.join("; "))
            },
            a.category.as_str(),
            or_dash(a.verification.as_deref())
        );
    }
    o.push('\n');

    let _ = writeln!(o, "## Evidence pack\n");
    let _ = writeln!(
        o,
        "| Kind | Value | As said | Time | Sources |\n|---|---|---|---|---|"
    );
    for e in &r.evidence {
        let t = super::fmt::utc_of(r, e.offset_s);
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            e.kind.as_str(),
            cell(&e.value),
            cell(&e.said),
            at(t, e.offset_s),
            e.sources.join(", ")
        );
    }
    o.push('\n');

    let _ = writeln!(o, "## Close-out criteria\n");
    let _ = writeln!(
        o,
        "- [{}] Recovery confirmed",
        if r.impact.recovered_utc.is_some() {
            "x"
        } else {
            " "
        }
    );
    let _ = writeln!(
        o,
        "- [{}] Monitoring after recovery complete",
        if r.incident.status == "resolved" {
            "x"
        } else {
            " "
        }
    );
    let _ = writeln!(
        o,
        "- [ ] Every action item has an owner, a due date and a verification plan{}",
        {
            let v: Vec<&str> = r
                .action_items
                .iter()
                .filter(|a| a.vague)
                .map(|a| a.id.as_str())
                .collect();
            if v.is_empty() {
                String::new()
            } else {
                format!(" (vague: {})", v.join(", "))
            }
        }
    );
    let _ = writeln!(
        o,
        "- [{}] Every hypothesis confirmed or ruled out",
        if r.rca.unconfirmed.is_empty() {
            "x"
        } else {
            " "
        }
    );
    let _ = writeln!(
        o,
        "- [ ] Postmortem reviewed{}",
        i.review_date
            .map(|d| format!(" on {d}"))
            .unwrap_or_default()
    );
    let _ = writeln!(o, "\n_Every line above cites the ids of the utterances it was read from; the full call is in `incident.json`._");
    o
}
