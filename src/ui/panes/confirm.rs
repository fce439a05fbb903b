//! The confirmation dialog for actions that spend budget or change stored data. Cancel is
//! focused when it opens; the merge dialog shows the plan before anything is written. A question
//! that cannot be accepted (a harvest without a bearer token) says why first and offers Cancel
//! only.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{block, centered_fixed};
use crate::ui::app::Confirm;
use crate::ui::theme::Theme;

const DIALOG_WIDTH: u16 = 76;
const BLOCKED_SHOWN: usize = 4;
/// The blank line, the buttons and the keys under the body.
const BUTTON_ROWS: usize = 3;

/// Cuts a line to `width` characters with an ellipsis, so the buttons never scroll out of view.
fn one_line(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

pub(crate) fn question_lines(what: &Confirm) -> (String, Vec<String>) {
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
            if plan.conflicts > 0 {
                // What the merge (`pipeline::merge::resolve`) calls a conflict, and where the
                // CLI lists each one: the dialog has room for the count only.
                lines.splice(
                    2..2,
                    [
                        "  conflict: a field whose copies disagree; the newest fetch wins".into(),
                        "  each with its values: influx merge BATCH... --dry-run --json".into(),
                    ],
                );
            }
            if plan.unreadable > 0 {
                lines.push(format!(
                    "⚠ {} unreadable lines: the merge will be refused",
                    plan.unreadable
                ));
            }
            for (handle, reason) in plan.blocked.iter().take(BLOCKED_SHOWN) {
                lines.push(format!("  ⚠ @{handle}: {reason}"));
            }
            if plan.blocked.len() > BLOCKED_SHOWN {
                lines.push(format!(
                    "  … and {} more (reasons per record: Esc, then Enter on the author)",
                    plan.blocked.len() - BLOCKED_SHOWN
                ));
            }
            ("Merge pending batches into latest?".into(), lines)
        }
        Confirm::Rollback => (
            "Roll back the last merge?".into(),
            vec!["the dataset before the last merge becomes latest again".into()],
        ),
        Confirm::Harvest { handles, plan } => {
            let question = match handles.as_slice() {
                [one] => format!("Harvest @{one} again?"),
                many => format!("Harvest {} authors?", many.len()),
            };
            let mut lines = plan.lines();
            match handles.as_slice() {
                [one] if plan.free_rereads == 1 => lines.insert(
                    0,
                    format!("@{one} was read today by this data directory: this re-read is free"),
                ),
                [one] => lines.insert(
                    0,
                    format!(
                        "@{one} costs {} if found (not read today)",
                        crate::pipeline::harvest::pricing::format_usd(plan.price_micros)
                    ),
                ),
                _ => {}
            }
            lines.push("this spends rate-limit budget".into());
            (question, lines)
        }
        Confirm::Discover { ask, plan } => {
            let mut lines = plan.lines.clone();
            lines.push("nothing is billed before you choose Discover".into());
            (format!("Discover candidates from {}?", ask.words()), lines)
        }
        Confirm::Quit => (
            "Quit while a harvest is running?".into(),
            vec!["the engine finishes the request in flight and writes its journal".into()],
        ),
    }
}

/// The dialog; `refusal`: why it cannot be accepted (said first, and Cancel is its only button).
pub(crate) fn render(
    what: &Confirm,
    accept_focused: bool,
    refusal: Option<&str>,
    theme: Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let (question, body) = question_lines(what);
    let accept = match what {
        Confirm::Merge(_) => "Merge",
        Confirm::Rollback => "Roll back",
        Confirm::Harvest { .. } => "Harvest",
        Confirm::Discover { .. } => "Discover",
        Confirm::Quit => "Quit",
    };
    let width = DIALOG_WIDTH.min(area.width).saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(why) = refusal {
        // Said in full, before the plan: this is what the operator must act on.
        let words = Line::styled(format!("⚠ {accept} cannot start: {why}"), theme.bad());
        lines.extend(super::scroll_view::wrap(&words, width, 2));
    }
    // Wrapped when the dialog still fits the screen; else one line each, so the buttons stay
    // in view.
    let wrapped: Vec<Line> = body
        .iter()
        .flat_map(|l| super::scroll_view::wrap(&Line::from(l.clone()), width, 2))
        .collect();
    let room = area.height.saturating_sub(2) as usize;
    if lines.len() + wrapped.len() + BUTTON_ROWS <= room {
        lines.extend(wrapped);
    } else {
        lines.extend(body.iter().map(|l| Line::from(one_line(l, width))));
    }
    lines.push(Line::from(""));
    let button = |label: &str, focused: bool| {
        if focused {
            Span::styled(format!("[▶ {label} ◀]"), theme.selected())
        } else {
            Span::raw(format!("[  {label}  ]"))
        }
    };
    if refusal.is_some() {
        lines.push(Line::from(button("Cancel", true)));
        lines.push(Line::styled(
            "Enter or Esc closes · nothing is sent",
            theme.dim(),
        ));
    } else {
        lines.push(Line::from(vec![
            button("Cancel", !accept_focused),
            Span::raw("   "),
            button(accept, accept_focused),
        ]));
        lines.push(Line::styled(
            "Tab switches · Enter chooses · Esc cancels",
            theme.dim(),
        ));
    }
    let h = lines.len() as u16 + 2;
    let r = centered_fixed(area, DIALOG_WIDTH, h);
    frame.render_widget(Clear, r);
    frame.render_widget(Paragraph::new(lines).block(block(question, true, theme)), r);
}
