//! The header line: dataset, run state in words, elapsed, ETA, whether the view is frozen, and
//! whether the stored dataset was changed outside influx, and when the last refresh ran and the
//! next author goes stale.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::clock;
use crate::ui::app::{App, Eta, RunState};
use crate::ui::theme::Theme;

/// A span of seconds in its largest unit: `45s`, `12m`, `5h`, `3d`.
fn span_words(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let (symbol, style) = match &app.run {
        RunState::Idle => ("○", theme.dim()),
        RunState::Running => ("▶", theme.good()),
        RunState::Paused => ("‖", theme.warn()),
        RunState::WaitingForBudget { .. } => ("⧗", theme.warn()),
        RunState::Done => ("✓", theme.good()),
        RunState::Stopped(_) => ("✗", theme.bad()),
    };
    let mut state = format!("{symbol} {}", app.run.word());
    if let RunState::WaitingForBudget { until } = &app.run {
        state.push_str(&format!(" ({}s)", (*until - app.now).num_seconds().max(0)));
    }
    if let RunState::Stopped(reason) = &app.run {
        state.push_str(&format!(": {reason}"));
    }
    let mut spans = vec![
        Span::styled("influx ", theme.title()),
        Span::raw(format!("{} ", app.settings.dataset)),
        Span::styled(format!("[{state}]"), style),
    ];
    if let Some(e) = app.elapsed_secs() {
        spans.push(Span::raw(format!("  elapsed {}", clock(e))));
    }
    let paused = if app.run == RunState::Paused {
        " (paused)"
    } else {
        ""
    };
    match app.eta() {
        Some(Eta::Secs(eta)) => spans.push(Span::raw(format!("  ETA ≥{}{paused}", clock(eta)))),
        Some(Eta::Unknown) => spans.push(Span::raw(format!("  ETA unknown{paused}"))),
        None => {}
    }
    if let Some(last) = &app.last_refresh {
        let style = if last.exit == 0 {
            theme.dim()
        } else {
            theme.warn()
        };
        let mut words = format!(
            "  refreshed {} ago (exit {})",
            span_words((app.now - last.finished_at).num_seconds()),
            last.exit
        );
        if let Some(next) = last.next_stale_at {
            let left = (next - app.now).num_seconds();
            if left > 0 {
                words.push_str(&format!(", next stale in {}", span_words(left)));
            } else {
                words.push_str(", authors stale now");
            }
        }
        spans.push(Span::styled(words, style));
    }
    if app.settings.readonly {
        spans.push(Span::styled("  READONLY", theme.warn()));
    }
    if app.external_edit.is_some() {
        // The words are in the log pane; the header keeps it in sight.
        spans.push(Span::styled(
            "  EDITED OUTSIDE INFLUX (see log)",
            theme.bad(),
        ));
    }
    if app.frozen {
        spans.push(Span::styled(
            format!("  FROZEN ({} events held, Ctrl-f resumes)", app.held.len()),
            theme.warn(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
