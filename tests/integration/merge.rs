//! `influx merge` and `influx rollback`: the specification of what a merge keeps, what it
//! changes, what it refuses, and what a rollback restores.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use influx::dataset::{Record, read_dataset};
use influx::pipeline::checks::{placeholders, schema};
use influx::pipeline::data_dir::DataDir;
use influx::pipeline::merge::{self, MergeOptions, manifest::Manifest};
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

/// Merges through the library. Flagged records are allowed here: these tests pin matching and
/// field resolution, and must not start failing when the placeholder detectors (which may flag
/// hand-made test records) land; blocking has its own tests.
fn merge_lib(data: &Path, batches: &[PathBuf]) -> merge::MergePlan {
    let plan = merge::plan(
        &DataDir::new(data),
        batches,
        &MergeOptions {
            allow_flagged: true,
            ..MergeOptions::default()
        },
    )
    .unwrap();
    merge::apply(&DataDir::new(data), &plan).unwrap();
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
        assert_eq!(out.status.code(), Some(2), "a refused merge: {out:?}");
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
    merge_lib(&data, std::slice::from_ref(&batch));
    let before = snapshot(&data);
    let again = merge::plan(
        &DataDir::new(&data),
        &[batch],
        &MergeOptions {
            allow_flagged: true,
            ..MergeOptions::default()
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
    let outcome = merge::apply(&DataDir::new(&data), &again).unwrap();
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
    merge_lib(&data, &[stored_batch]);

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
    let plan = merge_lib(&data, &[newer, older]);
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
    merge_lib(&data, &[first_path]);

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
    let plan = merge_lib(&data, &[second_path]);
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
    merge_lib(&data, &[good]);
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
    assert_eq!(out.status.code(), Some(2), "a refused merge: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let blocked = stdout
        .lines()
        .filter(|l| l.contains("\"event\":\"blocked\""))
        .count();
    assert!(blocked >= 1, "{stdout}");
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
    assert_eq!(last["flagged_override"]["records"], blocked);
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
    merge_lib(&data, &[PathBuf::from(FIXTURE)]);
    let first = manifest(&data);
    let batch = write_jsonl(
        tmp.path(),
        "more.jsonl",
        &[author("99", "newcomer", "2025-12-01T00:00:00Z", json!({}))],
    );
    merge_lib(&data, &[batch]);
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

    let status = merge::status(&DataDir::new(&data)).unwrap();
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
    merge_lib(&data, &[PathBuf::from(FIXTURE)]);
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

/// Lays out a stored version by hand, as an older tool might have left it (duplicates included).
fn store_by_hand(data: &Path, records: &[Value]) {
    let version = data.join("versions/00000001-by-hand");
    std::fs::create_dir_all(&version).unwrap();
    let file = write_jsonl(&version, "latest.jsonl", records);
    let manifest = json!({"version": 1, "sha256": merge::sha256_of(&file).unwrap(),
        "count": records.len(), "score_version": null, "timestamp": "2025-11-14T00:00:00.000Z",
        "rollback_to": null, "history": []});
    std::fs::write(version.join("manifest.json"), manifest.to_string()).unwrap();
    std::os::unix::fs::symlink("versions/00000001-by-hand", data.join("latest")).unwrap();
}

#[test]
fn duplicate_rows_already_stored_collapse_into_one_record_with_their_conflicts_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    store_by_hand(
        &data,
        &[
            author(
                "1",
                "dup",
                "2025-01-01T00:00:00Z",
                json!({"followers_count": 1}),
            ),
            author("2", "other", "2025-01-01T00:00:00Z", json!({})),
            author(
                "1",
                "DUP",
                "2025-03-01T00:00:00Z",
                json!({"followers_count": 3}),
            ),
        ],
    );
    let batch = write_jsonl(
        tmp.path(),
        "b.jsonl",
        &[author("3", "third", "2025-03-01T00:00:00Z", json!({}))],
    );
    let plan = merge_lib(&data, &[batch]);
    assert_eq!(plan.collapsed.len(), 1);
    assert_eq!(plan.collapsed[0].stored_rows, 2);
    assert!(
        plan.conflicts
            .iter()
            .any(|c| c.field == "followers_count" && c.new == json!(3) && c.old == Some(json!(1)))
    );
    let records = stored(&data);
    let handles: Vec<&str> = records.iter().filter_map(Record::handle).collect();
    assert_eq!(
        handles,
        ["DUP", "other", "third"],
        "the author keeps its first place"
    );
    assert_eq!(manifest(&data).count, 3);
}

#[test]
fn an_id_claimed_by_two_handles_keeps_both_authors_and_reports_the_collision() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let batch = write_jsonl(
        tmp.path(),
        "b.jsonl",
        &[
            author("5943622", "pmarca", "2025-01-01T00:00:00Z", json!({})),
            author("5943622", "sivers", "2025-02-01T00:00:00Z", json!({})),
        ],
    );
    let plan = merge_lib(&data, &[batch]);
    assert_eq!(plan.added, ["pmarca", "sivers"]);
    assert_eq!(plan.id_collisions.len(), 1);
    assert_eq!(plan.id_collisions[0].id, "5943622");
    assert_eq!(plan.id_collisions[0].handles, ["pmarca", "sivers"]);
    assert_eq!(manifest(&data).count, 2);
}

#[test]
fn a_plan_made_before_another_merge_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let a = write_jsonl(
        tmp.path(),
        "a.jsonl",
        &[author("1", "a", "2025-01-01T00:00:00Z", json!({}))],
    );
    let b = write_jsonl(
        tmp.path(),
        "b.jsonl",
        &[author("2", "b", "2025-01-01T00:00:00Z", json!({}))],
    );
    let options = MergeOptions {
        allow_flagged: true,
        ..MergeOptions::default()
    };
    let early = merge::plan(&DataDir::new(&data), &[a], &options).unwrap();
    let late = merge::plan(&DataDir::new(&data), &[b], &options).unwrap();
    merge::apply(&DataDir::new(&data), &late).unwrap();
    let before = snapshot(&data);
    let err = merge::apply(&DataDir::new(&data), &early).unwrap_err();
    assert!(matches!(err, merge::MergeError::Stale { .. }), "{err}");
    let words = err.to_string();
    assert!(
        words.contains("planned on an empty data directory, now 00000001-"),
        "plain words, no Rust in a user message: {words}"
    );
    assert_eq!(snapshot(&data), before);
}

#[test]
fn the_manifest_names_the_score_version_when_every_record_shares_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let scored = |id: &str, h: &str| {
        let mut r = author(id, h, "2025-01-01T00:00:00Z", json!({}));
        r["meta"]["score_version"] = json!("m2-1");
        r
    };
    let first = write_jsonl(tmp.path(), "a.jsonl", &[scored("1", "a"), scored("2", "b")]);
    merge_lib(&data, &[first]);
    assert_eq!(manifest(&data).score_version.as_deref(), Some("m2-1"));
    let unscored = write_jsonl(
        tmp.path(),
        "c.jsonl",
        &[author("3", "c", "2025-01-01T00:00:00Z", json!({}))],
    );
    merge_lib(&data, &[unscored]);
    assert_eq!(manifest(&data).score_version.as_deref(), Some("mixed"));
}

