//! What the console asks of the pipeline, and what comes back: the one seam between the UI and
//! the engine. The command layer implements [`Operations`] with the real library calls
//! (`cli::console_ops::ConsoleOps`, on a `pipeline::data_dir::DataDir`); the console's tests
//! drive the reducer with the answers directly. The UI never does pipeline work itself.

use tokio::sync::mpsc;

use super::batches::BatchLine;
use super::dataset_rows::LoadedRows;
use crate::pipeline::harvest::CostPlan;
use crate::pipeline::harvest::events::{HarvestCommand, HarvestEvent};

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

/// The pipeline operations the console drives. Errors come back as words for the log pane.
pub trait Operations: Send + Sync {
    /// The dataset as stored and the pending batch files, described.
    fn load(&self) -> Result<(LoadedRows, Vec<BatchLine>), String>;
    /// What harvesting `handles` would send and cost (nothing is sent).
    fn plan_harvest(&self, handles: &[String]) -> Result<CostPlan, String>;
    /// Starts harvesting `handles`; events arrive on the returned link.
    fn start_harvest(&self, handles: Vec<String>) -> Result<EngineLink, String>;
    fn plan_merge(&self) -> Result<MergePlanView, String>;
    /// Applies the merge; returns a one-line account of what changed.
    fn apply_merge(&self) -> Result<String, String>;
    fn rollback(&self) -> Result<String, String>;
}
