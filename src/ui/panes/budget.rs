//! Rate-limit budget and money: requests left of the window as numbers and a gauge, reset
//! countdown while a run is live (and the window idle, with the time since its reset, once it is
//! not), the 24-hour window when there is one, sent / finished / scheduled, 429s, time spent
//! waiting (kept apart from latency), and what the run and the day have spent against the cap,
//! with the worst case of what is still pending. Every figure carries its word, and a narrow
//! pane leaves out whole figures, never half of one.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Gauge, LineGauge, Paragraph};

use super::fit::{Part, fit_line};
use super::{block, clock, span_words};
use crate::pipeline::harvest::events::{BudgetSnapshot, SpendSnapshot};
use crate::pipeline::harvest::pricing::format_usd;
use crate::ui::app::App;
use crate::ui::theme::Theme;

const GAP: &str = " · ";

/// When a window resets, as time to go; once that time has passed, as time since (a countdown
/// frozen at zero would say the reset is about to happen).
fn reset_words(at: DateTime<Utc>, now: DateTime<Utc>, secs: fn(i64) -> String) -> String {
    let left = (at - now).num_seconds();
    if left > 0 {
        format!("resets in {}", secs(left))
    } else {
        format!("reset {} ago", span_words(-left))
    }
}

/// The window's state in words: while a run is live, when it resets; once no run is live, that
/// it is idle and when it reset.
fn window_words(app: &App, b: &BudgetSnapshot) -> String {
    let live = app.run.in_flight();
    match (b.reset_at, live) {
        (Some(t), true) if t > app.now => reset_words(t, app.now, |s| format!("{s}s")),
        // Passed, and no answer has told the new window yet.
        (Some(_), true) => "resetting now".into(),
        (None, true) => "reset unknown".into(),
        (Some(t), false) => format!(
            "window idle, {}",
            reset_words(t, app.now, |s| format!("{s}s"))
        ),
        (None, false) => "window idle".into(),
    }
}

/// Requests left of the window, as the gauge shows it. A window that reset with no run live
/// is whole again: the last count would be stale.
fn left(app: &App, b: &BudgetSnapshot) -> (f64, String) {
    let reset = b.reset_at.is_some_and(|t| t <= app.now);
    let remaining = if reset && !app.run.in_flight() {
        b.limit
    } else {
        b.remaining
    };
    let ratio = if b.limit == 0 {
        0.0
    } else {
        (remaining as f64 / b.limit as f64).clamp(0.0, 1.0)
    };
    (ratio, format!("left {remaining}/{}", b.limit))
}

/// Before a run: what the data directory spent today and what a user costs.
fn today_parts(s: &SpendSnapshot) -> Vec<Part> {
    vec![
        Part::raw(0, format!("spent today {}", format_usd(s.today_micros))),
        Part::raw(1, format!("{} a user", format_usd(s.price_micros))),
    ]
}

const NO_REQUESTS: &str = "no requests yet";

/// This run's spend, today's, and the price, each with its word.
fn spend_parts(s: &SpendSnapshot) -> Vec<Part> {
    vec![
        Part::raw(0, format!("spent {} this run", format_usd(s.run_micros))),
        Part::raw(1, format!("{} today", format_usd(s.today_micros))),
        Part::raw(2, format!("{} a user", format_usd(s.price_micros))),
    ]
}

