//! Due dates as people say them, resolved against the call's date: "by
//! Friday", "end of next week", "March twenty first", "by noon today",
//! "tomorrow", "in two weeks", "next Tuesday, the nineteenth".

use chrono::{Datelike, Duration, Months, NaiveDate, Weekday};

use super::tokens::Token;

/// A resolved date and the words it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SaidDate {
    /// The date.
    pub date: NaiveDate,
    /// The words.
    pub said: String,
    /// Token index where the expression starts.
    pub index: usize,
    /// Whether a deadline word ("by", "due", "before") introduced it.
    pub deadline: bool,
}

fn weekday(w: &str) -> Option<Weekday> {
    Some(match w {
        "monday" => Weekday::Mon,
        "tuesday" => Weekday::Tue,
        "wednesday" => Weekday::Wed,
        "thursday" => Weekday::Thu,
        "friday" => Weekday::Fri,
        "saturday" => Weekday::Sat,
        "sunday" => Weekday::Sun,
        _ => return None,
    })
}

fn month(w: &str) -> Option<u32> {
    Some(match w {
        "january" | "jan" => 1,
        "february" | "feb" => 2,
        "march" | "mar" => 3,
        "april" | "apr" => 4,
        "may" => 5,
        "june" | "jun" => 6,
        "july" | "jul" => 7,
        "august" | "aug" => 8,
        "september" | "sept" | "sep" => 9,
        "october" | "oct" => 10,
        "november" | "nov" => 11,
        "december" | "dec" => 12,
        _ => return None,
    })
}

fn day_number(t: &Token) -> Option<u32> {
    let n = t.num_ref()?;
    if n.groups.len() != 1 || n.plural {
        return None;
    }
    let d: u32 = n.groups[0].parse().ok()?;
    (1..=31).contains(&d).then_some(d)
}

fn ordinal_word_day(t: &Token) -> Option<u32> {
    match t.lower.as_str() {
        "first" => Some(1),
        "second" => Some(2),
        "third" => Some(3),
        _ => None,
    }
}

/// The next `wd` strictly after `today`.
pub fn next_weekday(today: NaiveDate, wd: Weekday) -> NaiveDate {
    let mut d = today + Duration::days(1);
    while d.weekday() != wd {
        d += Duration::days(1);
    }
    d
}

/// `wd` in the week after `today`'s (weeks start on Monday).
pub fn weekday_next_week(today: NaiveDate, wd: Weekday) -> NaiveDate {
    let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
    monday + Duration::days(7 + wd.num_days_from_monday() as i64)
}

/// This week's Friday (or next week's when the week's working days are over).
fn this_friday(today: NaiveDate) -> NaiveDate {
    if today.weekday().num_days_from_monday() <= 4 {
        let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
        monday + Duration::days(4)
    } else {
        next_weekday(today, Weekday::Fri)
    }
}

fn last_of_month(d: NaiveDate) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap_or(d);
    first
        .checked_add_months(Months::new(1))
        .map(|n| n - Duration::days(1))
        .unwrap_or(d)
}

/// A month-and-day in the call's year, moved to next year when it would be long past.
fn month_day(today: NaiveDate, m: u32, d: u32) -> Option<NaiveDate> {
    let this = NaiveDate::from_ymd_opt(today.year(), m, d)?;
    if this < today - Duration::days(60) {
        NaiveDate::from_ymd_opt(today.year() + 1, m, d)
    } else {
        Some(this)
    }
}

/// The next date on or after today whose day of the month is `d`.
fn day_of_month(today: NaiveDate, d: u32) -> Option<NaiveDate> {
    let mut probe = NaiveDate::from_ymd_opt(today.year(), today.month(), 1)?;
    for _ in 0..3 {
        if let Some(c) = NaiveDate::from_ymd_opt(probe.year(), probe.month(), d) {
            if c >= today {
                return Some(c);
            }
        }
        probe = probe.checked_add_months(Months::new(1))?;
    }
    None
}

/// `days` days after `today`; `None` past the calendar's range (a number
/// no one says about a deadline, from a damaged transcript).
fn days_after(today: NaiveDate, days: i64) -> Option<NaiveDate> {
    today.checked_add_signed(Duration::try_days(days)?)
}

fn count_word(t: &Token) -> Option<i64> {
    match t.lower.as_str() {
        "a" | "an" | "one" => Some(1),
        "couple" => Some(2),
        _ => t.num_ref().and_then(|n| n.value()).map(|v| v as i64),
    }
}

