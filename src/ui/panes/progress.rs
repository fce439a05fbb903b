//! Run progress: a gauge with numbers (batches and handles done of total), and the batch table
//! (state, outcomes, score mean and spread, batch-level flags in words).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Gauge, LineGauge, Row, Table, TableState};

use super::block;
use crate::ui::app::{App, Focus};
use crate::ui::batches::BatchState;
use crate::ui::theme::Theme;
use crate::ui::wrap::{cut, width};

fn ratio_and_label(app: &App) -> (f64, String) {
    let p = &app.progress;
    if p.handles_total == 0 && p.batches_total > 0 {
        // A discovery reads pages of lists and followings: how many is known only as they
        // come (a page names the next), so the count is of pages read, and the gauge is
        // full when the run is.
        let ratio = if app.run.in_flight() {
            p.batches_done as f64 / p.batches_total.max(p.batches_done + 1) as f64
        } else {
            1.0
        };
        return (
            ratio,
            format!(
                "pages read {} · {} accounts · {}",
                p.batches_done,
                p.handles_done,
                app.run.word()
            ),
        );
    }
    if p.handles_total == 0 {
        let pending = app
            .batches
            .iter()
            .filter(|b| b.state == crate::ui::batches::BatchState::Pending)
            .count();
        let files = if pending == 1 { "file" } else { "files" };
        return (0.0, format!("no run yet · {pending} pending batch {files}"));
    }
    let ratio = (p.handles_done as f64 / p.handles_total as f64).clamp(0.0, 1.0);
    (
        ratio,
        format!(
            "handles {}/{} · batches {}/{} · {:.0}%",
            p.handles_done,
            p.handles_total,
            p.batches_done,
            p.batches_total,
            ratio * 100.0
        ),
    )
}

/// The one-line gauge's label, the longest that leaves a cell of line beside it: the share done
/// first, so that a narrow terminal cuts the counts, never the percentage.
fn compact_label(app: &App, width: u16) -> String {
    let p = &app.progress;
    let candidates = if p.handles_total == 0 {
        // Before a run: the pending files, shortened by whole words, never cut mid-way.
        let full = ratio_and_label(app).1;
        match full.strip_prefix("no run yet · ") {
            Some(pending) => {
                let count = pending.split(' ').next().unwrap_or_default();
                vec![
                    full.clone(),
                    pending.to_string(),
                    format!("{count} pending"),
                    "no run yet".to_string(),
                ]
            }
            None => vec![full],
        }
    } else {
        let percent = (p.handles_done as f64 / p.handles_total as f64 * 100.0).clamp(0.0, 100.0);
        vec![
            format!(
                "run {percent:.0}% · handles {}/{} · batches {}/{}",
                p.handles_done, p.handles_total, p.batches_done, p.batches_total
            ),
            format!(
                "run {percent:.0}% · handles {}/{}",
                p.handles_done, p.handles_total
            ),
            format!("run {percent:.0}%"),
        ]
    };
    let room = usize::from(width).saturating_sub(1);
    let fits = |l: &&String| l.chars().count() <= room;
    candidates
        .iter()
        .find(fits)
        .unwrap_or(&candidates[candidates.len() - 1])
        .clone()
}

pub(crate) fn render_gauge(app: &App, theme: Theme, frame: &mut Frame, area: Rect, compact: bool) {
    let (ratio, label) = ratio_and_label(app);
    if compact {
        let gauge = LineGauge::default()
            .ratio(ratio)
            .label(Line::from(compact_label(app, area.width)))
            .filled_style(theme.gauge());
        frame.render_widget(gauge, area);
        return;
    }
    let gauge = Gauge::default()
        .block(block("Progress".into(), false, theme))
        .gauge_style(theme.gauge())
        .ratio(ratio)
        .label(label);
    frame.render_widget(gauge, area);
}

/// Cells of the batch table's record count: a harvest run of 100k records is written whole.
const RECORDS_WIDTH: usize = 6;

