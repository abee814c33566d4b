//! People: who said what, and who a sentence names. Speakers come from the
//! roster, the transcript's labels, and self-introductions ("this is Maya",
//! "Dev here", "Elena from support"); names said in the text give owners.

use std::collections::HashMap;

use super::context::Sentence;
use super::cues;
use super::lexicon;
use super::naming::{is_channel_label, is_cluster_label, name_clusters, Identified};
use crate::input::Call;
use crate::text::Token;

fn not_name(lower: &str, known: &[String]) -> bool {
    // A word someone is actually called wins over the stop list ("Dev").
    if known.iter().any(|k| k.eq_ignore_ascii_case(lower)) {
        return false;
    }
    lexicon::list("people.not_name").has(lower)
}

/// Whether a token could be a person's name (capitalised, not a common word).
pub fn name_like(t: &Token, known: &[String]) -> bool {
    let bare = t.text.trim_end_matches("'s");
    t.is_capitalised()
        && bare.chars().all(|c| c.is_alphabetic() || c == '-')
        && t.text.chars().count() >= 2
        && !(t.text.len() <= 3 && t.text.chars().all(|c| c.is_uppercase()))
        && !not_name(t.lower.trim_end_matches("'s"), known)
}

/// A self-introduction in a sentence: the name the speaker gave, and a role if said.
pub fn self_intro(s: &Sentence, known: &[String]) -> Option<(String, Option<String>)> {
    let t = &s.toks;
    let w: Vec<&str> = t.iter().map(|x| x.lower.as_str()).collect();
    let role = intro_role(&s.norm);
    for i in 0..t.len() {
        // "this is NAME", "it's NAME", "I'm NAME", "my name is NAME"
        let after_intro = (i >= 2 && w[i - 2] == "this" && w[i - 1] == "is")
            || (i >= 1 && (w[i - 1] == "it's" || w[i - 1] == "i'm") && i <= 4)
            || (i >= 3 && w[i - 3] == "my" && w[i - 2] == "name" && w[i - 1] == "is");
        if after_intro && name_like(&t[i], known) {
            return Some((t[i].text.clone(), role));
        }
        // "NAME here", "NAME speaking", "NAME from support"
        let before_marker = matches!(w.get(i + 1), Some(&"here") | Some(&"speaking"))
            || (w.get(i + 1) == Some(&"from") && i <= 3);
        let greeting = lexicon::list("people.greeting");
        let at_start = i == 0
            || t[..i]
                .iter()
                .all(|x| x.is_punct() || greeting.has(&x.lower));
        if before_marker && at_start && name_like(&t[i], known) {
            return Some((t[i].text.clone(), role));
        }
    }
    None
}

fn intro_role(norm: &str) -> Option<String> {
    if lexicon::list("people.commander_intro").any_in(norm) {
        Some("Incident commander".into())
    } else if lexicon::list("people.oncall_intro").any_in(norm) {
        Some("On-call".into())
    } else if let Some(p) = norm.find(" from ") {
        let rest = &norm[p + 6..];
        let team: String = rest
            .split([',', '.', '?', '!'])
            .next()
            .unwrap_or("")
            .trim()
            .trim_start_matches("the ")
            .to_string();
        (!team.is_empty() && team.split_whitespace().count() <= 4).then_some(team)
    } else {
        None
    }
}

/// A capitalised word used to address someone: "Lina, can you…", "Yes, Omar, turn…".
pub fn vocative(s: &Sentence, known: &[String]) -> Option<String> {
    let t = &s.toks;
    let mut i = 0;
    let lead = lexicon::list("people.vocative_lead");
    while i < t.len() && (t[i].is_punct() || lead.has(&t[i].lower)) {
        i += 1;
    }
    let name = t.get(i)?;
    if !name_like(name, known) || t.get(i + 1).map(|x| x.lower.as_str()) != Some(",") {
        return None;
    }
    let next = t.get(i + 2)?.lower.as_str();
    let asks = lexicon::list("people.vocative_ask").has(next) || cues::imperative(next);
    asks.then(|| name.text.clone())
}

/// Whether the sentence's speaker takes the commander role.
pub fn takes_command(s: &Sentence) -> bool {
    let n = &s.norm;
    (n.contains("incident commander") && lexicon::list("people.self_reference").any_in(n))
        || lexicon::list("people.take_command").any_in(n)
}

/// Resolved speakers: a display name per utterance, the known names, the commander.
#[derive(Debug, Clone, Default)]
pub struct People {
    /// Display name per utterance.
    pub speaker: Vec<Option<String>>,
    /// Roles learnt, by name.
    pub roles: HashMap<String, String>,
    /// Everyone's names.
    pub names: Vec<String>,
    /// The commander.
    pub commander: Option<String>,
    /// How each speaker (by display name) was identified, and how sure.
    pub identified: HashMap<String, (Identified, f32)>,
}

