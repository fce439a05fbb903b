//! The detail pane of one author: flags with their evidence, the M2 breakdown with its reasons,
//! metrics and where they came from, the raw API answer if one is stored, then every field;
//! above them, when the history holds the author, the followers over time (a sparkline) and the
//! growth per day.
//! It only reads state: what it shows was computed when the selection changed
//! (`pipeline::audit::author_detail`, asked for by the reducer, answered into `App::detail`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Sparkline};

use super::{block, day};
use crate::dataset::MetricsOrigin;
use crate::pipeline::audit::{
    AuthorDetail, Components, CustodyChain, FeatureTable, Leaf, RawAnswer,
};
use crate::pipeline::custody::Custody;
use crate::pipeline::history::SinceStored;
use crate::ui::app::{App, Mode, Zoomed};
use crate::ui::detail_answer::Timeline;
use crate::ui::theme::Theme;
use crate::ui::wrap::wrap_lines;

pub(crate) fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let focused = app.mode == Mode::Detail;
    if focused {
        frame.render_widget(Clear, area);
    }
    let title = match (focused, app.zoomed == Some(Zoomed::Detail)) {
        (true, true) => "Detail (j/k scroll, z back to the panes, Esc back)",
        (true, false) => "Detail (j/k scroll, z full screen, Esc back)",
        (false, _) => "Detail (Enter)",
    };
    let outer = block(title.into(), focused, theme);
    let inner = outer.inner(area);
    let Some(laid) = lay_out(app, theme, inner) else {
        frame.render_widget(Paragraph::new("no author selected").block(outer), area);
        return;
    };
    let scroll = app.detail_scroll.min(laid.max_scroll());
    let below = laid
        .rows
        .len()
        .saturating_sub(usize::from(scroll) + usize::from(laid.text.height));
    let outer = match (scroll, below) {
        (0, 0) => outer,
        (0, n) => outer.title_bottom(Line::from(format!(" ↓ {n} more ")).right_aligned()),
        (up, 0) => outer.title_bottom(Line::from(format!(" ↑ {up} above ")).right_aligned()),
        (up, n) => {
            outer.title_bottom(Line::from(format!(" ↑ {up} above · ↓ {n} more ")).right_aligned())
        }
    };
    frame.render_widget(outer, area);
    if let Some((label, spark)) = laid.band
        && let Some(Ok(t)) = app.selected_row().and_then(|r| app.timeline_of(r))
    {
        frame.render_widget(Paragraph::new(timeline_label(t, theme, label.width)), label);
        let data: Vec<Option<u64>> = t.snapshots.iter().map(|s| s.followers_count).collect();
        frame.render_widget(
            Sparkline::default()
                .data(&data)
                .style(theme.good())
                .absent_value_symbol("·"),
            spark,
        );
    }
    frame.render_widget(Paragraph::new(laid.rows).scroll((scroll, 0)), laid.text);
}

/// The pane's text in rows of its width, where it goes, and the followers band above it.
struct Laid {
    rows: Vec<Line<'static>>,
    text: Rect,
    /// The label and sparkline areas of the followers over time, when drawn.
    band: Option<(Rect, Rect)>,
}

impl Laid {
    /// The furthest the text scrolls: its last row at the bottom of the pane.
    fn max_scroll(&self) -> u16 {
        let over = self
            .rows
            .len()
            .saturating_sub(usize::from(self.text.height));
        u16::try_from(over).unwrap_or(u16::MAX)
    }
}

/// How far the detail of the selected author scrolls in a pane whose inside is `inner` (the
/// reducer stops `j` there, so that `k` answers at once).
pub(crate) fn max_scroll(app: &App, inner: Rect) -> u16 {
    lay_out(app, Theme::new(app.settings.color), inner).map_or(0, |l| l.max_scroll())
}

