//! The console's behaviour without a terminal: key -> action -> state, and engine events -> state.

use crate::cli::console_ops::detail::answer_detail;
use crate::dataset::{Record, read_dataset};
use crate::pipeline::harvest::events::{
    BatchFigures, BudgetSnapshot, HarvestCommand, HarvestEvent,
};
use crate::ui::action::{Action, ScreenCounter};
use crate::ui::app::{Confirm, Effect, Mode, RunState};
use crate::ui::keys::{action_for, registry};
use crate::ui::{App, Settings, update};
use chrono::{TimeZone, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn crisis() -> Vec<Record> {
    read_dataset(std::path::Path::new(
        "tests/fixtures/latest-2025-11-14.jsonl",
    ))
    .expect("fixture readable")
    .records
}

fn app(readonly: bool) -> App {
    let settings = Settings {
        dataset: "test".into(),
        readonly,
        color: false,
    };
    let mut app = App::new(
        settings,
        Utc.with_ymd_and_hms(2025, 11, 14, 12, 0, 0).unwrap(),
    )
    .with_records(crisis());
    update(&mut app, Action::Resize(120, 40));
    app
}

fn press(app: &mut App, code: KeyCode) {
    press_mod(app, code, KeyModifiers::NONE)
}

fn press_mod(app: &mut App, code: KeyCode, mods: KeyModifiers) {
    if let Some(a) = action_for(app, KeyEvent::new(code, mods)) {
        update(app, a);
    }
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

#[test]
fn the_crisis_dataset_loads_with_its_zero_scores_and_duplicates_counted() {
    let app = app(false);
    assert_eq!(app.rows.len(), 531);
    assert_eq!(app.counts.zero, 271);
    assert_eq!(
        app.counts.duplicates,
        531 - 319,
        "extra copies beyond one per handle"
    );
    assert_eq!(app.counts.duplicate_handles, 131);
    assert_eq!(
        app.counts.unscored, 460,
        "as influx audit: no metrics, no measurement"
    );
    // The histogram holds measurements only: the 71 authors with metrics, all stored as 0.0.
    assert_eq!(app.histogram.zero, 71);
    assert_eq!(app.histogram.unscored, 460);
}

#[test]
fn a_counter_key_lists_exactly_the_records_behind_the_counter_and_zero_clears_it() {
    let mut app = app(false);
    press(&mut app, KeyCode::Char('1'));
    assert_eq!(app.index.len(), 271);
    assert!(
        app.index
            .iter()
            .all(|&i| app.rows[i as usize].score == Some(0.0))
    );
    press(&mut app, KeyCode::Char('0'));
    assert_eq!(app.index.len(), 531);
    let _ = ScreenCounter::ALL;
}

#[test]
fn slash_filters_by_handle_as_you_type_enter_keeps_it_and_esc_clears_it() {
    let mut app = app(false);
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.mode, Mode::Filter);
    typed(&mut app, "elonmusk");
    assert!(!app.index.is_empty());
    assert!(
        app.index
            .iter()
            .all(|&i| app.rows[i as usize].handle.eq_ignore_ascii_case("elonmusk"))
    );
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Normal);
    press(&mut app, KeyCode::Esc);
    assert_eq!(
        app.index.len(),
        531,
        "Esc on the main screen clears the filter"
    );
}

#[test]
fn esc_while_typing_a_filter_abandons_it_but_keeps_the_counter_filter() {
    let mut app = app(false);
    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Char('/'));
    typed(&mut app, "zzzz-no-such-author");
    assert!(app.index.is_empty());
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.index.len(), 271, "back to the zero-score list");
}

#[test]
fn j_k_g_and_capital_g_move_the_selection_within_bounds_and_keep_it_on_screen() {
    let mut app = app(false);
    press(&mut app, KeyCode::Char('k'));
    assert_eq!(app.selected, 0);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected, 2);
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.selected, 530);
    assert!(app.table_offset <= app.selected && app.selected < app.table_offset + app.table_height);
    press(&mut app, KeyCode::Char('g'));
    assert_eq!((app.selected, app.table_offset), (0, 0));
}

