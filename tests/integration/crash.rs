//! A merge killed with SIGKILL at any instant leaves the old dataset or the new one, always
//! matching its manifest, and nothing half-written that looks like a dataset. The real binary
//! is killed at random delays, over and over.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use influx::pipeline::data_dir::DataDir;
use influx::pipeline::merge::{self, manifest::Manifest};

const KILLS: usize = 30;

/// A small deterministic generator (xorshift): the kill delays differ run to run only by seed.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn record(i: usize, fetched: &str, followers: u64) -> String {
    format!(
        concat!(
            r#"{{"id":"{id}","handle":"author_{i}","name":"Author {i}","verified":"none","#,
            r#""followers_count":{f},"is_org":false,"is_official":false,"lang_primary":"en","#,
            r#""topic_tags":["ai","rust"],"description":"writes about systems, number {i}","#,
            r#""meta":{{"score":{s}.5,"last_refresh_at":"{t}","sources":[{{"method":"x_api_v2","#,
            r#""fetched_at":"{t}","evidence":"users lookup"}}],"provenance_hash":"{h:064x}","#,
            r#""entry_threshold_passed":true,"quality_score":50.0}}}}"#,
            "\n"
        ),
        id = 10_000_000 + i,
        i = i,
        f = followers,
        s = i % 100,
        t = fetched,
        h = i
    )
}

fn write_file(path: &Path, lines: impl Iterator<Item = String>) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for l in lines {
        out.write_all(l.as_bytes()).unwrap();
    }
    out.flush().unwrap();
}

fn influx(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_influx"))
        .args(args)
        .output()
        .unwrap()
}

/// Checks what a reader would see now; returns the sha256 of the current dataset.
fn check_consistent(data: &Path, allowed: &HashSet<String>, round: usize) -> String {
    let link = std::fs::read_link(data.join("latest"))
        .unwrap_or_else(|e| panic!("round {round}: latest does not resolve: {e}"));
    assert!(link.is_relative(), "round {round}: {link:?}");
    let manifest = Manifest::read(&data.join("latest/manifest.json"))
        .unwrap_or_else(|e| panic!("round {round}: {e}"));
    let file = data.join("latest/latest.jsonl");
    let sha = merge::sha256_of(&file).unwrap();
    assert_eq!(
        sha, manifest.sha256,
        "round {round}: file and manifest disagree"
    );
    let count = std::fs::read_to_string(&file).unwrap().lines().count() as u64;
    assert_eq!(count, manifest.count, "round {round}: count disagrees");
    assert!(
        allowed.contains(&sha),
        "round {round}: the dataset is neither the old one nor the new one"
    );
    // Every version with a visible name is complete: half-written ones stay hidden.
    for entry in std::fs::read_dir(data.join("versions")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let m = Manifest::read(&entry.path().join("manifest.json"))
            .unwrap_or_else(|e| panic!("round {round}: visible version {name} is incomplete: {e}"));
        let version_sha = merge::sha256_of(&entry.path().join("latest.jsonl")).unwrap();
        assert_eq!(version_sha, m.sha256, "round {round}: version {name}");
    }
    for entry in std::fs::read_dir(data).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            // The history is recorded after the publish, by the CLI; a killed merge may leave
            // it (and its WAL files) behind, and the next open repairs it.
            [
                "latest",
                "versions",
                ".lock",
                "history.sqlite",
                "history.sqlite-wal",
                "history.sqlite-shm",
            ]
            .contains(&name.as_str())
                || name.starts_with('.'),
            "round {round}: unexpected visible entry {name}"
        );
    }
    sha
}

#[test]
fn a_merge_killed_at_any_instant_leaves_the_old_or_the_new_dataset_matching_its_manifest() {
    kill_merges_at_random(3_000, 1_500, 3_000, KILLS, KillAt::AnyInstant);
}

/// ~34 MB stored, the batch at its tail: the new file is mostly one untouched run, which the
/// merge copies in the kernel 32 MiB at a time. Each kill waits until the file being written
/// has reached a random size, so it lands inside or between those copies.
#[test]
fn a_merge_killed_while_the_kernel_copies_a_long_untouched_run_leaves_the_old_or_the_new_dataset() {
    kill_merges_at_random(75_000, 74_500, 1_000, 10, KillAt::WrittenBytes);
}

/// When a round kills the merge.
#[derive(Clone, Copy, PartialEq)]
enum KillAt {
    /// After a random delay within an undisturbed merge's duration.
    AnyInstant,
    /// Once the staged data file has reached a random size up to the new dataset's.
    WrittenBytes,
}

