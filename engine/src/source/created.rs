//! A recording's wall-clock start from its metadata tags: creation-time and
//! date tags (Vorbis comments, ID3, RIFF INFO, Matroska, iTunes atoms).
//! The mp4 `mvhd` creation time is read in [`super::mp4`].

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use symphonia::core::meta::{MetadataRevision, StandardTag, Tag};

/// Earliest plausible recording start; older stamps are unset fields
/// (0 in an mp4 means 1904) and are ignored.
pub(crate) const EARLIEST: i64 = 31_536_000; // 1971-01-01

/// Parses a timestamp as tags and `--start-time` write it: RFC 3339
/// (`2024-03-01T14:02:03Z`, `...+01:00`, with fractions), or a date and time
/// without zone (`2024-03-01 14:02:03`, `2024-03-01T14:02:03`), taken as UTC.
/// A bare date is rejected: it cannot place an utterance on the clock.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let parsed = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
                .map(|n| Utc.from_utc_datetime(&n))
        })
        .or_else(|| {
            // "2024-03-01 14:02:03 UTC" and "...Z" with a space separator.
            let stripped = text
                .strip_suffix(" UTC")
                .or_else(|| text.strip_suffix('Z'))?;
            NaiveDateTime::parse_from_str(stripped.trim_end(), "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|n| Utc.from_utc_datetime(&n))
        })?;
    (parsed.timestamp() >= EARLIEST).then_some(parsed)
}

/// How much a tag is trusted as the recording's start (lower is better).
fn tag_rank(tag: &Tag) -> Option<u8> {
    let key = tag.raw.key.to_ascii_lowercase();
    let by_key = match key.as_str() {
        "creation_time" | "creation time" | "creationtime" => Some(0),
        "date_recorded" | "recording_time" | "recordingtime" | "tdrc" | "icrd" => Some(1),
        "\u{a9}day" | "date" | "year" => Some(2),
        _ => None,
    };
    let by_std = match &tag.std {
        Some(StandardTag::RecordingDate(_)) | Some(StandardTag::RecordingTime(_)) => Some(1),
        Some(StandardTag::EncodingDate(_)) => Some(3),
        _ => None,
    };
    match (by_key, by_std) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Best start time found in one metadata revision's tags (media-wide and
/// per-track), `None` when no tag parses as a date with a time.
pub(crate) fn from_revision(rev: &MetadataRevision) -> Option<DateTime<Utc>> {
    rev.media
        .tags
        .iter()
        .chain(rev.per_track.iter().flat_map(|t| t.metadata.tags.iter()))
        .filter_map(|tag| {
            let rank = tag_rank(tag)?;
            let when = parse_timestamp(&tag.raw.value.to_string())?;
            Some((rank, when))
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, when)| when)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_tag_formats() {
        let want = Utc.with_ymd_and_hms(2024, 3, 1, 14, 2, 3).unwrap();
        for text in [
            "2024-03-01T14:02:03Z",
            "2024-03-01T14:02:03.000000Z",
            "2024-03-01T15:02:03+01:00",
            "2024-03-01 14:02:03",
            "2024-03-01T14:02:03",
            "2024-03-01 14:02:03 UTC",
        ] {
            assert_eq!(parse_timestamp(text), Some(want), "{text}");
        }
        for text in [
            "2024-03-01",
            "2024",
            "yesterday",
            "",
            "1904-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_timestamp(text), None, "{text}");
        }
    }
}
