//! `influx refresh`, the real binary, against the simulator: it asks for exactly the authors
//! that need it (the stale and the unscored, not the fresh), merges them and records their
//! history, writes a metrics file in the Prometheus text format, refuses a second refresh of the
//! same directory at once, finishes a refresh killed mid-way without asking an answered batch
//! again, marks authors the API says are gone, and names the line of a bad influx.toml.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};

use crate::common::{
    asked_usernames as asked, influx_bin, journaled_handles, json_lines, lines_so_far,
    wait_for_lines,
};
use influx::dataset::format_time;
use influx::pipeline::data_dir::DataDir;
use influx::sim::{SimConfig, SimServer};

const TOKEN: &str = "tok-refresh-7781";

/// The simulator, answering the directory's authors with their own ids.
fn sim(data: &Path, config: SimConfig) -> SimServer {
    let known = std::fs::read_to_string(data.join("latest/latest.jsonl"))
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| influx::dataset::parse_line(i + 1, l).unwrap())
        .collect();
    SimServer::start_background(SimConfig {
        known,
        token: Some(TOKEN.into()),
        not_found_rate: 0.0,
        suspended_rate: 0.0,
        tweet_error_rate: 0.0,
        ..config
    })
    .expect("simulator starts")
}

fn influx(args: &[&str]) -> Command {
    let mut cmd = influx_bin();
    cmd.args(args)
        .env("X_BEARER_TOKEN", TOKEN)
        .env_remove("INFLUX_API_BASE")
        .stdin(Stdio::null());
    cmd
}

fn refresh(sim: &SimServer, data: &Path, extra: &[&str]) -> Command {
    let mut cmd = influx(&["refresh", "--json", "--api-base", &sim.base_url(), "--data"]);
    cmd.arg(data).args(extra);
    cmd
}

fn event<'a>(lines: &'a [Value], name: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["event"] == name)
        .unwrap_or_else(|| panic!("no {name} event in {lines:?}"))
}

fn checked(out: Output, code: i32) -> Vec<Value> {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&out.stdout)
}

/// A data directory of `n` authors, merged: numbers in `stale` were last refreshed 30 days
/// ago, the others a day ago; numbers in `unscored` carry no metrics (so no score). The records
/// say they were curated by hand, so custody has nothing to prove and a stale one is chosen.
fn directory(
    root: &Path,
    n: u64,
    stale: std::ops::Range<u64>,
    unscored: std::ops::Range<u64>,
) -> PathBuf {
    directory_from(root, n, stale, unscored, "manual_curation")
}

/// A data directory as the old pipeline left it: every record claims the X API (`method`) but
/// no kept answer proves it (unverifiable custody).
fn legacy_directory(root: &Path, n: u64, stale: std::ops::Range<u64>) -> PathBuf {
    directory_from(root, n, stale, 0..0, "x_api_v2")
}

fn directory_from(
    root: &Path,
    n: u64,
    stale: std::ops::Range<u64>,
    unscored: std::ops::Range<u64>,
    method: &str,
) -> PathBuf {
    let now = Utc::now();
    let mut text = String::new();
    for i in 0..n {
        let mut v = influx::generate::record(7, i).into_value();
        let at = if stale.contains(&i) {
            now - TimeDelta::days(30)
        } else {
            now - TimeDelta::days(1)
        };
        v["meta"]["last_refresh_at"] = json!(format_time(at));
        v["meta"]["sources"] =
            json!([{"method": method, "fetched_at": format_time(at), "evidence": "test"}]);
        if unscored.contains(&i) {
            let o = v.as_object_mut().unwrap();
            o.remove("public_metrics");
            o.remove("followers_count");
        }
        text.push_str(&v.to_string());
        text.push('\n');
    }
    let batch = root.join("seed.jsonl");
    std::fs::write(&batch, text).unwrap();
    let scored = root.join("seed.scored.jsonl");
    checked(
        influx(&["score", "--json", "--out"])
            .arg(&scored)
            .arg(&batch)
            .output()
            .unwrap(),
        0,
    );
    let data = root.join("data");
    // The unscored records break the schema (no followers_count, no score): merged as legacy data is.
    let out = influx(&["merge", "--json", "--allow-flagged", "--data"])
        .arg(&data)
        .arg(&scored)
        .output()
        .unwrap();
    checked(out, 0);
    data
}

