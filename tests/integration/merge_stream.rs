//! `influx merge` with batch rows kept by position instead of in memory: the plan, the written
//! file and the manifest are pinned (insta snapshots taken from the merge that held every batch
//! record in memory), for a first import into an empty directory and for a merge into a stored
//! dataset; and a batch that changes between plan and apply is refused.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use influx::dataset::parse_line;
use influx::pipeline::data_dir::DataDir;
use influx::pipeline::merge::{self, MergeError, MergeOptions};
use serde_json::{Value, json};

const FIXTURE: &str = "tests/fixtures/latest-2025-11-14.jsonl";
const PLACEHOLDERS: &str = "tests/fixtures/placeholder-batch.jsonl";

fn fixture_lines() -> Vec<String> {
    std::fs::read_to_string(FIXTURE)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The line as the merge itself writes it (canonical order, compact): such a line can be
/// copied from the batch as it is.
fn canonical(line: &str) -> String {
    parse_line(1, line).unwrap().to_line()
}

fn new_author(i: usize, fetched_at: &str) -> Value {
    json!({
        "id": format!("77{i:06}"), "handle": format!("Fresh_{i}"), "name": format!("Fresh {i}"),
        "verified": "none", "followers_count": 1000 + i, "is_org": false, "is_official": false,
        "lang_primary": "en", "topic_tags": ["ai"],
        "meta": {"score": 12.5, "score_version": "m2-test", "last_refresh_at": fetched_at,
                 "sources": [{"method": "x_api_v2", "fetched_at": fetched_at, "evidence": "pin"}],
                 "provenance_hash": "1".repeat(64), "entry_threshold_passed": true,
                 "quality_score": 0.5}
    })
}

fn write_text(path: &Path, text: &str) -> PathBuf {
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

fn write_gz(path: &Path, text: &str) -> PathBuf {
    let file = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap();
    path.to_path_buf()
}

/// A batch for a first import: real fixture rows as Python wrote them (with the fixture's
/// duplicate handles), the same rows in canonical form, new authors (one sent twice with
/// different evidence, one with its sources out of order, one with fields in another order),
/// placeholder-flagged rows, a schema-invalid row and a row with neither id nor handle.
fn import_batch(dir: &Path) -> PathBuf {
    let fixture = fixture_lines();
    let mut lines: Vec<String> = fixture[..80].to_vec();
    lines.extend(fixture[200..260].iter().map(|l| canonical(l)));
    for i in 0..10 {
        lines.push(canonical(
            &new_author(i, "2025-12-01T00:00:00Z").to_string(),
        ));
    }
    let mut twice = new_author(3, "2025-12-02T00:00:00Z");
    twice["followers_count"] = json!(999_999);
    lines.push(twice.to_string());
    let mut unsorted = new_author(20, "2025-12-01T00:00:00Z");
    unsorted["meta"]["sources"] = json!([
        {"method": "x_api_v2", "fetched_at": "2025-12-03T00:00:00Z", "evidence": "later"},
        {"method": "x_api_v2", "fetched_at": "2025-12-01T00:00:00Z", "evidence": "earlier"}
    ]);
    lines.push(unsorted.to_string());
    lines.push(r#"{"topic_tags":[],"handle":"Reordered","id":"7799","name":"R","verified":"none","followers_count":5,"is_org":false,"is_official":false,"lang_primary":"en","meta":{"score":1.0}}"#.to_string());
    lines.extend(
        std::fs::read_to_string(PLACEHOLDERS)
            .unwrap()
            .lines()
            .take(3)
            .map(str::to_string),
    );
    let mut invalid = new_author(30, "2025-12-01T00:00:00Z");
    invalid["followers_count"] = json!("many");
    lines.push(canonical(&invalid.to_string()));
    lines.push(r#"{"name":"nobody","followers_count":1}"#.to_string());
    let mut text = lines.join("\n");
    text.push_str("\n\n   \n");
    write_text(&dir.join("import.jsonl"), &text)
}

/// A second, compressed batch: newer evidence for a row of the first, and one more author.
fn gz_batch(dir: &Path) -> PathBuf {
    let fixture = fixture_lines();
    let mut update: Value = serde_json::from_str(&fixture[5]).unwrap();
    update["followers_count"] = json!(123);
    update["meta"]["sources"] =
        json!([{"method": "x_api_v2", "fetched_at": "2025-12-05T00:00:00Z", "evidence": "gz"}]);
    let text = format!(
        "{}\n{}\n",
        update,
        canonical(&new_author(40, "2025-12-01T00:00:00Z").to_string())
    );
    write_gz(&dir.join("more.jsonl.gz"), &text)
}

/// The stored dataset is part of the raw fixture as version 1: its first 120 rows and its last
/// 31, which store some authors of the first rows a second time.
pub(crate) fn store_fixture(data: &Path) {
    let version = data.join("versions/00000001-raw");
    std::fs::create_dir_all(&version).unwrap();
    let file = version.join("latest.jsonl");
    let fixture = fixture_lines();
    let rows: Vec<&str> = fixture[..120]
        .iter()
        .chain(&fixture[500..])
        .map(String::as_str)
        .collect();
    std::fs::write(&file, rows.join("\n") + "\n").unwrap();
    let manifest = json!({"version": 1, "sha256": merge::sha256_of(&file).unwrap(),
        "count": rows.len(), "score_version": null, "timestamp": "2025-11-14T00:00:00.000Z",
        "rollback_to": null, "history": []});
    std::fs::write(version.join("manifest.json"), manifest.to_string()).unwrap();
    std::os::unix::fs::symlink("versions/00000001-raw", data.join("latest")).unwrap();
}

/// A batch for a stored dataset: updates with newer evidence (to rows that are stored twice
/// and to rows stored once), a row sent again unchanged, an update sent twice, new authors in
/// canonical and in Python form, an update that makes the record schema-invalid, a flagged row.
pub(crate) fn update_batch(dir: &Path) -> PathBuf {
    let fixture = fixture_lines();
    let mut lines = Vec::new();
    for (i, row) in fixture[..30].iter().enumerate() {
        let mut r: Value = serde_json::from_str(row).unwrap();
        r["followers_count"] = json!(2_000_000 + i);
        r["meta"]["sources"] =
            json!([{"method": "x_api_v2", "fetched_at": "2025-12-01T00:00:00Z", "evidence": "u"}]);
        r.as_object_mut().unwrap().remove("lang_primary");
        lines.push(if i % 2 == 0 {
            canonical(&r.to_string())
        } else {
            r.to_string()
        });
    }
    lines.push(fixture[100].clone());
    lines.push(fixture[101].clone());
    lines.push(canonical(&fixture[3]));
    for i in 0..8 {
        let a = new_author(100 + i, "2025-12-01T00:00:00Z");
        lines.push(if i % 2 == 0 {
            canonical(&a.to_string())
        } else {
            a.to_string()
        });
    }
    let mut broken_update: Value = serde_json::from_str(&fixture[110]).unwrap();
    broken_update["is_org"] = json!("perhaps");
    broken_update["meta"]["sources"] =
        json!([{"method": "x_api_v2", "fetched_at": "2025-12-09T00:00:00Z", "evidence": "bad"}]);
    lines.push(broken_update.to_string());
    lines.push(
        std::fs::read_to_string(PLACEHOLDERS)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string(),
    );
    let text = lines.join("\n") + "\n";
    write_text(&dir.join("update.jsonl"), &text)
}

/// Text with the temporary directory and the time and person of the merge made fixed.
fn fixed(text: &str, tmp: &Path) -> String {
    let text = text.replace(&tmp.display().to_string(), "<TMP>");
    let mut v: Vec<String> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("\"timestamp\":") || trimmed.starts_with("\"by\":") {
            let indent = &line[..line.len() - trimmed.len()];
            let key = trimmed.split(':').next().unwrap();
            let comma = if trimmed.ends_with(',') { "," } else { "" };
            v.push(format!("{indent}{key}: \"<fixed>\"{comma}"));
        } else {
            v.push(line.to_string());
        }
    }
    v.join("\n")
}

/// The whole plan as JSON (what the console is shown), the written file and the manifest.
fn plan_and_apply(tmp: &Path, data: &Path, batches: &[PathBuf]) -> (String, String, String) {
    let plan = merge::plan(
        &DataDir::new(data),
        batches,
        &MergeOptions {
            allow_flagged: true,
            ..MergeOptions::default()
        },
    )
    .unwrap();
    let plan_json = fixed(&serde_json::to_string_pretty(&plan).unwrap(), tmp);
    merge::apply(&DataDir::new(data), &plan).unwrap();
    let written = std::fs::read_to_string(data.join("latest/latest.jsonl")).unwrap();
    let manifest = fixed(
        &std::fs::read_to_string(data.join("latest/manifest.json")).unwrap(),
        tmp,
    );
    (plan_json, written, manifest)
}

fn cli_dry_run(tmp: &Path, data: &Path, batches: &[PathBuf]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_influx"))
        .arg("merge")
        .args(batches)
        .arg("--data")
        .arg(data)
        .args(["--allow-flagged", "--dry-run", "--json"])
        .output()
        .unwrap();
    format!(
        "exit {:?}\n{}",
        out.status.code(),
        fixed(&String::from_utf8_lossy(&out.stdout), tmp)
    )
}

#[test]
fn a_first_import_into_an_empty_dir_plans_and_writes_what_the_in_memory_merge_did() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let batches = [import_batch(tmp.path()), gz_batch(tmp.path())];
    insta::assert_snapshot!("first_import_cli", cli_dry_run(tmp.path(), &data, &batches));
    let (plan, written, manifest) = plan_and_apply(tmp.path(), &data, &batches);
    insta::assert_snapshot!("first_import_plan", plan);
    insta::assert_snapshot!("first_import_written", written);
    insta::assert_snapshot!("first_import_manifest", manifest);
}

#[test]
fn a_merge_into_a_stored_dataset_plans_and_writes_what_the_in_memory_merge_did() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    store_fixture(&data);
    let batches = [update_batch(tmp.path()), gz_batch(tmp.path())];
    insta::assert_snapshot!("stored_merge_cli", cli_dry_run(tmp.path(), &data, &batches));
    let (plan, written, manifest) = plan_and_apply(tmp.path(), &data, &batches);
    insta::assert_snapshot!("stored_merge_plan", plan);
    insta::assert_snapshot!("stored_merge_written", written);
    insta::assert_snapshot!("stored_merge_manifest", manifest);
}

#[test]
fn unreadable_batch_lines_are_each_reported_with_their_line_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let fixture = fixture_lines();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(canonical(&fixture[0]).as_bytes());
    bytes.extend_from_slice(b"\n{\"id\": \"1\", \"handle\": \n\n[1, 2]\n");
    bytes.extend_from_slice(b"{\"handle\": \"caf\xe9\"}\n");
    bytes.extend_from_slice(
        canonical(&new_author(1, "2025-12-01T00:00:00Z").to_string()).as_bytes(),
    );
    bytes.extend_from_slice(b"\n\"just a string\"");
    let bad = tmp.path().join("bad.jsonl");
    std::fs::write(&bad, &bytes).unwrap();
    let empty = write_text(&tmp.path().join("empty.jsonl"), "\n\n");
    let missing = tmp.path().join("missing.jsonl");
    let batches = [bad, empty, missing];
    insta::assert_snapshot!("unreadable_cli", cli_dry_run(tmp.path(), &data, &batches));
    let plan = merge::plan(&DataDir::new(&data), &batches, &MergeOptions::default()).unwrap();
    insta::assert_snapshot!(
        "unreadable_plan",
        fixed(&serde_json::to_string_pretty(&plan).unwrap(), tmp.path())
    );
    let refused = merge::apply(&DataDir::new(&data), &plan).unwrap_err();
    assert!(
        matches!(refused, MergeError::Unreadable { count: 6, .. }),
        "{refused}"
    );
    assert!(!data.exists(), "nothing was written");
}

