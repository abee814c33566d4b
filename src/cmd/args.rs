//! Typed value parsers shared by the commands' arguments, and the checks
//! on a whole set of values that one value's parser cannot make.

use anyhow::Result;
use chrono::{DateTime, Utc};
use hotwash_engine::call::TrackSpec;

/// A count of 1 or more (`--workers 0` is an error, not "auto": leave the
/// flag out for the default).
pub fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1 (leave the flag out for the default)".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// `--start-time`: the wall clock at the recording's start, RFC 3339 with
/// an offset (`2026-03-14T09:02:00Z`, `2026-03-14T10:02:00+01:00`).
pub fn start_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("expected RFC 3339, e.g. 2026-03-14T09:02:00Z ({e})"))
}

/// The `--track NAME=FILE` values, refused when two share a name.
pub fn unique_tracks(specs: &[TrackSpec]) -> Result<()> {
    TrackSpec::check_unique(specs)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_times_are_rfc3339_with_an_offset() {
        assert_eq!(
            start_time("2026-03-14T10:02:00+01:00")
                .unwrap()
                .to_rfc3339(),
            "2026-03-14T09:02:00+00:00"
        );
        assert!(start_time("09:02").unwrap_err().contains("RFC 3339"));
        assert!(start_time("2026-03-14T09:02:00").is_err());
    }

    #[test]
    fn counts_start_at_one() {
        assert_eq!(at_least_one("3"), Ok(3));
        assert!(at_least_one("0").unwrap_err().contains("at least 1"));
        assert!(at_least_one("x").is_err());
    }
}
