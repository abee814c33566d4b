//! Numbers as people say them and as whisper writes them: "four eighteen",
//! "three point forty two", "D 4 6 9 2", "twelve oh five", "4.18", "14:52",
//! "eighteen hundred", "two point one million". A [`Num`] keeps the groups
//! as said, so context can read it as a version, an id, a time or a value.

/// How two groups of a number were joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sep {
    /// Said one after the other ("four eighteen", "4 6 9 2").
    Space,
    /// "point", "dot" or a written `.`.
    Point,
    /// A written `:` ("14:52").
    Colon,
}

/// A number as said: digit groups and how they were joined.
#[derive(Debug, Clone, PartialEq)]
pub struct Num {
    /// Digit strings, in order ("05" keeps its zero).
    pub groups: Vec<String>,
    /// Separators, one fewer than groups.
    pub seps: Vec<Sep>,
    /// Value when a scale word followed a decimal ("two point one million").
    pub scaled: Option<f64>,
    /// Said as an ordinal ("twenty first", "21st").
    pub ordinal: bool,
    /// Said in the plural ("four twenty nines", "500s").
    pub plural: bool,
    /// Followed by "o'clock".
    pub oclock: bool,
    /// Came (at least partly) from number words rather than digits.
    pub spoken: bool,
}

impl Num {
    /// A number from one digit group.
    pub fn digits(d: &str) -> Num {
        Num {
            groups: vec![d.to_string()],
            seps: Vec::new(),
            scaled: None,
            ordinal: false,
            plural: false,
            oclock: false,
            spoken: false,
        }
    }

    /// All groups concatenated: the reading for ids and ticket numbers.
    pub fn concat(&self) -> String {
        self.groups.concat()
    }

    /// The numeric value, when the number has one unambiguous reading.
    pub fn value(&self) -> Option<f64> {
        if let Some(v) = self.scaled {
            return Some(v);
        }
        match self.groups.len() {
            0 => None,
            1 => self.groups[0].parse().ok(),
            _ => {
                let points = self.seps.iter().filter(|s| **s == Sep::Point).count();
                if points == 1 && self.seps[0] == Sep::Point {
                    // "zero point two five": the fraction may be said digit by digit.
                    let frac = self.groups[1..].concat();
                    format!("{}.{}", self.groups[0], frac).parse().ok()
                } else if points == 0
                    && !self.seps.contains(&Sep::Colon)
                    && self.groups.iter().all(|g| g.len() == 1)
                {
                    self.concat().parse().ok()
                } else {
                    None
                }
            }
        }
    }

    /// The version reading ("4.18", "3.9.2"), when the number can be one.
    pub fn version(&self) -> Option<String> {
        let n = self.groups.len();
        if !(2..=4).contains(&n) || self.seps.contains(&Sep::Colon) || self.scaled.is_some() {
            return None;
        }
        if self.seps.iter().all(|s| *s == Sep::Point) || n == 2 {
            Some(self.groups.join("."))
        } else if self.groups.iter().all(|g| g.len() == 1) {
            // "three nine two" said digit by digit.
            Some(self.groups.join("."))
        } else {
            None
        }
    }