/// Everything an outside observer can see of a dataset directory.
fn dir_state(data: &Path) -> (Option<PathBuf>, Vec<String>, String) {
    let link = std::fs::read_link(data.join("latest")).ok();
    let mut versions: Vec<String> = std::fs::read_dir(data.join("versions"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    versions.sort();
    let sha = merge::sha256_of(&data.join("latest/latest.jsonl")).unwrap();
    (link, versions, sha)
}

fn allow_flagged() -> MergeOptions {
    MergeOptions {
        allow_flagged: true,
        ..MergeOptions::default()
    }
}

#[test]
fn a_batch_changed_between_plan_and_apply_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    store_fixture(&data);
    let batch = import_batch(tmp.path());
    let original = std::fs::read(&batch).unwrap();
    let before = dir_state(&data);

    let refused_after = |change: &dyn Fn()| {
        std::fs::write(&batch, &original).unwrap();
        let plan = merge::plan(
            &DataDir::new(&data),
            std::slice::from_ref(&batch),
            &allow_flagged(),
        )
        .unwrap();
        change();
        let refused = merge::apply(&DataDir::new(&data), &plan).unwrap_err();
        assert!(
            matches!(&refused, MergeError::BatchChanged { path, .. } if *path == batch),
            "{refused}"
        );
        assert_eq!(dir_state(&data), before, "nothing was written");
        refused.to_string()
    };

    let grown = refused_after(&|| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&batch)
            .unwrap();
        writeln!(f, "{}", new_author(50, "2025-12-01T00:00:00Z")).unwrap();
    });
    assert!(grown.contains("changed since the plan"), "{grown}");
    assert!(grown.contains("nothing was written"), "{grown}");

    // The same length, other bytes: told apart by the modification time.
    let rewritten = refused_after(&|| {
        let mut text = original.clone();
        let at = text.iter().position(|b| b.is_ascii_digit()).unwrap();
        text[at] = if text[at] == b'9' { b'8' } else { text[at] + 1 };
        std::fs::write(&batch, &text).unwrap();
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&batch)
            .unwrap()
            .set_modified(later)
            .unwrap();
    });
    assert!(rewritten.contains("modified"), "{rewritten}");

    // The same bytes in another file moved over it: a different file all the same.
    let replaced = refused_after(&|| {
        let other = tmp.path().join("other.jsonl");
        std::fs::write(&other, &original).unwrap();
        std::fs::rename(&other, &batch).unwrap();
    });
    assert!(replaced.contains("replaced"), "{replaced}");

    // Planned again, the batch merges as it now stands.
    let plan = merge::plan(
        &DataDir::new(&data),
        std::slice::from_ref(&batch),
        &allow_flagged(),
    )
    .unwrap();
    let outcome = merge::apply(&DataDir::new(&data), &plan).unwrap();
    assert!(outcome.written);
    assert_eq!(outcome.count, plan.count_after);
}

