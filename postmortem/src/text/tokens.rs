//! Tokens of one utterance: words, numbers (spoken or written) and
//! punctuation, with spelled-out acronyms ("E U", "A P I") joined.

use super::numbers::{ambiguous_ordinal, number_word, Num, NumBuilder, NumWord, Sep};

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A word, identifier, URL or acronym.
    Word,
    /// A number.
    Num(Num),
    /// Sentence or clause punctuation.
    Punct,
}

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The text as written (acronyms joined: "EU").
    pub text: String,
    /// Lowercase form (numbers: their canonical rendering).
    pub lower: String,
    /// What it is.
    pub kind: Kind,
}

impl Token {
    fn word(text: &str) -> Token {
        Token {
            text: text.to_string(),
            lower: text.to_lowercase(),
            kind: Kind::Word,
        }
    }

    fn punct(c: char) -> Token {
        Token {
            text: c.to_string(),
            lower: c.to_string(),
            kind: Kind::Punct,
        }
    }

    fn num(n: Num) -> Token {
        let r = n.render();
        Token {
            text: r.clone(),
            lower: r,
            kind: Kind::Num(n),
        }
    }

    /// The number, if this token is one.
    pub fn num_ref(&self) -> Option<&Num> {
        match &self.kind {
            Kind::Num(n) => Some(n),
            _ => None,
        }
    }

    /// Whether this is a word (not a number or punctuation).
    pub fn is_word(&self) -> bool {
        matches!(self.kind, Kind::Word)
    }

    /// Whether this is punctuation.
    pub fn is_punct(&self) -> bool {
        matches!(self.kind, Kind::Punct)
    }

    /// Whether the word starts with a capital letter.
    pub fn is_capitalised(&self) -> bool {
        self.is_word() && self.text.chars().next().is_some_and(char::is_uppercase)
    }
}

const LEADING: &[char] = &['"', '\'', '(', '[', '{', '<', '*', '`'];
const TRAILING: &[char] = &[
    '.', ',', ';', ':', '!', '?', '"', '\'', ')', ']', '}', '>', '*', '`',
];

fn clean(text: &str) -> String {
    text.replace(['\u{2019}', '\u{2018}', '\u{02bc}'], "'")
        .replace(['\u{201c}', '\u{201d}'], "\"")
        .replace(['\u{2013}', '\u{2014}'], " - ")
        .replace("...", ". ")
}

fn is_url(core: &str) -> bool {
    let l = core.to_lowercase();
    l.contains("://")
        || l.starts_with("www.")
        || (l.contains('.')
            && l.chars().any(|c| c.is_ascii_alphabetic())
            && [
                ".com",
                ".io",
                ".net",
                ".org",
                ".dev",
                ".app",
                ".internal",
                ".local",
                ".cloud",
            ]
            .iter()
            .any(|t| l.contains(&format!("{t}/")) || l.ends_with(t)))
}

fn is_identifier(core: &str) -> bool {
    core.contains('_')
        || (core.contains('.')
            && core.split('.').all(|p| !p.is_empty())
            && core
                .split('.')
                .filter(|p| p.chars().any(|c| c.is_ascii_alphabetic()))
                .count()
                >= 2)
}

fn dotted_acronym(core: &str) -> Option<String> {
    // "U.S", "C.S", "E.U" (trailing dot already peeled).
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() >= 2
        && parts
            .iter()
            .all(|p| p.len() == 1 && p.chars().all(|c| c.is_ascii_alphabetic()))
    {
        Some(parts.concat().to_uppercase())
    } else {
        None
    }
}

