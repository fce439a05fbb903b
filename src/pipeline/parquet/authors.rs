//! The author table as Parquet (`influx export --format parquet`, the release's `.parquet`): the
//! export's columns, typed: counts as integers, the score and its components as doubles, times as
//! UTC timestamps, topic tags as a list, the ranks within topics as a map of topic to rank. A value the record does not carry is a null, never 0 or
//! an empty text: a missing count is not a count of zero. Rows as the export reads them: a
//! handle's first row, ranks of the file's own authors (see `ranks`).

use std::path::Path;
use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_array::builder::{
    Float64Builder, Int64Builder, ListBuilder, MapBuilder, StringBuilder,
    TimestampMillisecondBuilder, UInt32Builder,
};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use serde_json::Value;

use super::{BATCH_ROWS, ParquetBuffer, ParquetError, batch};
use crate::dataset::{Record, for_each_author};
use crate::pipeline::ranks::Ranks;

/// The columns, in order.
pub(crate) const AUTHOR_COLUMNS: [&str; 21] = [
    "id",
    "handle",
    "name",
    "verified",
    "followers_count",
    "following_count",
    "tweet_count",
    "listed_count",
    "created_at",
    "score",
    "activity",
    "quality",
    "relevance",
    "score_state",
    "score_version",
    "last_refresh_at",
    "status",
    "lang_primary",
    "topic_tags",
    "rank_global",
    "rank_by_topic",
];

/// `MAP<STRING, UINT32>`, as `MapBuilder` builds it (its default field names): a topic's rank
/// within it. DuckDB reads it as a MAP (`rank_by_topic['ai']`), Spark as a `MapType`.
fn topic_ranks() -> DataType {
    let entries = Fields::from(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("value", DataType::UInt32, true),
    ]);
    DataType::Map(
        Arc::new(Field::new("entries", DataType::Struct(entries), false)),
        false,
    )
}

