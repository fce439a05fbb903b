//! Counters of what needs attention, each with the key that lists the records behind it. On a
//! compact screen they flow over as many lines as the width needs; none is cut.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::block;
use super::fit::{Part, flow};
use crate::ui::action::ScreenCounter;
use crate::ui::app::{App, counter_flag};
use crate::ui::theme::Theme;

/// The review queue's length, or `–` before the candidates were read.
fn review_figure(app: &App) -> String {
    if app.candidates.loaded {
        app.candidates.review().to_string()
    } else {
        "–".into()
    }
}

/// Between two counters on the compact row.
const GAP: &str = "  ";

/// Without the runs' answers custody was not looked at: no figure rather than a false 0.
/// Without a history there are no growth flags to count: no figure either.
fn unchecked(app: &App, c: ScreenCounter) -> bool {
    (c == ScreenCounter::Unverified && app.answers.is_none())
        || (c == ScreenCounter::Growth && app.history_file.is_none())
}

/// The word a counter goes by where room is short (the help lists the full words by key).
fn short_word(c: ScreenCounter) -> &'static str {
    match c {
        ScreenCounter::Zero => "zero",
        ScreenCounter::Unscored => "unscored",
        ScreenCounter::Placeholders => "placeh.",
        ScreenCounter::Duplicates => "dups",
        ScreenCounter::Schema => "schema",
        ScreenCounter::Unverified => "unverif.",
        ScreenCounter::Growth => "growth",
    }
}

/// The counters as the compact row's parts, each its key, short word and figure, the review
/// queue last.
fn compact_parts(app: &App, theme: Theme) -> Vec<Part> {
    let mut parts: Vec<Part> = ScreenCounter::ALL
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let n = app.counts.get(c);
            let marker = if app.filter.flag == Some(counter_flag(c)) {
                "▶"
            } else {
                ""
            };
            let figure = if unchecked(app, c) {
                "–".to_string()
            } else {
                n.to_string()
            };
            let style = if n > 0 { theme.warn() } else { theme.dim() };
            Part::new(
                0,
                vec![
                    Span::styled((i + 1).to_string(), theme.key()),
                    Span::styled(format!(" {marker}{} {figure}", short_word(c)), style),
                ],
            )
        })
        .collect();
    let review_style = if app.candidates.review() > 0 {
        theme.warn()
    } else {
        theme.dim()
    };
    parts.push(Part::new(
        0,
        vec![
            Span::styled("c", theme.key()),
            Span::styled(format!(" review {}", review_figure(app)), review_style),
        ],
    ));
    parts
}

/// The compact counters in `width` cells: on one line when all fit, on more when not, so that
/// no counter is ever cut.
pub(crate) fn compact_lines(app: &App, theme: Theme, width: u16) -> Vec<Line<'static>> {
    flow(compact_parts(app, theme), GAP, width as usize)
}

/// Rows the compact counters take at `width`.
pub(crate) fn compact_rows(app: &App, width: u16) -> u16 {
    compact_lines(app, Theme::new(false), width).len() as u16
}

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect, compact: bool) {
    if compact {
        let lines = compact_lines(app, theme, area.width);
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    let entries = ScreenCounter::ALL.iter().enumerate().map(|(i, c)| {
        let n = app.counts.get(*c);
        let active = app.filter.flag == Some(counter_flag(*c));
        (i + 1, *c, n, active)
    });
    let mut lines = Vec::new();
    for (key, c, n, active) in entries {
        let marker = if active { "▶" } else { " " };
        let status = if n > 0 { "⚠" } else { "✓" };
        if unchecked(app, c) {
            lines.push(Line::from(vec![
                Span::styled(format!("[{key}]"), theme.key()),
                Span::styled(format!("{marker}· {:<18}{:>7}", c.word(), "–"), theme.dim()),
            ]));
            continue;
        }
        let mut text = format!("{marker}{status} {:<18}{n:>7}", c.word());
        if c == ScreenCounter::Duplicates && app.counts.duplicate_handles > 0 {
            text = format!(
                "{marker}{status} {:<18}{n:>7}\n     ({} handles)",
                c.word(),
                app.counts.duplicate_handles
            );
        }
        let mut first = true;
        for part in text.split('\n') {
            let lead = if first {
                Span::styled(format!("[{key}]"), theme.key())
            } else {
                Span::raw("   ")
            };
            first = false;
            lines.push(Line::from(vec![
                lead,
                Span::styled(
                    part.to_string(),
                    if n > 0 { theme.warn() } else { theme.good() },
                ),
            ]));
        }
    }
    lines.push(Line::styled(
        format!("[0] all {} authors", app.rows.len()),
        theme.dim(),
    ));
    let review = app.candidates.review();
    lines.push(Line::from(vec![
        Span::styled("[c]", theme.key()),
        Span::styled(
            format!(
                " {} {:<19}{:>6}",
                if review > 0 { "⚠" } else { "✓" },
                "review (candidates)",
                review_figure(app)
            ),
            if review > 0 {
                theme.warn()
            } else {
                theme.good()
            },
        ),
    ]));
    frame.render_widget(
        Paragraph::new(lines).block(block("Counters".into(), false, theme)),
        area,
    );
}
