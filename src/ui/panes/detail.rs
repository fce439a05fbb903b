//! The detail pane of one author: flags with their evidence, the M2 breakdown with its reasons,
//! metrics and where they came from, the raw API answer if one is stored, then every field.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};
use serde_json::Value;

use super::block;
use crate::dataset::{MetricsOrigin, Record};
use crate::pipeline::audit::check_details;
use crate::pipeline::score;
use crate::ui::app::{App, Mode};
use crate::ui::theme::Theme;

pub fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let focused = app.mode == Mode::Detail;
    let Some(row) = app.selected_row().map(|i| &app.rows[i]) else {
        frame.render_widget(
            Paragraph::new("no author selected").block(block("Detail".into(), focused, theme)),
            area,
        );
        return;
    };
    let mut lines = vec![
        Line::styled(format!("@{} — {}", row.handle, row.name), theme.title()),
        Line::from(format!(
            "score {} · flags {}",
            row.score
                .map_or("unscored".to_string(), |s| format!("{s:.1}")),
            if row.flags.words().is_empty() {
                "none".to_string()
            } else {
                row.flags.words()
            }
        )),
    ];
    match app.selected_record() {
        Some(Ok(record)) => lines.extend(record_lines(&record, theme)),
        Some(Err(e)) => lines.push(Line::styled(
            format!("the record could not be read again: {e}"),
            theme.warn(),
        )),
        None => lines.push(Line::from("(the record itself is not loaded)")),
    }
    if focused {
        frame.render_widget(Clear, area);
    }
    let title = if focused {
        "Detail (j/k scroll, Esc back)"
    } else {
        "Detail (Enter)"
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((app.detail_scroll, 0))
            .block(block(title.into(), focused, theme)),
        area,
    );
}

fn record_lines(record: &Record, theme: Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    out.push(Line::styled("Placeholder flags", theme.title()));
    let details = check_details(record);
    let flags = details.placeholder_flags;
    if flags.is_empty() {
        out.push(Line::from("  none"));
    }
    for f in flags {
        out.push(Line::styled(
            format!("  ⚠ {}: {}", f.detector, f.reason),
            theme.warn(),
        ));
    }

    let violations = details.schema_violations;
    out.push(Line::styled(
        format!("Schema violations {}", violations.len()),
        theme.title(),
    ));
    for v in violations {
        out.push(Line::styled(format!("  ✗ {v}"), theme.warn()));
    }

    out.push(Line::styled("M2 score", theme.title()));
    let meta = record.meta();
    let field = |k: &str| meta.and_then(|m| m.get(k)).map(short_json);
    out.push(Line::from(format!(
        "  stored {} · state {} · version {}",
        field("score").unwrap_or_else(|| "absent".into()),
        field("score_state").unwrap_or_else(|| "–".into()),
        field("score_version").unwrap_or_else(|| "–".into()),
    )));
    let stored_version = meta
        .and_then(|m| m.get("score_version"))
        .and_then(Value::as_str);
    let table = feature_table_lines(record, stored_version, theme);
    match meta.and_then(|m| m.get("score_components")) {
        Some(Value::Object(components)) => {
            let mut table = Some(table);
            for (key, value) in components {
                // Records scored before the table stopped being stored still carry one; the
                // recomputed table stands in for it, so it is not shown twice.
                if key == "features" {
                    continue;
                }
                flatten_at("  ", key, value, &mut out);
                // The table reads best beside the reasons it explains.
                if key == "reasons" {
                    out.extend(table.take().into_iter().flatten());
                }
            }
            out.extend(table.into_iter().flatten());
        }
        Some(other) => {
            flatten_at("  ", "score_components", other, &mut out);
            out.extend(table);
        }
        None => {
            out.push(Line::from(
                "  no breakdown stored (meta.score_components absent)",
            ));
            out.extend(table);
        }
    }

    out.push(Line::styled("Metrics", theme.title()));
    let m = record.metrics();
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
    for s in record.sources() {
        out.push(Line::from(format!(
            "  {} at {} ({})",
            s.method,
            s.fetched_at
                .map_or("unknown time".into(), crate::dataset::format_time),
            s.evidence.unwrap_or_default()
        )));
    }

    out.push(Line::styled("Raw API answer", theme.title()));
    match raw_answer(record) {
        Some(raw) => flatten("  ", raw, &mut out),
        None => match record.sources().iter().find(|s| s.method == "x-api-v2") {
            // Harvests keep raw answers beside the run, not inside every record.
            Some(api) => out.push(Line::from(format!(
                "  in the run's responses.jsonl ({}); meta.provenance_hash is the SHA-256 of the user object",
                api.evidence.as_deref().unwrap_or("batch unknown")
            ))),
            None => out.push(Line::from(
                "  none: this record did not come from an API answer",
            )),
        },
    }

    out.push(Line::styled("All fields", theme.title()));
    flatten("  ", &record.to_canonical(), &mut out);
    out
}

/// The per-feature table, computed from the record with the current model (records do not store
/// it). When the stored score came from other tables, the pane says the table is not theirs.
fn feature_table_lines(
    record: &Record,
    stored_version: Option<&str>,
    theme: Theme,
) -> Vec<Line<'static>> {
    let model = score::model();
    let current = model.version();
    let mut out = vec![Line::from(format!(
        "  features (not stored; computed now with {current}):"
    ))];
    match stored_version {
        Some(stored) if stored != current => out.push(Line::styled(
            format!(
                "  ⚠ this table is from the current tables ({current}), not the ones that \
                 produced the stored score ({stored})"
            ),
            theme.warn(),
        )),
        None => out.push(Line::styled(
            "  ⚠ no stored score_version: this table is from the current tables",
            theme.warn(),
        )),
        Some(_) => {}
    }
    match model.feature_table(&record.view()) {
        Ok(rows) => out.extend(rows.iter().map(|row| {
            Line::from(format!(
                "    {}: {} (reference percentile {})",
                row.feature.key(),
                row.value,
                row.reference_percentile
            ))
        })),
        Err(unscored) => out.push(Line::from(format!("    none: {}", unscored.reason))),
    }
    out
}

/// Where harvested records keep the answer they came from.
fn raw_answer(record: &Record) -> Option<&Value> {
    fn in_obj(v: Option<&serde_json::Map<String, Value>>) -> Option<&Value> {
        let m = v?;
        m.get("raw_response")
            .or_else(|| m.get("raw"))
            .or_else(|| m.get("api_response"))
    }
    in_obj(record.meta())
        .or_else(|| in_obj(record.get("ext").and_then(Value::as_object)))
        .or_else(|| record.get("raw_response"))
}

fn short_json(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One line per leaf, `key.sub: value`, so nested JSON reads without braces.
fn flatten(indent: &str, v: &Value, out: &mut Vec<Line<'static>>) {
    flatten_at(indent, "", v, out);
}

/// [`flatten`] of a value that sits at `path` (`""` = the top).
fn flatten_at(indent: &str, path: &str, v: &Value, out: &mut Vec<Line<'static>>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten_at(indent, &p, v, out);
            }
        }
        Value::Array(a) if !a.is_empty() && a.iter().any(|x| x.is_object()) => {
            for (i, v) in a.iter().enumerate() {
                flatten_at(indent, &format!("{path}[{i}]"), v, out);
            }
        }
        leaf => out.push(Line::from(format!("{indent}{path}: {}", short_json(leaf)))),
    }
}
