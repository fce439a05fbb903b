//! The candidates view: every account discoveries found, one row each (handle, where found,
//! followers, last post, decision, the first reason), filtered by decision, with the selected
//! candidate's every reason in words below. Drawn over the main screen, between the header and
//! the hint line, so the run's state stays in sight during a discovery.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, Paragraph, Row, Scrollbar, ScrollbarOrientation, ScrollbarState,
    Table, TableState, Wrap,
};

use super::{block, compact, day};
use crate::pipeline::admission::Action as RuleAction;
use crate::pipeline::candidates::Candidate;
use crate::ui::app::App;
use crate::ui::candidate_view::{CandidateFilter, CandidateView};
use crate::ui::theme::Theme;

/// Below this inner width the followers and last-post columns go (and the title says so).
const FULL_WIDTH: u16 = 76;
/// From this inner width the source column has room for a list's name.
const WIDE_WIDTH: u16 = 100;

/// The view's area: the screen between the header line and the hint line.
pub(crate) fn area(screen: Rect) -> Rect {
    Rect::new(
        screen.x,
        screen.y + 1.min(screen.height),
        screen.width,
        screen.height.saturating_sub(2),
    )
}

/// Lines the selected candidate's detail takes (its separator included).
fn detail_height(inner_height: u16) -> u16 {
    match inner_height {
        30.. => 11,
        18.. => 7,
        _ => 5,
    }
}

/// Table rows visible at this terminal size (borders, the filter line, the table header and
/// the detail excluded).
pub(crate) fn table_rows(width: u16, height: u16) -> usize {
    let inner = area(Rect::new(0, 0, width, height))
        .height
        .saturating_sub(2);
    inner.saturating_sub(2 + detail_height(inner)) as usize
}

/// `text` cut to `width` characters with an ellipsis.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The first reason, as the row shows it: the operator's word first, since it outranks the rules.
fn first_reason(c: &Candidate) -> String {
    if let Some(word) = &c.operator {
        return format!("operator: {}", word.why);
    }
    match c.reasons.first() {
        Some(r) => format!("{}: {}", r.rule, r.matched),
        None => "no rule fired".into(),
    }
}

fn rule_effect(action: RuleAction) -> &'static str {
    match action {
        RuleAction::Exclude => "excludes",
        RuleAction::Review => "asks for review",
    }
}

/// The selected candidate in words: who, where found, who decided, and every reason.
fn detail_lines(view: &CandidateView, c: &Candidate, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut who = format!("@{}", c.handle);
    if let Some(name) = &c.name {
        who.push_str(&format!(" · {name}"));
    }
    who.push_str(&format!(
        " · {} followers · last post {}",
        c.followers.map(compact).unwrap_or_else(|| "unknown".into()),
        c.last_post_at.as_deref().map(day).unwrap_or("unknown")
    ));
    lines.push(Line::styled(who, theme.title()));
    let sources = view.source_words(c);
    lines.push(Line::from(format!(
        "found in: {}",
        if sources.is_empty() {
            "named by the operator".into()
        } else {
            sources.join("; ")
        }
    )));
    let mut decided = format!(
        "decision: {} by {} on {}",
        c.decision.word(),
        c.decided_by,
        day(&c.decided_at)
    );
    if let Some(word) = &c.operator {
        decided.push_str(&format!(": \"{}\"", word.why));
    }
    if let Some(rules) = c.rules_decision.filter(|_| c.operator.is_some()) {
        decided.push_str(&format!(" (the rules said {})", rules.word()));
    }
    lines.push(Line::from(decided));
    if c.reasons.is_empty() {
        lines.push(Line::styled("no rule fired", theme.dim()));
    }
    for r in &c.reasons {
        lines.push(Line::from(vec![
            Span::styled(format!("• {} ", r.rule), theme.key()),
            Span::raw(format!("({}): {}", rule_effect(r.action), r.matched)),
        ]));
    }
    lines
}

