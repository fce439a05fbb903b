//! `influx merge` and `influx rollback`: the specification of what a merge keeps, what it
//! changes, what it refuses, and what a rollback restores.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use influx::dataset::{Record, read_dataset};
use influx::pipeline::merge::{self, MergeOptions, manifest::Manifest};
use influx::pipeline::{placeholders, schema};
use serde_json::{Value, json};

const FIXTURE: &str = "tests/fixtures/latest-2025-11-14.jsonl";

fn influx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_influx"))
        .args(args)
        .output()
        .expect("the influx binary runs")
}

fn write_jsonl(dir: &Path, name: &str, records: &[Value]) -> PathBuf {
    let path = dir.join(name);
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path
}

fn author(id: &str, handle: &str, fetched_at: &str, extra: Value) -> Value {
    let mut r = json!({
        "id": id, "handle": handle, "name": handle, "verified": "none",
        "followers_count": 1000, "is_org": false, "is_official": false, "lang_primary": "en",
        "topic_tags": ["ai"],
        "meta": {"score": 10.0, "last_refresh_at": fetched_at,
                 "sources": [{"method": "x_api_v2", "fetched_at": fetched_at, "evidence": "test"}],
                 "provenance_hash": "0".repeat(64), "entry_threshold_passed": true, "quality_score": 0.5}
    });
    if let (Value::Object(r), Value::Object(extra)) = (&mut r, extra) {
        r.extend(extra);
    }
    r
}

fn manifest(data: &Path) -> Manifest {
    Manifest::read(&data.join("latest/manifest.json")).unwrap()
}

fn stored(data: &Path) -> Vec<Record> {
    read_dataset(&data.join("latest/latest.jsonl"))
        .unwrap()
        .require_complete(Path::new("latest.jsonl"))
        .unwrap()
        .records
}

fn by_handle<'a>(records: &'a [Record], handle: &str) -> &'a Record {
    records
        .iter()
        .find(|r| r.handle() == Some(handle))
        .unwrap_or_else(|| panic!("{handle} is stored"))
}

