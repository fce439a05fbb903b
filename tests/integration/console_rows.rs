//! The console's dataset loader against the plain path it replaces: rows read raw from the file
//! equal the rows of the parsed records, bad lines are named by number while the rest loads, and
//! a record read back from the file on selection is the parsed line, shown in the detail pane
//! exactly as a record held in memory.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use influx::cli::console_ops::{load_rows, read_record};
use influx::dataset::{Record, parse_line, read_dataset};
use influx::pipeline::harvest::events::{BatchFigures, HarvestEvent};
use influx::pipeline::score::score_record;
use influx::ui::Action;
use influx::ui::AuthorRow;
use influx::ui::LoadError;
use influx::ui::{App, Settings, render, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const CRISIS: &str = "tests/fixtures/latest-2025-11-14.jsonl";

fn rows_of(records: &[Record]) -> Vec<AuthorRow> {
    records
        .iter()
        .map(|r| AuthorRow::from_record(r, None))
        .collect()
}

fn write_lines(dir: &tempfile::TempDir, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.path().join(name);
    let mut file = std::fs::File::create(&path).unwrap();
    for line in lines {
        writeln!(file, "{line}").unwrap();
    }
    path
}

fn fixture_lines() -> Vec<String> {
    std::fs::read_to_string(CRISIS)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Generated records, half of them scored (scored records carry the `meta` the table reads).
fn generated(n: u64) -> Vec<Record> {
    (0..n)
        .map(|i| {
            let mut r = influx::generate::record(11, i);
            if i % 2 == 0 {
                score_record(&mut r);
            }
            r
        })
        .collect()
}

/// The selected author's record, read again as the detail pane's answer reads it.
fn selected_record(app: &App) -> Result<std::sync::Arc<Record>, influx::dataset::RecordReadError> {
    read_record(&app.records.row(app.selected_row().unwrap()).unwrap())
}

fn app_at(now_secs: i64) -> App {
    let settings = Settings {
        dataset: "test".into(),
        readonly: false,
        color: false,
    };
    App::new(settings, Utc.timestamp_opt(now_secs, 0).unwrap())
}

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| render(app, f)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn rows_loaded_from_the_crisis_fixture_equal_the_rows_of_its_parsed_records() {
    let loaded = load_rows(Path::new(CRISIS)).unwrap();
    let parsed = read_dataset(Path::new(CRISIS)).unwrap();
    assert_eq!(loaded.rows.len(), parsed.records.len());
    assert_eq!(loaded.rows, rows_of(&parsed.records));
    assert_eq!(loaded.bad_lines, parsed.errors);
}

#[test]
fn rows_loaded_from_generated_records_equal_the_rows_of_the_parsed_records_and_are_read_raw() {
    let records = generated(300);
    let lines: Vec<String> = records.iter().map(Record::to_line).collect();
    for line in &lines {
        let parsed = parse_line(1, line).unwrap();
        assert_eq!(
            AuthorRow::from_line(line, None),
            Some(AuthorRow::from_record(&parsed, None)),
            "{line}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write_lines(&dir, "gen.jsonl", &lines);
    let loaded = load_rows(&path).unwrap();
    assert_eq!(loaded.rows, rows_of(&records));
    assert!(loaded.bad_lines.is_empty());
}

#[test]
fn a_bad_line_in_the_middle_is_reported_with_its_number_and_the_other_rows_load() {
    let mut lines = fixture_lines();
    lines.insert(99, "{\"handle\": \"broken\", ".to_string());
    lines.insert(200, "[1, 2, 3]".to_string());
    let dir = tempfile::tempdir().unwrap();
    let path = write_lines(&dir, "latest.jsonl", &lines);

    let loaded = load_rows(&path).unwrap();
    let words: Vec<String> = loaded.bad_line_words().collect();
    assert_eq!(words.len(), 2, "{words:?}");
    let name = path.display().to_string();
    assert!(
        words[0].starts_with(&format!("{name}: line 100: not valid JSON")),
        "{}",
        words[0]
    );
    assert_eq!(
        words[1],
        format!("{name}: line 201: a JSON array, not an object")
    );

    let parsed = read_dataset(Path::new(CRISIS)).unwrap().records;
    assert_eq!(loaded.rows, rows_of(&parsed));
    // The rows after each bad line still find their own records.
    for row in [98, 99, 198, 199, parsed.len() - 1] {
        let record = read_record(&loaded.records.row(row).unwrap()).unwrap();
        assert_eq!(*record, parsed[row], "row {row}");
    }
}

#[test]
fn every_record_read_again_on_selection_equals_its_parsed_line() {
    let mut lines: Vec<String> = generated(120).iter().map(Record::to_line).collect();
    // Blank lines and surrounding spaces are not records and must not shift the places.
    lines.insert(5, String::new());
    lines.insert(40, "   ".to_string());
    lines[60] = format!("  {}\t", lines[60]);
    let dir = tempfile::tempdir().unwrap();
    let path = write_lines(&dir, "latest.jsonl", &lines);
    let loaded = load_rows(&path).unwrap();
    let want: Vec<Record> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| parse_line(n + 1, l.trim()).unwrap())
        .collect();
    assert_eq!(loaded.records.len(), want.len());
    for (row, record) in want.iter().enumerate() {
        assert_eq!(
            *read_record(&loaded.records.row(row).unwrap()).unwrap(),
            *record,
            "row {row}"
        );
    }
    // Asking again for the same row answers from the last read, the same record.
    let again = read_record(&loaded.records.row(want.len() - 1).unwrap()).unwrap();
    assert_eq!(*again, want[want.len() - 1]);
}

#[test]
fn the_detail_pane_shows_the_same_record_read_again_as_held_in_memory() {
    let records = read_dataset(Path::new(CRISIS)).unwrap().records;
    let mut held = app_at(1_763_121_600).with_records(records);
    let mut read = app_at(1_763_121_600).with_loaded(load_rows(Path::new(CRISIS)).unwrap());
    for app in [&mut held, &mut read] {
        update(app, Action::Resize(120, 40));
    }
    for step in 0..6 {
        assert_eq!(
            screen(&held, 120, 40),
            screen(&read, 120, 40),
            "step {step}"
        );
        update(&mut held, Action::OpenDetail);
        update(&mut read, Action::OpenDetail);
        assert_eq!(screen(&held, 80, 24), screen(&read, 80, 24), "step {step}");
        for app in [&mut held, &mut read] {
            update(app, Action::Back);
            update(app, Action::PageDown);
            update(app, Action::Down);
        }
    }
}

#[test]
fn a_record_whose_line_changed_in_place_shows_a_message_in_the_pane_not_a_panic() {
    let lines: Vec<String> = generated(20).iter().map(Record::to_line).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = write_lines(&dir, "latest.jsonl", &lines);
    let mut app = app_at(1_763_121_600).with_loaded(load_rows(&path).unwrap());
    update(&mut app, Action::Resize(120, 40));
    // Rewritten in place (not how the merge store writes, which publishes a new file).
    std::fs::write(&path, "{\"handle\":\"other\"}\n").unwrap();
    let err = selected_record(&app).unwrap_err();
    assert!(
        err.to_string().contains("changed since it was loaded"),
        "{err}"
    );
    update(&mut app, Action::OpenDetail);
    crate::common::answer_details_now(&mut app, &crate::common::ops_without_dir());
    let text = screen(&app, 120, 40);
    assert!(text.contains("the record could not be read"), "{text}");
}

#[test]
fn a_file_replaced_under_the_console_is_still_read_as_loaded_until_the_reload() {
    let first: Vec<String> = generated(10).iter().map(Record::to_line).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = write_lines(&dir, "latest.jsonl", &first);
    let loaded = load_rows(&path).unwrap();
    // A merge publishes the new version under the same name; the old file is not rewritten.
    let next = write_lines(
        &dir,
        "next.jsonl",
        &["{\"handle\":\"new\",\"meta\":{}}".into()],
    );
    std::fs::rename(&next, &path).unwrap();
    let record = read_record(&loaded.records.row(3).unwrap()).unwrap();
    assert_eq!(*record, parse_line(4, &first[3]).unwrap());

    let mut app = app_at(1_763_121_600).with_loaded(loaded);
    app.reload(load_rows(&path).unwrap(), Vec::new());
    assert_eq!(app.rows.len(), 1);
    assert_eq!(selected_record(&app).unwrap().handle(), Some("new"));
}

#[test]
fn a_harvested_record_is_held_in_memory_and_shown_while_the_others_are_read_again() {
    let records = generated(30);
    let lines: Vec<String> = records.iter().map(Record::to_line).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = write_lines(&dir, "latest.jsonl", &lines);
    let mut app = app_at(1_763_121_600).with_loaded(load_rows(&path).unwrap());
    let mut fresh = records[7].clone();
    fresh
        .meta_mut()
        .insert("score".into(), serde_json::json!(99.5));
    let mut new_author = records[8].clone();
    new_author.set("handle", serde_json::json!("brand_new"));
    update(
        &mut app,
        Action::Engine(HarvestEvent::BatchDone {
            batch: 0,
            figures: BatchFigures::default(),
            records: vec![fresh.clone(), new_author.clone()],
            latency: std::time::Duration::from_millis(1),
        }),
    );
    assert_eq!(*read_record(&app.records.row(7).unwrap()).unwrap(), fresh);
    assert_eq!(
        *read_record(&app.records.row(30).unwrap()).unwrap(),
        new_author
    );
    assert_eq!(
        *read_record(&app.records.row(6).unwrap()).unwrap(),
        records[6]
    );
    // The file still holds the old record 7: only the held copy shows the harvest.
    assert_eq!(
        *read_record(&load_rows(&path).unwrap().records.row(7).unwrap()).unwrap(),
        records[7]
    );
}

#[test]
fn a_compressed_file_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latest.jsonl.gz");
    std::fs::write(&path, b"").unwrap();
    let err = load_rows(&path).unwrap_err();
    assert!(matches!(err, LoadError::Compressed { .. }));
    assert!(err.to_string().contains("latest.jsonl.gz"), "{err}");
}
