//! The movers overlay: the authors whose score, and those whose followers, changed most between
//! their two newest snapshots, as the history keeps them (read when the dataset is loaded). The
//! text is drawn, wrapped and scrolled by `overlay`.

use ratatui::text::Line;

use super::day;
use crate::pipeline::history::{Mover, Movers};
use crate::ui::theme::Theme;

/// Where a row's days go when they do not fit beside its figures: under the handle's column.
pub(crate) const TEXT_COLUMN: usize = 4;

fn handle(m: &Mover) -> &str {
    m.handle.as_deref().unwrap_or(&m.id)
}

/// A mover's row: its figures, then the two snapshots' days, on the same line when `width`
/// has room for both, else the days on a line of their own under the figures (never split).
fn row(figures: String, x: &Mover, width: usize) -> Vec<Line<'static>> {
    let days = format!("{} → {}", day(&x.from), day(&x.to));
    let whole = format!("{figures}   {days}");
    if whole.chars().count() <= width {
        vec![Line::from(whole)]
    } else {
        vec![
            Line::from(figures),
            Line::from(format!("{}{days}", " ".repeat(TEXT_COLUMN))),
        ]
    }
}

/// The overlay's text for `width` cells.
pub(crate) fn movers_lines(
    movers: Option<&Movers>,
    theme: Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let Some(m) = movers else {
        return vec![Line::from(
            "no history in this data directory yet (DIR/history.sqlite is written by a merge)",
        )];
    };
    if m.by_score.is_empty() && m.by_followers.is_empty() {
        return vec![Line::from("no author has two snapshots yet")];
    }
    let score = |v: Option<f64>| v.map_or("–".to_string(), |s| format!("{s:.1}"));
    let count = |v: Option<u64>| v.map_or("–".to_string(), |n| n.to_string());
    let mut out = vec![
        Line::styled("since each author's previous snapshot", theme.dim()),
        Line::styled("Score", theme.title()),
    ];
    for x in &m.by_score {
        let figures = format!(
            "  @{:<16} {:>6} → {:<6} {:>+7.2}",
            handle(x),
            score(x.score_before),
            score(x.score_after),
            x.score_delta.unwrap_or(0.0),
        );
        out.extend(row(figures, x, width));
    }
    out.push(Line::styled("Followers", theme.title()));
    for x in &m.by_followers {
        let figures = format!(
            "  @{:<16} {:>10} → {:<10} {:>+10}",
            handle(x),
            count(x.followers_before),
            count(x.followers_after),
            x.followers_delta.unwrap_or(0),
        );
        out.extend(row(figures, x, width));
    }
    out
}
