//! The history store: each merge of the same authors at a new fetched_at adds one snapshot per
//! author, with the growth per day computed; an absent metric stays NULL; a merge stopped
//! between publishing and recording is repaired by the next command.

use std::path::Path;

use influx::pipeline::data_dir::DataDir;
use influx::pipeline::history::{History, Recorded};
use influx::pipeline::merge::{self, MergeOptions};
use serde_json::Value;

use crate::common::influx_bin;

/// A batch of `n` authors fetched on `day` (of January 2026), with `followers(k)` followers.
fn batch(dir: &Path, day: u32, n: usize, followers: impl Fn(usize) -> u64) -> std::path::PathBuf {
    let path = dir.join(format!("batch-day{day:02}.jsonl"));
    let lines: Vec<String> = (0..n)
        .map(|k| {
            serde_json::json!({
                "id": format!("{}", 1000 + k),
                "handle": format!("author{k}"),
                "name": format!("Author {k}"),
                "public_metrics": {"followers_count": followers(k), "tweet_count": 100 + day as u64},
                "meta": {
                    "score": 40.0 + day as f64,
                    "last_refresh_at": format!("2026-01-{day:02}T00:00:00Z"),
                    "sources": [{"method": "manual_curation", "fetched_at": format!("2026-01-{day:02}T00:00:00Z")}],
                },
            })
            .to_string()
        })
        .collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn merge_via_cli(data: &Path, batch: &Path) {
    let out = influx_bin()
        .args(["merge", "--allow-flagged", "--data"])
        .arg(data)
        .arg(batch)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "merge failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn three_merges_give_three_snapshots_each_with_the_growth_per_day() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    for (day, gain) in [(1, 0), (8, 700), (15, 1400)] {
        merge_via_cli(
            &data,
            &batch(tmp.path(), day, 3, |k| 10_000 * (k as u64 + 1) + gain),
        );
    }
    assert!(DataDir::new(&data).history().exists());
    let out = influx_bin()
        .args(["history", "@AUTHOR1", "--json", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["handle"], "author1");
    assert_eq!(v["id"], "1001");
    let snaps = v["snapshots"].as_array().unwrap();
    let followers: Vec<u64> = snaps
        .iter()
        .map(|s| s["followers_count"].as_u64().unwrap())
        .collect();
    assert_eq!(followers, [20_000, 20_700, 21_400]);
    assert_eq!(snaps[2]["score"], 55.0);
    // No author reports a following count: it stays absent, never 0.
    assert!(snaps.iter().all(|s| s["following_count"].is_null()));
    let changes = v["growth"]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0]["followers_per_day"], 100.0);
    assert_eq!(changes[1]["tweets_per_day"], 1.0);
    assert_eq!(v["flags"].as_array().unwrap().len(), 0);
}