fn handle(i: u64) -> String {
    format!("gen_7_{i}")
}

/// Each sample of a Prometheus text exposition, by name and labels; panics on a line that is
/// not the format (a comment other than HELP/TYPE, a sample without a float, a TYPE after its
/// samples, an unknown type).
fn prometheus_samples(text: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    let mut typed: HashMap<String, String> = HashMap::new();
    let mut helped = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kind, name, value) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap_or(""),
            );
            match kind {
                "HELP" => assert!(
                    helped.insert(name.to_string()),
                    "one HELP per metric: {line}"
                ),
                "TYPE" => {
                    assert!(
                        ["counter", "gauge", "summary", "histogram", "untyped"].contains(&value),
                        "{line}"
                    );
                    assert!(
                        !samples.keys().any(|k: &String| k.starts_with(name)),
                        "TYPE before samples: {line}"
                    );
                    typed.insert(name.to_string(), value.to_string());
                }
                _ => panic!("unexpected comment {line}"),
            }
            continue;
        }
        let (key, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let name = key.split('{').next().unwrap();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        let family = name.trim_end_matches("_sum").trim_end_matches("_count");
        assert!(
            typed.contains_key(name) || typed.contains_key(family),
            "sample before its TYPE: {line}"
        );
        let v = match value {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("not a float: {line}")),
        };
        samples.insert(key.to_string(), v);
    }
    for name in typed.keys() {
        assert!(helped.contains(name), "{name} has TYPE but no HELP");
    }
    samples
}