/// `n` written whole when it fits `width` cells, else shortened (`1.2M`: six cells at most).
fn count_within(n: usize, width: usize) -> String {
    let whole = n.to_string();
    if whole.len() <= width {
        whole
    } else {
        super::compact(n as u64)
    }
}

/// Cells of every column but the name and the flags, with the gaps between all eight.
const FIXED_WIDTH: u16 = 7 + RECORDS_WIDTH as u16 + 3 + 3 + 4 + 10 + 7;
/// The flags column keeps at least this much of the width; the name takes what it needs of the
/// rest.
const FLAGS_MIN: u16 = 8;

pub(crate) fn render_table(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let header = Row::new([
        "batch",
        "state",
        "recs",
        "ok",
        "n/f",
        "fail",
        "score ±sd",
        "flags",
    ])
    .style(theme.title());
    let fit = usize::from(area.height.saturating_sub(3));
    let focused = app.focus == Focus::Batches;
    let window = batch_window(
        app.batches.len(),
        fit,
        focused.then_some(app.batch_selected),
    );
    let names = usize::from(area.width.saturating_sub(2 + FIXED_WIDTH + FLAGS_MIN)).max(5);
    let name_width = window
        .clone()
        .map(|i| width(&app.batches[i].name))
        .max()
        .unwrap_or(5)
        .clamp(5, names);
    let sent = sent_rows(app);
    let rows = window.clone().map(|i| (i, &app.batches[i])).map(|(i, b)| {
        let f = &b.figures;
        let score = match (b.score_mean, b.score_spread) {
            (Some(m), Some(s)) => format!("{m:.1} ±{s:.1}"),
            _ => "–".into(),
        };
        let flags = if b.flags.is_empty() {
            "none".to_string()
        } else {
            format!("⚠ {}", b.flags.join("; "))
        };
        let flag_style = if b.flags.is_empty() {
            theme.dim()
        } else {
            theme.warn()
        };
        // A batch file was never looked up: outcome counts exist only for batches of a run.
        let outcome = |n: usize| {
            if b.run_batch.is_some() {
                n.to_string()
            } else {
                "–".to_string()
            }
        };
        Row::new(vec![
            Cell::from(cut(&b.name, name_width)),
            Cell::from(if b.state == BatchState::Running && !sent.contains(&i) {
                "waiting"
            } else {
                b.state.word()
            }),
            Cell::from(count_within(b.records, RECORDS_WIDTH)),
            Cell::from(outcome(f.found + f.protected)),
            Cell::from(outcome(f.not_found + f.suspended)),
            Cell::from(outcome(f.failed)),
            Cell::from(score),
            Cell::from(flags).style(flag_style),
        ])
    });
    let (above, below) = (window.start, app.batches.len() - window.end);
    let mut title = format!("Batches {}", app.batches.len());
    if above > 0 {
        title.push_str(&format!(" · ↑ {above} above"));
    }
    if below > 0 {
        title.push_str(&format!(" · ↓ {below} below"));
    }
    if !focused && above + below > 0 {
        title.push_str(" (Tab, then j/k)");
    }
    let table = Table::new(
        rows,
        [
            Constraint::Length(name_width as u16),
            Constraint::Length(7),
            Constraint::Length(RECORDS_WIDTH as u16),
            Constraint::Length(3),
            Constraint::Length(3),
            Constraint::Length(4),
            Constraint::Length(10),
            Constraint::Min(FLAGS_MIN),
        ],
    )
    .header(header)
    .row_highlight_style(theme.selected())
    .block(block(title, focused, theme));
    let mut state = TableState::default();
    if focused && !window.is_empty() {
        state.select(Some(app.batch_selected - window.start));
    }
    frame.render_stateful_widget(table, area, &mut state);
}

/// The rows drawn when `fit` fit: all when they fit; otherwise, focused, a window that keeps the
/// selected row on screen (at its bottom when the selection is below the first page), and
/// unfocused the newest rows, where a run adds its batches.
fn batch_window(rows: usize, fit: usize, selected: Option<usize>) -> std::ops::Range<usize> {
    if rows <= fit {
        return 0..rows;
    }
    let start = match selected {
        Some(s) => s.min(rows - 1).saturating_sub(fit.saturating_sub(1)),
        None => rows - fit,
    };
    start..start + fit
}