#[test]
fn new_authors_written_from_their_batch_rows_read_back_as_the_records_merged_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let batch = import_batch(tmp.path());
    let plan = merge::plan(
        &DataDir::new(&data),
        std::slice::from_ref(&batch),
        &allow_flagged(),
    )
    .unwrap();
    merge::apply(&DataDir::new(&data), &plan).unwrap();
    let written = std::fs::read_to_string(data.join("latest/latest.jsonl")).unwrap();
    let batch_text = std::fs::read_to_string(&batch).unwrap();
    // A canonical row of a new author is copied as it stands; a row in another field order
    // is written in canonical order.
    let fresh = canonical(&new_author(0, "2025-12-01T00:00:00Z").to_string());
    assert!(batch_text.lines().any(|l| l == fresh));
    assert!(written.lines().any(|l| l == fresh));
    let reordered = batch_text
        .lines()
        .find(|l| l.contains("\"Reordered\""))
        .unwrap();
    assert!(!written.lines().any(|l| l == reordered));
    assert!(written.lines().any(|l| l == canonical(reordered)));
}

/// A large compressed batch (several read blocks, long verbatim runs copied in the kernel from
/// its spool, CRLF and blank lines, reordered rows, no final newline) and a second compressed
/// batch write exactly what the same batches un-gzipped write.
#[test]
fn compressed_batches_write_exactly_what_their_plain_copies_write() {
    let tmp = tempfile::tempdir().unwrap();
    let mut plain_text = String::new();
    for i in 0..40000 {
        let line = canonical(&new_author(i, "2025-12-01T00:00:00Z").to_string());
        if i % 997 == 0 {
            // Not verbatim: its fields are reordered and one is added.
            let v: Value = serde_json::from_str(&line).unwrap();
            let mut m = serde_json::Map::new();
            m.insert("zz".into(), json!(1));
            for (k, x) in v.as_object().unwrap().iter().rev() {
                m.insert(k.clone(), x.clone());
            }
            plain_text.push_str(&Value::Object(m).to_string());
        } else {
            plain_text.push_str(&line);
        }
        plain_text.push_str(match i % 1500 {
            7 => "\r\n",
            8 => "\n\n  \n",
            _ => "\n",
        });
    }
    plain_text.pop(); // No final newline.
    let second: String = (40000..40100)
        .map(|i| canonical(&new_author(i, "2025-12-01T00:00:00Z").to_string()) + "\n")
        .collect();
    let p1 = write_text(&tmp.path().join("a.jsonl"), &plain_text);
    let p2 = write_text(&tmp.path().join("b.jsonl"), &second);
    let g1 = write_gz(&tmp.path().join("a.jsonl.gz"), &plain_text);
    let g2 = write_gz(&tmp.path().join("b.jsonl.gz"), &second);
    assert!(plain_text.len() > 8 << 20);
    let mut shas = Vec::new();
    for (name, batches) in [("plain", [p1, p2]), ("gz", [g1, g2])] {
        let data = tmp.path().join(name);
        let plan = merge::plan(&DataDir::new(&data), &batches, &allow_flagged()).unwrap();
        assert!(plan.unreadable.is_empty(), "{:?}", plan.unreadable);
        let out = merge::apply(&DataDir::new(&data), &plan).unwrap();
        shas.push((out.sha256, out.count));
    }
    assert_eq!(shas[0], shas[1]);
}
