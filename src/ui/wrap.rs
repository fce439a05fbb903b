//! Word wrapping for the panes that print prose (the detail, the log): a line longer than the
//! pane continues on the next rows, indented under its own text, so nothing is cut and a wrapped
//! item still reads as one. The one place the console decides where a line breaks.

use ratatui::text::{Line, Span};

/// Cells `s` takes on a terminal (wide characters count two).
pub(crate) fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// `text` in rows of at most `max` cells, broken between words; the rows after the first start
/// with `hang` spaces. A word longer than a row is broken where the row ends. Leading spaces of
/// `text` are kept (they are its indent).
pub(crate) fn wrap(text: &str, max: usize, hang: usize) -> Vec<String> {
    let max = max.max(1);
    // A hang that leaves less than half a row would print a column of single letters.
    let hang = hang.min(max / 2);
    let indent = text.len() - text.trim_start_matches(' ').len();
    let mut rows = Vec::new();
    let mut row = text[..indent.min(max)].to_string();
    let mut used = width(&row);
    for word in text[indent..].split(' ') {
        let w = width(word);
        let fresh = if rows.is_empty() {
            used == indent.min(max)
        } else {
            used == hang
        };
        let sep = usize::from(!fresh);
        if used + sep + w <= max {
            if !fresh {
                row.push(' ');
            }
            row.push_str(word);
            used += sep + w;
            continue;
        }
        if word.is_empty() {
            // Spaces at a break are the break.
            continue;
        }
        if !fresh {
            rows.push(std::mem::take(&mut row));
            row = " ".repeat(hang);
            used = hang;
        }
        // The word alone is wider than a row: cut it where rows end.
        for c in word.chars() {
            let cw = width(c.encode_utf8(&mut [0; 4]));
            if used + cw > max && used > hang {
                rows.push(std::mem::take(&mut row));
                row = " ".repeat(hang);
                used = hang;
            }
            row.push(c);
            used += cw;
        }
    }
    rows.push(row);
    rows
}

/// `line` wrapped to `max` cells as [`wrap`] does, each row in the line's style (its first
/// span's, for lines of one style); rows after the first are indented two cells under the
/// line's own indent.
pub(crate) fn wrap_line(line: &Line, max: usize) -> Vec<Line<'static>> {
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let style = line
        .spans
        .first()
        .map_or(line.style, |s| line.style.patch(s.style));
    let indent = text.len() - text.trim_start_matches(' ').len();
    wrap(&text, max, indent + 2)
        .into_iter()
        .map(|row| Line::styled(row, style))
        .collect()
}

/// Every line of `lines` wrapped to `max` cells.
pub(crate) fn wrap_lines(lines: &[Line], max: usize) -> Vec<Line<'static>> {
    lines.iter().flat_map(|l| wrap_line(l, max)).collect()
}

/// `text` cut to `max` cells, with `…` where it was cut, for lines that must stay one row.
pub(crate) fn cut(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let cw = width(c.encode_utf8(&mut [0; 4]));
        if used + cw + 1 > max {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_breaks_between_words_and_continues_under_its_text() {
        let rows = wrap("  score 74.8 · flags dup fresh unscored", 20, 4);
        assert_eq!(
            rows,
            ["  score 74.8 · flags", "    dup fresh", "    unscored"]
        );
        assert!(rows.iter().all(|r| width(r) <= 20));
    }

    #[test]
    fn a_short_line_is_one_row_as_it_was() {
        assert_eq!(wrap("  none", 44, 4), ["  none"]);
        assert_eq!(wrap("", 44, 4), [""]);
    }

    #[test]
    fn a_word_wider_than_a_row_is_broken_where_rows_end() {
        let rows = wrap("sha256 0123456789abcdef0123", 10, 2);
        assert_eq!(rows, ["sha256", "  01234567", "  89abcdef", "  0123"]);
    }

    #[test]
    fn wide_characters_count_two_cells() {
        let rows = wrap("日本語 日本語", 7, 0);
        assert_eq!(rows, ["日本語", "日本語"]);
    }

    #[test]
    fn a_cut_line_says_so_with_an_ellipsis() {
        assert_eq!(cut("re-harvest @jack", 12), "re-harvest …");
        assert_eq!(cut("short", 12), "short");
    }
}
