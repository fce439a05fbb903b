//! A long text in a bordered overlay that scrolls: wrapped to the overlay's width by words (a
//! continuation line starts under the text it continues), cut to its height, with "↑ N above"
//! and "↓ N more" in the border so the operator always knows there is more to read.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::block;
use crate::ui::theme::Theme;

/// Cells of `s` on screen.
fn cells(s: &str) -> usize {
    Span::raw(s.to_string()).width()
}

/// `line` word-wrapped to `width` cells, its styles kept; continuation lines start with
/// `indent` spaces. A word wider than a whole line is cut across lines.
pub(crate) fn wrap(line: &Line<'static>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let indent = indent.min(width / 2);
    let mut out: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut used = 0usize;
    for span in &line.spans {
        // Words and the runs of spaces between them, each placed whole where it fits.
        let mut pieces: Vec<&str> = Vec::new();
        let mut start = 0;
        let text = span.content.as_ref();
        for (i, c) in text.char_indices().skip(1) {
            let prev = text[..i].chars().next_back().expect("a char before i");
            if prev.is_whitespace() != c.is_whitespace() {
                pieces.push(&text[start..i]);
                start = i;
            }
        }
        if start < text.len() {
            pieces.push(&text[start..]);
        }
        for piece in pieces {
            let w = cells(piece);
            let blank = piece.trim().is_empty();
            if used + w <= width {
                out.last_mut()
                    .expect("a line")
                    .push(Span::styled(piece.to_string(), span.style));
                used += w;
                continue;
            }
            // The spaces at a break are the break.
            if blank {
                out.push(vec![Span::raw(" ".repeat(indent))]);
                used = indent;
                continue;
            }
            if used > indent {
                out.push(vec![Span::raw(" ".repeat(indent))]);
                used = indent;
            }
            let mut rest = piece;
            while !rest.is_empty() {
                let room = width.saturating_sub(used);
                let mut take: String = take_cells(rest, room);
                if take.is_empty() && used > indent {
                    out.push(vec![Span::raw(" ".repeat(indent))]);
                    used = indent;
                    continue;
                }
                if take.is_empty() {
                    // Wider than a whole line (a wide glyph in a very narrow overlay).
                    take = rest.chars().next().expect("rest is not empty").to_string();
                }
                rest = &rest[take.len()..];
                used += cells(&take);
                out.last_mut()
                    .expect("a line")
                    .push(Span::styled(take, span.style));
                if !rest.is_empty() {
                    out.push(vec![Span::raw(" ".repeat(indent))]);
                    used = indent;
                }
            }
        }
    }
    out.into_iter()
        .map(|spans| Line::from(spans).style(line.style))
        .collect()
}

/// The longest start of `s` that fits in `room` cells.
fn take_cells(s: &str, room: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = cells(&c.to_string());
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    out
}

/// Every line of `lines` wrapped to `width` (see [`wrap`]).
pub(crate) fn wrap_all(lines: &[Line<'static>], width: usize, indent: usize) -> Vec<Line<'static>> {
    lines.iter().flat_map(|l| wrap(l, width, indent)).collect()
}

/// Which lines of a text of `total` lines show in `visible` rows when scrolled by `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// The first line shown (`offset`, kept in range).
    pub first: usize,
    /// Lines above the first shown.
    pub above: usize,
    /// Lines below the last shown.
    pub below: usize,
}

/// The farthest a text of `total` lines scrolls in `visible` rows: its last line at the bottom.
pub(crate) fn max_offset(total: usize, visible: usize) -> usize {
    total.saturating_sub(visible)
}

pub(crate) fn window(total: usize, visible: usize, offset: usize) -> Window {
    let first = offset.min(max_offset(total, visible));
    Window {
        first,
        above: first,
        below: total.saturating_sub(first + visible),
    }
}

/// Draws `lines` (already wrapped to `area`'s inner width) scrolled by `offset` in a focused
/// border titled `title`, with what lies above and below named in the border.
pub(crate) fn render(
    title: String,
    lines: Vec<Line<'static>>,
    offset: usize,
    theme: Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let visible = area.height.saturating_sub(2) as usize;
    let w = window(lines.len(), visible, offset);
    let mut outer = block(title, true, theme);
    if w.above > 0 {
        outer = outer
            .title_top(Line::styled(format!(" ↑ {} above ", w.above), theme.key()).right_aligned());
    }
    if w.below > 0 {
        outer = outer.title_bottom(
            Line::styled(format!(" ↓ {} more · j/k PgDn G ", w.below), theme.key()).right_aligned(),
        );
    } else if w.above > 0 {
        outer = outer.title_bottom(Line::styled(" end · k PgUp g ", theme.dim()).right_aligned());
    }
    let shown: Vec<Line> = lines.into_iter().skip(w.first).take(visible).collect();
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(shown).block(outer), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn a_line_that_fits_is_left_alone() {
        let line = Line::from(vec![Span::raw("  q    "), Span::raw("quit now")]);
        assert_eq!(texts(&wrap(&line, 20, 7)), ["  q    quit now"]);
    }

    #[test]
    fn a_long_line_wraps_by_words_under_the_text_it_continues() {
        let line = Line::from(vec![
            Span::raw("  s    "),
            Span::raw("start harvest of authors"),
        ]);
        assert_eq!(
            texts(&wrap(&line, 20, 7)),
            ["  s    start harvest", "       of authors"]
        );
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut_across_lines() {
        let line = Line::from("abcdefghij");
        assert_eq!(texts(&wrap(&line, 4, 0)), ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn the_window_names_what_lies_above_and_below() {
        assert_eq!(
            window(30, 10, 0),
            Window {
                first: 0,
                above: 0,
                below: 20
            }
        );
        assert_eq!(
            window(30, 10, 5),
            Window {
                first: 5,
                above: 5,
                below: 15
            }
        );
        // Scrolled past the end: the last line stays at the bottom.
        assert_eq!(
            window(30, 10, 99),
            Window {
                first: 20,
                above: 20,
                below: 0
            }
        );
        assert_eq!(window(5, 10, 3).below, 0);
    }
}
