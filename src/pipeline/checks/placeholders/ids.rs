//! What a user id says by itself: snowflake ids (2016-02 on) encode their creation time, which
//! must agree with `created_at` and precede `as_of`; ids in the snowflake range that decode to
//! before snowflake user ids existed are impossible; typed digit patterns (`123456789...`) are not ids.
//! Short ids (below 2^44) are the old sequential ids and encode no time: they are left alone.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::PlaceholderFlag;
use crate::dataset::{AuthorView, Metrics, format_time};

pub(super) use crate::dataset::{SNOWFLAKE_MIN, snowflake_time};

/// User ids became snowflakes on this day; a user snowflake cannot decode to before it.
/// Worked out once: every record with a snowflake id is compared with it.
pub(crate) fn snowflake_users_since() -> DateTime<Utc> {
    static SINCE: LazyLock<DateTime<Utc>> =
        LazyLock::new(|| Utc.with_ymd_and_hms(2016, 2, 16, 0, 0, 0).unwrap());
    *SINCE
}

/// How far the decoded time may drift from `created_at` (placeholders.md: "allow days").
const AGREEMENT: i64 = 3;

/// A run of 7+ digits (or letters) that counts up, counts down, or repeats one character: typed,
/// not generated. The first such run, as its 7 characters.
///
/// One pass: the length of the longest stepping run ending at each byte is carried along, instead
/// of checking every 7-byte window again (each id and hash of every record is read).
pub(super) fn digit_pattern(text: &str) -> Option<&str> {
    const RUN: usize = 7;
    let b = text.as_bytes();
    // `run` bytes end at the current one, all alphanumeric, each `step` above the one before.
    let (mut run, mut step) = (0usize, 0i16);
    for (i, &c) in b.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            run = 0;
            continue;
        }
        let d = if run == 0 {
            2
        } else {
            c as i16 - b[i - 1] as i16
        };
        run = match d {
            -1..=1 if run >= 2 && d == step => run + 1,
            -1..=1 => 2,
            _ => 1,
        };
        step = d;
        if run == RUN {
            // ASCII only, so the slice falls on character boundaries.
            return Some(&text[i + 1 - RUN..=i]);
        }
    }
    None
}

pub(super) fn flags(record: &AuthorView<'_>, m: &Metrics, out: &mut Vec<PlaceholderFlag>) {
    let Some(id_text) = record.id() else { return };
    if let Some(run) = digit_pattern(id_text) {
        out.push(PlaceholderFlag {
            detector: "id_pattern",
            reason: format!("its id {id_text} contains the typed digit run \"{run}\""),
        });
    }
    let Ok(id) = id_text.parse::<u64>() else {
        return;
    };
    let Some(decoded) = snowflake_time(id) else {
        return;
    };
    if decoded < snowflake_users_since() {
        out.push(PlaceholderFlag {
            detector: "snowflake_impossible",
            reason: format!(
                "its id {id} is in the snowflake range but decodes to {}, before user ids became \
                 snowflakes (2016-02-16): no real account has such an id",
                format_time(decoded)
            ),
        });
        return;
    }
    if let Some(as_of) = m.as_of
        && decoded > as_of + Duration::days(1)
    {
        out.push(PlaceholderFlag {
            detector: "snowflake_mismatch",
            reason: format!(
                "its id {id} decodes to {}, after the record was fetched ({})",
                format_time(decoded),
                format_time(as_of)
            ),
        });
    }
    if let Some(created) = m.created_at {
        let gap = (decoded - created).num_seconds().abs();
        if gap > AGREEMENT * 86_400 {
            out.push(PlaceholderFlag {
                detector: "snowflake_mismatch",
                reason: format!(
                    "its id {id} decodes to {} but created_at says {}: {} days apart (allowed {AGREEMENT})",
                    format_time(decoded),
                    format_time(created),
                    gap / 86_400
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_snowflake_decodes_to_its_account_creation_time() {
        // @DarknetDiaries, account_created_at 2018-06-12T04:52:48.000Z in the real fixture.
        let t = snowflake_time(1006398890260729856).unwrap();
        assert_eq!(format_time(t), "2018-06-12T04:52:48.082Z");
    }

    #[test]
    fn short_sequential_ids_encode_no_time() {
        assert_eq!(snowflake_time(12), None);
        assert_eq!(snowflake_time(2436389418), None);
        assert_eq!(snowflake_time(SNOWFLAKE_MIN - 1), None);
    }

    /// The definition `digit_pattern` implements in one pass: every 7-byte window, in order.
    fn digit_pattern_by_windows(text: &str) -> Option<&str> {
        let b = text.as_bytes();
        const RUN: usize = 7;
        if b.len() < RUN {
            return None;
        }
        (0..=b.len() - RUN).find_map(|start| {
            let w = &b[start..start + RUN];
            let step_all = |d: i16| w.windows(2).all(|p| p[1] as i16 - p[0] as i16 == d);
            let plain = w.iter().all(u8::is_ascii_alphanumeric);
            (plain && (step_all(1) || step_all(-1) || step_all(0)))
                .then(|| &text[start..start + RUN])
        })
    }

    /// Text made of stepping runs (up, down or flat, 2 to 9 long, from any ASCII character, so
    /// some run off the digits and letters) between random pieces, so that runs of 7 are found,
    /// just missed, broken and overlapping.
    fn text_with_runs() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let run = (b'!'..=b'~', -1i16..=1, 2usize..=9).prop_map(|(start, step, len)| {
            (0..len as i16)
                .map(|k| (start as i16 + k * step).clamp(0x21, 0x7e) as u8 as char)
                .collect::<String>()
        });
        let piece = prop_oneof![run, "[0-9a-c:/é_ ]{1,3}"];
        proptest::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4_000))]
        #[test]
        fn the_one_pass_digit_run_is_the_first_window_that_steps(text in text_with_runs()) {
            proptest::prop_assert_eq!(digit_pattern(&text), digit_pattern_by_windows(&text));
        }
    }

    #[test]
    fn typed_digit_runs_are_found_and_random_ids_are_not() {
        assert_eq!(digit_pattern("123456789000000001"), Some("1234567"));
        assert_eq!(digit_pattern("1000000000000"), Some("0000000"));
        assert_eq!(digit_pattern("9876543"), Some("9876543"));
        assert_eq!(digit_pattern("1006398890260729856"), None);
        assert_eq!(digit_pattern("44196397"), None);
        assert_eq!(digit_pattern("12"), None);
    }
}