const DEADLINE: &[&str] = &["by", "due", "before", "until", "till", "deadline"];
const PAST: &[&str] = &[
    "would", "was", "were", "did", "had", "happened", "started", "since", "last", "ago", "fired",
];

/// All date expressions in tokens, resolved against `today`, in text order.
pub fn find_dates(tokens: &[Token], today: NaiveDate) -> Vec<SaidDate> {
    let low: Vec<&str> = tokens.iter().map(|t| t.lower.as_str()).collect();
    let get = |i: usize| low.get(i).copied().unwrap_or("");
    let past_sentence = low.iter().any(|w| PAST[..6].contains(w) || *w == "ago");
    let mut out: Vec<SaidDate> = Vec::new();
    let push = |start: usize, end: usize, date: NaiveDate, out: &mut Vec<SaidDate>| {
        let mut s = start;
        while s > 0 && matches!(get(s.wrapping_sub(1)), "the" | "this" | "on" | "of") {
            s -= 1;
        }
        let deadline = s > 0 && DEADLINE.contains(&get(s.wrapping_sub(1)))
            || (s > 1
                && DEADLINE.contains(&get(s.wrapping_sub(2)))
                && matches!(get(s.wrapping_sub(1)), "end" | "noon" | "close"));
        let from = if s > 0 && DEADLINE.contains(&get(s.wrapping_sub(1))) {
            s - 1
        } else {
            s
        };
        let said = tokens[from..end.min(tokens.len())]
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        out.push(SaidDate {
            date,
            said,
            index: start,
            deadline,
        });
    };
    let mut i = 0;
    while i < low.len() {
        let w = get(i);
        // ISO dates written out: 2026 03 21 (split on '-').
        if let (Some(y), Some(m), Some(d)) = (
            tokens
                .get(i)
                .and_then(|t| t.num_ref())
                .filter(|n| n.groups.len() == 1 && n.groups[0].len() == 4),
            tokens.get(i + 1).and_then(day_number),
            tokens.get(i + 2).and_then(day_number),
        ) {
            if let Some(date) = y.groups[0]
                .parse::<i32>()
                .ok()
                .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
            {
                push(i, i + 3, date, &mut out);
                i += 3;
                continue;
            }
        }
        // "by 5pm", "before 17:00": a time of day is a deadline today.
        if DEADLINE.contains(&get(i.wrapping_sub(1))) {
            if let Some(n) = tokens.get(i).and_then(|t| t.num_ref()) {
                let ampm = matches!(get(i + 1), "am" | "pm");
                // Whisper writes "by half five" as "by 5.30".
                let dotted_time = n.seps == [crate::text::Sep::Point] && n.clock(true).is_some();
                if (ampm && n.groups.len() == 1)
                    || n.seps.first() == Some(&crate::text::Sep::Colon)
                    || dotted_time
                {
                    let end = if ampm { i + 2 } else { i + 1 };
                    push(i, end, today, &mut out);
                    i = end;
                    continue;
                }
            }
        }
        // "by 3/21": month and day written with a slash.
        if DEADLINE.contains(&get(i.wrapping_sub(1))) {
            if let Some(date) = slash_date(w, today) {
                push(i, i + 1, date, &mut out);
                i += 1;
                continue;
            }
        }
        match w {
            "today" | "tonight" | "eod" | "cob" => {
                push(i, i + 1, today, &mut out);
            }
            "noon" | "midday" | "lunchtime" | "lunch"
                if get(i.wrapping_sub(1)) == "by" || get(i + 1) == "today" =>
            {
                let end = if get(i + 1) == "today" { i + 2 } else { i + 1 };
                push(i, end, today, &mut out);
                i = end;
                continue;
            }
            "this" if matches!(get(i + 1), "afternoon" | "evening" | "morning") => {
                push(i, i + 2, today, &mut out);
            }
            "tomorrow" => {
                let d = if get(i.wrapping_sub(1)) == "after" && get(i.wrapping_sub(2)) == "day" {
                    2
                } else {
                    1
                };
                push(i, i + 1, today + Duration::days(d), &mut out);
            }
            "end" | "close" if get(i + 1) == "of" => {
                let (what, j) = if matches!(get(i + 2), "the" | "this") {
                    (get(i + 3), i + 4)
                } else {
                    (get(i + 2), i + 3)
                };
                let (what, next, j) = if what == "next" {
                    (get(j), true, j + 1)
                } else {
                    (what, false, j)
                };
                let date = match what {
                    "day" | "business" => Some(today),
                    "week" if next => Some(weekday_next_week(today, Weekday::Fri)),
                    "week" => Some(this_friday(today)),
                    "month" if next => today.checked_add_months(Months::new(1)).map(last_of_month),
                    "month" => Some(last_of_month(today)),
                    "quarter" => {
                        let q_end_month = ((today.month() - 1) / 3 + 1) * 3;
                        NaiveDate::from_ymd_opt(today.year(), q_end_month, 1).map(last_of_month)
                    }
                    _ => None,
                };
                if let Some(d) = date {
                    push(i, j, d, &mut out);
                    i = j;
                    continue;
                }
            }
            "within" | "in" => {
                // "in two weeks", "within the hour", "in a couple of days"
                let mut j = i + 1;
                if get(j) == "the"
                    && matches!(get(j + 1), "hour" | "next")
                    && (get(j + 1) == "hour" || get(j + 2) == "hour")
                {
                    {
                        let end = if get(j + 1) == "hour" { j + 2 } else { j + 3 };
                        push(i, end, today, &mut out);
                        i = end;
                        continue;
                    }
                }
                if get(j) == "the" && get(j + 1) == "next" {
                    j += 2;
                }
                if let Some(n) = tokens.get(j).and_then(count_word) {
                    let mut k = j + 1;
                    if get(k) == "of" {
                        k += 1;
                    }
                    let unit = get(k);
                    let date = match unit.trim_end_matches('s') {
                        "minute" => Some(today),
                        "hour" => days_after(today, n / 24),
                        "day" => days_after(today, n),
                        "week" => n.checked_mul(7).and_then(|d| days_after(today, d)),
                        "month" => u32::try_from(n)
                            .ok()
                            .and_then(|m| today.checked_add_months(Months::new(m))),
                        _ => None,
                    };
                    if let Some(d) = date {
                        if get(k + 1) != "ago" {
                            push(i, k + 1, d, &mut out);
                            i = k + 1;
                            continue;
                        }
                    }
                }
            }
            "next" if get(i + 1) == "week" => {
                push(i, i + 2, weekday_next_week(today, Weekday::Fri), &mut out);
                i += 2;
                continue;
            }
            _ => {}
        }
        // "<N> weeks from now"
        if let Some(n) = tokens.get(i).and_then(count_word) {
            if get(i + 2) == "from" && get(i + 3) == "now" {
                let unit = get(i + 1).trim_end_matches('s');
                let d = match unit {
                    "day" => days_after(today, n),
                    "week" => n.checked_mul(7).and_then(|d| days_after(today, d)),
                    _ => None,
                };
                if let Some(d) = d {
                    push(i, i + 4, d, &mut out);
                    i += 4;
                    continue;
                }
            }
        }
        if let Some(wd) = weekday(w) {
            let prev = get(i.wrapping_sub(1));
            let is_next = prev == "next";
            let pastish = matches!(prev, "since" | "last") || (past_sentence && prev == "on");
            if !pastish {
                let mut date = if is_next {
                    weekday_next_week(today, wd)
                } else {
                    next_weekday(today, wd)
                };
                let mut end = i + 1;
                // "next Tuesday, the nineteenth": the day of the month wins.
                let mut k = i + 1;
                while matches!(get(k), "," | "the") {
                    k += 1;
                }
                if let Some(d) = tokens
                    .get(k)
                    .and_then(|t| t.num_ref().filter(|n| n.ordinal).and(day_number(t)))
                {
                    if let Some(dm) = day_of_month(today, d) {
                        if (dm - date).num_days().abs() <= 7 {
                            date = dm;
                            end = k + 1;
                        }
                    }
                }
                let start = if is_next { i - 1 } else { i };
                push(start, end, date, &mut out);
                i = end;
                continue;
            }
        }
        if let Some(m) = month(w) {
            // "March 21st", "March twenty first", "March the 21st"
            let mut k = i + 1;
            if get(k) == "the" {
                k += 1;
            }
            let d = tokens
                .get(k)
                .and_then(|t| day_number(t).or_else(|| ordinal_word_day(t)));
            if let Some(d) = d {
                if w != "may" || tokens.get(k).and_then(|t| t.num_ref()).is_some() {
                    if let Some(date) = month_day(today, m, d) {
                        push(i, k + 1, date, &mut out);
                        i = k + 1;
                        continue;
                    }
                }
            }
        }
        // "the 21st of March", "21 March"
        if let Some(d) = tokens.get(i).and_then(day_number) {
            let mut k = i + 1;
            if get(k) == "of" {
                k += 1;
            }
            if let Some(m) = month(get(k)) {
                if get(k) != "may" || k > i + 1 || tokens[i].num_ref().is_some_and(|n| n.ordinal) {
                    if let Some(date) = month_day(today, m, d) {
                        push(i, k + 1, date, &mut out);
                        i = k + 1;
                        continue;
                    }
                }
            }
            // "the nineteenth" alone
            if tokens[i].num_ref().is_some_and(|n| n.ordinal) && get(i.wrapping_sub(1)) == "the" {
                if let Some(date) = day_of_month(today, d) {
                    push(i, i + 1, date, &mut out);
                }
            }
        }
        i += 1;
    }
    out
}

