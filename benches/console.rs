//! Console speed with a million authors: one frame drawn into a TestBackend at 120x40, a scroll
//! step, a filter keystroke and a sort change. Target (issue 5): a frame under 10 ms.

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use influx::ui::action::Action;
use influx::ui::author::{AuthorRow, RowFlags};
use influx::ui::{App, Settings, render, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Deterministic rows: scores spread over 0-100 with some zeros and unscored, a few duplicates.
fn million_rows(n: usize) -> Vec<AuthorRow> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let score = match state % 20 {
                0 => None,
                1 => Some(0.0),
                s => Some((s as f64 * 5.0 + (state >> 32) as f64 % 5.0).min(100.0)),
            };
            let mut flags = RowFlags::default();
            match score {
                None => flags.insert(RowFlags::UNSCORED),
                Some(0.0) => flags.insert(RowFlags::ZERO),
                _ => {}
            }
            let handle = format!("author_{}", i % (n - n / 50));
            AuthorRow::new(
                &handle,
                &format!("Author {i}"),
                score,
                Some(state % 10_000_000),
                flags,
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let settings = Settings {
        dataset: "bench 1M".into(),
        readonly: false,
        color: true,
    };
    let now = Utc.with_ymd_and_hms(2025, 11, 14, 0, 0, 0).unwrap();
    let mut app = App::new(settings, now).with_rows(million_rows(1_000_000));
    update(&mut app, Action::Resize(120, 40));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();

    let mut group = c.benchmark_group("console_1M_authors");
    group.bench_function("frame_120x40", |b| {
        b.iter(|| {
            terminal.draw(|f| render(black_box(&app), f)).unwrap();
        })
    });
    group.bench_function("scroll_one_row_and_frame", |b| {
        b.iter(|| {
            update(&mut app, Action::Down);
            terminal.draw(|f| render(&app, f)).unwrap();
        })
    });
    group.sample_size(10);
    group.bench_function("filter_keystroke_reindex", |b| {
        b.iter(|| {
            update(&mut app, Action::StartFilter);
            update(&mut app, Action::Type('7'));
            update(&mut app, Action::Back);
            update(&mut app, Action::Back);
        })
    });
    group.bench_function("sort_change_reindex", |b| {
        b.iter(|| update(&mut app, Action::CycleSort))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
