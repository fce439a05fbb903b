//! A dataset directory driven from the console: [`Operations`] implemented with the real
//! library calls (harvest engine, merge planner and store, rollback). Layout: DIR/latest (the
//! merge store), pending batch files in DIR/batches/*.jsonl, harvest runs in DIR/runs/<run>/.
//! Glue only: the work itself happens in `pipeline`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::batch_file::read_batch_contents;
use super::batches::{BatchRow, BatchState};
use super::dataset_rows::{LoadError, LoadedRows, load_rows};
use super::ops::{EngineLink, MergePlanView, Operations};
use crate::pipeline::budget::BudgetConfig;
use crate::pipeline::handles::parse_handles;
use crate::pipeline::harvest::{self, CostPlan, HarvestConfig, Micros, Pricing, RECORDS_FILE};
use crate::pipeline::merge::{self, CleanPlan, MergeOptions, MergePlan};
use crate::pipeline::xapi::{ClientConfig, Token};

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
    /// The most one harvest started from the console may spend.
    pub max_spend: Option<Micros>,
    /// The last plan shown, applied only if it is still what a fresh plan says.
    last_plan: Mutex<Option<MergePlan>>,
}

impl DataDir {
    pub fn new(root: PathBuf, api_base: String) -> DataDir {
        DataDir {
            root,
            api_base,
            token: None,
            budget: BudgetConfig::default(),
            batch_size: crate::pipeline::xapi::MAX_BATCH,
            pricing: Pricing::default(),
            max_spend: None,
            last_plan: Mutex::new(None),
        }
    }

    /// A new run of this directory: priced in its ledger, under its plan and caps.
    fn harvest_config(&self, token: Token) -> HarvestConfig {
        let out_dir = harvest::new_run_dir(&self.root);
        let mut config = HarvestConfig::new(&out_dir, ClientConfig::new(&self.api_base, token));
        config.budget = self.budget.clone();
        config.batch_size = self.batch_size;
        config.data_dir = Some(self.root.clone());
        config.pricing = self.pricing;
        config.max_spend = self.max_spend;
        config
    }

    pub fn latest(&self) -> PathBuf {
        self.root.join("latest").join("latest.jsonl")
    }

    /// The rows of the current dataset and where each record is (see [`load_rows`]), with a
    /// line of words for each line that could not be read, or for a dataset not stored yet.
    pub fn read_latest(&self) -> Result<(LoadedRows, Vec<String>), LoadError> {
        let path = self.latest();
        if !path.exists() {
            return Ok((
                LoadedRows::default(),
                vec![format!("{} does not exist yet", path.display())],
            ));
        }
        let loaded = load_rows(&path)?;
        let bad = loaded.bad_line_words().collect();
        Ok((loaded, bad))
    }

    /// Batch files not merged yet: DIR/batches/*.jsonl and the records of each harvest run,
    /// minus those the merge store says the current version holds.
    pub fn pending_files(&self) -> Result<Vec<PathBuf>, String> {
        let merged = merge::merged_batches(&self.root).map_err(|e| e.to_string())?;
        let mut files = list(&self.root.join("batches"), |p| {
            p.extension().is_some_and(|x| x == "jsonl")
        });
        for run in list(&self.root.join("runs"), |p| p.is_dir()) {
            let records = run.join(RECORDS_FILE);
            if records.metadata().is_ok_and(|m| m.len() > 0) {
                files.push(records);
            }
        }
        files.retain(|f| !merged.iter().any(|m| same_file(m, f)));
        Ok(files)
    }

    pub fn pending(&self) -> Result<Vec<BatchRow>, String> {
        self.pending_files()?
            .iter()
            .map(|p| {
                // The error names the file already.
                let contents = read_batch_contents(p).map_err(|e| e.to_string())?;
                let mut row = BatchRow::new(batch_name(p), BatchState::Pending);
                row.describe_contents(&contents);
                Ok(row)
            })
            .collect()
    }

