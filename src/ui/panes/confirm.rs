//! The confirmation dialog for actions that spend budget or change stored data. Cancel is
//! focused when it opens; the merge dialog shows the plan before anything is written.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{block, centered_fixed};
use crate::ui::app::Confirm;
use crate::ui::theme::Theme;

pub fn question_lines(what: &Confirm) -> (String, Vec<String>) {
    match what {
        Confirm::Merge(plan) => {
            let mut lines = vec![
                format!(
                    "batches: {}",
                    if plan.batches.is_empty() {
                        "none".into()
                    } else {
                        plan.batches.join(", ")
                    }
                ),
                format!(
                    "added {} · updated {} · unchanged {} · conflicts {}",
                    plan.added, plan.updated, plan.unchanged, plan.conflicts
                ),
                format!("duplicate rows collapsed {}", plan.collapsed),
                format!(
                    "blocked by flags: {} records{}",
                    plan.blocked.len(),
                    if plan.left_out.is_empty() {
                        String::new()
                    } else {
                        format!(" → left out: {}", plan.left_out.join(", "))
                    }
                ),
            ];
            if plan.unreadable > 0 {
                lines.push(format!("⚠ {} unreadable lines: the merge will be refused", plan.unreadable));
            }
            for (handle, reason) in plan.blocked.iter().take(5) {
                lines.push(format!("  ⚠ @{handle}: {reason}"));
            }
            if plan.blocked.len() > 5 {
                lines.push(format!("  … and {} more", plan.blocked.len() - 5));
            }
            ("Merge pending batches into latest?".into(), lines)
        }
        Confirm::Rollback => (
            "Roll back the last merge?".into(),
            vec!["the dataset before the last merge becomes latest again".into()],
        ),
        Confirm::Reharvest(handle) => (
            format!("Harvest @{handle} again?"),
            vec!["this spends rate-limit budget".into()],
        ),
        Confirm::Quit => (
            "Quit while a harvest is running?".into(),
            vec!["the engine finishes the request in flight and writes its journal".into()],
        ),
    }
}

pub fn render(what: &Confirm, accept_focused: bool, theme: Theme, frame: &mut Frame, area: Rect) {
    let (question, body) = question_lines(what);
    let accept = match what {
        Confirm::Merge(_) => "Merge",
        Confirm::Rollback => "Roll back",
        Confirm::Reharvest(_) => "Harvest",
        Confirm::Quit => "Quit",
    };
    let mut lines: Vec<Line> = body.into_iter().map(Line::from).collect();
    lines.push(Line::from(""));
    let button = |label: &str, focused: bool| {
        if focused {
            Span::styled(format!("[▶ {label} ◀]"), theme.selected())
        } else {
            Span::raw(format!("[  {label}  ]"))
        }
    };
    lines.push(Line::from(vec![
        button("Cancel", !accept_focused),
        Span::raw("   "),
        button(accept, accept_focused),
    ]));
    lines.push(Line::styled(
        "Tab switches · Enter chooses · Esc cancels",
        theme.dim(),
    ));
    let h = lines.len() as u16 + 2;
    let r = centered_fixed(area, 70, h);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(question, true, theme)),
        r,
    );
}
