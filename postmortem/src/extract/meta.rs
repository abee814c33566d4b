//! Incident framing: severity, systems, title, review date and the next
//! promised customer update.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use regex::Regex;

use super::context::Ctx;
use crate::text::dates;

static SEV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(sev|severity|sev-)\s?(\d)\b").unwrap_or_else(|e| panic!("{e}"))
});
static SYSTEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b((?:[a-z0-9]+ ){0,2}?[a-z0-9]+) (service|api|database|db|gateway|cluster|queue|cache|page|pipeline|frontend|backend|cdn|store|worker|workers)\b").unwrap_or_else(|e| panic!("{e}"))
});
static REVIEW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(postmortem|post-mortem|post mortem|retro|retrospective|incident review|review meeting|hotwash)\b").unwrap_or_else(|e| panic!("{e}"))
});
static NEXT_UPDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(next update|update (again )?(within|in)|update you (within|in))\b.*?\b(\d+) (minutes|mins|hours?)\b").unwrap_or_else(|e| panic!("{e}"))
});

const SYSTEM_STOP: &[&str] = &["the", "a", "an", "our", "this", "that", "status", "same", "new", "any", "every", "its", "their", "your", "my", "and", "of", "on", "in", "to", "for"];

/// The severity declared on the call (`SEV1`..`SEV5`).
pub fn severity(ctx: &Ctx) -> Option<String> {
    ctx.sents.iter().find_map(|s| {
        let c = SEV.captures(&s.norm)?;
        let n: u32 = c.get(2)?.as_str().parse().ok()?;
        (n <= 5).then(|| format!("SEV{n}"))
    })
}

/// Systems named as affected, most mentioned first.
pub fn systems(ctx: &Ctx) -> Vec<String> {
    let mut counts: Vec<(String, usize, usize)> = Vec::new();
    for (i, s) in ctx.sents.iter().enumerate() {
        let mut found: Vec<String> = Vec::new();
        for c in SYSTEM.captures_iter(&s.norm) {
            let name: Vec<&str> = c[1].split_whitespace().filter(|w| !SYSTEM_STOP.contains(w)).collect();
            if name.is_empty() || name.iter().all(|w| w.chars().all(|c| c.is_ascii_digit())) {
                continue;
            }
            let kind = &c[2];
            if kind == "page" && !name.iter().any(|w| *w == "history" || *w == "checkout" || *w == "login") {
                continue;
            }
            found.push(format!("{} {}", name.join(" "), kind));
        }
        // "declaring a SEV one for checkout"
        if let Some(p) = s.norm.find(" for ") {
            if SEV.is_match(&s.norm) {
                let name: String = s.norm[p + 5..].split([' ', '.', ',']).next().unwrap_or("").to_string();
                if !name.is_empty() && !SYSTEM_STOP.contains(&name.as_str()) {
                    found.push(name);
                }
            }
        }
        for f in found {
            let f = f.replace(" api", " API").replace("eu ", "EU ").replace("us ", "US ");
            match counts.iter_mut().find(|c| c.0 == f) {
                Some(c) => c.1 += 1,
                None => counts.push((f, 1, i)),
            }
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    counts.into_iter().take(4).map(|c| c.0).collect()
}

/// The postmortem review date, when one was set.
pub fn review_date(ctx: &Ctx, today: Option<NaiveDate>) -> Option<NaiveDate> {
    let today = today?;
    ctx.sents.iter().filter(|s| REVIEW.is_match(&s.norm)).find_map(|s| dates::find_dates(&s.toks, today).first().map(|d| d.date))
}

/// When the next customer update was promised.
pub fn next_update(ctx: &Ctx) -> Option<DateTime<Utc>> {
    ctx.sents.iter().rev().find_map(|s| {
        let c = NEXT_UPDATE.captures(&s.norm)?;
        let n: i64 = c.get(4)?.as_str().parse().ok()?;
        let mins = if c.get(5)?.as_str().starts_with("hour") { n * 60 } else { n };
        Some(ctx.utc(s.offset_s)? + Duration::minutes(mins))
    })
}
