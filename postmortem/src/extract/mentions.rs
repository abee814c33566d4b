//! Evidence named in passing rather than by an id: the alert that fired
//! ("the checkout latency alarm went off"), the log someone reads out
//! ("the worker log says lease expired"), the graph on screen, the knob
//! that was turned ("drop the batch size to fifty"), our own status page
//! posts, and names spelled out with "dot" ("cache dot ttl seconds" →
//! `cache.ttl_seconds`, "status dot acme dot io" → `status.acme.io`).
//! The words are data (`evidence.toml`); the shapes are here.

use super::context::Sentence;
use super::evidence::{low, span, Found};
use super::lexicon;
use crate::record::EvidenceKind;
use crate::text::Token;

/// The name read backwards from token `i` (exclusive): up to `max` words or
/// numbers, stopping at the dashboard-name stop words. Returns its start.
fn name_before(toks: &[Token], i: usize, max: usize) -> usize {
    let mut a = i;
    while a > 0
        && i - a < max
        && (toks[a - 1].is_word() || toks[a - 1].num_ref().is_some())
        && !lexicon::list("evidence.dashboard_name_stop").has(low(toks, a - 1))
        && !lexicon::list("evidence.name_stop").has(low(toks, a - 1))
    {
        a -= 1;
    }
    a
}

/// The name read forwards from token `i` (past a determiner): up to `max`
/// words or numbers. Returns its start and end.
fn name_after(toks: &[Token], i: usize, max: usize) -> (usize, usize) {
    let mut i = i;
    while matches!(low(toks, i), "the" | "a" | "an" | "our" | "their") {
        i += 1;
    }
    let mut b = i;
    while b < toks.len()
        && b - i < max
        && (toks[b].is_word() || toks[b].num_ref().is_some())
        && !lexicon::list("evidence.dashboard_name_stop").has(low(toks, b))
        && !lexicon::list("evidence.name_stop").has(low(toks, b))
    {
        b += 1;
    }
    (i, b)
}

/// Alerts and pages: "the disk usage alert fired", "I got paged for the
/// queue age", "the error tracker lit up". An alert that stayed quiet is
/// evidence too ("the lag alarm never fired").
pub fn alert(s: &Sentence, out: &mut Vec<Found>) {
    let toks = &s.toks;
    let mut named = false;
    for i in 0..toks.len() {
        let l = low(toks, i);
        if !lexicon::list("evidence.alert_word").has(l) {
            continue;
        }
        let before = low(toks, i.wrapping_sub(1));
        if lexicon::list("evidence.alert_verb_before").has(before) {
            continue;
        }
        let wish = (i.saturating_sub(4)..i)
            .any(|k| lexicon::list("evidence.alert_wish").has(low(toks, k)));
        if wish {
            continue;
        }
        let a = name_before(toks, i, 6);
        let mut value = span(toks, a, i);
        let mut said_to = i + 1;
        if value.is_empty() && matches!(low(toks, i + 1), "for" | "on") {
            let (a2, b) = name_after(toks, i + 2, 5);
            value = span(toks, a2, b);
            said_to = b;
        }
        let value = if value.is_empty() {
            l.to_string()
        } else {
            format!("{value} {l}")
        };
        named = true;
        out.push(Found {
            kind: EvidenceKind::Alert,
            value,
            said: span(toks, a, said_to),
        });
    }
    if named || s.question {
        return;
    }
    for i in 0..toks.len() {
        let l = low(toks, i);
        if lexicon::list("evidence.paged_word").has(l) {
            let (value, end) = if low(toks, i + 1) == "for" {
                let (a2, b) = name_after(toks, i + 2, 5);
                (span(toks, a2, b), b)
            } else {
                (String::new(), i + 1)
            };
            out.push(Found {
                kind: EvidenceKind::Alert,
                value: if value.is_empty() {
                    "page".into()
                } else {
                    format!("page for {value}")
                },
                said: span(toks, i.saturating_sub(2), end),
            });
            return;
        }
        if lexicon::list("evidence.alert_source").has(l.trim_end_matches("'s")) {
            out.push(Found {
                kind: EvidenceKind::Alert,
                value: toks[i].text.trim_end_matches("'s").to_string(),
                said: span(toks, i, (i + 6).min(toks.len())),
            });
            return;
        }
    }
}