#[test]
fn enter_opens_the_detail_of_the_selected_author_and_esc_goes_back() {
    let mut app = app(false);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Detail);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn s_asks_the_engine_to_plan_a_harvest_of_each_handle_that_needs_it_once() {
    let mut app = app(false);
    // The refresh's census of the same file, as the console makes it when it reads a data
    // directory (see `ConsoleOps::read_latest`); without one, `s` chooses nothing.
    press(&mut app, KeyCode::Char('s'));
    assert!(app.outbox.is_empty(), "no census, no choice");
    app.census = Some(
        crate::pipeline::refresh::census(
            std::path::Path::new("tests/fixtures/latest-2025-11-14.jsonl"),
            &crate::pipeline::refresh::CensusRules::defaults(app.now),
            &Default::default(),
            None,
        )
        .unwrap(),
    );
    press(&mut app, KeyCode::Char('s'));
    let Some(Effect::PlanHarvest(handles)) = app.outbox.first() else {
        panic!("expected a harvest plan, got {:?}", app.outbox);
    };
    let mut keys: Vec<String> = handles.iter().map(|h| h.to_lowercase()).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "each handle once");
    assert!(
        keys.contains(&"fredwilson".to_string()),
        "a zero-score author is included"
    );
    assert!(
        keys.contains(&"billgates".to_string()),
        "a stored 100.0 with no metrics behind it measures nothing: harvested too"
    );
}

#[test]
fn merge_asks_for_the_plan_and_the_dialog_opens_with_cancel_focused() {
    let mut app = app(false);
    press(&mut app, KeyCode::Char('m'));
    assert_eq!(app.outbox, vec![Effect::PlanMerge]);
    app.outbox.clear();
    update(&mut app, Action::MergePlanned(Ok(Default::default())));
    assert!(matches!(
        app.mode,
        Mode::Confirm {
            what: Confirm::Merge(_),
            accept_focused: false
        }
    ));
    press(&mut app, KeyCode::Enter);
    assert!(app.outbox.is_empty(), "Enter on Cancel does nothing");
    update(&mut app, Action::MergePlanned(Ok(Default::default())));
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.outbox, vec![Effect::ApplyMerge]);
}

#[test]
fn a_merge_is_refused_with_a_reason_while_a_harvest_is_still_writing_its_run() {
    let mut app = app(false);
    update(&mut app, Action::MergePlanned(Ok(Default::default())));
    run_started(&mut app, 3);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('m'));
    press(&mut app, KeyCode::Char(':'));
    typed(&mut app, "merge");
    press(&mut app, KeyCode::Enter);
    assert!(app.outbox.is_empty(), "{:?}", app.outbox);
    let refusals = app
        .log
        .last(3)
        .filter(|l| {
            l.text
                .starts_with("merge refused: the harvest is still writing its run")
        })
        .count();
    assert_eq!(refusals, 3);
    update(
        &mut app,
        Action::Engine(HarvestEvent::RunDone {
            summary: Box::default(),
        }),
    );
    press(&mut app, KeyCode::Char('m'));
    assert_eq!(app.outbox, vec![Effect::PlanMerge]);
}

#[test]
fn an_unscored_author_shows_no_score_in_the_table_and_sorts_last() {
    let app = app(false);
    let unscored = |i: &u32| {
        app.rows[*i as usize]
            .flags
            .contains(crate::ui::author::RowFlags::UNSCORED)
    };
    let first_unscored = app.index.iter().position(unscored).expect("some unscored");
    assert!(app.index[first_unscored..].iter().all(unscored));
    assert!(
        app.index[first_unscored..]
            .iter()
            .all(|&i| app.rows[i as usize].ranked_score().is_none())
    );
}

