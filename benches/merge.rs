//! Merge speed: a 10k batch (half updates with newer evidence, half new authors) merged into a
//! stored dataset of 1k, 100k and (with INFLUX_BENCH_1M=1, it needs ~1 GB of disk) 1M records.
//! The updates are either the last 5k stored authors (`into_N`: one long untouched run, copied
//! in the kernel) or 5k spread evenly over the file (`into_N_scattered`: 5k short runs).
//! Plan and apply are timed together, the way `influx merge` runs them. `first_import_N`: a
//! batch of N new authors merged into an empty directory (the first thing an operator does),
//! 1k and 100k (1M with INFLUX_BENCH_1M=1); `N_gz` the same batch gzip-compressed (its rows are
//! read back from a spool of its decompressed bytes).
//! Records here are ~700 bytes (1M ≈ 0.7 GB); `influx gen` + `influx score` records are ~1.9 KB
//! (1M ≈ 1.9 GB), so the README's 10k-into-1M figure is measured on those with the commands there.

use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use influx::pipeline::data_dir::DataDir;
use influx::pipeline::merge::{self, MergeOptions};

const BATCH: usize = 10_000;

fn record(i: usize, fetched: &str, followers: usize) -> String {
    format!(
        concat!(
            r#"{{"id":"{id}","handle":"author_{i}","name":"Author Number {i}","verified":"none","#,
            r#""followers_count":{f},"is_org":false,"is_official":false,"lang_primary":"en","#,
            r#""topic_tags":["ai","rust","systems"],"#,
            r#""description":"writes about distributed systems, compilers and the occasional cat picture {i}","#,
            r#""meta":{{"score":{s}.5,"score_version":"m2-1","last_refresh_at":"{t}","sources":[{{"method":"x_api_v2","#,
            r#""fetched_at":"{t}","evidence":"users lookup batch {b}"}}],"provenance_hash":"{h:064x}","#,
            r#""entry_threshold_passed":true,"quality_score":50.0,"activity_metrics":{{"tweet_count":{tw},"#,
            r#""total_like_count":{lk},"media_count":{md},"listed_count":{ls},"following_count":{fo},"#,
            r#""account_created_at":"2012-03-04T05:06:07Z"}}}}}}"#,
            "\n"
        ),
        id = 1_000_000_000 + i * 7919,
        i = i,
        f = followers,
        s = i % 100,
        t = fetched,
        b = i / 100,
        h = i.wrapping_mul(2_654_435_761),
        tw = i * 3 % 100_000,
        lk = i * 7 % 500_000,
        md = i % 5000,
        ls = i % 3000,
        fo = i % 2000,
    )
}

fn write_lines(path: &Path, authors: impl IntoIterator<Item = usize>, fetched: &str, bump: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in authors {
        out.write_all(record(i, fetched, 1000 + bump + i).as_bytes())
            .unwrap();
    }
    out.flush().unwrap();
}

/// Which stored authors the batch updates.
#[derive(Clone, Copy)]
enum Updates {
    /// The last ones in the file.
    AtTheEnd,
    /// Evenly spread over the file.
    Scattered,
}

/// A stored dataset of `n` records laid out as version 1, and a batch of 10k.
fn setup(dir: &Path, n: usize, updates: Updates) -> (PathBuf, PathBuf) {
    let data = dir.join("data");
    let version = data.join("versions/00000001-bench");
    std::fs::create_dir_all(&version).unwrap();
    let file = version.join("latest.jsonl");
    write_lines(&file, 0..n, "2025-10-01T00:00:00Z", 0);
    let manifest = serde_json::json!({"version": 1, "sha256": merge::sha256_of(&file).unwrap(),
        "count": n, "score_version": "m2-1", "timestamp": "2025-11-01T00:00:00.000Z",
        "rollback_to": null, "history": []});
    std::fs::write(version.join("manifest.json"), manifest.to_string()).unwrap();
    std::os::unix::fs::symlink("versions/00000001-bench", data.join("latest")).unwrap();
    let batch = dir.join("batch.jsonl");
    let updated = (BATCH / 2).min(n);
    let authors: Vec<usize> = match updates {
        Updates::AtTheEnd => (n - updated..n).collect(),
        Updates::Scattered => (0..updated).map(|k| k * (n / updated)).collect(),
    };
    let new = n..n + (BATCH - updated);
    write_lines(
        &batch,
        authors.into_iter().chain(new),
        "2025-11-01T00:00:00Z",
        4000,
    );
    (data, batch)
}

/// Puts version 1 back as the current one, so that every iteration merges into the same data.
fn reset(data: &Path) {
    for entry in std::fs::read_dir(data.join("versions")).unwrap().flatten() {
        if !entry.file_name().to_string_lossy().starts_with("00000001-") {
            std::fs::remove_dir_all(entry.path()).unwrap();
        }
    }
    std::fs::remove_file(data.join("latest")).unwrap();
    std::os::unix::fs::symlink("versions/00000001-bench", data.join("latest")).unwrap();
}

fn bench_merge(c: &mut Criterion) {
    let mut sizes = vec![1_000, 100_000];
    if std::env::var_os("INFLUX_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    let mut group = c.benchmark_group("merge_10k_batch");
    group.sample_size(10);
    let cases = sizes.into_iter().flat_map(|n| {
        [
            (n, Updates::AtTheEnd, ""),
            (n, Updates::Scattered, "_scattered"),
        ]
    });
    for (n, updates, suffix) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let (data, batch) = setup(tmp.path(), n, updates);
        group.bench_function(format!("into_{n}{suffix}"), |b| {
            b.iter_batched(
                || reset(&data),
                |_| plan_and_apply(&data, &batch),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// Plans and applies the merge of `batch` into `data`, flagged records allowed.
fn plan_and_apply(data: &Path, batch: &Path) -> merge::MergeOutcome {
    let options = MergeOptions {
        allow_flagged: true,
        ..MergeOptions::default()
    };
    let data = DataDir::new(data);
    let plan = merge::plan(&data, &[batch.to_path_buf()], &options).unwrap();
    merge::apply(&data, &plan).unwrap()
}

/// A first import: every batch row is a new author, written from its place in the batch.
fn bench_first_import(c: &mut Criterion) {
    let mut sizes = vec![1_000, 100_000];
    if std::env::var_os("INFLUX_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    let mut group = c.benchmark_group("first_import");
    group.sample_size(10);
    for n in sizes {
        let tmp = tempfile::tempdir().unwrap();
        let plain = tmp.path().join("import.jsonl");
        write_lines(&plain, 0..n, "2025-11-01T00:00:00Z", 0);
        let gz = tmp.path().join("import.jsonl.gz");
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        std::io::copy(&mut std::fs::File::open(&plain).unwrap(), &mut enc).unwrap();
        enc.finish().unwrap();
        let data = tmp.path().join("data");
        for (batch, suffix) in [(&plain, ""), (&gz, "_gz")] {
            group.bench_function(format!("{n}{suffix}"), |b| {
                b.iter_batched(
                    || {
                        if data.exists() {
                            std::fs::remove_dir_all(&data).unwrap();
                        }
                    },
                    |_| plan_and_apply(&data, batch),
                    BatchSize::PerIteration,
                )
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_merge, bench_first_import);
criterion_main!(benches);