/// Splits one whitespace-free chunk's core into raw tokens.
fn split_core(core: &str, out: &mut Vec<Token>) {
    if core.is_empty() {
        return;
    }
    if is_url(core) {
        out.push(Token::word(core));
        return;
    }
    if let Some(a) = dotted_acronym(core) {
        out.push(Token::word(&a));
        return;
    }
    if let Some(rest) = core.strip_prefix('$') {
        out.push(Token::word("$"));
        split_core(rest, out);
        return;
    }
    if let Some(rest) = core.strip_prefix('#') {
        out.push(Token::word("#"));
        split_core(rest, out);
        return;
    }
    if let Some(rest) = core.strip_suffix('%') {
        split_core(rest, out);
        out.push(Token::word("percent"));
        return;
    }
    if is_identifier(core) && !core.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        out.push(Token::word(core));
        return;
    }
    // "Ops-1234", "inc-2209": a ticket key, however whisper cased it.
    if let Some((letters, digits)) = core.split_once('-') {
        let caps = letters.chars().all(|c| c.is_ascii_uppercase());
        if (2..=6).contains(&letters.len())
            && letters.chars().all(|c| c.is_ascii_alphabetic())
            && digits.len() >= if caps { 2 } else { 3 }
            && all_digits(digits)
        {
            out.push(Token::word(&letters.to_uppercase()));
            out.push(Token::num(Num::digits(digits)));
            return;
        }
    }
    if core.contains('-')
        || core.contains('/') && !core.chars().all(|c| c.is_ascii_digit() || c == '/')
    {
        let parts: Vec<&str> = core.split(['-', '/']).filter(|p| !p.is_empty()).collect();
        if parts.len() > 1 {
            for p in parts {
                split_core(p, out);
            }
            return;
        }
    }
    if let Some(t) = digit_token(core) {
        out.extend(t);
        return;
    }
    out.push(Token::word(core));
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

/// Written numbers: "4.18", "14:52", "1,200", "21st", "300ms", "D4692", "429s".
fn digit_token(core: &str) -> Option<Vec<Token>> {
    if all_digits(core) {
        return Some(vec![Token::num(Num::digits(core))]);
    }
    let stripped = core.replace(',', "");
    if all_digits(&stripped) && core.contains(',') {
        return Some(vec![Token::num(Num::digits(&stripped))]);
    }
    for (sep_c, sep) in [('.', Sep::Point), (':', Sep::Colon)] {
        if core.contains(sep_c) {
            let parts: Vec<&str> = core.split(sep_c).collect();
            if parts.len() >= 2 && parts.iter().all(|p| all_digits(p)) {
                let mut n = Num::digits(parts[0]);
                for p in &parts[1..] {
                    n.groups.push(p.to_string());
                    n.seps.push(sep);
                }
                return Some(vec![Token::num(n)]);
            }
        }
    }
    let lower = core.to_lowercase();
    for suf in ["st", "nd", "rd", "th"] {
        if let Some(d) = lower.strip_suffix(suf) {
            if all_digits(d) {
                let mut n = Num::digits(d);
                n.ordinal = true;
                return Some(vec![Token::num(n)]);
            }
        }
    }
    if let Some(d) = lower.strip_suffix('s') {
        if all_digits(d) && d.len() >= 2 {
            let mut n = Num::digits(d);
            n.plural = true;
            return Some(vec![Token::num(n)]);
        }
    }
    // Number then unit: "300ms", "2.4s", "40k".
    let split = core.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = core.split_at(split);
    if !num.is_empty() && unit.chars().all(|c| c.is_ascii_alphabetic()) {
        if let Some(mut t) = digit_token(num) {
            let u = match unit.to_lowercase().as_str() {
                "ms" => "milliseconds",
                "s" | "sec" | "secs" => "seconds",
                "m" | "min" | "mins" => "minutes",
                "h" | "hr" | "hrs" => "hours",
                "k" => "thousand",
                "x" => "x",
                "am" => "am",
                "pm" => "pm",
                "xx" => return Some(vec![Token::word(core)]),
                _ => return None,
            };
            t.push(Token::word(u));
            return Some(t);
        }
    }
    // Letters then digits: "D4692", "p99", "OPS1234", "v4".
    let split = core.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = core.split_at(split);
    if !letters.is_empty()
        && letters.len() <= 5
        && letters.chars().all(|c| c.is_ascii_alphabetic())
        && (all_digits(digits) || digit_token(digits).is_some())
    {
        let mut t = vec![Token::word(letters)];
        t.extend(digit_token(digits)?);
        return Some(t);
    }
    None
}