#[test]
fn a_refresh_asks_for_exactly_the_stale_and_unscored_authors_merges_them_and_reports_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 300, 0..100, 100..105);
    let sim = sim(&data, SimConfig::default());
    let metrics = tmp.path().join("influx.prom");

    let plan = checked(
        refresh(&sim, &data, &["--dry-run", "--stale-after", "7d"])
            .output()
            .unwrap(),
        0,
    );
    let selected = event(&plan, "selected");
    assert_eq!(
        selected["per_reason"],
        json!({"unscored": 5, "flagged": 0, "stale": 100, "unverifiable": 0})
    );
    assert_eq!(event(&plan, "plan")["handles"], 105);
    assert_eq!(sim.stats().requests, 0, "a dry run sends nothing");

    let lines = checked(
        refresh(
            &sim,
            &data,
            &[
                "--stale-after",
                "7d",
                "--batch-size",
                "25",
                "--metrics-file",
            ],
        )
        .arg(&metrics)
        .output()
        .unwrap(),
        0,
    );
    let done = event(&lines, "refresh_done");
    let run_dir = PathBuf::from(done["report"]["run_dir"].as_str().unwrap());
    let mut asked = asked(&run_dir);
    asked.sort();
    let mut expected: Vec<String> = (0..105).map(handle).collect();
    expected.sort();
    assert_eq!(
        asked, expected,
        "exactly the stale and the unscored, each once"
    );
    assert_eq!(done["report"]["refreshed"], 105, "{done}");
    assert_eq!(done["exit"], 0);

    let samples = prometheus_samples(&std::fs::read_to_string(&metrics).unwrap());
    assert_eq!(samples["influx_authors"], 300.0);
    assert_eq!(
        samples["influx_stale_authors"], 0.0,
        "every stale author refreshed"
    );
    assert_eq!(
        samples["influx_unscored"], 0.0,
        "the simulator's answers carry metrics"
    );
    assert!(samples["influx_refresh_last_success_timestamp_seconds"] > 0.0);
    assert_eq!(
        samples["influx_api_requests_total"], 5.0,
        "105 handles in batches of 25"
    );
    assert!(samples.contains_key("influx_score{quantile=\"0.5\"}"));

    // A refreshed author has a second snapshot in the history; a fresh one still has one.
    let history = |h: &str| {
        let out = influx(&["history", "--json", h, "--data"])
            .arg(&data)
            .output()
            .unwrap();
        json_lines(&out.stdout)[0]["snapshots"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(history(&handle(3)), 2);
    assert_eq!(history(&handle(200)), 1);

    // Nothing is stale any more: the next refresh asks for nothing and says so.
    let again = checked(
        refresh(&sim, &data, &["--stale-after", "7d"])
            .output()
            .unwrap(),
        0,
    );
    assert_eq!(event(&again, "refresh_done")["report"]["selected"], 0);
}

#[test]
fn a_second_refresh_at_once_exits_2_naming_the_running_one_and_a_killed_refresh_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 400, 0..400, 0..0);
    let sim = sim(
        &data,
        SimConfig {
            latency: Duration::from_millis(40),
            ..SimConfig::default()
        },
    );
    let mut first = refresh(&sim, &data, &["--batch-size", "5", "--concurrency", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let runs = data.join("runs");
    let run_dir = loop {
        if let Some(d) = std::fs::read_dir(&runs).ok().and_then(|mut d| d.next()) {
            break d.unwrap().path();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    wait_for_lines(
        &run_dir.join("responses.jsonl"),
        3,
        Duration::from_secs(60),
        "the refresh never got going",
    );

    let second = checked(refresh(&sim, &data, &[]).output().unwrap(), 2);
    let reason = event(&second, "refresh_failed")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("another refresh is running"), "{reason}");
    assert!(
        reason.contains(&format!("pid {}", first.id())),
        "names the running one: {reason}"
    );

    first.kill().unwrap(); // SIGKILL: no chance to clean up
    first.wait().unwrap();
    let before = asked(&run_dir);
    assert!(before.len() < 400, "killed before the end");
    let answered_lines = lines_so_far(&run_dir.join("responses.jsonl"));
    let journaled: std::collections::HashSet<String> =
        journaled_handles(&run_dir.join("journal.jsonl"))
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();

    let lines = checked(refresh(&sim, &data, &[]).output().unwrap(), 0);
    let selected = event(&lines, "selected");
    assert_eq!(selected["resumed"], true);
    assert_eq!(
        PathBuf::from(selected["run_dir"].as_str().unwrap()),
        run_dir
    );
    let after = asked(&run_dir);
    let mut all = after.clone();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 400, "every author asked");
    // No journaled batch is asked again. The one batch in flight (concurrency 1) may be: killed
    // after its answer reached responses.jsonl and before its journal line did, it is asked
    // again (a same-day re-read, which X does not bill).
    let again = &after[before.len()..];
    assert!(again.iter().all(|h| !journaled.contains(h)), "{again:?}");
    assert!(
        after.len() <= 400 + 5,
        "at most the batch in flight asked twice"
    );
    assert!(after[..before.len()] == before[..] && answered_lines > 0);
    assert_eq!(event(&lines, "refresh_done")["report"]["refreshed"], 400);
}

#[test]
fn authors_the_api_says_are_gone_are_marked_kept_and_not_asked_again_within_the_back_off() {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 20, 0..5, 0..0);
    let sim = sim(
        &data,
        SimConfig {
            not_found: vec![handle(1)],
            suspended: vec![handle(2)],
            ..SimConfig::default()
        },
    );
    let lines = checked(refresh(&sim, &data, &[]).output().unwrap(), 0);
    let report = &event(&lines, "refresh_done")["report"];
    assert_eq!(report["marked_gone"], json!([handle(1), handle(2)]));
    let latest = std::fs::read_to_string(data.join("latest/latest.jsonl")).unwrap();
    let status_of = |h: String| {
        latest
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|v| v["handle"] == h)
            .map(|v| v["meta"]["status"]["state"].clone())
            .expect("the author is kept")
    };
    assert_eq!(status_of(handle(1)), "not_found");
    assert_eq!(status_of(handle(2)), "suspended");
    assert_eq!(status_of(handle(3)), Value::Null);

    let again = checked(
        refresh(&sim, &data, &["--stale-after", "0s"])
            .output()
            .unwrap(),
        0,
    );
    let selected = event(&again, "selected");
    assert_eq!(selected["backed_off"], 2, "{selected}");
    assert_eq!(selected["handles"], 18);
}

