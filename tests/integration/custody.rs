//! Chain of custody, end to end with the real binary and the simulator: what a harvest writes
//! proves itself against its answers; an edit after the harvest, a batch without answers and a
//! `latest.jsonl` changed by hand are each caught, by the audit, the console and the merge.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use influx::cli::console_ops::ConsoleOps;
use influx::dataset::read_dataset;
use influx::pipeline::custody::AnswerIndex;
use influx::pipeline::data_dir::DataDir;
use influx::sim::{SimConfig, SimServer};
use influx::ui::RowFlags;
use serde_json::Value;

use crate::common::influx_bin;

const TOKEN: &str = "custody-test-token";

/// A demo working directory (the crisis dataset stored as version 1, the old pipeline's batches
/// pending) and a simulator that knows its authors, as `influx demo` sets them up.
fn demo_dir() -> (tempfile::TempDir, PathBuf, SimServer) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("demo");
    influx::cli::demo::prepare(&DataDir::new(&root)).unwrap();
    let known = read_dataset(&root.join("import/latest-2025-11-14.jsonl"))
        .unwrap()
        .records;
    let sim = SimServer::start_background(SimConfig {
        token: Some(TOKEN.into()),
        known,
        ..SimConfig::default()
    })
    .expect("simulator starts");
    (tmp, root, sim)
}

fn influx(args: &[&str]) -> Output {
    influx_bin()
        .args(args)
        .env("X_BEARER_TOKEN", TOKEN)
        .env_remove("INFLUX_API_BASE")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Harvests `handles` into `root/runs/<name>/` and returns the run directory.
fn harvest(root: &Path, sim: &SimServer, name: &str, handles: &[&str]) -> PathBuf {
    let run = root.join("runs").join(name);
    let list = root.join(format!("{name}.txt"));
    std::fs::write(&list, handles.join("\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_influx"))
        .args(["harvest", "--json", "--rate-limit", "0"])
        .args(["--api-base", &sim.base_url()])
        .args([
            "--handles",
            arg(&list),
            "--out",
            arg(&run),
            "--data",
            arg(root),
        ])
        .env("X_BEARER_TOKEN", TOKEN)
        .env_remove("INFLUX_API_BASE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    run
}

fn text(out: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn audit_json(args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["audit", "--json"];
    all.extend_from_slice(args);
    let out = influx(&all);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("audit --json prints JSON ({e}): {}", text(&out)));
    (out.status.code(), report)
}

/// The result of the gate `name` in an audit report.
fn gate<'r>(report: &'r Value, name: &str) -> &'r Value {
    report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("gate {name} in {}", report["gates"]))
}

/// The first handles of the crisis dataset that the simulator answers for.
fn crisis_handles(root: &Path, n: usize) -> Vec<String> {
    let records = read_dataset(&root.join("import/latest-2025-11-14.jsonl"))
        .unwrap()
        .records;
    let mut handles: Vec<String> = records
        .iter()
        .filter_map(|r| r.handle().map(str::to_string))
        .collect();
    handles.sort();
    handles.dedup();
    handles.truncate(n);
    handles
}

fn refs(handles: &[String]) -> Vec<&str> {
    handles.iter().map(String::as_str).collect()
}

/// Rewrites the one line of `path` holding `"handle":"<handle>"` with `edit`.
fn edit_line(path: &Path, handle: &str, edit: impl Fn(&mut Value)) {
    let text = std::fs::read_to_string(path).unwrap();
    let needle = format!("\"handle\":\"{handle}\"");
    let mut found = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if !line.contains(&needle) {
                return line.to_string();
            }
            found = true;
            let mut v: Value = serde_json::from_str(line).unwrap();
            edit(&mut v);
            serde_json::to_string(&v).unwrap()
        })
        .collect();
    assert!(found, "{handle} in {}", path.display());
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn an_untouched_harvest_verifies_every_record_against_its_answers() {
    let (_tmp, root, sim) = demo_dir();
    let handles = crisis_handles(&root, 40);
    let run = harvest(&root, &sim, "r1", &refs(&handles));
    let records = run.join("records.jsonl");
    let (code, report) = audit_json(&[arg(&records), "--runs", arg(&run)]);
    let p = &report["provenance"];
    let count = report["records"].as_u64().unwrap();
    assert!(count > 30, "{report}");
    assert_eq!(p["claimed_api"].as_u64(), Some(count), "{p}");
    assert_eq!(p["verified"].as_u64(), Some(count), "100% verified: {p}");
    assert_eq!(p["mismatch"], 0);
    assert_eq!(p["unverifiable"], 0);
    assert!(code == Some(0) || code == Some(1), "{report}");
    assert_eq!(gate(&report, "mismatch")["pass"], true, "{report}");
}

