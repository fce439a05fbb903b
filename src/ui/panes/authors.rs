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

pub fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let height = area.height.saturating_sub(3) as usize;
    // The reducer keeps the offset; clamp anyway so a stale value can never hide the selection.
    let mut offset = app.table_offset.min(app.index.len().saturating_sub(1));
    if app.selected < offset {
        offset = app.selected;
    } else if height > 0 && app.selected >= offset + height {
        offset = app.selected + 1 - height;
    }
    let visible = app.index.iter().skip(offset).take(height);
    let rows = visible.map(|&i| {
        let r = &app.rows[i as usize];
        let score = match r.score {
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
    let table = Table::new(
        rows,
        [
            Constraint::Length(20),
            Constraint::Min(8),
            Constraint::Length(6),
            Constraint::Length(9),
            Constraint::Length(26),
        ],
    )
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
