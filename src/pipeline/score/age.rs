//! Account age at `as_of`, the divisor of every per-day rate: from `created_at` when the record
//! has it, else estimated from the account id. Not here: the rates themselves (see `features`).
//!
//! Ids after late 2010 are snowflakes whose top bits are the creation time in milliseconds, so the
//! age is exact. Older ids were handed out in sequence; their creation time is interpolated between
//! reference accounts whose id and `created_at` are both known (`id_age_knots` in
//! assets/m2/reference.json). Ids beyond the last known one take its date: the estimate then
//! overstates the age, which lowers rates, never raises them.

use chrono::{DateTime, Utc};

use crate::dataset::SNOWFLAKE_EPOCH_MS;
/// Sequential user ids stayed far below this; snowflake ids are far above it.
const FIRST_SNOWFLAKE_ID: u64 = 1 << 40;
const SECONDS_PER_DAY: f64 = 86_400.0;

/// Where an account age came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgeFrom {
    CreatedAt,
    IdSnowflake,
    IdSequence,
}

impl AgeFrom {
    pub(crate) fn key(self) -> &'static str {
        match self {
            AgeFrom::CreatedAt => "created_at",
            AgeFrom::IdSnowflake => "id_snowflake",
            AgeFrom::IdSequence => "id_sequence_estimate",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccountAge {
    /// Days from creation to `as_of`, floored at 1.
    pub days: f64,
    pub from: AgeFrom,
}

/// The account's age at `as_of`; `None` only when neither `created_at` nor a numeric id is known.
/// `id_knots` are (sequential id, creation time in Unix seconds), sorted by id, times non-decreasing.
pub(super) fn account_age(
    created_at: Option<DateTime<Utc>>,
    id: Option<&str>,
    as_of: DateTime<Utc>,
    id_knots: &[(u64, i64)],
) -> Option<AccountAge> {
    let (created_s, from) = match created_at {
        Some(t) => (t.timestamp() as f64, AgeFrom::CreatedAt),
        None => {
            let id: u64 = id?.trim().parse().ok()?;
            if id >= FIRST_SNOWFLAKE_ID {
                let ms = (id >> 22) as i64 + SNOWFLAKE_EPOCH_MS;
                (ms as f64 / 1000.0, AgeFrom::IdSnowflake)
            } else {
                (sequence_time(id, id_knots)?, AgeFrom::IdSequence)
            }
        }
    };
    let days = (as_of.timestamp() as f64 - created_s) / SECONDS_PER_DAY;
    Some(AccountAge {
        days: days.max(1.0),
        from,
    })
}

fn sequence_time(id: u64, knots: &[(u64, i64)]) -> Option<f64> {
    let first = knots.first()?;
    let last = knots.last()?;
    if id <= first.0 {
        return Some(first.1 as f64);
    }
    if id >= last.0 {
        return Some(last.1 as f64);
    }
    let upper = knots.partition_point(|k| k.0 <= id);
    let (lo, hi) = (knots[upper - 1], knots[upper]);
    let t = (id - lo.0) as f64 / (hi.0 - lo.0) as f64;
    Some(lo.1 as f64 + t * (hi.1 - lo.1) as f64)
}

/// Turns (id, created_at) pairs into knots for [`account_age`]: snowflake ids dropped (they need
/// none), sorted by id, one knot per id, times made non-decreasing so the estimate is monotone.
pub(super) fn id_knots(pairs: impl IntoIterator<Item = (u64, DateTime<Utc>)>) -> Vec<(u64, i64)> {
    let mut knots: Vec<(u64, i64)> = pairs
        .into_iter()
        .filter(|(id, _)| *id < FIRST_SNOWFLAKE_ID)
        .map(|(id, t)| (id, t.timestamp()))
        .collect();
    knots.sort_unstable();
    knots.dedup_by_key(|k| k.0);
    let mut latest = i64::MIN;
    for k in &mut knots {
        latest = latest.max(k.1);
        k.1 = latest;
    }
    knots
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::parse_time;

    fn t(s: &str) -> DateTime<Utc> {
        parse_time(s).unwrap()
    }

    #[test]
    fn a_snowflake_id_gives_the_exact_creation_day() {
        // DarknetDiaries in the fixture: id 1006398890260729856, created_at 2018-06-12T04:52:48Z.
        let as_of = t("2018-06-22T04:52:48Z");
        let age = account_age(None, Some("1006398890260729856"), as_of, &[]).unwrap();
        assert_eq!(age.from, AgeFrom::IdSnowflake);
        assert!((age.days - 10.0).abs() < 1.0 / 86_400.0, "{age:?}");
    }

    #[test]
    fn a_sequential_id_is_placed_between_known_accounts() {
        let knots = id_knots([
            (100, t("2007-01-01T00:00:00Z")),
            (300, t("2009-01-01T00:00:00Z")),
        ]);
        let as_of = t("2010-01-01T00:00:00Z");
        let mid = account_age(None, Some("200"), as_of, &knots).unwrap();
        assert_eq!(mid.from, AgeFrom::IdSequence);
        assert!((mid.days - 731.0).abs() < 1.0, "{mid:?}");
        let beyond = account_age(None, Some("900"), as_of, &knots).unwrap();
        assert!((beyond.days - 365.0).abs() < 1.0, "{beyond:?}");
    }

    #[test]
    fn age_is_floored_at_one_day_and_created_at_wins_over_the_id() {
        let as_of = t("2025-11-14T00:00:00Z");
        let age = account_age(
            Some(t("2025-11-14T00:00:00Z")),
            Some("874126509245476864"),
            as_of,
            &[],
        )
        .unwrap();
        assert_eq!(
            age,
            AccountAge {
                days: 1.0,
                from: AgeFrom::CreatedAt
            }
        );
        assert_eq!(account_age(None, Some("x1"), as_of, &[]), None);
    }
}
