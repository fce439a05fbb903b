//! `influx release`, `export --format parquet` and `history export`: what consumers are handed.
//! Files are read back with the parquet crate's own reader (DuckDB: scripts/check-lake-duckdb.sh).

use std::path::Path;

use arrow_array::{Array, ListArray, MapArray, StringArray};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use crate::common::influx_bin;
use influx::pipeline::history::History;
use influx::pipeline::lake::export_history;

/// A data directory whose one version holds `n` scored generated authors, the first two of
/// them excluded by the admission rules and the third with no language.
fn dataset(dir: &Path, n: u64) {
    let run = |args: &[&str]| {
        let out = influx_bin().args(args).current_dir(dir).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["gen", "--count", &n.to_string(), "--out", "batch.jsonl"]);
    run(&["score", "batch.jsonl", "--out", "scored.jsonl", "--json"]);
    let text = std::fs::read_to_string(dir.join("scored.jsonl")).unwrap();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut v: Value = serde_json::from_str(line).unwrap();
            if i < 2 {
                v["meta"]["admission"] = serde_json::json!({
                    "decision": "excluded", "reasons": [{"rule": "org", "matched": "inc"}],
                    "rules": "test"});
            }
            if i == 2 {
                v.as_object_mut().unwrap().remove("lang_primary");
            }
            v.to_string()
        })
        .collect();
    std::fs::write(dir.join("scored.jsonl"), lines.join("\n") + "\n").unwrap();
    // A record without lang_primary breaks the schema: merged as flagged, on purpose.
    run(&[
        "merge",
        "--data",
        "d",
        "scored.jsonl",
        "--allow-flagged",
        "--json",
    ]);
}

fn release(dir: &Path, extra: &[&str]) -> std::process::Output {
    influx_bin()
        .args(["release", "--data", "d", "--json"])
        .args(extra)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn batches(path: &Path) -> Vec<arrow_array::RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_release_holds_the_admitted_authors_counts_the_excluded_and_checks_whole() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path(), 30);
    let out = release(dir.path(), &["--allow", "unverifiable"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let current = dir.path().join("d/release/current");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(current.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["count"], 28);
    assert_eq!(manifest["release"], 1);
    assert_eq!(manifest["excluded"]["by_reason"]["org"], 2);
    assert_eq!(manifest["excluded"]["by_decision"]["excluded"], 2);
    assert_eq!(manifest["schema_version"], "1.1.0");
    assert!(manifest["rules_version"].is_string() && manifest["score_version"].is_string());
    let names: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "influx-latest.jsonl",
            "influx-latest.jsonl.gz",
            "influx-latest.parquet"
        ]
    );
    let text = std::fs::read_to_string(current.join("influx-latest.jsonl")).unwrap();
    assert_eq!(text.lines().count(), 28);
    assert!(!text.contains("\"excluded\""));

    let check = influx_bin()
        .args(["release", "--check", "d/release", "--json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

#[test]
fn a_failed_gate_publishes_nothing_exits_1_and_names_the_records() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path(), 5);
    // Generated records claim an API answer that no run of this directory holds.
    let out = release(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unverifiable") && stderr.contains("gen_1_2"),
        "{stderr}"
    );
    let release_dir = dir.path().join("d/release");
    assert!(!release_dir.join("current").exists());
    let left: Vec<_> = std::fs::read_dir(&release_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n != ".lock")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn the_same_version_gives_byte_identical_data_files_and_a_second_release_keeps_the_first() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path(), 12);
    assert!(
        release(dir.path(), &["--allow", "unverifiable", "--out", "a"])
            .status
            .success()
    );
    assert!(
        release(dir.path(), &["--allow", "unverifiable", "--out", "b"])
            .status
            .success()
    );
    for name in [
        "influx-latest.jsonl",
        "influx-latest.jsonl.gz",
        "influx-latest.parquet",
    ] {
        let a = std::fs::read(dir.path().join("a/current").join(name)).unwrap();
        let b = std::fs::read(dir.path().join("b/current").join(name)).unwrap();
        assert!(a == b, "{name} differs between two releases of one version");
    }
    // Unchanged data is not published again.
    let again = release(dir.path(), &["--allow", "unverifiable", "--out", "a"]);
    let v: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(v["published"], false);
    assert_eq!(v["release"], 1);
}