#[test]
fn a_bought_jump_is_flagged_and_the_command_says_so_in_its_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    for (day, f) in [(1, 10_000), (8, 10_070), (15, 10_140), (22, 40_000)] {
        merge_via_cli(&data, &batch(tmp.path(), day, 1, |_| f));
    }
    let out = influx_bin()
        .args(["history", "author0", "--json", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let flags = v["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0]["kind"], "follower_spike");
    assert!(
        flags[0]["reason"]
            .as_str()
            .unwrap()
            .contains("10140 -> 40000")
    );

    // The movers list it first: the largest follower change between the two newest snapshots.
    let out = influx_bin()
        .args(["history", "--movers", "5", "--json", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    let movers: Value = serde_json::from_slice(&out.stdout).unwrap();
    let top = &movers["by_followers"][0];
    assert_eq!(top["handle"], "author0");
    assert_eq!(top["followers_delta"], 40_000 - 10_140, "{movers}");
    assert_eq!(top["score_delta"], 7.0);

    // The audit of the directory reports it under `anomalies`, a review flag and not a gate.
    let out = influx_bin()
        .args(["audit", "--json", "--allow", "schema", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["anomalies"]["count"], 1, "{}", report["anomalies"]);
    let a = &report["anomalies"]["records"][0];
    assert_eq!(a["handle"], "author0");
    assert_eq!(a["kind"], "follower_spike");
    assert!(a["reason"].as_str().unwrap().contains("10140 -> 40000"));
    assert!(
        !report["gates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["name"] == "anomalies"),
        "no gate on growth flags"
    );
}

#[test]
fn a_merge_stopped_before_its_history_is_recorded_is_repaired_on_the_next_open() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    merge_via_cli(&data, &batch(tmp.path(), 1, 2, |_| 500));
    // The library's merge publishes only: this is a merge killed right after publishing.
    let second = batch(tmp.path(), 8, 2, |_| 600);
    // The records lack fields the schema requires; the growth is what is under test here.
    let options = MergeOptions {
        allow_flagged: true,
        ..MergeOptions::default()
    };
    let plan = merge::plan(&DataDir::new(&data), &[second], &options).unwrap();
    let outcome = merge::apply(&DataDir::new(&data), &plan).unwrap();
    {
        let history = History::open_file(&DataDir::new(&data).history()).unwrap();
        assert!(!history.has_version(outcome.version).unwrap());
    }
    let (history, repaired) = History::open(&DataDir::new(&data)).unwrap();
    assert_eq!(repaired.len(), 1);
    assert_eq!(repaired[0].version, outcome.version);
    assert_eq!(repaired[0].added, 2);
    let author = history.author("author0").unwrap().unwrap();
    assert_eq!(author.snapshots.len(), 2);
    // Opening again records nothing twice.
    let (history, repaired) = History::open(&DataDir::new(&data)).unwrap();
    assert!(repaired.is_empty());
    assert_eq!(history.size().unwrap().0, 4);
}

#[test]
fn a_handle_without_history_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = influx_bin()
        .args(["history", "nobody", "--json", "--data"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["event"], "no_history");
}

#[test]
fn drift_between_two_versions_is_reported_and_gated() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let first = batch(tmp.path(), 1, 30, |k| 1_000 + k as u64);
    merge_via_cli(&data, &first);
    merge_via_cli(&data, &batch(tmp.path(), 8, 30, |k| 1_050 + k as u64));
    let audit = |against: &str, max: &str| {
        let out = influx_bin()
            .args([
                "audit",
                "--json",
                "--allow",
                "schema",
                "--allow",
                "placeholders",
            ])
            .args([
                "--against",
                against,
                "--gate",
                &format!("drift_ks={max}"),
                "--data",
            ])
            .arg(&data)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), report["drift"].clone())
    };
    // Every score moved from 41 to 48: the distributions do not overlap at all.
    let (code, drift) = audit("1", "0.15");
    assert_eq!(code, Some(1), "{drift}");
    assert_eq!(drift["ks"], 1.0);
    assert_eq!(drift["p50_delta"], 7.0);
    assert_eq!(drift["records_delta"], 0);
    assert_eq!(drift["pass"], false);
    let (code, drift) = audit("1", "1");
    assert_eq!(code, Some(0), "{drift}");
    // The same against the version's file, and against itself: no drift.
    let (_, drift) = audit(first.to_str().unwrap(), "0.15");
    assert_eq!(drift["ks"], 1.0);
    let (code, drift) = audit("2", "0.15");
    assert_eq!((code, drift["ks"].as_f64()), (Some(0), Some(0.0)));
}

#[test]
fn the_console_counts_growth_flags_and_draws_the_selected_authors_followers_over_time() {
    use crate::common::answer_details_now;
    use influx::cli::console_ops::ConsoleOps;
    use influx::ui::{Action, ScreenCounter};
    use influx::ui::{App, render, update};
    use ratatui::{Terminal, backend::TestBackend};

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // author0 jumps from about 10k to 40k in a week; author1 and author2 grow steadily.
    for (day, jump) in [(1, 10_000), (8, 10_070), (15, 10_140), (22, 40_000)] {
        let steady = 5_000 + day as u64 * 10;
        merge_via_cli(
            &data,
            &batch(tmp.path(), day, 3, |k| if k == 0 { jump } else { steady }),
        );
    }
    let ops = ConsoleOps::new(DataDir::new(data.clone()), "http://127.0.0.1:9".into());
    let (loaded, _) = ops.read_latest().unwrap();
    let mut app = App::new(Default::default(), chrono::Utc::now()).with_loaded(loaded);
    assert_eq!(app.counts.growth, 1, "one author flagged");
    // The histogram has the previous version's bars: version 3, every score 55 (day 15).
    let (version, bins) = app.previous_bins.unwrap();
    assert_eq!(version, 3);
    assert_eq!(bins[5], 3, "{bins:?}");
    update(&mut app, Action::ShowCounter(ScreenCounter::Growth));
    update(&mut app, Action::Tick(chrono::Utc::now()));
    let row = app.selected_row().unwrap();
    assert_eq!(app.rows[row].handle, "author0");
    answer_details_now(&mut app, &ops);
    let timeline = app.timeline_of(row).unwrap().unwrap();
    assert_eq!(timeline.snapshots.len(), 4);
    assert_eq!(timeline.growth.flags[0].kind, "follower_spike");

    // What a person sees at 120x40.
    let screen_of = |app: &App| -> String {
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        terminal.draw(|f| render(app, f)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        (0..40)
            .map(|y| {
                (0..120)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
                    + "\n"
            })
            .collect()
    };
    update(&mut app, Action::OpenDetail);
    let screen = screen_of(&app);
    assert!(screen.contains("followers 10000 → 40000"), "{screen}");
    assert!(screen.contains('█'), "the sparkline is drawn: {screen}");
    assert!(screen.contains("░ version 3 · █ now"), "{screen}");
    // The flag is further down the detail: j scrolls to it.
    let mut seen = screen.contains("⚠ follower_spike");
    for _ in 0..12 {
        if seen {
            break;
        }
        update(&mut app, Action::Down);
        seen = screen_of(&app).contains("⚠ follower_spike");
    }
    assert!(
        seen,
        "the growth flag is in the detail: {}",
        screen_of(&app)
    );

    // `M` opens the movers: author0's follower jump heads the followers list.
    update(&mut app, Action::Back);
    update(&mut app, Action::ToggleMovers);
    let screen = screen_of(&app);
    let followers = screen.find("Followers").expect("the followers list");
    let first = screen[followers..].lines().nth(1).unwrap();
    assert!(
        first.contains("@author0") && first.contains("+29860"),
        "{screen}"
    );
}

#[test]
fn runs_are_backfilled_on_the_first_open_and_by_history_import_once_each() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    for (run, day) in [("20260101T000000.000Z", 1), ("20260108T000000.000Z", 8)] {
        let dir = data.join("runs").join(run);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(
            batch(tmp.path(), day, 2, |k| 100 + k as u64 + day as u64),
            dir.join("records.jsonl"),
        )
        .unwrap();
    }
    let history = |handle: &str| {
        let out = influx_bin()
            .args(["history", "--json", handle, "--data"])
            .arg(&data)
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    // Nothing merged yet: the first open of the history imports both runs, as version 0.
    let v = history("author1");
    let snaps = v["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 2, "{v}");
    assert_eq!(snaps[0]["version"], 0);
    assert_eq!(snaps[1]["followers_count"], 109);

    // A later run is backfilled on demand, and importing it again adds nothing.
    let later = data.join("runs").join("20260115T000000.000Z");
    std::fs::create_dir_all(&later).unwrap();
    std::fs::copy(
        batch(tmp.path(), 15, 2, |_| 500),
        later.join("records.jsonl"),
    )
    .unwrap();
    for expected in [2, 0] {
        let out = influx_bin()
            .args(["history", "import", "--json", "--data"])
            .arg(&data)
            .arg(&later)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(line["added"], expected);
    }
    assert_eq!(history("author0")["snapshots"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_re_harvest_shows_what_changed_since_the_stored_record_and_points_to_the_raw_answer() {
    use crate::common::answer_details_now;
    use influx::cli::console_ops::ConsoleOps;
    use influx::dataset::read_dataset;
    use influx::pipeline::harvest::HarvestConfig;
    use influx::pipeline::harvest::budget::BudgetConfig;
    use influx::pipeline::harvest::xapi::{ClientConfig, Token};
    use influx::sim::{SimConfig, SimServer};
    use influx::ui::Action;
    use influx::ui::{App, update};

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let stored = batch(tmp.path(), 1, 3, |_| 10_000);
    merge_via_cli(&data, &stored);
    // X now says author0 has 10_500 followers: the simulator answers from these records.
    let mut known = read_dataset(&stored).unwrap().records;
    known[0].fields_mut().get_mut("public_metrics").unwrap()["followers_count"] =
        Value::from(10_500);
    let sim = SimServer::start_background(SimConfig {
        token: Some("t".into()),
        known,
        ..SimConfig::default()
    })
    .unwrap();

    let ops = ConsoleOps::new(DataDir::new(data.clone()), sim.base_url());
    let (loaded, _) = ops.read_latest().unwrap();
    let mut app = App::new(Default::default(), chrono::Utc::now()).with_loaded(loaded);
    update(&mut app, Action::Resize(120, 40));

    // `r` on author0: the engine's events reach the console as they do in a live run.
    let run_dir = data.join("runs").join("reharvest-author0");
    let mut config = HarvestConfig::new(
        &run_dir,
        ClientConfig::new(&sim.base_url(), Token::new("t").unwrap()),
    );
    config.budget = BudgetConfig::new(None, std::time::Duration::from_secs(2));
    config.retry = crate::common::fast_retry();
    let (_, events) =
        crate::common::run_to_end(config, crate::common::list(&["author0".into()])).await;
    for event in events {
        update(&mut app, Action::Engine(event));
    }
    let row = (0..app.rows.len())
        .find(|&r| app.rows[r].handle == "author0")
        .unwrap();
    app.selected = app.index.iter().position(|&i| i as usize == row).unwrap();
    app.ask_detail_if_needed();
    answer_details_now(&mut app, &ops);

    let since = app
        .since_stored_of(row)
        .expect("re-harvested")
        .unwrap()
        .clone();
    let followers = &since.counts[0];
    assert_eq!(
        (followers.before, followers.after),
        (Some(10_000), Some(10_500))
    );
    let days = since.days.expect("both fetch times are known");
    assert!((followers.per_day.unwrap() - 500.0 / days).abs() < 1e-9);
    assert_eq!(since.before_at.as_deref(), Some("2026-01-01T00:00:00.000Z"));
    let answer = since
        .answer
        .as_ref()
        .expect("the fresh record names its answer");
    assert_eq!(answer.run, "reharvest-author0");
    // The answer it names is there, at that line, hashing as recorded.
    let line = std::fs::read_to_string(run_dir.join("responses.jsonl"))
        .unwrap()
        .lines()
        .nth(answer.response_line as usize - 1)
        .map(str::to_string);
    assert!(line.is_some_and(|l| l.contains("author0")));

    // A row the re-harvest did not touch has nothing to compare.
    let other = (0..app.rows.len())
        .find(|&r| app.rows[r].handle == "author1")
        .unwrap();
    app.selected = app.index.iter().position(|&i| i as usize == other).unwrap();
    app.ask_detail_if_needed();
    answer_details_now(&mut app, &ops);
    assert!(app.since_stored_of(other).is_none());

    // What a person sees in the detail pane of author0.
    app.selected = app.index.iter().position(|&i| i as usize == row).unwrap();
    app.ask_detail_if_needed();
    answer_details_now(&mut app, &ops);
    let text = crate::ui_snapshots::detail_pane_text(app)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains(&format!(
            "Re-harvested: 2026-01-01 → {}",
            &since_day(&since.after_at)
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "followers 10000 → 10500 (+500, {:+.1}/day)",
            500.0 / days
        )),
        "{text}"
    );
    assert!(
        text.contains("answer: runs/reharvest-author0/responses.jsonl line"),
        "{text}"
    );
    // The harvest scored the fresh record as it landed: the score's move is shown too.
    let score = |v: Option<f64>| format!("{:.1}", v.unwrap());
    assert!(
        text.contains(&format!(
            "score {} → {}",
            score(since.score_before),
            score(since.score_after)
        )),
        "{text}"
    );
}

fn since_day(at: &Option<String>) -> String {
    at.as_deref().unwrap()[..10].to_string()
}

/// Every table of a history file, each row as text, the rows sorted: two histories that hold
/// the same facts give the same dump, however their rows were written.
fn dump(file: &Path) -> Vec<(String, Vec<String>)> {
    let conn =
        rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|table| {
            let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
            let width = stmt.column_count();
            let mut rows: Vec<String> = stmt
                .query_map([], |r| {
                    Ok((0..width)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join(" | "))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows.sort();
            (table, rows)
        })
        .collect()
}

/// The same data directory's stored versions recorded whole, one after the other, into a
/// history file of their own: what the history must hold however a merge recorded them.
fn recorded_whole(data: &Path, file: &Path) -> Vec<Recorded> {
    let mut history = History::open_file(file).unwrap();
    merge::stored_versions(&DataDir::new(data))
        .unwrap()
        .into_iter()
        .map(|(version, sha256, path)| history.record_version(version, &sha256, &path).unwrap())
        .collect()
}

/// The fixture holds flagged records and the second test edits the stored file by hand: both
/// are merged all the same, the history being what is under test.
fn allow_flagged() -> MergeOptions {
    MergeOptions {
        allow_flagged: true,
        accept_external_edit: true,
    }
}

/// A data directory holding `merge_stream`'s stored fixture as version 1 (151 rows, some
/// authors twice), recorded in its history.
fn recorded_fixture() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    crate::merge_stream::store_fixture(&data);
    let (_, first) = History::open(&DataDir::new(&data)).unwrap();
    assert_eq!(first.len(), 1, "version 1 recorded whole on the first open");
    (tmp, data)
}

/// Merges `merge_stream`'s update batch into `data` as `influx merge` does (published, then
/// recorded), flagged records and external edits let through.
fn merge_update(tmp: &Path, data: &Path) -> (merge::MergeOutcome, Vec<Recorded>) {
    let batch = crate::merge_stream::update_batch(tmp);
    let plan = merge::plan(&DataDir::new(data), &[batch], &allow_flagged()).unwrap();
    let outcome = merge::apply(&DataDir::new(data), &plan).unwrap();
    let (_, recorded) = History::open_after_merge(&DataDir::new(data), &outcome).unwrap();
    (outcome, recorded)
}

#[test]
fn a_merge_looks_up_only_the_records_it_wrote_anew_and_leaves_the_history_a_whole_recording_leaves()
{
    // Some authors are stored twice: the batch's updates to them fold two rows into one.
    let (tmp, data) = recorded_fixture();
    let (outcome, recorded) = merge_update(tmp.path(), &data);
    let delta = outcome.delta.clone().expect("a merge onto version 1");
    assert_eq!(delta.base_version, 1);
    assert!(
        !delta.rewritten.is_empty(),
        "the batch updates stored authors"
    );
    assert!(
        delta.appended_from < 151,
        "rows stored twice were folded: {delta:?}"
    );
    assert!(
        outcome.count > delta.appended_from,
        "the batch adds authors"
    );

    let rewritten_or_new = delta.rewritten.len() as u64 + (outcome.count - delta.appended_from);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].version, 2);
    assert!(
        recorded[0].looked_up <= rewritten_or_new && recorded[0].looked_up > 0,
        "{recorded:?} against {rewritten_or_new} rewritten or new"
    );

    let whole_file = tmp.path().join("whole.sqlite");
    let whole = recorded_whole(&data, &whole_file);
    assert_eq!(whole[1].version, 2);
    assert!(whole[1].looked_up > recorded[0].looked_up);
    assert_eq!(
        (whole[1].added, whole[1].skipped),
        (recorded[0].added, recorded[0].skipped),
        "the same snapshots added, the same lines skipped"
    );
    assert_eq!(dump(&DataDir::new(&data).history()), dump(&whole_file));
}

#[test]
fn a_merge_onto_a_dataset_edited_outside_influx_records_every_record() {
    let (tmp, data) = recorded_fixture();
    // One follower count changed by hand: the history recorded the row as it was before.
    let stored = data.join("latest/latest.jsonl");
    let text = std::fs::read_to_string(&stored).unwrap();
    let mut rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    rows[0]["followers_count"] = serde_json::json!(4_242_424);
    let edited: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    std::fs::write(&stored, edited.join("\n") + "\n").unwrap();

    let (outcome, recorded) = merge_update(tmp.path(), &data);
    assert!(
        outcome.delta.is_none(),
        "rows copied from an edited file are not the rows the history holds"
    );
    assert_eq!(recorded[0].looked_up + recorded[0].skipped, outcome.count);
}

#[test]
fn a_merge_whose_base_the_history_lacks_records_the_base_whole_first() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    crate::merge_stream::store_fixture(&data);
    // No history yet: version 1 was never recorded when version 2 is published.
    let (outcome, recorded) = merge_update(tmp.path(), &data);
    // The first open records version 1 whole, and then version 2 needs only what was rewritten.
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].looked_up + recorded[0].skipped, 151);
    assert!(recorded[1].looked_up < outcome.count / 2, "{recorded:?}");
    let whole_file = tmp.path().join("whole.sqlite");
    recorded_whole(&data, &whole_file);
    assert_eq!(dump(&DataDir::new(&data).history()), dump(&whole_file));
}

#[test]
fn a_merge_onto_a_version_the_history_recorded_from_other_bytes_records_every_record() {
    let (tmp, data) = recorded_fixture();
    // A history that says version 1 had other bytes (copied from another directory, say): its
    // snapshots are not known to be the stored rows'.
    rusqlite::Connection::open(DataDir::new(&data).history())
        .unwrap()
        .execute(
            "UPDATE recorded_versions SET sha256 = 'elsewhere' WHERE version = 1",
            [],
        )
        .unwrap();
    let (outcome, recorded) = merge_update(tmp.path(), &data);
    assert!(outcome.delta.is_some());
    assert_eq!(recorded[0].looked_up + recorded[0].skipped, outcome.count);
}

#[test]
fn a_history_truncated_to_nothing_is_an_error_naming_what_was_lost_never_a_silent_rebuild() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    merge_via_cli(&data, &batch(tmp.path(), 1, 3, |k| 100 * (k as u64 + 1)));
    merge_via_cli(&data, &batch(tmp.path(), 8, 3, |k| 200 * (k as u64 + 1)));
    std::fs::write(data.join("history.sqlite"), b"").unwrap();
    let out = influx_bin()
        .args(["history", "author0", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is empty") && err.contains("what it recorded is lost"),
        "{err}"
    );
    assert_eq!(
        std::fs::metadata(data.join("history.sqlite"))
            .unwrap()
            .len(),
        0,
        "nothing was re-created over it"
    );
}

/// Two authors the stored data gives one id, as the demo's pmarca and sivers.
fn id_sharing_batch(dir: &Path, day: u32, pmarca: u64, sivers: u64) -> std::path::PathBuf {
    let path = dir.join(format!("shared-id-day{day:02}.jsonl"));
    let line = |handle: &str, followers: u64| {
        serde_json::json!({
            "id": "5943622",
            "handle": handle,
            "name": handle,
            "public_metrics": {"followers_count": followers, "tweet_count": 100},
            "meta": {
                "score": 50.0,
                "last_refresh_at": format!("2026-01-{day:02}T00:00:00Z"),
                "sources": [{"method": "manual_curation", "fetched_at": format!("2026-01-{day:02}T00:00:00Z")}],
            },
        })
        .to_string()
    };
    std::fs::write(
        &path,
        format!("{}\n{}\n", line("pmarca", pmarca), line("sivers", sivers)),
    )
    .unwrap();
    path
}

#[test]
fn two_handles_sharing_an_id_keep_their_own_histories_with_no_false_spike() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    for (day, pmarca, sivers) in [(1, 1_920_743, 180_000), (8, 1_920_897, 180_100)] {
        let out = influx_bin()
            .args(["merge", "--allow-flagged", "--data"])
            .arg(&data)
            .arg(id_sharing_batch(tmp.path(), day, pmarca, sivers))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("5943622"),
            "the merge reports the collision: {text}"
        );
    }
    for (handle, other, followers) in [
        ("pmarca", "sivers", [1_920_743, 1_920_897]),
        ("sivers", "pmarca", [180_000, 180_100]),
    ] {
        let out = influx_bin()
            .args(["history", handle, "--json", "--data"])
            .arg(&data)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{handle}: no flag: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["handle"], handle);
        let seen: Vec<u64> = v["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["followers_count"].as_u64().unwrap())
            .collect();
        assert_eq!(seen, followers, "{handle} sees only its own snapshots");
        assert!(v["flags"].as_array().unwrap().is_empty(), "{v}");
        assert_eq!(v["id_shared_with"], serde_json::json!([other]));
    }
    let out = influx_bin()
        .args(["history", "--flagged", "--json", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "no author is flagged");
    let out = influx_bin()
        .args(["history", "--movers", "5", "--json", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    let movers: Value = serde_json::from_slice(&out.stdout).unwrap();
    for m in movers["by_followers"].as_array().unwrap() {
        let delta = m["followers_delta"].as_i64().unwrap();
        assert!(delta.abs() < 1_000, "no move across the two authors: {m}");
    }
}

#[test]
fn the_console_gives_each_of_two_handles_sharing_an_id_its_own_history() {
    use crate::common::answer_details_now;
    use influx::cli::console_ops::ConsoleOps;
    use influx::ui::App;

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    for (day, pmarca, sivers) in [(1, 1_920_743, 180_000), (8, 1_920_897, 180_100)] {
        merge_via_cli(&data, &id_sharing_batch(tmp.path(), day, pmarca, sivers));
    }
    let ops = ConsoleOps::new(DataDir::new(data.clone()), "http://127.0.0.1:9".into());
    let (loaded, _) = ops.read_latest().unwrap();
    let mut app = App::new(Default::default(), chrono::Utc::now()).with_loaded(loaded);
    assert_eq!(app.counts.growth, 0, "no false growth flag");
    let movers = app.movers.clone().expect("the history's movers");
    assert!(
        movers
            .by_followers
            .iter()
            .all(|m| m.followers_delta.unwrap_or(0).abs() < 1_000),
        "{movers:?}"
    );
    for (handle, followers) in [
        ("pmarca", [1_920_743, 1_920_897]),
        ("sivers", [180_000, 180_100]),
    ] {
        let row = app
            .rows
            .iter()
            .position(|r| r.handle == handle)
            .expect("a row per author");
        app.selected = app.index.iter().position(|&i| i as usize == row).unwrap();
        app.ask_detail_if_needed();
        answer_details_now(&mut app, &ops);
        let timeline = app.timeline_of(row).unwrap().unwrap();
        let seen: Vec<Option<u64>> = timeline
            .snapshots
            .iter()
            .map(|s| s.followers_count)
            .collect();
        assert_eq!(seen, followers.map(Some), "{handle}");
        assert!(timeline.growth.flags.is_empty(), "{handle}");
    }
}

#[test]
fn s_chooses_exactly_the_refresh_s_selection_growth_flags_included_schema_violations_said() {
    use influx::cli::console_ops::ConsoleOps;
    use influx::pipeline::refresh::{CensusRules, Reason, census_of};
    use influx::ui::Action;
    use influx::ui::Effect;
    use influx::ui::{App, update};

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // author0 jumps from about 10k to 40k in a week: a growth flag. Every record here lacks
    // fields the schema requires: the schema counter shows them all.
    for (day, jump) in [(1, 10_000), (8, 10_070), (15, 10_140), (22, 40_000)] {
        merge_via_cli(
            &data,
            &batch(tmp.path(), day, 3, |k| if k == 0 { jump } else { 5_000 }),
        );
    }
    let now = chrono::Utc::now();
    // Under the default rules every author is stale (fetched in January); with a long
    // `stale_after` only the flagged (and any unscored) are due.
    for stale_after in [
        chrono::TimeDelta::days(CensusRules::STALE_AFTER_DAYS),
        chrono::TimeDelta::days(100_000),
    ] {
        let rules = CensusRules {
            stale_after,
            ..CensusRules::defaults(now)
        };
        let mut ops = ConsoleOps::new(DataDir::new(&data), "http://127.0.0.1:9".into());
        ops.harvest.census_rules = rules.clone();
        let (loaded, _) = ops.read_latest().unwrap();
        let mut app = App::new(Default::default(), now).with_loaded(loaded);

        let refresh = census_of(&DataDir::new(&data), &rules).unwrap();
        let refresh_picks: Vec<String> = refresh
            .candidates
            .iter()
            .map(|c| c.handle.clone())
            .collect();
        assert_eq!(app.handles_needing_harvest(), refresh_picks);
        assert!(
            refresh_picks.contains(&"author0".to_string()),
            "{refresh_picks:?}"
        );
        // The counters and the census count the same growth flags.
        assert_eq!(app.counts.growth, refresh.growth_flagged);
        assert_eq!(app.counts.growth, 1);
        assert!(app.counts.schema > 0);

        update(&mut app, Action::StartHarvest);
        assert_eq!(app.outbox, vec![Effect::PlanHarvest(refresh_picks.clone())]);
        let said = &app.log.last(1).next().unwrap().text;
        assert!(said.contains("the refresh's selection"), "{said}");
        if stale_after == chrono::TimeDelta::days(100_000) {
            assert_eq!(refresh.per_reason()[1], (Reason::Flagged, 1));
            assert!(said.contains("1 flagged"), "{said}");
        }
    }
}
