//! Run progress: a gauge with numbers (batches and handles done of total), and the batch table
//! (state, outcomes, score mean and spread, batch-level flags in words).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Gauge, LineGauge, Row, Table, TableState};

use super::block;
use crate::ui::app::{App, Focus};
use crate::ui::theme::Theme;

fn ratio_and_label(app: &App) -> (f64, String) {
    let p = &app.progress;
    if p.handles_total == 0 {
        let pending = app
            .batches
            .iter()
            .filter(|b| b.state == crate::ui::batches::BatchState::Pending)
            .count();
        return (0.0, format!("no run yet · {pending} pending batch files"));
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

pub fn render_gauge(app: &App, theme: Theme, frame: &mut Frame, area: Rect, compact: bool) {
    let (ratio, label) = ratio_and_label(app);
    if compact {
        let gauge = LineGauge::default()
            .ratio(ratio)
            .label(Line::from(format!("run {label}")))
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

pub fn render_table(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
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
    let fit = area.height.saturating_sub(3) as usize;
    let focused = app.focus == Focus::Batches;
    let shown = shown_batches(app, fit, focused);
    let hidden = app.batches.len() - shown.len();
    let rows = shown.iter().map(|&i| &app.batches[i]).map(|b| {
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
            Cell::from(b.name.clone()),
            Cell::from(b.state.word()),
            Cell::from(b.records.to_string()),
            Cell::from(outcome(f.found + f.protected)),
            Cell::from(outcome(f.not_found + f.suspended)),
            Cell::from(outcome(f.failed)),
            Cell::from(score),
            Cell::from(flags).style(flag_style),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(15),
            Constraint::Length(7),
            Constraint::Length(4),
            Constraint::Length(3),
            Constraint::Length(3),
            Constraint::Length(4),
            Constraint::Length(10),
            Constraint::Min(10),
        ],
    )
    .header(header)
    .row_highlight_style(theme.selected())
    .block(block(
        if hidden > 0 {
            format!(
                "Batches {} ({hidden} older run batches hidden; Tab, j/k scroll)",
                app.batches.len()
            )
        } else {
            format!("Batches {}", app.batches.len())
        },
        focused,
        theme,
    ));
    let mut state = TableState::default();
    if focused && !app.batches.is_empty() {
        state.select(Some(app.batch_selected));
    }
    frame.render_stateful_widget(table, area, &mut state);
}

/// Which batch rows to draw. Focused: all (the table scrolls to the selection). Otherwise the
/// pending files first, then the newest batches of the run, as many as fit.
fn shown_batches(app: &App, fit: usize, focused: bool) -> Vec<usize> {
    let all: Vec<usize> = (0..app.batches.len()).collect();
    if focused || all.len() <= fit {
        return all;
    }
    let (files, runs): (Vec<usize>, Vec<usize>) = all
        .into_iter()
        .partition(|&i| app.batches[i].run_batch.is_none());
    let files: Vec<usize> = files.into_iter().take(fit.div_ceil(2)).collect();
    let room = fit - files.len();
    let mut out = files;
    out.extend(runs.iter().skip(runs.len().saturating_sub(room)));
    out
}