    /// Plans the pending files under the merge policy both front ends follow: batches holding
    /// flagged records are left out (see `merge::plan_skipping_flagged`).
    fn plan_clean(&self) -> Result<(MergePlan, MergePlanView), String> {
        let files = self.pending_files()?;
        let CleanPlan { plan, left_out } =
            merge::plan_skipping_flagged(&self.root, &files, &MergeOptions::default())
                .map_err(|e| e.to_string())?;
        let view = MergePlanView {
            batches: files
                .iter()
                .filter(|f| !left_out.iter().any(|l| &l.path == *f))
                .map(|p| batch_name(p))
                .collect(),
            added: plan.added.len(),
            updated: plan.updated.len(),
            unchanged: plan.unchanged,
            collapsed: plan
                .collapsed
                .iter()
                .map(|c| c.stored_rows.saturating_sub(1))
                .sum(),
            conflicts: plan.conflicts.len(),
            blocked: left_out
                .iter()
                .flat_map(|l| &l.blocked)
                .map(|b| (b.handle.clone(), b.reasons.join("; ")))
                .collect(),
            left_out: left_out.iter().map(|l| batch_name(&l.path)).collect(),
            unreadable: plan.unreadable.len(),
        };
        Ok((plan, view))
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

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// `batch-11-sample` for a batch file, `run 20251114-…` for a run's records.
fn batch_name(p: &Path) -> String {
    if p.file_name().is_some_and(|n| n == RECORDS_FILE) {
        let run = p
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        return format!("run {run}");
    }
    p.file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string()
}

impl Operations for DataDir {
    fn load(&self) -> Result<(LoadedRows, Vec<BatchRow>), String> {
        let (loaded, _) = self.read_latest().map_err(|e| e.to_string())?;
        Ok((loaded, self.pending()?))
    }

    fn plan_harvest(&self, handles: &[String]) -> Result<CostPlan, String> {
        let config = self.harvest_config(Token::new("plan-only").map_err(|e| e.to_string())?);
        harvest::plan(&config, &parse_handles(&handles.join("\n"))).map_err(|e| e.to_string())
    }

    fn start_harvest(&self, handles: Vec<String>) -> Result<EngineLink, String> {
        let token = match &self.token {
            Some(t) => t.clone(),
            None => Token::from_file_or_env(None).map_err(|e| e.to_string())?,
        };
        let config = self.harvest_config(token);
        let list = parse_handles(&handles.join("\n"));
        let run = harvest::start(config, list).map_err(|e| e.to_string())?;
        // The run reports its end as RunDone / RunFailed on the event channel; its join
        // handle is not needed to watch it.
        drop(run.finished);
        Ok(EngineLink {
            events: run.events,
            commands: run.commands,
        })
    }

    fn plan_merge(&self) -> Result<MergePlanView, String> {
        let (plan, view) = self.plan_clean()?;
        *self.last_plan.lock().map_err(|_| "merge state poisoned")? = Some(plan);
        Ok(view)
    }

    fn apply_merge(&self) -> Result<String, String> {
        let (plan, view) = self.plan_clean()?;
        if view.batches.is_empty() {
            return Err(format!(
                "nothing to merge: {} batch file(s) left out for flagged records",
                view.left_out.len()
            ));
        }
        let out = merge::apply(&self.root, &plan).map_err(|e| e.to_string())?;
        let mut text = format!(
            "version {} with {} records (added {}, updated {}, duplicates collapsed {})",
            out.version, out.count, view.added, view.updated, view.collapsed
        );
        if !view.left_out.is_empty() {
            text.push_str(&format!(
                "; left out for flags: {}",
                view.left_out.join(", ")
            ));
        }
        Ok(text)
    }

    fn rollback(&self) -> Result<String, String> {
        let out = merge::rollback(&self.root).map_err(|e| e.to_string())?;
        Ok(format!(
            "version {} restored as version {} ({} records)",
            out.restored_version, out.version, out.count
        ))
    }
}
