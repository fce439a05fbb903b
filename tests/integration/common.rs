//! Helpers the integration tests share: the binary, handle lists, a retry policy fast enough for
//! tests, waiting on a file another process is writing, and answering the console's detail
//! requests as its event loop does. Each test crate uses what it needs.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use std::time::{Duration, Instant};

use influx::cli::console_ops::ConsoleOps;
use influx::pipeline::data_dir::DataDir;
use influx::pipeline::harvest::events::HarvestEvent;
use influx::pipeline::harvest::handles::{HandleList, parse_handles};
use influx::pipeline::harvest::{HarvestConfig, RetryPolicy, RunReport, start};
use influx::ui::Action;
use influx::ui::Operations;
use influx::ui::{App, update};

/// Answers the console's pending detail request at once, on this thread, through `ops`, as the
/// event loop does on a blocking one: the tests drive the reducer without an event loop.
pub fn answer_details_now(app: &mut App, ops: &dyn Operations) {
    if let Some(ask) = app.take_detail_ask() {
        let answer = ops.detail(&ask);
        update(app, Action::DetailReady(Box::new(answer)));
    }
}

/// The console's operations on a data directory that does not exist: records held in memory or
/// in the file they were loaded from are read, and there is no history.
pub fn ops_without_dir() -> ConsoleOps {
    ConsoleOps::new(
        DataDir::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/no-such-data-dir")),
        "http://127.0.0.1:9".into(),
    )
}

/// The `influx` binary this test run built.
pub fn influx_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_influx"))
}

/// `prefix0`, `prefix1`, ... : valid handles, `n` of them.
pub fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// The handles as a harvest reads them from a file.
pub fn list(handles: &[String]) -> HandleList {
    parse_handles(&handles.join("\n"))
}

/// Retries after milliseconds, not seconds: the simulator answers at once.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_throttled: 5,
    }
}

/// Complete lines of a file another process is writing (a torn last line is not counted).
pub fn lines_so_far(path: &Path) -> usize {
    std::fs::read(path)
        .map(|b| b.iter().filter(|c| **c == b'\n').count())
        .unwrap_or(0)
}

/// Waits until `path` has at least `n` complete lines; panics naming `what` after `limit`.
pub fn wait_for_lines(path: &Path, n: usize, limit: Duration, what: &str) {
    let started = Instant::now();
    while lines_so_far(path) < n {
        assert!(started.elapsed() < limit, "{what}: waited {limit:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs a harvest to its end on the current runtime, collecting every event it sent.
pub async fn run_to_end(
    config: HarvestConfig,
    input: HandleList,
) -> (RunReport, Vec<HarvestEvent>) {
    let mut run = start(config, input).expect("run starts");
    let mut events = Vec::new();
    while let Some(e) = run.events.recv().await {
        events.push(e);
    }
    (run.finished.await.unwrap(), events)
}

/// Each line of a command's output (or a JSONL file's bytes) as JSON; panics naming a bad line.
pub fn json_lines(text: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(text)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The usernames every request of a run asked for, in request order, folded to lower case,
/// read from the run's raw answers (`responses.jsonl`).
pub fn asked_usernames(run_dir: &Path) -> Vec<String> {
    let bytes = std::fs::read(run_dir.join("responses.jsonl")).unwrap_or_default();
    let mut out = Vec::new();
    for r in json_lines(&bytes) {
        let path = r["path"].as_str().expect("every answer names its request");
        let Some(list) = path.split("usernames=").nth(1) else {
            continue;
        };
        let list = list.split('&').next().unwrap_or_default();
        out.extend(list.split(',').map(str::to_ascii_lowercase));
    }
    out
}

/// Every handle a run's journal (`journal.jsonl`) says was answered for good: the batches a
/// resume never asks again.
pub fn journaled_handles(journal: &Path) -> std::collections::HashSet<String> {
    let text = String::from_utf8_lossy(&std::fs::read(journal).unwrap()).into_owned();
    let mut out = std::collections::HashSet::new();
    for line in text.lines().skip(1) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        for key in ["found", "protected", "not_found", "suspended"] {
            for h in v[key].as_array().unwrap() {
                out.insert(h.as_str().unwrap().to_string());
            }
        }
    }
    out
}