/// The running rows whose request is out: as many as the budget counts in flight, the earliest
/// started first (the engine sends in the order it starts batches); the other running rows wait
/// for the window or their pacing slot.
fn sent_rows(app: &App) -> Vec<usize> {
    let in_flight = app
        .budget
        .as_ref()
        .map_or(usize::MAX, |b| b.sent.saturating_sub(b.finished) as usize);
    let mut running: Vec<usize> = (0..app.batches.len())
        .filter(|&i| app.batches[i].state == BatchState::Running)
        .collect();
    running.sort_by_key(|&i| app.batches[i].run_batch);
    running.truncate(in_flight);
    running
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::app::{Progress, Settings};

    fn app_at(done: usize, total: usize, batches: (usize, usize)) -> App {
        let mut app = App::new(Settings::default(), chrono::Utc::now());
        app.progress = Progress {
            handles_total: total,
            handles_done: done,
            batches_done: batches.0,
            batches_total: batches.1,
            ..Progress::default()
        };
        app
    }

    #[test]
    fn a_narrow_gauge_drops_the_counts_before_the_percentage() {
        let done = app_at(319, 319, (13, 13));
        assert_eq!(
            compact_label(&done, 60),
            "run 100% · handles 319/319 · batches 13/13"
        );
        // Half of an 80-column terminal.
        assert_eq!(compact_label(&done, 40), "run 100% · handles 319/319");
        assert_eq!(compact_label(&done, 12), "run 100%");
        assert_eq!(compact_label(&done, 3), "run 100%");
    }

    #[test]
    fn a_record_count_is_written_whole_or_shortened_never_cut() {
        assert_eq!(count_within(319, RECORDS_WIDTH), "319");
        assert_eq!(count_within(100_000, RECORDS_WIDTH), "100000");
        assert_eq!(count_within(1_500_000, RECORDS_WIDTH), "1.5M");
        assert_eq!(count_within(999_999, RECORDS_WIDTH), "999999");
        assert_eq!(count_within(1_000_000, RECORDS_WIDTH), "1.0M");
    }

    #[test]
    fn the_batch_table_shows_the_newest_rows_unfocused_and_follows_the_selection_focused() {
        assert_eq!(batch_window(5, 7, None), 0..5, "all fit");
        assert_eq!(batch_window(16, 7, None), 9..16, "the newest");
        assert_eq!(batch_window(16, 7, Some(0)), 0..7);
        assert_eq!(batch_window(16, 7, Some(6)), 0..7);
        assert_eq!(
            batch_window(16, 7, Some(10)),
            4..11,
            "the selection at the bottom"
        );
        assert_eq!(batch_window(16, 7, Some(15)), 9..16);
    }

    #[test]
    fn a_discovery_without_handles_counts_its_pages() {
        let mut app = app_at(0, 0, (0, 0));
        app.progress.batches_total = 2;
        app.progress.batches_done = 1;
        app.progress.handles_done = 100;
        app.run = crate::ui::app::RunState::Running;
        assert_eq!(
            compact_label(&app, 60),
            "pages read 1 · 100 accounts · running"
        );
    }

    #[test]
    fn before_any_run_the_gauge_counts_pending_batch_files() {
        let idle = app_at(0, 0, (0, 0));
        assert_eq!(
            compact_label(&idle, 40),
            "no run yet · 0 pending batch files"
        );
        let mut one = app_at(0, 0, (0, 0));
        one.batches.push(crate::ui::batches::BatchLine::new(
            "b",
            crate::ui::batches::BatchState::Pending,
        ));
        assert_eq!(compact_label(&one, 40), "no run yet · 1 pending batch file");
        assert_eq!(compact_label(&one, 25), "1 pending batch file");
        assert_eq!(compact_label(&one, 12), "1 pending");
        assert_eq!(
            compact_label(&one, 8),
            "no run yet",
            "the shortest, when none fits"
        );
    }
}