#[test]
fn a_stored_dataset_with_a_broken_line_is_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    store_by_hand(
        &data,
        &[author("1", "a", "2025-01-01T00:00:00Z", json!({}))],
    );
    let file = data.join("latest/latest.jsonl");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("{\"id\": \"2\", \"handle\"\n");
    std::fs::write(&file, text).unwrap();
    let before = snapshot(&data);
    let batch = write_jsonl(
        tmp.path(),
        "b.jsonl",
        &[author("3", "c", "2025-01-01T00:00:00Z", json!({}))],
    );
    let out = influx(&[
        "merge",
        batch.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 2"),
        "{out:?}"
    );
    assert_eq!(snapshot(&data), before);
}

#[test]
fn the_schema_is_checked_on_the_merged_record_so_an_update_keeps_the_fields_the_api_never_gives() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let seed = write_jsonl(
        dir.path(),
        "seed.jsonl",
        &[author("1001", "alice", "2025-01-01T00:00:00Z", json!({}))],
    );
    merge_lib(&data, &[seed]);

    // A harvested record: the users lookup says nothing of the author's language.
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("lang_primary");
        v
    };
    let update = strip(author(
        "1001",
        "alice",
        "2026-01-01T00:00:00Z",
        json!({"followers_count": 2000}),
    ));
    let newcomer = strip(author("1002", "bob", "2026-01-01T00:00:00Z", json!({})));
    let batch = write_jsonl(dir.path(), "harvest.jsonl", &[update, newcomer]);

    let plan = merge::plan(&DataDir::new(&data), &[batch], &MergeOptions::default()).unwrap();
    // Hand-made records may carry placeholder flags; what is pinned here is the schema rule.
    let schema_reasons = |handle: &str| -> Vec<String> {
        plan.blocked
            .iter()
            .filter(|b| b.handle == handle)
            .flat_map(|b| {
                b.reasons
                    .iter()
                    .filter(|r| r.starts_with("schema:"))
                    .cloned()
            })
            .collect()
    };
    assert_eq!(
        schema_reasons("alice"),
        Vec::<String>::new(),
        "the update keeps the stored lang_primary"
    );
    let bob = schema_reasons("bob");
    assert!(
        bob.iter().any(|r| r.contains("lang_primary")),
        "a new author must be complete: {bob:?}"
    );
}