/// Graphs and boards other than a "dashboard": "the storage graph", "on
/// the fleet overview", "the queue depth panel".
pub fn board(toks: &[Token], out: &mut Vec<Found>) {
    for i in 0..toks.len() {
        let l = low(toks, i);
        if !lexicon::list("evidence.board_word").has(l) {
            continue;
        }
        if lexicon::list("evidence.not_board_before").has(low(toks, i.wrapping_sub(1))) {
            continue;
        }
        // "read dash only dash mode" spells a hyphen, not a dashboard.
        if l == "dash"
            && toks.get(i + 1).is_some_and(|t| {
                t.is_word() && !lexicon::list("evidence.log_read").has(&t.lower) && t.lower != "is"
            })
        {
            continue;
        }
        let a = name_before(toks, i, 4);
        if a == i {
            continue;
        }
        // "overview" names a board only as "the X overview".
        if l == "overview" && !matches!(low(toks, a.wrapping_sub(1)), "the" | "our" | "their") {
            continue;
        }
        out.push(Found {
            kind: EvidenceKind::Dashboard,
            value: span(toks, a, i + 1),
            said: span(toks, a, i + 1),
        });
    }
}

/// A log read out on the call: "the worker log shows a disk full error", "the audit
/// log, filtered to the deploy bot token", or a query's shape ("grouped by
/// region", "filtered on status 500").
pub fn log_read(s: &Sentence, out: &mut Vec<Found>) {
    let toks = &s.toks;
    let shaped = lexicon::list("evidence.query_shape").any_in(&s.norm);
    for i in 0..toks.len() {
        if !lexicon::list("evidence.log_word").has(low(toks, i)) {
            continue;
        }
        let a = name_before(toks, i, 3);
        if a == i || s.question {
            continue;
        }
        let next = low(toks, i + 1);
        let reads = lexicon::list("evidence.log_read").has(next)
            || matches!(next, "," | ":")
            || shaped
            || (i + 1..(i + 4).min(toks.len()))
                .any(|k| lexicon::list("evidence.log_read").has(low(toks, k)));
        if !reads {
            continue;
        }
        out.push(Found {
            kind: EvidenceKind::LogQuery,
            value: s.text.trim().trim_end_matches('.').to_string(),
            said: span(toks, a, (i + 8).min(toks.len())),
        });
        return;
    }
    if shaped && !s.question {
        out.push(Found {
            kind: EvidenceKind::LogQuery,
            value: s.text.trim().trim_end_matches('.').to_string(),
            said: s.text.clone(),
        });
    }
}

/// Knobs named with their value: "the pool size is twenty", "cap max
/// replicas at forty", "parallelism four on the backfill job".
pub fn knob(toks: &[Token], out: &mut Vec<Found>) {
    let knobs = lexicon::list("evidence.config_knob");
    let mut i = 0;
    while i < toks.len() {
        // Two-word knobs first ("pool size"), then one-word ones.
        let two = format!("{} {}", low(toks, i), low(toks, i + 1));
        let len = if knobs.has(&two) {
            2
        } else if knobs.has(low(toks, i)) {
            1
        } else {
            i += 1;
            continue;
        };
        let end = i + len;
        let number_near = (end..(end + 5).min(toks.len())).any(|k| toks[k].num_ref().is_some())
            || (i.saturating_sub(3)..i).any(|k| toks[k].num_ref().is_some());
        let turned =
            (i.saturating_sub(4)..i).any(|k| lexicon::list("evidence.knob_turn").has(low(toks, k)));
        if number_near || turned {
            let mut a = name_before(toks, i, 2);
            while a < i && toks[a].num_ref().is_some() {
                a += 1;
            }
            out.push(Found {
                kind: EvidenceKind::Config,
                value: span(toks, a, end).to_lowercase(),
                said: span(toks, a, (end + 5).min(toks.len())),
            });
            return;
        }
        i = end;
    }
}

