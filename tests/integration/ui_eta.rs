//! The console's ETA and counts: the ETA counts the rate-limit waits the budget knows, stands
//! still while the run is paused, says when it cannot know; the log's batch count is the
//! progress pane's.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use influx::pipeline::harvest::CostPlan;
use influx::pipeline::harvest::budget::BudgetConfig;
use influx::pipeline::harvest::events::{BatchFigures, BudgetSnapshot, HarvestEvent};
use influx::ui::Action;
use influx::ui::Eta;
use influx::ui::{App, Settings, update};

/// The demo's window: 6 requests per 15 s.
fn demo_plan(requests: usize) -> CostPlan {
    let handles: Vec<String> = (0..requests).map(|i| format!("h{i}")).collect();
    CostPlan::new(
        &handles,
        1,
        &Default::default(),
        Utc::now().date_naive(),
        Default::default(),
        &BudgetConfig::new(std::num::NonZeroU32::new(6), Duration::from_secs(15)),
    )
}

fn running(batches: usize) -> App {
    let mut app = App::new(
        Settings::default(),
        Utc.with_ymd_and_hms(2025, 11, 14, 12, 0, 0).unwrap(),
    );
    update(
        &mut app,
        Action::Engine(HarvestEvent::Planned(demo_plan(batches))),
    );
    update(
        &mut app,
        Action::Engine(HarvestEvent::RunStarted {
            run_dir: "runs/x".into(),
            handles: batches,
            batches,
            already_done: 0,
            invalid: 0,
        }),
    );
    app
}

fn answer(app: &mut App, batch: usize) {
    update(
        app,
        Action::Engine(HarvestEvent::BatchDone {
            batch,
            figures: BatchFigures {
                found: 1,
                ..BatchFigures::default()
            },
            records: Vec::new(),
            latency: Duration::from_millis(5),
        }),
    );
}

fn window_spent(app: &App, sent: u64, finished: u64) -> BudgetSnapshot {
    BudgetSnapshot {
        limit: 6,
        remaining: 0,
        reset_at: Some(app.now + chrono::TimeDelta::seconds(10)),
        sent,
        finished,
        ..BudgetSnapshot::default()
    }
}

#[test]
fn the_eta_counts_the_window_resets_still_ahead_of_the_requests_not_sent() {
    let mut app = running(13);
    // Before any answer names a window, the ETA says it cannot know.
    assert_eq!(app.eta(), Some(Eta::Unknown));
    for b in 1..=6 {
        answer(&mut app, b);
    }
    let snap = window_spent(&app, 6, 6);
    update(&mut app, Action::Engine(HarvestEvent::Budget(snap)));
    // 7 unsent: 6 after the reset in 10 s, the last one a window later.
    assert_eq!(app.eta(), Some(Eta::Secs(25)));
}

#[test]
fn a_paused_run_keeps_its_eta_until_it_resumes() {
    let mut app = running(13);
    let snap = window_spent(&app, 6, 0);
    update(&mut app, Action::Engine(HarvestEvent::Budget(snap)));
    update(&mut app, Action::Engine(HarvestEvent::Paused));
    let at_pause = app.eta();
    assert!(matches!(at_pause, Some(Eta::Secs(_))));
    let later = app.now + chrono::TimeDelta::seconds(8);
    update(&mut app, Action::Tick(later));
    assert_eq!(app.eta(), at_pause);
}

#[test]
fn the_log_names_the_batch_and_counts_it_as_the_progress_pane_does() {
    let mut app = running(13);
    for b in [2, 1, 3, 4, 5, 7] {
        answer(&mut app, b);
    }
    let last = app.log.last(1).next().expect("a log line").text.clone();
    assert!(
        last.starts_with("batch 7 answered") && last.ends_with("(6 of 13 batches answered)"),
        "{last}"
    );
    assert_eq!(app.progress.batches_done, 6);
}