/// Lays out the given bytes as the stored version 1, exactly as they are (spacing, duplicates).
fn store_raw(data: &Path, bytes: &[u8]) -> PathBuf {
    let version = data.join("versions/00000001-raw");
    std::fs::create_dir_all(&version).unwrap();
    let file = version.join("latest.jsonl");
    std::fs::write(&file, bytes).unwrap();
    let count = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    let manifest = json!({"version": 1, "sha256": merge::sha256_of(&file).unwrap(),
        "count": count, "score_version": null, "timestamp": "2025-11-14T00:00:00.000Z",
        "rollback_to": null, "history": []});
    std::fs::write(version.join("manifest.json"), manifest.to_string()).unwrap();
    std::os::unix::fs::symlink("versions/00000001-raw", data.join("latest")).unwrap();
    file
}

/// A batch over the real fixture: newer evidence for its first 40 rows (some of them stored
/// duplicates), one row sent again unchanged, and 20 new authors.
fn fixture_batch(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut batch: Vec<Value> = rows[..40]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut r = r.clone();
            r["followers_count"] = json!(1_000_000 + i);
            r["meta"]["sources"] = json!([{"method": "x_api_v2",
                "fetched_at": "2025-12-01T00:00:00Z", "evidence": "pin"}]);
            r
        })
        .collect();
    batch.push(rows[300].clone());
    batch.extend((0..20).map(|i| {
        author(
            &format!("9{i:05}"),
            &format!("new_author_{i}"),
            "2025-12-01T00:00:00Z",
            json!({}),
        )
    }));
    write_jsonl(dir, "pin-batch.jsonl", &batch)
}

#[test]
fn merging_into_the_real_fixture_gives_the_same_bytes_as_the_line_by_line_merge_did() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    store_raw(&data, &std::fs::read(FIXTURE).unwrap());
    let batch = fixture_batch(tmp.path());
    let plan = merge_lib(&data, &[batch]);
    assert_eq!(
        (plan.count_before, plan.count_after),
        (531, PINNED_COUNT),
        "{:?}",
        (plan.added.len(), plan.updated.len(), plan.collapsed.len())
    );
    // The sha256 the merge gave before stored lines were copied by byte range (commit 2b1a897):
    // the fast path must produce the very same file.
    assert_eq!(
        merge::sha256_of(&data.join("latest/latest.jsonl")).unwrap(),
        PINNED_SHA256
    );
    assert_eq!(manifest(&data).sha256, PINNED_SHA256);
}