/// "the defer flag", "the edge config", "the retention setting": a config
/// item named before its kind word.
pub fn named_config(toks: &[Token], out: &mut Vec<Found>) {
    for i in 1..toks.len() {
        let l = low(toks, i);
        if !lexicon::list("evidence.config_word").has(l) {
            continue;
        }
        let a = name_before(toks, i, 4);
        if a == i {
            continue;
        }
        let name = span(toks, a, i).to_lowercase();
        if lexicon::list("evidence.secret_word").has(name.rsplit(' ').next().unwrap_or("")) {
            continue;
        }
        out.push(Found {
            kind: EvidenceKind::Config,
            value: format!("{name} {l}"),
            said: span(toks, a, i + 1),
        });
    }
}

/// Names spelled out with "dot": a host when it ends in a top-level
/// domain (a status page when it starts with "status"), else a config key.
pub fn spoken_dots(toks: &[Token], out: &mut Vec<Found>) {
    let mut i = 0;
    while i + 2 < toks.len() {
        if low(toks, i + 1) != "dot"
            || !toks[i].is_word()
            || !toks[i + 2].is_word()
            || lexicon::list("evidence.dashboard_name_stop").has(low(toks, i))
        {
            i += 1;
            continue;
        }
        let mut segs: Vec<Vec<String>> = vec![vec![toks[i].lower.clone()]];
        let mut j = i + 1;
        let mut host = false;
        while low(toks, j) == "dot" && toks.get(j + 1).is_some_and(Token::is_word) {
            let mut seg = Vec::new();
            let mut k = j + 1;
            while k < toks.len()
                && toks[k].is_word()
                && low(toks, k) != "dot"
                && seg.len() < 3
                && !lexicon::list("evidence.dashboard_name_stop").has(low(toks, k))
                && !lexicon::list("evidence.config_word").has(low(toks, k))
            {
                seg.push(toks[k].lower.clone());
                k += 1;
                if lexicon::list("evidence.top_level_domain").has(seg.last().map_or("", |s| s)) {
                    host = true;
                    break;
                }
            }
            if seg.is_empty() {
                break;
            }
            segs.push(seg);
            j = k;
            if host {
                break;
            }
        }
        if segs.len() < 2 {
            i += 1;
            continue;
        }
        if host {
            let mut value = segs
                .iter()
                .map(|s| s.concat())
                .collect::<Vec<_>>()
                .join(".");
            // "slash health slash ready": the path after the host.
            while low(toks, j) == "slash" && toks.get(j + 1).is_some_and(Token::is_word) {
                value.push('/');
                value.push_str(&toks[j + 1].lower);
                j += 2;
            }
            let kind = if segs[0] == ["status"] {
                EvidenceKind::StatusPage
            } else {
                EvidenceKind::Url
            };
            out.push(Found {
                kind,
                value,
                said: span(toks, i, j),
            });
        } else {
            out.push(Found {
                kind: EvidenceKind::Config,
                value: segs
                    .iter()
                    .map(|s| s.join("_"))
                    .collect::<Vec<_>>()
                    .join("."),
                said: span(toks, i, j),
            });
        }
        i = j.max(i + 1);
    }
}

