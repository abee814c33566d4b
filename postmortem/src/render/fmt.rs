//! Formatting shared by every rendering, so the same fact reads the same
//! everywhere (and every number a brief prints is the record's own).

use chrono::{DateTime, Utc};

use crate::record::{ImpactNumber, IncidentRecord};
use crate::text::format_value;

/// "09:02" for a time, or "+1:23" (offset) when the wall clock is unknown.
pub fn hhmm(t: Option<DateTime<Utc>>, offset_s: f64) -> String {
    match t {
        Some(t) => t.format("%H:%M").to_string(),
        None => {
            let s = offset_s.max(0.0).round() as i64;
            format!("+{}:{:02}", s / 60, s % 60)
        }
    }
}

/// "09:02 UTC" or "+1:23".
pub fn at(t: Option<DateTime<Utc>>, offset_s: f64) -> String {
    match t {
        Some(_) => format!("{} UTC", hhmm(t, offset_s)),
        None => hhmm(t, offset_s),
    }
}

/// A table cell: one line, pipes escaped.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// An impact number as "40% share of requests" / "200 customer tickets" / "p99 latency 2.4 s".
pub fn number(n: &ImpactNumber) -> String {
    let v = format_value(n.value);
    match n.unit.as_str() {
        "%" => format!("{} {v}%", n.what),
        "ms" | "s" => format!("{} {v} {}", n.what, n.unit),
        "USD" | "EUR" | "GBP" => format!("{} {v} {}", n.what, n.unit),
        "req/s" => format!("{} {v} req/s", n.what),
        u if n.what.ends_with(u) => format!("{v} {}", n.what),
        _ => format!("{} {v}", n.what),
    }
}

/// Whether the call ended recovered.
pub fn recovered(r: &IncidentRecord) -> bool {
    r.impact.recovered_utc.is_some() || r.incident.status != "ongoing"
}

/// The first sentence of a text.
pub fn first_sentence(s: &str) -> String {
    match s.find(". ") {
        Some(p) => s[..=p].trim().to_string(),
        None => s.trim().to_string(),
    }
}

/// The detection-to-recovery window in words, from the record's own times.
pub fn window(r: &IncidentRecord) -> String {
    let i = &r.impact;
    let mut parts = Vec::new();
    if let Some(s) = i.started_utc {
        parts.push(format!("impact from {}", at(Some(s), 0.0)));
    }
    if let Some(d) = i.detected_utc {
        parts.push(format!("detected {}", at(Some(d), 0.0)));
    }
    if let Some(rc) = i.recovered_utc {
        parts.push(format!("recovered {}", at(Some(rc), 0.0)));
    }
    if let Some(m) = i.duration_min {
        parts.push(format!("{} min detection to recovery", format_value(m)));
    }
    if parts.is_empty() {
        "not stated on the call".into()
    } else {
        parts.join(", ")
    }
}

/// Wall clock of an offset, when the record's start is known.
pub fn utc_of(r: &IncidentRecord, offset_s: f64) -> Option<DateTime<Utc>> {
    r.incident
        .start_utc
        .map(|s| s + chrono::Duration::milliseconds((offset_s * 1000.0).round() as i64))
}
