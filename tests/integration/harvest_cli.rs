//! `influx harvest`, the real binary, against the simulator: exit codes, JSON lines, resume after
//! SIGKILL, and a token that never appears in any output.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::common;

use common::{influx_bin, journaled_handles, json_lines, lines_so_far, names, wait_for_lines};
use influx::pipeline::data_dir::DataDir;
use influx::sim::{Fault, SimConfig, SimServer};
use serde_json::Value;

const TOKEN: &str = "tok-Zq8x7-DISTINCTIVE-4242";

fn sim(config: SimConfig) -> SimServer {
    SimServer::start_background(SimConfig {
        token: Some(TOKEN.into()),
        not_found_rate: 0.02,
        suspended_rate: 0.01,
        ..config
    })
    .expect("simulator starts")
}

fn handles_file(dir: &Path, names: &[String]) -> PathBuf {
    let path = dir.join("handles.txt");
    std::fs::write(&path, names.join("\n")).unwrap();
    path
}

fn influx(sim: &SimServer, args: &[&str]) -> Command {
    let mut cmd = influx_bin();
    cmd.arg("harvest")
        .args(["--api-base", &sim.base_url()])
        .args(args);
    // The ledger's data directory sits beside the run, so tests running side by side never
    // share one (nor write into the working directory).
    if let Some(near) = args
        .windows(2)
        .find(|w| matches!(w[0], "--out" | "--resume" | "--handles"))
        .and_then(|w| Path::new(w[1]).parent())
    {
        cmd.arg("--data").arg(near.join("data"));
    }
    cmd.env("X_BEARER_TOKEN", TOKEN)
        .env_remove("INFLUX_API_BASE")
        .stdin(Stdio::null());
    cmd
}

fn file_lines(path: &Path) -> Vec<Value> {
    json_lines(&std::fs::read(path).unwrap_or_default())
}

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

fn path_arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn exit_code_0_when_every_handle_is_answered_and_invalid_lines_are_reported_as_json() {
    let sim = sim(SimConfig::default());
    let tmp = tempfile::tempdir().unwrap();
    let mut list = names("ok", 150);
    list.push("bad-handle".into());
    let input = handles_file(tmp.path(), &list);
    let out = tmp.path().join("run");
    let output = influx(
        &sim,
        &["--handles", path_arg(&input), "--out", path_arg(&out)],
    )
    .output()
    .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = json_lines(&output.stdout);
    let invalid = events
        .iter()
        .find(|e| e["event"] == "invalid_line")
        .unwrap();
    assert_eq!(
        (invalid["line"].as_u64(), invalid["input"].as_str()),
        (Some(151), Some("bad-handle"))
    );
    let done = events.last().unwrap();
    assert_eq!(done["event"], "run_done");
    let s = summary(&out);
    assert_eq!(s["requested"], 150);
    let answered = s["harvested"].as_u64().unwrap()
        + ["not_found", "suspended"]
            .iter()
            .map(|k| s[k].as_array().unwrap().len() as u64)
            .sum::<u64>();
    assert_eq!(answered, 150);
    assert_eq!(s["requests"], 2);
    assert_eq!(
        file_lines(&out.join("records.jsonl")).len() as u64,
        s["harvested"].as_u64().unwrap()
    );
}