fn raw_tokens(text: &str) -> Vec<Token> {
    let text = clean(text);
    let mut out = Vec::new();
    for chunk in text.split_whitespace() {
        let mut core = chunk;
        let mut lead = Vec::new();
        while let Some(c) = core.chars().next().filter(|c| LEADING.contains(c)) {
            lead.push(c);
            core = &core[c.len_utf8()..];
        }
        let mut trail = Vec::new();
        while let Some(c) = core.chars().last().filter(|c| TRAILING.contains(c)) {
            // Keep the apostrophe of "o'clock"-like words and possessives "merchants'".
            if c == '\'' && core.len() > 1 && !core.starts_with('\'') {
                core = &core[..core.len() - 1];
                continue;
            }
            trail.push(c);
            core = &core[..core.len() - c.len_utf8()];
        }
        for c in lead {
            if c == '"' || c == '(' {
                out.push(Token::punct(c));
            }
        }
        split_core(core, &mut out);
        if dotted_acronym(core).is_some() && trail.last() == Some(&'.') {
            // "C.S." keeps its last dot.
            trail.pop();
        }
        for c in trail.into_iter().rev() {
            if !matches!(c, '\'' | '*' | '`') {
                out.push(Token::punct(c));
            }
        }
    }
    out
}

/// Joins spelled-out acronyms: "E U" → "EU", "A P I" → "API", "C S" → "CS".
fn join_letters(tokens: Vec<Token>) -> Vec<Token> {
    let single = |t: &Token| {
        t.is_word() && t.text.len() == 1 && t.text.chars().all(|c| c.is_ascii_uppercase())
    };
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if single(&tokens[i]) {
            let mut j = i;
            while j < tokens.len() && single(&tokens[j]) {
                j += 1;
            }
            if j - i >= 2 {
                let joined: String = tokens[i..j].iter().map(|t| t.text.as_str()).collect();
                out.push(Token::word(&joined));
                i = j;
                continue;
            }
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    out
}

fn single_digit_num(t: &Token) -> Option<&str> {
    match &t.kind {
        Kind::Num(n)
            if n.groups.len() == 1 && n.groups[0].len() == 1 && !n.plural && !n.ordinal =>
        {
            Some(&n.groups[0])
        }
        _ => None,
    }
}

/// Turns runs of number words into number tokens and joins digits said one by one.
fn join_numbers(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        // Digits written one by one: "4 6 9 2".
        if single_digit_num(t).is_some() {
            let mut j = i;
            let mut digits = Vec::new();
            while j < tokens.len() {
                match single_digit_num(&tokens[j]) {
                    Some(d) => digits.push(d.to_string()),
                    None => break,
                }
                j += 1;
            }
            if digits.len() >= 3 {
                let mut n = Num::digits(&digits[0]);
                for d in &digits[1..] {
                    n.groups.push(d.clone());
                    n.seps.push(Sep::Space);
                }
                out.push(Token::num(n));
                i = j;
                continue;
            }
        }
        let starts_number = t.is_word()
            && number_word(&t.lower).is_some_and(|(w, _)| {
                !matches!(w, NumWord::Ordinal(_)) || !ambiguous_ordinal(&t.lower)
            })
            && !(t.lower == "second" || t.lower == "seconds");
        let a_scale = t.lower == "a"
            && tokens
                .get(i + 1)
                .is_some_and(|n| matches!(n.lower.as_str(), "hundred" | "thousand" | "million"));
        if !(starts_number || a_scale) {
            out.push(t.clone());
            i += 1;
            continue;
        }
        let mut b = NumBuilder::new();
        let mut j = if a_scale { i + 1 } else { i };
        let mut last_ok = j;
        while j < tokens.len() {
            let w = &tokens[j];
            if !w.is_word() {
                // A written digit group after "oh": "twelve oh 5" is rare; stop at other numbers.
                break;
            }
            let l = w.lower.as_str();
            if l == "point" || l == "dot" {
                let next_is_num = tokens.get(j + 1).is_some_and(|n| {
                    n.is_word() && number_word(&n.lower).is_some() || n.num_ref().is_some()
                });
                if !next_is_num || b.is_empty() {
                    break;
                }
                if let Some(n) = tokens.get(j + 1).and_then(Token::num_ref) {
                    b.point();
                    b.push_digits(&n.concat());
                    j += 2;
                    last_ok = j;
                    continue;
                }
                b.point();
                j += 1;
                continue;
            }
            if (l == "oh" || l == "o") && !b.is_empty() {
                let next_unit = tokens
                    .get(j + 1)
                    .is_some_and(|n| matches!(number_word(&n.lower), Some((NumWord::Unit(_), _))));
                if !next_unit {
                    break;
                }
                b.push(NumWord::Zero, false);
                j += 1;
                continue;
            }
            if l == "and" && b.accepts_and() {
                let next_num = tokens
                    .get(j + 1)
                    .is_some_and(|n| matches!(number_word(&n.lower), Some((w, _)) if !matches!(w, NumWord::Scale(_) | NumWord::Hundred)));
                if next_num {
                    j += 1;
                    continue;
                }
                break;
            }
            let Some((nw, plural)) = number_word(l) else {
                break;
            };
            if matches!(nw, NumWord::Ordinal(_)) && ambiguous_ordinal(l) && !b.is_empty() {
                // "twenty first" joins; "one second" does not.
                if !b_last_is_tens(&tokens[last_ok - 1]) {
                    break;
                }
            }
            if l == "second" && b.is_empty() {
                break;
            }
            if !b.push(nw, plural) {
                break;
            }
            j += 1;
            last_ok = j;
        }
        if last_ok == i || (a_scale && last_ok == i + 1) {
            out.push(t.clone());
            i += 1;
            continue;
        }
        match b.finish() {
            Some(mut n) => {
                if tokens
                    .get(last_ok)
                    .is_some_and(|t| t.lower == "o'clock" || t.lower == "oclock")
                {
                    n.oclock = true;
                    out.push(Token::num(n));
                    i = last_ok + 1;
                } else {
                    out.push(Token::num(n));
                    i = last_ok;
                }
            }
            None => {
                out.push(t.clone());
                i += 1;
            }
        }
    }
    // Written numbers followed by "o'clock".
    let mut fixed: Vec<Token> = Vec::new();
    for t in out {
        if (t.lower == "o'clock" || t.lower == "oclock")
            && fixed.last().is_some_and(|p| p.num_ref().is_some())
        {
            if let Some(Kind::Num(n)) = fixed.last_mut().map(|p| &mut p.kind) {
                n.oclock = true;
            }
            continue;
        }
        fixed.push(t);
    }
    fixed
}