/// The cap, the worst case still pending, and the free re-reads.
fn cap_parts(s: &SpendSnapshot) -> Vec<Part> {
    let cap = s.cap_micros.map_or("no spend cap".to_string(), |c| {
        format!("cap {}", format_usd(c))
    });
    vec![
        Part::raw(0, cap),
        Part::raw(1, format!("pending ≤ {}", format_usd(s.pending_micros))),
        Part::raw(2, format!("free re-reads {}", s.free_rereads)),
    ]
}

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect, compact: bool) {
    let Some(b) = &app.budget else {
        if compact {
            let mut parts = vec![Part::raw(2, NO_REQUESTS)];
            parts.extend(app.spend.as_ref().map(today_parts).unwrap_or_default());
            frame.render_widget(
                Paragraph::new(fit_line(parts, GAP, area.width.into())),
                area,
            );
            return;
        }
        // A line for the state, one for the money, one for the cap.
        let outer = block("Rate-limit budget".into(), false, theme);
        let width = outer.inner(area).width as usize;
        let mut lines = vec![Line::from(NO_REQUESTS)];
        if let Some(s) = &app.spend {
            lines.push(fit_line(today_parts(s), GAP, width));
            let cap = cap_parts(s).into_iter().take(1).collect();
            lines.push(fit_line(cap, GAP, width).style(theme.dim()));
        }
        frame.render_widget(Paragraph::new(lines).block(outer), area);
        return;
    };
    let (ratio, left) = left(app, b);
    let window = window_words(app, b);
    if compact {
        // Money first: on a narrow screen the other figures are left out before it.
        let mut parts = Vec::new();
        if let Some(s) = &app.spend {
            parts.push(Part::raw(0, format!("spent {}", format_usd(s.run_micros))));
        }
        // After a run the window's state says more than a count that no run is using.
        let live = app.run.in_flight();
        parts.push(Part::raw(if live { 1 } else { 2 }, left));
        match window.split_once(", ") {
            // "window idle" stays longest; when it reset goes before it.
            Some((idle, reset)) if !live => {
                parts.push(Part::raw(1, idle.to_string()));
                parts.push(Part::raw(3, reset.to_string()));
            }
            _ => parts.push(Part::raw(if live { 2 } else { 1 }, window)),
        }
        parts.push(Part::raw(3, format!("429s {}", b.throttled)));
        // A cell of line stays beside the label, so the gauge is still seen.
        let room = usize::from(area.width).saturating_sub(2);
        let gauge = LineGauge::default()
            .ratio(ratio)
            .label(fit_line(parts, GAP, room))
            .filled_style(theme.gauge());
        frame.render_widget(gauge, area);
        return;
    }
    let outer = block("Rate-limit budget".into(), false, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let width = inner.width as usize;
    let [gauge_area, text_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    frame.render_widget(
        Gauge::default()
            .gauge_style(theme.gauge())
            .ratio(ratio)
            .label(format!("{left} · {window}")),
        gauge_area,
    );
    let throttled_style = if b.throttled > 0 {
        theme.warn()
    } else {
        theme.dim()
    };
    let mut waited = vec![Part::raw(
        0,
        format!("waited {:.1}s (not latency)", b.waited.as_secs_f64()),
    )];
    if let (Some(limit), Some(day_left)) = (b.day_limit, b.day_remaining) {
        let reset = b
            .day_reset_at
            .map(|t| format!(" ({})", reset_words(t, app.now, clock)))
            .unwrap_or_default();
        waited.push(Part::raw(1, format!("24 h {day_left}/{limit}{reset}")));
    }
    let mut lines = vec![
        fit_line(
            vec![
                Part::raw(0, format!("sent {}", b.sent)),
                Part::raw(0, format!("done {}", b.finished)),
                Part::raw(1, format!("queued {}", b.scheduled)),
                Part::styled(0, format!("429s {}", b.throttled), throttled_style),
            ],
            GAP,
            width,
        ),
        fit_line(waited, GAP, width),
    ];
    if let Some(s) = &app.spend {
        lines.push(fit_line(spend_parts(s), GAP, width));
        let cap_style = match s.cap_micros {
            Some(c) if s.run_micros + s.pending_micros > c => theme.warn(),
            _ => theme.dim(),
        };
        lines.push(fit_line(cap_parts(s), GAP, width).style(cap_style));
    }
    frame.render_widget(Paragraph::new(lines), text_area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::app::{RunState, Settings};
    use chrono::TimeZone;

    fn app_with_window(run: RunState, reset_in: i64) -> (App, BudgetSnapshot) {
        let now = Utc.with_ymd_and_hms(2025, 11, 14, 12, 0, 0).unwrap();
        let mut app = App::new(Settings::default(), now);
        app.run = run;
        let b = BudgetSnapshot {
            limit: 6,
            remaining: 2,
            reset_at: Some(now + chrono::Duration::seconds(reset_in)),
            day_limit: None,
            day_remaining: None,
            day_reset_at: None,
            scheduled: 0,
            sent: 4,
            finished: 4,
            throttled: 0,
            waited: std::time::Duration::ZERO,
        };
        (app, b)
    }

    #[test]
    fn a_live_run_counts_down_to_the_reset() {
        let (app, b) = app_with_window(RunState::Running, 9);
        assert_eq!(window_words(&app, &b), "resets in 9s");
        assert_eq!(left(&app, &b).1, "left 2/6");
    }

    #[test]
    fn once_the_run_ended_the_window_is_idle_and_says_when_it_reset_instead_of_a_frozen_zero() {
        let (app, b) = app_with_window(RunState::Done, -150);
        assert_eq!(window_words(&app, &b), "window idle, reset 2m ago");
        // A window that reset is whole again.
        assert_eq!(left(&app, &b).1, "left 6/6");
    }

    #[test]
    fn a_run_that_ended_before_its_window_reset_still_counts_down_and_says_idle() {
        let (app, b) = app_with_window(RunState::Done, 5);
        assert_eq!(window_words(&app, &b), "window idle, resets in 5s");
        assert_eq!(left(&app, &b).1, "left 2/6");
    }
}
