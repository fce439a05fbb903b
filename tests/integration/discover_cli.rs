//! `influx discover` and a first harvest → merge, the real binary against the simulator: a
//! discovery killed mid-way resumes without asking again for a page its journal holds, and a
//! plain harvest of real-looking people merges into an empty data directory with no override
//! flag (every record complete: language, topics, last post).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::common::{influx_bin, json_lines, names, wait_for_lines};
use influx::sim::{AI_LIST, NEWS_LIST, SEED_HANDLE, SimConfig, SimServer};
use serde_json::Value;

const TOKEN: &str = "tok-discover-cli";

fn sim(latency_ms: u64) -> SimServer {
    SimServer::start_background(SimConfig {
        token: Some(TOKEN.into()),
        not_found_rate: 0.0,
        suspended_rate: 0.0,
        latency: Duration::from_millis(latency_ms),
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

fn influx(sim: &SimServer, args: &[&str]) -> std::process::Command {
    let mut cmd = influx_bin();
    cmd.args(args)
        .args(["--api-base", &sim.base_url()])
        .env("X_BEARER_TOKEN", TOKEN)
        .env_remove("INFLUX_API_BASE")
        .stdin(Stdio::null());
    cmd
}

fn text(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The discovery run of a data directory (not its seeds' lookup run).
fn discovery_run(data: &Path) -> PathBuf {
    std::fs::read_dir(data.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !p.to_string_lossy().ends_with("-seeds"))
        .expect("a discovery run")
}

/// The request paths of a run's answers, from `responses.jsonl`, in order.
fn asked_paths(run: &Path) -> Vec<String> {
    json_lines(&std::fs::read(run.join("responses.jsonl")).unwrap_or_default())
        .iter()
        .filter_map(|a| a["path"].as_str().map(str::to_string))
        .collect()
}

/// The page paths the journal holds as answered.
fn journaled_pages(run: &Path) -> HashSet<String> {
    json_lines(&std::fs::read(run.join("journal.jsonl")).unwrap_or_default())
        .iter()
        .filter(|b| b["kind"] == "batch" && b.get("page").is_some())
        .filter_map(|b| {
            let source = &b["page"];
            let token = source["token"].as_str();
            let base = match source["source"].as_str() {
                Some("list") => format!("/2/lists/{}/members", source["list"].as_str()?),
                Some("following") => {
                    format!("/2/users/{}/following", source["seed_id"].as_str()?)
                }
                _ => return None,
            };
            Some(format!("{base}|{}", token.unwrap_or("")))
        })
        .collect()
}

/// A page's identity in a request path: its endpoint and its token.
fn page_key(path: &str) -> Option<String> {
    let (base, query) = path.split_once('?')?;
    if !base.ends_with("/members") && !base.ends_with("/following") {
        return None;
    }
    let token = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("pagination_token="))
        .unwrap_or("");
    Some(format!("{base}|{token}"))
}

#[test]
fn a_killed_discovery_resumes_without_asking_again_for_a_page_its_journal_holds() {
    let sim = sim(150);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut child = influx(
        &sim,
        &[
            "discover",
            "--data",
            text(&data),
            "--list",
            AI_LIST.id,
            "--list",
            NEWS_LIST.id,
            "--following",
            SEED_HANDLE,
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // The header and two answered pages, then SIGKILL: no chance to clean up.
    let run = loop {
        let runs = data.join("runs");
        if let Some(run) = std::fs::read_dir(&runs)
            .into_iter()
            .flatten()
            .map(|e| e.unwrap().path())
            .find(|p| !p.to_string_lossy().ends_with("-seeds") && p.join("journal.jsonl").exists())
        {
            break run;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    wait_for_lines(
        &run.join("journal.jsonl"),
        3,
        Duration::from_secs(60),
        "the discovery never got going",
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let held = journaled_pages(&run);
    let asked_before = asked_paths(&run).len();
    assert!(!held.is_empty());

    let out = influx(
        &sim,
        &["discover", "--data", text(&data), "--resume", text(&run)],
    )
    .output()
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after: Vec<String> = asked_paths(&run)[asked_before..].to_vec();
    for path in &after {
        if let Some(key) = page_key(path) {
            assert!(
                !held.contains(&key),
                "{path} was asked again after its answer was journaled"
            );
        }
    }
    // Every page of every source was read in the end: the report counts each member once.
    let report = json_lines(&out.stdout)
        .into_iter()
        .find(|e| e["event"] == "discovery_done")
        .expect("a final report");
    let per_source = &report["report"]["per_source"];
    assert_eq!(
        per_source[format!("list {}", AI_LIST.id)].as_u64(),
        Some(AI_LIST.members as u64)
    );
    assert_eq!(
        per_source[format!("list {}", NEWS_LIST.id)].as_u64(),
        Some(NEWS_LIST.members as u64)
    );
    assert_eq!(discovery_run(&data), run);
}

#[test]
fn a_first_harvest_of_real_looking_people_merges_into_an_empty_directory_with_no_flag() {
    let sim = sim(0);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let handles = tmp.path().join("handles.txt");
    std::fs::write(&handles, names("person", 120).join("\n")).unwrap();
    let run = data.join("runs").join("first");
    let harvest = influx(
        &sim,
        &[
            "harvest",
            "--handles",
            text(&handles),
            "--data",
            text(&data),
            "--out",
            text(&run),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(
        harvest.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&harvest.stderr)
    );
    let records: Vec<Value> = json_lines(&std::fs::read(run.join("records.jsonl")).unwrap());
    assert!(!records.is_empty());
    for r in &records {
        let lang = r["lang_primary"]
            .as_str()
            .expect("every record says its language");
        assert!(lang == "und" || lang.len() == 2, "{lang}");
        assert!(r["meta"]["lang_source"].is_string());
        assert!(r["topic_tags"].is_array());
    }
    assert!(
        records.iter().any(|r| r["last_post_at"].is_string()),
        "the newest post's time is read from its id"
    );
    let merge = influx_bin()
        .args(["merge", "--data", text(&data), "--json"])
        .arg(run.join("records.jsonl"))
        .output()
        .unwrap();
    assert_eq!(
        merge.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&merge.stdout),
        String::from_utf8_lossy(&merge.stderr)
    );
    let plan = json_lines(&merge.stdout)
        .into_iter()
        .find(|e| e["event"] == "plan")
        .unwrap();
    assert_eq!(plan["blocked"], 0, "no record is blocked by the schema");
    assert_eq!(plan["added"].as_u64(), Some(records.len() as u64));
}

#[test]
fn an_operators_admit_and_exclude_are_recorded_with_why_and_listed_by_candidates() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let run = |args: &[&str]| influx_bin().args(args).output().unwrap();
    let refused = run(&["admit", "@somebody", "--why", "  ", "--data", text(&data)]);
    assert_eq!(refused.status.code(), Some(2), "a decision needs a reason");
    let not_a_handle = run(&[
        "exclude",
        "not a handle!",
        "--why",
        "x",
        "--data",
        text(&data),
    ]);
    assert_eq!(not_a_handle.status.code(), Some(2));
    let admitted = run(&[
        "admit",
        "https://x.com/SomeBody",
        "--why",
        "known researcher",
        "--data",
        text(&data),
    ]);
    assert_eq!(admitted.status.code(), Some(0));
    let excluded = run(&[
        "exclude",
        "brandco",
        "--why",
        "a brand",
        "--data",
        text(&data),
    ]);
    assert_eq!(excluded.status.code(), Some(0));
    let listed = run(&["candidates", "--json", "--data", text(&data)]);
    let all = json_lines(&listed.stdout);
    assert_eq!(all.len(), 2);
    let somebody = all.iter().find(|c| c["handle"] == "SomeBody").unwrap();
    assert_eq!(somebody["decision"], "admitted");
    assert_eq!(somebody["decided_by"], "operator");
    assert_eq!(somebody["operator"]["why"], "known researcher");
    let only_excluded = run(&[
        "candidates",
        "--json",
        "--decision",
        "excluded",
        "--data",
        text(&data),
    ]);
    let excluded: Vec<Value> = json_lines(&only_excluded.stdout);
    assert_eq!(excluded.len(), 1);
    assert_eq!(excluded[0]["handle"], "brandco");
}
