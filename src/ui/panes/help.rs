//! The help overlay's text, generated from the key registry (the same list the hint bar uses).
//! It lists the keys live where it was opened: the main screen's, or the candidates view's. It
//! is drawn, wrapped and scrolled by `overlay`.

use ratatui::text::{Line, Span};

use crate::ui::keys::{Group, in_candidates_view, on_main_screen, registry};
use crate::ui::theme::Theme;

/// A line for the demo: its simulator serves X lists, so a discovery can be tried at no risk.
pub(crate) const DEMO_HINT: &str =
    "demo: :discover list 1700000000000000001 reads the simulator's AI list (cost first)";

/// Where a binding's words start: a long one wraps to this column, under its own words.
pub(crate) const TEXT_COLUMN: usize = 14;

/// The help text, one line per binding under its group title; `candidates`: the candidates
/// view's keys, else the main screen's.
pub(crate) fn help_lines(
    readonly: bool,
    candidates: bool,
    demo: bool,
    theme: Theme,
) -> Vec<Line<'static>> {
    let bindings: Vec<_> = registry(readonly)
        .into_iter()
        .filter(|b| {
            if candidates {
                in_candidates_view(b)
            } else {
                on_main_screen(b)
            }
        })
        .collect();
    let mut lines = Vec::new();
    for group in [
        Group::General,
        Group::Navigate,
        Group::Candidates,
        Group::View,
        Group::Operate,
    ] {
        let in_group: Vec<_> = bindings.iter().filter(|b| b.group == group).collect();
        if in_group.is_empty() {
            continue;
        }
        lines.push(Line::styled(group.title(), theme.title()));
        for b in in_group {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<w$}", b.label, w = TEXT_COLUMN - 2),
                    theme.key(),
                ),
                Span::raw(b.help),
            ]));
        }
    }
    if demo {
        lines.push(Line::styled(DEMO_HINT, theme.good()));
    }
    if readonly {
        lines.push(Line::styled(
            "--readonly: harvest, discover, merge, rollback, admit and exclude are not bound",
            theme.warn(),
        ));
    }
    lines
}
