//! Evidence, normalised from how people say it: deploy ids ("D 4 6 9 2" →
//! `D4692`), releases ("four eighteen" → `4.18`), pull requests, commits,
//! ticket keys ("OPS twelve thirty four" → `OPS-1234`), URLs, dashboards,
//! log queries, status pages read, feature flags and config keys.

use super::context::{Ctx, Sentence};
use super::lexicon;
use crate::record::{Evidence, EvidenceKind};
use crate::text::{Num, Sep, Token};

/// One piece of evidence found in a sentence (before de-duplication).
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Kind.
    pub kind: EvidenceKind,
    /// Normalised value.
    pub value: String,
    /// Words it came from.
    pub said: String,
}

/// The words of tokens `a..b` as said, clamped to the sentence.
pub(super) fn span(toks: &[Token], a: usize, b: usize) -> String {
    toks[a.min(toks.len())..b.min(toks.len())]
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" ,", ",")
        .replace(" .", ".")
}

/// Token `i` lowercased, or "" past either end.
pub(super) fn low(toks: &[Token], i: usize) -> &str {
    toks.get(i).map(|t| t.lower.as_str()).unwrap_or("")
}

/// The id reading of a number: all groups concatenated (no decimals, no clock).
fn id_digits(n: &Num) -> Option<String> {
    if n.scaled.is_some() || n.seps.contains(&Sep::Colon) {
        return None;
    }
    if n.seps.contains(&Sep::Point) && n.spoken {
        return None;
    }
    Some(n.groups.concat().replace('.', ""))
}

/// The id at token `j` and the index after it. Whisper writes ids said in
/// pairs as separate numbers ("C S twenty two seventeen" → "CS 22 17"): a
/// number of one or two digits followed by two-digit numbers is one id.
fn id_at(toks: &[Token], j: usize) -> Option<(String, usize)> {
    let n = toks.get(j)?.num_ref()?;
    let mut id = id_digits(n)?;
    let mut k = j + 1;
    if n.groups.len() == 1 && id.len() <= 2 {
        while let Some(m) = toks.get(k).and_then(Token::num_ref) {
            let pair = m.groups.len() == 1
                && m.groups[0].len() == 2
                && !m.plural
                && !m.ordinal
                && m.scaled.is_none();
            if !pair {
                break;
            }
            id.push_str(&m.groups[0]);
            k += 1;
        }
    }
    Some((id, k))
}

fn deploy(toks: &[Token], out: &mut Vec<Found>) {
    for i in 0..toks.len() {
        if !lexicon::list("evidence.deploy_word").has(low(toks, i)) {
            continue;
        }
        let mut j = i + 1;
        while j < toks.len()
            && j <= i + 4
            && matches!(
                low(toks, j),
                "id" | "number" | "is" | ":" | "was" | "the" | "#" | "identifier"
            )
        {
            j += 1;
        }
        let mut letters = String::new();
        let start = j;
        while j < toks.len()
            && toks[j].is_word()
            && toks[j].text.len() <= 3
            && toks[j].text.chars().all(|c| c.is_ascii_alphabetic())
            && !matches!(
                low(toks, j),
                "is" | "to" | "the" | "and" | "at" | "was" | "of" | "for" | "on" | "in"
            )
        {
            letters.push_str(&toks[j].text.to_uppercase());
            j += 1;
        }
        if let Some((d, end)) = id_at(toks, j) {
            if d.len() >= 3 && j > i + 1 {
                out.push(Found {
                    kind: EvidenceKind::Deploy,
                    value: format!("{letters}{d}"),
                    said: span(toks, i, end),
                });
            }
        } else if start == j {
            // A deploy id written as one word: "d4692" is split by the tokenizer, so nothing here.
        }
    }
}

