//! The score histogram: a BarChart over ten bins computed by `ui::histogram`, with zero scores
//! and unscored authors printed as their own figures so they are always visible; beside each bar,
//! shaded, the previous version's (from the history), when it has one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph};

use super::block;
use crate::ui::app::App;
use crate::ui::histogram::{BINS, ScoreHistogram};
use crate::ui::theme::Theme;

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let h = &app.histogram;
    let title = match app.previous_bins {
        Some((v, _)) => format!("Scores (bins of 10) · {PREVIOUS} version {v} · █ now"),
        None => "Scores (bins of 10)".into(),
    };
    let outer = block(title, false, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let [apart, chart] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    let zero_style = if h.zero > 0 {
        theme.warn()
    } else {
        theme.dim()
    };
    // The counters count every zero score; the histogram places only scores with metrics
    // behind them, so its zero figure is smaller: say by how much and why, beside it.
    let unmeasured_zeros = (app.counts.zero as u64).saturating_sub(h.zero);
    let zeros = if unmeasured_zeros > 0 {
        format!(
            "zero {} with metrics (+{unmeasured_zeros} without: unscored)",
            h.zero
        )
    } else {
        format!("zero {}", h.zero)
    };
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!(
                "{zeros} · unscored {} · above 0 {}",
                h.unscored,
                h.bins.iter().sum::<u64>()
            ),
            zero_style,
        )),
        apart,
    );
    if let Some((_, previous)) = &app.previous_bins {
        render_beside_previous(h, previous, theme, frame, chart);
        return;
    }
    let bar_width = (chart.width.saturating_sub(BINS as u16 - 1) / BINS as u16).max(1);
    let bars: Vec<Bar> = h
        .bins
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let label = if bar_width >= 5 {
                ScoreHistogram::label(i)
            } else {
                format!("{}", i * 10)
            };
            Bar::with_label(label, n).style(theme.bar())
        })
        .collect();
    let chart_widget = BarChart::default()
        .data(BarGroup::default().bars(&bars))
        .bar_width(bar_width)
        .bar_gap(1);
    frame.render_widget(chart_widget, chart);
}

/// Glyphs of a current bar's top cell by eighths filled (index 1..=7); a full cell is `█`.
const EIGHTHS: [char; 8] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇'];
/// The previous version's bars: a shade, not a solid block, so that they stay apart from the
/// current ones without colour (NO_COLOR draws both in the terminal's one colour).
const PREVIOUS: char = '░';

/// Each bin as a pair, the previous version's bar (`░`, dim) left of the current one (`█`), on
/// one scale; under each pair its two counts (`12→14`, or the current one alone when the pair is
/// too narrow for both) and the bin. Drawn cell by cell: a BarChart has one glyph set for all
/// its bars and prints each bar's count inside it, which ran the pairs' counts together.
fn render_beside_previous(
    h: &ScoreHistogram,
    previous: &[u64; 10],
    theme: Theme,
    frame: &mut Frame,
    chart: Rect,
) {
    let group = (usize::from(chart.width).saturating_sub(BINS - 1) / BINS).max(2);
    let bar = group / 2;
    let height = usize::from(chart.height.saturating_sub(2));
    let top = previous
        .iter()
        .chain(h.bins.iter())
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    // Heights in eighths of a cell; a count above zero shows at least a sliver.
    let eighths = |n: u64| -> usize {
        let e = (n as f64 / top as f64 * (height * 8) as f64).round() as usize;
        if n > 0 { e.max(1) } else { 0 }
    };
    let mut lines: Vec<Line> = Vec::with_capacity(height + 2);
    for level in (0..height).rev() {
        let mut spans: Vec<Span> = Vec::with_capacity(BINS * 3);
        for (&before, &now) in previous.iter().zip(h.bins.iter()) {
            // The shade has no eighths: a previous bar's top cell is drawn when half full.
            let p = eighths(before);
            let shaded = p >= level * 8 + 4 || (level == 0 && p > 0);
            let solid = match eighths(now).saturating_sub(level * 8) {
                0 => ' ',
                e if e >= 8 => '█',
                e => EIGHTHS[e],
            };
            spans.push(Span::styled(
                String::from(if shaded { PREVIOUS } else { ' ' }).repeat(bar),
                theme.dim(),
            ));
            spans.push(Span::styled(String::from(solid).repeat(bar), theme.bar()));
            spans.push(Span::raw(" ".repeat(group - 2 * bar + 1)));
        }
        lines.push(Line::from(spans));
    }
    let centred = |text: String| format!("{text:^group$} ");
    let counts: String = (0..BINS)
        .map(|i| {
            let both = format!("{}→{}", previous[i], h.bins[i]);
            centred(if both.chars().count() <= group {
                both
            } else {
                h.bins[i].to_string()
            })
        })
        .collect();
    lines.push(Line::from(counts));
    let labels: String = (0..BINS)
        .map(|i| {
            let label = ScoreHistogram::label(i);
            centred(if label.len() <= group {
                label
            } else {
                (i * 10).to_string()
            })
        })
        .collect();
    lines.push(Line::styled(labels, theme.dim()));
    frame.render_widget(Paragraph::new(lines), chart);
}
