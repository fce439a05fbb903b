//! The bottom line: the filter or command being typed, or else the hint bar, generated from the
//! key registry and cut to the width available.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ui::action::Action;
use crate::ui::app::{App, Mode};
use crate::ui::keys::{Group, on_main_screen, registry};
use crate::ui::theme::Theme;

/// The hint bar's bindings, as many as fit in `width` cells: the main screen's, or over the
/// candidates view that view's own, then the way back and help.
pub(crate) fn hint_spans(
    readonly: bool,
    candidates: bool,
    width: u16,
    theme: Theme,
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut used = 0usize;
    let all = registry(readonly);
    let shown: Vec<(&'static str, &'static str)> = if candidates {
        let own = all
            .iter()
            .filter(|b| b.group == Group::Candidates)
            .filter_map(|b| b.hint.map(|h| (b.label, h)));
        let back = all
            .iter()
            .filter(|b| matches!(b.action, Action::Back | Action::ToggleHelp))
            .map(|b| {
                let word = if matches!(b.action, Action::Back) {
                    "back"
                } else {
                    "help"
                };
                (b.label, word)
            });
        own.chain(back).collect()
    } else {
        all.iter()
            .filter(|b| on_main_screen(b))
            .filter_map(|b| b.hint.map(|h| (b.label, h)))
            .collect()
    };
    for (label, short) in shown {
        let text = format!("{label} {short}  ");
        let len = text.chars().count();
        if used + len > width as usize {
            break;
        }
        used += len;
        spans.push(Span::styled(label.to_string(), theme.key()));
        spans.push(Span::raw(format!(" {short}  ")));
    }
    spans
}

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
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
        Mode::Candidates => Line::from(hint_spans(app.settings.readonly, true, area.width, theme)),
        _ => Line::from(hint_spans(app.settings.readonly, false, area.width, theme)),
    };
    frame.render_widget(Paragraph::new(line), area);
}