fn release(toks: &[Token], out: &mut Vec<Found>) {
    for (i, t) in toks.iter().enumerate() {
        let Some(n) = t.num_ref() else { continue };
        let prev = if i > 0 { low(toks, i - 1) } else { "" };
        let prev2 = if i > 1 { low(toks, i - 2) } else { "" };
        let keyword = lexicon::list("evidence.release_word").has(prev)
            || (prev == "to" && matches!(prev2, "back" | "release" | "version"))
            || (prev == "back" && matches!(prev2, "roll" | "rolling" | "rolled"));
        // "ISD 7.7.41": dots after an id's letters are whisper's, not a version's.
        let id_letters = i > 0
            && toks[i - 1].is_word()
            && toks[i - 1].text.len() >= 2
            && toks[i - 1].text.chars().all(|c| c.is_ascii_uppercase());
        let dotted = n.seps.iter().filter(|s| **s == Sep::Point).count() >= 2 && !id_letters;
        let pointy = n.seps.first() == Some(&Sep::Point) && n.groups.len() >= 2;
        let timeish = matches!(prev, "at" | "since" | "by" | "until" | "around");
        let unit_after = lexicon::list("evidence.unit_word").has(low(toks, i + 1));
        if timeish || unit_after || n.plural || n.ordinal {
            continue;
        }
        let is_version = (keyword
            && (pointy
                || n.groups.len() >= 2
                || (prev != "to" && prev != "back" && n.groups.len() == 1 && !n.spoken)))
            || dotted
            || (pointy
                && matches!(
                    low(toks, i + 1),
                    "went" | "has" | "is" | "shipped" | "was" | "of"
                )
                && keyword);
        if !is_version {
            continue;
        }
        let value = if n.groups.len() == 1 {
            n.groups[0].clone()
        } else {
            match n.version() {
                Some(v) => v,
                // "Release 4:18": whisper wrote the version like a time.
                None if keyword && n.groups.len() == 2 && n.seps == [Sep::Colon] => {
                    n.groups.join(".")
                }
                None => continue,
            }
        };
        let from = if keyword { i.saturating_sub(1) } else { i };
        out.push(Found {
            kind: EvidenceKind::Release,
            value,
            said: span(toks, from, i + 1),
        });
    }
}

fn pull_request(toks: &[Token], out: &mut Vec<Found>) {
    for i in 0..toks.len() {
        let (is_pr, mut j) = match (low(toks, i), low(toks, i + 1)) {
            ("pull" | "merge", "request" | "requests") => (true, i + 2),
            ("pr" | "mr", _) => (true, i + 1),
            _ => (false, i),
        };
        if !is_pr {
            continue;
        }
        while matches!(low(toks, j), "number" | "#" | "no" | "num") {
            j += 1;
        }
        if let Some((d, end)) = id_at(toks, j) {
            // "4,400,000,000" is a misheard magnitude, not a pull request.
            if d.len() >= 2 && d.len() <= 7 {
                out.push(Found {
                    kind: EvidenceKind::PullRequest,
                    value: d,
                    said: span(toks, i, end),
                });
            }
        }
    }
}

fn commit(toks: &[Token], out: &mut Vec<Found>) {
    for i in 0..toks.len() {
        if !lexicon::list("evidence.commit_word").has(low(toks, i)) {
            continue;
        }
        for j in i + 1..(i + 3).min(toks.len()) {
            let w = &toks[j].lower;
            if w.len() >= 7
                && w.len() <= 40
                && w.chars().all(|c| c.is_ascii_hexdigit())
                && w.chars().any(|c| c.is_ascii_alphabetic())
            {
                out.push(Found {
                    kind: EvidenceKind::Commit,
                    value: w.clone(),
                    said: span(toks, i, j + 1),
                });
                break;
            }
        }
    }
}

