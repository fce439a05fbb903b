//! Whole-screen snapshots of the console (TestBackend + insta) at 120x40, 80x24 and a size too
//! small to use, with a fixed clock so nothing depends on when the test runs. The help screen is
//! pinned to the key registry; the detail pane's feature table, which records no longer store, is
//! pinned against the model.

use chrono::{TimeZone, Utc};
use influx::dataset::{Record, read_dataset};
use influx::pipeline::harvest::events::{BatchFigures, BudgetSnapshot, HarvestEvent};
use influx::pipeline::score::{Feature, model, score_record};
use influx::ui::Action;
use influx::ui::MergePlanView;
use influx::ui::{App, Settings, render, update};
use influx::ui::{BatchLine, BatchState};
use influx::ui::{in_candidates_view, on_main_screen, registry};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub(crate) fn read(path: &str) -> Vec<Record> {
    read_dataset(std::path::Path::new(path))
        .expect("fixture readable")
        .records
}

fn pending(name: &str) -> BatchLine {
    let mut row = BatchLine::new(name, BatchState::Pending);
    row.describe(&read(&format!("assets/demo/batches/{name}.jsonl")));
    row
}

/// The demo's starting state, then a run part-way through.
pub(crate) fn demo_app() -> App {
    let now = Utc.with_ymd_and_hms(2025, 11, 14, 12, 0, 0).unwrap();
    let settings = Settings {
        dataset: "demo".into(),
        readonly: false,
        color: false,
    };
    let mut app = App::new(settings, now)
        .with_records(read("tests/fixtures/latest-2025-11-14.jsonl"))
        .with_batches(vec![
            pending("batch-07-api"),
            pending("batch-11-sample"),
            pending("batch-12-sample"),
        ]);
    app.log(influx::ui::LogLevel::Info, "loaded 531 records");
    app
}

pub(crate) fn mid_run(mut app: App) -> App {
    let start = app.now;
    // The demo's window (6 requests per 15 s): the ETA counts its resets.
    let handles: Vec<String> = (0..197).map(|i| format!("h{i}")).collect();
    let plan = influx::pipeline::harvest::CostPlan::new(
        &handles,
        25,
        &Default::default(),
        start.date_naive(),
        Default::default(),
        &influx::pipeline::harvest::budget::BudgetConfig::new(
            std::num::NonZeroU32::new(6),
            std::time::Duration::from_secs(15),
        ),
    );
    update(&mut app, Action::Engine(HarvestEvent::Planned(plan)));
    update(
        &mut app,
        Action::Engine(HarvestEvent::RunStarted {
            run_dir: "runs/demo".into(),
            handles: 197,
            batches: 8,
            already_done: 0,
            invalid: 0,
        }),
    );
    update(&mut app, Action::Tick(start + chrono::Duration::seconds(6)));
    let batch = read("assets/demo/batches/batch-07-api.jsonl");
    update(
        &mut app,
        Action::Engine(HarvestEvent::BatchStarted {
            batch: 0,
            handles: 24,
        }),
    );
    update(
        &mut app,
        Action::Engine(HarvestEvent::BatchDone {
            batch: 0,
            figures: BatchFigures {
                found: 23,
                not_found: 1,
                ..Default::default()
            },
            records: batch,
            latency: std::time::Duration::from_millis(300),
        }),
    );
    update(
        &mut app,
        Action::Engine(HarvestEvent::Budget(BudgetSnapshot {
            limit: 6,
            remaining: 2,
            reset_at: Some(start + chrono::Duration::seconds(15)),
            day_limit: None,
            day_remaining: None,
            day_reset_at: None,
            scheduled: 3,
            sent: 4,
            finished: 4,
            throttled: 1,
            waited: std::time::Duration::from_millis(2500),
        })),
    );
    update(
        &mut app,
        Action::Engine(HarvestEvent::Spend(
            influx::pipeline::harvest::events::SpendSnapshot {
                price_micros: 10_000,
                run_micros: 230_000,
                today_micros: 1_460_000,
                cap_micros: Some(2_000_000),
                pending_micros: 1_730_000,
                users_billed: 23,
                free_rereads: 0,
                requests_cap: None,
            },
        )),
    );
    app
}

pub(crate) fn screen(app: &mut App, w: u16, h: u16) -> String {
    update(app, Action::Resize(w, h));
    // What the event loop does between an action and the next frame.
    crate::common::answer_details_now(app, &crate::common::ops_without_dir());
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| render(app, f)).unwrap();
    format!("{}", terminal.backend())
}

