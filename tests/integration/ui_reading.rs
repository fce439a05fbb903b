//! Reading the console at every size: the detail pane in words, wrapped to its width and opening
//! at its top; the detail and the log full screen; a log line seen whole; the histogram's
//! previous version set apart without colour; the batch table's names and what it hides; what a
//! merge plan's conflicts are. Snapshots at 120x40, 80x24 and 60x20, and the keys behind them.

use influx::dataset::Record;
use influx::pipeline::harvest::events::{BatchFigures, HarvestEvent};
use influx::pipeline::score::score_record;
use influx::ui::Action;
use influx::ui::LogLevel;
use influx::ui::MergePlanView;
use influx::ui::action_for;
use influx::ui::{App, update};
use influx::ui::{BatchLine, BatchState};
use influx::ui::{Focus, Mode, Zoomed};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::common::{answer_details_now, ops_without_dir};
use crate::ui_snapshots::{demo_app, mid_run, read, scored_author, screen};

fn press(app: &mut App, code: KeyCode) {
    if let Some(a) = action_for(app, KeyEvent::new(code, KeyModifiers::NONE)) {
        update(app, a);
        answer_details_now(app, &ops_without_dir());
    }
}

/// The scored author with topics and a long name: a record whose detail has lists and lines
/// longer than the side pane.
fn author_with_lists() -> Record {
    let mut record = scored_author();
    record.fields_mut().insert(
        "name".into(),
        "Some One, who writes a very long display name".into(),
    );
    record.fields_mut().insert(
        "topic_tags".into(),
        serde_json::json!(["rust", "open source", "security"]),
    );
    score_record(&mut record);
    record
}

fn app_of(records: Vec<Record>) -> App {
    demo_app().with_records(records)
}

/// The rows of the side detail pane (right of the authors table) on a 120x40 screen: from its
/// title row to its bottom border, each row's text after the pane's left border.
fn side_pane(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let top = lines
        .iter()
        .position(|l| l.contains("Detail ("))
        .expect("a detail pane");
    lines[top + 1..]
        .iter()
        .map(|l| l.split('"').nth(1).unwrap_or(""))
        .take_while(|row| !row.ends_with('┘') && !row.ends_with('┛'))
        .map(|row| {
            let mut inside = row.chars();
            inside.next_back();
            let inside = inside.as_str();
            inside
                .rsplit(['│', '┃'])
                .next()
                .unwrap_or("")
                .trim_end()
                .to_string()
        })
        .collect()
}

#[test]
fn the_detail_at_120x40_prints_lists_as_words_and_wraps_every_line_to_the_pane() {
    let mut app = app_of(vec![author_with_lists()]);
    let text = screen(&mut app, 120, 40);
    assert!(!text.contains("[\""), "no JSON array on screen:\n{text}");
    // The title line is wrapped, not cut: the whole name is there.
    let pane = side_pane(&text).join(" ");
    assert!(
        pane.contains("@someone — Some One, who writes a very long"),
        "{pane}"
    );
    assert!(pane.contains("display name"), "{pane}");
    insta::assert_snapshot!(text);

    // Scrolled down to the M2 breakdown: reasons one per line, topics as words.
    press(&mut app, KeyCode::Enter);
    let whole = crate::ui_snapshots::detail_pane_text(app.clone())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        whole.contains("topic_tags: rust, open source, security"),
        "{whole}"
    );
    assert!(whole.contains("reasons: • "), "{whole}");
    for _ in 0..200 {
        if screen(&mut app, 120, 40).contains("reasons:") {
            break;
        }
        press(&mut app, KeyCode::Char('j'));
    }
    for _ in 0..4 {
        press(&mut app, KeyCode::Char('j'));
    }
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("  • "), "{text}");
    insta::assert_snapshot!("detail_at_120x40_scrolled_to_the_reasons", text);
}

#[test]
fn the_detail_scrolls_no_further_than_its_last_row_and_opens_at_its_top_for_another_author() {
    let mut app = app_of(vec![author_with_lists(), scored_author()]);
    screen(&mut app, 120, 40);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('G'));
    let last = app.detail_scroll;
    assert!(last > 10, "the detail is longer than the pane");
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.detail_scroll, last, "j stops at the last row");
    press(&mut app, KeyCode::Char('k'));
    assert_eq!(app.detail_scroll, last - 1, "so k answers at once");
    let text = screen(&mut app, 120, 40);
    assert!(text.contains(" more "), "{text}");
    assert!(text.contains("above"), "{text}");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.detail_scroll, 0, "another author opens at the top");
    press(&mut app, KeyCode::Enter);
    let text = screen(&mut app, 120, 40);
    assert!(side_pane(&text)[0].starts_with("@"), "{text}");
}

