//! The header line: dataset, run state in words, elapsed, ETA, whether the view is frozen, and
//! whether the stored dataset was changed outside influx.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::clock;
use crate::ui::app::{App, RunState};
use crate::ui::theme::Theme;

pub fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
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
    match app.eta_secs() {
        Some(eta) => spans.push(Span::raw(format!("  ETA {}", clock(eta)))),
        None if app.run.in_flight() => spans.push(Span::raw("  ETA –")),
        None => {}
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
