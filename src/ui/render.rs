//! The pure `render(&App, &mut Frame)`: lays the screen out for the terminal's size, collapsing
//! secondary panes first on small terminals, and hands each area to its pane. No state changes.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Paragraph;

use super::app::{App, Mode, Zoomed};
use super::panes;
use super::theme::Theme;
use super::wide_tails;

/// Below this the console only asks for a larger terminal.
pub(crate) const MIN_WIDTH: u16 = 60;
pub(crate) const MIN_HEIGHT: u16 = 16;

/// Where each pane goes; `None` = collapsed at this size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Panes {
    pub header: Rect,
    pub progress: Rect,
    pub batches: Option<Rect>,
    pub budget: Rect,
    pub counters: Rect,
    pub histogram: Option<Rect>,
    pub authors: Rect,
    pub detail: Option<Rect>,
    pub log: Option<Rect>,
    pub bottom: Rect,
}

/// The full layout needs 100x36; below that the batch table, histogram, side detail and log go,
/// in that order, the gauges shrink to one line each, and the counters take the lines they need
/// at that width.
pub fn layout(app: &App, area: Rect) -> Panes {
    let roomy = area.width >= 100 && area.height >= 36;
    if roomy {
        let [header, top, mid, main, log, bottom] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(10),
            // Seven counters, the duplicates' handle count, the way back to all authors and
            // the candidates' review queue.
            Constraint::Length(12),
            Constraint::Min(6),
            Constraint::Length(6),
            Constraint::Length(1),
        ])
        .areas(area);
        let [batches, right] =
            Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(top);
        let [progress, budget] =
            Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(right);
        let [counters, histogram] =
            Layout::horizontal([Constraint::Length(34), Constraint::Min(20)]).areas(mid);
        let (authors, detail) = if area.width >= 110 {
            let [a, d] =
                Layout::horizontal([Constraint::Min(60), Constraint::Length(46)]).areas(main);
            (a, Some(d))
        } else {
            (main, None)
        };
        return Panes {
            header,
            progress,
            batches: Some(batches),
            budget,
            counters,
            histogram: Some(histogram),
            authors,
            detail,
            log: Some(log),
            bottom,
        };
    }
    let show_log = area.height >= 22;
    let counter_rows = panes::counters::compact_rows(app, area.width);
    let [header, gauges, counters, main, log, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(counter_rows),
        Constraint::Min(4),
        Constraint::Length(if show_log { 4 } else { 0 }),
        Constraint::Length(1),
    ])
    .areas(area);
    // A separator between the two gauges, so their words never run together.
    let [progress, _, budget] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(SEPARATOR.chars().count() as u16),
        Constraint::Fill(1),
    ])
    .areas(gauges);
    Panes {
        header,
        progress,
        batches: None,
        budget,
        counters,
        histogram: None,
        authors: main,
        detail: None,
        log: show_log.then_some(log),
        bottom,
    }
}

/// Between the one-line progress and budget gauges.
const SEPARATOR: &str = " │ ";

/// Table rows visible in the authors pane at this terminal size (border and header excluded).
pub(crate) fn authors_table_rows(app: &App, width: u16, height: u16) -> usize {
    let panes = layout(app, Rect::new(0, 0, width, height));
    panes.authors.height.saturating_sub(3) as usize
}

pub fn render(app: &App, frame: &mut Frame) {
    draw(app, frame);
    wide_tails::mark(frame.buffer_mut());
}

/// Every pane in its place; returns the command line's row.
fn draw_panes(app: &App, theme: Theme, frame: &mut Frame, area: Rect) -> Rect {
    let p = layout(app, area);
    let compact = p.batches.is_none();
    if compact {
        let gap = Rect::new(
            p.progress.right(),
            p.progress.y,
            p.budget.x.saturating_sub(p.progress.right()),
            1,
        );
        frame.render_widget(Paragraph::new(SEPARATOR).style(theme.dim()), gap);
    }
    panes::header::render(app, theme, frame, p.header);
    panes::progress::render_gauge(app, theme, frame, p.progress, compact);
    if let Some(r) = p.batches {
        panes::progress::render_table(app, theme, frame, r);
    }
    panes::budget::render(app, theme, frame, p.budget, compact);
    panes::counters::render(app, theme, frame, p.counters, compact);
    if let Some(r) = p.histogram {
        panes::histogram::render(app, theme, frame, r);
    }
    panes::authors::render(app, theme, frame, p.authors);
    if let Some(r) = p.detail {
        panes::detail::render(app, theme, frame, r);
    }
    if let Some(r) = p.log {
        panes::log::render(app, theme, frame, r);
    }
    // Without room for a side pane the detail opens over the others, so it is drawn after them.
    if p.detail.is_none() && app.mode == Mode::Detail {
        panes::detail::render(app, theme, frame, panes::centered(area, 90, 90));
    }
    p.bottom
}

/// The header, one pane over the rest of the screen, the command line; returns its row.
fn draw_zoomed(app: &App, zoomed: Zoomed, theme: Theme, frame: &mut Frame, area: Rect) -> Rect {
    let [header, body, bottom] = zoomed_layout(area);
    panes::header::render(app, theme, frame, header);
    match zoomed {
        Zoomed::Detail => panes::detail::render(app, theme, frame, body),
        Zoomed::Log => panes::log::render(app, theme, frame, body),
    }
    bottom
}

fn zoomed_layout(area: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// Where the detail pane is drawn at this terminal size: full screen, beside the authors, or
/// over them.
pub(crate) fn detail_area(app: &App, area: Rect) -> Rect {
    if app.zoomed == Some(Zoomed::Detail) {
        return zoomed_layout(area)[1];
    }
    layout(app, area)
        .detail
        .unwrap_or_else(|| panes::centered(area, 90, 90))
}

fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let theme = Theme::new(app.settings.color);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        panes::too_small::render(app, theme, frame, area);
        return;
    }
    let bottom = match app.zoomed {
        Some(zoomed) => draw_zoomed(app, zoomed, theme, frame, area),
        None => draw_panes(app, theme, frame, area),
    };
    if matches!(
        app.mode,
        Mode::Candidates | Mode::Reason { .. } | Mode::CandidatesHelp
    ) {
        panes::candidates::render(app, theme, frame, area);
    }
    panes::command_line::render(app, theme, frame, bottom);
    match &app.mode {
        Mode::Help | Mode::CandidatesHelp | Mode::Movers => {
            panes::overlay::render(app, theme, frame, area)
        }
        Mode::Confirm {
            what,
            accept_focused,
        } => panes::confirm::render(what, *accept_focused, app.refusal(what), theme, frame, area),
        _ => {}
    }
}
