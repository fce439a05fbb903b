//! The lake's partitions: ISO weeks (Monday to Monday, UTC), named `YYYY-Www` as engines and
//! people read them. The history buckets its snapshots by weeks counted from the Unix epoch
//! (which begin on a Thursday), so one ISO week spans at most two of its buckets: a week's
//! snapshots are read as a range of both, bounded by the week's own instants.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use rusqlite::Connection;

use super::{LakeError, sqlite_err};

/// The span of one of the history's week buckets, in milliseconds.
pub(super) const BUCKET_MS: i64 = 7 * 86_400_000;

/// One ISO week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct IsoWeek {
    pub year: i32,
    pub week: u32,
}

impl IsoWeek {
    /// The ISO week holding the instant `unix_ms`.
    pub(crate) fn of_ms(unix_ms: i64) -> IsoWeek {
        let at = DateTime::<Utc>::from_timestamp_millis(unix_ms).unwrap_or_default();
        let iso = at.iso_week();
        IsoWeek {
            year: iso.year(),
            week: iso.week(),
        }
    }

    /// The week's first instant (Monday 00:00 UTC), in milliseconds.
    pub(crate) fn start_ms(self) -> i64 {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(0, |t| t.and_utc().timestamp_millis())
    }

    /// The first instant after the week.
    pub(crate) fn end_ms(self) -> i64 {
        self.start_ms() + BUCKET_MS
    }

    /// The history's buckets the week overlaps, first and last.
    pub(crate) fn buckets(self) -> (i64, i64) {
        (
            self.start_ms().div_euclid(BUCKET_MS),
            (self.end_ms() - 1).div_euclid(BUCKET_MS),
        )
    }

    /// `2026-W07`.
    pub(crate) fn label(self) -> String {
        format!("{:04}-W{:02}", self.year, self.week)
    }

    /// The week's file inside the lake.
    pub(crate) fn file(self) -> String {
        format!("snapshots/week={}/part-0.parquet", self.label())
    }
}

/// An ISO week the history holds snapshots in, and the newest generation that added snapshots
/// to one of the buckets it spans (`None`: not known, a history written before buckets kept it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct HistoryWeek {
    pub(super) week: IsoWeek,
    pub(super) changed_at: Option<i64>,
}

/// The ISO weeks the history's buckets overlap, oldest first, those ending after `since` only.
/// A week listed may hold no snapshot (a bucket's other half): the caller finds out.
pub(super) fn weeks_in(
    conn: &Connection,
    path: &Path,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<HistoryWeek>, LakeError> {
    let mut stmt = conn
        .prepare("SELECT week, generation FROM weeks ORDER BY week")
        .map_err(sqlite_err(path))?;
    let buckets: BTreeMap<i64, Option<i64>> = stmt
        .query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
        })
        .map_err(sqlite_err(path))?
        .collect::<Result<_, _>>()
        .map_err(sqlite_err(path))?;
    let since_ms = since.map_or(i64::MIN, |t| t.timestamp_millis());
    let weeks: BTreeSet<IsoWeek> = buckets
        .keys()
        .flat_map(|b| {
            [
                IsoWeek::of_ms(b * BUCKET_MS),
                IsoWeek::of_ms((b + 1) * BUCKET_MS - 1),
            ]
        })
        .filter(|w| w.end_ms() > since_ms)
        .collect();
    Ok(weeks
        .into_iter()
        .map(|week| {
            let (first, last) = week.buckets();
            // A bucket the history lacks added nothing; one without a generation might have.
            let changed_at = (first..=last)
                .filter_map(|b| buckets.get(&b))
                .try_fold(i64::MIN, |newest, g| g.map(|g| newest.max(g)));
            HistoryWeek { week, changed_at }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_iso_week_starts_on_monday_and_is_named_with_its_iso_year() {
        // 2027-01-01 is a Friday: it belongs to the last ISO week of 2026.
        let friday = chrono::NaiveDate::from_ymd_opt(2027, 1, 1)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        let week = IsoWeek::of_ms(friday);
        assert_eq!(week.label(), "2026-W53");
        let monday = DateTime::<Utc>::from_timestamp_millis(week.start_ms()).unwrap();
        assert_eq!(monday.weekday(), Weekday::Mon);
        assert!(week.start_ms() <= friday && friday < week.end_ms());
        assert_eq!(week.file(), "snapshots/week=2026-W53/part-0.parquet");
    }

    #[test]
    fn an_iso_week_spans_the_two_history_buckets_around_its_thursday() {
        let week = IsoWeek {
            year: 2026,
            week: 10,
        };
        let (first, last) = week.buckets();
        assert_eq!(last, first + 1, "epoch weeks begin on Thursdays");
        assert!(first * BUCKET_MS <= week.start_ms());
        assert!(week.end_ms() <= (last + 1) * BUCKET_MS);
    }
}
