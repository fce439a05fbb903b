//! What the console asks of the pipeline, and what comes back: the one seam between the UI and
//! the engine, typed both ways (answers, events and errors). The command layer implements
//! [`Operations`] with the real library calls (`cli::console_ops::ConsoleOps`, on a
//! `pipeline::data_dir::DataDir`, its harvests run as `ConsoleHarvest` says); the console's tests drive the reducer with the answers
//! directly. The UI never does pipeline work itself, nor reads a file: the dataset, the batch
//! files, a record read again and the history all come through here.

use tokio::sync::mpsc;

use super::batches::BatchLine;
use super::dataset_rows::{LoadError, LoadedRows};
use super::detail_answer::{DetailAnswer, DetailAsk};
use crate::dataset::DatasetError;
use crate::pipeline::admission::Decision;
use crate::pipeline::candidates::{Candidate, CandidatesError};
use crate::pipeline::harvest::events::{HarvestCommand, HarvestEvent};
use crate::pipeline::harvest::xapi::TokenError;
use crate::pipeline::harvest::{CostPlan, HarvestError};
use crate::pipeline::merge::MergeError;

/// Channels to a harvest run: events up (bounded, so a slow screen slows the engine rather than
/// growing memory), commands down.
pub struct EngineLink {
    pub events: mpsc::Receiver<HarvestEvent>,
    pub commands: mpsc::Sender<HarvestCommand>,
}

/// What a merge would do, shown in the confirmation dialog before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MergePlanView {
    pub batches: Vec<String>,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Duplicate rows of the stored dataset folded away.
    pub collapsed: usize,
    pub conflicts: usize,
    /// Records the merge refuses, with the reason in words.
    pub blocked: Vec<(String, String)>,
    /// Batch files left out of this merge because they hold blocked records.
    pub left_out: Vec<String>,
    /// Lines of the batches that could not be read (the merge is refused while any remain).
    pub unreadable: usize,
}

/// Why an operation the console asked for was not done. The log pane shows the words.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("cannot read the dataset: {0}")]
    Dataset(#[from] LoadError),
    #[error("cannot read a pending batch: {0}")]
    Batch(#[from] DatasetError),
    #[error("{0}")]
    Merge(#[from] MergeError),
    #[error("{0}")]
    Harvest(#[from] HarvestError),
    #[error("{0}")]
    Token(#[from] TokenError),
    #[error("nothing to merge: {left_out} batch file(s) left out for flagged records")]
    NothingToMerge { left_out: usize },
    #[error("{0}")]
    History(#[from] crate::pipeline::history::HistoryError),
    /// A merge published its version; the history did not take it.
    #[error("{0}")]
    Published(#[from] crate::pipeline::jobs::MergeRecordError),
    #[error("{0}")]
    Judgement(#[from] crate::pipeline::candidates::JudgementError),
    #[error("cannot read or write the candidates: {0}")]
    Candidates(#[from] CandidatesError),
    #[error("{0}")]
    Discover(#[from] crate::pipeline::jobs::discover::DiscoverError),
}

/// What the operator asked a discovery to read: list ids and seeds' handles (without `@`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiscoveryAsk {
    pub lists: Vec<String>,
    pub following: Vec<String>,
}

impl DiscoveryAsk {
    /// `list 1700000000000000001` or `following @ada`, for the dialog's question and the log.
    pub(crate) fn words(&self) -> String {
        self.lists
            .iter()
            .map(|l| format!("list {l}"))
            .chain(self.following.iter().map(|s| format!("following @{s}")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A discovery's cost plan as the confirmation shows it: the pipeline's lines (requests per
/// endpoint, users and dollars at most) and the names of the lists it could read, which the
/// candidates view uses in place of their ids.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiscoveryPlanView {
    pub lines: Vec<String>,
    /// (list id, list name)
    pub list_names: Vec<(String, String)>,
}

/// What an applied merge changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeDone {
    pub version: u64,
    pub count: u64,
    pub added: usize,
    pub updated: usize,
    pub collapsed: usize,
    /// Batch files left out for flagged records.
    pub left_out: Vec<String>,
}

impl std::fmt::Display for MergeDone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "version {} with {} records (added {}, updated {}, duplicates collapsed {})",
            self.version, self.count, self.added, self.updated, self.collapsed
        )?;
        if !self.left_out.is_empty() {
            write!(f, "; left out for flags: {}", self.left_out.join(", "))?;
        }
        Ok(())
    }
}

/// What a rollback restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackDone {
    pub restored_version: u64,
    pub version: u64,
    pub count: u64,
}

impl std::fmt::Display for RollbackDone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "version {} restored as version {} ({} records)",
            self.restored_version, self.version, self.count
        )
    }
}

/// The pipeline operations the console drives.
pub trait Operations: Send + Sync {
    /// The dataset as stored and the pending batch files, described.
    fn load(&self) -> Result<(LoadedRows, Vec<BatchLine>), OpsError>;
    /// The detail pane's answer for the row `ask` names: its record read again and explained,
    /// the author's snapshots in the history. Failures are in the answer, in words.
    fn detail(&self, ask: &DetailAsk) -> DetailAnswer;
    /// What harvesting `handles` would send and cost (nothing is sent).
    fn plan_harvest(&self, handles: &[String]) -> Result<CostPlan, OpsError>;
    /// Starts harvesting `handles`; events arrive on the returned link.
    fn start_harvest(&self, handles: Vec<String>) -> Result<EngineLink, OpsError>;
    fn plan_merge(&self) -> Result<MergePlanView, OpsError>;
    /// Plans again and applies that plan.
    fn apply_merge(&self) -> Result<MergeDone, OpsError>;
    fn rollback(&self) -> Result<RollbackDone, OpsError>;
    /// Every candidate discoveries found, with the decision in force and why.
    fn candidates(&self) -> Result<Vec<Candidate>, OpsError>;
    /// Records the operator's decision on `handle`, with why (it outranks the rules).
    fn decide_candidate(
        &self,
        handle: &str,
        decision: Decision,
        why: &str,
    ) -> Result<Candidate, OpsError>;
    /// What a discovery would ask and spend; only unbilled list look-ups are sent.
    fn plan_discovery(&self, ask: &DiscoveryAsk) -> Result<DiscoveryPlanView, OpsError>;
    /// Starts a discovery: its runs' events arrive on the link, then its report as log events;
    /// the link closes when the candidates are kept and the admitted merged.
    fn start_discovery(&self, ask: DiscoveryAsk) -> Result<EngineLink, OpsError>;
}
