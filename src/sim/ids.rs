//! User ids that agree with account creation times: snowflake ids for accounts created after
//! 2016-02 (milliseconds since the Twitter epoch in the high bits), and small sequential-looking
//! ids for older accounts, interpolated from known landmarks (e.g. 2244994945 in December 2013).

use chrono::{DateTime, TimeZone, Utc};

/// The Twitter snowflake epoch: `ms = (id >> 22) + TWITTER_EPOCH_MS`.
pub const TWITTER_EPOCH_MS: i64 = 1_288_834_974_657;

/// The first day of X itself; no account is older.
pub(super) fn first_day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2006, 3, 21, 0, 0, 0)
        .single()
        .expect("a valid date")
}

/// Accounts created from this day on get snowflake ids.
pub(super) fn snowflake_since() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2016, 2, 1, 0, 0, 0)
        .single()
        .expect("a valid date")
}

/// (Unix seconds, id) landmarks of the pre-snowflake id sequence.
const LANDMARKS: [(i64, u64); 11] = [
    (1_142_899_200, 1),             // 2006-03-21
    (1_167_609_600, 600_000),       // 2007-01-01
    (1_199_145_600, 11_000_000),    // 2008-01-01
    (1_230_768_000, 18_000_000),    // 2009-01-01
    (1_262_304_000, 100_000_000),   // 2010-01-01
    (1_293_840_000, 232_000_000),   // 2011-01-01
    (1_325_376_000, 450_000_000),   // 2012-01-01
    (1_356_998_400, 1_050_000_000), // 2013-01-01
    (1_388_534_400, 2_270_000_000), // 2014-01-01
    (1_420_070_400, 2_960_000_000), // 2015-01-01
    (1_454_284_800, 4_880_000_000), // 2016-02-01
];

/// The id an account created at `t` plausibly has; `low` fills the snowflake's worker and
/// sequence bits (or jitters an old id).
pub(super) fn id_for(t: DateTime<Utc>, low: u64) -> u64 {
    if t >= snowflake_since() {
        let ms = (t.timestamp_millis() - TWITTER_EPOCH_MS) as u64;
        return (ms << 22) | (low & 0x3f_ffff);
    }
    let s = t.timestamp();
    let base = interpolate(s);
    base + low % 997
}

/// The snowflake id of a post made at `t` (posts got snowflake ids from 2010-11, long before
/// users did); `low` fills the worker and sequence bits. Times before the epoch read as the epoch.
pub(super) fn post_id_at(t: DateTime<Utc>, low: u64) -> u64 {
    let ms = (t.timestamp_millis() - TWITTER_EPOCH_MS).max(0) as u64;
    (ms << 22) | (low & 0x3f_ffff)
}

fn interpolate(s: i64) -> u64 {
    let first = LANDMARKS[0];
    if s <= first.0 {
        return first.1;
    }
    for pair in LANDMARKS.windows(2) {
        let ((s0, i0), (s1, i1)) = (pair[0], pair[1]);
        if s < s1 {
            let f = (s - s0) as f64 / (s1 - s0) as f64;
            return i0 + ((i1 - i0) as f64 * f) as u64;
        }
    }
    LANDMARKS[LANDMARKS.len() - 1].1
}

/// The creation time encoded in a snowflake id; `None` for ids too small to be snowflakes.
pub fn snowflake_time(id: u64) -> Option<DateTime<Utc>> {
    // The smallest snowflake user ids (late 2010) are far above any sequential id.
    if id < (1u64 << 40) {
        return None;
    }
    let ms = (id >> 22) as i64 + TWITTER_EPOCH_MS;
    Utc.timestamp_millis_opt(ms).single()
}

/// A creation time that fits an id: decoded from a snowflake, or read back from the landmarks
/// for an old sequential id.
pub(super) fn time_for(id: u64) -> DateTime<Utc> {
    if let Some(t) = snowflake_time(id) {
        return t;
    }
    let last = LANDMARKS[LANDMARKS.len() - 1];
    let s = if id >= last.1 {
        last.0
    } else {
        let mut s = LANDMARKS[0].0;
        for pair in LANDMARKS.windows(2) {
            let ((s0, i0), (s1, i1)) = (pair[0], pair[1]);
            if id < i1 {
                let f = id.saturating_sub(i0) as f64 / (i1 - i0) as f64;
                s = s0 + ((s1 - s0) as f64 * f) as i64;
                break;
            }
        }
        s
    };
    Utc.timestamp_opt(s, 0).single().unwrap_or_else(first_day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snowflake_id_decodes_to_the_creation_time() {
        let t = Utc.with_ymd_and_hms(2019, 6, 1, 12, 30, 5).unwrap();
        let id = id_for(t, 0x1234);
        assert_eq!(snowflake_time(id), Some(t));
    }

    #[test]
    fn old_accounts_get_small_ids_that_read_back_to_about_the_same_time() {
        let t = Utc.with_ymd_and_hms(2013, 12, 14, 4, 35, 55).unwrap();
        let id = id_for(t, 0);
        assert!((2_000_000_000..2_300_000_000).contains(&id), "{id}");
        assert!(snowflake_time(id).is_none());
        let back = time_for(id);
        assert!((back - t).num_days().abs() <= 1, "{back} vs {t}");
    }

    #[test]
    fn a_post_id_decodes_to_the_time_of_the_post() {
        let t = Utc.with_ymd_and_hms(2014, 2, 3, 4, 5, 6).unwrap();
        let id = post_id_at(t, 99);
        let ms = (id >> 22) as i64 + TWITTER_EPOCH_MS;
        assert_eq!(ms, t.timestamp_millis());
    }

    #[test]
    fn jacks_id_twelve_is_from_the_first_days() {
        assert!(time_for(12) < Utc.with_ymd_and_hms(2006, 4, 1, 0, 0, 0).unwrap());
    }
}