#[test]
fn a_record_edited_after_the_harvest_is_a_mismatch_naming_the_field_and_both_values() {
    let (_tmp, root, sim) = demo_dir();
    let handles = crisis_handles(&root, 10);
    let run = harvest(&root, &sim, "r1", &refs(&handles));
    let records = run.join("records.jsonl");
    let harvested = read_dataset(&records).unwrap().records;
    let (metric_of, name_of) = (harvested[0].clone(), harvested[1].clone());
    let followers = metric_of.metrics().followers.unwrap();
    edit_line(&records, metric_of.handle().unwrap(), |v| {
        v["public_metrics"]["followers_count"] = Value::from(followers * 10 + 7);
    });
    edit_line(&records, name_of.handle().unwrap(), |v| {
        v["name"] = Value::from("Someone Else");
    });

    let (code, report) = audit_json(&[arg(&records), "--runs", arg(&run)]);
    assert_eq!(code, Some(1), "the mismatch gate fails: {report}");
    let p = &report["provenance"];
    assert_eq!(p["mismatch"], 2, "{p}");
    assert_eq!(p["verified"].as_u64(), Some(harvested.len() as u64 - 2));
    let listed = p["unverified_records"].as_array().unwrap();
    let diff_of = |handle: &str| -> Value {
        let rec = listed
            .iter()
            .find(|r| r["handle"] == handle)
            .unwrap_or_else(|| panic!("{handle} listed: {p}"));
        assert_eq!(rec["outcome"], "mismatch");
        rec["diffs"][0].clone()
    };
    let metric = diff_of(metric_of.handle().unwrap());
    assert_eq!(metric["field"], "public_metrics.followers_count");
    assert_eq!(metric["record"], (followers * 10 + 7).to_string());
    assert_eq!(metric["answer"], followers.to_string());
    let name = diff_of(name_of.handle().unwrap());
    assert_eq!(name["field"], "name");
    assert_eq!(name["record"], "\"Someone Else\"");
    assert_eq!(
        name["answer"],
        serde_json::to_string(name_of.get("name").unwrap()).unwrap()
    );
    assert_eq!(gate(&report, "mismatch")["pass"], false);
}

#[test]
fn a_batch_without_answers_is_unverifiable_and_sample_batches_prove_nothing() {
    let (_tmp, root, sim) = demo_dir();
    let handles = crisis_handles(&root, 5);
    harvest(&root, &sim, "r1", &refs(&handles));
    let data = arg(&root);

    // The old pipeline's "api" batch: it claims the X API, and no answer backs it.
    let api = root.join("batches/batch-07-api.jsonl");
    let (_, report) = audit_json(&[arg(&api), "--data", data]);
    let p = &report["provenance"];
    assert_eq!(p["claimed_api"], 24, "{p}");
    assert_eq!(p["unverifiable"], 24, "{p}");
    assert_eq!(p["verified"], 0);
    assert_eq!(p["unverified_records"].as_array().unwrap().len(), 24);
    // Gated on request.
    let out = influx(&[
        "audit",
        "--json",
        arg(&api),
        "--data",
        data,
        "--allow",
        "placeholders",
        "--allow",
        "duplicates",
        "--allow",
        "zero_scores",
        "--gate",
        "unverifiable=0",
    ]);
    let gated: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(gate(&gated, "unverifiable")["pass"], false, "{gated}");
    assert_eq!(out.status.code(), Some(1));

    // The sample batches claim no API answer: nothing in them is verified, and the detectors
    // flag them as sample data.
    for name in ["batch-11-sample.jsonl", "batch-12-sample.jsonl"] {
        let (_, report) = audit_json(&[arg(&root.join("batches").join(name)), "--data", data]);
        let p = &report["provenance"];
        assert_eq!(p["verified"], 0, "{name}: {p}");
        assert_eq!(p["claimed_api"], 0, "{name}: {p}");
        assert_eq!(p["sample"], 45, "{name}: {p}");
    }
}