#[test]
fn a_bad_influx_toml_is_refused_naming_its_line_and_key_and_nothing_is_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 10, 0..10, 0..0);
    let sim = sim(&data, SimConfig::default());
    std::fs::write(
        data.join("influx.toml"),
        "stale_after = \"7d\"\n[caps]\nmax_spend = \"lots\"\n",
    )
    .unwrap();
    let out = checked(refresh(&sim, &data, &[]).output().unwrap(), 2);
    let reason = event(&out, "refresh_failed")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.ends_with("influx.toml:3: max_spend: expected an amount in USD, got \"lots\""),
        "{reason}"
    );
    assert_eq!(sim.stats().requests, 0);

    // `influx config` says where each value comes from once the file is right.
    std::fs::write(
        data.join("influx.toml"),
        "stale_after = \"14d\"\n[caps]\nmax_spend = 2.5\n",
    )
    .unwrap();
    let out = influx(&["config", "--json", "--batch-size", "10", "--data"])
        .arg(&data)
        .env("INFLUX_CONCURRENCY", "3")
        .output()
        .unwrap();
    let s = &checked(out, 0)[0];
    assert_eq!(s["stale_after"]["value"], "2w");
    assert_eq!(s["stale_after"]["from"]["line"], 1);
    assert_eq!(s["max_spend_usd"]["from"]["line"], 3);
    assert_eq!(
        s["batch_size"]["from"],
        json!({"kind": "flag", "flag": "--batch-size"})
    );
    assert_eq!(
        s["concurrency"]["from"],
        json!({"kind": "env", "var": "INFLUX_CONCURRENCY"})
    );
    assert_eq!(s["plan"]["from"], json!({"kind": "default"}));
}

#[test]
fn the_money_caps_hold_back_the_rest_for_a_later_refresh() {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 50, 0..50, 0..0);
    let sim = sim(&data, SimConfig::default());
    // $0.10 buys ten users at $0.010.
    let lines = checked(
        refresh(&sim, &data, &["--max-spend", "0.10"])
            .output()
            .unwrap(),
        1,
    );
    let report = &event(&lines, "refresh_done")["report"];
    assert_eq!(report["selected"], 10);
    assert_eq!(report["held_back"], 40);
    assert_eq!(report["refreshed"], 10);
    assert!(sim.stats().billing.billed_micros <= 100_000);
}

/// A simulator that knows author 3 of `data` under a new username only (the old one is not
/// found), and finds the authors numbered in `unfound` neither by username nor by id (gone),
/// answering every request after `latency`; and author 3's id.
fn renamed_sim(data: &Path, latency: Duration, unfound: &[u64]) -> (SimServer, String) {
    let mut renamed = None;
    let known: Vec<influx::dataset::Record> =
        std::fs::read_to_string(data.join("latest/latest.jsonl"))
            .unwrap()
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let mut v: Value = serde_json::from_str(l).unwrap();
                if v["handle"] == handle(3) {
                    v["handle"] = json!("renamed_three");
                    renamed = Some(v["id"].as_str().unwrap().to_string());
                }
                influx::dataset::parse_line(i + 1, &v.to_string()).unwrap()
            })
            .collect();
    let sim = SimServer::start_background(SimConfig {
        token: Some(TOKEN.into()),
        known,
        not_found: std::iter::once(3)
            .chain(unfound.iter().copied())
            .map(handle)
            .collect(),
        not_found_rate: 0.0,
        suspended_rate: 0.0,
        tweet_error_rate: 0.0,
        latency,
        ..SimConfig::default()
    })
    .unwrap();
    (sim, renamed.unwrap())
}