#[test]
fn readonly_binds_no_harvest_merge_or_rollback() {
    let mut app = app(true);
    for c in ['s', 'r', 'm', 'u'] {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Char(':'));
    typed(&mut app, "harvest @jack");
    press(&mut app, KeyCode::Enter);
    assert!(app.outbox.is_empty());
    assert_eq!(app.mode, Mode::Normal);
    assert!(registry(true).iter().all(|b| !matches!(
        b.action,
        Action::StartHarvest | Action::Reharvest | Action::Merge | Action::Rollback
    )));
}

fn plan_for(handles: &[&str], free: u64) -> crate::pipeline::harvest::CostPlan {
    let handles: Vec<String> = handles.iter().map(|h| h.to_string()).collect();
    let mut plan = crate::pipeline::harvest::CostPlan::new(
        &handles,
        100,
        &Default::default(),
        chrono::Utc::now().date_naive(),
        Default::default(),
        &Default::default(),
    );
    plan.free_rereads = free;
    plan.cost_micros = (handles.len() as u64 - free) * plan.price_micros;
    plan
}

#[test]
fn the_command_line_harvests_a_typed_handle_after_a_confirmation_that_shows_its_cost() {
    let mut app = app(false);
    press(&mut app, KeyCode::Char(':'));
    typed(&mut app, "harvest @jack");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.outbox, vec![Effect::PlanHarvest(vec!["jack".into()])]);
    app.outbox.clear();
    let plan = plan_for(&["jack"], 0);
    update(
        &mut app,
        Action::HarvestPlanned(Ok((vec!["jack".into()], plan.clone()))),
    );
    let Mode::Confirm {
        what,
        accept_focused: false,
    } = &app.mode
    else {
        panic!(
            "the plan opens a confirmation with Cancel focused: {:?}",
            app.mode
        );
    };
    let (question, lines) = crate::ui::panes::confirm::question_lines(what);
    assert_eq!(question, "Harvest @jack again?");
    assert!(lines.iter().any(|l| l.contains("$0.01")), "{lines:?}");
    assert!(
        app.outbox.is_empty(),
        "nothing is spent before the operator says so"
    );
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.outbox, vec![Effect::StartHarvest(vec!["jack".into()])]);
}

#[test]
fn a_re_harvest_of_an_author_read_today_says_it_is_free() {
    let mut app = app(false);
    update(
        &mut app,
        Action::HarvestPlanned(Ok((vec!["jack".into()], plan_for(&["jack"], 1)))),
    );
    let Mode::Confirm { what, .. } = &app.mode else {
        panic!("{:?}", app.mode)
    };
    let (_, lines) = crate::ui::panes::confirm::question_lines(what);
    assert!(lines[0].contains("this re-read is free"), "{lines:?}");
}

#[test]
fn quitting_asks_while_a_run_is_in_flight_and_not_otherwise() {
    let mut idle = app(false);
    press(&mut idle, KeyCode::Char('q'));
    assert!(idle.should_quit);

    let mut busy = app(false);
    busy.run = RunState::Running;
    press_mod(&mut busy, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(!busy.should_quit);
    assert!(matches!(
        busy.mode,
        Mode::Confirm {
            what: Confirm::Quit,
            ..
        }
    ));
    press(&mut busy, KeyCode::Tab);
    press(&mut busy, KeyCode::Enter);
    assert!(busy.should_quit);
    assert_eq!(busy.outbox, vec![Effect::Engine(HarvestCommand::Cancel)]);
}

#[test]
fn p_pauses_a_running_harvest_and_resumes_a_paused_one() {
    let mut app = app(false);
    app.run = RunState::Running;
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.outbox, vec![Effect::Engine(HarvestCommand::Pause)]);
    app.outbox.clear();
    update(&mut app, Action::Engine(HarvestEvent::Paused));
    assert_eq!(app.run, RunState::Paused);
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.outbox, vec![Effect::Engine(HarvestCommand::Resume)]);
}