fn timestamp() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// The table's schema: every column nullable (an author may lack any of them).
pub(crate) fn author_schema() -> SchemaRef {
    let fields: Vec<Field> = AUTHOR_COLUMNS
        .iter()
        .map(|&name| {
            let kind = match name {
                "followers_count" | "following_count" | "tweet_count" | "listed_count" => {
                    DataType::Int64
                }
                "created_at" | "last_refresh_at" => timestamp(),
                "score" | "activity" | "quality" | "relevance" => DataType::Float64,
                "topic_tags" => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
                "rank_global" => DataType::UInt32,
                "rank_by_topic" => topic_ranks(),
                _ => DataType::Utf8,
            };
            Field::new(name, kind, true)
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// One batch of rows being built, a builder per column.
struct AuthorColumns {
    text: [StringBuilder; 10],
    counts: [Int64Builder; 4],
    times: [TimestampMillisecondBuilder; 2],
    scores: [Float64Builder; 4],
    topics: ListBuilder<StringBuilder>,
    rank: UInt32Builder,
    topic_ranks: MapBuilder<StringBuilder, UInt32Builder>,
    rows: usize,
}

/// Positions in `AuthorColumns::text`.
const ID: usize = 0;
const HANDLE: usize = 1;
const NAME: usize = 2;
const VERIFIED: usize = 3;
const SCORE_STATE: usize = 4;
const SCORE_VERSION: usize = 5;
const STATUS: usize = 6;
const LANG: usize = 7;

impl AuthorColumns {
    fn new() -> AuthorColumns {
        let time = || TimestampMillisecondBuilder::new().with_timezone("UTC");
        AuthorColumns {
            text: std::array::from_fn(|_| StringBuilder::new()),
            counts: std::array::from_fn(|_| Int64Builder::new()),
            times: [time(), time()],
            scores: std::array::from_fn(|_| Float64Builder::new()),
            topics: ListBuilder::new(StringBuilder::new()),
            rank: UInt32Builder::new(),
            topic_ranks: MapBuilder::new(None, StringBuilder::new(), UInt32Builder::new()),
            rows: 0,
        }
    }

    fn push(&mut self, record: &Record, ranks: &Ranks) {
        let view = record.view();
        let metrics = view.metrics();
        let meta = record.meta();
        let meta_str = |key: &str| meta.and_then(|m| m.get(key)).and_then(Value::as_str);
        let text = |v: Option<&str>| v.map(str::to_string);
        let values = [
            (ID, text(view.id())),
            (HANDLE, text(view.handle())),
            (NAME, text(record.name())),
            (VERIFIED, text(record.verified())),
            (SCORE_STATE, text(meta_str("score_state"))),
            (SCORE_VERSION, text(meta_str("score_version"))),
            (
                STATUS,
                text(
                    meta.and_then(|m| m.get("status"))
                        .and_then(|s| s.get("state"))
                        .and_then(Value::as_str),
                ),
            ),
            (
                LANG,
                text(record.get("lang_primary").and_then(Value::as_str)),
            ),
        ];
        for (at, v) in values {
            self.text[at].append_option(v);
        }
        let count = |v: Option<u64>| v.and_then(|n| i64::try_from(n).ok());
        for (builder, v) in self.counts.iter_mut().zip([
            metrics.followers,
            metrics.following,
            metrics.tweets,
            metrics.listed,
        ]) {
            builder.append_option(count(v));
        }
        self.times[0].append_option(metrics.created_at.map(|t| t.timestamp_millis()));
        self.times[1].append_option(record.last_refresh_at().map(|t| t.timestamp_millis()));
        let component = |k: &str| {
            meta.and_then(|m| m.get("score_components"))
                .and_then(|c| c.get(k))
                .and_then(Value::as_f64)
        };
        for (builder, v) in self.scores.iter_mut().zip([
            view.stored_score().value(),
            component("activity"),
            component("quality"),
            component("relevance"),
        ]) {
            builder.append_option(v);
        }
        match record.get("topic_tags").and_then(Value::as_array) {
            Some(tags) => {
                for t in tags.iter().filter_map(Value::as_str) {
                    self.topics.values().append_value(t);
                }
                self.topics.append(true);
            }
            None => self.topics.append(false),
        }
        let key = record.handle_key();
        self.rank
            .append_option(key.as_deref().and_then(|k| ranks.global(k)));
        // Null for an author not ranked (or without topics), as the JSON export's null.
        match key
            .as_deref()
            .and_then(|k| ranks.by_topic(k))
            .filter(|r| !r.is_empty())
        {
            Some(by_topic) => {
                for (topic, rank) in by_topic {
                    self.topic_ranks.keys().append_value(topic);
                    self.topic_ranks.values().append_value(*rank);
                }
                self.topic_ranks.append(true)
            }
            None => self.topic_ranks.append(false),
        }
        .expect("a map entry has as many keys as values");
        self.rows += 1;
    }

    /// The columns built so far, in [`AUTHOR_COLUMNS`] order; the builders start again empty.
    fn take(&mut self) -> Vec<ArrayRef> {
        self.rows = 0;
        let mut text = |i: usize| Arc::new(self.text[i].finish()) as ArrayRef;
        let (id, handle, name, verified) = (text(ID), text(HANDLE), text(NAME), text(VERIFIED));
        let (state, version, status, lang) = (
            text(SCORE_STATE),
            text(SCORE_VERSION),
            text(STATUS),
            text(LANG),
        );
        let [followers, following, tweets, listed] = self
            .counts
            .each_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef);
        let [score, activity, quality, relevance] = self
            .scores
            .each_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef);
        let [created_at, last_refresh_at] = self
            .times
            .each_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef);
        vec![
            id,
            handle,
            name,
            verified,
            followers,
            following,
            tweets,
            listed,
            created_at,
            score,
            activity,
            quality,
            relevance,
            state,
            version,
            last_refresh_at,
            status,
            lang,
            Arc::new(self.topics.finish()),
            Arc::new(self.rank.finish()),
            Arc::new(self.topic_ranks.finish()),
        ]
    }
}

/// The author table of the JSONL dataset at `path`, as a whole Parquet file, and its rows.
pub(crate) fn authors_parquet(path: &Path) -> Result<(Vec<u8>, u64), ParquetError> {
    let schema = author_schema();
    let ranks = Ranks::of_file(path)?;
    let mut out = ParquetBuffer::new(schema.clone())?;
    let mut columns = AuthorColumns::new();
    for_each_author(path, |record| {
        columns.push(&record, &ranks);
        if columns.rows == BATCH_ROWS {
            out.write(&batch(&schema, columns.take())?)?;
        }
        Ok::<(), ParquetError>(())
    })?;
    if columns.rows > 0 {
        out.write(&batch(&schema, columns.take())?)?;
    }
    out.finish()
}
