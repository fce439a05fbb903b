//! The score histogram: a BarChart over ten bins computed by `ui::histogram`, with zero scores
//! and unscored authors printed as their own figures so they are always visible; beside each bar,
//! dim, the previous version's (from the history), when it has one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph};

use super::block;
use crate::ui::app::App;
use crate::ui::histogram::{BINS, ScoreHistogram};
use crate::ui::theme::Theme;

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let h = &app.histogram;
    let title = match app.previous_bins {
        Some((v, _)) => format!("Scores (bins of 10; dim: version {v})"),
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

/// Each bin as a pair: the previous version's bar (dim) and the current one.
fn render_beside_previous(
    h: &ScoreHistogram,
    previous: &[u64; 10],
    theme: Theme,
    frame: &mut Frame,
    chart: Rect,
) {
    let bar_width = (chart.width.saturating_sub(BINS as u16 - 1) / (2 * BINS as u16)).max(1);
    let groups: Vec<BarGroup> = (0..BINS)
        .map(|i| {
            let label = if bar_width >= 3 {
                ScoreHistogram::label(i)
            } else {
                format!("{}", i * 10)
            };
            BarGroup::default().label(Line::from(label)).bars(&[
                Bar::default().value(previous[i]).style(theme.dim()),
                Bar::default().value(h.bins[i]).style(theme.bar()),
            ])
        })
        .collect();
    let mut widget = BarChart::default()
        .bar_width(bar_width)
        .bar_gap(0)
        .group_gap(1);
    for g in groups {
        widget = widget.data(g);
    }
    frame.render_widget(widget, chart);
}
