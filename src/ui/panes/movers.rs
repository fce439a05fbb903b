//! The movers overlay: the authors whose score, and those whose followers, changed most between
//! their two newest snapshots, as the history keeps them (read when the dataset is loaded).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{block, centered, day};
use crate::pipeline::history::{Mover, Movers};
use crate::ui::app::App;
use crate::ui::theme::Theme;

fn handle(m: &Mover) -> &str {
    m.handle.as_deref().unwrap_or(&m.id)
}

/// The overlay's text.
pub(crate) fn movers_lines(movers: Option<&Movers>, theme: Theme) -> Vec<Line<'static>> {
    let Some(m) = movers else {
        return vec![Line::from(
            "no history in this data directory yet (DIR/history.sqlite is written by a merge)",
        )];
    };
    if m.by_score.is_empty() && m.by_followers.is_empty() {
        return vec![Line::from("no author has two snapshots yet")];
    }
    let score = |v: Option<f64>| v.map_or("–".to_string(), |s| format!("{s:.1}"));
    let count = |v: Option<u64>| v.map_or("–".to_string(), |n| n.to_string());
    let mut out = vec![Line::styled("Score", theme.title())];
    for x in &m.by_score {
        out.push(Line::from(format!(
            "  @{:<16} {:>6} → {:<6} {:>+7.2}   {} → {}",
            handle(x),
            score(x.score_before),
            score(x.score_after),
            x.score_delta.unwrap_or(0.0),
            day(&x.from),
            day(&x.to)
        )));
    }
    out.push(Line::styled("Followers", theme.title()));
    for x in &m.by_followers {
        out.push(Line::from(format!(
            "  @{:<16} {:>10} → {:<10} {:>+10}   {} → {}",
            handle(x),
            count(x.followers_before),
            count(x.followers_after),
            x.followers_delta.unwrap_or(0),
            day(&x.from),
            day(&x.to)
        )));
    }
    out
}

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let r = centered(area, 80, 90);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(movers_lines(app.movers.as_ref(), theme))
            .wrap(Wrap { trim: false })
            .block(block(
                "Movers since each author's previous snapshot (Esc or M closes)".into(),
                true,
                theme,
            )),
        r,
    );
}
