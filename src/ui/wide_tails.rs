//! The column after a cluster of several code points drawn two columns wide (a flag, emoji
//! joined by ZWJ, a skin tone): marked so that it is always rewritten once the cluster is gone.
//!
//! Terminals disagree on such clusters: tmux keeps a flag's two regional indicators in two
//! cells, so writing over the flag's first column leaves its second half standing in the next
//! one. ratatui rewrites that next column only when its content changes, and under a cluster it
//! is a blank that is often followed by another blank (a popup's inside, a shorter name). While
//! the cluster is drawn, the column is marked as not to be drawn (it is covered anyway); the
//! next frame's content there then differs from the mark, whatever it is, and is written.
//! ratatui does the same itself for clusters with VS16 (U+FE0F), which are left to it.

use ratatui::buffer::{Buffer, CellDiffOption, CellWidth};

/// Marks the columns covered by every multi-code-point wide cluster of `buf`.
pub(crate) fn mark(buf: &mut Buffer) {
    let row_width = usize::from(buf.area.width);
    if row_width == 0 {
        return;
    }
    let cells = &mut buf.content;
    let mut i = 0;
    while i < cells.len() {
        // A multi-code-point cluster takes more than 4 bytes; nearly every cell is one byte,
        // and this runs once a frame over every cell.
        let symbol = cells[i].symbol();
        let width = if symbol.len() > 4 {
            usize::from(cells[i].cell_width())
        } else {
            1
        };
        let marked = width > 1 && symbol.chars().nth(1).is_some() && !symbol.contains('\u{FE0F}');
        if marked {
            let row_end = (i / row_width + 1) * row_width;
            for tail in &mut cells[i + 1..(i + width).min(row_end)] {
                tail.set_diff_option(CellDiffOption::Skip);
            }
        }
        i += width.max(1);
    }
}

#[cfg(test)]
mod tests {
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    use super::*;

    fn frame(text: &str) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
        buf.set_string(0, 0, text, Style::default());
        mark(&mut buf);
        buf
    }

    fn written_columns(prev: &Buffer, next: &Buffer) -> Vec<u16> {
        prev.diff(next).into_iter().map(|(x, _, _)| x).collect()
    }

    #[test]
    fn the_column_after_a_flag_is_rewritten_when_blanks_replace_the_flag() {
        let flag = frame("a🇺🇸b");
        // Without the mark, only column 1 would be written, and a terminal that kept 🇸 in
        // column 2 would go on showing it.
        assert_eq!(written_columns(&flag, &frame("a  b")), vec![1, 2]);
    }

    #[test]
    fn a_flag_left_in_place_writes_nothing_and_a_flag_drawn_writes_its_cluster_once() {
        assert!(written_columns(&frame("a🇺🇸b"), &frame("a🇺🇸b")).is_empty());
        assert_eq!(written_columns(&frame("a  b"), &frame("a🇺🇸b")), vec![1]);
    }

    #[test]
    fn a_joined_emoji_is_marked_and_a_single_wide_character_is_left_as_ratatui_draws_it() {
        let joined = frame("👩\u{200d}🔬x");
        assert_eq!(written_columns(&joined, &frame("  x")), vec![0, 1]);
        // One code point two columns wide: every terminal agrees on it.
        let kana = frame("コx");
        assert_eq!(kana[(1, 0)].diff_option, CellDiffOption::None);
    }
}