    /// The clock reading (hour, minute), when the number can be one.
    /// `context` allows readings that need a time word nearby ("at 1540", "for eighteen hundred").
    pub fn clock(&self, context: bool) -> Option<(u32, u32)> {
        if self.oclock && self.groups.len() == 1 {
            let h: u32 = self.groups[0].parse().ok()?;
            return (h <= 23).then_some((h, 0));
        }
        if self.scaled.is_some() || self.ordinal {
            return None;
        }
        match self.groups.len() {
            2 => {
                let (h, m) = (&self.groups[0], &self.groups[1]);
                let ok_sep = match self.seps[0] {
                    Sep::Colon => true,
                    Sep::Space => self.spoken || context,
                    Sep::Point => context,
                };
                if !ok_sep || m.len() != 2 || h.len() > 2 {
                    return None;
                }
                let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
                (h <= 23 && m <= 59).then_some((h, m))
            }
            1 if context => {
                let g = &self.groups[0];
                if g.len() == 4 || (g.len() == 3 && self.spoken) {
                    let v: u32 = g.parse().ok()?;
                    let (h, m) = (v / 100, v % 100);
                    (h <= 23 && m <= 59).then_some((h, m))
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// The canonical written form used in normalised text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        if let Some(v) = self.scaled {
            s = format_value(v);
        } else {
            for (i, g) in self.groups.iter().enumerate() {
                if i > 0 {
                    s.push(match self.seps[i - 1] {
                        Sep::Space => ' ',
                        Sep::Point => '.',
                        Sep::Colon => ':',
                    });
                }
                s.push_str(g);
            }
        }
        if self.ordinal {
            s.push_str("th");
        }
        if self.plural {
            s.push('s');
        }
        s
    }
}

/// Writes a value without a trailing `.0`.
pub fn format_value(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 && v.abs() < 1e15 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// What a number word is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumWord {
    /// 0 ("zero", "oh").
    Zero,
    /// 1..=9.
    Unit(u64),
    /// 10..=19.
    Teen(u64),
    /// 20, 30, ... 90.
    Tens(u64),
    /// "hundred".
    Hundred,
    /// "thousand", "million", "billion".
    Scale(u64),
    /// An ordinal with its value ("first" 1, "twelfth" 12, "twentieth" 20).
    Ordinal(u64),
}

/// Classifies a lowercase word as a number word, with whether it was plural.
pub fn number_word(w: &str) -> Option<(NumWord, bool)> {
    if let Some(n) = plain_number_word(w) {
        return Some((n, false));
    }
    // "nines", "fives", "sixes", "hundreds" (with a count before it).
    let stem = w
        .strip_suffix("es")
        .filter(|s| *s == "six")
        .or(w.strip_suffix('s'))?;
    match plain_number_word(stem)? {
        NumWord::Ordinal(_) | NumWord::Zero => None,
        n => Some((n, true)),
    }
}

fn plain_number_word(w: &str) -> Option<NumWord> {
    use NumWord::*;
    Some(match w {
        "zero" => Zero,
        "one" => Unit(1),
        "two" => Unit(2),
        "three" => Unit(3),
        "four" => Unit(4),
        "five" => Unit(5),
        "six" => Unit(6),
        "seven" => Unit(7),
        "eight" => Unit(8),
        "nine" => Unit(9),
        "ten" => Teen(10),
        "eleven" => Teen(11),
        "twelve" => Teen(12),
        "thirteen" => Teen(13),
        "fourteen" => Teen(14),
        "fifteen" => Teen(15),
        "sixteen" => Teen(16),
        "seventeen" => Teen(17),
        "eighteen" => Teen(18),
        "nineteen" => Teen(19),
        "twenty" => Tens(20),
        "thirty" => Tens(30),
        "forty" | "fourty" => Tens(40),
        "fifty" => Tens(50),
        "sixty" => Tens(60),
        "seventy" => Tens(70),
        "eighty" => Tens(80),
        "ninety" => Tens(90),
        "hundred" => Hundred,
        "thousand" => Scale(1_000),
        "million" => Scale(1_000_000),
        "billion" => Scale(1_000_000_000),
        "first" => Ordinal(1),
        "second" => Ordinal(2),
        "third" => Ordinal(3),
        "fourth" => Ordinal(4),
        "fifth" => Ordinal(5),
        "sixth" => Ordinal(6),
        "seventh" => Ordinal(7),
        "eighth" => Ordinal(8),
        "ninth" => Ordinal(9),
        "tenth" => Ordinal(10),
        "eleventh" => Ordinal(11),
        "twelfth" => Ordinal(12),
        "thirteenth" => Ordinal(13),
        "fourteenth" => Ordinal(14),
        "fifteenth" => Ordinal(15),
        "sixteenth" => Ordinal(16),
        "seventeenth" => Ordinal(17),
        "eighteenth" => Ordinal(18),
        "nineteenth" => Ordinal(19),
        "twentieth" => Ordinal(20),
        "thirtieth" => Ordinal(30),
        _ => return None,
    })
}

/// Ordinal words that are also common ordinary words and stand alone only after a month.
pub fn ambiguous_ordinal(w: &str) -> bool {
    matches!(w, "first" | "second" | "third")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    Unit,
    Teen,
    Tens,
    Hundred,
    Scale,
}

/// Builds one [`Num`] from a run of number words (and the separators between them).
#[derive(Debug, Default)]
pub struct NumBuilder {
    groups: Vec<String>,
    seps: Vec<Sep>,
    total: u64,
    current: u64,
    last: Option<Last>,
    zero_prefix: bool,
    pending_sep: Option<Sep>,
    scaled: Option<f64>,
    ordinal: bool,
    plural: bool,
    words: usize,
}

impl NumBuilder {
    /// An empty builder.
    pub fn new() -> NumBuilder {
        NumBuilder::default()
    }

    /// Whether nothing has been added.
    pub fn is_empty(&self) -> bool {
        self.words == 0 && self.groups.is_empty()
    }

    fn open(&self) -> bool {
        self.last.is_some()
    }

    fn close_group(&mut self) {
        if let Some(_l) = self.last.take() {
            let v = self.total.saturating_add(self.current);
            let mut s = v.to_string();
            if self.zero_prefix {
                s = format!("0{}", if v == 0 { String::new() } else { s });
            }
            if !self.groups.is_empty() {
                self.seps
                    .push(self.pending_sep.take().unwrap_or(Sep::Space));
            }
            self.groups.push(s);
        } else if self.zero_prefix {
            if !self.groups.is_empty() {
                self.seps
                    .push(self.pending_sep.take().unwrap_or(Sep::Space));
            }
            self.groups.push("0".into());
        }
        self.total = 0;
        self.current = 0;
        self.zero_prefix = false;
    }

    fn start(&mut self, v: u64, last: Last) {
        self.close_group();
        self.current = v;
        self.last = Some(last);
    }

    /// Whether `w` can extend this number (so the caller knows where a number ends).
    pub fn accepts(&self, w: NumWord) -> bool {
        if self.ordinal {
            return false;
        }
        match w {
            NumWord::Hundred | NumWord::Scale(_) => self.open() || self.words == 0,
            _ => true,
        }
    }

    /// Adds a number word; returns false when it could not be added.
    pub fn push(&mut self, w: NumWord, plural: bool) -> bool {
        if !self.accepts(w) || self.plural {
            return false;
        }
        if plural && self.words == 0 && matches!(w, NumWord::Hundred | NumWord::Scale(_)) {
            // "hundreds of thousands" is a size, not a number.
            return false;
        }
        self.words += 1;
        self.plural = plural;
        let last = self.last;
        match w {
            NumWord::Zero => {
                if last.is_none() && self.groups.is_empty() && !self.zero_prefix {
                    self.current = 0;
                    self.last = Some(Last::Unit);
                } else {
                    self.close_group();
                    self.zero_prefix = true;
                }
            }
            NumWord::Unit(u) => match last {
                Some(Last::Tens) | Some(Last::Hundred) | Some(Last::Scale) => {
                    self.current = self.current.saturating_add(u);
                    self.last = Some(Last::Unit);
                }
                None if self.zero_prefix => {
                    self.current = u;
                    self.last = Some(Last::Unit);
                }
                _ => self.start(u, Last::Unit),
            },
            NumWord::Teen(t) => match last {
                Some(Last::Hundred) | Some(Last::Scale) => {
                    self.current = self.current.saturating_add(t);
                    self.last = Some(Last::Teen);
                }
                _ => self.start(t, Last::Teen),
            },
            NumWord::Tens(t) => match last {
                Some(Last::Hundred) | Some(Last::Scale) => {
                    self.current = self.current.saturating_add(t);
                    self.last = Some(Last::Tens);
                }
                _ => self.start(t, Last::Tens),
            },
            NumWord::Hundred => match last {
                Some(Last::Unit) | Some(Last::Teen) | Some(Last::Tens)
                    if self.current > 0 && self.current < 100 =>
                {
                    self.current = self.current.saturating_mul(100);
                    self.last = Some(Last::Hundred);
                }
                None => {
                    self.start(100, Last::Hundred);
                }
                _ => {
                    self.words -= 1;
                    return false;
                }
            },
            NumWord::Scale(s) => {
                if last.is_none() && self.groups.is_empty() {
                    self.start(s, Last::Scale);
                    self.total = s;
                    self.current = 0;
                } else if (self.pending_sep == Some(Sep::Point)
                    || self.seps.last() == Some(&Sep::Point))
                    && last.is_some()
                {
                    // "two point one million"
                    self.close_group();
                    let n = Num {
                        groups: self.groups.clone(),
                        seps: self.seps.clone(),
                        scaled: None,
                        ordinal: false,
                        plural: false,
                        oclock: false,
                        spoken: true,
                    };
                    let v = n.value().unwrap_or(0.0) * s as f64;
                    self.scaled = Some(v);
                    self.groups = vec![format_value(v)];
                    self.seps.clear();
                } else if last.is_some() {
                    self.total = self.total.saturating_add(self.current).saturating_mul(s);
                    self.current = 0;
                    self.last = Some(Last::Scale);
                } else {
                    self.words -= 1;
                    return false;
                }
            }
            NumWord::Ordinal(o) => {
                match last {
                    Some(Last::Tens) if o < 10 => self.current = self.current.saturating_add(o),
                    Some(Last::Hundred) | Some(Last::Scale) => {
                        self.current = self.current.saturating_add(o)
                    }
                    _ => self.start(o, Last::Unit),
                }
                self.last = Some(Last::Unit);
                self.ordinal = true;
            }
        }
        true
    }

    /// Whether an "and" may continue the number ("three hundred and ten").
    pub fn accepts_and(&self) -> bool {
        matches!(self.last, Some(Last::Hundred) | Some(Last::Scale))
    }

    /// Marks a "point"/"dot" between groups.
    pub fn point(&mut self) {
        self.close_group();
        self.pending_sep = Some(Sep::Point);
    }

    /// Whether the last thing added was a "point" still waiting for its fraction.
    pub fn dangling_point(&self) -> bool {
        self.pending_sep.is_some() && self.last.is_none()
    }

    /// Adds a written digit group (a digit token inside a spoken run).
    pub fn push_digits(&mut self, d: &str) {
        self.close_group();
        if !self.groups.is_empty() {
            self.seps
                .push(self.pending_sep.take().unwrap_or(Sep::Space));
        }
        self.groups.push(d.to_string());
        self.words += 1;
    }

    /// Finishes the number.
    pub fn finish(mut self) -> Option<Num> {
        self.close_group();
        if self.groups.is_empty() {
            return None;
        }
        Some(Num {
            groups: self.groups,
            seps: self.seps,
            scaled: self.scaled,
            ordinal: self.ordinal,
            plural: self.plural,
            oclock: false,
            spoken: true,
        })
    }
}

/// Parses a whole phrase of number words (test and helper convenience).
pub fn parse_words(phrase: &str) -> Option<Num> {
    let mut b = NumBuilder::new();
    for w in phrase.split_whitespace() {
        let w = w.to_lowercase();
        match w.as_str() {
            "point" | "dot" => b.point(),
            "oh" | "o" => {
                b.push(NumWord::Zero, false);
            }
            "and" if b.accepts_and() => {}
            _ => {
                let (nw, plural) = number_word(&w)?;
                if !b.push(nw, plural) {
                    return None;
                }
            }
        }
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Num {
        parse_words(s).unwrap()
    }

    #[test]
    fn cardinals() {
        assert_eq!(n("forty").value(), Some(40.0));
        assert_eq!(n("twenty four").value(), Some(24.0));
        assert_eq!(n("three hundred and ten").value(), Some(310.0));
        assert_eq!(n("one hundred").value(), Some(100.0));
        assert_eq!(n("forty million").value(), Some(40_000_000.0));
        assert_eq!(n("five thousand").value(), Some(5000.0));
        assert_eq!(n("two point four").value(), Some(2.4));
        assert_eq!(n("zero point three").value(), Some(0.3));
        assert_eq!(n("two point one million").value(), Some(2_100_000.0));
        assert_eq!(n("eighty seven").value(), Some(87.0));
    }

    #[test]
    fn ids_said_in_pairs() {
        assert_eq!(n("eighty eight sixteen").concat(), "8816");
        assert_eq!(n("twelve oh five").concat(), "1205");
        assert_eq!(n("thirty three oh seven").concat(), "3307");
        assert_eq!(n("twelve thirty four").concat(), "1234");
        assert_eq!(n("forty one eighteen").concat(), "4118");
        assert_eq!(n("five oh four").concat(), "504");
        assert_eq!(n("four six nine two").concat(), "4692");
        let four29 = n("four twenty nines");
        assert_eq!(four29.concat(), "429");
        assert!(four29.plural);
    }

    #[test]
    fn versions_and_clocks() {
        assert_eq!(n("four eighteen").version().as_deref(), Some("4.18"));
        assert_eq!(
            n("three point forty two").version().as_deref(),
            Some("3.42")
        );
        assert_eq!(
            n("five point four point seven").version().as_deref(),
            Some("5.4.7")
        );
        assert_eq!(n("fourteen fifty two").clock(false), Some((14, 52)));
        assert_eq!(n("seventeen oh eight").clock(false), Some((17, 8)));
        assert_eq!(n("eight fifty two").clock(false), Some((8, 52)));
        assert_eq!(n("eighteen hundred").clock(true), Some((18, 0)));
        assert_eq!(n("eighteen hundred").clock(false), None);
        assert_eq!(n("forty").clock(true), None);
    }

    #[test]
    fn ordinals() {
        let t = n("twenty first");
        assert!(t.ordinal);
        assert_eq!(t.value(), Some(21.0));
        assert_eq!(n("nineteenth").value(), Some(19.0));
        assert_eq!(n("twenty second").value(), Some(22.0));
    }
}
