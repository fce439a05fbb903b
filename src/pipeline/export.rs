//! The stored dataset for analysts: one row per author with the fields a spreadsheet needs
//! (metrics read through the one metrics rule, the score and its components as columns), as
//! CSV or as flat JSON lines. Nested fields are named by their path (`score_components.quality`).

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value};

use crate::dataset::{
    AuthorView, DatasetError, Lines, Metrics, Record, UnreadableRow, for_each_author, parse_line,
};
use crate::pipeline::ranks::Ranks;

/// The columns written when `--fields` is not given, in order.
pub(crate) const DEFAULT_FIELDS: [&str; 21] = [
    "handle",
    "id",
    "name",
    "verified",
    "followers_count",
    "following_count",
    "tweet_count",
    "listed_count",
    "created_at",
    "score",
    // A legacy score of 0 may mean "never scored": the state says which.
    "score_state",
    "activity",
    "quality",
    "relevance",
    "score_version",
    "last_refresh_at",
    "status",
    "lang_primary",
    "topic_tags",
    "rank_global",
    "rank_by_topic",
];

/// Columns that are not a field of the record as stored but computed from it (or read from a
/// place of their own in it): always known, whatever the version holds.
const COMPUTED: [&str; 16] = [
    "handle",
    "status",
    "score_state",
    "followers_count",
    "following_count",
    "tweet_count",
    "listed_count",
    "created_at",
    "score",
    "activity",
    "quality",
    "relevance",
    "score_version",
    "last_refresh_at",
    "rank_global",
    "rank_by_topic",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    Jsonl,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ExportError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("{path}: {reason}")]
    Line { path: String, reason: String },
    #[error("cannot write the export: {0}")]
    Write(std::io::Error),
    #[error("unknown field {0:?}: give computed columns ({computed}) or a record field such as name, description or meta.sources", computed = COMPUTED.join(", "))]
    UnknownField(String),
    #[error("unknown field {field:?}: not a computed column and no record of {path} holds it (computed columns: {computed})", computed = COMPUTED.join(", "))]
    Absent { field: String, path: String },
}

/// A record read once for all its columns (read again for each column, the export of 1M
/// authors took nearly twice as long).
struct RowSource<'r> {
    record: &'r Record,
    view: AuthorView<'r>,
    metrics: Metrics,
    meta: Option<&'r Map<String, Value>>,
    key: Option<String>,
}

/// One record's column values in the order of `fields`; `ranks` are the version's (see `ranks`).
fn row(record: &Record, fields: &[String], ranks: &Ranks) -> Vec<Value> {
    let view = record.view();
    let source = RowSource {
        record,
        metrics: view.metrics(),
        view,
        meta: record.meta(),
        key: record.handle_key(),
    };
    fields.iter().map(|f| source.column(f, ranks)).collect()
}

impl RowSource<'_> {
    /// One column's value, read from the record's view and metrics.
    fn column(&self, field: &str, ranks: &Ranks) -> Value {
        let RowSource {
            record,
            view,
            metrics,
            meta,
            key,
        } = self;
        let (record, meta, key) = (*record, *meta, key.as_deref());
        let component = |k: &str| {
            meta.and_then(|m| m.get("score_components"))
                .and_then(|c| c.get(k))
                .cloned()
                .unwrap_or(Value::Null)
        };
        let count = |v: Option<u64>| v.map_or(Value::Null, Value::from);
        match field {
            "handle" => view.handle().map_or(Value::Null, Value::from),
            "followers_count" => count(metrics.followers),
            "following_count" => count(metrics.following),
            "tweet_count" => count(metrics.tweets),
            "listed_count" => count(metrics.listed),
            "created_at" => metrics
                .created_at
                .map_or(Value::Null, |t| Value::from(crate::dataset::format_time(t))),
            "score" => view.stored_score().value().map_or(Value::Null, Value::from),
            "activity" | "quality" | "relevance" => component(field),
            "score_state" => meta
                .and_then(|m| m.get("score_state"))
                .cloned()
                .unwrap_or(Value::Null),
            "score_version" => meta
                .and_then(|m| m.get("score_version"))
                .cloned()
                .unwrap_or(Value::Null),
            "last_refresh_at" => record
                .last_refresh_at()
                .map_or(Value::Null, |t| Value::from(crate::dataset::format_time(t))),
            "rank_global" => key
                .and_then(|k| ranks.global(k))
                .map_or(Value::Null, Value::from),
            "rank_by_topic" => key
                .and_then(|k| ranks.by_topic(k))
                .filter(|r| !r.is_empty())
                .map_or(Value::Null, |r| {
                    Value::Object(
                        r.iter()
                            .map(|(t, n)| (t.clone(), Value::from(*n)))
                            .collect(),
                    )
                }),
            "status" => meta
                .and_then(|m| m.get("status"))
                .and_then(|s| s.get("state"))
                .cloned()
                .unwrap_or(Value::Null),
            path => at_path(record, path).cloned().unwrap_or(Value::Null),
        }
    }
}

