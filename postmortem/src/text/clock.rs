//! Clock times said on a call ("at eight fifty two", "14:52 UTC", "eighteen
//! hundred", "nine o'clock"), resolved to UTC against the call.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};

use super::tokens::Token;

/// A clock time found in tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockTime {
    /// Index of the number token.
    pub index: usize,
    /// Hour as said (0..=23).
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Whether am/pm or a 24-hour form settles the half of the day.
    pub fixed: bool,
}

const BEFORE: &[&str] = &[
    "at",
    "since",
    "by",
    "until",
    "till",
    "around",
    "about",
    "from",
    "to",
    "for",
    "before",
    "after",
    "approximately",
    "roughly",
    "circa",
    "noon",
    "is",
];
const AFTER: &[&str] = &[
    "utc", "gmt", "z", "am", "pm", "a.m", "p.m", "o'clock", "zulu", "local",
];

/// Finds clock times in tokens.
pub fn find_times(tokens: &[Token]) -> Vec<ClockTime> {
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let Some(n) = t.num_ref() else { continue };
        let prev = i
            .checked_sub(1)
            .and_then(|j| tokens.get(j))
            .map(|t| t.lower.as_str())
            .unwrap_or("");
        let next = tokens.get(i + 1).map(|t| t.lower.as_str()).unwrap_or("");
        let unit_after = matches!(
            next,
            "percent"
                | "seconds"
                | "second"
                | "milliseconds"
                | "ms"
                | "minutes"
                | "minute"
                | "hours"
                | "pods"
                | "tickets"
                | "requests"
                | "errors"
                | "rows"
                | "orders"
                | "merchants"
                | "customers"
                | "tenants"
                | "users"
                | "dollars"
                | "days"
                | "weeks"
                | "of"
                | "x"
        );
        if unit_after {
            continue;
        }
        let time_word_after = AFTER.contains(&next);
        let context = BEFORE.contains(&prev) || time_word_after;
        if !context && !n.oclock {
            continue;
        }
        if let Some((h, m)) = n.clock(context) {
            let pm = next == "pm" || next == "p.m";
            let am = next == "am" || next == "a.m";
            let hour = if pm && h < 12 {
                h + 12
            } else if am && h == 12 {
                0
            } else {
                h
            };
            let fixed = pm
                || am
                || h > 12
                || h == 0
                || n.groups.first().is_some_and(|g| g.starts_with('0'));
            out.push(ClockTime {
                index: i,
                hour,
                minute: m,
                fixed,
            });
        } else if (next == "am" || next == "pm") && n.groups.len() == 1 {
            if let Ok(h) = n.groups[0].parse::<u32>() {
                if (1..=12).contains(&h) {
                    let hour = if next == "pm" && h < 12 {
                        h + 12
                    } else if next == "am" && h == 12 {
                        0
                    } else {
                        h
                    };
                    out.push(ClockTime {
                        index: i,
                        hour,
                        minute: 0,
                        fixed: true,
                    });
                }
            }
        }
    }
    out
}

/// Resolves a clock time to UTC: on the reference's date, and for a 12-hour
/// reading, whichever half of the day is nearer the reference.
pub fn resolve(t: ClockTime, reference: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let date: NaiveDate = reference.date_naive();
    let at = |h: u32| -> Option<DateTime<Utc>> {
        let nt = NaiveTime::from_hms_opt(h, t.minute, 0)?;
        Some(Utc.from_utc_datetime(&date.and_time(nt)))
    };
    let mut candidates = vec![at(t.hour)?];
    if !t.fixed && t.hour < 12 {
        candidates.extend(at(t.hour + 12));
    }
    // Also the neighbouring days, for calls that cross midnight.
    let more: Vec<DateTime<Utc>> = candidates
        .iter()
        .flat_map(|c| [*c - Duration::days(1), *c + Duration::days(1)])
        .collect();
    candidates.extend(more);
    candidates
        .into_iter()
        .min_by_key(|c| (*c - reference).num_seconds().abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokens::tokenize;

    fn times(s: &str) -> Vec<(u32, u32)> {
        find_times(&tokenize(s))
            .iter()
            .map(|t| (t.hour, t.minute))
            .collect()
    }

    #[test]
    fn finds_spoken_and_written_times() {
        assert_eq!(times("it shipped at nine forty one"), vec![(9, 41)]);
        assert_eq!(times("the page came in at ten o'clock"), vec![(10, 0)]);
        assert_eq!(
            times("we called it stable at sixteen twenty three U T C"),
            vec![(16, 23)]
        );
        assert_eq!(times("scheduled for eighteen hundred"), vec![(18, 0)]);
        assert_eq!(times("shipped at 9.41. Deploy is D4692"), vec![(9, 41)]);
        assert_eq!(times("since about 15:40"), vec![(15, 40)]);
        assert_eq!(times("at forty percent"), Vec::<(u32, u32)>::new());
        assert_eq!(times("at 3pm"), vec![(15, 0)]);
    }

    #[test]
    fn twelve_hour_readings_take_the_nearer_half() {
        let reference: DateTime<Utc> = "2026-03-14T21:05:00Z".parse().unwrap();
        let t = find_times(&tokenize("recovered at nine twenty eight"))[0];
        assert_eq!(
            resolve(t, reference).unwrap().to_rfc3339(),
            "2026-03-14T21:28:00+00:00"
        );
        let morning: DateTime<Utc> = "2026-03-14T09:05:00Z".parse().unwrap();
        assert_eq!(
            resolve(t, morning).unwrap().to_rfc3339(),
            "2026-03-14T09:28:00+00:00"
        );
    }
}
