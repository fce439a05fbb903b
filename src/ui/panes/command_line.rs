//! The bottom line: the filter or command being typed, or else the hint bar, generated from the
//! key registry and fitted to the width available by dropping the least needed hints whole.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::fit::{Part, fit_line};
use crate::ui::action::Action;
use crate::ui::app::{App, Mode};
use crate::ui::keys::{Group, hint_rank, on_main_screen, registry};
use crate::ui::theme::Theme;

/// The hint bar: the main screen's bindings, or over the candidates view that view's own, then
/// the way back and help; when they do not all fit in `width` cells the lowest in
/// [`hint_rank`] are left out whole.
pub(crate) fn hint_line(
    readonly: bool,
    candidates: bool,
    width: u16,
    theme: Theme,
) -> Line<'static> {
    let all = registry(readonly);
    let shown: Vec<(&'static str, &'static str, u8)> = if candidates {
        let own = all
            .iter()
            .filter(|b| b.group == Group::Candidates)
            .filter_map(|b| b.hint.map(|h| (b.label, h, hint_rank(&b.action))));
        let back = all
            .iter()
            .filter(|b| matches!(b.action, Action::Back | Action::ToggleHelp))
            .map(|b| {
                let word = if matches!(b.action, Action::Back) {
                    "back"
                } else {
                    "help"
                };
                (b.label, word, hint_rank(&b.action))
            });
        own.chain(back).collect()
    } else {
        all.iter()
            .filter(|b| on_main_screen(b))
            .filter_map(|b| b.hint.map(|h| (b.label, h, hint_rank(&b.action))))
            .collect()
    };
    let parts = shown
        .into_iter()
        .map(|(label, word, rank)| {
            Part::new(
                rank,
                vec![
                    Span::styled(label, theme.key()),
                    Span::raw(format!(" {word}")),
                ],
            )
        })
        .collect();
    fit_line(parts, "  ", width as usize)
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
        Mode::Candidates => hint_line(app.settings.readonly, true, area.width, theme),
        _ => hint_line(app.settings.readonly, false, area.width, theme),
    };
    frame.render_widget(Paragraph::new(line), area);
}