#[test]
fn z_shows_the_detail_full_screen_and_z_or_esc_goes_back() {
    let mut app = app_of(vec![author_with_lists()]);
    screen(&mut app, 120, 40);
    press(&mut app, KeyCode::Char('z'));
    assert_eq!(app.zoomed, Some(Zoomed::Detail));
    assert_eq!(app.mode, Mode::Detail);
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("Detail (j/k scroll, z back to the panes, Esc back)"));
    assert!(
        !text.contains("Counters"),
        "nothing but the detail:\n{text}"
    );
    insta::assert_snapshot!("detail_full_screen_at_120x40", text);
    insta::assert_snapshot!("detail_full_screen_at_80x24", screen(&mut app, 80, 24));
    insta::assert_snapshot!("detail_full_screen_at_60x20", screen(&mut app, 60, 20));
    press(&mut app, KeyCode::Char('z'));
    assert_eq!(app.zoomed, None);
    assert_eq!(
        app.mode,
        Mode::Detail,
        "back to the panes, the detail still open"
    );
    press(&mut app, KeyCode::Char('z'));
    press(&mut app, KeyCode::Esc);
    assert_eq!((app.zoomed, &app.mode), (None, &Mode::Normal));
}

#[test]
fn the_detail_overlay_at_80x24_and_60x20_wraps_to_its_width() {
    let mut app = app_of(vec![author_with_lists()]);
    press(&mut app, KeyCode::Enter);
    let text = screen(&mut app, 80, 24);
    assert!(!text.contains("[\""), "{text}");
    insta::assert_snapshot!("detail_overlay_at_80x24", text);
    insta::assert_snapshot!("detail_overlay_at_60x20", screen(&mut app, 60, 20));
}

/// A log with one line much longer than any pane, and a few short ones after it.
fn app_with_a_long_log_line() -> App {
    let mut app = demo_app();
    app.log(
        LogLevel::Warn,
        "@someone: NotFound: the X API answered 'Could not find user with usernames: [someone]' \
         for batch 3 (request id 0123456789abcdef, retried twice, then given up)",
    );
    for i in 0..3 {
        app.log(LogLevel::Info, format!("batch {i} answered"));
    }
    app
}

#[test]
fn a_focused_log_selects_a_line_and_enter_shows_it_whole() {
    let mut app = app_with_a_long_log_line();
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("(requ…"), "a cut line says so:\n{text}");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Log);
    for _ in 0..3 {
        press(&mut app, KeyCode::Char('k'));
    }
    press(&mut app, KeyCode::Enter);
    assert!(app.log_cursor.expanded);
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("then given up)"), "the whole line:\n{text}");
    assert!(text.contains("↓"), "newer lines below are counted:\n{text}");
    insta::assert_snapshot!("log_line_whole_at_120x40", text);
    press(&mut app, KeyCode::Enter);
    assert!(!screen(&mut app, 120, 40).contains("then given up)"));
    // At 80x24 the log has two rows: full screen it has them all.
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('z'));
    assert_eq!(app.zoomed, Some(Zoomed::Log));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("then given up)"), "{text}");
    insta::assert_snapshot!("log_full_screen_at_80x24", text);
    insta::assert_snapshot!("log_full_screen_at_60x20", screen(&mut app, 60, 20));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.zoomed, None);
}

#[test]
fn tab_focuses_only_the_panes_drawn_at_this_size() {
    let mut app = demo_app();
    screen(&mut app, 80, 24);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Log, "no batch table at 80x24");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Authors);
    screen(&mut app, 120, 40);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Batches);
}

#[test]
fn after_a_merge_the_histogram_sets_the_previous_bars_apart_without_colour() {
    let mut app = mid_run(demo_app());
    assert!(!app.settings.color);
    app.previous_bins = Some((3, [2, 5, 7, 5, 9, 8, 8, 134, 0, 1]));
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("░ version 3 · █ now"), "a legend:\n{text}");
    assert!(text.contains("░"), "{text}");
    assert!(text.contains("134→14"), "both counts, apart:\n{text}");
    assert!(!text.contains("134134"), "{text}");
    insta::assert_snapshot!(text);
    // A narrower histogram keeps its counts apart too.
    let text = screen(&mut app, 100, 40);
    assert!(!text.contains("134134"), "{text}");
}

/// A pending run directory's batch line, as the console names it.
fn run_line(dir: &str) -> BatchLine {
    let path = std::path::Path::new("runs").join(dir).join("records.jsonl");
    BatchLine::new(
        influx::cli::console_ops::batch_name(&path),
        BatchState::Pending,
    )
}