/// The value at a dotted path of the record as stored (`meta.sources`), if it is there.
fn at_path<'r>(record: &'r Record, path: &str) -> Option<&'r Value> {
    let mut parts = path.split('.');
    let mut at = record.fields().get(parts.next()?)?;
    for part in parts {
        at = at.get(part)?;
    }
    Some(at)
}

/// Fails on the first field that is neither computed nor present in any record of `latest`:
/// a misspelt path would otherwise be an empty column. One reading, ended as soon as every
/// field has been seen.
fn check_present(latest: &Path, fields: &[String]) -> Result<(), ExportError> {
    let mut unseen: Vec<&String> = fields
        .iter()
        .filter(|f| !COMPUTED.contains(&f.as_str()))
        .collect();
    if unseen.is_empty() {
        return Ok(());
    }
    for item in Lines::open(latest)? {
        let (n, text) = item?;
        // Unreadable lines are the export's to report, with their number.
        let Ok(record) = text.and_then(|t| parse_line(n, &t)) else {
            continue;
        };
        unseen.retain(|f| at_path(&record, f).is_none());
        if unseen.is_empty() {
            return Ok(());
        }
    }
    Err(ExportError::Absent {
        field: unseen[0].clone(),
        path: latest.display().to_string(),
    })
}

/// A cell as a spreadsheet reads it: text plain, numbers as written, null empty, arrays and
/// objects as JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Checks the field names: computed columns, or plain names and dotted paths.
pub(crate) fn check_fields(fields: &[String]) -> Result<(), ExportError> {
    for f in fields {
        let plain = !f.is_empty()
            && f.split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if !plain {
            return Err(ExportError::UnknownField(f.clone()));
        }
    }
    Ok(())
}

/// Calls `each` with the column values of every author of `latest` (a handle's first row wins,
/// as in the dataset).
fn for_each_row(
    latest: &Path,
    fields: &[String],
    mut each: impl FnMut(Vec<Value>) -> Result<(), ExportError>,
) -> Result<usize, ExportError> {
    let mut rows = 0;
    // Ranks need the whole version: a first reading, only when a rank is asked for.
    let ranks = if fields.iter().any(|f| f.starts_with("rank_")) {
        Ranks::of_file(latest)?
    } else {
        Ranks::default()
    };
    for_each_author(latest, |record: Record| {
        each(row(&record, fields, &ranks))?;
        rows += 1;
        Ok::<(), ExportError>(())
    })?;
    Ok(rows)
}

impl From<UnreadableRow> for ExportError {
    fn from(u: UnreadableRow) -> ExportError {
        ExportError::Line {
            path: u.path,
            reason: u.reason,
        }
    }
}

/// A failed write, its kind kept: a reader that went away (`| head`) is no failure of the export.
fn write_err(e: impl Into<std::io::Error>) -> ExportError {
    ExportError::Write(e.into())
}