/// A month/day written "3/21".
fn slash_date(w: &str, today: NaiveDate) -> Option<NaiveDate> {
    let (m, d) = w.split_once('/')?;
    if m.is_empty() || d.is_empty() || m.len() > 2 || d.len() > 2 {
        return None;
    }
    month_day(today, m.parse().ok()?, d.parse().ok()?)
}

/// The due date of a follow-up: a deadline-marked date first, else the first date said.
pub fn due_date(tokens: &[Token], today: NaiveDate) -> Option<SaidDate> {
    let all = find_dates(tokens, today);
    all.iter()
        .find(|d| d.deadline)
        .or_else(|| all.first())
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokens::tokenize;

    fn due(s: &str, today: &str) -> Option<String> {
        let today: NaiveDate = today.parse().unwrap();
        due_date(&tokenize(s), today).map(|d| d.date.to_string())
    }

    #[test]
    fn resolves_spoken_deadlines() {
        // 2026-04-08 is a Wednesday.
        let wed = "2026-04-08";
        assert_eq!(
            due("I'll get it done by Friday.", wed).as_deref(),
            Some("2026-04-10")
        );
        assert_eq!(
            due("by this Friday, then we rerun the drill on Monday", wed).as_deref(),
            Some("2026-04-10")
        );
        assert_eq!(
            due("Tomorrow I'll add the migration", wed).as_deref(),
            Some("2026-04-09")
        );
        assert_eq!(
            due("I'll send it by noon today", wed).as_deref(),
            Some("2026-04-08")
        );
        assert_eq!(
            due("I'll have that out within the hour", wed).as_deref(),
            Some("2026-04-08")
        );
        assert_eq!(
            due("Would end of next week work?", wed).as_deref(),
            Some("2026-04-17")
        );
        assert_eq!(
            due("due end of the week", wed).as_deref(),
            Some("2026-04-10")
        );
        assert_eq!(
            due("let's have it in two weeks", wed).as_deref(),
            Some("2026-04-22")
        );
        assert_eq!(
            due("due March twenty first", "2026-03-14").as_deref(),
            Some("2026-03-21")
        );
        assert_eq!(
            due("Should be ready on April twenty second.", wed).as_deref(),
            Some("2026-04-22")
        );
        assert_eq!(
            due("by the 22nd of April", wed).as_deref(),
            Some("2026-04-22")
        );
        assert_eq!(due("due 2026-05-01", wed).as_deref(), Some("2026-05-01"));
        assert_eq!(
            due("I'll revert it tonight", wed).as_deref(),
            Some("2026-04-08")
        );
        assert_eq!(due("end of month", wed).as_deref(), Some("2026-04-30"));
        assert_eq!(due("improve monitoring", wed), None);
        assert_eq!(
            due("I'll have it by 5.30", wed).as_deref(),
            Some("2026-04-08")
        );
        assert_eq!(
            due("I'll have it by 2 p.m.", wed).as_deref(),
            Some("2026-04-08")
        );
        assert_eq!(due("done by 4/17", wed).as_deref(), Some("2026-04-17"));
        assert_eq!(
            due("I'll have that out within an hour", wed).as_deref(),
            Some("2026-04-08")
        );
        assert_eq!(
            due("ship it by April 22nd", wed).as_deref(),
            Some("2026-04-22")
        );
        assert_eq!(due("it has been slow since Monday", wed), None);
    }

    #[test]
    fn weekday_with_day_of_month() {
        // 2026-05-12 is a Tuesday.
        assert_eq!(
            due("Let's say next Tuesday, so the nineteenth.", "2026-05-12").as_deref(),
            Some("2026-05-19")
        );
        assert_eq!(
            due("by Thursday", "2026-05-12").as_deref(),
            Some("2026-05-14")
        );
        assert_eq!(
            due("next Monday works", "2026-05-12").as_deref(),
            Some("2026-05-18")
        );
    }
}
