//! The help overlay, generated from the key registry (the same list the hint bar uses).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{block, centered};
use crate::ui::app::App;
use crate::ui::keys::{Group, registry};
use crate::ui::theme::Theme;

/// The help text, one line per binding under its group title.
pub fn help_lines(readonly: bool, theme: Theme) -> Vec<Line<'static>> {
    let bindings = registry(readonly);
    let mut lines = Vec::new();
    for group in [Group::General, Group::Navigate, Group::View, Group::Operate] {
        let in_group: Vec<_> = bindings.iter().filter(|b| b.group == group).collect();
        if in_group.is_empty() {
            continue;
        }
        lines.push(Line::styled(group.title(), theme.title()));
        for b in in_group {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<12}", b.label), theme.key()),
                Span::raw(b.help),
            ]));
        }
    }
    if readonly {
        lines.push(Line::styled(
            "--readonly: harvest, merge and rollback are not bound",
            theme.warn(),
        ));
    }
    lines
}

pub fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    // The whole height: at 120x40 every binding fits.
    let r = centered(area, 80, 100);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(help_lines(app.settings.readonly, theme))
            .wrap(Wrap { trim: false })
            .block(block("Help (Esc or ? closes)".into(), true, theme)),
        r,
    );
}