fn ticket(toks: &[Token], out: &mut Vec<Found>) {
    for i in 0..toks.len().saturating_sub(1) {
        let t = &toks[i];
        if !t.is_word() || !t.text.chars().all(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        let Some(n) = toks[i + 1].num_ref() else {
            continue;
        };
        if n.plural || n.ordinal {
            continue;
        }
        let upper = t.text.to_uppercase();
        let caps = t.text.len() >= 2
            && t.text.len() <= 6
            && t.text.chars().all(|c| c.is_ascii_uppercase());
        let cue_before = (i.saturating_sub(6)..i)
            .any(|k| lexicon::list("evidence.ticket_word").has(low(toks, k)));
        let plain = t.text.len() >= 2
            && t.text.len() <= 5
            && cue_before
            && !lexicon::list("evidence.not_ticket_word").has(&t.lower);
        if !(caps || plain) || lexicon::list("evidence.not_ticket").has(&upper) {
            continue;
        }
        let Some((d, end)) = id_at(toks, i + 1) else {
            continue;
        };
        if d.len() < 2 || d.contains('.') || n.seps.contains(&Sep::Point) {
            continue;
        }
        if !caps && n.groups.len() == 1 && d.len() < 3 {
            continue;
        }
        out.push(Found {
            kind: EvidenceKind::Ticket,
            value: format!("{upper}-{d}"),
            said: span(toks, i, end),
        });
    }
}

fn url(toks: &[Token], out: &mut Vec<Found>) {
    for t in toks {
        let l = &t.lower;
        if t.is_word()
            && (l.contains("://")
                || l.starts_with("www.")
                || (l.contains('.') && l.contains('/'))
                || [".com", ".io", ".net", ".org", ".dev", ".app", ".internal"]
                    .iter()
                    .any(|s| l.ends_with(s)))
        {
            out.push(Found {
                kind: EvidenceKind::Url,
                value: t.text.clone(),
                said: t.text.clone(),
            });
        }
    }
}

fn dashboard(toks: &[Token], out: &mut Vec<Found>) {
    for (i, t) in toks.iter().enumerate() {
        if !matches!(t.lower.as_str(), "dashboard" | "dashboards") {
            continue;
        }
        let mut a = i;
        while a > 0
            && i - a < 5
            && toks[a - 1].is_word()
            && !lexicon::list("evidence.dashboard_name_stop").has(low(toks, a - 1))
        {
            a -= 1;
        }
        let name = span(toks, a, i);
        if !name.is_empty() {
            out.push(Found {
                kind: EvidenceKind::Dashboard,
                value: name,
                said: span(toks, a, i + 1),
            });
            continue;
        }
        // "the graph shows the disk at 98%": name it by what it shows.
        let after = toks
            .iter()
            .skip(i + 1)
            .position(|x| matches!(x.lower.as_str(), "shows" | "showing" | "says"))
            .map(|p| p + i + 1);
        let value = match after {
            Some(p) if p <= i + 2 => {
                let mut b = p + 1;
                while b < toks.len() && matches!(low(toks, b), "the" | "a" | "an" | "our") {
                    b += 1;
                }
                let s = b;
                while b < toks.len()
                    && toks[b].is_word()
                    && !matches!(
                        low(toks, b),
                        "at" | "is"
                            | "was"
                            | "are"
                            | "and"
                            | "in"
                            | "of"
                            | "to"
                            | "for"
                            | "on"
                            | "with"
                            | "has"
                    )
                    && b - s < 4
                {
                    b += 1;
                }
                span(toks, s, b)
            }
            _ => String::new(),
        };
        if t.lower == "dashboards" || toks.iter().any(|x| x.lower == "?") {
            continue;
        }
        out.push(Found {
            kind: EvidenceKind::Dashboard,
            value: if value.is_empty() {
                "dashboard".into()
            } else {
                format!("dashboard showing {value}")
            },
            said: span(toks, i.saturating_sub(1), (i + 6).min(toks.len())),
        });
    }
}

fn log_query(s: &Sentence, next: Option<&Sentence>, out: &mut Vec<Found>) {
    if !lexicon::list("evidence.log_query").any_in(&s.norm) {
        return;
    }
    let mut value = s.text.trim().to_string();
    // "This is the search I used in the log viewer. Status equals 429, ..."
    let short = s.toks.iter().filter(|t| t.is_word()).count() < 12 && s.norm.contains("here");
    if let Some(n) = next {
        if short
            || n.norm.contains("equals")
            || n.norm.contains(" = ")
            || n.norm.contains("grouped by")
        {
            value = n.text.trim().to_string();
        }
    }
    let value = value
        .replace(" equals ", "=")
        .replace(" equal ", "=")
        .trim_end_matches('.')
        .to_string();
    out.push(Found {
        kind: EvidenceKind::LogQuery,
        value,
        said: s.text.clone(),
    });
}

fn status_page(s: &Sentence, out: &mut Vec<Found>) {
    let n = &s.norm;
    let Some(p) = n.find("status page") else {
        return;
    };
    let rest = &n[p + 11..];
    let reads = lexicon::list("evidence.status_page_read")
        .phrases
        .iter()
        .any(|c| rest.trim_start().starts_with(c) || rest.contains(&format!(" {c} ")));
    let ours = lexicon::list("evidence.status_page_ours")
        .phrases
        .iter()
        .any(|v| n[..p].contains(&format!("{v} ")));
    if reads && !ours {
        let start = s.text.to_ascii_lowercase().find("status page").unwrap_or(0);
        let head = s.text[..start].trim_end();
        let owner = head.rsplit(' ').next().unwrap_or("").trim_end_matches("'s");
        let value = s.text[start..].trim_end_matches('.').to_string();
        let value =
            if owner.is_empty() || matches!(owner.to_ascii_lowercase().as_str(), "the" | "our") {
                value
            } else {
                format!("{owner} {value}")
            };
        out.push(Found {
            kind: EvidenceKind::StatusPage,
            value,
            said: s.text.clone(),
        });
    }
}

fn config(toks: &[Token], out: &mut Vec<Found>) {
    for i in 0..toks.len() {
        let l = low(toks, i);
        // Identifiers written as such: tenant_rate_limit.enterprise.rps
        if toks[i].is_word()
            && (toks[i].text.contains('_')
                || (toks[i].text.contains('.') && !toks[i].text.contains('/')))
            && toks[i].text.chars().any(|c| c.is_ascii_alphabetic())
            && !toks[i].text.starts_with(|c: char| c.is_ascii_digit())
            && !toks[i].text.contains("..")
            && !l.ends_with(".com")
        {
            out.push(Found {
                kind: EvidenceKind::Config,
                value: toks[i].text.clone(),
                said: toks[i].text.clone(),
            });
            continue;
        }
        let flag = (l == "flag"
            || l == "toggle"
            || (l == "switch" && low(toks, i.wrapping_sub(1)) == "kill"))
            && !matches!(
                low(toks, i + 1),
                "is" | "was" | "for" | "to" | "on" | "off" | "," | "."
            );
        if flag {
            let mut j = i + 1;
            if matches!(low(toks, j), "called" | "named") {
                j += 1;
            }
            let s = j;
            while j < toks.len()
                && j - s < 5
                && (toks[j].is_word() || toks[j].num_ref().is_some())
                && !lexicon::list("evidence.flag_stop").has(low(toks, j))
            {
                j += 1;
            }
            if j > s {
                let name = toks[s..j]
                    .iter()
                    .map(|t| t.lower.as_str())
                    .collect::<Vec<_>>()
                    .join("-");
                let from = if low(toks, i.wrapping_sub(1)) == "feature" {
                    i - 1
                } else {
                    i
                };
                out.push(Found {
                    kind: EvidenceKind::Config,
                    value: format!("feature flag {name}"),
                    said: span(toks, from, j),
                });
            }
            continue;
        }
        let key = l == "key"
            && matches!(
                low(toks, i.wrapping_sub(1)),
                "the" | "config" | "configuration" | "setting" | "a"
            )
            && !lexicon::list("evidence.not_key_after").has(low(toks, i + 1));
        let setting = matches!(l, "setting" | "parameter")
            && matches!(low(toks, i.wrapping_sub(1)), "the" | "config" | "a");
        if key || setting {
            let secret = (i.saturating_sub(2)..i)
                .any(|k| lexicon::list("evidence.secret_word").has(low(toks, k)));
            if secret {
                continue;
            }
            let mut segs: Vec<Vec<String>> = vec![Vec::new()];
            let mut j = i + 1;
            while j < toks.len() {
                let w = low(toks, j);
                if w == "," {
                    if segs.last().is_some_and(|s| !s.is_empty()) {
                        segs.push(Vec::new());
                    }
                } else if toks[j].is_punct()
                    || matches!(
                        w,
                        "so" | "which" | "that" | "and" | "because" | "is" | "was" | "to" | "in"
                    )
                {
                    break;
                } else {
                    if let Some(seg) = segs.last_mut() {
                        seg.push(w.to_string());
                    }
                }
                j += 1;
                if segs.iter().map(Vec::len).sum::<usize>() > 8 {
                    break;
                }
            }
            let value = segs
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.join("_"))
                .collect::<Vec<_>>()
                .join(".");
            if value.chars().any(|c| c.is_ascii_alphabetic()) {
                out.push(Found {
                    kind: EvidenceKind::Config,
                    value,
                    said: span(toks, i, j),
                });
            }
        }
    }
}