#[test]
fn a_renamed_account_is_found_by_its_id_and_its_handle_updated_with_the_old_one_kept_as_an_alias() {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 10, 0..10, 0..0);
    let (sim, id) = renamed_sim(&data, Duration::ZERO, &[]);
    let lines = checked(refresh(&sim, &data, &[]).output().unwrap(), 0);
    let report = &event(&lines, "refresh_done")["report"];
    assert_eq!(
        report["renamed"],
        json!([{"id": id, "from": handle(3), "to": "renamed_three"}])
    );
    assert_eq!(
        report["marked_gone"],
        json!([]),
        "a renamed account is not gone"
    );
    assert_eq!(report["refreshed"], 10);
    let records: Vec<Value> = std::fs::read_to_string(data.join("latest/latest.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 10, "one author, not two");
    let r = records.iter().find(|r| r["id"] == id.as_str()).unwrap();
    assert_eq!(r["handle"], "renamed_three");
    assert_eq!(r["meta"]["aliases"], json!([handle(3)]));
    assert!(!records.iter().any(|r| r["handle"] == handle(3)));
    // The history follows the account across the rename.
    let out = influx(&["history", "--json", "renamed_three", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(
        json_lines(&out.stdout)[0]["snapshots"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_dry_run_lists_each_chosen_author_with_its_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 12, 0..3, 3..4);
    let sim = sim(&data, SimConfig::default());
    let lines = checked(refresh(&sim, &data, &["--dry-run"]).output().unwrap(), 0);
    let chosen: Vec<(String, String)> = lines
        .iter()
        .filter(|l| l["event"] == "candidate")
        .map(|l| {
            (
                l["handle"].as_str().unwrap().to_string(),
                l["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> =
        [(3, "unscored"), (0, "stale"), (1, "stale"), (2, "stale")]
            .iter()
            .map(|(i, r)| (handle(*i), r.to_string()))
            .collect();
    assert_eq!(chosen, expected, "unscored first, then the stalest");
    assert_eq!(sim.stats().requests, 0);
}

#[test]
fn export_completions_and_the_man_page_come_from_the_real_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 5, 0..0, 4..5);
    let out = influx(&[
        "export",
        "--format",
        "csv",
        "--fields",
        "handle,followers_count,score,quality",
        "--data",
    ])
    .arg(&data)
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "handle,followers_count,score,quality");
    assert_eq!(rows.len(), 6, "a header and one row per author: {text}");
    assert!(
        rows[5].starts_with(&format!("{},,", handle(4))),
        "absent metrics are empty cells: {}",
        rows[5]
    );
    let bad = influx(&["export", "--format", "csv", "--fields", "a..b", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));

    let bash = influx(&["completions", "bash"]).output().unwrap();
    let script = String::from_utf8(bash.stdout).unwrap();
    assert!(
        script.contains("refresh") && script.contains("--stale-after"),
        "bash completions know refresh"
    );
    let man = influx(&["man"]).output().unwrap();
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH influx"),
        "a roff page: {}",
        &page[..page.len().min(200)]
    );
    assert!(page.contains("refresh"));
}

#[test]
fn a_stored_author_that_turned_into_a_brand_is_flagged_and_kept_and_an_operators_exclusion_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 20, 0..5, 0..0);
    // The operator excluded one author before the refresh; another now answers as a company.
    let mut candidates =
        influx::pipeline::candidates::Candidates::load(&DataDir::new(&data)).unwrap();
    candidates.operator(
        &handle(4),
        influx::pipeline::admission::Decision::Excluded,
        "a bot account",
        Utc::now(),
    );
    candidates.save(&DataDir::new(&data)).unwrap();
    let mut stored = std::fs::read_to_string(data.join("latest/latest.jsonl")).unwrap();
    let mut lines: Vec<Value> = stored
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for v in &mut lines {
        if v["handle"] == handle(3) {
            v["name"] = json!("Acme Cloud Inc.");
            v["description"] = json!(
                "The official account of Acme Cloud. Follow us for product news and customer support."
            );
        }
    }
    stored = lines.iter().map(|v| format!("{v}\n")).collect();
    let sim = {
        let known = stored
            .lines()
            .enumerate()
            .map(|(i, l)| influx::dataset::parse_line(i + 1, l).unwrap())
            .collect();
        SimServer::start_background(SimConfig {
            known,
            token: Some(TOKEN.into()),
            not_found_rate: 0.0,
            suspended_rate: 0.0,
            tweet_error_rate: 0.0,
            ..SimConfig::default()
        })
        .unwrap()
    };
    let lines = checked(refresh(&sim, &data, &[]).output().unwrap(), 0);
    let report = &event(&lines, "refresh_done")["report"];
    let flags: HashMap<String, String> = report["admission_flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f[0].as_str().unwrap().to_string(),
                f[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        flags
            .get(&handle(3))
            .is_some_and(|why| why.starts_with("org")),
        "{flags:?}"
    );
    let latest = std::fs::read_to_string(data.join("latest/latest.jsonl")).unwrap();
    let admission_of = |h: String| {
        latest
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|v| v["handle"] == h)
            .map(|v| v["meta"]["admission"].clone())
            .expect("the author is kept, never deleted")
    };
    assert_eq!(admission_of(handle(3))["decision"], "excluded");
    let excluded = admission_of(handle(4));
    assert_eq!(
        (
            &excluded["decision"],
            &excluded["decided_by"],
            &excluded["why"]
        ),
        (
            &json!("excluded"),
            &json!("operator"),
            &json!("a bot account")
        )
    );
}

#[test]
fn a_refresh_whose_gate_fails_publishes_nothing_and_says_which_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 10, 0..3, 0..0);
    std::fs::write(data.join("influx.toml"), "[gates]\nprecision = 0\n").unwrap();
    let manifest_before = std::fs::read_to_string(data.join("latest/manifest.json")).unwrap();
    // The API now answers one stale author with a follower count typed from a round figure.
    let known = std::fs::read_to_string(data.join("latest/latest.jsonl"))
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            if v["handle"] == handle(1) {
                v["public_metrics"]["followers_count"] = json!(120_000);
                v["followers_count"] = json!(120_000);
            }
            influx::dataset::parse_line(i + 1, &v.to_string()).unwrap()
        })
        .collect();
    let sim = SimServer::start_background(SimConfig {
        known,
        token: Some(TOKEN.into()),
        not_found_rate: 0.0,
        suspended_rate: 0.0,
        tweet_error_rate: 0.0,
        ..SimConfig::default()
    })
    .unwrap();
    let lines = checked(refresh(&sim, &data, &[]).output().unwrap(), 1);
    let done = event(&lines, "refresh_done");
    let words = done["words"].as_str().unwrap();
    assert!(
        words.contains("gate failed (precision 1 > 0)") && words.contains("nothing published"),
        "{words}"
    );
    assert_eq!(done["report"]["merged"], Value::Null);
    assert_eq!(
        std::fs::read_to_string(data.join("latest/manifest.json")).unwrap(),
        manifest_before,
        "the stored version is untouched"
    );
}

