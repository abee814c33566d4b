//! Three briefs from the one record, so they can never contradict each other:
//! executive (under 120 words), engineering, and support (customer-safe: no
//! hostnames, ids, people's names or secrets).

use std::fmt::Write;

use super::fmt::{at, first_sentence, number, recovered, window};
use crate::record::{to_confirm, EvidenceKind, ImpactNumber, IncidentRecord, Status};

/// Words in a text (for the executive brief's limit).
pub fn word_count(s: &str) -> usize {
    s.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

fn risk(r: &IncidentRecord) -> String {
    let mut parts = Vec::new();
    if !recovered(r) {
        parts.push("not yet recovered".to_string());
    }
    if r.rca.trigger.is_none() {
        parts.push("trigger not yet established".to_string());
    }
    if !r.rca.unconfirmed.is_empty() {
        parts.push("some hypotheses remain unconfirmed".to_string());
    }
    if r.action_items
        .iter()
        .any(|a| a.vague && !to_confirm(a.confidence))
    {
        parts.push("some follow-ups lack an owner, a date or a verification plan".to_string());
    }
    if parts.is_empty() {
        "low: recovered, cause identified, follow-ups owned".into()
    } else {
        parts.join("; ")
    }
}

/// The impact numbers worth a headline: the first of each measure, most telling kinds first.
pub fn headline_numbers(r: &IncidentRecord, n: usize) -> Vec<&ImpactNumber> {
    let rank = |x: &ImpactNumber| -> usize {
        let w = x.what.as_str();
        if w.contains("error rate") || w.starts_with("share of") {
            0
        } else if w.contains("latency") {
            1
        } else if w.ends_with("affected")
            || matches!(
                x.unit.as_str(),
                "customers" | "users" | "merchants" | "tenants"
            )
        {
            2
        } else if matches!(x.unit.as_str(), "USD" | "EUR" | "GBP" | "tickets") {
            3
        } else {
            4
        }
    };
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let mut first: Vec<&ImpactNumber> = Vec::new();
    for x in &r.impact.numbers {
        let key = (x.what.as_str(), x.unit.as_str());
        if !seen.contains(&key) && rank(x) < 4 {
            seen.push(key);
            first.push(x);
        }
    }
    first.sort_by_key(|x| rank(x));
    first.truncate(n);
    first
}

/// The executive brief: what happened, impact in numbers, risk, next checkpoint and owner.
pub fn executive(r: &IncidentRecord) -> String {
    let i = &r.incident;
    let what = r
        .rca
        .trigger
        .as_ref()
        .map(|t| first_sentence(&t.text))
        .or_else(|| r.impact.technical.as_ref().map(|t| first_sentence(t)))
        .unwrap_or_else(|| "Cause not established on the call.".into());
    let checkpoint = match (i.review_date, &i.commander) {
        (Some(d), Some(c)) => format!("postmortem review on {d}, owner {c}"),
        (Some(d), None) => format!("postmortem review on {d}, owner to be named"),
        (None, Some(c)) => format!("postmortem review to be scheduled by {c}"),
        (None, None) => "postmortem review to be scheduled; owner to be named".into(),
    };
    let head = format!(
        "# Executive brief: {}\n\n**Severity:** {} · **Status:** {}\n\n",
        i.title,
        i.severity.as_deref().unwrap_or("not set"),
        i.status
    );
    let mut numbers: Vec<String> = headline_numbers(r, 4).into_iter().map(number).collect();
    loop {
        let impact = if numbers.is_empty() {
            "no figures given on the call".to_string()
        } else {
            numbers.join("; ")
        };
        let body = format!(
            "**What happened:** {what}\n\n**Impact:** {impact}. Window: {}.\n\n**Current risk:** {}.\n\n**Next checkpoint:** {checkpoint}.\n",
            window(r),
            risk(r)
        );
        let text = format!("{head}{body}");
        if word_count(&text) < 120 || numbers.is_empty() {
            return text;
        }
        numbers.pop();
    }
}

/// The engineering brief: timeline, RCA, actions, evidence.
pub fn engineering(r: &IncidentRecord) -> String {
    let mut o = String::new();
    let i = &r.incident;
    let _ = writeln!(o, "# Engineering brief: {}\n", i.title);
    let _ = writeln!(
        o,
        "{} · {} · {}\n",
        i.severity.as_deref().unwrap_or("severity not set"),
        i.status,
        window(r)
    );
    let _ = writeln!(o, "## Timeline\n");
    for e in &r.timeline {
        let tag = if e.status == Status::Hypothesis {
            " (hypothesis)"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "- {} **{}**{tag}: {} [{}]",
            at(e.time_utc, e.offset_s),
            e.kind.as_str(),
            e.event,
            e.sources.join(", ")
        );
    }
    let _ = writeln!(o, "\n## Root cause\n");
    if let Some(t) = &r.rca.trigger {
        let _ = writeln!(o, "- Trigger: {} [{}]", t.text, t.sources.join(", "));
    }
    for c in &r.rca.contributing_factors {
        let _ = writeln!(o, "- Contributing: {} [{}]", c.text, c.sources.join(", "));
    }
    for u in &r.rca.unconfirmed {
        let _ = writeln!(o, "- Unconfirmed: {} [{}]", u.text, u.sources.join(", "));
    }
    let _ = writeln!(o, "\n## Mitigations\n");
    for m in r.mitigations.iter().filter(|m| !to_confirm(m.confidence)) {
        let w = match m.worked {
            Some(true) => "worked",
            Some(false) => "did not work",
            None => "outcome not stated",
        };
        let _ = writeln!(
            o,
            "- {} {} — {w} [{}]",
            at(m.time_utc, m.offset_s),
            m.what,
            m.sources.join(", ")
        );
    }
    let _ = writeln!(o, "\n## Action items\n");
    for a in r.action_items.iter().filter(|a| !to_confirm(a.confidence)) {
        let _ = writeln!(
            o,
            "- {} {} — owner {}, due {}, {} priority, {}; verify: {}{} [{}]",
            a.id,
            a.action,
            a.owner.as_deref().unwrap_or("none"),
            a.due
                .map(|d| d.to_string())
                .unwrap_or_else(|| "none".into()),
            a.priority.as_str(),
            a.category.as_str(),
            a.verification.as_deref().unwrap_or("none"),
            if a.vague {
                format!(" — VAGUE ({})", a.vague_reasons.join(", "))
            } else {
                String::new()
            },
            a.sources.join(", ")
        );
    }
    if super::markdown::to_confirm_count(r) > 0 {
        let _ = writeln!(
            o,
            "\nItems the extractor is not sure of are marked *to confirm* in postmortem.md and left out here until a person confirms them."
        );
    }
    let _ = writeln!(o, "\n## Evidence\n");
    for e in &r.evidence {
        let _ = writeln!(
            o,
            "- {}: {} [{}]",
            e.kind.as_str(),
            e.value,
            e.sources.join(", ")
        );
    }
    o
}

/// Removes anything not customer-safe: ids, hostnames, URLs, names, secrets.
pub fn customer_safe(text: &str, r: &IncidentRecord) -> String {
    let mut banned: Vec<String> = Vec::new();
    for s in &r.speakers {
        banned.push(s.name.to_lowercase());
        banned.extend(s.name.split_whitespace().map(str::to_lowercase));
    }
    for e in &r.evidence {
        if !matches!(
            e.kind,
            EvidenceKind::Dashboard | EvidenceKind::LogQuery | EvidenceKind::StatusPage
        ) {
            banned.push(e.value.to_lowercase());
        }
    }
    let keep = |w: &&str| {
        let bare = w
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        if bare.is_empty() {
            return true;
        }
        let core = w.trim_matches(|c: char| !c.is_alphanumeric());
        let host_or_url = w.contains("://")
            || (core.contains('.') && core.chars().any(|c| c.is_ascii_alphabetic()));

        let id_like = bare.chars().any(|c| c.is_ascii_digit())
            && bare.chars().any(|c| c.is_ascii_alphabetic())
            && !bare.ends_with("utc");
        let secret = ["password", "token", "secret", "apikey", "api_key"]
            .iter()
            .any(|s| bare.contains(s));
        !(host_or_url || id_like || secret || banned.contains(&bare) || w.contains('_'))
    };
    text.lines()
        .map(|line| line.split(' ').filter(keep).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The support brief: customer-safe impact, mitigation status, next update.
pub fn support(r: &IncidentRecord) -> String {
    let i = &r.incident;
    let systems = if i.systems.is_empty() {
        "our service".to_string()
    } else {
        format!("the {}", i.systems.join(", "))
    };
    let saw: Vec<String> = headline_numbers(r, 6)
        .into_iter()
        .filter(|n| {
            matches!(n.unit.as_str(), "%" | "ms" | "s")
                && (n.what.starts_with("share of")
                    || n.what.contains("error rate")
                    || n.what.contains("latency"))
        })
        .take(2)
        .map(number)
        .collect();
    let status = match i.status.as_str() {
        "resolved" => "Resolved. Service is operating normally.",
        "monitoring" => "Mitigated. Service has recovered and we are monitoring it.",
        "mitigated" => "Mitigated. Service has recovered; the team is confirming the fix.",
        _ => "Ongoing. Engineers are actively working on it.",
    };
    let when = match (
        r.impact.started_utc.or(r.impact.detected_utc),
        r.impact.recovered_utc,
    ) {
        (Some(a), Some(b)) => format!("between {} and {}", at(Some(a), 0.0), at(Some(b), 0.0)),
        (Some(a), None) => format!("since {}", at(Some(a), 0.0)),
        _ => "during the incident window".into(),
    };
    let next = match (i.next_update_utc, i.status.as_str()) {
        (Some(t), "ongoing") => format!("Next update by {}.", at(Some(t), 0.0)),
        (_, "ongoing") => "Next update as soon as we know more.".to_string(),
        _ => "No further live updates are planned; a written summary will follow the review."
            .to_string(),
    };
    let mut o = String::new();
    let _ = writeln!(o, "# Support brief\n");
    let _ = writeln!(
        o,
        "**What customers saw:** Some customers had problems using {systems} {when}."
    );
    if !saw.is_empty() {
        let _ = writeln!(o, "\n**Scale:** {}.", saw.join("; "));
    }
    let _ = writeln!(o, "\n**Status:** {status}");
    let _ = writeln!(o, "\n**Next update:** {next}");
    let _ = writeln!(o, "\n**Suggested wording:** \"We're sorry for the disruption. Some customers had problems using {systems} {when}. {status}\"");
    customer_safe(&o, r) + "\n"
}