/// Everything that reads as evidence in one sentence.
pub fn find(s: &Sentence, next: Option<&Sentence>) -> Vec<Found> {
    let mut out = Vec::new();
    let t = &s.toks;
    deploy(t, &mut out);
    release(t, &mut out);
    pull_request(t, &mut out);
    commit(t, &mut out);
    ticket(t, &mut out);
    url(t, &mut out);
    dashboard(t, &mut out);
    log_query(s, next, &mut out);
    status_page(s, &mut out);
    config(t, &mut out);
    out
}

/// [`find`], and the evidence named in passing (see [`super::mentions`]):
/// what the call's evidence list holds. The other extractors ask
/// [`find`] alone, for ids and keys.
pub fn find_all(s: &Sentence, next: Option<&Sentence>) -> Vec<Found> {
    use super::mentions;
    let mut out = find(s, next);
    let t = &s.toks;
    mentions::alert(s, &mut out);
    mentions::board(t, &mut out);
    if !out.iter().any(|f| f.kind == EvidenceKind::LogQuery) {
        mentions::log_read(s, &mut out);
    }
    mentions::spoken_dots(t, &mut out);
    if !out.iter().any(|f| f.kind == EvidenceKind::Config) {
        mentions::knob(t, &mut out);
        if !out.iter().any(|f| f.kind == EvidenceKind::Config) {
            mentions::named_config(t, &mut out);
        }
    }
    if !out.iter().any(|f| f.kind == EvidenceKind::StatusPage) {
        mentions::status_post(s, &mut out);
    }
    out
}