const PINNED_COUNT: u64 = 339;
const PINNED_SHA256: &str = "2298ef6c5bf6d9ef0eb18d78d11eea0c2691b2858928943a2a3f3bf87a09d719";

#[test]
fn stored_lines_the_merge_does_not_touch_are_copied_byte_for_byte_in_their_order() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let raw = std::fs::read_to_string(FIXTURE).unwrap();
    store_raw(&data, raw.as_bytes());
    let batch = fixture_batch(tmp.path());
    let batch_keys: Vec<String> = read_dataset(&batch)
        .unwrap()
        .records
        .iter()
        .filter_map(Record::handle_key)
        .collect();
    let key_of = |line: &str| {
        influx::dataset::parse_line(1, line)
            .unwrap()
            .handle_key()
            .unwrap()
    };
    let mut rows_per_key = std::collections::HashMap::<String, usize>::new();
    for line in raw.lines() {
        *rows_per_key.entry(key_of(line)).or_default() += 1;
    }
    let untouched: Vec<&str> = raw
        .lines()
        .filter(|l| {
            let key = key_of(l);
            rows_per_key[&key] == 1 && !batch_keys.contains(&key)
        })
        .collect();
    assert!(
        untouched.len() > 100,
        "the fixture keeps many rows as they are"
    );

    merge_lib(&data, &[batch]);
    let written = std::fs::read_to_string(data.join("latest/latest.jsonl")).unwrap();
    let mut lines = written.lines();
    for kept in &untouched {
        assert!(
            lines.any(|l| l == *kept),
            "not copied verbatim, or out of order: {kept}"
        );
    }
}