/// Works out who spoke each utterance and who is on the call.
pub fn resolve(call: &Call, sents: &[Sentence]) -> People {
    let mut names: Vec<String> = Vec::new();
    let mut roles = HashMap::new();
    for k in &call.speakers {
        names.push(k.name.clone());
        if let Some(first) = k.name.split_whitespace().next() {
            if first != k.name {
                names.push(first.to_string());
            }
        }
        names.extend(
            k.aliases
                .iter()
                .filter(|a| a.chars().all(|c| c.is_alphabetic() || c == ' '))
                .cloned(),
        );
        if let Some(r) = &k.role {
            roles.insert(k.name.clone(), r.clone());
        }
    }
    // People addressed by name ("Lina, can you…", "Yes, Omar, turn…") are on the call too.
    for s in sents {
        if let Some(n) = vocative(s, &names) {
            let known = s
                .toks
                .iter()
                .find(|t| t.text == n)
                .and_then(|t| name_at(t, &names));
            if known.is_none() && !names.contains(&n) {
                names.push(n);
            }
        }
    }
    let mut speaker: Vec<Option<String>> =
        call.utterances.iter().map(|u| u.speaker.clone()).collect();
    let mut identified: HashMap<String, (Identified, f32)> = HashMap::new();
    for u in &call.utterances {
        if let (Some(n), Some(l)) = (&u.speaker, &u.label) {
            let how = if is_channel_label(l) {
                Identified::Channel
            } else {
                Identified::Track
            };
            identified.entry(n.clone()).or_insert((how, 1.0));
        }
    }
    // Diarization clusters get names from what the call says, or stay unconfirmed.
    let clusters = name_clusters(call, sents, &names);
    for (i, u) in call.utterances.iter().enumerate() {
        if speaker[i].is_some() {
            continue;
        }
        if let Some(c) = u.label.as_ref().and_then(|l| clusters.get(l)) {
            speaker[i] = Some(c.name.clone());
            identified
                .entry(c.name.clone())
                .or_insert((c.identified, c.confidence));
            if c.identified != Identified::Unconfirmed && !names.contains(&c.name) {
                names.push(c.name.clone());
            }
        }
    }
    // Votes from self-introductions: label → name.
    let mut votes: HashMap<String, HashMap<String, usize>> = HashMap::new();
    for s in sents.iter().filter(|s| s.pos <= 1) {
        let Some((name, role)) = self_intro(s, &names) else {
            continue;
        };
        if call.utterances[s.utt]
            .label
            .as_deref()
            .is_some_and(is_cluster_label)
        {
            // Named (or left unconfirmed) by the cluster step; keep its role.
            if let Some(r) = role {
                if let Some(n) = &speaker[s.utt] {
                    roles.entry(n.clone()).or_insert(r);
                }
            }
            continue;
        }
        let u = &call.utterances[s.utt];
        let canonical = s
            .toks
            .iter()
            .find(|t| t.text == name)
            .and_then(|t| name_at(t, &names))
            .unwrap_or(name.clone());
        if !names.contains(&canonical) {
            names.push(canonical.clone());
        }
        if let Some(r) = role {
            roles.entry(canonical.clone()).or_insert(r);
        }
        if speaker[s.utt].is_none() {
            speaker[s.utt] = Some(canonical.clone());
            if let Some(l) = &u.label {
                *votes
                    .entry(l.clone())
                    .or_default()
                    .entry(canonical)
                    .or_default() += 1;
            }
        }
    }
    for (i, u) in call.utterances.iter().enumerate() {
        if speaker[i].is_some() {
            continue;
        }
        if let Some(v) = u.label.as_ref().and_then(|l| votes.get(l)) {
            if let Some((n, _)) = v
                .iter()
                .max_by_key(|(n, c)| (**c, std::cmp::Reverse((*n).clone())))
            {
                speaker[i] = Some(n.clone());
            }
        }
    }
    let mut commander = call
        .speakers
        .iter()
        .find(|k| {
            k.role
                .as_deref()
                .is_some_and(|r| r.to_lowercase().contains("commander"))
        })
        .map(|k| k.name.clone());
    if commander.is_none() {
        commander = sents
            .iter()
            .find(|s| takes_command(s))
            .and_then(|s| speaker[s.utt].clone());
    }
    if let Some(c) = &commander {
        roles
            .entry(c.clone())
            .or_insert_with(|| "Incident commander".into());
    }
    for (i, u) in call.utterances.iter().enumerate() {
        if let (Some(n), None) = (&speaker[i], &u.speaker) {
            identified
                .entry(n.clone())
                .or_insert((Identified::Introduction, 0.5));
        }
    }
    People {
        speaker,
        roles,
        names,
        commander,
        identified,
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known name a token refers to (exact, or one letter off for longer names).
/// A known first name with the next word run into it, as whisper writes a
/// name said quickly before the rest ("Devonsa" for "Dev owns a", "Rajex"
/// for "Raj: ex…"): the token starts with the name (3+ letters) and at most
/// four letters follow. Only for places where a name is expected (the
/// owner slot of an action item), since ordinary words start with names too.
pub fn run_together_name(t: &Token, names: &[String]) -> Option<String> {
    if !t.is_capitalised() {
        return None;
    }
    let w = t.text.trim_end_matches("'s").to_lowercase();
    if !w.chars().all(char::is_alphabetic) {
        return None;
    }
    let mut found = names.iter().filter_map(|n| {
        let first = n.split_whitespace().next().unwrap_or(n).to_lowercase();
        let rest = w.chars().count().checked_sub(first.chars().count())?;
        (first.chars().count() >= 3 && (1..=4).contains(&rest) && w.starts_with(&first))
            .then(|| n.clone())
    });
    let first = found.next()?;
    // Ambiguous between two people: no guess.
    found.next().is_none().then_some(first)
}

pub fn name_at(t: &Token, names: &[String]) -> Option<String> {
    if !t.is_capitalised() {
        return None;
    }
    let w = t.text.trim_end_matches("'s");
    for n in names {
        let first = n.split_whitespace().next().unwrap_or(n);
        if first.eq_ignore_ascii_case(w) || n.eq_ignore_ascii_case(w) {
            return Some(n.clone());
        }
    }
    // Whisper mishears names by a letter or two: "Pria" for Priya, "Oscar" for Oskar.
    let wl = w.to_lowercase();
    if wl.chars().count() >= 4 {
        for n in names {
            let first = n.split_whitespace().next().unwrap_or(n).to_lowercase();
            let limit = if first.chars().count() >= 7 { 2 } else { 1 };
            if first.chars().count() >= 4
                && first.chars().next() == wl.chars().next()
                && edit_distance(&first, &wl) <= limit
            {
                return Some(n.clone());
            }
        }
    }
    None
}

/// Whether the words at `i` ask something of the person named just before,
/// when whisper left out the comma: "Sam roll the gateway back", "Raj can you…".
pub fn unpunctuated_request(t: &[Token], i: usize) -> bool {
    let w = |k: usize| t.get(k).map(|x| x.lower.as_str()).unwrap_or("");
    match w(i) {
        "can" | "could" | "would" | "will" => w(i + 1) == "you",
        "please" => true,
        v => cues::imperative(v) && !matches!(v, "back" | "do" | "don't"),
    }
}

/// The person a sentence addresses: "Raj, scale out…", "…, Tom, post…", "Elena, can you…".
pub fn addressed(s: &Sentence, names: &[String]) -> Option<(usize, String)> {
    let t = &s.toks;
    for i in 0..t.len() {
        let Some(n) = name_at(&t[i], names) else {
            continue;
        };
        let before_ok = i == 0
            || t[i - 1].is_punct()
            || lexicon::list("people.address_lead").has(&t[i - 1].lower);
        let after_comma = t
            .get(i + 1)
            .is_some_and(|x| x.lower == "," || x.lower == ":");
        if before_ok && (after_comma || unpunctuated_request(t, i + 1)) {
            return Some((i, n));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::context::sentence;
    use crate::text::tokenize;

    #[test]
    fn recognises_self_introductions() {
        let none: Vec<String> = Vec::new();
        let dev = vec!["Dev".to_string()];
        assert_eq!(
            self_intro(
                &sentence("Alright folks, this is Zara, I'm running this incident."),
                &none
            )
            .unwrap()
            .0,
            "Zara"
        );
        assert_eq!(self_intro(&sentence("Dev here."), &dev).unwrap().0, "Dev");
        assert_eq!(
            self_intro(&sentence("Hey, Oskar here."), &none).unwrap().0,
            "Oskar"
        );
        assert_eq!(
            self_intro(&sentence("Morning all, it's Nora."), &none)
                .unwrap()
                .0,
            "Nora"
        );
        let (n, role) = self_intro(
            &sentence("Bjorn from the storage team, only now joining."),
            &none,
        )
        .unwrap();
        assert_eq!(
            (n.as_str(), role.as_deref()),
            ("Bjorn", Some("storage team"))
        );
        assert!(self_intro(&sentence("Support here."), &none).is_none());
        assert!(self_intro(&sentence("Same here."), &none).is_none());
    }

    #[test]
    fn finds_addressed_people() {
        let names = vec!["Raj".to_string(), "Priya".to_string()];
        assert_eq!(
            addressed(
                &sentence("Raj, add replicas to the ledger service."),
                &names
            )
            .unwrap()
            .1,
            "Raj"
        );
        assert_eq!(
            addressed(&sentence("Okay, Priya, will you take that one?"), &names)
                .unwrap()
                .1,
            "Priya"
        );
        assert!(addressed(&sentence("Priya owns the check."), &names).is_none());
        assert_eq!(
            addressed(&sentence("Okay Raj roll the gateway back to 3.8.7"), &names)
                .unwrap()
                .1,
            "Raj"
        );
        assert_eq!(
            addressed(&sentence("Priya can you own the config check?"), &names)
                .unwrap()
                .1,
            "Priya"
        );
        assert!(addressed(&sentence("Raj can send you the numbers."), &names).is_none());
        assert_eq!(
            name_at(&tokenize("Priyah")[0], &["Priya".into()]),
            Some("Priya".into())
        );
    }
}