#[test]
fn a_file_that_differs_from_the_manifest_fails_the_check_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path(), 6);
    assert!(
        release(dir.path(), &["--allow", "unverifiable"])
            .status
            .success()
    );
    let gz = dir.path().join("d/release/current/influx-latest.jsonl.gz");
    let mut bytes = std::fs::read(&gz).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&gz, bytes).unwrap();
    let check = influx_bin()
        .args(["release", "--check", "d/release/current", "--json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&check.stdout).unwrap();
    let said = v["differences"].to_string();
    assert!(said.contains("influx-latest.jsonl.gz: sha256"), "{said}");
}

#[test]
fn the_release_parquet_has_typed_columns_and_nulls_where_a_value_is_absent() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path(), 8);
    assert!(
        release(dir.path(), &["--allow", "unverifiable"])
            .status
            .success()
    );
    let released = dir.path().join("d/release/current/influx-latest.parquet");
    let exported = dir.path().join("all.parquet");
    let out = influx_bin()
        .args([
            "export",
            "--data",
            "d",
            "--format",
            "parquet",
            "--out",
            "all.parquet",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        batches(&exported)
            .iter()
            .map(|b| b.num_rows())
            .sum::<usize>(),
        8
    );

    let batches = batches(&released);
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 6);
    let schema = batches[0].schema();
    let kind = |name: &str| schema.field_with_name(name).unwrap().data_type().clone();
    assert_eq!(kind("followers_count"), DataType::Int64);
    assert_eq!(kind("score"), DataType::Float64);
    assert_eq!(
        kind("created_at"),
        DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
    );
    assert!(matches!(kind("topic_tags"), DataType::List(_)));
    let lang = batches[0].column_by_name("lang_primary").unwrap();
    assert!(
        lang.is_null(0),
        "the author without a language has a null, not a text"
    );
    assert!(!lang.is_null(1));
    assert_eq!(batches[0].column_by_name("score").unwrap().null_count(), 0);

    // The rank within each topic, as a map of topic to rank, over the author's own topics.
    assert!(matches!(kind("rank_by_topic"), DataType::Map(..)));
    let mut ranked_in_topics = 0;
    for b in &batches {
        let ranks = b.column_by_name("rank_by_topic").unwrap();
        let ranks = ranks.as_any().downcast_ref::<MapArray>().unwrap();
        let tags = b.column_by_name("topic_tags").unwrap();
        let tags = tags.as_any().downcast_ref::<ListArray>().unwrap();
        for row in 0..b.num_rows() {
            if ranks.is_null(row) {
                continue;
            }
            let topics = ranks.value(row);
            let keys = topics
                .column(0)
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap();
            let own = tags.value(row);
            let own = own.as_any().downcast_ref::<StringArray>().unwrap();
            let own: Vec<&str> = own.iter().flatten().collect();
            for topic in keys.iter().flatten() {
                assert!(own.contains(&topic), "{topic} is one of {own:?}");
            }
            ranked_in_topics += 1;
        }
    }
    assert!(
        ranked_in_topics > 0,
        "some released author is ranked in a topic"
    );
}

/// A history of 40 authors over 4 weeks in `dir`, exported once to `dir/lake`: the history's
/// file, the lake, the open history and what the first export did.
fn lake_of_four_weeks(
    dir: &Path,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    History,
    influx::pipeline::lake::LakeOutcome,
) {
    let db = dir.join("history.sqlite");
    let lake = dir.join("lake");
    let mut history = History::open_file(&db).unwrap();
    history
        .insert_all(influx::generate::history(1, 0, 40, 4))
        .unwrap();
    let first = export_history(&db, &lake, None).unwrap();
    (db, lake, history, first)
}

