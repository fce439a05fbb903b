//! Counters of what needs attention, each with the key that lists the records behind it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::block;
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

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect, compact: bool) {
    // Without the runs' answers custody was not looked at: no figure rather than a false 0.
    // Without a history there are no growth flags to count: no figure either.
    let unchecked = |c: ScreenCounter| {
        (c == ScreenCounter::Unverified && app.answers.is_none())
            || (c == ScreenCounter::Growth && app.history_file.is_none())
    };
    let entries = ScreenCounter::ALL.iter().enumerate().map(|(i, c)| {
        let n = app.counts.get(*c);
        let active = app.filter.flag == Some(counter_flag(*c));
        (i + 1, *c, n, active)
    });
    if compact {
        // (key, words, style): the screen's counters, one space apart when two do not fit.
        let mut parts: Vec<(String, String, ratatui::style::Style)> = Vec::new();
        for (key, c, n, active) in entries {
            let short = match c {
                ScreenCounter::Zero => "zero",
                ScreenCounter::Unscored => "unscored",
                ScreenCounter::Placeholders => "placeh.",
                ScreenCounter::Duplicates => "dups",
                ScreenCounter::Schema => "schema",
                ScreenCounter::Unverified => "unverif.",
                ScreenCounter::Growth => "growth",
            };
            let marker = if active { "▶" } else { "" };
            let figure = if unchecked(c) {
                "–".to_string()
            } else {
                n.to_string()
            };
            let style = if n > 0 { theme.warn() } else { theme.dim() };
            parts.push((key.to_string(), format!(" {marker}{short} {figure}"), style));
        }
        // The review queue keeps its place at the right end, whatever the width.
        let review = format!(" review {}", review_figure(app));
        let review_width = (review.chars().count() + 3) as u16;
        let [left, right] = ratatui::layout::Layout::horizontal([
            ratatui::layout::Constraint::Min(0),
            ratatui::layout::Constraint::Length(review_width.min(area.width)),
        ])
        .areas(area);
        let wide: usize = parts
            .iter()
            .map(|(k, w, _)| k.chars().count() + w.chars().count() + 2)
            .sum();
        let gap = if wide <= left.width as usize {
            "  "
        } else {
            " "
        };
        let mut spans = Vec::new();
        for (key, words, style) in parts {
            spans.push(Span::styled(key, theme.key()));
            spans.push(Span::styled(format!("{words}{gap}"), style));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), left);
        let review_style = if app.candidates.review() > 0 {
            theme.warn()
        } else {
            theme.dim()
        };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::raw("  "),
                Span::styled("c", theme.key()),
                Span::styled(review, review_style),
            ])),
            right,
        );
        return;
    }
    let mut lines = Vec::new();
    for (key, c, n, active) in entries {
        let marker = if active { "▶" } else { " " };
        let status = if n > 0 { "⚠" } else { "✓" };
        if unchecked(c) {
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