#[test]
fn a_legacy_indexs_stale_authors_are_re_read_though_unprovable_and_become_verified() {
    let tmp = tempfile::tempdir().unwrap();
    let data = legacy_directory(tmp.path(), 30, 0..10);
    let sim = sim(&data, SimConfig::default());
    let audit = |data: &Path| {
        let out = influx(&["audit", "--json", "--data"])
            .arg(data)
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["provenance"].clone()
    };
    assert_eq!(
        audit(&data)["unverifiable"],
        30,
        "the legacy index proves nothing"
    );

    let lines = checked(
        refresh(&sim, &data, &["--stale-after", "7d"])
            .output()
            .unwrap(),
        0,
    );
    let selected = event(&lines, "selected");
    assert_eq!(selected["per_reason"]["stale"], 10, "{selected}");
    assert_eq!(
        selected["skipped_unverifiable"], 20,
        "fresh and unprovable: {selected}"
    );
    let report = &event(&lines, "refresh_done")["report"];
    assert_eq!(report["refreshed"], 10, "{report}");
    let after = audit(&data);
    assert_eq!(
        after["verified"], 10,
        "the re-read authors are proved: {after}"
    );
    assert_eq!(after["unverifiable"], 20, "{after}");

    // `--include unverifiable` also re-reads the fresh ones that cannot be proved.
    let lines = checked(
        refresh(&sim, &data, &["--include", "unverifiable"])
            .output()
            .unwrap(),
        0,
    );
    assert_eq!(event(&lines, "selected")["per_reason"]["unverifiable"], 20);
    assert_eq!(audit(&data)["verified"], 30);
}

