//! One module per pane; each draws one area from `&App` and nothing else. Shared helpers for
//! blocks, centred overlays and number formatting live here.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::widgets::{Block, BorderType, Borders};

use super::theme::Theme;

pub(crate) mod authors;
pub(crate) mod budget;
pub(crate) mod candidates;
pub(crate) mod command_line;
pub(crate) mod confirm;
pub(crate) mod counters;
pub(crate) mod detail;
pub(crate) mod fit;
pub(crate) mod header;
pub(crate) mod help;
pub(crate) mod histogram;
pub(crate) mod log;
pub(crate) mod movers;
pub(crate) mod overlay;
pub(crate) mod progress;
pub(crate) mod scroll_view;
pub(crate) mod too_small;

/// A titled pane border; the focused pane gets a thick border and a `▶` in its title, so focus
/// is visible without colour.
pub(crate) fn block(title: String, focused: bool, theme: Theme) -> Block<'static> {
    let (title, border) = if focused {
        (format!("▶ {title} "), BorderType::Thick)
    } else {
        (format!(" {title} "), BorderType::Plain)
    };
    Block::new()
        .borders(Borders::ALL)
        .border_type(border)
        .border_style(if focused {
            theme.focused_border()
        } else {
            theme.dim()
        })
        .title(title)
        .title_style(theme.title())
}

/// A rectangle of the given percentage of `area`, centred, never larger than `area`.
pub(crate) fn centered(area: Rect, percent_w: u16, percent_h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Percentage(percent_h)])
        .flex(Flex::Center)
        .areas(area);
    let [h] = Layout::horizontal([Constraint::Percentage(percent_w)])
        .flex(Flex::Center)
        .areas(v);
    h
}

/// A rectangle of at most `w`x`h` cells, centred in `area`.
pub(crate) fn centered_fixed(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The day of an RFC 3339 time (`2026-01-08`), for lines that must fit a narrow pane.
pub(crate) fn day(time: &str) -> &str {
    time.get(..10).unwrap_or(time)
}

/// A span of seconds in its largest unit: `45s`, `12m`, `5h`, `3d`.
pub(crate) fn span_words(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// `1:02:03` or `2:03`.
pub(crate) fn clock(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// `229.0M`, `4.1k`, `812`.
pub(crate) fn compact(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{:.1}B", n as f64 / 1e9),
    }
}