#[test]
fn the_demo_verifies_its_harvested_records_and_the_console_counts_the_rest_as_the_audit_does() {
    let (_tmp, root, sim) = demo_dir();
    let handles = crisis_handles(&root, 30);
    let run = harvest(&root, &sim, "r1", &refs(&handles));
    // The old pipeline's "api" batch goes in beside the harvest: it claims the X API and no
    // answer backs it.
    let api_batch = root.join("batches/batch-07-api.jsonl");
    let merged = influx(&[
        "merge",
        "--json",
        "--data",
        arg(&root),
        arg(&api_batch),
        arg(&run.join("records.jsonl")),
    ]);
    assert_eq!(merged.status.code(), Some(0), "{}", text(&merged));

    let (_, report) = audit_json(&["--data", arg(&root), "--allow", "zero_scores"]);
    let p = &report["provenance"];
    let harvested = read_dataset(&run.join("records.jsonl"))
        .unwrap()
        .records
        .len() as u64;
    assert_eq!(p["verified"].as_u64(), Some(harvested), "{p}");
    assert_eq!(p["mismatch"], 0, "{p}");
    // Batch 07's records, but those the harvest also answered for: their newest answer is kept.
    let batch07 = read_dataset(&api_batch).unwrap().records;
    let unproved: Vec<&str> = batch07
        .iter()
        .filter_map(|r| r.handle())
        .filter(|h| !handles.iter().any(|x| x.eq_ignore_ascii_case(h)))
        .collect();
    let unverifiable = unproved.len() as u64;
    assert!(unverifiable > 15, "{unproved:?}");
    assert_eq!(p["unverifiable"].as_u64(), Some(unverifiable), "{p}");
    assert!(
        report["external_edit"].is_null(),
        "{}",
        report["external_edit"]
    );

    // The console loads the same directory: its unverified counter is the audit's figure, a
    // key away from the rows (flag UNVERIFIED), and harvested rows are not among them.
    let ops = ConsoleOps::new(DataDir::new(root.clone()), sim.base_url());
    let (loaded, _) = ops.read_latest().unwrap();
    assert!(loaded.external_edit.is_none());
    let app = influx::ui::App::new(Default::default(), chrono::Utc::now()).with_loaded(loaded);
    assert_eq!(app.counts.unverified as u64, unverifiable);
    for row in &app.rows {
        assert_eq!(
            row.flags.contains(RowFlags::UNVERIFIED),
            unproved.contains(&row.handle.as_str()),
            "{}",
            row.handle
        );
    }
}