#[test]
fn a_harvested_batch_replaces_the_zero_scored_copies_and_the_counters_follow() {
    let mut app = app(false);
    let mut fresh = crisis()
        .into_iter()
        .find(|r| r.handle() == Some("fredwilson"))
        .unwrap();
    fresh
        .meta_mut()
        .insert("score".into(), serde_json::json!(74.8));
    let before = app.counts.zero;
    let copies = app
        .rows
        .iter()
        .filter(|r| r.handle == "fredwilson" && r.score == Some(0.0))
        .count();
    assert!(copies > 0);
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
    assert_eq!(app.run, RunState::Running);
    update(
        &mut app,
        Action::Engine(HarvestEvent::BatchDone {
            batch: 0,
            figures: BatchFigures {
                found: 1,
                ..Default::default()
            },
            records: vec![fresh],
            latency: std::time::Duration::from_millis(5),
        }),
    );
    assert_eq!(app.counts.zero, before - copies);
    assert_eq!(app.progress.handles_done, 1);
    assert_eq!(app.batches.last().unwrap().figures.found, 1);
}

#[test]
fn waiting_for_budget_shows_as_its_own_run_state_until_budget_returns() {
    let mut app = app(false);
    let until = app.now + chrono::Duration::seconds(12);
    update(
        &mut app,
        Action::Engine(HarvestEvent::Waiting {
            until,
            reason: "window spent".into(),
        }),
    );
    assert_eq!(app.run, RunState::WaitingForBudget { until });
    update(
        &mut app,
        Action::Engine(HarvestEvent::Budget(BudgetSnapshot::default())),
    );
    assert_eq!(app.run, RunState::Running);
}

