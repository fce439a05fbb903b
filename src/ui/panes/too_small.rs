//! The screen of a terminal too small for the console: the size it needs and the size it has,
//! an open question (so it stays answerable at any size), then what fits of the header, the
//! counters and the hints.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::{command_line, confirm, counters, header};
use crate::ui::app::{App, Mode};
use crate::ui::render::{MIN_HEIGHT, MIN_WIDTH};
use crate::ui::theme::Theme;

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let mut text = vec![
        Line::styled(
            format!("enlarge the terminal to at least {MIN_WIDTH}x{MIN_HEIGHT}"),
            theme.warn(),
        ),
        Line::from(format!("(now {}x{}; q quits)", area.width, area.height)),
    ];
    if let Mode::Confirm {
        what,
        accept_focused,
    } = &app.mode
    {
        let (question, _) = confirm::question_lines(what);
        text.push(Line::from(question));
        let refusal = app.refusal(what);
        if let Some(why) = refusal {
            text.push(Line::styled(format!("cannot start: {why}"), theme.bad()));
        }
        text.push(Line::from(match (refusal, accept_focused) {
            (Some(_), _) => "Enter or Esc closes",
            (None, true) => "focused: YES (Enter) · Tab: Cancel",
            (None, false) => "focused: Cancel (Enter) · Tab: yes",
        }));
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    text.push(header::line(app, theme, area.width));
    text.extend(counters::compact_lines(app, theme, area.width));
    text.push(command_line::hint_line(
        app.settings.readonly,
        false,
        area.width,
        theme,
    ));
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}