#[test]
fn skip_flagged_merges_the_clean_batches_and_lists_the_flagged_ones_left_out_with_why() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let clean = "assets/demo/batches/batch-07-api.jsonl";
    let sample = "assets/demo/batches/batch-11-sample.jsonl";
    let d = data.to_str().unwrap();

    // Without it, one sample-data batch holds the clean one back.
    let refused = influx(&["merge", clean, sample, "--data", d, "--json"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(!data.join("latest").exists(), "nothing written");

    let out = influx(&[
        "merge",
        clean,
        sample,
        "--data",
        d,
        "--json",
        "--skip-flagged",
    ]);
    assert_eq!(out.status.code(), Some(1), "a batch was left out");
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let left: Vec<&Value> = events.iter().filter(|e| e["event"] == "left_out").collect();
    assert_eq!(left.len(), 1);
    assert!(
        left[0]["batch"]
            .as_str()
            .unwrap()
            .ends_with("batch-11-sample.jsonl")
    );
    assert_eq!(left[0]["blocked"], 45);
    let reasons = left[0]["records"][0]["reasons"].as_array().unwrap();
    assert!(!reasons.is_empty(), "each record left out says why");
    let merged = events.iter().find(|e| e["event"] == "merged").unwrap();
    assert_eq!(merged["outcome"]["count"], 24, "the clean batch's authors");
    assert_eq!(
        merge::merged_batches(&DataDir::new(&data)).unwrap().len(),
        1,
        "the store says which batch the version holds"
    );
}

/// A corrupt history in `data`: garbage where the SQLite header should be.
fn corrupt_history(data: &Path) {
    std::fs::write(
        DataDir::new(data).history(),
        b"this is not a database at all, only garbage bytes".repeat(200),
    )
    .unwrap();
    for side in ["history.sqlite-wal", "history.sqlite-shm"] {
        let _ = std::fs::remove_file(data.join(side));
    }
}

#[test]
fn a_merge_whose_history_cannot_be_written_says_it_published_the_version_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let at = "2026-01-02T00:00:00Z";
    let first = write_jsonl(tmp.path(), "a.jsonl", &[author("1", "ann", at, json!({}))]);
    let out = influx(&[
        "merge",
        "--json",
        "--allow-flagged",
        "--data",
        data.to_str().unwrap(),
        first.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    corrupt_history(&data);
    let second = write_jsonl(tmp.path(), "b.jsonl", &[author("2", "bob", at, json!({}))]);
    let out = influx(&[
        "merge",
        "--json",
        "--allow-flagged",
        "--data",
        data.to_str().unwrap(),
        second.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "work done, a step failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(manifest(&data).version, 2, "latest is the new version");
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let said = events
        .iter()
        .find(|e| e["event"] == "published_not_recorded")
        .unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!(said["version"], 2);
    let words = said["words"].as_str().unwrap();
    assert!(
        words.starts_with("published version 2; not yet recorded in the history: "),
        "{words}"
    );
}

#[test]
fn a_console_merge_whose_history_cannot_be_written_says_it_published_the_version() {
    use influx::cli::console_ops::ConsoleOps;
    use influx::ui::Operations;

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // Clean scored batches (the console leaves flagged ones out): three authors, then three more.
    let scored = |first: &str, out: &Path| {
        let raw = tmp.path().join(format!("gen-{first}.jsonl"));
        let raw = raw.to_str().unwrap();
        let gen_args = [
            "gen", "--count", "3", "--seed", "5", "--first", first, "--out", raw,
        ];
        for args in [
            &gen_args[..],
            &["score", raw, "--out", out.to_str().unwrap()],
        ] {
            let out = influx(args);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    let first = tmp.path().join("first.jsonl");
    scored("0", &first);
    let out = influx(&[
        "merge",
        "--data",
        data.to_str().unwrap(),
        first.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    corrupt_history(&data);
    std::fs::create_dir_all(data.join("batches")).unwrap();
    scored("3", &data.join("batches/second.jsonl"));

    let ops = ConsoleOps::new(DataDir::new(&data), "http://127.0.0.1:9".into());
    let said = ops.apply_merge().unwrap_err().to_string();
    assert!(
        said.starts_with("published version 2; not yet recorded in the history: "),
        "{said}"
    );
    assert_eq!(manifest(&data).version, 2, "latest is the new version");
}

#[test]
fn a_schema_violation_the_stored_record_already_has_is_carried_by_merge_as_by_refresh() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let legacy = |followers: u64| {
        let mut r = author(
            "11",
            "legacy",
            "2026-01-01T00:00:00Z",
            json!({"followers_count": followers}),
        );
        r.as_object_mut().unwrap().remove("lang_primary");
        // Curated by hand, with a real digest: nothing but the schema flags it.
        r["meta"]["sources"][0]["method"] = json!("manual_curation");
        r["meta"]["provenance_hash"] =
            json!("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
        r
    };
    let first = write_jsonl(tmp.path(), "first.jsonl", &[legacy(1000)]);
    let out = influx(&[
        "merge",
        "--json",
        "--allow-flagged",
        "--data",
        data.to_str().unwrap(),
        first.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    // The same author again, its only flag the violation it was stored with.
    let again = write_jsonl(tmp.path(), "again.jsonl", &[legacy(2000)]);
    let out = influx(&[
        "merge",
        "--json",
        "--data",
        data.to_str().unwrap(),
        again.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let plan = crate::common::json_lines(&out.stdout)
        .into_iter()
        .find(|e| e["event"] == "plan")
        .unwrap();
    assert_eq!(
        (plan["blocked"].as_u64(), plan["updated"].as_u64()),
        (Some(0), Some(1))
    );
    // A new violation is still blocked.
    let mut worse = legacy(3000);
    worse["verified"] = json!("unknown-kind");
    let worse = write_jsonl(tmp.path(), "worse.jsonl", &[worse]);
    let out = influx(&[
        "merge",
        "--json",
        "--data",
        data.to_str().unwrap(),
        worse.to_str().unwrap(),
    ]);
    assert_ne!(out.status.code(), Some(0));
}
