//! Impact numbers said on the call (error rates, latency percentiles, share
//! of users, tickets, tenants, money) and detection-to-recovery duration.

use chrono::{DateTime, Utc};

use super::context::{Ctx, Sentence};
use super::lexicon;
use crate::record::{EventKind, Impact, ImpactNumber, TimelineEvent};
use crate::text::{clock, Token};

fn low(t: &[Token], i: usize) -> &str {
    t.get(i).map(|x| x.lower.as_str()).unwrap_or("")
}

fn said(t: &[Token], a: usize, b: usize) -> String {
    t[a..b.min(t.len())]
        .iter()
        .map(|x| x.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Impact numbers in one sentence.
pub fn numbers_in(s: &Sentence) -> Vec<(String, f64, String, String)> {
    let t = &s.toks;
    let n = &s.norm;
    let mut out = Vec::new();
    for i in 0..t.len() {
        let Some(num) = t[i].num_ref() else { continue };
        if num.plural || num.ordinal || num.oclock {
            continue;
        }
        let Some(v) = num.value() else { continue };
        let next = low(t, i + 1);
        let prev = if i > 0 { low(t, i - 1) } else { "" };
        // HTTP status codes said as numbers: "five hundred errors", "five oh four timeouts".
        if [500.0, 502.0, 503.0, 504.0, 429.0, 404.0, 401.0, 403.0].contains(&v)
            && matches!(
                next,
                "errors" | "error" | "timeouts" | "responses" | "status"
            )
        {
            continue;
        }
        let before = &n[..n.find(&t[i].lower).unwrap_or(0)];
        let window_before: Vec<&str> = (i.saturating_sub(6)..i).map(|k| low(t, k)).collect();
        let wb = window_before.join(" ");
        if next == "percent" {
            if lexicon::list("impact.not_impact").any_in(&wb) {
                continue;
            }
            let after: Vec<&str> = (i + 2..(i + 7).min(t.len())).map(|k| low(t, k)).collect();
            let what = if after.first() == Some(&"of") {
                let np: Vec<&str> = after[1..]
                    .iter()
                    .take_while(|w| {
                        !matches!(
                            **w,
                            "," | "."
                                | "and"
                                | "are"
                                | "is"
                                | "now"
                                | "which"
                                | "that"
                                | "in"
                                | "were"
                        )
                    })
                    .copied()
                    .collect();
                format!(
                    "share of {}",
                    np.join(" ")
                        .trim_start_matches("our ")
                        .trim_start_matches("the ")
                )
            } else if let Some(m) = lexicon::list("impact.metric")
                .phrases
                .iter()
                .find(|m| wb.contains(m.as_str()))
            {
                m.to_string()
            } else if before.contains("error rate") {
                "error rate".into()
            } else {
                continue;
            };
            out.push((what, v, "%".into(), said(t, i, i + 2)));
            continue;
        }
        if matches!(next, "milliseconds" | "ms" | "seconds" | "second") {
            let latencyish = lexicon::list("impact.latency_word").any_in(n);
            if !latencyish
                || matches!(prev, "for" | "every" | "within" | "in" | "than")
                || matches!(low(t, i + 2), "threshold" | "timeout")
                || wb.contains("threshold")
                || wb.contains("over") && !wb.contains("take")
            {
                continue;
            }
            let what = if let Some(p) = (i.saturating_sub(8)..i)
                .rev()
                .find(|&k| low(t, k) == "p" && t.get(k + 1).and_then(Token::num_ref).is_some())
            {
                format!("p{} latency", t[p + 1].lower)
            } else if wb.contains("average") || n.contains("the average is") {
                "average latency".into()
            } else if wb.contains("query") || n.contains("query") {
                "query time".into()
            } else {
                "latency".into()
            };
            let unit = if next.starts_with("milli") || next == "ms" {
                "ms"
            } else {
                "s"
            };
            out.push((what, v, unit.into(), said(t, i, i + 2)));
            continue;
        }
        if matches!(next, "dollars" | "usd" | "euros" | "pounds") || prev == "$" {
            let unit = match next {
                "euros" => "EUR",
                "pounds" => "GBP",
                _ => "USD",
            };
            let what = if lexicon::list("impact.contract_value").any_in(n) {
                "annual contract value"
            } else if lexicon::list("impact.revenue").any_in(n) {
                "revenue"
            } else {
                "money"
            };
            out.push((
                what.into(),
                v,
                unit.into(),
                said(t, i.saturating_sub(usize::from(prev == "$")), i + 2),
            ));
            continue;
        }
        if next == "requests" && low(t, i + 2) == "per" && low(t, i + 3) == "second" {
            let what = if n.contains("limit") {
                "rate limit"
            } else {
                "request rate"
            };
            out.push((what.into(), v, "req/s".into(), said(t, i, i + 4)));
            continue;
        }
        // Counts: "87 tickets", "200 customer tickets", "14 of our 38 EU enterprise tenants", "roughly 400".
        let mut k = i + 1;
        let mut adjs = Vec::new();
        if low(t, k) == "of" {
            k += 1;
            while k < t.len()
                && k < i + 8
                && !lexicon::list("impact.count_noun").has(low(t, k))
                && !t[k].is_punct()
            {
                k += 1;
            }
            if lexicon::list("impact.count_noun").has(low(t, k)) {
                let noun = low(t, k).to_string();
                out.push((format!("{noun} affected"), v, noun, said(t, i, k + 1)));
            }
            continue;
        }
        while k < t.len()
            && k < i + 4
            && t[k].is_word()
            && !lexicon::list("impact.count_noun").has(low(t, k))
            && !matches!(
                low(t, k),
                "and"
                    | "of"
                    | "to"
                    | "in"
                    | "per"
                    | "from"
                    | "pods"
                    | "minutes"
                    | "hours"
                    | "rows"
                    | "days"
                    | "seconds"
            )
        {
            adjs.push(t[k].text.clone());
            k += 1;
        }
        if lexicon::list("impact.count_noun").has(low(t, k))
            && !num.groups.iter().any(|g| g.len() > 9)
        {
            let noun = low(t, k).to_string();
            let what = if adjs.is_empty() {
                noun.clone()
            } else {
                format!("{} {noun}", adjs.join(" "))
            };
            out.push((what, v, noun, said(t, i, k + 1)));
            continue;
        }
        // "about two percent of sellers, roughly three hundred"
        if matches!(prev, "roughly" | "about" | "around" | "approximately")
            && i >= 2
            && t[i - 2].is_punct()
        {
            if let Some(last) = out.last() {
                if let Some(noun) = last.0.strip_prefix("share of ") {
                    let noun = noun.to_string();
                    out.push((
                        format!("{noun} affected"),
                        v,
                        noun.split_whitespace().last().unwrap_or("").to_string(),
                        said(t, i - 1, i + 1),
                    ));
                }
            }
        }
    }
    out
}

fn sents_of<'a>(ctx: &'a Ctx, src: &'a str) -> impl Iterator<Item = &'a Sentence> + 'a {
    ctx.sents.iter().filter(move |s| ctx.source(s) == src)
}

fn time_in(ctx: &Ctx, s: &Sentence, prefer_since: bool) -> Option<DateTime<Utc>> {
    let reference = ctx.utc(s.offset_s)?;
    let times = clock::find_times(&s.toks);
    let t = if prefer_since {
        times.iter().find(|t| {
            t.index > 0
                && matches!(
                    s.toks[t.index - 1].lower.as_str(),
                    "since" | "about" | "around"
                )
                && s.norm.contains("since")
        })
    } else {
        times.first()
    }?;
    clock::resolve(*t, reference)
}

/// Impact: numbers, detection and recovery times, duration, summaries.
pub fn extract(ctx: &Ctx, timeline: &[TimelineEvent]) -> Impact {
    let mut numbers: Vec<ImpactNumber> = Vec::new();
    for s in &ctx.sents {
        for (what, value, unit, said) in numbers_in(s) {
            if numbers
                .iter()
                .any(|x| x.what == what && x.value == value && x.unit == unit)
            {
                continue;
            }
            numbers.push(ImpactNumber {
                what,
                value,
                unit,
                said,
                offset_s: s.offset_s,
                sources: vec![ctx.source(s)],
            });
        }
    }
    let detection = timeline.iter().find(|e| e.kind == EventKind::Detection);
    let recovery = timeline.iter().find(|e| e.kind == EventKind::Recovery);
    let mut sources = Vec::new();
    let detected_utc = detection.and_then(|d| {
        sources.extend(d.sources.clone());
        sents_of(ctx, &d.sources[0])
            .find_map(|s| time_in(ctx, s, false))
            .or(d.time_utc)
    });
    let recovered_utc = recovery.and_then(|r| {
        sources.extend(r.sources.clone());
        // A time said with recovery ("recovery confirmed at 9:28") wins over when it was said.
        timeline
            .iter()
            .filter(|e| e.kind == EventKind::Recovery)
            .find_map(|e| {
                sents_of(ctx, &e.sources[0])
                    .filter(|s| super::timeline::is_recovery(s))
                    .find_map(|s| time_in(ctx, s, false))
            })
            .or(r.time_utc)
    });
    let started_utc = ctx.sents.iter().find_map(|s| {
        let t = time_in(ctx, s, true)?;
        sources.push(ctx.source(s));
        Some(t)
    });
    let minutes =
        |a: DateTime<Utc>, b: DateTime<Utc>| ((b - a).num_seconds() as f64 / 60.0).round();
    let duration_min = match (detected_utc, recovered_utc) {
        (Some(a), Some(b)) if b >= a => Some(minutes(a, b)),
        _ => None,
    };
    let impact_duration_min = match (started_utc, recovered_utc) {
        (Some(a), Some(b)) if b >= a => Some(minutes(a, b)),
        _ => None,
    };
    let technical = detection.map(|d| d.event.clone());
    let customer = timeline
        .iter()
        .filter(|e| {
            e.customer_visible
                && matches!(
                    e.kind,
                    EventKind::Detection | EventKind::Triage | EventKind::Escalation
                )
        })
        .map(|e| e.event.clone())
        .next()
        .or_else(|| {
            timeline
                .iter()
                .find(|e| e.customer_visible)
                .map(|e| e.event.clone())
        });
    let business: Vec<String> = numbers
        .iter()
        .filter(|n| matches!(n.unit.as_str(), "USD" | "EUR" | "GBP" | "tickets"))
        .map(|n| n.said.clone())
        .collect();
    sources.sort();
    sources.dedup();
    Impact {
        technical,
        customer,
        business: (!business.is_empty()).then(|| business.join("; ")),
        numbers,
        started_utc,
        detected_utc,
        recovered_utc,
        duration_min,
        impact_duration_min,
        sources,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{normalise, tokenize};

    fn nums(text: &str) -> Vec<(String, f64, String)> {
        let toks = tokenize(text);
        let s = Sentence {
            utt: 0,
            pos: 0,
            norm: normalise(&toks),
            text: text.into(),
            toks,
            question: false,
            offset_s: 0.0,
        };
        numbers_in(&s)
            .into_iter()
            .map(|(w, v, u, _)| (w, v, u))
            .collect()
    }

    #[test]
    fn reads_impact_numbers() {
        assert_eq!(
            nums("The gateway throws five hundred errors for about thirty percent of queries."),
            vec![("share of queries".into(), 30.0, "%".into())]
        );
        assert_eq!(
            nums("the p ninety nine sits around one point five seconds"),
            vec![("p99 latency".into(), 1.5, "s".into())]
        );
        assert_eq!(
            nums("We have about 120 customer tickets."),
            vec![("customer tickets".into(), 120.0, "tickets".into())]
        );
        assert_eq!(
            nums("We're talking three point two million dollars in annual contract value"),
            vec![("annual contract value".into(), 3_200_000.0, "USD".into())]
        );
        assert_eq!(
            nums("Nine of our forty EU tenants are limited"),
            vec![
                ("tenants affected".into(), 9.0, "tenants".into()),
                ("EU tenants".into(), 40.0, "tenants".into())
            ]
        );
        assert_eq!(
            nums("The error rate is about 6%."),
            vec![("error rate".into(), 6.0, "%".into())]
        );
        assert!(nums("The backfill is about sixty percent done.").is_empty());
        assert!(nums("Going from eight replicas to sixteen.").is_empty());
    }
}
