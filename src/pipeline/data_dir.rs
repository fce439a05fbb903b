//! The data directory (`--data DIR`) as the pipeline sees it: the stored dataset
//! (`DIR/latest/latest.jsonl`, the merge store), pending batch files (`DIR/batches/*.jsonl` and
//! the records of each run in `DIR/runs/<run>/`), and how a harvest of the directory is set up
//! (its ledger, plan, caps). The console and the CLI both use it; neither lays the directory
//! out itself. Not here: merging (see `merge`) or harvesting (see `harvest`).

use std::path::{Path, PathBuf};

use crate::pipeline::candidates::JudgementError;
use crate::pipeline::harvest::HarvestSetup;
use crate::pipeline::harvest::budget::BudgetConfig;
use crate::pipeline::harvest::xapi::{MAX_BATCH, Token};
use crate::pipeline::harvest::{self, HarvestConfig, Micros, Pricing, RECORDS_FILE};
use crate::pipeline::layout;
use crate::pipeline::merge::{self, CleanPlan, MergeError, MergeOptions};
use crate::pipeline::refresh::CensusRules;

/// A data directory and how harvests of it are run.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
    pub api_base: String,
    /// The token, when already known (the demo's simulator token); else read from
    /// X_BEARER_TOKEN when a harvest starts, and never shown.
    pub token: Option<Token>,
    pub budget: BudgetConfig,
    /// Handles per request (the demo uses small batches so progress is visible).
    pub batch_size: usize,
    pub pricing: Pricing,
    /// The most one harvest of the directory may spend.
    pub max_spend: Option<Micros>,
    /// How the refresh's census chooses the authors to harvest again (`now` is replaced by the
    /// moment of each choice): the console's `s` chooses by it too.
    pub census_rules: CensusRules,
}

impl DataDir {
    pub fn new(root: PathBuf, api_base: String) -> DataDir {
        DataDir {
            root,
            api_base,
            token: None,
            budget: BudgetConfig::default(),
            batch_size: MAX_BATCH,
            pricing: Pricing::default(),
            max_spend: None,
            census_rules: CensusRules::defaults(chrono::Utc::now()),
        }
    }

    /// The stored dataset's file (it may not exist before a first merge).
    pub(crate) fn latest(&self) -> PathBuf {
        layout::latest_file(&self.root)
    }

    /// A new run of this directory: in `DIR/runs/<time>`, priced in its ledger, under its plan
    /// and caps, its records judged by the directory's admission rules and operator's words.
    pub(crate) fn harvest_config(&self, token: Token) -> Result<HarvestConfig, JudgementError> {
        let mut setup = HarvestSetup::new(&self.api_base, token);
        setup.budget = self.budget.clone();
        setup.batch_size = self.batch_size;
        setup.pricing = self.pricing;
        setup.max_spend = self.max_spend;
        setup.config(&harvest::new_run_dir(&self.root), &self.root)
    }

    /// Batch files not merged yet: DIR/batches/*.jsonl and the records of each harvest run,
    /// minus those the merge store says the current version holds.
    pub(crate) fn pending_files(&self) -> Result<Vec<PathBuf>, MergeError> {
        let merged = merge::merged_batches(&self.root)?;
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
        let mut files = list(&layout::batches_dir(&self.root), |p| {
            p.extension().is_some_and(|x| x == "jsonl")
        });
        for run in list(&layout::runs_dir(&self.root), |p| p.is_dir()) {
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
    pub(crate) fn plan_pending(&self) -> Result<(Vec<PathBuf>, CleanPlan), MergeError> {
        let files = self.pending_files()?;
        let plan = merge::plan_skipping_flagged(&self.root, &files, &MergeOptions::default())?;
        Ok((files, plan))
    }
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

/// A run's name in the console: runs of one day differ by their start time, so the time comes
/// first (`run 17:15:33 Dec 7` for `runs/20261207T171533.123Z`), and a narrow column cuts the
/// day rather than the time. A directory named otherwise (`--out`) keeps its name.
fn run_name(dir: &str) -> String {
    match chrono::NaiveDateTime::parse_from_str(dir, "%Y%m%dT%H%M%S%.fZ") {
        Ok(t) => format!("run {}", t.format("%H:%M:%S %b %-d")),
        Err(_) => format!("run {dir}"),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// `batch-11-sample` for a batch file, `run 20251114-…` for a run's records.
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

    #[test]
    fn a_run_merged_while_its_harvest_was_writing_is_pending_again_for_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path().to_path_buf(), "http://127.0.0.1:9".into());
        let run = layout::runs_dir(tmp.path()).join("20261207T171533.123Z");
        std::fs::create_dir_all(&run).unwrap();
        let records = run.join(RECORDS_FILE);
        let line = |i| format!("{}\n", crate::generate::record(3, i).into_value());
        std::fs::write(&records, line(0) + &line(1)).unwrap();
        assert_eq!(dir.pending_files().unwrap(), vec![records.clone()]);

        let options = MergeOptions {
            allow_flagged: true,
            ..MergeOptions::default()
        };
        let plan = merge::plan(tmp.path(), std::slice::from_ref(&records), &options).unwrap();
        merge::apply(tmp.path(), &plan).unwrap();
        assert!(dir.pending_files().unwrap().is_empty(), "merged whole");

        // The harvest goes on writing after the merge took what there was.
        let mut more = std::fs::OpenOptions::new()
            .append(true)
            .open(&records)
            .unwrap();
        std::io::Write::write_all(&mut more, line(2).as_bytes()).unwrap();
        assert_eq!(
            dir.pending_files().unwrap(),
            vec![records.clone()],
            "the rest of the run is pending, not lost"
        );
    }
}
