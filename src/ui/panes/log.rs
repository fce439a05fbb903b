//! The log pane: the newest lines of the bounded ring, level in words, and how many were dropped.
//! A line longer than the pane ends in `…`; focused, the pane has a selected line that `j`/`k`
//! move and Enter shows whole (wrapped), and it stops following new lines while one is selected.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::{block, clock};
use crate::ui::app::{App, Focus, Zoomed};
use crate::ui::log_ring::{LogLevel, LogLine};
use crate::ui::theme::Theme;
use crate::ui::wrap::{cut, wrap};

/// Cells before a line's text (`  0:06 info  `): its wrapped rows continue under the text.
const TEXT_COLUMN: usize = 13;

fn words(l: &LogLine) -> String {
    format!(
        "{:>6} {:<5} {}",
        clock(l.at_secs as i64),
        l.level.word(),
        l.text
    )
}

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let focused = app.focus == Focus::Log;
    let height = usize::from(area.height.saturating_sub(2));
    let width = usize::from(area.width.saturating_sub(2));
    // Unfocused, the pane follows the newest line; focused, the selected one.
    let selected = if focused {
        app.log_cursor.selected(&app.log)
    } else {
        None
    };
    let expanded = app.log_cursor.expanded;
    let rows_of = |l: &LogLine, number: u64| -> Vec<String> {
        if expanded && selected == Some(number) {
            wrap(&words(l), width, TEXT_COLUMN)
        } else {
            vec![cut(&words(l), width)]
        }
    };
    let all: Vec<(u64, &LogLine)> = app.log.numbered().collect();
    let first = first_shown(&all, selected, height, |l, n| rows_of(l, n).len());
    let mut lines: Vec<Line> = Vec::new();
    let mut last_shown = None;
    for &(number, l) in &all[first..] {
        if lines.len() >= height {
            break;
        }
        last_shown = Some(number);
        let style = if selected == Some(number) {
            theme.selected()
        } else {
            match l.level {
                LogLevel::Info => theme.dim(),
                LogLevel::Warn => theme.warn(),
                LogLevel::Error => theme.bad(),
            }
        };
        lines.extend(
            rows_of(l, number)
                .into_iter()
                .map(|row| Line::styled(row, style)),
        );
    }
    lines.truncate(height);
    let mut title = format!("Log {}", app.log.len());
    if app.log.dropped() > 0 {
        title.push_str(&format!(" · {} dropped", app.log.dropped()));
    }
    if focused {
        let zoom = if app.zoomed == Some(Zoomed::Log) {
            "z back"
        } else {
            "z full screen"
        };
        let enter = if expanded {
            "Enter cut lines"
        } else {
            "Enter whole line"
        };
        title.push_str(&format!(" (j/k select, {enter}, {zoom})"));
    }
    let newer = match (last_shown, app.log.newest_number()) {
        (Some(shown), Some(newest)) => newest - shown.min(newest),
        _ => 0,
    };
    let mut outer = block(title, focused, theme);
    if newer > 0 {
        outer = outer.title_bottom(Line::from(format!(" ↓ {newer} newer ")).right_aligned());
    }
    frame.render_widget(Paragraph::new(lines).block(outer), area);
}

/// The index in `all` of the first line on screen: the newest lines fill the pane unless the
/// selected one would be off it, in which case the pane starts at the selected line (so that
/// `k` scrolls one line at a time, and a line shown whole is seen from its start).
fn first_shown(
    all: &[(u64, &LogLine)],
    selected: Option<u64>,
    height: usize,
    rows: impl Fn(&LogLine, u64) -> usize,
) -> usize {
    let mut first = all.len();
    let mut used = 0;
    while first > 0 {
        let (n, l) = all[first - 1];
        let r = rows(l, n);
        if used + r > height && used > 0 {
            break;
        }
        used += r;
        first -= 1;
    }
    match selected.and_then(|s| all.iter().position(|&(n, _)| n == s)) {
        Some(s) if s < first => s,
        _ => first,
    }
}
