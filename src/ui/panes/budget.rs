//! Rate-limit budget: requests left of the window as numbers and a gauge, reset countdown,
//! scheduled / sent / finished, 429s, and time spent waiting (kept apart from latency).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Gauge, LineGauge, Paragraph};

use super::block;
use crate::ui::app::App;
use crate::ui::theme::Theme;

pub fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect, compact: bool) {
    let Some(b) = &app.budget else {
        let text = "budget: no requests yet";
        if compact {
            frame.render_widget(Paragraph::new(text), area);
        } else {
            frame.render_widget(
                Paragraph::new(text).block(block("Rate-limit budget".into(), false, theme)),
                area,
            );
        }
        return;
    };
    let ratio = if b.limit == 0 {
        0.0
    } else {
        (b.remaining as f64 / b.limit as f64).clamp(0.0, 1.0)
    };
    let reset = match b.reset_at {
        Some(t) => format!("resets in {}s", (t - app.now).num_seconds().max(0)),
        None => "reset unknown".into(),
    };
    let left = format!("left {}/{} · {reset}", b.remaining, b.limit);
    if compact {
        let gauge = LineGauge::default()
            .ratio(ratio)
            .label(Line::from(format!("budget {left} · 429s {}", b.throttled)))
            .filled_style(theme.gauge());
        frame.render_widget(gauge, area);
        return;
    }
    let outer = block("Rate-limit budget".into(), false, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let [gauge_area, text_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    frame.render_widget(
        Gauge::default()
            .gauge_style(theme.gauge())
            .ratio(ratio)
            .label(left),
        gauge_area,
    );
    let throttled_style = if b.throttled > 0 {
        theme.warn()
    } else {
        theme.dim()
    };
    let lines = vec![
        Line::from(format!(
            "scheduled {} · sent {} · finished {}",
            b.scheduled, b.sent, b.finished
        )),
        Line::styled(format!("429 answers {}", b.throttled), throttled_style),
        Line::from(format!(
            "time waiting for budget {:.1}s (not latency)",
            b.waited.as_secs_f64()
        )),
    ];
    frame.render_widget(Paragraph::new(lines), text_area);
}