/// The selected author's detail laid out in `inner`; `None` when no author is selected.
fn lay_out(app: &App, theme: Theme, inner: Rect) -> Option<Laid> {
    let row_index = app.selected_row()?;
    let row = &app.rows[row_index];
    let mut lines = vec![
        Line::styled(format!("@{} — {}", row.handle, row.name), theme.title()),
        Line::from(format!(
            "score {} · flags {}",
            match (row.ranked_score(), row.score) {
                (Some(s), _) => format!("{s:.1}"),
                (None, Some(stored)) =>
                    format!("unscored (stored legacy score {stored:.1}, not M2)"),
                (None, None) => "unscored".to_string(),
            },
            if row.flags.words().is_empty() {
                "none".to_string()
            } else {
                row.flags.words()
            }
        )),
    ];
    match app.detail_of(row_index) {
        Some(Ok(detail)) => lines.extend(detail_lines(detail, theme)),
        Some(Err(e)) => lines.push(Line::styled(
            format!("the record could not be read again: {e}"),
            theme.warn(),
        )),
        None => lines.push(Line::from("(reading the record…)")),
    }
    let mut text = inner;
    let mut band = None;
    if let Some(t) = app.timeline_of(row_index) {
        if let Ok(t) = t
            && t.snapshots.len() > 1
            && inner.height >= 7
        {
            // The followers over time on top, in a band that does not scroll away.
            let [label, spark, rest] = Layout::vertical([
                Constraint::Length(1),
                Constraint::Length(2),
                Constraint::Min(1),
            ])
            .areas(inner);
            band = Some((label, spark));
            text = rest;
        }
        lines.splice(2..2, timeline_lines(t, theme));
    }
    if let Some(since) = app.since_stored_of(row_index) {
        // Right under the title: after `r`, what the fresh answer changed is the news.
        lines.splice(2..2, since_lines(since, theme));
    }
    Some(Laid {
        rows: wrap_lines(&lines, usize::from(text.width)),
        text,
        band,
    })
}

/// The line above the sparkline: snapshots, followers first to last, change per day; the
/// snapshot count goes first when the row is too narrow (the band does not wrap), then the rest
/// is cut with `…`.
fn timeline_label(t: &Timeline, theme: Theme, width: u16) -> Line<'static> {
    let first = t.snapshots.first().and_then(|s| s.followers_count);
    let last = t.snapshots.last().and_then(|s| s.followers_count);
    let count = |v: Option<u64>| v.map_or("–".to_string(), |n| n.to_string());
    let per_day = t
        .growth
        .followers_per_day
        .map_or(String::new(), |d| format!(" ({d:+.1}/day)"));
    let style = if t.growth.flags.is_empty() {
        theme.title()
    } else {
        theme.warn()
    };
    let width = usize::from(width);
    let whole = format!(
        "followers over {} snapshots: {} → {}{per_day}",
        t.snapshots.len(),
        count(first),
        count(last)
    );
    let short = format!("followers {} → {}{per_day}", count(first), count(last));
    let text = if crate::ui::wrap::width(&whole) <= width {
        whole
    } else {
        crate::ui::wrap::cut(&short, width)
    };
    Line::styled(text, style)
}

/// What the re-harvest changed against the stored record, count by count and for the score,
/// and the raw answer it came from.
fn since_lines(since: Result<&SinceStored, &str>, theme: Theme) -> Vec<Line<'static>> {
    let s = match since {
        Ok(s) => s,
        Err(e) => {
            return vec![Line::styled(
                format!("the stored record could not be read again: {e}"),
                theme.warn(),
            )];
        }
    };
    let when = |at: &Option<String>| at.as_deref().map_or("unknown", day).to_string();
    let span = s.days.map_or("time between unknown".to_string(), |d| {
        format!("{d:.1} days")
    });
    let mut out = vec![Line::styled(
        format!(
            "Re-harvested: {} → {} ({span})",
            when(&s.before_at),
            when(&s.after_at)
        ),
        theme.title(),
    )];
    if s.unchanged() {
        out.push(Line::from("  no count and not the score changed"));
    }
    let count = |v: Option<u64>| v.map_or("absent".to_string(), |n| n.to_string());
    let per_day = |d: Option<f64>| d.map_or(String::new(), |d| format!(", {d:+.1}/day"));
    for c in s.counts.iter().filter(|c| c.before != c.after) {
        let delta = c
            .delta()
            .map_or(String::new(), |d| format!(" ({d:+}{})", per_day(c.per_day)));
        out.push(Line::from(format!(
            "  {} {} → {}{delta}",
            // The pane's words for the counts, as the history lines say them.
            match c.metric {
                "tweet_count" => "posts",
                m => m.trim_end_matches("_count"),
            },
            count(c.before),
            count(c.after)
        )));
    }
    if s.score_before != s.score_after {
        let score = |v: Option<f64>| v.map_or("unscored".to_string(), |x| format!("{x:.1}"));
        // A score moves by hundredths a day: one decimal would say "-0.0/day".
        let per_day = s
            .score_per_day
            .map_or(String::new(), |d| format!(", {d:+.2}/day"));
        let delta = s
            .score_delta()
            .map_or(String::new(), |d| format!(" ({d:+.1}{per_day})"));
        out.push(Line::from(format!(
            "  score {} → {}{delta}",
            score(s.score_before),
            score(s.score_after)
        )));
    }
    match &s.answer {
        Some(a) => out.push(Line::from(format!(
            "  answer: runs/{}/responses.jsonl line {}",
            a.run, a.response_line
        ))),
        None => out.push(Line::styled(
            "  answer: the record names no raw answer",
            theme.warn(),
        )),
    }
    out
}

