//! The timestamps the datasets and the API use, read in every observed spelling and written in
//! the API's own (`2013-12-14T04:35:55.000Z`).

use chrono::{DateTime, Utc};

/// Parses the timestamps the datasets and the API use: RFC 3339 with or without fraction,
/// with `Z` or an offset, and the naive `YYYY-MM-DDTHH:MM:SS` the old scripts sometimes wrote (taken as UTC).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    api_time(s).or_else(|| parse_time_any(s))
}

/// The API's own spelling, `2013-12-14T04:35:55.000Z` (what [`format_time`] writes), read
/// without the general parser: two of them are read for every record scored. `None` for any
/// other text, and for a leap second or a date that does not exist (the general parser decides).
fn api_time(s: &str) -> Option<DateTime<Utc>> {
    let b: &[u8; 24] = s.as_bytes().try_into().ok()?;
    let punctuation = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (23, b'Z'),
    ];
    if punctuation.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let number = |from: usize, to: usize| {
        b[from..to].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(number(0, 4)?).ok()?,
        number(5, 7)?,
        number(8, 10)?,
    )?;
    let second = number(17, 19)?;
    if second > 59 {
        return None;
    }
    let time = date.and_hms_milli_opt(number(11, 13)?, number(14, 16)?, second, number(20, 23)?)?;
    Some(time.and_utc())
}

/// Any of the spellings [`parse_time`] takes.
fn parse_time_any(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(s, fmt) {
            return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        }
    }
    None
}

/// Formats a time the way the API does: `2013-12-14T04:35:55.000Z`.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_every_observed_shape_parse() {
        for s in [
            "2013-12-14T04:35:55.000Z",
            "2013-12-14T04:35:55Z",
            "2025-11-14T06:42:01.143076+00:00",
            "2025-11-14T06:42:01",
        ] {
            assert!(parse_time(s).is_some(), "{s}");
        }
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn the_api_spelling_reads_as_the_general_parser_reads_it_at_the_edges() {
        for s in [
            "2013-12-14T04:35:55.000Z",
            "1970-01-01T00:00:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "2023-02-29T12:00:00.000Z",
            "2016-12-31T23:59:60.000Z",
            "2013-12-14T24:00:00.000Z",
            "2013-13-14T04:35:55.000Z",
            "2013-12-14t04:35:55.000z",
            "2013-12-14T04:35:55.000+",
            "2013-12-14 04:35:55.000Z",
            "+013-12-14T04:35:55.000Z",
            "2013-12-14T04:35:5a.000Z",
            "2013-1a-14T04:35:55.000Z",
        ] {
            assert_eq!(parse_time(s), parse_time_any(s), "{s}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_in_the_api_shape_reads_as_the_general_parser_reads_it(
            s in "[0-9]{4}-[01][0-9]-[0-3][0-9][Tt ][0-2][0-9]:[0-6][0-9]:[0-6][0-9][.,][0-9]{3}[Zz+]"
        ) {
            proptest::prop_assert_eq!(parse_time(&s), parse_time_any(&s), "{}", s);
        }

        #[test]
        fn every_time_written_by_format_time_reads_back_by_the_fast_path(
            millis in 0i64..4_102_444_800_000
        ) {
            let t = DateTime::<Utc>::from_timestamp_millis(millis).unwrap();
            let text = format_time(t);
            proptest::prop_assert_eq!(api_time(&text), Some(t));
            proptest::prop_assert_eq!(parse_time_any(&text), Some(t));
        }
    }
}
