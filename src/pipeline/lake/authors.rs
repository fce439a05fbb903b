//! The lake's authors table (`LAKE/authors/part-0.parquet`): every author the history knows, with
//! their newest handle, when they were last fetched, and their newest followers and score, to
//! join with the snapshots on `id`.

use std::path::Path;
use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_array::builder::{
    Float64Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use rusqlite::types::ValueRef;

use super::{LakeError, open_read_only, sqlite_err};
use crate::pipeline::parquet::{BATCH_ROWS, ParquetBuffer, batch};

pub(super) const FILE: &str = "authors/part-0.parquet";

pub(super) fn author_table_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("handle", DataType::Utf8, true),
        Field::new(
            "last_fetched_at",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        Field::new("followers_count", DataType::Int64, true),
        Field::new("score", DataType::Float64, true),
    ]))
}

/// Every author of the history file at `path`, by id, as a whole Parquet file.
pub(super) fn authors_parquet(path: &Path) -> Result<(Vec<u8>, u64), LakeError> {
    let conn = open_read_only(path)?;
    let schema = author_table_schema();
    let mut out = ParquetBuffer::new(schema.clone())?;
    let mut stmt = conn
        .prepare(
            "SELECT author_id, handle, last_unix_ms, last_followers, last_score
             FROM authors ORDER BY author_id",
        )
        .map_err(sqlite_err(path))?;
    let mut rows = stmt.query([]).map_err(sqlite_err(path))?;
    let new_columns = || {
        (
            StringBuilder::new(),
            StringBuilder::new(),
            TimestampMillisecondBuilder::new().with_timezone("UTC"),
            Int64Builder::new(),
            Float64Builder::new(),
        )
    };
    let (mut id, mut handle, mut at, mut followers, mut score) = new_columns();
    let mut pending = 0;
    let mut flush = |id: &mut StringBuilder,
                     handle: &mut StringBuilder,
                     at: &mut TimestampMillisecondBuilder,
                     followers: &mut Int64Builder,
                     score: &mut Float64Builder|
     -> Result<(), LakeError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(id.finish()),
            Arc::new(handle.finish()),
            Arc::new(at.finish()),
            Arc::new(followers.finish()),
            Arc::new(score.finish()),
        ];
        out.write(&batch(&schema, columns)?)?;
        Ok(())
    };
    while let Some(row) = rows.next().map_err(sqlite_err(path))? {
        let get = |i| row.get_ref(i).map_err(sqlite_err(path));
        let text = |v: ValueRef<'_>| match v {
            ValueRef::Text(t) => std::str::from_utf8(t).ok().map(str::to_string),
            _ => None,
        };
        id.append_value(text(get(0)?).unwrap_or_default());
        handle.append_option(text(get(1)?));
        at.append_value(row.get(2).map_err(sqlite_err(path))?);
        followers.append_option(match get(3)? {
            ValueRef::Integer(n) => Some(n),
            _ => None,
        });
        score.append_option(match get(4)? {
            ValueRef::Real(f) => Some(f),
            ValueRef::Integer(n) => Some(n as f64),
            _ => None,
        });
        pending += 1;
        if pending == BATCH_ROWS {
            flush(&mut id, &mut handle, &mut at, &mut followers, &mut score)?;
            pending = 0;
        }
    }
    if pending > 0 {
        flush(&mut id, &mut handle, &mut at, &mut followers, &mut score)?;
    }
    Ok(out.finish()?)
}