/// The history in words: the score's path, the growth flags, each interval's change per day.
fn timeline_lines(t: Result<&Timeline, &str>, theme: Theme) -> Vec<Line<'static>> {
    let t = match t {
        Ok(t) => t,
        Err(e) => {
            return vec![Line::styled(
                format!("history not readable: {e}"),
                theme.warn(),
            )];
        }
    };
    let mut out = vec![Line::styled("History", theme.title())];
    let score = |v: Option<f64>| v.map_or("unscored".to_string(), |s| format!("{s:.1}"));
    if let (Some(first), Some(last)) = (t.snapshots.first(), t.snapshots.last()) {
        out.push(Line::from(format!(
            "  {} snapshot(s), {} → {}; score {} → {}",
            t.snapshots.len(),
            day(&first.fetched_at),
            day(&last.fetched_at),
            score(first.score),
            score(last.score)
        )));
    }
    for f in &t.growth.flags {
        out.push(Line::styled(
            format!("  ⚠ {}: {}", f.kind, f.reason),
            theme.warn(),
        ));
    }
    let per = |v: Option<f64>| v.map_or("–".to_string(), |d| format!("{d:+.1}"));
    for c in &t.growth.changes {
        out.push(Line::from(format!(
            "  {} → {} ({:.1} d): followers {}/d, posts {}/d, score {}",
            day(&c.from),
            day(&c.to),
            c.days,
            per(c.followers_per_day),
            per(c.tweets_per_day),
            per(c.score_delta)
        )));
    }
    out
}

fn detail_lines(d: &AuthorDetail, theme: Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    out.push(Line::styled("Placeholder flags", theme.title()));
    if d.placeholder_flags.is_empty() {
        out.push(Line::from("  none"));
    }
    for (detector, reason) in &d.placeholder_flags {
        out.push(Line::styled(
            format!("  ⚠ {detector}: {reason}"),
            theme.warn(),
        ));
    }

    out.push(Line::styled(
        format!("Schema violations {}", d.schema_violations.len()),
        theme.title(),
    ));
    for v in &d.schema_violations {
        out.push(Line::styled(format!("  ✗ {v}"), theme.warn()));
    }

    out.extend(custody_lines(&d.custody, theme));

    out.push(Line::styled("M2 score", theme.title()));
    out.push(Line::from(format!(
        "  stored {} · state {} · version {}",
        d.stored_score.as_deref().unwrap_or("absent"),
        d.score_state.as_deref().unwrap_or("–"),
        d.score_version.as_deref().unwrap_or("–"),
    )));
    let table = feature_table_lines(&d.features, d.score_version.as_deref(), theme);
    match &d.components {
        Components::Keys(keys) => {
            let mut table = Some(table);
            for (key, leaves) in keys {
                out.extend(leaf_lines("  ", leaves));
                // The table reads best beside the reasons it explains.
                if key == "reasons" {
                    out.extend(table.take().into_iter().flatten());
                }
            }
            out.extend(table.into_iter().flatten());
        }
        Components::Other(leaves) => {
            out.extend(leaf_lines("  ", leaves));
            out.extend(table);
        }
        Components::Absent => {
            out.push(Line::from(
                "  no breakdown stored (meta.score_components absent)",
            ));
            out.extend(table);
        }
    }

    out.push(Line::styled("Metrics", theme.title()));
    let m = &d.metrics;
    let show = |v: Option<u64>| v.map_or("absent".to_string(), |n| n.to_string());
    let origin = match m.origin {
        Some(MetricsOrigin::PublicMetrics) => "public_metrics (API shape)",
        Some(MetricsOrigin::MetaActivity) => "meta.activity_metrics",
        Some(MetricsOrigin::ExtActivity) => "ext.activity_metrics",
        Some(MetricsOrigin::FollowersOnly) => "followers_count only",
        Some(MetricsOrigin::None) | None => "nowhere: no metrics",
    };
    out.push(Line::from(format!("  from {origin}")));
    out.push(Line::from(format!(
        "  followers {} · following {} · tweets {}",
        show(m.followers),
        show(m.following),
        show(m.tweets)
    )));
    out.push(Line::from(format!(
        "  listed {} · likes {} · media {}",
        show(m.listed),
        show(m.likes),
        show(m.media)
    )));
    let missing = m.missing();
    if !missing.is_empty() {
        out.push(Line::styled(
            format!("  missing: {}", missing.join(", ")),
            theme.warn(),
        ));
    }

    out.push(Line::styled("Sources", theme.title()));
    for s in &d.sources {
        out.push(Line::from(format!(
            "  {} at {} ({})",
            s.method,
            s.fetched_at
                .map_or("unknown time".into(), crate::dataset::format_time),
            s.evidence
        )));
    }

    out.push(Line::styled("Raw API answer", theme.title()));
    match &d.raw_answer {
        RawAnswer::Inline(leaves) => out.extend(leaf_lines("  ", leaves)),
        // Harvests keep raw answers beside the run, not inside every record.
        RawAnswer::InRun { evidence } => out.push(Line::from(format!(
            "  in the run's responses.jsonl ({evidence}); meta.provenance_hash is the SHA-256 of the user object"
        ))),
        RawAnswer::None => out.push(Line::from(
            "  none: this record did not come from an API answer",
        )),
    }

    out.push(Line::styled("All fields", theme.title()));
    out.extend(leaf_lines("  ", &d.fields));
    out
}

