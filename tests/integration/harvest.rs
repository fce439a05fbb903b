//! The harvest engine against the simulator started in-process: every fault the simulator can
//! inject is handled as specified, partial errors are reconciled, bad input is never sent, runs
//! can be paused, cancelled and resumed, and pacing uses the budget without window 429s.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

use crate::common;

use common::{fast_retry, list, names, run_to_end as run};
use influx::pipeline::harvest::budget::BudgetConfig;
use influx::pipeline::harvest::events::{HarvestCommand, HarvestEvent};
use influx::pipeline::harvest::handles::parse_handles;
use influx::pipeline::harvest::xapi::{ClientConfig, Token};
use influx::pipeline::harvest::{HarvestConfig, RunOutcome, start};
use influx::sim::{Fault, SimConfig, SimServer};
use serde_json::Value;

const TOKEN: &str = "test-token-harvest";

fn sim_config() -> SimConfig {
    SimConfig {
        token: Some(TOKEN.into()),
        not_found_rate: 0.0,
        suspended_rate: 0.0,
        ..SimConfig::default()
    }
}

fn config(sim: &SimServer, dir: &Path) -> HarvestConfig {
    let client = ClientConfig {
        read_timeout: Duration::from_millis(800),
        ..ClientConfig::new(&sim.base_url(), Token::new(TOKEN).unwrap())
    };
    let mut c = HarvestConfig::new(dir, client);
    c.batch_size = 10;
    c.concurrency = 1;
    c.budget = BudgetConfig::new(None, Duration::from_secs(2));
    c.retry = fast_retry();
    c
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect()
}

/// Handles named in the requests of responses.jsonl, with how many times each was asked.
fn asked(dir: &Path) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for n in crate::common::asked_usernames(dir) {
        *out.entry(n).or_default() += 1;
    }
    out
}

#[tokio::test]
async fn every_requested_handle_ends_found_protected_not_found_or_suspended() {
    let sim = SimServer::start(SimConfig {
        not_found: vec!["ghost1".into(), "ghost2".into()],
        suspended: vec!["banned1".into()],
        tweet_error_rate: 0.5,
        post_count_rate: 0.5,
        ..sim_config()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut handles = names("author", 57);
    handles.extend(["ghost1", "GHOST2", "banned1"].map(String::from));
    let (report, events) = run(config(&sim, dir.path()), list(&handles)).await;

    let s = &report.summary;
    assert_eq!(report.outcome, RunOutcome::Complete);
    assert_eq!(s.requested, 60);
    assert_eq!((s.not_found.len(), s.suspended.len()), (2, 1));
    assert_eq!(
        s.suspended,
        vec!["banned1".to_string()],
        "the summary names the accounts behind its counts"
    );
    assert_eq!(s.harvested, 57);
    assert!(s.failed.is_empty());
    let records = lines(&dir.path().join("records.jsonl"));
    assert_eq!(records.len(), 57);
    let protected = records.iter().filter(|r| r["protected"] == true).count();
    assert_eq!(protected, s.protected.len());
    for r in &records {
        assert_eq!(r["meta"]["sources"][0]["method"], "x-api-v2");
        let evidence = r["meta"]["sources"][0]["evidence"].as_str().unwrap();
        assert!(evidence.starts_with("GET /2/users/by batch "), "{evidence}");
        assert!(r["public_metrics"]["followers_count"].is_u64());
        assert!(
            r["meta"]["score"].is_number(),
            "every record is scored with M2"
        );
        assert_eq!(r["followers_count"], r["public_metrics"]["followers_count"]);
        let pm = r["public_metrics"].as_object().unwrap();
        assert!(pm.contains_key("tweet_count") || pm.contains_key("post_count"));
    }
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["requested"], 60);
    assert_eq!(summary["requests"], 6);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, HarvestEvent::RunDone { .. }))
    );
}

