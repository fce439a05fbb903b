//! One week of snapshots as Parquet: read from the history in its own order (bucket, author id,
//! time) and written in batches, never the whole week as rows in memory. Columns: `id`, `handle`,
//! `fetched_at` (UTC timestamp), the public metrics, `score`, `score_state`, `score_version`,
//! `version` (the dataset version that first held the snapshot) and the custody reference
//! (`run`, `response_line`: the answer the record was built from). Absent values are nulls.

use std::path::Path;
use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_array::builder::{
    Float64Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::weeks::IsoWeek;
use super::{LakeError, open_read_only, sqlite_err};
use crate::pipeline::parquet::{BATCH_ROWS, ParquetBuffer, batch};

const RANGE: &str = "FROM snapshots WHERE week BETWEEN ?1 AND ?2
    AND fetched_unix_ms >= ?3 AND fetched_unix_ms < ?4";

/// The snapshot table's schema.
pub(crate) fn snapshot_schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    let int = |name: &str| Field::new(name, DataType::Int64, true);
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        text("handle"),
        Field::new(
            "fetched_at",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        int("followers_count"),
        int("following_count"),
        int("tweet_count"),
        int("listed_count"),
        Field::new("score", DataType::Float64, true),
        text("score_state"),
        text("score_version"),
        Field::new("version", DataType::Int64, false),
        text("run"),
        int("response_line"),
    ]))
}

fn params(week: &IsoWeek) -> [i64; 4] {
    let (first, last) = week.buckets();
    [first, last, week.start_ms(), week.end_ms()]
}

/// The snapshots the history holds for `week`.
pub(super) fn count(conn: &Connection, path: &Path, week: &IsoWeek) -> Result<u64, LakeError> {
    let n: i64 = conn
        .query_row(&format!("SELECT count(*) {RANGE}"), params(week), |r| {
            r.get(0)
        })
        .map_err(sqlite_err(path))?;
    Ok(n as u64)
}

/// The builders of one batch.
struct SnapshotColumns {
    id: StringBuilder,
    handle: StringBuilder,
    fetched_at: TimestampMillisecondBuilder,
    counts: [Int64Builder; 4],
    score: Float64Builder,
    score_state: StringBuilder,
    score_version: StringBuilder,
    version: Int64Builder,
    run: StringBuilder,
    response_line: Int64Builder,
    rows: usize,
}

fn text(v: ValueRef<'_>) -> Option<&str> {
    match v {
        ValueRef::Text(t) => std::str::from_utf8(t).ok(),
        _ => None,
    }
}

fn int(v: ValueRef<'_>) -> Option<i64> {
    match v {
        ValueRef::Integer(n) => Some(n),
        _ => None,
    }
}

impl SnapshotColumns {
    fn new() -> SnapshotColumns {
        SnapshotColumns {
            id: StringBuilder::new(),
            handle: StringBuilder::new(),
            fetched_at: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            counts: std::array::from_fn(|_| Int64Builder::new()),
            score: Float64Builder::new(),
            score_state: StringBuilder::new(),
            score_version: StringBuilder::new(),
            version: Int64Builder::new(),
            run: StringBuilder::new(),
            response_line: Int64Builder::new(),
            rows: 0,
        }
    }

    fn push(&mut self, row: &rusqlite::Row<'_>) -> rusqlite::Result<()> {
        self.id
            .append_value(text(row.get_ref(0)?).unwrap_or_default());
        self.handle.append_option(text(row.get_ref(1)?));
        self.fetched_at.append_value(row.get(2)?);
        for (i, b) in self.counts.iter_mut().enumerate() {
            b.append_option(int(row.get_ref(3 + i)?));
        }
        self.score.append_option(match row.get_ref(7)? {
            ValueRef::Real(f) => Some(f),
            ValueRef::Integer(n) => Some(n as f64),
            _ => None,
        });
        self.score_state.append_option(text(row.get_ref(8)?));
        self.score_version.append_option(text(row.get_ref(9)?));
        self.version.append_value(row.get(10)?);
        self.run.append_option(text(row.get_ref(11)?));
        self.response_line.append_option(int(row.get_ref(12)?));
        self.rows += 1;
        Ok(())
    }

    fn take(&mut self) -> Vec<ArrayRef> {
        self.rows = 0;
        let [a, b, c, d] = self
            .counts
            .each_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef);
        vec![
            Arc::new(self.id.finish()),
            Arc::new(self.handle.finish()),
            Arc::new(self.fetched_at.finish()),
            a,
            b,
            c,
            d,
            Arc::new(self.score.finish()),
            Arc::new(self.score_state.finish()),
            Arc::new(self.score_version.finish()),
            Arc::new(self.version.finish()),
            Arc::new(self.run.finish()),
            Arc::new(self.response_line.finish()),
        ]
    }
}

/// The week's snapshots as a whole Parquet file, and how many.
pub(super) fn week_parquet(path: &Path, week: &IsoWeek) -> Result<(Vec<u8>, u64), LakeError> {
    let conn = open_read_only(path)?;
    let schema = snapshot_schema();
    let mut out = ParquetBuffer::new(schema.clone())?;
    let mut columns = SnapshotColumns::new();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT author_id, handle, fetched_unix_ms, followers_count, following_count,
                tweet_count, listed_count, score, score_state, score_version, version, run,
                response_line {RANGE}"
        ))
        .map_err(sqlite_err(path))?;
    let mut rows = stmt.query(params(week)).map_err(sqlite_err(path))?;
    while let Some(row) = rows.next().map_err(sqlite_err(path))? {
        columns.push(row).map_err(sqlite_err(path))?;
        if columns.rows == BATCH_ROWS {
            out.write(&batch(&schema, columns.take())?)?;
        }
    }
    if columns.rows > 0 {
        out.write(&batch(&schema, columns.take())?)?;
    }
    Ok(out.finish()?)
}