/// What proving the record against its answers said, then the answers it names (newest first),
/// and on a mismatch each field with both values.
fn custody_lines(chain: &CustodyChain, theme: Theme) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled("Custody", theme.title())];
    match &chain.outcome {
        None => out.push(Line::from(
            "  not proved: the console was opened without the runs' answers",
        )),
        Some(Custody::NotClaimed) => out.push(Line::from("  no API source claimed")),
        Some(c @ Custody::Verified { .. }) => {
            out.push(Line::styled(format!("  ✓ {}", c.words()), theme.good()))
        }
        Some(Custody::Unverifiable { reason }) => out.push(Line::styled(
            format!("  ⚠ unverifiable: {reason}"),
            theme.warn(),
        )),
        Some(Custody::Mismatch {
            run,
            response_line,
            diffs,
            reason,
        }) => {
            out.push(Line::styled(
                format!("  ✗ mismatch with run {run}, responses.jsonl line {response_line}"),
                theme.warn(),
            ));
            if let Some(reason) = reason {
                out.push(Line::styled(format!("    {reason}"), theme.warn()));
            }
            for d in diffs {
                out.push(Line::styled(
                    format!("    {}: record {} ≠ answer {}", d.field, d.record, d.answer),
                    theme.warn(),
                ));
            }
        }
    }
    match &chain.refs {
        Err(why) => out.push(Line::styled(
            format!("  meta.custody unreadable: {why}"),
            theme.warn(),
        )),
        Ok(refs) if refs.is_empty() => out.push(Line::from("  names no answer (no meta.custody)")),
        Ok(refs) => out.extend(refs.iter().map(|r| {
            Line::from(format!(
                "  ← run {} · responses.jsonl line {} · sha256 {} · fetched {}",
                r.run,
                r.response_line,
                r.sha256,
                r.fetched_at.as_deref().unwrap_or("at an unknown time")
            ))
        })),
    }
    out
}

/// The per-feature table, computed from the record with the current model (records do not store
/// it). When the stored score came from other tables, the pane says the table is not theirs.
fn feature_table_lines(
    table: &FeatureTable,
    stored_version: Option<&str>,
    theme: Theme,
) -> Vec<Line<'static>> {
    let mut out = vec![Line::from(format!(
        "  features (not stored; computed now with {}):",
        table.model_version
    ))];
    if let Some(warning) = table.version_warning(stored_version) {
        out.push(Line::styled(format!("  ⚠ {warning}"), theme.warn()));
    }
    match &table.rows {
        Ok(rows) => out.extend(rows.iter().map(|(feature, value, percentile)| {
            Line::from(format!(
                "    {feature}: {value} (reference percentile {percentile})"
            ))
        })),
        Err(reason) => out.push(Line::from(format!("    none: {reason}"))),
    }
    out
}

/// One line per leaf, `key.sub: value`, so nested JSON reads without braces. A list reads as
/// words: short items on one line (`topics: ai, rust`), longer ones (reasons are sentences,
/// with commas of their own) one per line under their key.
fn leaf_lines(indent: &str, leaves: &[(String, Leaf)]) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (path, leaf) in leaves {
        match leaf {
            Leaf::One(value) => out.push(Line::from(format!("{indent}{path}: {value}"))),
            Leaf::List(items) if items.is_empty() => {
                out.push(Line::from(format!("{indent}{path}: (empty list)")))
            }
            Leaf::List(items) if items.iter().all(|i| is_word(i)) => {
                out.push(Line::from(format!("{indent}{path}: {}", items.join(", "))))
            }
            Leaf::List(items) => {
                out.push(Line::from(format!("{indent}{path}:")));
                out.extend(
                    items
                        .iter()
                        .map(|item| Line::from(format!("{indent}  • {item}"))),
                );
            }
        }
    }
    out
}

/// A list item short enough, and free of commas, to stand in a comma-separated line.
fn is_word(item: &str) -> bool {
    item.chars().count() <= 24 && !item.contains(',')
}
