//! The authors table. Only the rows on screen are built each frame (from the precomputed index),
//! so a million authors draw as fast as fifty. Flags are words, not colours.

use ratatui::Frame;
use ratatui::layout::{Constraint, Margin, Rect};
use ratatui::widgets::{
    Cell, Row, Scrollbar, ScrollbarOrientation, ScrollbarState, Table, TableState,
};

use super::{block, compact};
use crate::ui::app::{App, Focus};
use crate::ui::author::RowFlags;
use crate::ui::theme::Theme;

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let height = area.height.saturating_sub(3) as usize;
    // The reducer keeps the offset; clamp anyway so a stale value can never hide the selection.
    let mut offset = app.table_offset.min(app.index.len().saturating_sub(1));
    if app.selected < offset {
        offset = app.selected;
    } else if height > 0 && app.selected >= offset + height {
        offset = app.selected + 1 - height;
    }
    let visible: Vec<u32> = app
        .index
        .iter()
        .skip(offset)
        .take(height)
        .copied()
        .collect();
    let widths = column_widths(app, &visible, area.width);
    let rows = visible.iter().map(|&i| {
        let r = &app.rows[i as usize];
        let score = match r.ranked_score() {
            Some(s) => format!("{s:>6.1}"),
            None => "     –".to_string(),
        };
        let flag_style =
            if r.flags.contains(RowFlags::PLACEHOLDER) || r.flags.contains(RowFlags::ZERO) {
                theme.warn()
            } else {
                theme.dim()
            };
        Row::new(vec![
            Cell::from(format!("@{}", r.handle)),
            Cell::from(r.name.clone()),
            Cell::from(score),
            Cell::from(r.followers.map(compact).unwrap_or_else(|| "–".into())),
            Cell::from(r.flags.words()).style(flag_style),
        ])
    });
    let mut title = format!("Authors {} · shown {}", app.rows.len(), app.index.len());
    if let Some(flag) = app.filter.flag {
        title.push_str(&format!(" · only {}", flag.words()));
    }
    if !app.filter.text.is_empty() {
        title.push_str(&format!(" · /{}", app.filter.text));
    }
    title.push_str(&format!(
        " · sort {} {}",
        app.sort.word(),
        if app.reverse { "↑" } else { "↓" }
    ));
    let table = Table::new(rows, widths.map(Constraint::Length))
        .header(Row::new(["handle", "name", " score", "followers", "flags"]).style(theme.title()))
        .row_highlight_style(theme.selected())
        .highlight_symbol("▶")
        .block(block(title, app.focus == Focus::Authors, theme));
    let mut state = TableState::default();
    if !app.index.is_empty() {
        state.select(Some(app.selected - offset));
    }
    frame.render_stateful_widget(table, area, &mut state);
    if app.index.len() > height {
        let mut sb = ScrollbarState::new(app.index.len()).position(app.selected);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight),
            area.inner(Margin {
                vertical: 1,
                horizontal: 0,
            }),
            &mut sb,
        );
    }
}

/// Column widths from the rows on screen and the pane's width: the handle and the flags as wide
/// as their longest shown value (the handle up to 18), the name at least 16 wide when the pane
/// allows it, and whatever is left to the name, so a wide pane shows whole names and a narrow
/// one cuts the flags before the names.
fn column_widths(app: &App, visible: &[u32], width: u16) -> [u16; 5] {
    const SCORE: u16 = 6;
    const FOLLOWERS: u16 = 9;
    const NAME_AT_LEAST: u16 = 16;
    let longest = |f: &dyn Fn(&crate::ui::author::AuthorRow) -> usize, floor: usize| {
        visible
            .iter()
            .map(|&i| f(&app.rows[i as usize]))
            .max()
            .unwrap_or(0)
            .max(floor) as u16
    };
    let handle = longest(&|r| r.handle.chars().count() + 1, 6).min(18);
    let name_wanted = longest(&|r| r.name.chars().count(), 4);
    let flags_wanted = longest(&|r| r.flags.words().chars().count(), 5);
    // Borders, the highlight symbol and four gaps between five columns.
    let inner = width.saturating_sub(2 + 1 + 4);
    let left = inner.saturating_sub(handle + SCORE + FOLLOWERS);
    let flags = flags_wanted.min(left.saturating_sub(NAME_AT_LEAST.min(name_wanted)));
    let name = left.saturating_sub(flags);
    [handle, name, SCORE, FOLLOWERS, flags]
}