#[tokio::test]
async fn invalid_input_lines_are_reported_with_their_line_and_never_sent() {
    let sim = SimServer::start(sim_config()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = parse_handles(
        "good_one\nbad-name\n@good_two\nhttps://x.com/good_three?s=20\nway_too_long_handle_x\n",
    );
    let (report, _) = run(config(&sim, dir.path()), input).await;

    let s = &report.summary;
    assert_eq!(report.outcome, RunOutcome::Complete);
    assert_eq!(s.requested, 3);
    let invalid: Vec<(usize, &str)> = s
        .invalid
        .iter()
        .map(|i| (i.line, i.input.as_str()))
        .collect();
    assert_eq!(invalid, vec![(2, "bad-name"), (5, "way_too_long_handle_x")]);
    let asked = asked(dir.path());
    assert_eq!(
        asked.keys().cloned().collect::<Vec<_>>(),
        vec!["good_one", "good_three", "good_two"]
    );
    assert_eq!(sim.stats().by_status.get(&400).copied().unwrap_or(0), 0);
}

#[tokio::test]
async fn both_rate_limit_429_shapes_wait_for_the_reset_then_the_batch_is_answered() {
    let sim = SimServer::start(SimConfig {
        window: Duration::from_secs(2),
        ..sim_config()
    })
    .await
    .unwrap();
    sim.faults().push(Fault::TooManyRequests);
    sim.faults().push(Fault::RateLimitCode88);
    let dir = tempfile::tempdir().unwrap();
    let (report, events) = run(config(&sim, dir.path()), list(&names("rl", 20))).await;

    let s = &report.summary;
    assert_eq!(report.outcome, RunOutcome::Complete);
    assert_eq!(s.harvested, 20);
    assert_eq!(s.throttled, 2);
    assert!(
        s.waited_s > 0.0 && s.waited_s < 7.0,
        "waited {}",
        s.waited_s
    );
    let waits = events
        .iter()
        .filter(|e| matches!(e, HarvestEvent::Waiting { .. }))
        .count();
    assert!(waits >= 2);
}

#[tokio::test]
async fn a_usage_cap_stops_the_run_with_a_clear_reason_and_asks_nothing_more() {
    let sim = SimServer::start(sim_config()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&sim, dir.path());
    c.retry.max_throttled = 100;
    let (first, _) = run(c, list(&names("cap", 30))).await;
    assert_eq!(first.outcome, RunOutcome::Complete);

    let dir = tempfile::tempdir().unwrap();
    sim.faults().push(Fault::UsageCap);
    let before = sim.stats().requests;
    let (report, events) = run(config(&sim, dir.path()), list(&names("cap", 30))).await;
    assert_eq!(report.outcome, RunOutcome::Stopped);
    let stop = report.summary.stopped.clone().unwrap();
    assert_eq!(stop.reason, influx::pipeline::harvest::StopReason::UsageCap);
    assert!(stop.detail.contains("usage cap"), "{stop:?}");
    assert_eq!(report.summary.pending, 30);
    assert_eq!(
        sim.stats().requests - before,
        1,
        "nothing is asked after the cap"
    );
    assert!(
        events.iter().any(
            |e| matches!(e, HarvestEvent::RunStopped(stop) if stop.detail.contains("usage cap"))
        )
    );
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_until_the_batch_is_answered() {
    let sim = SimServer::start(sim_config()).await.unwrap();
    for status in [500, 502, 503] {
        sim.faults().push(Fault::ServerError(status));
    }
    let dir = tempfile::tempdir().unwrap();
    let (report, events) = run(config(&sim, dir.path()), list(&names("s5xx", 10))).await;

    assert_eq!(report.outcome, RunOutcome::Complete);
    assert_eq!(report.summary.harvested, 10);
    assert_eq!(report.summary.retries, 3);
    assert_eq!(report.summary.requests, 4);
    let retries = events
        .iter()
        .filter(|e| matches!(e, HarvestEvent::Retrying { .. }))
        .count();
    assert_eq!(retries, 3);
}

#[tokio::test]
async fn reset_truncated_malformed_and_slow_answers_are_retried_and_then_answered() {
    let sim = SimServer::start(sim_config()).await.unwrap();
    for fault in [
        Fault::Reset,
        Fault::Truncated,
        Fault::Slow(Duration::from_secs(3)),
    ] {
        sim.faults().push(fault);
    }
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = run(config(&sim, dir.path()), list(&names("tr", 10))).await;
    assert_eq!(report.outcome, RunOutcome::Complete);
    assert_eq!(report.summary.harvested, 10);
    assert_eq!(report.summary.retries, 3);
    let errors: Vec<String> = lines(&dir.path().join("responses.jsonl"))
        .iter()
        .filter_map(|r| r["error"].as_str().map(String::from))
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");

    sim.faults().push(Fault::Malformed);
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = run(config(&sim, dir.path()), list(&names("mf", 10))).await;
    assert_eq!(report.outcome, RunOutcome::Complete);
    assert_eq!(report.summary.retries, 1);
}

#[tokio::test]
async fn a_batch_that_keeps_failing_is_given_up_and_the_run_goes_on() {
    let sim = SimServer::start(sim_config()).await.unwrap();
    for fault in [
        Fault::Reset,
        Fault::Truncated,
        Fault::Malformed,
        Fault::Reset,
    ] {
        sim.faults().push(fault);
    }
    let dir = tempfile::tempdir().unwrap();
    let handles = names("gu", 20);
    let (report, _) = run(config(&sim, dir.path()), list(&handles)).await;

    let s = &report.summary;
    assert_eq!(report.outcome, RunOutcome::Incomplete);
    assert_eq!(s.harvested, 10, "the second batch is answered");
    let failed: HashSet<&str> = s.failed.iter().map(|f| f.handle.as_str()).collect();
    let first: HashSet<&str> = handles[..10].iter().map(String::as_str).collect();
    assert_eq!(failed, first);
    assert!(
        s.failed[0].reason.contains("after 4 attempts"),
        "{}",
        s.failed[0].reason
    );
}

#[tokio::test]
async fn a_refused_token_stops_the_run_at_once() {
    let sim = SimServer::start(sim_config()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&sim, dir.path());
    c.client.token = Token::new("wrong-token").unwrap();
    let (report, _) = run(c, list(&names("tok", 30))).await;
    assert_eq!(report.outcome, RunOutcome::Stopped);
    assert!(report.summary.stopped.unwrap().detail.contains("401"));
    assert_eq!(sim.stats().requests, 1);
}

#[tokio::test]
async fn a_cancelled_run_resumes_without_asking_answered_batches_again() {
    let sim = SimServer::start(SimConfig {
        latency: Duration::from_millis(30),
        ..sim_config()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let handles = names("res", 200);
    let mut live = start(config(&sim, dir.path()), list(&handles)).unwrap();
    let mut done_batches = 0;
    while let Some(e) = live.events.recv().await {
        if matches!(e, HarvestEvent::BatchDone { .. }) {
            done_batches += 1;
            if done_batches == 5 {
                live.commands.send(HarvestCommand::Cancel).await.unwrap();
            }
        }
    }
    let first = live.finished.await.unwrap();
    assert_eq!(first.outcome, RunOutcome::Incomplete);
    assert!(first.summary.cancelled);
    assert!(first.summary.pending > 0);
    let first_asked = asked(dir.path());

    let mut again = config(&sim, dir.path());
    again.resume = true;
    let (second, _) = run(again, list(&handles)).await;
    assert_eq!(second.outcome, RunOutcome::Complete);
    assert_eq!(second.summary.harvested, 200);
    let all_asked = asked(dir.path());
    assert_eq!(all_asked.len(), 200, "no handle lost");
    assert!(all_asked.values().all(|n| *n == 1), "no handle asked twice");
    assert!(first_asked.len() >= 50);
    let records = lines(&dir.path().join("records.jsonl"));
    let distinct: HashSet<&str> = records
        .iter()
        .map(|r| r["handle"].as_str().unwrap())
        .collect();
    assert_eq!((records.len(), distinct.len()), (200, 200));
}

#[tokio::test]
async fn pause_holds_new_batches_until_resume_and_one_handle_can_be_added() {
    let sim = SimServer::start(SimConfig {
        latency: Duration::from_millis(20),
        ..sim_config()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut live = start(config(&sim, dir.path()), list(&names("pz", 40))).unwrap();
    live.commands.send(HarvestCommand::Pause).await.unwrap();
    live.commands
        .send(HarvestCommand::HarvestOne("@Extra_One".into()))
        .await
        .unwrap();
    live.commands
        .send(HarvestCommand::HarvestOne("not a handle".into()))
        .await
        .unwrap();
    let mut paused_at = None;
    let mut events = Vec::new();
    while let Some(e) = live.events.recv().await {
        if matches!(e, HarvestEvent::Paused) {
            paused_at = Some(sim.stats().requests);
            tokio::time::sleep(Duration::from_millis(300)).await;
            // At most the batch already in flight was sent while paused.
            assert!(sim.stats().requests <= paused_at.unwrap() + 1);
            live.commands.send(HarvestCommand::Resume).await.unwrap();
        }
        events.push(e);
    }
    let report = live.finished.await.unwrap();
    assert!(paused_at.is_some());
    assert_eq!(report.outcome, RunOutcome::Complete);
    assert_eq!(report.summary.requested, 41);
    assert_eq!(report.summary.harvested, 41);
    assert!(asked(dir.path()).contains_key("extra_one"));
    assert!(events.iter().any(
        |e| matches!(e, HarvestEvent::Log { message, .. } if message.contains("not a handle"))
    ));
}

/// 40,000 handles against a window compressed to 40 requests per 8 s: ten windows, each filled.
/// (8 s rather than 2 s so that a debug build on a busy machine can still send 5 requests a second.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_a_long_run_fills_every_window_without_a_window_429() {
    let limit = 40;
    let sim = SimServer::start(SimConfig {
        limit,
        window: Duration::from_secs(8),
        ..sim_config()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&sim, dir.path());
    c.batch_size = 100;
    c.concurrency = 4;
    c.budget = BudgetConfig::new(std::num::NonZeroU32::new(limit), Duration::from_secs(8));
    // Pacing is what is measured here: M2 in a debug build would make the client the bottleneck.
    c.score = false;
    let (report, _) = run(c, list(&names("p", 40_000))).await;

    assert_eq!(report.outcome, RunOutcome::Complete);
    assert_eq!(report.summary.harvested, 40_000);
    let stats = sim.stats();
    assert_eq!(
        stats.rate_limited.window, 0,
        "no 429 from window exhaustion"
    );
    assert_eq!(report.summary.throttled, 0);
    // Requests per window the server opened (windows are told apart by their reset time).
    let mut per_window: BTreeMap<i64, u32> = BTreeMap::new();
    let answers = lines(&dir.path().join("responses.jsonl"));
    let latency: u64 = answers
        .iter()
        .map(|r| r["latency_ms"].as_u64().unwrap())
        .sum();
    eprintln!("mean latency {} ms", latency / answers.len() as u64);
    for r in answers {
        let reset = r["rate_limit"]["reset"].as_i64().unwrap();
        *per_window.entry(reset).or_default() += 1;
    }
    let used: u32 = per_window.values().sum();
    let use_share = f64::from(used) / f64::from(limit * per_window.len() as u32);
    assert_eq!(used, 400);
    assert!(
        use_share >= 0.95,
        "budget use {use_share:.3} over {per_window:?}"
    );
    eprintln!(
        "pacing: {} requests in {} windows, budget use {:.1}%, waited {:.1} s, 429s {}",
        used,
        per_window.len(),
        use_share * 100.0,
        report.summary.waited_s,
        report.summary.throttled
    );
}

/// The record builder as it was before user objects moved into records uncopied: the
/// reference the fast path must match byte for byte.
fn reference_record(
    user: &Value,
    fetched_at: chrono::DateTime<chrono::Utc>,
    evidence: &str,
    (run, response_line): (&str, usize),
) -> influx::dataset::Record {
    use serde_json::{Map, json};
    use sha2::{Digest, Sha256};
    let mut fields = Map::new();
    let copy = |fields: &mut Map<String, Value>, key: &str| {
        if let Some(v) = user.get(key) {
            fields.insert(key.to_string(), v.clone());
        }
    };
    copy(&mut fields, "id");
    if let Some(u) = user.get("username") {
        fields.insert("handle".into(), u.clone());
    }
    copy(&mut fields, "name");
    // Nothing invented: `verified` only from what the answer said.
    if user.get("verified_type").is_some() || user.get("verified").is_some() {
        fields.insert(
            "verified".into(),
            json!(influx::pipeline::harvest::xapi::verified_label(
                &serde_json::from_value(user.clone()).unwrap()
            )),
        );
    }
    if let Some(f) = user
        .get("public_metrics")
        .and_then(|m| m.get("followers_count"))
        .filter(|v| v.is_u64())
    {
        fields.insert("followers_count".into(), f.clone());
    }
    if let Some(verified_type) = user.get("verified_type").and_then(Value::as_str) {
        fields.insert(
            "is_org".into(),
            json!(matches!(verified_type, "business" | "government")),
        );
        fields.insert("is_official".into(), json!(verified_type == "government"));
    }
    // Derived from the answer, each by its one rule: the topics M2's relevance finds in the
    // author's words, the language of name and bio, the time of the newest post's snowflake.
    let text = |k: &str| user.get(k).and_then(Value::as_str);
    fields.insert(
        "topic_tags".into(),
        json!(influx::pipeline::score::derived_topic_tags(
            text("username"),
            text("name"),
            text("description")
        )),
    );
    let language = influx::pipeline::checks::language::identify(text("name"), text("description"));
    fields.insert("lang_primary".into(), json!(language.tag));
    let last_post = ["most_recent_tweet_id", "most_recent_post_id"]
        .iter()
        .find_map(|k| text(k).and_then(influx::dataset::snowflake_time_of));
    if let Some(at) = last_post {
        fields.insert(
            "last_post_at".into(),
            json!(influx::dataset::format_time(at)),
        );
    }
    for key in influx::pipeline::harvest::xapi::KEPT_USER_FIELDS {
        if user.get(key).is_some_and(|v| !v.is_null()) {
            copy(&mut fields, key);
        }
    }
    for key in [
        "created_at",
        "description",
        "url",
        "location",
        "protected",
        "public_metrics",
    ] {
        copy(&mut fields, key);
    }
    let when = influx::dataset::format_time(fetched_at);
    let digest = Sha256::digest(user.to_string().as_bytes());
    let hash: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let mut meta = json!({
        "last_refresh_at": when,
        "sources": [{"method": "x-api-v2", "fetched_at": when, "evidence": evidence}],
        "provenance_hash": hash,
        "topic_source": "m2-lexicon",
        "lang_source": language.source,
        "custody": [{"run": run, "response_line": response_line, "sha256": hash, "fetched_at": when}],
    });
    let absent: Vec<&str> = influx::pipeline::harvest::xapi::ANSWER_FIELDS
        .iter()
        .copied()
        .filter(|f| user.get(*f).is_none())
        .collect();
    if !absent.is_empty() {
        meta["absent_from_answer"] = json!(absent);
    }
    fields.insert("meta".into(), meta);
    let mut record = influx::dataset::Record::from_map(fields);
    // The admission rules' verdict on the account as answered (their own tests pin the rules).
    let rules = influx::pipeline::admission::Rules::shared();
    let verdict = rules.decide(
        &influx::pipeline::admission::CandidateFacts::from_record(&record),
        fetched_at,
    );
    let reasons: Vec<Value> = verdict
        .reasons
        .iter()
        .map(|r| json!({"rule": r.rule, "matched": r.matched}))
        .collect();
    record.meta_mut().insert(
        "admission".into(),
        json!({"decision": verdict.decision, "reasons": reasons, "rules": rules.version}),
    );
    record
}

#[tokio::test]
async fn records_jsonl_holds_exactly_the_reference_records_of_the_answers_in_responses_jsonl() {
    let sim = SimServer::start(SimConfig {
        not_found: vec!["ghost1".into()],
        suspended: vec!["banned1".into()],
        not_found_rate: 0.05,
        suspended_rate: 0.05,
        tweet_error_rate: 0.3,
        post_count_rate: 0.5,
        ..sim_config()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut handles = names("Pinned_", 150);
    handles.extend(["ghost1", "banned1"].map(String::from));
    let mut c = config(&sim, dir.path());
    c.concurrency = 4;
    let (report, _) = run(c, list(&handles)).await;
    assert_eq!(report.outcome, RunOutcome::Complete);

    let mut expected = Vec::new();
    let run = influx::pipeline::harvest::xapi::run_id(dir.path());
    for (at_line, answer) in lines(&dir.path().join("responses.jsonl"))
        .into_iter()
        .enumerate()
    {
        assert_eq!(answer["status"], 200);
        let path = answer["path"].as_str().unwrap();
        let asked: Vec<&str> = path
            .split("usernames=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .split(',')
            .collect();
        let at = influx::dataset::parse_time(answer["sent_at"].as_str().unwrap()).unwrap();
        let evidence = format!("GET /2/users/by batch {}", answer["batch"]);
        let users = answer["body"]["data"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for handle in asked {
            let user = users.iter().find(|u| {
                u["username"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(handle))
            });
            if let Some(user) = user {
                let mut record = reference_record(user, at, &evidence, (&run, at_line + 1));
                influx::pipeline::score::score_record(&mut record);
                expected.push(record.to_line());
            }
        }
    }
    let text = std::fs::read_to_string(dir.path().join("records.jsonl")).unwrap();
    let mut written: Vec<String> = text.lines().map(str::to_string).collect();
    assert_eq!(written.len(), report.summary.harvested);
    assert!(!report.summary.not_found.is_empty() && !report.summary.suspended.is_empty());
    assert!(
        !report.summary.protected.is_empty(),
        "some profiles are protected"
    );
    written.sort();
    expected.sort();
    assert_eq!(written, expected);
}

#[tokio::test]
async fn a_run_killed_between_an_answer_and_its_journal_line_resumes_without_asking_that_batch_again()
 {
    let sim = SimServer::start(sim_config()).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let handles = names("kept", 30);
    let (report, _) = run(config(&sim, &dir), list(&handles)).await;
    assert_eq!(report.outcome, RunOutcome::Complete);
    let records_before = std::fs::read_to_string(dir.join("records.jsonl")).unwrap();
    let requests_before = sim.stats().requests;
    // The kill point: the last batch's answer reached responses.jsonl, its journal line and
    // its records did not.
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    let mut kept: Vec<&str> = journal.lines().collect();
    let lost: Value = serde_json::from_str(kept.pop().unwrap()).unwrap();
    std::fs::write(dir.join("journal.jsonl"), kept.join("\n") + "\n").unwrap();
    let keep_len = lines(&dir.join("journal.jsonl"))
        .last()
        .and_then(|b| b["records_len"].as_u64())
        .unwrap();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("records.jsonl"))
        .unwrap();
    f.set_len(keep_len).unwrap();

    let mut again = config(&sim, &dir);
    again.resume = true;
    let (resumed, events) = run(again, list(&handles)).await;
    assert_eq!(resumed.outcome, RunOutcome::Complete);
    assert_eq!(
        sim.stats().requests,
        requests_before,
        "no request is asked twice"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, HarvestEvent::Log { message, .. }
            if message.contains(&format!("batch {} rebuilt from responses.jsonl", lost["batch"])))),
        "the resume says what it rebuilt"
    );
    let mut after: Vec<String> = std::fs::read_to_string(dir.join("records.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let mut before: Vec<String> = records_before.lines().map(str::to_string).collect();
    // The same records, the same answer proves them (scoring's `as_of` is the fetch time).
    after.sort();
    before.sort();
    let strip = |l: &String| {
        let mut v: Value = serde_json::from_str(l).unwrap();
        v["meta"]
            .as_object_mut()
            .unwrap()
            .remove("score_components");
        v
    };
    assert_eq!(
        after.iter().map(strip).collect::<Vec<_>>(),
        before.iter().map(strip).collect::<Vec<_>>()
    );
}
