//! How the console names a pending batch in its list: a batch file by its stem, a run's records
//! by the run's start time. Not here: which batches are pending (see `pipeline::pending_batches`).

use std::path::Path;

use crate::pipeline::harvest::RECORDS_FILE;

/// `batch-11-sample` for a batch file, `run 17:15:33 Dec 7` for a run's records.
pub fn batch_name(p: &Path) -> String {
    if p.file_name().is_some_and(|n| n == RECORDS_FILE) {
        let run = p
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        return run_name(&run);
    }
    p.file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string()
}

/// A run's name in the console: runs of one day differ by their start time, so the time comes
/// first (`run 17:15:33 Dec 7` for `runs/20261207T171533.123Z`), and a narrow column cuts the
/// day rather than the time. A directory named otherwise (`--out`) keeps its name.
fn run_name(dir: &str) -> String {
    match chrono::NaiveDateTime::parse_from_str(dir, "%Y%m%dT%H%M%S%.fZ") {
        Ok(t) => format!("run {}", t.format("%H:%M:%S %b %-d")),
        Err(_) => format!("run {dir}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_named_by_its_start_time_first_and_a_batch_file_by_its_stem() {
        let run = |dir: &str| batch_name(&Path::new("runs").join(dir).join(RECORDS_FILE));
        assert_eq!(run("20261207T171533.123Z"), "run 17:15:33 Dec 7");
        assert_eq!(run("20261207T091502.004Z"), "run 09:15:02 Dec 7");
        assert_eq!(run("2026-11-23"), "run 2026-11-23");
        assert_eq!(
            batch_name(Path::new("batches/batch-07-api.jsonl")),
            "batch-07-api"
        );
    }
}