#[test]
fn exit_code_1_when_a_batch_fails_after_its_retries_and_the_others_are_harvested() {
    let sim = sim(SimConfig::default());
    for _ in 0..4 {
        sim.faults().push(Fault::Reset);
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = handles_file(tmp.path(), &names("f", 200));
    let out = tmp.path().join("run");
    let output = influx(
        &sim,
        &[
            "--handles",
            path_arg(&input),
            "--out",
            path_arg(&out),
            "--concurrency",
            "1",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let s = summary(&out);
    assert_eq!(s["failed"].as_array().unwrap().len(), 100);
    assert!(s["harvested"].as_u64().unwrap() > 90);
}

#[test]
fn exit_code_2_when_the_usage_cap_is_hit_or_no_token_is_given() {
    let sim = sim(SimConfig::default());
    sim.faults().push(Fault::UsageCap);
    let tmp = tempfile::tempdir().unwrap();
    let input = handles_file(tmp.path(), &names("c", 50));
    let out = tmp.path().join("run");
    let output = influx(
        &sim,
        &["--handles", path_arg(&input), "--out", path_arg(&out)],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let events = json_lines(&output.stdout);
    assert!(events.iter().any(|e| e["event"] == "run_stopped"
        && e["reason"] == "usage-cap"
        && e["detail"].as_str().unwrap().contains("usage cap")));
    assert!(
        summary(&out)["stopped"]["detail"]
            .as_str()
            .unwrap()
            .contains("usage cap")
    );

    let output = influx(
        &sim,
        &[
            "--handles",
            path_arg(&input),
            "--out",
            path_arg(&tmp.path().join("r2")),
        ],
    )
    .env_remove("X_BEARER_TOKEN")
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stdout).contains("X_BEARER_TOKEN"));
}

#[test]
fn a_run_killed_mid_way_resumes_without_losing_a_handle_or_asking_an_answered_batch_again() {
    let sim = sim(SimConfig {
        latency: Duration::from_millis(15),
        ..SimConfig::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let all = names("k", 3000);
    let input = handles_file(tmp.path(), &all);
    let out = tmp.path().join("run");
    let mut child = influx(
        &sim,
        &[
            "--handles",
            path_arg(&input),
            "--out",
            path_arg(&out),
            "--batch-size",
            "20",
            "--rate-limit",
            "0",
            "--concurrency",
            "2",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let journal = out.join("journal.jsonl");
    wait_for_lines(
        &journal,
        20,
        Duration::from_secs(120),
        "the run never got going",
    );
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let first_answered = journaled_handles(&journal);
    assert!(first_answered.len() < all.len(), "killed before the end");
    let first_requests = lines_so_far(&out.join("responses.jsonl"));

    let output = influx(&sim, &["--resume", path_arg(&out)])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // Every handle answered exactly once across both attempts.
    let answered = journaled_handles(&journal);
    assert_eq!(answered.len(), all.len(), "no handle lost");
    let mut count = 0;
    for line in file_lines(&journal).iter().skip(1) {
        for key in ["found", "protected", "not_found", "suspended"] {
            count += line[key].as_array().unwrap().len();
        }
    }
    assert_eq!(count, all.len(), "no handle journaled twice");
    // No request of the resumed attempt asked for a handle answered before the kill.
    let responses = file_lines(&out.join("responses.jsonl"));
    for r in &responses[first_requests..] {
        let path = r["path"].as_str().unwrap();
        let asked = path
            .split("usernames=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap();
        for h in asked.split(',') {
            assert!(
                !first_answered.contains(h),
                "{h} was asked again after its batch was answered"
            );
        }
    }
    // records.jsonl holds each harvested handle once, with no torn line.
    let records = file_lines(&out.join("records.jsonl"));
    let distinct: HashSet<String> = records
        .iter()
        .map(|r| r["handle"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    assert_eq!(records.len(), distinct.len());
    assert_eq!(
        records.len() as u64,
        summary(&out)["harvested"].as_u64().unwrap()
    );
    // The ledger neither lost nor double-counted a request across the kill: one line per
    // answer of responses.jsonl, and its sum is what the API billed.
    let ledger = file_lines(&tmp.path().join("data").join("ledger.jsonl"));
    let lines: Vec<u64> = ledger
        .iter()
        .map(|e| e["response_line"].as_u64().unwrap())
        .collect();
    let distinct: HashSet<u64> = lines.iter().copied().collect();
    assert_eq!(lines.len(), distinct.len(), "no request counted twice");
    assert_eq!(lines.len(), responses.len(), "no request lost");
    let cost: u64 = ledger
        .iter()
        .map(|e| e["cost_micros"].as_u64().unwrap())
        .sum();
    assert_eq!(cost, sim.stats().billing.billed_micros);
    let s = summary(&out);
    assert_eq!((s["cost_usd"].as_f64().unwrap() * 1e6).round() as u64, cost);
    // `influx spend` reads the same ledger back: by day and by run, with the total.
    let spend = influx_bin()
        .args(["spend", "--json", "--data"])
        .arg(tmp.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(spend.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&spend.stdout).unwrap();
    let total = &report["total"];
    assert_eq!(
        (total["cost_usd"].as_f64().unwrap() * 1e6).round() as u64,
        cost
    );
    assert_eq!(total["requests"], responses.len() as u64);
    assert_eq!(
        report["runs"].as_array().unwrap().len(),
        1,
        "one run, two attempts"
    );
    let by_day: u64 = report["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(Value::from(by_day), total["requests"]);
}

#[test]
fn a_dry_run_states_the_plan_as_one_json_line_and_sends_nothing() {
    let sim = sim(SimConfig::default());
    let tmp = tempfile::tempdir().unwrap();
    let input = handles_file(tmp.path(), &names("dry", 250));
    let output = influx(
        &sim,
        &[
            "--handles",
            path_arg(&input),
            "--dry-run",
            "--max-spend",
            "1.5",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let plan = &lines[0];
    assert_eq!(plan["event"], "plan");
    assert_eq!(
        (&plan["handles"], &plan["requests"], &plan["free_rereads"]),
        (&Value::from(250), &Value::from(3), &Value::from(0))
    );
    assert_eq!(plan["cost_usd"], 2.5);
    assert_eq!(plan["max_spend_usd"], 1.5);
    assert!(plan["eta_s"].is_u64());
    assert_eq!(sim.stats().requests, 0, "a dry run sends nothing");
}

#[test]
fn sigterm_cancels_like_ctrl_c_and_leaves_a_summary_and_a_journal() {
    let sim = sim(SimConfig {
        latency: Duration::from_millis(150),
        ..SimConfig::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let input = handles_file(tmp.path(), &names("term", 400));
    let out = tmp.path().join("run");
    let child = influx(
        &sim,
        &[
            "--handles",
            path_arg(&input),
            "--out",
            path_arg(&out),
            "--batch-size",
            "10",
            "--concurrency",
            "1",
            "--rate-limit",
            "0",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let journal = out.join("journal.jsonl");
    wait_for_lines(
        &journal,
        3,
        Duration::from_secs(60),
        "the run never got going",
    );
    let pid = child.id() as i32;
    // SAFETY: kill(2) on our own child's pid with a plain signal number.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "cancelled with handles pending"
    );
    let s = summary(&out);
    assert_eq!(s["cancelled"], true);
    assert!(s["pending"].as_u64().unwrap() > 0);
    assert_eq!(s["stopped"], Value::Null);
    let events = json_lines(&output.stdout);
    assert_eq!(events.last().unwrap()["event"], "run_done");
}

fn assert_token_absent(label: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    assert!(!text.contains(TOKEN), "the token appears in {label}");
    assert!(
        !text.contains("DISTINCTIVE"),
        "part of the token appears in {label}"
    );
}

fn assert_no_token_in_dir(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            assert_token_absent(&path.display().to_string(), &std::fs::read(&path).unwrap());
        }
    }
}

fn check_run(label: &str, output: &Output, dir: &Path) {
    assert_token_absent(&format!("{label} stdout"), &output.stdout);
    assert_token_absent(&format!("{label} stderr"), &output.stderr);
    assert_no_token_in_dir(dir);
}

#[test]
fn the_token_appears_in_no_output_file_nor_on_stdout_or_stderr() {
    let sim = sim(SimConfig::default());
    for fault in [Fault::ServerError(503), Fault::Reset, Fault::Malformed] {
        sim.faults().push(fault);
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = handles_file(tmp.path(), &names("t", 300));

    let out = tmp.path().join("env");
    let output = influx(
        &sim,
        &["--handles", path_arg(&input), "--out", path_arg(&out)],
    )
    .env("RUST_LOG", "trace")
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(0));
    check_run("env-token run", &output, &out);

    let token_file = tmp.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let out = tmp.path().join("file");
    let output = influx(
        &sim,
        &[
            "--handles",
            path_arg(&input),
            "--out",
            path_arg(&out),
            "--token-file",
            path_arg(&token_file),
        ],
    )
    .env_remove("X_BEARER_TOKEN")
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(0));
    check_run("token-file run", &output, &out);

    // A refused token is reported without being shown.
    let out = tmp.path().join("refused");
    let output = influx(
        &sim,
        &["--handles", path_arg(&input), "--out", path_arg(&out)],
    )
    .env("X_BEARER_TOKEN", format!("{TOKEN}-wrong"))
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stdout).contains("401"));
    check_run("refused run", &output, &out);
}

#[test]
fn a_copied_data_directory_resumes_its_own_run_and_the_originals_ledger_is_untouched() {
    let sim = sim(SimConfig {
        not_found_rate: 0.0,
        suspended_rate: 0.0,
        ..SimConfig::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let input = handles_file(tmp.path(), &names("cp", 60));
    let original = tmp.path().join("A");
    let copy = tmp.path().join("B");
    let harvest = |args: &[&str]| {
        influx_bin()
            .arg("harvest")
            .args(["--api-base", &sim.base_url(), "--json"])
            .args(args)
            .env("X_BEARER_TOKEN", TOKEN)
            .env_remove("INFLUX_API_BASE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    // $0.20 buys twenty users at $0.010: the run stops with the rest pending.
    let first = harvest(&[
        "--data",
        path_arg(&original),
        "--out",
        path_arg(&original.join("runs/hv")),
        "--handles",
        path_arg(&input),
        "--batch-size",
        "10",
        "--max-spend",
        "0.20",
    ]);
    assert_eq!(first.status.code(), Some(1), "stopped by the cap");
    let status = Command::new("cp")
        .arg("-a")
        .arg(&original)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    let ledger = |dir: &Path| std::fs::read(dir.join("ledger.jsonl")).unwrap();
    let before = ledger(&original);

    let resumed = harvest(&[
        "--resume",
        path_arg(&copy.join("runs/hv")),
        "--max-spend",
        "10",
    ]);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stdout)
    );
    assert_eq!(
        ledger(&original),
        before,
        "the original's ledger is unchanged"
    );
    let entries = json_lines(&ledger(&copy));
    let answers = lines_so_far(&copy.join("runs/hv/responses.jsonl"));
    assert_eq!(
        entries.len(),
        answers,
        "one ledger line per answer, none twice"
    );
    assert!(
        entries.len() > json_lines(&before).len(),
        "the copy's ledger holds the resumed run's spend"
    );
    let journal = std::fs::read_to_string(copy.join("runs/hv/journal.jsonl")).unwrap();
    assert!(
        !journal.contains(&*copy.to_string_lossy()),
        "the journal names nothing by the copy's absolute path"
    );
}

#[test]
fn a_token_file_others_can_read_is_warned_about_and_a_token_setting_is_never_echoed() {
    use std::os::unix::fs::PermissionsExt;
    let sim = sim(SimConfig::default());
    let tmp = tempfile::tempdir().unwrap();
    let input = handles_file(tmp.path(), &names("tf", 5));
    let token_file = tmp.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = |token: &str, out: &str| {
        influx_bin()
            .arg("harvest")
            .args([
                "--api-base",
                &sim.base_url(),
                "--json",
                "--token-file",
                token,
            ])
            .args(["--handles", path_arg(&input), "--data"])
            .arg(tmp.path().join("data"))
            .arg("--out")
            .arg(tmp.path().join(out))
            .env_remove("X_BEARER_TOKEN")
            .env_remove("INFLUX_API_BASE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = run(path_arg(&token_file), "r1");
    let events = json_lines(&out.stdout);
    let warning = events
        .iter()
        .find(|e| e["event"] == "warning")
        .unwrap_or_else(|| panic!("a warning: {events:?}"));
    assert!(
        warning["message"].as_str().unwrap().contains("chmod 600"),
        "{warning}"
    );

    // A token pasted where the path goes is never printed back.
    let pasted = "tok-PASTED-INTO-THE-FLAG-5521";
    let out = run(pasted, "r2");
    assert_eq!(out.status.code(), Some(2));
    for (label, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("PASTED"), "{label} echoes it: {text}");
        if label == "stdout" {
            assert!(text.contains("--token-file"), "names where: {text}");
        }
    }
}

#[test]
fn a_harvest_refused_by_the_lock_leaves_no_empty_run_directory() {
    let sim = sim(SimConfig::default());
    let tmp = tempfile::tempdir().unwrap();
    let input = handles_file(tmp.path(), &names("lk", 5));
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let _running = influx::pipeline::harvest::ledger::HarvestLock::take(
        &DataDir::new(&data),
        &data.join("runs/other"),
    )
    .unwrap();
    let out = data.join("runs/refused");
    let output = influx_bin()
        .arg("harvest")
        .args(["--api-base", &sim.base_url(), "--json", "--handles"])
        .arg(&input)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .env("X_BEARER_TOKEN", TOKEN)
        .env_remove("INFLUX_API_BASE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("another harvest"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(!out.exists(), "the refused run left {}", out.display());
    assert_eq!(sim.stats().requests, 0);
}