#[test]
fn main_screen_at_120x40_shows_every_pane() {
    let mut app = demo_app();
    insta::assert_snapshot!(screen(&mut app, 120, 40));
}

#[test]
fn main_screen_mid_run_at_120x40() {
    let mut app = mid_run(demo_app());
    insta::assert_snapshot!(screen(&mut app, 120, 40));
}

#[test]
fn main_screen_at_80x24_collapses_secondary_panes() {
    let mut app = mid_run(demo_app());
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn a_too_small_terminal_asks_to_be_enlarged() {
    let mut app = demo_app();
    let text = screen(&mut app, 40, 10);
    assert!(text.contains("enlarge the terminal to at least 60x16"));
    insta::assert_snapshot!(text);
}

#[test]
fn no_size_from_1x1_to_130x45_panics_or_lays_a_pane_outside_the_area_or_over_another() {
    use ratatui::layout::Rect;
    let mut app = mid_run(demo_app());
    for w in (1..130).step_by(7) {
        for h in (1..45).step_by(4) {
            screen(&mut app, w, h);
            let area = Rect::new(0, 0, w, h);
            let p = influx::ui::layout(&app, area);
            let panes: Vec<(&str, Rect)> = [
                ("header", Some(p.header)),
                ("progress", Some(p.progress)),
                ("batches", p.batches),
                ("budget", Some(p.budget)),
                ("counters", Some(p.counters)),
                ("histogram", p.histogram),
                ("authors", Some(p.authors)),
                ("detail", p.detail),
                ("log", p.log),
                ("bottom", Some(p.bottom)),
            ]
            .into_iter()
            .filter_map(|(name, r)| r.filter(|r| r.area() > 0).map(|r| (name, r)))
            .collect();
            for (i, (name, r)) in panes.iter().enumerate() {
                assert_eq!(
                    area.intersection(*r),
                    *r,
                    "at {w}x{h} {name} {r:?} leaves the screen"
                );
                for (other, q) in &panes[i + 1..] {
                    assert!(
                        !r.intersects(*q),
                        "at {w}x{h} {name} {r:?} overlaps {other} {q:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn help_screen_lists_the_registry() {
    let mut app = demo_app();
    update(&mut app, Action::ToggleHelp);
    let text = screen(&mut app, 120, 40);
    for b in registry(false).iter().filter(|b| on_main_screen(b)) {
        assert!(text.contains(b.help), "help lacks {:?}", b.help);
    }
    insta::assert_snapshot!(text);
    // Over the candidates view, the help lists that view's keys.
    update(&mut app, Action::Back);
    update(&mut app, Action::ToggleCandidates);
    update(&mut app, Action::ToggleHelp);
    let text = screen(&mut app, 120, 40);
    for b in registry(false).iter().filter(|b| in_candidates_view(b)) {
        assert!(text.contains(b.help), "candidates help lacks {:?}", b.help);
    }
}

#[test]
fn merge_dialog_shows_the_plan_with_cancel_focused() {
    let mut app = demo_app();
    update(
        &mut app,
        Action::MergePlanned(Ok(MergePlanView {
            batches: vec!["batch-07-api".into()],
            added: 0,
            updated: 24,
            unchanged: 0,
            collapsed: 212,
            conflicts: 40,
            blocked: vec![(
                "someone".into(),
                "placeholder_name: name is \"Test User someone\"".into(),
            )],
            left_out: vec!["batch-11-sample".into(), "batch-12-sample".into()],
            unreadable: 0,
        })),
    );
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("[▶ Cancel ◀]"));
    insta::assert_snapshot!(text);
}

#[test]
fn detail_of_a_harvested_author_at_80x24_opens_as_an_overlay() {
    let mut app = mid_run(demo_app());
    update(&mut app, Action::StartFilter);
    for c in "fredwilson".chars() {
        update(&mut app, Action::Type(c));
    }
    update(&mut app, Action::Submit);
    update(&mut app, Action::OpenDetail);
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("M2 score"));
    insta::assert_snapshot!(text);
}

#[test]
fn the_key_registry_is_pinned() {
    let listed: Vec<(&str, &str)> = registry(false).iter().map(|b| (b.label, b.help)).collect();
    insta::assert_debug_snapshot!(listed);
}

/// A scored API-shaped record with every metric present, so all eight features have a row.
pub(crate) fn scored_author() -> Record {
    let mut record = Record::from_value(serde_json::json!({
        "id": "2244994945", "username": "someone", "name": "Some One",
        "description": "Rust developer writing about open source and security",
        "created_at": "2020-01-01T00:00:00.000Z", "verified_type": "blue",
        "public_metrics": {"followers_count": 50_000, "following_count": 400,
            "tweet_count": 20_000, "listed_count": 900, "like_count": 1200, "media_count": 80},
        "meta": {"as_of": "2025-11-14T00:00:00.000Z"}
    }))
    .unwrap();
    score_record(&mut record);
    record
}

/// The detail pane of the only record loaded, on a screen large enough to show all of it.
fn detail_of(record: Record) -> String {
    let now = Utc.with_ymd_and_hms(2025, 11, 14, 12, 0, 0).unwrap();
    let settings = Settings {
        dataset: "one".into(),
        readonly: true,
        color: false,
    };
    detail_pane_text(App::new(settings, now).with_records(vec![record]))
}

/// The detail pane of the selected row, full screen (`z`) on a screen large enough to show all
/// of it, read back as one text.
pub(crate) fn detail_pane_text(mut app: App) -> String {
    update(&mut app, Action::ToggleZoom);
    let text = screen(&mut app, 160, 120);
    // The pane's rows sit between its side borders.
    let pane: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("\"┃"))
        .filter_map(|row| row.rsplit_once('┃'))
        .map(|(inside, _)| inside.trim_end())
        .collect();
    pane.join(" ")
}

#[test]
fn a_scored_record_stores_no_feature_table_yet_the_detail_pane_lists_each_feature_with_value_and_percentile()
 {
    let record = scored_author();
    let components = record.meta().unwrap()["score_components"]
        .as_object()
        .unwrap();
    assert!(!components.contains_key("features"), "{components:?}");

    let rows = model().feature_table(&record.view()).unwrap();
    assert_eq!(rows.len(), Feature::ALL.len());
    let text = detail_of(record);
    assert!(text.contains(&format!("computed now with {}", model().version())));
    for row in rows {
        let line = format!(
            "{}: {} (reference percentile {})",
            row.feature.key(),
            row.value,
            row.reference_percentile
        );
        assert!(text.contains(&line), "{line} missing from\n{text}");
    }
    assert!(
        !text.contains("not the ones that produced the stored score"),
        "scored by the current model, so the table is the one of its score:\n{text}"
    );
}

#[test]
fn a_record_scored_by_other_tables_says_its_feature_table_is_from_the_current_ones() {
    let mut record = scored_author();
    record
        .meta_mut()
        .insert("score_version".into(), "m2-000000000000".into());
    let text = detail_of(record);
    let warning = format!(
        "this table is from the current tables ({}), not the ones that produced the stored score \
         (m2-000000000000)",
        model().version()
    );
    assert!(text.contains(&warning), "{warning} missing from\n{text}");
    assert!(text.contains("followers_per_following: "), "{text}");
}

#[test]
fn an_old_record_that_still_stores_a_feature_table_shows_the_recomputed_one_only_once() {
    let mut record = scored_author();
    let stale = serde_json::json!({"followers": {"value": 1.0, "reference_percentile": 1.0}});
    record.meta_mut()["score_components"]["features"] = stale;
    let text = detail_of(record);
    // The M2 section, before every field is listed as stored.
    let score = text.split("All fields").next().unwrap();
    assert!(!score.contains("features.followers"), "{text}");
    assert_eq!(score.matches("    followers: ").count(), 1, "{text}");
}

#[test]
fn an_unscorable_record_says_why_it_has_no_feature_table() {
    let mut record = scored_author();
    record.fields_mut().remove("public_metrics");
    score_record(&mut record);
    let text = detail_of(record);
    assert!(text.contains("none: no activity metrics"), "{text}");
}

#[test]
fn before_a_run_the_budget_pane_shows_what_the_directory_spent_today() {
    let mut app = demo_app();
    app.spend = Some(influx::pipeline::harvest::events::SpendSnapshot {
        price_micros: 10_000,
        today_micros: 1_460_000,
        ..Default::default()
    });
    let roomy = screen(&mut app, 120, 40);
    assert!(roomy.contains("no requests yet"), "{roomy}");
    // Every figure with its word: the price is a user's.
    assert!(
        roomy.contains("spent today $1.46 · $0.01 a user"),
        "{roomy}"
    );
    let small = screen(&mut app, 80, 24);
    assert!(small.contains("spent today $1.46"), "{small}");
}

/// The header (first) line of a screen, its trailing blanks removed.
fn header_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or("")
        .trim_matches('"')
        .trim_end()
        .to_string()
}

/// The footer (last) line of a screen.
fn footer_line(text: &str) -> String {
    text.lines()
        .last()
        .unwrap_or("")
        .trim_matches('"')
        .trim_end()
        .to_string()
}

/// Every page of the open overlay, from its top to its end, read by PgDn.
fn overlay_pages(app: &mut App, w: u16, h: u16) -> Vec<String> {
    update(app, Action::Top);
    let mut pages = vec![screen(app, w, h)];
    while pages
        .last()
        .is_some_and(|p| p.contains(" more · j/k PgDn G"))
    {
        assert!(pages.len() < 20, "the overlay never reaches its end");
        update(app, Action::PageDown);
        pages.push(screen(app, w, h));
    }
    pages
}

#[test]
fn help_at_80x24_scrolls_to_every_key_and_says_what_lies_above_and_below() {
    let mut app = demo_app();
    update(&mut app, Action::ToggleHelp);
    let first = screen(&mut app, 80, 24);
    assert!(first.contains(" more · j/k PgDn G"), "{first}");
    insta::assert_snapshot!("help_at_80x24_top", first);
    let pages = overlay_pages(&mut app, 80, 24).join("\n");
    for b in registry(false).iter().filter(|b| on_main_screen(b)) {
        // The key and the start of its words, on one line (the rest may wrap).
        let start: String = b.help.chars().take(40).collect();
        let line = format!("{:<12}{start}", b.label);
        assert!(pages.contains(&line), "no page shows {line:?}");
    }
    update(&mut app, Action::Bottom);
    let last = screen(&mut app, 80, 24);
    assert!(last.contains(" above "), "{last}");
    assert!(!last.contains(" more · "), "{last}");
    insta::assert_snapshot!("help_at_80x24_end", last);
}

#[test]
fn help_at_60x20_reaches_its_end_too() {
    let mut app = demo_app();
    update(&mut app, Action::ToggleHelp);
    let pages = overlay_pages(&mut app, 60, 20).join("\n");
    for label in ["5 ", "7 ", "M ", "o ", "s ", "r ", "m ", "u ", "d "] {
        assert!(
            pages.contains(&format!("┃  {label:<12}")),
            "no page shows key {label:?}"
        );
    }
}

/// Twenty movers of each kind: more than an 80x24 screen shows at once.
fn many_movers() -> influx::pipeline::history::Movers {
    let mover = |i: u64| influx::pipeline::history::Mover {
        id: i.to_string(),
        handle: Some(format!("author{i:02}")),
        from: "2025-11-01T00:00:00Z".into(),
        to: "2025-11-14T00:00:00Z".into(),
        followers_before: Some(100_000 + i),
        followers_after: Some(150_000 + 7 * i),
        followers_delta: Some(50_000 + 6 * i as i64),
        score_before: Some(40.0 + i as f64),
        score_after: Some(50.0 + i as f64 / 2.0),
        score_delta: Some(10.0 - i as f64 / 2.0),
    };
    influx::pipeline::history::Movers {
        by_score: (0..20).map(mover).collect(),
        by_followers: (20..40).map(mover).collect(),
    }
}

#[test]
fn movers_at_80x24_scroll_to_the_followers_section() {
    let mut app = demo_app();
    app.movers = Some(many_movers());
    update(&mut app, Action::ToggleMovers);
    let first = screen(&mut app, 80, 24);
    assert!(!first.contains("Followers"), "{first}");
    assert!(first.contains(" more · j/k PgDn G"), "{first}");
    insta::assert_snapshot!("movers_at_80x24_top", first);
    update(&mut app, Action::Bottom);
    let last = screen(&mut app, 80, 24);
    assert!(last.contains("@author39"), "{last}");
    insta::assert_snapshot!("movers_at_80x24_end", last);
    let pages = overlay_pages(&mut app, 80, 24).join("\n");
    assert!(pages.contains("Followers"), "{pages}");
}

#[test]
fn at_80x24_every_counter_shows_whole() {
    let mut app = mid_run(demo_app());
    let text = screen(&mut app, 80, 24);
    for (key, word) in [
        ("1", "zero"),
        ("2", "unscored"),
        ("3", "placeh."),
        ("4", "dups"),
        ("5", "schema"),
        ("6", "unverif."),
        ("7", "growth"),
        ("c", "review"),
    ] {
        assert!(
            text.contains(&format!("{key} {word} ")),
            "{key} {word}: {text}"
        );
    }
}

#[test]
fn main_screen_at_60x20_before_a_run() {
    let mut app = demo_app();
    app.spend = Some(influx::pipeline::harvest::events::SpendSnapshot {
        price_micros: 10_000,
        today_micros: 0,
        ..Default::default()
    });
    let text = screen(&mut app, 60, 20);
    let footer = footer_line(&text);
    assert!(footer.contains("s harvest"), "{footer}");
    assert!(footer.contains("m merge"), "{footer}");
    assert!(footer.contains("? help"), "{footer}");
    // The two gauges' words are kept apart.
    assert!(text.contains(" │ "), "{text}");
    assert!(!text.contains("batch fno"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn main_screen_at_60x20_mid_run_drops_whole_parts_of_the_header() {
    let mut app = mid_run(demo_app());
    let text = screen(&mut app, 60, 20);
    let header = header_line(&text);
    // The header ends on a whole part: the ETA with its whole value, or no ETA at all.
    assert!(header.contains("[▶ running]"), "{header}");
    assert!(
        header.ends_with("ETA ≥0:09") || !header.contains("ETA"),
        "{header}"
    );
    let footer = footer_line(&text);
    assert!(
        footer.contains("s harvest") && footer.contains("m merge"),
        "{footer}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn the_header_leaves_out_whole_parts_at_every_width() {
    let mut app = mid_run(demo_app());
    app.frozen = true;
    let wide = header_line(&screen(&mut app, 130, 40));
    let parts: Vec<&str> = wide.split("  ").map(str::trim).collect();
    for w in 60..130 {
        let header = header_line(&screen(&mut app, w, 24));
        for shown in header.split("  ").map(str::trim).filter(|p| !p.is_empty()) {
            assert!(
                parts.contains(&shown),
                "at {w}: {shown:?} is cut ({header:?})"
            );
        }
    }
}

#[test]
fn after_a_run_the_budget_pane_says_the_window_is_idle_not_a_frozen_countdown() {
    let mut app = mid_run(demo_app());
    let live = screen(&mut app, 120, 40);
    assert!(live.contains("left 2/6 · resets in 9s"), "{live}");
    update(
        &mut app,
        Action::Engine(HarvestEvent::RunDone {
            summary: Default::default(),
        }),
    );
    let later = app.now + chrono::Duration::minutes(5);
    update(&mut app, Action::Tick(later));
    let after = screen(&mut app, 120, 40);
    assert!(!after.contains("resets in 0s"), "{after}");
    assert!(after.contains("window idle, reset 4m ago"), "{after}");
    // Every money figure has its word.
    assert!(after.contains("spent $0.23 this run"), "{after}");
    assert!(after.contains("$1.46 today"), "{after}");
    let small = screen(&mut app, 80, 24);
    assert!(small.contains("window idle"), "{small}");
}

/// The demo with no bearer token, asked to harvest two authors.
fn harvest_asked_without_a_token() -> App {
    let mut app = demo_app();
    app.no_token = Some("no bearer token: set X_BEARER_TOKEN and open the console again".into());
    let handles = vec!["jack".to_string(), "sivers".to_string()];
    let plan = influx::pipeline::harvest::CostPlan::new(
        &handles,
        25,
        &Default::default(),
        app.now.date_naive(),
        Default::default(),
        &influx::pipeline::harvest::budget::BudgetConfig::new(
            std::num::NonZeroU32::new(6),
            std::time::Duration::from_secs(15),
        ),
    );
    update(&mut app, Action::HarvestPlanned(Ok((handles, plan))));
    app
}

#[test]
fn without_a_token_the_header_says_so_and_the_harvest_confirmation_offers_cancel_only() {
    let mut app = harvest_asked_without_a_token();
    let text = screen(&mut app, 120, 40);
    assert!(header_line(&text).contains("NO TOKEN"), "{text}");
    assert!(
        text.contains("⚠ Harvest cannot start: no bearer token: set X_BEARER_TOKEN"),
        "{text}"
    );
    assert!(text.contains("[▶ Cancel ◀]"), "{text}");
    assert!(!text.contains("Harvest  ]"), "{text}");
    insta::assert_snapshot!(text);
    let small = screen(&mut app, 60, 20);
    assert!(small.contains("cannot start: no bearer"), "{small}");
}