/// Everything an outside observer can see of a dataset directory.
fn snapshot(data: &Path) -> (Option<PathBuf>, Vec<String>, Option<String>) {
    let link = std::fs::read_link(data.join("latest")).ok();
    let mut versions: Vec<String> = std::fs::read_dir(data.join("versions"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    let sha = merge::sha256_of(&data.join("latest/latest.jsonl")).ok();
    (link, versions, sha)
}

fn merge_lib(data: &Path, batches: &[PathBuf], allow_flagged: bool) -> merge::MergePlan {
    let plan = merge::plan(data, batches, &MergeOptions { allow_flagged }).unwrap();
    merge::apply(data, &plan).unwrap();
    plan
}

#[test]
fn merging_the_real_fixture_into_an_empty_dir_yields_319_authors_and_reports_conflicts() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = influx(&[
        "merge",
        FIXTURE,
        "--data",
        data.to_str().unwrap(),
        "--allow-flagged",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let plan = &lines[0];
    assert_eq!(plan["event"], "plan");
    assert_eq!(plan["count_after"], 319);
    assert_eq!(plan["added"], 319);
    assert!(plan["conflicts"].as_u64().unwrap() > 100, "{plan}");
    let conflicts: Vec<&Value> = lines.iter().filter(|l| l["event"] == "conflict").collect();
    assert_eq!(conflicts.len() as u64, plan["conflicts"].as_u64().unwrap());
    // The handle with four follower counts in the README: every copy is named in its conflict.
    assert!(
        conflicts
            .iter()
            .any(|c| c["conflict"]["field"] == "followers_count"
                && c["conflict"]["values"].as_array().unwrap().len() >= 4),
        "a handle with 4+ copies reports them all"
    );
    assert_eq!(lines.last().unwrap()["event"], "merged");

    let m = manifest(&data);
    assert_eq!(m.count, 319);
    let records = stored(&data);
    assert_eq!(records.len(), 319);
    let mut handles: Vec<String> = records.iter().filter_map(Record::handle_key).collect();
    handles.sort();
    handles.dedup();
    assert_eq!(handles.len(), 319, "one record per handle");
    assert_eq!(
        merge::sha256_of(&data.join("latest/latest.jsonl")).unwrap(),
        m.sha256
    );
    assert!(
        std::fs::read_link(data.join("latest"))
            .unwrap()
            .is_relative(),
        "latest is a relative link, so the directory can be moved"
    );
}

#[test]
fn merging_the_real_fixture_is_blocked_exactly_when_its_records_are_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let fixture = read_dataset(Path::new(FIXTURE)).unwrap();
    let flagged = fixture.records.iter().any(|r| {
        !placeholders::record_flags(r).is_empty()
            || !schema::violations(&r.to_canonical()).is_empty()
    });
    let out = influx(&["merge", FIXTURE, "--data", data.to_str().unwrap()]);
    if flagged {
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(
            !data.join("latest").exists(),
            "a blocked merge writes nothing"
        );
    } else {
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        assert_eq!(manifest(&data).count, 319);
    }
}

#[test]
fn re_merging_the_same_batch_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let batch = PathBuf::from(FIXTURE);
    merge_lib(&data, std::slice::from_ref(&batch), true);
    let before = snapshot(&data);
    let again = merge::plan(
        &data,
        &[batch],
        &MergeOptions {
            allow_flagged: true,
        },
    )
    .unwrap();
    assert!(again.added.is_empty());
    assert!(
        again.updated.is_empty(),
        "{:?}",
        &again.updated[..3.min(again.updated.len())]
    );
    assert_eq!(again.unchanged, 319);
    assert!(again.changes_nothing());
    let outcome = merge::apply(&data, &again).unwrap();
    assert!(!outcome.written);
    assert_eq!(
        snapshot(&data),
        before,
        "no new version, same link, same bytes"
    );
}

#[test]
fn the_newest_fetched_at_wins_field_by_field_and_every_conflict_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let stored_batch = write_jsonl(
        tmp.path(),
        "stored.jsonl",
        &[author(
            "1",
            "Alice",
            "2025-06-01T00:00:00Z",
            json!({"followers_count": 100, "name": "Alice Stored"}),
        )],
    );
    merge_lib(&data, &[stored_batch], false);

    let newer = write_jsonl(
        tmp.path(),
        "newer.jsonl",
        &[author(
            "1",
            "alice",
            "2025-07-01T00:00:00Z",
            json!({"followers_count": 200, "name": "Alice Stored"}),
        )],
    );
    let older = write_jsonl(
        tmp.path(),
        "older.jsonl",
        &[author(
            "1",
            "ALICE",
            "2025-01-01T00:00:00Z",
            json!({"followers_count": 50, "name": "Alice Old", "lang_primary": "de"}),
        )],
    );
    let plan = merge_lib(&data, &[newer, older], false);
    assert_eq!(plan.updated.len(), 1);
    assert!(plan.added.is_empty(), "same author in any letter case");

    let records = stored(&data);
    assert_eq!(records.len(), 1);
    let alice = &records[0];
    assert_eq!(alice.handle(), Some("alice"), "the newest copy's spelling");
    assert_eq!(alice.get("followers_count"), Some(&json!(200)));
    assert_eq!(alice.get("name"), Some(&json!("Alice Stored")));
    assert_eq!(alice.get("lang_primary"), Some(&json!("en")));
    assert_eq!(alice.sources().len(), 3, "all evidence is kept");

    let field = |f: &str| plan.conflicts.iter().find(|c| c.field == f).unwrap();
    let followers = field("followers_count");
    assert_eq!(followers.old, Some(json!(100)));
    assert_eq!(followers.new, json!(200));
    assert!(followers.won.path.ends_with("newer.jsonl"));
    assert!(
        followers.why.contains("newest evidence"),
        "{}",
        followers.why
    );
    assert_eq!(followers.values.len(), 3);
    assert_eq!(field("name").new, json!("Alice Stored"));
    assert_eq!(field("lang_primary").new, json!("en"));
}

#[test]
fn no_stored_record_is_lost_and_unknown_fields_survive_a_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let first: Vec<Value> = (0..50)
        .map(|i| {
            author(
                &format!("{}", 1000 + i),
                &format!("user{i}"),
                "2025-05-01T00:00:00Z",
                json!({"zz_custom": {"kept": i}}),
            )
        })
        .collect();
    let first_path = write_jsonl(tmp.path(), "first.jsonl", &first);
    merge_lib(&data, &[first_path], false);

    // A batch that knows only some of them, plus new authors, and lacks the custom field.
    let second: Vec<Value> = (40..70)
        .map(|i| {
            author(
                &format!("{}", 1000 + i),
                &format!("user{i}"),
                "2025-09-01T00:00:00Z",
                json!({"followers_count": 5000}),
            )
        })
        .collect();
    let second_path = write_jsonl(tmp.path(), "second.jsonl", &second);
    let plan = merge_lib(&data, &[second_path], false);
    assert_eq!((plan.added.len(), plan.updated.len()), (20, 10));

    let records = stored(&data);
    assert_eq!(records.len(), 70);
    for i in 0..50 {
        let r = by_handle(&records, &format!("user{i}"));
        assert_eq!(r.get("zz_custom"), Some(&json!({"kept": i})), "user{i}");
    }
    assert_eq!(
        by_handle(&records, "user45").get("followers_count"),
        Some(&json!(5000))
    );
    assert_eq!(manifest(&data).count, 70);
}