#[test]
fn a_refresh_refused_by_a_busy_lock_still_writes_last_json_and_the_metrics_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 10, 0..10, 0..0);
    let sim = sim(&data, SimConfig::default());
    let metrics = tmp.path().join("influx.prom");
    let _running = influx::pipeline::refresh::RefreshLock::take(&DataDir::new(&data)).unwrap();
    let lines = checked(
        refresh(&sim, &data, &["--metrics-file"])
            .arg(&metrics)
            .output()
            .unwrap(),
        2,
    );
    assert!(
        event(&lines, "refresh_failed")["reason"]
            .as_str()
            .unwrap()
            .contains("another refresh is running")
    );
    let last: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("refresh/last.json")).unwrap())
            .unwrap();
    assert_eq!(last["exit"], 2, "{last}");
    assert!(
        last["words"]
            .as_str()
            .unwrap()
            .contains("another refresh is running"),
        "{last}"
    );
    let samples = prometheus_samples(&std::fs::read_to_string(&metrics).unwrap());
    assert_eq!(samples["influx_authors"], 10.0);
    assert_eq!(samples["influx_refresh_last_exit_code"], 2.0);
    assert_eq!(sim.stats().requests, 0);
}

#[test]
fn a_refresh_refused_by_a_harvests_lock_leaves_no_pending_run_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 10, 0..10, 0..0);
    let sim = sim(&data, SimConfig::default());
    let _harvest = influx::pipeline::harvest::ledger::HarvestLock::take(
        &DataDir::new(&data),
        &data.join("runs/other"),
    )
    .unwrap();
    let lines = checked(refresh(&sim, &data, &[]).output().unwrap(), 2);
    assert!(
        event(&lines, "refresh_failed")["reason"]
            .as_str()
            .unwrap()
            .contains("another harvest"),
        "{lines:?}"
    );
    assert!(!data.join("refresh/pending.json").exists());
    let runs: Vec<_> = std::fs::read_dir(data.join("runs"))
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(runs.is_empty(), "left behind: {runs:?}");
    assert_eq!(sim.stats().requests, 0);
}

#[test]
fn stored_handles_x_cannot_be_asked_for_are_named_never_chosen_and_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 6, 0..6, 0..0);
    // Two stored rows whose handles no request can carry (a dash, 16+ characters).
    let latest = data.join("latest/latest.jsonl");
    let text = std::fs::read_to_string(&latest).unwrap();
    let mut rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    rows[0]["handle"] = json!("bad-handle");
    rows[1]["handle"] = json!("much_too_long_handle_x");
    let batch = tmp.path().join("bad.jsonl");
    std::fs::write(
        &batch,
        rows.iter().map(|v| format!("{v}\n")).collect::<String>(),
    )
    .unwrap();
    let fresh = tmp.path().join("fresh");
    checked(
        influx(&["merge", "--json", "--allow-flagged", "--data"])
            .arg(&fresh)
            .arg(&batch)
            .output()
            .unwrap(),
        0,
    );
    let sim = sim(&fresh, SimConfig::default());
    for _ in 0..2 {
        let lines = checked(refresh(&sim, &fresh, &[]).output().unwrap(), 1);
        let done = event(&lines, "refresh_done");
        let words = done["words"].as_str().unwrap();
        assert!(
            words.contains("2 stored handles X cannot be asked for")
                && words.contains("bad-handle")
                && words.contains("much_too_long_handle_x"),
            "{words}"
        );
    }
    let asked: Vec<String> = std::fs::read_dir(fresh.join("runs"))
        .unwrap()
        .flat_map(|run| asked(&run.unwrap().path()))
        .collect();
    assert!(
        asked.len() >= 4,
        "the valid stale authors were asked: {asked:?}"
    );
    assert!(
        !asked
            .iter()
            .any(|h| h.contains("bad") || h.contains("much")),
        "{asked:?}"
    );
}