/// A CSV write error with its I/O error unwrapped (csv's own conversion hides the kind).
fn csv_err(e: csv::Error) -> ExportError {
    if !e.is_io_error() {
        return write_err(std::io::Error::other(e));
    }
    match e.into_kind() {
        csv::ErrorKind::Io(io) => write_err(io),
        other => write_err(std::io::Error::other(format!("{other:?}"))),
    }
}

impl ExportError {
    /// The reader of the output closed it before the end (`influx export | head`).
    pub(crate) fn is_broken_pipe(&self) -> bool {
        matches!(self, ExportError::Write(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Writes every author of `latest` to `out`. Returns the rows written.
pub(crate) fn export(
    latest: &Path,
    format: Format,
    fields: &[String],
    out: &mut dyn Write,
) -> Result<usize, ExportError> {
    check_fields(fields)?;
    check_present(latest, fields)?;
    let rows = match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            w.write_record(fields).map_err(csv_err)?;
            let rows = for_each_row(latest, fields, |values| {
                w.write_record(values.iter().map(cell)).map_err(csv_err)
            })?;
            w.flush().map_err(write_err)?;
            rows
        }
        Format::Jsonl => for_each_row(latest, fields, |values| {
            let obj: Map<String, Value> = fields.iter().cloned().zip(values).collect();
            serde_json::to_writer(&mut *out, &obj).map_err(write_err)?;
            out.write_all(b"\n").map_err(write_err)
        })?,
    };
    out.flush().map_err(write_err)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(lines: &[&str]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        for l in lines {
            writeln!(f, "{l}").unwrap();
        }
        f
    }

    const ONE: &str = r#"{"id":"1","handle":"alice","name":"Alice, \"A\"","public_metrics":{"followers_count":10,"following_count":2,"tweet_count":5,"listed_count":1},"meta":{"score":42.5,"score_version":"m2","score_components":{"activity":30.0,"quality":50.0,"relevance":20.0},"last_refresh_at":"2026-11-01T00:00:00Z"}}"#;
    const LEGACY: &str = r#"{"id":"2","handle":"bob","followers_count":7,"meta":{"score":"0.0"}}"#;

    fn fields(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_csv_row_per_author_with_metrics_from_either_layout_and_components_as_columns() {
        let f = dataset(&[ONE, LEGACY, ONE]);
        let mut out = Vec::new();
        let cols = fields(&[
            "handle",
            "name",
            "followers_count",
            "score",
            "quality",
            "status",
        ]);
        let n = export(f.path(), Format::Csv, &cols, &mut out).unwrap();
        assert_eq!(n, 2, "a handle's first row only");
        let text = String::from_utf8(out).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(
            &rows[0],
            &csv::StringRecord::from(vec!["alice", "Alice, \"A\"", "10", "42.5", "50.0", ""])
        );
        assert_eq!(
            &rows[1],
            &csv::StringRecord::from(vec!["bob", "", "7", "0.0", "", ""])
        );
    }

    #[test]
    fn jsonl_keeps_types_and_nulls() {
        let f = dataset(&[ONE, LEGACY]);
        let mut out = Vec::new();
        export(
            f.path(),
            Format::Jsonl,
            &fields(&["handle", "tweet_count", "meta.score_version"]),
            &mut out,
        )
        .unwrap();
        let v: Vec<Value> = out
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(
            v[0],
            serde_json::json!({"handle": "alice", "tweet_count": 5, "meta.score_version": "m2"})
        );
        assert_eq!(
            v[1],
            serde_json::json!({"handle": "bob", "tweet_count": null, "meta.score_version": null})
        );
    }

    #[test]
    fn a_field_no_record_holds_is_an_error_naming_it() {
        let f = dataset(&[ONE]);
        let err = export(
            f.path(),
            Format::Csv,
            &fields(&["handle", "absent"]),
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, ExportError::Absent { field, .. } if field == "absent"),
            "{err}"
        );
    }

    #[test]
    fn a_field_name_that_cannot_be_a_path_is_refused() {
        let f = dataset(&[ONE]);
        let e = export(
            f.path(),
            Format::Csv,
            &fields(&["handle", "a..b"]),
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("unknown field \"a..b\""), "{e}");
    }
}
