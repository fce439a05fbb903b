//! The command line's conventions (issue 34), the real binary each time: a refused merge is a
//! refusal (exit 2, its verdict last), `-` is stdin or stdout, an empty input is nothing to do,
//! a closed pipe ends a command quietly, every cause is printed once, one page per command.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::common::{influx_bin, json_lines, names};
use influx::sim::{SimConfig, SimServer};

const TOKEN: &str = "tok-cli-conventions";
const CLEAN_BATCH: &str = "assets/demo/batches/batch-07-api.jsonl";
const SAMPLE_BATCH: &str = "assets/demo/batches/batch-11-sample.jsonl";

fn influx(args: &[&str]) -> Output {
    influx_bin()
        .args(args)
        .env_remove("INFLUX_API_BASE")
        .stdin(Stdio::null())
        .output()
        .expect("the influx binary runs")
}

/// Runs influx with `input` on its stdin.
fn influx_with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = influx_bin()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn sim() -> SimServer {
    SimServer::start_background(SimConfig {
        token: Some(TOKEN.into()),
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

fn harvest(args: &[&str]) -> Command {
    let mut cmd = influx_bin();
    cmd.arg("harvest")
        .args(args)
        .env("X_BEARER_TOKEN", TOKEN)
        .env_remove("INFLUX_API_BASE")
        .stdin(Stdio::null());
    cmd
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A data directory whose latest.jsonl is the clean demo batch, merged.
fn merged_data(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    let out = influx(&["merge", CLEAN_BATCH, "--data", arg(&data)]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    data
}

// 1. A refused merge.

#[test]
fn a_merge_refused_for_flagged_records_exits_2_and_its_last_line_says_nothing_was_written() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = influx(&["merge", CLEAN_BATCH, SAMPLE_BATCH, "--data", arg(&data)]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    let lines = json_lines(&out.stdout);
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "refused", "{last}");
    assert_eq!(last["written"], false);
    assert!(
        last["reason"].as_str().unwrap().contains("flagged"),
        "{last}"
    );
    assert!(!data.join("latest").exists(), "nothing written");
}

#[test]
fn with_allow_flagged_the_flagged_records_are_reported_as_merged_although_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = influx(&[
        "merge",
        SAMPLE_BATCH,
        "--allow-flagged",
        "--data",
        arg(&data),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let lines = json_lines(&out.stdout);
    assert!(lines.iter().any(|l| l["event"] == "flagged_merged"));
    assert!(lines.iter().all(|l| l["event"] != "blocked"), "{lines:?}");
    assert!(
        lines[0]["flagged_merged"].as_u64().unwrap() > 0,
        "{}",
        lines[0]
    );
}

#[test]
fn a_merge_of_an_unreadable_file_ends_with_a_refused_verdict_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = write(tmp.path(), "bad.jsonl", "{\"handle\":\"a\"}\nnot json\n");
    let out = influx(&["merge", arg(&bad), "--data", arg(&tmp.path().join("data"))]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    let last = json_lines(&out.stdout).pop().unwrap();
    assert_eq!(last["event"], "refused", "{last}");
    assert_eq!(last["refusal"], "unreadable");
    assert_eq!(last["written"], false);
}

// 2. `-` is stdin or stdout.

#[test]
fn score_reads_stdin_and_writes_stdout_when_given_a_dash_and_creates_no_file_named_dash() {
    let tmp = tempfile::tempdir().unwrap();
    let input = std::fs::read(CLEAN_BATCH).unwrap();
    let out = influx_with_stdin(tmp.path(), &["score", "-", "--out", "-"], &input);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let records = json_lines(&out.stdout);
    let given = json_lines(&input).len();
    assert_eq!(
        records.len(),
        given,
        "the scored records on stdout, nothing else"
    );
    assert!(records.iter().all(|r| r["meta"]["score"].is_number()));
    assert!(!tmp.path().join("-").exists(), "no file named -");
    let report = json_lines(&out.stderr);
    assert_eq!(report.last().unwrap()["event"], "score_summary");
}

#[test]
fn audit_reads_stdin_when_given_a_dash() {
    let tmp = tempfile::tempdir().unwrap();
    let input = std::fs::read(CLEAN_BATCH).unwrap();
    let out = influx_with_stdin(tmp.path(), &["audit", "-", "--json"], &input);
    assert_ne!(out.status.code(), Some(2), "{}", said(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["records"], json_lines(&input).len());
}

#[test]
fn export_out_dash_writes_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let data = merged_data(tmp.path());
    let out = influx_bin()
        .args([
            "export",
            "--data",
            arg(&data),
            "--format",
            "jsonl",
            "--out",
            "-",
        ])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(!json_lines(&out.stdout).is_empty());
    assert!(!tmp.path().join("-").exists());
}

// 3. Export.

#[test]
fn an_export_field_no_record_holds_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = merged_data(tmp.path());
    let d = arg(&data);
    let out = influx(&[
        "export",
        "--data",
        d,
        "--format",
        "csv",
        "--fields",
        "handle,meta.scroe",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"meta.scroe\""));
    assert!(out.stdout.is_empty(), "no half-written export");
    let known = influx(&[
        "export",
        "--data",
        d,
        "--format",
        "csv",
        "--fields",
        "handle,meta.sources",
    ]);
    assert_eq!(known.status.code(), Some(0), "{}", said(&known));
}

#[test]
fn the_default_export_gives_the_score_state_beside_the_score() {
    let tmp = tempfile::tempdir().unwrap();
    let data = merged_data(tmp.path());
    let out = influx(&["export", "--data", arg(&data), "--format", "csv"]);
    let header = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(header.contains(",score,score_state,"), "{header}");
}

/// Runs a command whose output a reader stops reading after a few bytes, as `| head` does.
fn read_a_little_then_close(args: &[&str]) -> Output {
    let mut child = influx_bin()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn an_export_whose_reader_stops_early_exits_0_without_a_word() {
    let tmp = tempfile::tempdir().unwrap();
    let latest = tmp.path().join("data/latest/latest.jsonl");
    std::fs::create_dir_all(latest.parent().unwrap()).unwrap();
    let made = influx(&["gen", "--count", "20000", "--out", arg(&latest)]);
    assert_eq!(made.status.code(), Some(0), "{}", said(&made));
    let data = tmp.path().join("data");
    for format in ["csv", "jsonl"] {
        let out = read_a_little_then_close(&["export", "--data", arg(&data), "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", said(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.to_lowercase().contains("broken pipe"), "{err}");
    }
}

// 4. Spend.

#[test]
fn spend_of_a_directory_that_does_not_exist_is_an_error_naming_it() {
    let out = influx(&["spend", "--data", "/nonexistent/influx-data"]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/influx-data"));
}

// 5. Errors.

#[test]
fn an_os_error_is_printed_once() {
    let tmp = tempfile::tempdir().unwrap();
    let out = harvest(&["--dry-run", "--handles", arg(tmp.path())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    let text = said(&out);
    assert_eq!(text.matches("os error 21").count(), 1, "{text}");
}

#[test]
fn a_byte_order_mark_at_the_start_of_a_jsonl_file_is_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(CLEAN_BATCH).unwrap());
    let input = tmp.path().join("bom.jsonl");
    std::fs::write(&input, &bytes).unwrap();
    let scored = tmp.path().join("scored.jsonl");
    let out = influx(&["score", arg(&input), "--out", arg(&scored)]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let audit = influx(&["audit", arg(&input), "--json"]);
    let report: Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert_eq!(report["errors"], Value::Array(vec![]), "{report}");
}

#[test]
fn a_cut_off_last_line_is_reported_as_the_file_ending_mid_line() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = std::fs::read_to_string(CLEAN_BATCH).unwrap();
    let first = whole.lines().next().unwrap();
    let text = format!("{first}\n{}", &first[..first.len() / 2]);
    let input = write(tmp.path(), "cut.jsonl", &text);
    let out = influx(&[
        "score",
        arg(&input),
        "--out",
        arg(&tmp.path().join("o.jsonl")),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    let text = said(&out);
    assert!(
        text.contains("line 2: ") && text.contains("(the file ends mid-line)"),
        "{text}"
    );
    assert!(!text.contains("line 1 column"), "{text}");
}

// 6. Harvest.

#[test]
fn a_dry_run_plan_names_the_lines_it_will_not_send() {
    let tmp = tempfile::tempdir().unwrap();
    let handles = write(
        tmp.path(),
        "h.txt",
        "alice\nnot a handle\nbob\nalice\nbad-one\n",
    );
    let out = harvest(&[
        "--dry-run",
        "--handles",
        arg(&handles),
        "--data",
        arg(&tmp.path().join("d")),
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let plan = &json_lines(&out.stdout)[0];
    assert_eq!(plan["handles"], 2);
    assert_eq!(plan["not_sent"]["invalid"], 2);
    assert_eq!(plan["not_sent"]["invalid_lines"], serde_json::json!([2, 5]));
    assert_eq!(plan["not_sent"]["duplicates"], 1);
}

#[test]
fn a_huge_invalid_line_is_quoted_by_a_short_prefix_and_its_size() {
    let sim = sim();
    let tmp = tempfile::tempdir().unwrap();
    let huge = "x".repeat(10_000_000);
    let handles = write(tmp.path(), "h.txt", &format!("alice\n{huge}\nbob\n"));
    let out = harvest(&["--api-base", &sim.base_url(), "--handles", arg(&handles)])
        .args(["--data", arg(&tmp.path().join("d"))])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(
        out.stdout.len() < 100_000,
        "{} bytes of output",
        out.stdout.len()
    );
    let invalid = json_lines(&out.stdout)
        .into_iter()
        .find(|l| l["event"] == "invalid_line")
        .unwrap();
    let quoted = invalid["input"].as_str().unwrap();
    assert!(quoted.ends_with("… (10000000 bytes)"), "{quoted}");
}

#[test]
fn resume_without_a_directory_finishes_the_data_directorys_last_unfinished_run() {
    let sim = sim();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let handles = write(tmp.path(), "h.txt", &names("user", 30).join("\n"));
    let base = sim.base_url();
    let common = [
        "--api-base",
        base.as_str(),
        "--data",
        arg(&data),
        "--batch-size",
        "10",
    ];
    let first = harvest(&common)
        .args([
            "--handles",
            arg(&handles),
            "--max-requests",
            "1",
            "--concurrency",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(1), "{}", said(&first));
    let lines = json_lines(&first.stdout);
    let run_dir = lines[0..]
        .iter()
        .find(|l| l["event"] == "run_started")
        .map(|l| l["run_dir"].as_str().unwrap().to_string())
        .unwrap();
    let done = lines.last().unwrap();
    assert_eq!(done["event"], "run_done", "the last line");
    assert_eq!(
        done["resume_with"],
        format!("influx harvest --resume {run_dir}"),
        "the exact command"
    );

    let again = harvest(&common).arg("--resume").output().unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", said(&again));
    let started = json_lines(&again.stdout)
        .into_iter()
        .find(|l| l["event"] == "run_started")
        .unwrap();
    assert_eq!(started["run_dir"], run_dir.as_str());
    assert_eq!(started["already_done"], 10);
}

// 7. An unreachable API.

#[test]
fn an_unreachable_api_stops_the_run_with_one_line_for_its_cause_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let handles = write(tmp.path(), "h.txt", &names("user", 300).join("\n"));
    let out = harvest(&[
        "--api-base",
        "http://127.0.0.1:1",
        "--handles",
        arg(&handles),
    ])
    .args(["--data", arg(&tmp.path().join("d"))])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    let text = said(&out);
    assert!(text.len() < 20_000, "{} bytes of output", text.len());
    assert!(text.contains("cannot connect to 127.0.0.1:1"), "{text}");
    assert!(!text.contains("usernames="), "no URL per handle: {text}");
    let failed = json_lines(&out.stdout)
        .into_iter()
        .filter(|l| l["event"] == "handle_failed")
        .count();
    assert_eq!(failed, 0, "no line per handle");
}

// 8. Man pages.

#[test]
fn man_out_writes_a_page_per_command_each_with_exit_status_environment_and_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = influx(&["man", "--out", arg(tmp.path())]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    for page in [
        "influx.1",
        "influx-harvest.1",
        "influx-merge.1",
        "influx-gen.1",
    ] {
        let text = std::fs::read_to_string(tmp.path().join(page))
            .unwrap_or_else(|e| panic!("{page}: {e}"));
        for section in [".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH FILES"] {
            assert!(text.contains(section), "{page} lacks {section}");
        }
    }
    let top = std::fs::read_to_string(tmp.path().join("influx.1")).unwrap();
    let alone = influx(&["man"]);
    assert_eq!(
        String::from_utf8_lossy(&alone.stdout),
        top,
        "`influx man` prints influx.1"
    );
}

// 9. Empty inputs.

#[test]
fn an_empty_input_is_nothing_to_do_for_audit_score_and_harvest_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = write(tmp.path(), "empty.jsonl", "\n");
    let e = arg(&empty);
    let audit = influx(&["audit", e]);
    let score = influx(&["score", e, "--out", arg(&tmp.path().join("o.jsonl"))]);
    let data = tmp.path().join("data");
    let harvest = harvest(&[
        "--handles",
        e,
        "--data",
        arg(&data),
        "--api-base",
        "http://127.0.0.1:1",
    ])
    .output()
    .unwrap();
    for (name, out, what) in [
        ("audit", audit, "holds no records"),
        ("score", score, "holds no records"),
        ("harvest", harvest, "holds no handles"),
    ] {
        assert_eq!(out.status.code(), Some(2), "{name}: {}", said(&out));
        assert!(
            said(&out).contains(&format!("empty.jsonl {what}")),
            "{name}: {}",
            said(&out)
        );
    }
    assert!(!data.join("runs").exists(), "no run directory for nothing");
    assert!(!tmp.path().join("o.jsonl").exists());
}