/// cron, systemd and `timeout` stop a refresh with SIGTERM, whichever step it is in: here the
/// look-up by id of the accounts the first run did not find, the refresh's second harvest.
#[test]
fn sigterm_during_the_renamed_account_look_up_stops_the_refresh_cleanly_and_the_next_one_finishes_it()
 {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 10, 0..10, 0..0);
    // Three accounts to look up by id (one renamed, two gone), one a request, one request at a
    // time: the signal lands while the first is out and two are not sent.
    let (sim, id) = renamed_sim(&data, Duration::from_millis(700), &[5, 6]);
    let first = refresh(&sim, &data, &["--batch-size", "1", "--concurrency", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let runs = data.join("runs");
    let id_journal = loop {
        let ids_run = std::fs::read_dir(&runs).ok().and_then(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with("-ids"))
        });
        if let Some(journal) = ids_run.map(|d| d.join("journal.jsonl"))
            && lines_so_far(&journal) > 0
        {
            break journal;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let asked_before = sim.stats().requests;
    // SAFETY: kill(2) on our own child's pid with a plain signal number.
    assert_eq!(unsafe { libc::kill(first.id() as i32, libc::SIGTERM) }, 0);
    let stopped_at = std::time::Instant::now();
    let out = first.wait_with_output().unwrap();
    assert!(
        stopped_at.elapsed() < Duration::from_secs(10),
        "the look-up heard the signal: it took {:?}",
        stopped_at.elapsed()
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "stopped with work left is exit 1, not a crash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out.stdout);
    assert!(
        lines.iter().any(|l| l["event"] == "refresh_done"),
        "the refresh says how it ended: {lines:?}"
    );
    assert!(lines_so_far(&id_journal) > 0);
    let report = &event(&lines, "refresh_done")["report"];
    assert_eq!(
        report["marked_gone"],
        json!([]),
        "an account the stopped look-up did not reach is not gone"
    );

    // The next refresh takes the look-up up again; the first run's batches are not asked again.
    let lines = checked(
        refresh(&sim, &data, &["--batch-size", "1", "--concurrency", "1"])
            .output()
            .unwrap(),
        0,
    );
    let report = &event(&lines, "refresh_done")["report"];
    assert_eq!(
        report["renamed"],
        json!([{"id": id, "from": handle(3), "to": "renamed_three"}])
    );
    assert_eq!(
        report["marked_gone"],
        json!([handle(5), handle(6)]),
        "gone once the look-up by id has asked for them"
    );
    let after_signal = sim.stats().requests - asked_before;
    assert!(
        after_signal <= 3,
        "only the look-up by id is asked, {after_signal} requests after the signal"
    );
}

/// The weekly cron in one command: refresh, then bring the history's lake up to date.
#[test]
fn a_refresh_with_history_export_brings_the_lake_up_to_date_after_publishing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = directory(tmp.path(), 6, 0..6, 0..0);
    let sim = sim(&data, SimConfig::default());
    let lake = tmp.path().join("lake");
    let lines = checked(
        refresh(&sim, &data, &["--history-export", lake.to_str().unwrap()])
            .output()
            .unwrap(),
        0,
    );
    assert_eq!(event(&lines, "refresh_done")["report"]["refreshed"], 6);
    let exported = lines
        .iter()
        .find(|l| l.get("weeks_written").is_some())
        .expect("the export says what it wrote");
    assert!(exported["snapshots_written"].as_u64().unwrap() >= 6);
    assert!(lake.join("_influx_manifest.json").is_file());
    let weeks = std::fs::read_dir(lake.join("snapshots")).unwrap().count();
    assert!(weeks >= 1, "a week directory per ISO week");
}
