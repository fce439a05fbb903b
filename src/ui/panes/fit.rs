//! Fitting a one-line row of parts (the header, the hint bar, the budget line) into a width:
//! when they do not all fit, the least important parts are dropped whole, so no value is ever
//! cut mid-way, and the parts kept stay in their order.

use ratatui::text::{Line, Span};

/// One part of a row: its spans and its rank (0 is kept longest; higher ranks go first).
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub spans: Vec<Span<'static>>,
    pub rank: u8,
}

impl Part {
    pub(crate) fn new(rank: u8, spans: Vec<Span<'static>>) -> Part {
        Part { spans, rank }
    }

    pub(crate) fn raw(rank: u8, text: impl Into<String>) -> Part {
        Part::new(rank, vec![Span::raw(text.into())])
    }

    pub(crate) fn styled(rank: u8, text: impl Into<String>, style: ratatui::style::Style) -> Part {
        Part::new(rank, vec![Span::styled(text.into(), style)])
    }

    fn width(&self) -> usize {
        self.spans.iter().map(Span::width).sum()
    }
}

/// The parts that fit in `width` cells with `gap` between each two, in their order. The
/// highest rank is dropped first, the rightmost of equal rank first. Should the most important
/// part alone be wider than `width`, it is kept and the terminal cuts its end.
pub(crate) fn fit(parts: Vec<Part>, gap: &str, width: usize) -> Vec<Part> {
    let gap_width = Span::raw(gap.to_string()).width();
    let mut kept = parts;
    loop {
        let total: usize =
            kept.iter().map(Part::width).sum::<usize>() + gap_width * kept.len().saturating_sub(1);
        if total <= width || kept.len() <= 1 {
            return kept;
        }
        let drop = kept
            .iter()
            .enumerate()
            .max_by_key(|(i, p)| (p.rank, *i))
            .map(|(i, _)| i)
            .expect("more than one part");
        kept.remove(drop);
    }
}

/// [`fit`], joined into one line.
pub(crate) fn fit_line(parts: Vec<Part>, gap: &str, width: usize) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, part) in fit(parts, gap, width).into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(gap.to_string()));
        }
        spans.extend(part.spans);
    }
    Line::from(spans)
}

/// All `parts`, in order, on as many lines of `width` cells as they need: a part that does not
/// fit on the current line starts the next one, whole (ranks are not looked at: none is dropped).
pub(crate) fn flow(parts: Vec<Part>, gap: &str, width: usize) -> Vec<Line<'static>> {
    let gap_width = Span::raw(gap.to_string()).width();
    let mut lines: Vec<Vec<Span<'static>>> = Vec::new();
    let mut used = 0usize;
    for part in parts {
        let w = part.width();
        match lines.last_mut() {
            Some(line) if used + gap_width + w <= width => {
                line.push(Span::raw(gap.to_string()));
                line.extend(part.spans);
                used += gap_width + w;
            }
            _ => {
                lines.push(part.spans);
                used = w;
            }
        }
    }
    lines.into_iter().map(Line::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn everything_shows_when_it_fits() {
        let parts = vec![Part::raw(0, "a"), Part::raw(2, "bb"), Part::raw(1, "ccc")];
        assert_eq!(text(&fit_line(parts, "  ", 10)), "a  bb  ccc");
    }

    #[test]
    fn the_highest_rank_goes_first_and_whole_and_the_rest_keep_their_order() {
        let parts = vec![
            Part::raw(0, "state"),
            Part::raw(2, "elapsed 0:06"),
            Part::raw(1, "ETA 0:09"),
        ];
        assert_eq!(text(&fit_line(parts, "  ", 20)), "state  ETA 0:09");
    }

    #[test]
    fn of_equal_rank_the_rightmost_goes_first() {
        let parts = vec![Part::raw(1, "one"), Part::raw(1, "two")];
        assert_eq!(text(&fit_line(parts, " ", 5)), "one");
    }

    #[test]
    fn a_flow_keeps_every_part_and_wraps_them_whole() {
        let parts = vec![
            Part::raw(0, "1 zero 235"),
            Part::raw(0, "2 unscored 428"),
            Part::raw(0, "3 placeh. 6"),
        ];
        let lines = flow(parts, "  ", 28);
        let texts: Vec<String> = lines.iter().map(text).collect();
        assert_eq!(texts, ["1 zero 235  2 unscored 428", "3 placeh. 6"]);
    }

    #[test]
    fn the_last_part_standing_is_kept_even_when_too_wide() {
        let parts = vec![Part::raw(0, "a long state"), Part::raw(1, "x")];
        assert_eq!(text(&fit_line(parts, " ", 4)), "a long state");
    }
}