#[test]
fn the_lake_holds_a_file_per_iso_week_and_writes_only_the_weeks_that_changed() {
    let dir = tempfile::tempdir().unwrap();
    let (db, lake, mut history, first) = lake_of_four_weeks(dir.path());
    assert_eq!(first.weeks_written.len(), 4);
    assert_eq!(first.snapshots_written, 160);
    assert!(first.authors_written);
    for week in &first.weeks_written {
        assert!(week.len() == 8 && week.as_bytes()[4..6] == *b"-W", "{week}");
        let file = lake.join(format!("snapshots/week={week}/part-0.parquet"));
        let rows = batches(&file);
        assert_eq!(rows.iter().map(|b| b.num_rows()).sum::<usize>(), 40);
        let score = rows[0].column_by_name("score").unwrap();
        assert_eq!(
            score.null_count(),
            40,
            "the history has no score: nulls, never 0"
        );
    }
    let authors = batches(&lake.join("authors/part-0.parquet"));
    assert_eq!(authors.iter().map(|b| b.num_rows()).sum::<usize>(), 40);

    let again = export_history(&db, &lake, None).unwrap();
    assert!(again.weeks_written.is_empty() && !again.authors_written);
    assert_eq!(again.weeks_unchanged, 4);

    // Five weeks of the same authors: the newest is new, the four others unchanged.
    history
        .insert_all(influx::generate::history(1, 0, 40, 5))
        .unwrap();
    let grown = export_history(&db, &lake, None).unwrap();
    assert_eq!(grown.weeks_written.len(), 1, "{grown:?}");
    assert!(grown.weeks_written[0] < first.weeks_written[0]);
    assert_eq!(grown.weeks_unchanged, 4);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(lake.join("_influx_manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["files"].as_object().unwrap().len(), 6);
}

#[test]
fn a_week_that_gained_snapshots_while_exports_looked_only_at_later_weeks_is_written_by_the_next_export_that_looks()
 {
    let dir = tempfile::tempdir().unwrap();
    let (db, lake, mut history, first) = lake_of_four_weeks(dir.path());
    let oldest = first.weeks_written[0].clone();
    let newest = first.weeks_written[3].clone();

    // Ten authors join the oldest week only (a late backfill of an old harvest).
    let late: Vec<_> = influx::generate::history(1, 100, 10, 4).collect();
    let oldest_ms = late.iter().map(|s| s.fetched_unix_ms).min().unwrap();
    history
        .insert_all(late.into_iter().filter(|s| s.fetched_unix_ms == oldest_ms))
        .unwrap();

    // An export of the newest week alone has nothing to write...
    let newest_start = chrono::DateTime::from_timestamp_millis(
        influx::generate::history(1, 0, 1, 4)
            .map(|s| s.fetched_unix_ms)
            .max()
            .unwrap(),
    )
    .unwrap()
        - chrono::TimeDelta::days(1);
    let recent = export_history(&db, &lake, Some(newest_start)).unwrap();
    assert!(recent.weeks_written.is_empty(), "{recent:?}");
    assert!(!recent.weeks_written.contains(&newest));

    // ...and the next export that looks at the oldest week finds the ten, though the history
    // has not changed since the export before it.
    let whole = export_history(&db, &lake, None).unwrap();
    assert_eq!(whole.weeks_written, vec![oldest.clone()], "{whole:?}");
    assert_eq!(whole.snapshots_written, 50);
    let file = lake.join(format!("snapshots/week={oldest}/part-0.parquet"));
    assert_eq!(
        batches(&file).iter().map(|b| b.num_rows()).sum::<usize>(),
        50
    );
    let again = export_history(&db, &lake, None).unwrap();
    assert!(again.weeks_written.is_empty() && again.weeks_unchanged == 4);
}

/// One snapshot as both the lake and the history hold it.
#[derive(Debug, PartialEq)]
struct SnapshotRow {
    id: String,
    handle: Option<String>,
    fetched_unix_ms: i64,
    counts: [Option<i64>; 4],
    score: Option<f64>,
    score_state: Option<String>,
    score_version: Option<String>,
    version: i64,
    run: Option<String>,
    response_line: Option<i64>,
}

/// Every snapshot of the lake's weeks, read back with the `parquet` crate.
fn lake_rows(lake: &Path) -> Vec<SnapshotRow> {
    use arrow_array::{Float64Array, Int64Array, TimestampMillisecondArray};
    let mut rows = Vec::new();
    for week in std::fs::read_dir(lake.join("snapshots")).unwrap() {
        for batch in batches(&week.unwrap().path().join("part-0.parquet")) {
            let column = |name: &str| batch.column_by_name(name).unwrap().clone();
            let text = |name: &str, i: usize| {
                let c = column(name);
                let c = c.as_any().downcast_ref::<StringArray>().unwrap();
                (!c.is_null(i)).then(|| c.value(i).to_string())
            };
            let int = |name: &str, i: usize| {
                let c = column(name);
                let c = c.as_any().downcast_ref::<Int64Array>().unwrap();
                (!c.is_null(i)).then(|| c.value(i))
            };
            let fetched = column("fetched_at");
            let fetched = fetched
                .as_any()
                .downcast_ref::<TimestampMillisecondArray>()
                .unwrap();
            let score = column("score");
            let score = score.as_any().downcast_ref::<Float64Array>().unwrap();
            for i in 0..batch.num_rows() {
                rows.push(SnapshotRow {
                    id: text("id", i).unwrap(),
                    handle: text("handle", i),
                    fetched_unix_ms: fetched.value(i),
                    counts: [
                        "followers_count",
                        "following_count",
                        "tweet_count",
                        "listed_count",
                    ]
                    .map(|c| int(c, i)),
                    score: (!score.is_null(i)).then(|| score.value(i)),
                    score_state: text("score_state", i),
                    score_version: text("score_version", i),
                    version: int("version", i).unwrap(),
                    run: text("run", i),
                    response_line: int("response_line", i),
                });
            }
        }
    }
    rows.sort_by(|a, b| (&a.id, a.fetched_unix_ms).cmp(&(&b.id, b.fetched_unix_ms)));
    rows
}

/// Every snapshot of the SQLite history, read with SQL.
fn history_rows(db: &Path) -> Vec<SnapshotRow> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT author_id, handle, fetched_unix_ms, followers_count, following_count,
                    tweet_count, listed_count, score, score_state, score_version, version, run,
                    response_line
             FROM snapshots ORDER BY author_id, fetched_unix_ms",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok(SnapshotRow {
            id: r.get(0)?,
            handle: r.get(1)?,
            fetched_unix_ms: r.get(2)?,
            counts: [r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?],
            score: r.get(7)?,
            score_state: r.get(8)?,
            score_version: r.get(9)?,
            version: r.get(10)?,
            run: r.get(11)?,
            response_line: r.get(12)?,
        })
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn the_lake_read_back_with_the_parquet_crate_equals_the_sqlite_history_row_for_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    let lake = dir.path().join("lake");
    // Snapshots with every kind of value and absence: scored and not, counts missing, answers
    // named by their run and line or by nothing.
    let snapshots = influx::generate::history(3, 0, 30, 5)
        .enumerate()
        .map(|(i, mut s)| {
            if i % 3 == 0 {
                s.score = Some(i as f64 / 7.0);
                s.score_state = Some("scored".into());
                s.score_version = Some("m2-test".into());
            }
            if i % 4 == 0 {
                s.followers_count = None;
                s.listed_count = None;
            }
            if i % 5 == 0 {
                s.run = Some(format!("runs/2026110{}T120000.000Z", i % 2));
                s.response_line = Some(i as u64);
            }
            s
        });
    History::open_file(&db)
        .unwrap()
        .insert_all(snapshots)
        .unwrap();
    let exported = export_history(&db, &lake, None).unwrap();
    assert_eq!(exported.snapshots_written, 150);

    let from_sqlite = history_rows(&db);
    assert_eq!(from_sqlite.len(), 150);
    assert!(
        from_sqlite.iter().any(|r| r.score.is_some())
            && from_sqlite.iter().any(|r| r.counts[0].is_none())
    );
    assert_eq!(lake_rows(&lake), from_sqlite);
}