#[test]
fn a_blocked_merge_writes_nothing_and_an_allowed_one_is_recorded_in_the_history() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let good = write_jsonl(
        tmp.path(),
        "good.jsonl",
        &[author("7", "good", "2025-05-01T00:00:00Z", json!({}))],
    );
    merge_lib(&data, &[good], false);
    let before = snapshot(&data);

    // A record that names no author at all can never be matched: it blocks today, and stays
    // blocked once schema validation lands (the schema requires id and handle).
    let unmatched = json!({"name": "nobody", "followers_count": 3});
    let bad = write_jsonl(
        tmp.path(),
        "bad.jsonl",
        &[
            author("8", "fine", "2025-05-01T00:00:00Z", json!({})),
            unmatched,
        ],
    );
    let out = influx(&[
        "merge",
        bad.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"event\":\"blocked\""), "{stdout}");
    assert!(
        stdout.contains("bad.jsonl") && stdout.contains("\"line\":2"),
        "{stdout}"
    );
    assert_eq!(snapshot(&data), before, "nothing written");

    let out = influx(&[
        "merge",
        bad.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--allow-flagged",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let m = manifest(&data);
    assert_eq!(m.count, 3);
    let last = serde_json::to_value(m.history.last().unwrap()).unwrap();
    assert_eq!(last["action"], "merge");
    assert_eq!(last["flagged_override"]["records"], 1);
    assert!(last["flagged_override"]["by"].is_string());
    assert!(last["flagged_override"]["timestamp"].is_string());
}

#[test]
fn a_dry_run_shows_the_plan_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = influx(&[
        "merge",
        FIXTURE,
        "--data",
        data.to_str().unwrap(),
        "--allow-flagged",
        "--dry-run",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"count_after\":319"));
    assert!(!data.join("latest").exists());
}

#[test]
fn rollback_restores_the_previous_sha_and_is_recorded_in_the_history() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    merge_lib(&data, &[PathBuf::from(FIXTURE)], true);
    let first = manifest(&data);
    let batch = write_jsonl(
        tmp.path(),
        "more.jsonl",
        &[author("99", "newcomer", "2025-12-01T00:00:00Z", json!({}))],
    );
    merge_lib(&data, &[batch], false);
    let second = manifest(&data);
    assert_ne!(second.sha256, first.sha256);
    assert_eq!(second.count, 320);

    let out = influx(&["rollback", "--data", data.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let restored = manifest(&data);
    assert_eq!(restored.sha256, first.sha256);
    assert_eq!(restored.count, 319);
    assert_eq!(
        merge::sha256_of(&data.join("latest/latest.jsonl")).unwrap(),
        first.sha256
    );
    let last = serde_json::to_value(restored.history.last().unwrap()).unwrap();
    assert_eq!(last["action"], "rollback");
    assert_eq!(last["from_version"], second.version);
    assert_eq!(last["restored_version"], first.version);

    let status = merge::status(&data).unwrap();
    assert_eq!(status.current.unwrap().version, restored.version);
    assert_eq!(
        status.rollback_available, None,
        "the first merge has nothing before it"
    );
    let out = influx(&["rollback", "--data", data.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "nothing left to roll back: {out:?}"
    );
}

#[test]
fn rollback_of_an_empty_dir_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = influx(&[
        "rollback",
        "--data",
        tmp.path().join("data").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn broken_input_exits_2_names_the_file_and_line_and_leaves_the_dataset_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    merge_lib(&data, &[PathBuf::from(FIXTURE)], true);
    let before = snapshot(&data);

    let good_line = author("5", "someone", "2025-12-01T00:00:00Z", json!({})).to_string();
    let truncated = tmp.path().join("truncated.jsonl");
    std::fs::write(&truncated, format!("{good_line}\n{}\n", &good_line[..40])).unwrap();
    let binary = tmp.path().join("binary.jsonl");
    std::fs::write(
        &binary,
        [0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00, 0x9c, b'\n', 0x80],
    )
    .unwrap();
    let empty = tmp.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let missing = tmp.path().join("missing.jsonl");

    let cases: [(&Path, &str); 4] = [
        (&truncated, "truncated.jsonl:2"),
        (&binary, "binary.jsonl:1"),
        (&empty, "empty.jsonl"),
        (&missing, "missing.jsonl"),
    ];
    for (input, named) in cases {
        let out = influx(&[
            "merge",
            input.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{named}: {out:?}");
        let said: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .filter(|v: &Value| v["event"] == "unreadable")
            .collect();
        assert!(!said.is_empty(), "{named}: {out:?}");
        let input = &said[0]["input"];
        let (file, line) = named.split_once(':').unwrap_or((named, ""));
        assert!(input["path"].as_str().unwrap().ends_with(file), "{input}");
        if !line.is_empty() {
            assert_eq!(input["line"].to_string(), line, "{input}");
        }
        assert_eq!(snapshot(&data), before, "{named}: the dataset is untouched");
    }
}
