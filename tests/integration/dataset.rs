//! The dataset layer: records read from the real crisis file are written back without losing a
//! field or a value, `.jsonl.gz` is read and written transparently, and bad lines are reported
//! with their number instead of being dropped.

use std::path::Path;

use influx::dataset::{LineError, read_dataset, write_dataset};

const FIXTURE: &str = "tests/fixtures/latest-2025-11-14.jsonl";

fn original_values() -> Vec<serde_json::Value> {
    std::fs::read_to_string(FIXTURE)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_real_fixture_round_trips_without_losing_a_field_or_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("copy.jsonl");
    let read = read_dataset(Path::new(FIXTURE)).unwrap();
    assert_eq!(read.records.len(), 531);
    assert!(read.errors.is_empty());
    write_dataset(&out, &read.records).unwrap();

    let again = read_dataset(&out).unwrap();
    let written: Vec<serde_json::Value> =
        again.records.into_iter().map(|r| r.into_value()).collect();
    // Map equality ignores key order: canonical order may differ, content may not.
    assert_eq!(written, original_values());
}

#[test]
fn gzip_files_are_written_and_read_transparently() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("copy.jsonl.gz");
    let read = read_dataset(Path::new(FIXTURE)).unwrap();
    write_dataset(&out, &read.records).unwrap();

    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "a real gzip stream");
    let back = read_dataset(&out).unwrap();
    assert_eq!(back.records, read.records);
}

#[test]
fn unknown_fields_anywhere_survive_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.jsonl");
    let line = r#"{"zz_custom":{"a":[1,2.5,"x"]},"handle":"h","meta":{"future_key":true,"score":"100.0"},"ext":{"activity_metrics":{"tweet_count":5}}}"#;
    std::fs::write(&src, format!("{line}\n")).unwrap();
    let out = dir.path().join("out.jsonl");
    write_dataset(&out, &read_dataset(&src).unwrap().records).unwrap();
    let written: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&out).unwrap().trim()).unwrap();
    assert_eq!(
        written,
        serde_json::from_str::<serde_json::Value>(line).unwrap()
    );
}

#[test]
fn bad_lines_are_reported_by_number_and_the_good_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("mixed.jsonl");
    let mut bytes = b"{\"handle\":\"a\"}\n\n[1,2]\n".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, b'\n']);
    bytes.extend_from_slice(b"{\"handle\":\"b\"}\n{\"handle\":");
    std::fs::write(&src, bytes).unwrap();

    let d = read_dataset(&src).unwrap();
    let handles: Vec<_> = d.records.iter().map(|r| r.handle().unwrap()).collect();
    assert_eq!(handles, ["a", "b"]);
    assert_eq!(
        d.lines,
        [1, 5],
        "blank line 2 is not a record but still counts"
    );
    let lines: Vec<usize> = d.errors.iter().map(LineError::line).collect();
    assert_eq!(lines, [3, 4, 6]);
    assert!(matches!(
        d.errors[0],
        LineError::NotAnObject { found: "array", .. }
    ));
    assert!(matches!(d.errors[1], LineError::NotUtf8 { .. }));
    assert!(matches!(d.errors[2], LineError::InvalidJson { .. }));
    assert!(
        d.require_complete(&src).is_err(),
        "an incomplete read is never written back"
    );
}

#[test]
fn a_missing_file_is_an_error_that_names_it() {
    let err = read_dataset(Path::new("no/such/file.jsonl")).unwrap_err();
    assert!(err.to_string().contains("no/such/file.jsonl"), "{err}");
}

/// What `Lines` hands out, as (line number, text or error) pairs.
fn by_lines(path: &Path) -> Vec<(usize, Result<String, LineError>)> {
    influx::dataset::Lines::open(path)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn by_blocks(path: &Path, block_bytes: usize) -> Vec<(usize, Result<String, LineError>)> {
    let mut out = Vec::new();
    for block in influx::dataset::LineBlocks::open(path, block_bytes).unwrap() {
        let block = block.unwrap();
        for k in 0..block.len() {
            let (line, text) = block.line(k);
            out.push((line, text.map(str::to_string)));
        }
    }
    out
}

#[test]
fn line_blocks_hand_out_the_lines_lines_does_whatever_the_block_size() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("odd.jsonl");
    let mut bytes = b"{\"a\":1}\r\n\n   \n  {\"b\":2}  \n".to_vec();
    bytes.extend_from_slice(b"{\"bad\":\"\xff\xfe\"}\n");
    bytes.extend_from_slice(format!("{{\"long\":\"{}\"}}\n", "x".repeat(5000)).as_bytes());
    bytes.extend_from_slice(b"{\"no_newline_at_the_end\":true}");
    std::fs::write(&odd, &bytes).unwrap();
    let gz = dir.path().join("fixture.jsonl.gz");
    write_dataset(&gz, &read_dataset(Path::new(FIXTURE)).unwrap().records).unwrap();

    for path in [Path::new(FIXTURE), odd.as_path(), gz.as_path()] {
        let expected = by_lines(path);
        assert!(!expected.is_empty());
        for block_bytes in [1, 7, 100, 4096, 1 << 22] {
            assert_eq!(
                by_blocks(path, block_bytes),
                expected,
                "{} in blocks of {block_bytes}",
                path.display()
            );
        }
    }
    assert!(
        by_blocks(&odd, 64)
            .iter()
            .any(|(n, t)| *n == 5 && t.is_err())
    );
}

#[test]
fn line_blocks_of_an_empty_file_are_none() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(
        influx::dataset::LineBlocks::open(&empty, 64)
            .unwrap()
            .count(),
        0
    );
}