fn b_last_is_tens(t: &Token) -> bool {
    matches!(number_word(&t.lower), Some((NumWord::Tens(_), _)))
}

/// Whether a token can carry on a number: a number word or a written number.
fn numberish(t: Option<&Token>) -> bool {
    t.is_some_and(|t| t.num_ref().is_some() || t.is_word() && number_word(&t.lower).is_some())
}

/// Homophones whisper writes for digits before "point": "released to point
/// 31" is "two point thirty one", "for point 2" is "four point two".
fn number_homophones(tokens: Vec<Token>) -> Vec<Token> {
    let mut out = tokens.clone();
    for (i, t) in tokens.iter().enumerate() {
        let digit = match t.lower.as_str() {
            "to" | "too" => "two",
            "for" => "four",
            _ => continue,
        };
        let point = tokens
            .get(i + 1)
            .is_some_and(|p| matches!(p.lower.as_str(), "point" | "dot"));
        if point && numberish(tokens.get(i + 2)) {
            out[i] = Token::word(digit);
        }
    }
    out
}

/// Written numbers joined by a spoken "point": "3.9 point 1" → 3.9.1, "2 point 4" → 2.4.
fn join_written_points(tokens: Vec<Token>) -> Vec<Token> {
    let plain = |t: &Token| {
        t.num_ref()
            .filter(|n| {
                !n.plural
                    && !n.ordinal
                    && n.scaled.is_none()
                    && !n.oclock
                    && !n.seps.contains(&Sep::Colon)
            })
            .cloned()
    };
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let point = tokens
            .get(i + 1)
            .is_some_and(|p| matches!(p.lower.as_str(), "point" | "dot"));
        if let (Some(mut a), true, Some(b)) = (
            plain(&tokens[i]),
            point,
            tokens.get(i + 2).and_then(|t| t.num_ref().cloned()),
        ) {
            if !b.ordinal && b.scaled.is_none() && !b.seps.contains(&Sep::Colon) {
                a.seps.push(Sep::Point);
                a.seps.extend(b.seps.iter().copied());
                a.groups.extend(b.groups.iter().cloned());
                a.plural = b.plural;
                a.spoken |= b.spoken;
                out.push(Token::num(a));
                i += 3;
                continue;
            }
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    out
}

/// Words whisper mishears in incident talk, read (in `lower` only; the text
/// stays as written) as what was meant when the words around them say so:
/// "bill request 1205" is a pull request, "solo query" a slow query, "cash
/// hit rate" a cache hit rate.
fn respell_misheard(mut tokens: Vec<Token>) -> Vec<Token> {
    const CACHE_NEIGHBOURS: &[&str] = &[
        "hit",
        "hits",
        "miss",
        "misses",
        "layer",
        "cluster",
        "dashboard",
        "eviction",
        "evictions",
        "invalidation",
        "keys",
        "ttl",
        "warm",
        "cold",
        "node",
        "nodes",
        "server",
        "servers",
        "flush",
        "purge",
        "redis",
        "memcached",
    ];
    for i in 0..tokens.len() {
        let next = tokens
            .get(i + 1)
            .map(|t| t.lower.clone())
            .unwrap_or_default();
        let prev = i
            .checked_sub(1)
            .map(|p| tokens[p].lower.clone())
            .unwrap_or_default();
        let l = tokens[i].lower.clone();
        let fixed = match l.as_str() {
            "poll" | "pole" | "pool" | "pill" | "bill" | "full" | "bull" | "paul"
                if matches!(next.as_str(), "request" | "requests")
                    && (numberish(tokens.get(i + 2))
                        || tokens.get(i + 2).is_some_and(|t| t.lower == "number")) =>
            {
                "pull"
            }
            "solo" if matches!(next.as_str(), "query" | "queries") => "slow",
            "cash"
                if CACHE_NEIGHBOURS.contains(&next.as_str())
                    || CACHE_NEIGHBOURS.contains(&prev.as_str()) =>
            {
                "cache"
            }
            _ => continue,
        };
        tokens[i].lower = fixed.to_string();
    }
    tokens
}

/// "Action item 4 Raj": whisper's digit for "for" before a name.
fn for_homophone(mut tokens: Vec<Token>) -> Vec<Token> {
    for i in 1..tokens.len().saturating_sub(1) {
        let four = tokens[i]
            .num_ref()
            .is_some_and(|n| n.concat() == "4" && n.groups.len() == 1);
        if four
            && matches!(
                tokens[i - 1].lower.as_str(),
                "item" | "items" | "up" | "ups"
            )
            && tokens[i + 1].is_capitalised()
        {
            tokens[i] = Token::word("for");
        }
    }
    tokens
}

/// Tokenises text: words, numbers and punctuation.
pub fn tokenize(text: &str) -> Vec<Token> {
    let raw = for_homophone(number_homophones(join_letters(raw_tokens(text))));
    respell_misheard(join_written_points(join_numbers(raw)))
}

/// The normalised lowercase text of tokens: what cue patterns match against.
pub fn normalise(tokens: &[Token]) -> String {
    let mut s = String::new();
    for t in tokens {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(&t.lower);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        normalise(&tokenize(s))
    }

    #[test]
    fn spoken_and_written_numbers_normalise_alike() {
        assert_eq!(
            norm("Release six twenty shipped at nine forty one."),
            "release 6 20 shipped at 9 41 ."
        );
        assert_eq!(
            norm("Release 6.20 shipped at 9:41."),
            "release 6.20 shipped at 9:41 ."
        );
        assert_eq!(norm("Build ID is D 4 6 9 2."), "build id is d 4 6 9 2 .");
        assert_eq!(norm("build id is D-4-6-9-2"), "build id is d 4 6 9 2");
        assert_eq!(norm("Deploy ID D4692"), "deploy id d 4692");
        assert_eq!(
            norm("the E U gateway and the A P I"),
            "the eu gateway and the api"
        );
        assert_eq!(
            norm("four hundred and sixty milliseconds"),
            "460 milliseconds"
        );
        assert_eq!(
            norm("p ninety five sits at 2.4s"),
            "p 95 sits at 2.4 seconds"
        );
        assert_eq!(
            norm("about 40% of requests"),
            "about 40 percent of requests"
        );
        assert_eq!(norm("the four twenty nines"), "the 4 29s");
        assert_eq!(norm("at nine o'clock"), "at 9");
        assert_eq!(norm("one second please"), "1 second please");
        assert_eq!(norm("March twenty-first"), "march 21th");
        assert_eq!(norm("ticket C.S. 4118"), "ticket cs 4118");
    }

    #[test]
    fn whisper_spellings() {
        assert_eq!(
            norm("the orders service released to point 31 on Thursday"),
            "the orders service released 2.31 on thursday"
        );
        assert_eq!(norm("roll back to point 4"), "roll back 2.4");
        assert_eq!(
            norm("we went to the point of no return"),
            "we went to the point of no return"
        );
        assert_eq!(norm("pods are on 3.9 point 1 now"), "pods are on 3.9.1 now");
        assert_eq!(norm("p99 is 2 point 4 seconds"), "p 99 is 2.4 seconds");
        assert_eq!(norm("bill request 1205 did it"), "pull request 1205 did it");
        assert_eq!(norm("a full request body"), "a full request body");
        assert_eq!(norm("the solo query log"), "the slow query log");
        assert_eq!(norm("cash hit rate is fine"), "cache hit rate is fine");
        assert_eq!(norm("pay in cash"), "pay in cash");
        assert_eq!(
            norm("Action item 4 Raj, add it"),
            "action item for raj , add it"
        );
        assert_eq!(norm("Action item 4: add it"), "action item 4 : add it");
        assert_eq!(norm("see Ops-1234"), "see ops 1234");
        assert_eq!(tokenize("see Ops-1234")[1].text, "OPS");
        assert_eq!(tokenize("request well-05")[1].text, "well");
    }

    #[test]
    fn oclock_and_identifiers() {
        let t = tokenize("It fired at nine o'clock on tenant_rate_limit.enterprise.rps, see grafana.example.com/d/abc.");
        let n = t.iter().find_map(Token::num_ref).unwrap();
        assert!(n.oclock);
        assert!(t
            .iter()
            .any(|x| x.text == "tenant_rate_limit.enterprise.rps"));
        assert!(t.iter().any(|x| x.text == "grafana.example.com/d/abc"));
    }
}
