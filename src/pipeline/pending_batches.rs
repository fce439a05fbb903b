//! What is waiting to be merged into a data directory: its batch files (`DIR/batches/*.jsonl`)
//! and the records of each of its runs (`DIR/runs/<run>/records.jsonl`), minus what the merge
//! store says the current version holds; and the plan of merging them under the merge policy
//! both front ends follow (the console lists and merges these; `influx merge` is given its
//! files). Not here: merging (see `merge`) or how the console names a batch (see
//! `cli::console_ops`).

use std::path::{Path, PathBuf};

use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::{self, RECORDS_FILE};
use crate::pipeline::merge::{self, CleanPlan, MergeError, MergeOptions};

/// Batch files not merged yet: DIR/batches/*.jsonl and the records of each harvest run, minus
/// those the merge store says the current version holds.
pub(crate) fn pending_files(data: &DataDir) -> Result<Vec<PathBuf>, MergeError> {
    let merged = merge::merged_batches(data)?;
    let was_merged = |f: &Path| merged.iter().any(|m| same_file(&m.path, f));
    // A run's records merged while its harvest was still writing them (one record a line,
    // no blank lines: the harvest writes them) hold more records now than the merge took:
    // pending again, so the rest is merged when asked (the records already taken come out
    // unchanged).
    let merged_whole = |f: &Path| {
        merged
            .iter()
            .any(|m| same_file(&m.path, f) && m.records >= harvest::count_lines(f))
    };
    let mut files = list(&data.batches_dir(), |p| {
        p.extension().is_some_and(|x| x == "jsonl")
    });
    for run in list(&data.runs_dir(), |p| p.is_dir()) {
        let records = run.join(RECORDS_FILE);
        // A refresh merges a run through a file of its own beside the records (the clean
        // copy, the renamed accounts): any such file merged means the run is.
        let taken = merged.iter().any(|m| {
            m.path.parent().is_some_and(|d| same_file(d, &run)) && !same_file(&m.path, &records)
        }) || merged_whole(&records);
        if !taken && records.metadata().is_ok_and(|m| m.len() > 0) {
            files.push(records);
        }
    }
    files.retain(|f| {
        if f.file_name().is_some_and(|n| n == RECORDS_FILE) {
            !merged_whole(f)
        } else {
            !was_merged(f)
        }
    });
    Ok(files)
}

/// Plans the pending files under the merge policy both front ends follow: batches holding
/// flagged records are left out (see `merge::plan_skipping_flagged`). Returns the files
/// planned too.
pub(crate) fn plan_pending(data: &DataDir) -> Result<(Vec<PathBuf>, CleanPlan), MergeError> {
    let files = pending_files(data)?;
    let plan = merge::plan_skipping_flagged(data, &files, &MergeOptions::default())?;
    Ok((files, plan))
}

fn list(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| keep(p))
        .collect();
    out.sort();
    out
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_merged_while_its_harvest_was_writing_is_pending_again_for_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let data = DataDir::new(tmp.path());
        let run = data.runs_dir().join("20261207T171533.123Z");
        std::fs::create_dir_all(&run).unwrap();
        let records = run.join(RECORDS_FILE);
        let line = |i| format!("{}\n", crate::generate::record(3, i).into_value());
        std::fs::write(&records, line(0) + &line(1)).unwrap();
        assert_eq!(pending_files(&data).unwrap(), vec![records.clone()]);

        let options = MergeOptions {
            allow_flagged: true,
            ..MergeOptions::default()
        };
        let plan = merge::plan(&data, std::slice::from_ref(&records), &options).unwrap();
        merge::apply(&data, &plan).unwrap();
        assert!(pending_files(&data).unwrap().is_empty(), "merged whole");

        // The harvest goes on writing after the merge took what there was.
        let mut more = std::fs::OpenOptions::new()
            .append(true)
            .open(&records)
            .unwrap();
        std::io::Write::write_all(&mut more, line(2).as_bytes()).unwrap();
        assert_eq!(
            pending_files(&data).unwrap(),
            vec![records.clone()],
            "the rest of the run is pending, not lost"
        );
    }
}