/// `[1] all 150  [2] review 12 …`, the shown filter marked with `▶` (not colour alone); one
/// space apart when two do not fit `width`.
fn filter_line(view: &CandidateView, theme: Theme, width: u16) -> Line<'static> {
    let wide: usize = CandidateFilter::ALL
        .iter()
        .map(|f| {
            format!("[1] {} {}  ", f.word(), view.count(*f))
                .chars()
                .count()
        })
        .sum();
    let gap = if wide <= width as usize { "  " } else { " " };
    let mut spans = Vec::new();
    for (i, f) in CandidateFilter::ALL.iter().enumerate() {
        let active = view.filter == *f;
        spans.push(Span::styled(format!("[{}]", i + 1), theme.key()));
        let text = format!(
            "{}{} {}{gap}",
            if active { "▶" } else { " " },
            f.word(),
            view.count(*f)
        );
        spans.push(Span::styled(
            text,
            if active {
                theme.selected()
            } else {
                theme.dim()
            },
        ));
    }
    Line::from(spans)
}

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, screen: Rect) {
    let view = &app.candidates;
    let r = area(screen);
    frame.render_widget(Clear, r);
    let inner_width = r.width.saturating_sub(2);
    let full = inner_width >= FULL_WIDTH;
    let mut title = format!("Candidates · {} {}", view.filter.word(), view.shown.len());
    if !full {
        title.push_str(" · followers, last post hidden");
    }
    let height = view.height.max(1);
    let offset = view.offset.min(view.shown.len().saturating_sub(1));
    let end = (offset + height).min(view.shown.len());
    let mut position = if view.shown.is_empty() {
        String::new()
    } else {
        format!(" {}–{} of {} ", offset + 1, end, view.shown.len())
    };
    if end < view.shown.len() {
        position.push_str(&format!("· ↓ {} more ", view.shown.len() - end));
    }
    if offset > 0 {
        position.push_str(&format!("· ↑ {} above ", offset));
    }
    let outer = block(title, true, theme).title_bottom(Line::styled(position, theme.dim()));
    let inner = outer.inner(r);
    frame.render_widget(outer, r);
    let [filters, table_area, detail_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(detail_height(inner.height)),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(filter_line(view, theme, inner.width)),
        filters,
    );

    if !view.loaded || view.shown.is_empty() {
        let words = if !view.loaded {
            "reading the candidates…".to_string()
        } else if view.all.is_empty() {
            "no candidates yet: d discovers some (:discover list ID or :discover following HANDLE)"
                .to_string()
        } else {
            format!("no {} candidates ([1] lists all)", view.filter.word())
        };
        frame.render_widget(
            Paragraph::new(Line::styled(words, theme.dim())).wrap(Wrap { trim: true }),
            table_area,
        );
    } else {
        render_table(view, theme, frame, table_area, offset, end, inner_width);
    }

    let sep = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.dim())
        .title(Line::styled(" selected ", theme.dim()));
    let detail_inner = sep.inner(detail_area);
    frame.render_widget(sep, detail_area);
    let mut lines = Vec::new();
    if let Some(notice) = &view.notice {
        lines.push(Line::styled(notice.clone(), theme.warn()));
    }
    if let Some(c) = view.selected() {
        lines.extend(detail_lines(view, c, theme));
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }),
        detail_inner,
    );
}

fn render_table(
    view: &CandidateView,
    theme: Theme,
    frame: &mut Frame,
    area: Rect,
    offset: usize,
    end: usize,
    inner_width: u16,
) {
    let full = inner_width >= FULL_WIDTH;
    // The handle and where found are cut to fit; the detail below says both in full.
    let (handle_width, found_width): (u16, u16) = if inner_width >= WIDE_WIDTH {
        (16, 34)
    } else {
        (13, 15)
    };
    let mut widths = vec![
        Constraint::Length(handle_width),
        Constraint::Length(found_width),
    ];
    let mut header = vec!["handle", "found in"];
    if full {
        widths.extend([Constraint::Length(9), Constraint::Length(10)]);
        header.extend(["followers", "last post"]);
    }
    widths.extend([Constraint::Length(8), Constraint::Fill(1)]);
    header.extend(["decision", "first reason"]);
    let rows = view.shown[offset..end].iter().map(|&i| {
        let c = &view.all[i];
        let sources = view.source_words(c);
        let found = match sources.as_slice() {
            [] => "operator".to_string(),
            [one] => one.clone(),
            [one, rest @ ..] => format!("{one} +{}", rest.len()),
        };
        let mut cells = vec![
            Cell::from(cut(&format!("@{}", c.handle), handle_width as usize)),
            Cell::from(cut(&found, found_width as usize)),
        ];
        if full {
            cells.push(Cell::from(format!(
                "{:>8}",
                c.followers.map(compact).unwrap_or_else(|| "–".into())
            )));
            cells.push(Cell::from(
                c.last_post_at
                    .as_deref()
                    .map(day)
                    .unwrap_or("unknown")
                    .to_string(),
            ));
        }
        cells.push(Cell::from(c.decision.word()));
        cells.push(Cell::from(first_reason(c)).style(theme.dim()));
        Row::new(cells)
    });
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.title()))
        .row_highlight_style(theme.selected())
        .highlight_symbol("▶");
    let mut state = TableState::default();
    state.select(Some(view.selected.saturating_sub(offset)));
    frame.render_stateful_widget(table, area, &mut state);
    if view.shown.len() > end - offset {
        let mut sb = ScrollbarState::new(view.shown.len()).position(view.selected);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight),
            // Beside the rows, below the header.
            Rect {
                y: area.y + 1,
                height: area.height.saturating_sub(1),
                ..area
            },
            &mut sb,
        );
    }
}
