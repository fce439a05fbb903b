//! The log pane: the newest lines of the bounded ring, level in words, and how many were dropped.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::{block, clock};
use crate::ui::app::{App, Focus};
use crate::ui::log_ring::LogLevel;
use crate::ui::theme::Theme;

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let inner_h = area.height.saturating_sub(2) as usize;
    let lines: Vec<Line> = app
        .log
        .last(inner_h)
        .map(|l| {
            let style = match l.level {
                LogLevel::Info => theme.dim(),
                LogLevel::Warn => theme.warn(),
                LogLevel::Error => theme.bad(),
            };
            Line::styled(
                format!(
                    "{:>6} {:<5} {}",
                    clock(l.at_secs as i64),
                    l.level.word(),
                    l.text
                ),
                style,
            )
        })
        .collect();
    let mut title = format!("Log {}", app.log.len());
    if app.log.dropped() > 0 {
        title.push_str(&format!(" · {} dropped", app.log.dropped()));
    }
    frame.render_widget(
        Paragraph::new(lines).block(block(title, app.focus == Focus::Log, theme)),
        area,
    );
}
