//! Rate-limit budget and money: requests left of the window as numbers and a gauge, reset
//! countdown, the 24-hour window when there is one, sent / finished / scheduled, 429s, time spent
//! waiting (kept apart from latency), and what the run and the day have spent against the cap,
//! with the worst case of what is still pending.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Gauge, LineGauge, Paragraph};

use super::block;
use crate::pipeline::harvest::pricing::format_usd;
use crate::ui::app::App;
use crate::ui::theme::Theme;

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect, compact: bool) {
    let Some(b) = &app.budget else {
        // Before a run: what the data directory has spent today already, when known.
        let text = match &app.spend {
            Some(s) => format!(
                "no requests yet · spent today {} · {} a user",
                format_usd(s.today_micros),
                format_usd(s.price_micros)
            ),
            None => "budget: no requests yet".to_string(),
        };
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
        // Money first: on a narrow screen the end of the label is what gets cut.
        let spent = app
            .spend
            .as_ref()
            .map(|s| format!("spent {} · ", format_usd(s.run_micros)))
            .unwrap_or_default();
        let gauge = LineGauge::default()
            .ratio(ratio)
            .label(Line::from(format!(
                "{spent}budget {left} · 429s {}",
                b.throttled
            )))
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
    let day = match (b.day_limit, b.day_remaining) {
        (Some(limit), Some(left)) => {
            let reset = b
                .day_reset_at
                .map(|t| {
                    format!(
                        " (resets in {})",
                        super::clock((t - app.now).num_seconds().max(0))
                    )
                })
                .unwrap_or_default();
            format!(" · 24 h {left}/{limit}{reset}")
        }
        _ => String::new(),
    };
    let mut lines = vec![
        Line::from(vec![
            ratatui::text::Span::raw(format!(
                "sent {} · done {} · queued {} · ",
                b.sent, b.finished, b.scheduled
            )),
            ratatui::text::Span::styled(format!("429s {}", b.throttled), throttled_style),
        ]),
        Line::from(format!(
            "waited {:.1}s (not latency){day}",
            b.waited.as_secs_f64()
        )),
    ];
    if let Some(s) = &app.spend {
        lines.push(Line::from(format!(
            "spent {} run · {} today @ {}",
            format_usd(s.run_micros),
            format_usd(s.today_micros),
            format_usd(s.price_micros)
        )));
        let cap = s.cap_micros.map_or("no spend cap".to_string(), |c| {
            format!("cap {}", format_usd(c))
        });
        let cap_style = match s.cap_micros {
            Some(c) if s.run_micros + s.pending_micros > c => theme.warn(),
            _ => theme.dim(),
        };
        lines.push(Line::styled(
            format!(
                "{cap} · pending ≤ {} · free {}",
                format_usd(s.pending_micros),
                s.free_rereads
            ),
            cap_style,
        ));
    }
    frame.render_widget(Paragraph::new(lines), text_area);
}
