//! The header line: dataset, run state in words, elapsed, ETA, whether the view is frozen,
//! whether the stored dataset was changed outside influx, whether a bearer token is missing, and
//! when the last refresh ran and the next author goes stale. On a narrow terminal the least
//! important parts are left out whole.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::fit::{Part, fit_line};
use super::{clock, span_words};
use crate::ui::app::{App, Eta, RunState};
use crate::ui::theme::Theme;

/// The header's parts in their order on screen, each ranked: the run's state is kept longest,
/// then what warns the operator (no token, readonly, edited outside, frozen), the ETA, the
/// elapsed time and a stop's reason, and last the dataset's name and the last refresh.
fn parts(app: &App, theme: Theme) -> Vec<Part> {
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
    let mut parts = vec![
        Part::new(
            4,
            vec![
                Span::styled("influx ", theme.title()),
                Span::raw(app.settings.dataset.clone()),
            ],
        ),
        Part::styled(0, format!("[{state}]"), style),
    ];
    if let RunState::Stopped(reason) = &app.run {
        parts.push(Part::styled(3, reason.clone(), style));
    }
    if let Some(e) = app.elapsed_secs() {
        parts.push(Part::raw(3, format!("elapsed {}", clock(e))));
    }
    let paused = if app.run == RunState::Paused {
        " (paused)"
    } else {
        ""
    };
    match app.eta() {
        Some(Eta::Secs(eta)) => parts.push(Part::raw(2, format!("ETA ≥{}{paused}", clock(eta)))),
        Some(Eta::Unknown) => parts.push(Part::raw(2, format!("ETA unknown{paused}"))),
        None => {}
    }
    if let Some(last) = &app.last_refresh {
        let style = if last.exit == 0 {
            theme.dim()
        } else {
            theme.warn()
        };
        let mut words = format!(
            "refreshed {} ago (exit {})",
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
        parts.push(Part::styled(4, words, style));
    }
    if app.no_token.is_some() {
        // The words are in the log pane and in a harvest's confirmation.
        parts.push(Part::styled(1, "NO TOKEN: cannot harvest", theme.bad()));
    }
    if app.settings.readonly {
        parts.push(Part::styled(1, "READONLY", theme.warn()));
    }
    if app.external_edit.is_some() {
        // The words are in the log pane; the header keeps it in sight.
        parts.push(Part::styled(
            1,
            "EDITED OUTSIDE INFLUX (see log)",
            theme.bad(),
        ));
    }
    if app.frozen {
        parts.push(Part::styled(
            1,
            format!("FROZEN ({} events held, Ctrl-f resumes)", app.held.len()),
            theme.warn(),
        ));
    }
    parts
}

/// The header fitted to `width` cells: what does not fit is left out whole, least important
/// first, so no figure is ever cut.
pub(crate) fn line(app: &App, theme: Theme, width: u16) -> Line<'static> {
    fit_line(parts(app, theme), "  ", width as usize)
}

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    frame.render_widget(Paragraph::new(line(app, theme, area.width)), area);
}