#[test]
fn a_frozen_view_holds_engine_events_and_applies_them_on_unfreeze() {
    let mut app = app(false);
    press_mod(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    update(&mut app, Action::Engine(HarvestEvent::Paused));
    assert_eq!(app.run, RunState::Idle);
    assert_eq!(app.held.len(), 1);
    press_mod(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    assert_eq!(app.run, RunState::Paused);
}

#[test]
fn the_log_pane_keeps_a_bounded_number_of_lines_and_counts_the_rest() {
    let mut app = app(false);
    for i in 0..(crate::ui::app::LOG_CAPACITY + 25) {
        update(
            &mut app,
            Action::Engine(HarvestEvent::Log {
                level: tracing::Level::INFO,
                message: format!("line {i}"),
            }),
        );
    }
    assert_eq!(app.log.len(), crate::ui::app::LOG_CAPACITY);
    assert_eq!(app.log.dropped(), 25);
}

#[test]
fn a_merge_published_but_not_recorded_marks_its_batches_merged_and_says_so_as_an_error() {
    use crate::ui::batches::{BatchLine, BatchState};
    use crate::ui::log_ring::LogLevel;
    let mut app = app(false);
    app.batches = vec![BatchLine::new("batch-01.jsonl", BatchState::Pending)];
    let words = "published version 2; not yet recorded in the history: file is not a database";
    update(&mut app, Action::MergePublishedNotRecorded(words.into()));
    assert_eq!(
        app.batches[0].state,
        BatchState::Merged,
        "the version holds them"
    );
    assert_eq!(app.merges, 1);
    let last = app.log.last(1).next().unwrap();
    assert_eq!(last.level, LogLevel::Error);
    assert_eq!(last.text, words);
}

mod fast_order_matches_the_reference {
    //! The console keeps cached orders, narrows the shown list while typing and patches it on
    //! live updates; whatever the sequence, the list must be the plain filter-and-sort one.

    use super::*;
    use crate::ui::author::{AuthorRow, RowFlags};
    use crate::ui::row_index::compute;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Step {
        Key(Action),
        /// A harvested figure for the row at (index % rows): same handle, new score/followers.
        Update(usize, Option<f64>, Option<u64>, u8),
        /// A harvested author not listed before.
        Append(Option<f64>),
    }

    fn score() -> impl Strategy<Value = Option<f64>> {
        prop_oneof![
            Just(None),
            Just(Some(0.0)),
            Just(Some(-0.0)),
            Just(Some(50.0)),
            (0.0f64..100.0).prop_map(Some),
        ]
    }

    fn followers() -> impl Strategy<Value = Option<u64>> {
        prop_oneof![
            Just(None),
            Just(Some(u64::MAX)),
            Just(Some((1 << 53) + 1)),
            Just(Some(1 << 53)),
            (0u64..1000).prop_map(Some),
        ]
    }

    fn flags(bits: u8) -> RowFlags {
        let mut f = RowFlags::default();
        for (i, flag) in [
            RowFlags::ZERO,
            RowFlags::UNSCORED,
            RowFlags::PLACEHOLDER,
            RowFlags::SCHEMA,
            RowFlags::FRESH,
        ]
        .into_iter()
        .enumerate()
        {
            if bits & (1 << i) != 0 {
                f.insert(flag);
            }
        }
        f
    }

    fn row() -> impl Strategy<Value = AuthorRow> {
        (
            "[abc]{1,3}",
            "[aBc ]{0,3}",
            score(),
            followers(),
            any::<u8>(),
        )
            .prop_map(|(h, n, s, f, b)| AuthorRow::new(&h, &n, s, f, flags(b)))
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            3 => prop_oneof![Just('a'), Just('b'), Just('c'), Just(' '), Just('@')]
                .prop_map(|c| Step::Key(Action::Type(c))),
            1 => Just(Step::Key(Action::StartFilter)),
            1 => Just(Step::Key(Action::Erase)),
            1 => Just(Step::Key(Action::Back)),
            1 => Just(Step::Key(Action::Submit)),
            2 => Just(Step::Key(Action::CycleSort)),
            1 => Just(Step::Key(Action::ReverseSort)),
            1 => prop::sample::select(ScreenCounter::ALL.to_vec())
                .prop_map(|c| Step::Key(Action::ShowCounter(c))),
            1 => Just(Step::Key(Action::ClearFilters)),
            3 => (any::<usize>(), score(), followers(), any::<u8>())
                .prop_map(|(i, s, f, b)| Step::Update(i, s, f, b)),
            1 => score().prop_map(Step::Append),
        ]
    }

    fn bare_app(rows: Vec<AuthorRow>) -> App {
        let settings = Settings {
            dataset: "prop".into(),
            readonly: false,
            color: false,
        };
        let now = Utc.with_ymd_and_hms(2025, 11, 14, 12, 0, 0).unwrap();
        App::new(settings, now).with_rows(rows)
    }

    proptest! {
        #[test]
        fn the_shown_list_equals_a_plain_filter_and_sort_after_any_keys_and_live_updates(
            rows in prop::collection::vec(row(), 1..40),
            steps in prop::collection::vec(step(), 1..40),
        ) {
            let mut app = bare_app(rows);
            let mut appended = 0;
            for step in steps {
                match step {
                    Step::Key(action) => update(&mut app, action),
                    Step::Update(i, s, f, b) => {
                        let i = i % app.rows.len();
                        let old = app.rows[i].clone();
                        let mut fl = flags(b);
                        if old.flags.contains(RowFlags::DUPLICATE) {
                            fl.insert(RowFlags::DUPLICATE);
                        }
                        app.set_row(i, AuthorRow::new(&old.handle, &old.name, s, f, fl));
                        app.rows_moved(&[i as u32]);
                    }
                    Step::Append(s) => {
                        appended += 1;
                        let at = app.rows.len();
                        app.set_row(at, AuthorRow::new(&format!("new{appended}"), "", s, None, flags(0)));
                        app.rows_moved(&[at as u32]);
                    }
                }
                let want = compute(&app.rows, &app.filter, app.sort, app.reverse);
                prop_assert_eq!(&app.index, &want, "filter {:?} sort {:?} reverse {}", app.filter, app.sort, app.reverse);
                prop_assert!(app.selected < app.index.len().max(1));
            }
            let recounted = bare_app(app.rows.clone());
            prop_assert_eq!(app.counts, recounted.counts);
            prop_assert_eq!(&app.histogram, &recounted.histogram);
        }
    }

    #[test]
    fn a_harvested_score_moves_its_rows_to_where_a_full_sort_puts_them() {
        let mut app = app(false);
        let mut fresh = crisis()
            .into_iter()
            .find(|r| r.handle() == Some("fredwilson"))
            .unwrap();
        fresh
            .meta_mut()
            .insert("score".into(), serde_json::json!(99.99));
        update(
            &mut app,
            Action::Engine(HarvestEvent::BatchDone {
                batch: 0,
                figures: BatchFigures::default(),
                records: vec![fresh],
                latency: std::time::Duration::from_millis(5),
            }),
        );
        assert_eq!(
            app.index,
            compute(&app.rows, &app.filter, app.sort, app.reverse)
        );
        // A score the checks still call unscored ranks nowhere: the table sorts it last.
        let top = &app.rows[app.index[0] as usize];
        let fred = app.rows.iter().find(|r| r.handle == "fredwilson").unwrap();
        assert!(
            fred.ranked_score().is_none()
                || top.handle == "fredwilson"
                || top.ranked_score() >= Some(99.99),
            "fredwilson's new 99.99 sorts at the top, got {} {:?}",
            top.handle,
            top.ranked_score()
        );
        let recounted = App::new(app.settings.clone(), app.now)
            .with_records(app.records.held().expect("harvested records are held"));
        assert_eq!(app.counts.zero, recounted.counts.zero);
        assert_eq!(app.counts.unscored, recounted.counts.unscored);
        assert_eq!(app.counts.duplicates, recounted.counts.duplicates);
        assert_eq!(app.histogram, recounted.histogram);
    }
}

#[test]
fn the_detail_is_asked_for_once_per_selection_and_a_late_answer_for_another_row_is_dropped() {
    let mut app = app(false);
    let first = app.selected_row().unwrap();
    assert_eq!(app.detail_wanted.map(|(_, row)| row), Some(first));
    // The answer for the first row is computed while the selection moves on.
    let stale = answer_detail(&app.take_detail_ask().unwrap(), None);
    update(&mut app, Action::Down);
    let second = app.selected_row().unwrap();
    assert_ne!(first, second);
    assert_eq!(app.detail_wanted.map(|(_, row)| row), Some(second));
    update(&mut app, Action::DetailReady(Box::new(stale)));
    assert!(app.detail_of(second).is_none(), "not the row on show");
    assert!(
        app.detail_of(first).is_none(),
        "only the last one asked counts"
    );
    // A tick or any other action does not ask again for the same row.
    answer_details_now(&mut app);
    update(&mut app, Action::Tick(Utc::now()));
    assert_eq!(app.detail_wanted, None);
    let detail = app.detail_of(second).unwrap().unwrap();
    assert!(!detail.fields.is_empty());
}

#[test]
fn new_records_behind_the_same_row_ask_for_its_detail_again() {
    let mut app = app(false);
    answer_details_now(&mut app);
    let row = app.selected_row().unwrap();
    assert!(app.detail_of(row).is_some());
    app.reload(Default::default(), Vec::new());
    app = app.with_records(crisis());
    update(&mut app, Action::Tick(Utc::now()));
    assert!(
        app.detail_of(row).is_none(),
        "the old answer is not shown for the new records"
    );
    assert_eq!(app.detail_wanted.map(|(_, r)| r), Some(row));
}

/// Answers the console's pending detail request at once, as the event loop does for a console
/// without a data directory (no history): the tests drive the reducer without an event loop.
fn answer_details_now(app: &mut App) {
    if let Some(ask) = app.take_detail_ask() {
        update(
            app,
            Action::DetailReady(Box::new(answer_detail(&ask, None))),
        );
    }
}

fn run_started(app: &mut App, handles: usize) {
    update(
        app,
        Action::Engine(HarvestEvent::RunStarted {
            run_dir: "runs/x".into(),
            handles,
            batches: 1,
            already_done: 0,
            invalid: 0,
        }),
    );
    update(
        app,
        Action::Engine(HarvestEvent::BatchStarted { batch: 0, handles }),
    );
}

#[test]
fn a_single_handle_re_harvest_gets_its_own_line_in_the_batches_pane_beside_the_last_run() {
    let mut app = app(false);
    let before = app.batches.len();
    run_started(&mut app, 40);
    assert_eq!(app.batches.last().unwrap().name, "run batch 0");
    update(
        &mut app,
        Action::Engine(HarvestEvent::RunDone {
            summary: Box::default(),
        }),
    );
    update(
        &mut app,
        Action::HarvestPlanned(Ok((vec!["jack".into()], plan_for(&["jack"], 0)))),
    );
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Enter);
    run_started(&mut app, 1);
    let names: Vec<&str> = app.batches[before..]
        .iter()
        .map(|b| b.name.as_str())
        .collect();
    assert_eq!(names, ["run batch 0", "@jack re-harvest"]);
    assert_eq!(app.batches.last().unwrap().records, 1);
    run_started(&mut app, 5);
    assert_eq!(app.batches.last().unwrap().name, "run 3 batch 0");
}

