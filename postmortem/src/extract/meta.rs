//! Incident framing: severity, systems, title, review date and the next
//! promised customer update.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use regex::Regex;

use super::context::Ctx;
use super::lexicon;
use crate::text::dates;

static SEV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(sev|severity|sev-)\s?(\d)\b").unwrap_or_else(|e| panic!("{e}"))
});
static PRIORITY_SEV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(priority|p) ?([0-4]) (incident|outage)\b").unwrap_or_else(|e| panic!("{e}"))
});
static REVIEW: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%meta.review%)\b"));
static NEXT_UPDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(next update|update (again )?(within|in)|update you (within|in))\b.*?\b(?P<n>\d+) (?P<unit>minutes|mins|hours?)\b").unwrap_or_else(|e| panic!("{e}"))
});

/// The severity declared on the call (`SEV1`..`SEV5`).
pub fn severity(ctx: &Ctx) -> Option<String> {
    ctx.sents.iter().find_map(|s| {
        let c = SEV
            .captures(&s.norm)
            .or_else(|| PRIORITY_SEV.captures(&s.norm))?;
        let n: u32 = c.get(2)?.as_str().parse().ok()?;
        (n <= 5).then(|| format!("SEV{n}"))
    })
}

/// Systems named as affected, most mentioned first.
pub fn systems(ctx: &Ctx) -> Vec<String> {
    let kinds = lexicon::list("meta.system_kind");
    let not_system = lexicon::list("meta.not_system");
    let mut counts: Vec<(String, usize, usize)> = Vec::new();
    for (i, s) in ctx.sents.iter().enumerate() {
        let mut found: Vec<String> = Vec::new();
        let t = &s.toks;
        for k in 0..t.len() {
            if !kinds.has(&t[k].lower) {
                continue;
            }
            if t[k].lower == "page"
                && !k
                    .checked_sub(1)
                    .is_some_and(|j| lexicon::list("meta.page_kind").has(&t[j].lower))
            {
                continue;
            }
            let mut a = k;
            while a > 0
                && k - a < 2
                && t[a - 1].is_word()
                && t[a - 1]
                    .text
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-')
                && !not_system.has(&t[a - 1].lower)
                && super::people::name_at(&t[a - 1], &ctx.names).is_none()
            {
                a -= 1;
            }
            if a == k {
                continue;
            }
            let words: Vec<String> = t[a..=k]
                .iter()
                .map(|w| {
                    if w.text.len() <= 4 && w.text.chars().all(|c| c.is_ascii_uppercase()) {
                        w.text.clone()
                    } else {
                        w.lower.clone()
                    }
                })
                .map(|w| if w == "api" { "API".into() } else { w })
                .collect();
            found.push(words.join(" "));
        }
        // "calling a SEV two for billing"
        if SEV.is_match(&s.norm) {
            if let Some(p) = s.norm.find(" for ") {
                let name: String = s.norm[p + 5..]
                    .split([' ', '.', ','])
                    .next()
                    .unwrap_or("")
                    .to_string();
                if !name.is_empty() && !not_system.has(&name) {
                    found.push(name);
                }
            }
        }
        for f in found {
            match counts.iter_mut().find(|c| c.0 == f) {
                Some(c) => c.1 += 1,
                None => counts.push((f, 1, i)),
            }
        }
    }
    // "checkout" and "checkout service" are one system.
    let names: Vec<String> = counts.iter().map(|c| c.0.clone()).collect();
    for c in counts.iter_mut() {
        if let Some(short) = names
            .iter()
            .find(|n| **n != c.0 && c.0.starts_with(&format!("{n} ")))
        {
            c.0 = short.clone();
        }
    }
    let mut merged: Vec<(String, usize, usize)> = Vec::new();
    for c in counts {
        match merged.iter_mut().find(|m| m.0 == c.0) {
            Some(m) => {
                m.1 += c.1;
                m.2 = m.2.min(c.2);
            }
            None => merged.push(c),
        }
    }
    merged.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    merged
        .into_iter()
        .filter(|c| c.1 >= 2 || c.2 < 12)
        .take(4)
        .map(|c| c.0)
        .collect()
}

/// The postmortem review date, when one was set.
pub fn review_date(ctx: &Ctx, today: Option<NaiveDate>) -> Option<NaiveDate> {
    let today = today?;
    ctx.sents
        .iter()
        .filter(|s| REVIEW.is_match(&s.norm))
        .find_map(|s| dates::find_dates(&s.toks, today).first().map(|d| d.date))
}

/// When the next customer update was promised.
pub fn next_update(ctx: &Ctx) -> Option<DateTime<Utc>> {
    ctx.sents.iter().rev().find_map(|s| {
        let c = NEXT_UPDATE.captures(&s.norm)?;
        let n: i64 = c.name("n")?.as_str().parse().ok()?;
        let mins = if c.name("unit")?.as_str().starts_with("hour") {
            n.checked_mul(60)?
        } else {
            n
        };
        ctx.utc(s.offset_s)?
            .checked_add_signed(Duration::try_minutes(mins)?)
    })
}