fn key(kind: EvidenceKind, value: &str) -> String {
    // A setting named again with other words before it ("the pool size",
    // "the worker pool size") is the one already noted.
    let value = if kind == EvidenceKind::Config && !value.contains('.') {
        let words: Vec<&str> = value.split_whitespace().collect();
        words[words.len().saturating_sub(2)..].join(" ")
    } else {
        value.to_string()
    };
    let v: String = value
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '.')
        .collect();
    format!("{}:{v}", kind.as_str())
}

/// All evidence in the call, first mention of each kept.
pub fn extract(ctx: &Ctx) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, s) in ctx.sents.iter().enumerate() {
        let next = ctx.sents.get(i + 1).filter(|n| n.utt == s.utt);
        for f in find_all(s, next) {
            // A second, unnamed mention of a dashboard refers to one already noted.
            if f.kind == EvidenceKind::Dashboard
                && f.value.starts_with("dashboard")
                && out.iter().any(|e| e.kind == EvidenceKind::Dashboard)
            {
                continue;
            }
            if !seen.insert(key(f.kind, &f.value)) {
                continue;
            }
            out.push(Evidence {
                kind: f.kind,
                value: f.value,
                said: f.said,
                offset_s: s.offset_s,
                sources: vec![ctx.source(s)],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::context::sentence;

    fn vals(text: &str) -> Vec<(EvidenceKind, String)> {
        find(&sentence(text), None)
            .into_iter()
            .map(|f| (f.kind, f.value))
            .collect()
    }

    #[test]
    fn deploys_and_releases_however_said() {
        use EvidenceKind::*;
        for text in [
            "Version five twelve shipped at noon, the deploy number is K 4 4 0 9.",
            "Version 5.12 shipped, deploy id K-4-4-0-9.",
            "Release 5:12 shipped, deploy ID k 4409.",
            "version five point twelve shipped. Deploy ID: K4409",
        ] {
            let v = vals(text);
            assert!(v.contains(&(Deploy, "K4409".into())), "{text}: {v:?}");
            assert!(v.contains(&(Release, "5.12".into())), "{text}: {v:?}");
        }
        assert!(
            vals("we rolled back to six point two point one").contains(&(Release, "6.2.1".into()))
        );
        assert!(vals("It went out at 8.52 this morning").is_empty());
    }

    #[test]
    fn tickets_prs_and_commits() {
        use EvidenceKind::*;
        assert_eq!(
            vals("The tracking ticket is INC twenty two oh nine."),
            vec![(Ticket, "INC-2209".into())]
        );
        assert_eq!(
            vals("I filed OPS-1234 for it"),
            vec![(Ticket, "OPS-1234".into())]
        );
        assert_eq!(
            vals("our tracking ticket is ops 3307"),
            vec![(Ticket, "OPS-3307".into())]
        );
        assert_eq!(
            vals("It came in as ticket S R fifty five ninety."),
            vec![(Ticket, "SR-5590".into())]
        );
        assert_eq!(
            vals("merge request sixty one oh two changed the timeout"),
            vec![(PullRequest, "6102".into())]
        );
        assert_eq!(vals("PR #812 did it"), vec![(PullRequest, "812".into())]);
        assert_eq!(
            vals("revert commit 9f3ab21c now"),
            vec![(Commit, "9f3ab21c".into())]
        );
        assert!(vals("we are on the EU 2 cluster and the API 500s").is_empty());
    }

    #[test]
    fn ids_as_whisper_writes_them() {
        use EvidenceKind::*;
        assert_eq!(
            vals("it was logged as ticket, SR 55 90."),
            vec![(Ticket, "SR-5590".into())]
        );
        assert_eq!(
            vals("I filed Ops 4821 for the follow up"),
            vec![(Ticket, "OPS-4821".into())]
        );
        assert_eq!(
            vals("it was in pole request 61 02, the timeout change"),
            vec![(PullRequest, "6102".into())]
        );
        assert_eq!(vals("PR 482 did it"), vec![(PullRequest, "482".into())]);
        assert_eq!(vals("see Ops-1234"), vec![(Ticket, "OPS-1234".into())]);
        assert_eq!(
            vals("the payments service released to point 14 on Monday"),
            vec![(Release, "2.14".into())]
        );
        assert_eq!(
            vals("all pods are on 5.2 point 1 now"),
            vec![(Release, "5.2.1".into())]
        );
        assert_eq!(
            vals("the deploy id is K 44 09"),
            vec![(Deploy, "K4409".into())]
        );
        assert_eq!(
            vals("I searched the solo query log for anything over 2 seconds").len(),
            1
        );
        assert!(vals("it was in pull request 4,400,000,000").is_empty());
        assert!(vals("and Idaho ISD 7.7.41 went out").is_empty());
        assert!(vals("the gateway is on 3.9.1 now").contains(&(Release, "3.9.1".into())));
        // Numbers that are no config keys.
        assert!(vals("the 4.29's have not changed, the key 10 is odd").is_empty());
    }

    #[test]
    fn dashboards_flags_config_and_queries() {
        use EvidenceKind::*;
        assert_eq!(
            vals("I've got the payments latency dashboard open."),
            vec![(Dashboard, "payments latency".into())]
        );
        assert_eq!(
            vals("It's behind the feature flag new search ranking, which is on."),
            vec![(Config, "feature flag new-search-ranking".into())]
        );
        assert_eq!(
            vals("the block lost the key worker pool, max connections, so it fell back."),
            vec![(Config, "worker_pool.max_connections".into())]
        );
        assert_eq!(
            vals("check db.pool.max_size in the config"),
            vec![(Config, "db.pool.max_size".into())]
        );
        assert_eq!(
            vals("the vendor's status page says there's an outage in us east"),
            vec![(
                StatusPage,
                "vendor status page says there's an outage in us east".into()
            )]
        );
        assert!(vals("should we update our public status site?").is_empty());
        assert_eq!(
            vals("I grepped the auth logs for token expired errors").len(),
            1
        );
        assert!(vals("our API key rotation").is_empty());
    }
}
