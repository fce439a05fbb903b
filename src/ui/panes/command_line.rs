//! The bottom line: the filter or command being typed, or else the hint bar, generated from the
//! key registry and cut to the width available.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ui::app::{App, Mode};
use crate::ui::keys::registry;
use crate::ui::theme::Theme;

/// The hint bar's bindings, as many as fit in `width` cells.
pub fn hint_spans(readonly: bool, width: u16, theme: Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut used = 0usize;
    for b in registry(readonly) {
        let Some(short) = b.hint else { continue };
        let text = format!("{} {short}  ", b.label);
        let len = text.chars().count();
        if used + len > width as usize {
            break;
        }
        used += len;
        spans.push(Span::styled(b.label.to_string(), theme.key()));
        spans.push(Span::raw(format!(" {short}  ")));
    }
    spans
}

pub fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let line = match app.mode {
        Mode::Filter => Line::from(vec![
            Span::styled("/", theme.key()),
            Span::raw(format!("{}▏", app.input)),
            Span::styled("  Enter keeps · Esc clears", theme.dim()),
        ]),
        Mode::Command => Line::from(vec![
            Span::styled(":", theme.key()),
            Span::raw(format!("{}▏", app.input)),
            Span::styled(
                "  harvest @handle · discover list ID · discover following HANDLE · merge · pause · quit",
                theme.dim(),
            ),
        ]),
        Mode::Reason {
            ref handle,
            decision,
        } => Line::from(vec![
            Span::styled(
                format!("why {} @{handle}? ", crate::ui::update::verb(decision)),
                theme.key(),
            ),
            Span::raw(format!("{}▏", app.input)),
            Span::styled("  Enter records · Esc cancels", theme.dim()),
        ]),
        _ => Line::from(hint_spans(app.settings.readonly, area.width, theme)),
    };
    frame.render_widget(Paragraph::new(line), area);
}