#[test]
fn a_hand_edited_latest_jsonl_is_reported_by_audit_console_and_merge_and_the_merge_refuses_it() {
    let (_tmp, root, sim) = demo_dir();
    let handles = crisis_handles(&root, 8);
    let run = harvest(&root, &sim, "r1", &refs(&handles));
    let records = run.join("records.jsonl");
    let out = influx(&["merge", "--json", "--data", arg(&root), arg(&records)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let latest = root.join("latest/latest.jsonl");
    let victim = read_dataset(&records).unwrap().records[0].clone();
    let followers = victim.metrics().followers.unwrap();
    edit_line(&latest, victim.handle().unwrap(), |v| {
        v["public_metrics"]["followers_count"] = Value::from(followers + 1);
    });

    // The audit of the data directory says so, and fails.
    let (code, report) = audit_json(&["--data", arg(&root), "--allow", "zero_scores"]);
    assert_eq!(code, Some(1));
    let edit = &report["external_edit"];
    assert_eq!(edit["version"], 2, "{edit}");
    assert_ne!(edit["file_sha256"], edit["manifest_sha256"]);
    assert_eq!(
        report["provenance"]["mismatch"], 1,
        "{}",
        report["provenance"]
    );

    // The console says it plainly, and flags the edited record.
    let ops = ConsoleOps::new(DataDir::new(root.clone()), sim.base_url());
    let (loaded, _) = ops.read_latest().unwrap();
    let words = loaded
        .external_edit
        .clone()
        .expect("the console sees the edit");
    assert!(
        words.contains("changed outside influx since version 2"),
        "{words}"
    );
    let app = influx::ui::App::new(Default::default(), chrono::Utc::now()).with_loaded(loaded);
    assert!(app.external_edit.is_some());
    let row = app
        .rows
        .iter()
        .find(|r| r.handle == victim.handle().unwrap())
        .unwrap();
    assert!(row.flags.contains(RowFlags::UNVERIFIED));
    let log: Vec<String> = app
        .log
        .last(app.log.len())
        .map(|l| l.text.clone())
        .collect();
    assert!(
        log.iter().any(|l| l.contains("changed outside influx")),
        "{log:?}"
    );

    // The merge refuses to build on it, and writes nothing.
    let again = harvest(&root, &sim, "r2", &refs(&handles[..2]));
    let before = std::fs::read(&latest).unwrap();
    let batch = again.join("records.jsonl");
    let refused = influx(&["merge", "--data", arg(&root), arg(&batch)]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    let said: Value = String::from_utf8_lossy(&refused.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["event"] == "external_edit")
        .unwrap_or_else(|| panic!("an external_edit event: {}", text(&refused)));
    assert_eq!(said["accepted"], false);
    assert_eq!(said["file_sha256"], edit["file_sha256"]);
    assert_eq!(std::fs::read(&latest).unwrap(), before, "nothing written");

    // Accepted on request, with both sha256 in the history.
    let accepted = influx(&[
        "merge",
        "--json",
        "--accept-external-edit",
        "--data",
        arg(&root),
        arg(&batch),
    ]);
    assert_eq!(accepted.status.code(), Some(0), "{}", text(&accepted));
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("latest/manifest.json")).unwrap())
            .unwrap();
    let history = manifest["history"].as_array().unwrap();
    let entry = &history.last().unwrap()["external_edit"];
    assert_eq!(entry["file_sha256"], edit["file_sha256"], "{manifest}");
    assert_eq!(entry["manifest_sha256"], edit["manifest_sha256"]);
}

#[test]
fn the_detail_pane_shows_the_custody_chain_and_on_a_mismatch_each_field_with_both_values() {
    let (_tmp, root, sim) = demo_dir();
    let handles = crisis_handles(&root, 4);
    let run = harvest(&root, &sim, "r1", &refs(&handles));
    let records = run.join("records.jsonl");
    let harvested = read_dataset(&records).unwrap().records;
    let index = std::sync::Arc::new(AnswerIndex::of_data_dir(&DataDir::new(&root)).unwrap());
    let settings = influx::ui::Settings {
        dataset: "custody".into(),
        readonly: true,
        color: false,
    };
    let pane = |record: influx::dataset::Record, answers: &std::sync::Arc<AnswerIndex>| {
        let mut app =
            influx::ui::App::new(settings.clone(), chrono::Utc::now()).with_records(vec![record]);
        app.answers = Some(answers.clone());
        // Words separated by single spaces, as a person reads the pane.
        crate::ui_snapshots::detail_pane_text(app)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };

    let untouched = pane(harvested[0].clone(), &index);
    assert!(
        untouched.contains("Custody ✓ verified against run r1, responses.jsonl line 1"),
        "{untouched}"
    );
    let sha = harvested[0].meta().unwrap()["custody"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    // The pane wraps the long hash: compare without the spaces wrapping put in.
    assert!(
        untouched
            .replace(' ', "")
            .contains(&format!("←runr1·responses.jsonlline1·sha256{sha}")),
        "{untouched}"
    );

    let mut edited = harvested[1].clone();
    let followers = edited.metrics().followers.unwrap();
    edited.fields_mut().get_mut("public_metrics").unwrap()["followers_count"] =
        Value::from(followers + 5);
    let text = pane(edited, &index);
    assert!(
        text.contains("✗ mismatch with run r1, responses.jsonl line 1"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "public_metrics.followers_count: record {} ≠ answer {followers}",
            followers + 5
        )),
        "{text}"
    );

    // A run written after the console read its answers (the console's own re-harvest) is read
    // when its record is shown: the record is proved, not called unverifiable.
    let later = harvest(&root, &sim, "r2", &refs(&handles[..1]));
    let fresh = read_dataset(&later.join("records.jsonl")).unwrap().records[0].clone();
    let text = pane(fresh, &index);
    assert!(text.contains("✓ verified against run r2"), "{text}");
}