/// Our own status page, posted, updated or resolved on the call ("I've
/// posted to the status page", "resolving the status page now"). Reading
/// someone else's page is [`super::evidence`]'s.
pub fn status_post(s: &Sentence, out: &mut Vec<Found>) {
    let n = &s.norm;
    if !n.contains("status page") || s.question {
        return;
    }
    let verb = lexicon::list("evidence.status_post")
        .phrases
        .iter()
        .find(|v| {
            n.split(|c: char| !c.is_alphanumeric() && c != '\'')
                .any(|w| w == v.as_str())
        });
    let Some(verb) = verb else { return };
    out.push(Found {
        kind: EvidenceKind::StatusPage,
        value: format!("status page {verb}"),
        said: s.text.clone(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::context::sentence;

    fn run(f: fn(&[Token], &mut Vec<Found>), text: &str) -> Vec<(EvidenceKind, String)> {
        let mut out = Vec::new();
        f(&sentence(text).toks, &mut out);
        out.into_iter().map(|f| (f.kind, f.value)).collect()
    }

    fn run_s(f: fn(&Sentence, &mut Vec<Found>), text: &str) -> Vec<(EvidenceKind, String)> {
        let mut out = Vec::new();
        f(&sentence(text), &mut out);
        out.into_iter().map(|f| (f.kind, f.value)).collect()
    }

    #[test]
    fn alerts_however_they_came() {
        use EvidenceKind::Alert;
        assert_eq!(
            run_s(
                alert,
                "The checkout latency alarm went off just before nine."
            ),
            vec![(Alert, "checkout latency alarm".into())]
        );
        assert_eq!(
            run_s(alert, "We got an alert for replication lag at two."),
            vec![(Alert, "replication lag alert".into())]
        );
        assert_eq!(
            run_s(alert, "I was paged for the ingest backlog around midnight."),
            vec![(Alert, "page for ingest backlog".into())]
        );
        assert!(run_s(alert, "I'll alert the account managers.").is_empty());
        assert!(run_s(alert, "We need to add an alert on certificate expiry.").is_empty());
    }

    #[test]
    fn boards_logs_and_knobs() {
        use EvidenceKind::*;
        assert_eq!(
            run(board, "The heap graph is a sawtooth since Monday."),
            vec![(Dashboard, "heap graph".into())]
        );
        assert_eq!(
            run(board, "On the fleet overview, half the hosts are red."),
            vec![(Dashboard, "fleet overview".into())]
        );
        assert!(run(board, "It goes to the change board tomorrow.").is_empty());
        assert_eq!(
            run_s(log_read, "The proxy log says upstream reset at 10:02.").len(),
            1
        );
        assert_eq!(
            run_s(log_read, "Errors by region, grouped by status code.").len(),
            1
        );
        assert!(run_s(log_read, "Can you pull the proxy logs?").is_empty());
        assert!(run_s(log_read, "I will log it in the channel.").is_empty());
        assert_eq!(
            run(knob, "Drop the batch size to fifty and watch it."),
            vec![(Config, "batch size".into())]
        );
        assert_eq!(
            run(knob, "A 5 second timeout and then 3 retries."),
            vec![(Config, "second timeout".into())]
        );
        assert_eq!(
            run(knob, "The connection timeout is 30 seconds on the client."),
            vec![(Config, "connection timeout".into())]
        );
        assert_eq!(
            run(named_config, "Turn on the read only flag for the store."),
            vec![(Config, "read only flag".into())]
        );
    }

    #[test]
    fn dotted_names_said_aloud() {
        use EvidenceKind::*;
        assert_eq!(
            run(spoken_dots, "Set cache dot ttl seconds to sixty."),
            vec![(Config, "cache.ttl_seconds".into())]
        );
        assert_eq!(
            run(
                spoken_dots,
                "Next I'll refresh status dot acme dot io as well."
            ),
            vec![(StatusPage, "status.acme.io".into())]
        );
        assert_eq!(
            run(
                spoken_dots,
                "I fetched auth dot acme dot com slash keys, it's stale."
            ),
            vec![(Url, "auth.acme.com/keys".into())]
        );
        assert!(run(spoken_dots, "It's zero dot five percent.").is_empty());
        assert_eq!(
            run(
                spoken_dots,
                "It's under infra dot tracing dot sample dot rate."
            ),
            vec![(Config, "infra.tracing.sample.rate".into())]
        );
    }

    #[test]
    fn our_status_page_posts() {
        use EvidenceKind::StatusPage;
        assert_eq!(
            run_s(status_post, "I've posted it to the status page."),
            vec![(StatusPage, "status page posted".into())]
        );
        assert!(run_s(status_post, "Should the status page get an update?").is_empty());
    }
}