/// The size of the data file a merge is staging in `data`, if it has begun writing one.
fn staged_bytes(data: &Path) -> Option<u64> {
    std::fs::read_dir(data.join("versions"))
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".staging-"))
        .find_map(|e| std::fs::metadata(e.path().join("latest.jsonl")).ok())
        .map(|m| m.len())
}

/// Stores `stored_count` authors, then merges a batch of `batch_count` authors from `first`
/// (those below `stored_count` are updates, the rest new), killing the merge `kills` times.
fn kill_merges_at_random(
    stored_count: usize,
    first: usize,
    batch_count: usize,
    kills: usize,
    kill_at: KillAt,
) {
    let tmp = tempfile::tempdir().unwrap();
    let stored: PathBuf = tmp.path().join("stored.jsonl");
    let batch: PathBuf = tmp.path().join("batch.jsonl");
    write_file(
        &stored,
        (0..stored_count).map(|i| record(i, "2025-10-01T00:00:00Z", 1000 + i as u64)),
    );
    // The updates carry newer evidence than the stored records.
    write_file(
        &batch,
        (first..first + batch_count).map(|i| record(i, "2025-11-01T00:00:00Z", 5000 + i as u64)),
    );
    let data = tmp.path().join("data");
    let data_s = data.to_str().unwrap();
    let merge_args = [
        "merge",
        batch.to_str().unwrap(),
        "--data",
        data_s,
        "--allow-flagged",
    ];

    let out = influx(&[
        "merge",
        stored.to_str().unwrap(),
        "--data",
        data_s,
        "--allow-flagged",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let old_sha = merge::status(&DataDir::new(&data))
        .unwrap()
        .current
        .unwrap()
        .sha256;

    // One undisturbed run (on a copy) gives the new dataset and how long a merge takes.
    let reference = tmp.path().join("reference");
    let copied = Command::new("cp")
        .arg("-a")
        .arg(&data)
        .arg(&reference)
        .status()
        .unwrap();
    assert!(copied.success());
    let started = Instant::now();
    let out = influx(&[
        "merge",
        batch.to_str().unwrap(),
        "--data",
        reference.to_str().unwrap(),
        "--allow-flagged",
    ]);
    let full = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let new_sha = merge::status(&DataDir::new(&reference))
        .unwrap()
        .current
        .unwrap()
        .sha256;
    let new_size = std::fs::metadata(reference.join("latest/latest.jsonl"))
        .unwrap()
        .len();
    assert_ne!(old_sha, new_sha);
    let allowed: HashSet<String> = [old_sha.clone(), new_sha.clone()].into();

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Xorshift(seed);
    let window = full.as_micros() as u64 * 11 / 10;
    let (mut saw_old, mut saw_new) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(300);
    for round in 0..kills {
        let delay = Duration::from_micros(rng.next() % window.max(1));
        let size = rng.next() % new_size.max(1);
        let mut child = Command::new(env!("CARGO_BIN_EXE_influx"))
            .args(merge_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        match kill_at {
            KillAt::AnyInstant => std::thread::sleep(delay),
            KillAt::WrittenBytes => {
                while child.try_wait().unwrap().is_none()
                    && staged_bytes(&data).is_none_or(|n| n < size)
                {
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
        }
        let _ = child.kill();
        child.wait().unwrap();

        let sha = check_consistent(&data, &allowed, round);
        if sha == new_sha {
            saw_new += 1;
            // Back to the old dataset for the next round; rollback must work after any kill.
            let out = influx(&["rollback", "--data", data_s]);
            assert_eq!(out.status.code(), Some(0), "round {round}: {out:?}");
            assert_eq!(check_consistent(&data, &allowed, round), old_sha);
        } else {
            saw_old += 1;
        }
        assert!(
            Instant::now() < deadline,
            "the kill rounds hang (a guard against a stuck merge, not a speed test)"
        );
    }
    eprintln!(
        "{kills} kills survived (seed {seed}, merge takes {full:?}): {saw_old} left the old dataset, {saw_new} the new one"
    );

    // After all that, a merge runs to the end, cleans what the killed ones left, and gives the
    // same dataset as the undisturbed run.
    let out = influx(&merge_args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(check_consistent(&data, &allowed, kills), new_sha);
    let leftovers: Vec<String> = std::fs::read_dir(data.join("versions"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