#[test]
fn batch_names_use_the_width_and_the_title_says_what_is_hidden() {
    let mut app = demo_app();
    for minute in 10..23 {
        app.batches
            .push(run_line(&format!("20261207T17{minute}33.123Z")));
    }
    assert_eq!(app.batches.len(), 16);
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("run 17:22:33 Dec 7"), "names whole:\n{text}");
    assert!(
        text.contains("Batches 16 · ↑ 9 above (Tab, then j/k)"),
        "{text}"
    );
    assert!(
        !text.contains("batch-07-api"),
        "the first rows are the hidden ones"
    );
    insta::assert_snapshot!(text);

    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Batches);
    let text = screen(&mut app, 120, 40);
    assert!(
        text.contains("batch-07-api"),
        "focused, from the top:\n{text}"
    );
    assert!(text.contains("Batches 16 · ↓ 9 below"), "{text}");
    for _ in 0..10 {
        press(&mut app, KeyCode::Char('j'));
    }
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("run 17:17:33 Dec 7"), "j scrolls:\n{text}");
    assert!(text.contains("↑ 4 above · ↓ 5 below"), "{text}");
}

#[test]
fn a_re_harvest_names_its_line_by_the_handle_first() {
    let mut app = mid_run(demo_app());
    app.reharvest = Some("jackdorsey_long".into());
    update(
        &mut app,
        Action::Engine(HarvestEvent::BatchStarted {
            batch: 7,
            handles: 1,
        }),
    );
    assert_eq!(
        app.batches.last().unwrap().name,
        "@jackdorsey_long re-harvest"
    );
    let text = screen(&mut app, 120, 40);
    assert!(
        text.contains("@jackdorsey_long re-har…"),
        "the handle whole:\n{text}"
    );
}

#[test]
fn after_r_the_detail_opens_on_the_author_with_what_the_answer_changed() {
    let mut app = demo_app();
    screen(&mut app, 120, 40);
    // Another author is on screen, scrolled: the fresh answer's author opens, at its top.
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Esc);
    let stored = read("tests/fixtures/latest-2025-11-14.jsonl")
        .into_iter()
        .find(|r| r.handle() == Some("fredwilson"))
        .unwrap();
    let before = stored.metrics().followers.unwrap();
    update(&mut app, Action::StartCommand);
    for c in "harvest @fredwilson".chars() {
        update(&mut app, Action::Type(c));
    }
    update(&mut app, Action::Submit);
    let plan = influx::pipeline::harvest::CostPlan::new(
        &["fredwilson".to_string()],
        100,
        &Default::default(),
        app.now.date_naive(),
        Default::default(),
        &Default::default(),
    );
    update(
        &mut app,
        Action::HarvestPlanned(Ok((vec!["fredwilson".into()], plan))),
    );
    update(&mut app, Action::ToggleChoice);
    update(&mut app, Action::Submit);
    update(
        &mut app,
        Action::Engine(HarvestEvent::RunStarted {
            run_dir: "runs/x".into(),
            handles: 1,
            batches: 1,
            already_done: 0,
            invalid: 0,
        }),
    );
    let mut fresh = stored.clone();
    fresh
        .fields_mut()
        .insert("followers_count".into(), (before + 150).into());
    fresh.meta_mut().insert(
        "sources".into(),
        serde_json::json!([{"method": "x-api-v2", "fetched_at": "2025-11-14T11:00:00Z"}]),
    );
    score_record(&mut fresh);
    update(
        &mut app,
        Action::Engine(HarvestEvent::BatchDone {
            batch: 0,
            figures: BatchFigures {
                found: 1,
                ..Default::default()
            },
            records: vec![fresh],
            latency: std::time::Duration::from_millis(200),
        }),
    );
    answer_details_now(&mut app, &ops_without_dir());
    assert_eq!(app.mode, Mode::Detail);
    assert_eq!(app.detail_scroll, 0);
    let row = app.selected_row().unwrap();
    assert_eq!(app.rows[row].handle, "fredwilson");
    let text = screen(&mut app, 120, 40);
    let pane = side_pane(&text).join(" ");
    assert!(pane.contains("Re-harvested:"), "{pane}");
    assert!(
        pane.contains(&format!("followers {before} → {}", before + 150)),
        "{pane}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn the_merge_plan_says_what_a_conflict_is_and_where_each_is_listed() {
    let mut app = demo_app();
    update(
        &mut app,
        Action::MergePlanned(Ok(MergePlanView {
            batches: vec!["run 17:15:33 Dec 7".into()],
            added: 3,
            updated: 166,
            unchanged: 0,
            collapsed: 0,
            conflicts: 1424,
            blocked: Vec::new(),
            left_out: Vec::new(),
            unreadable: 0,
        })),
    );
    for (w, h) in [(120, 40), (80, 24)] {
        let text = screen(&mut app, w, h);
        assert!(text.contains("conflicts 1424"), "{text}");
        assert!(
            text.contains("conflict: a field whose copies disagree; the newest fetch wins"),
            "{text}"
        );
        assert!(
            text.contains("influx merge BATCH... --dry-run --json"),
            "{text}"
        );
    }
}