#[test]
fn the_help_scrolls_with_the_moving_keys_and_never_past_its_end() {
    let mut app = app(false);
    update(&mut app, Action::Resize(80, 24));
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.mode, Mode::Help);
    assert_eq!(app.overlay_scroll, 0);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Down);
    assert_eq!(app.overlay_scroll, 2);
    press(&mut app, KeyCode::Char('k'));
    assert_eq!(app.overlay_scroll, 1);
    press(&mut app, KeyCode::Char('G'));
    let end = crate::ui::panes::overlay::max_scroll(&app);
    assert!(end > 0, "the help is longer than an 80x24 screen");
    assert_eq!(app.overlay_scroll, end);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.overlay_scroll, end, "the end is the end");
    press(&mut app, KeyCode::PageUp);
    assert_eq!(
        app.overlay_scroll,
        end.saturating_sub(crate::ui::panes::overlay::page(&app))
    );
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.overlay_scroll, 0);
    // The moving keys scroll the help: the selection behind it stays where it was.
    assert_eq!(app.selected, 0);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn an_overlay_opens_at_its_top_and_a_larger_screen_keeps_it_in_range() {
    let mut app = app(false);
    update(&mut app, Action::Resize(80, 24));
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::End);
    assert!(app.overlay_scroll > 0);
    // At 120x40 the whole help shows: nothing to scroll.
    update(&mut app, Action::Resize(120, 40));
    assert_eq!(app.overlay_scroll, 0);
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Char('M'));
    assert_eq!(app.mode, Mode::Movers);
    assert_eq!(app.overlay_scroll, 0);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('M'));
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn without_a_token_a_harvest_confirmation_cannot_be_accepted_and_says_why_in_the_log() {
    let mut app = app(false);
    app.no_token = Some("no bearer token: set X_BEARER_TOKEN and open the console again".into());
    update(
        &mut app,
        Action::HarvestPlanned(Ok((vec!["jack".into()], plan_for(&["jack"], 0)))),
    );
    assert!(matches!(app.mode, Mode::Confirm { .. }), "{:?}", app.mode);
    // Tab has no other button to move to; Enter starts nothing.
    press(&mut app, KeyCode::Tab);
    assert!(matches!(
        app.mode,
        Mode::Confirm {
            accept_focused: false,
            ..
        }
    ));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.outbox.is_empty(), "{:?}", app.outbox);
    let last = app.log.last(1).next().expect("a log line");
    assert!(
        last.text
            .starts_with("nothing started: no bearer token: set X_BEARER_TOKEN"),
        "{}",
        last.text
    );
}
