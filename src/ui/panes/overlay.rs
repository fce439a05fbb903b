//! The scrolling overlays (help over the main screen or the candidates view, and the movers):
//! where they sit, their text at that width, and how far they scroll. The reducer asks here how
//! far a key may scroll, so the renderer and the keys agree on one geometry.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{centered_fixed, help, movers, scroll_view};
use crate::ui::app::{App, Mode};
use crate::ui::theme::Theme;

/// The widest an overlay grows; below that it takes the whole width, so a small terminal loses
/// no column to margins.
const MAX_WIDTH: u16 = 96;

/// Where an overlay sits on a screen of `screen`'s size.
pub(crate) fn area(screen: Rect) -> Rect {
    centered_fixed(screen, MAX_WIDTH.min(screen.width), screen.height)
}

/// The open overlay's title and its text wrapped to `width` cells; `None` when none is open.
fn text(app: &App, width: usize, theme: Theme) -> Option<(String, Vec<Line<'static>>)> {
    let demo = app.settings.dataset.starts_with("demo");
    let readonly = app.settings.readonly;
    let (title, lines, indent) = match app.mode {
        Mode::Help => (
            "Help (Esc or ? closes)",
            help::help_lines(readonly, false, demo, theme),
            help::TEXT_COLUMN,
        ),
        Mode::CandidatesHelp => (
            "Help: candidates view (Esc or ? closes)",
            help::help_lines(readonly, true, demo, theme),
            help::TEXT_COLUMN,
        ),
        Mode::Movers => (
            "Movers (Esc or M closes)",
            movers::movers_lines(app.movers.as_ref(), theme, width),
            movers::TEXT_COLUMN,
        ),
        _ => return None,
    };
    Some((
        title.to_string(),
        scroll_view::wrap_all(&lines, width, indent),
    ))
}

/// The open overlay's area and text on the screen size the console was last given.
fn laid_out(app: &App, screen: Rect, theme: Theme) -> Option<(Rect, String, Vec<Line<'static>>)> {
    let r = area(screen);
    let (title, lines) = text(app, r.width.saturating_sub(2) as usize, theme)?;
    Some((r, title, lines))
}

/// Rows of text the open overlay shows at once (a page).
pub(crate) fn page(app: &App) -> usize {
    let (w, h) = app.size;
    area(Rect::new(0, 0, w, h)).height.saturating_sub(2) as usize
}

/// How far the open overlay scrolls: to its last line at the bottom (0 when all of it shows).
pub(crate) fn max_scroll(app: &App) -> usize {
    let (w, h) = app.size;
    laid_out(app, Rect::new(0, 0, w, h), Theme::new(false)).map_or(0, |(_, _, lines)| {
        scroll_view::max_offset(lines.len(), page(app))
    })
}

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, screen: Rect) {
    if let Some((r, title, lines)) = laid_out(app, screen, theme) {
        scroll_view::render(title, lines, app.overlay_scroll, theme, frame, r);
    }
}
