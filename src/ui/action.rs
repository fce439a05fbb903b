//! Everything that can change the console's state: keys (after the registry has named them),
//! engine events, answers from pipeline operations, time and resizes. The reducer consumes these.

use crate::pipeline::harvest::CostPlan;
use chrono::{DateTime, Utc};

use super::batches::BatchLine;
use super::candidate_view::CandidateFilter;
use super::dataset_rows::LoadedRows;
use super::detail_answer::DetailAnswer;
use super::ops::{DiscoveryAsk, DiscoveryPlanView, MergePlanView};
use crate::pipeline::admission::Decision;
use crate::pipeline::candidates::Candidate;
use crate::pipeline::harvest::events::HarvestEvent;

/// A counter on screen, each a key away from the records behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenCounter {
    Zero,
    Unscored,
    Placeholders,
    Duplicates,
    Schema,
    Unverified,
    Growth,
}

impl ScreenCounter {
    pub const ALL: [ScreenCounter; 7] = [
        ScreenCounter::Zero,
        ScreenCounter::Unscored,
        ScreenCounter::Placeholders,
        ScreenCounter::Duplicates,
        ScreenCounter::Schema,
        ScreenCounter::Unverified,
        ScreenCounter::Growth,
    ];

    pub(crate) fn word(self) -> &'static str {
        match self {
            ScreenCounter::Zero => "zero scores",
            ScreenCounter::Unscored => "unscored",
            ScreenCounter::Placeholders => "placeholders",
            ScreenCounter::Duplicates => "duplicates",
            ScreenCounter::Schema => "schema violations",
            ScreenCounter::Unverified => "unverified",
            ScreenCounter::Growth => "growth flags",
        }
    }
}

#[derive(Debug, Clone)]
pub enum Action {
    Quit,
    ToggleHelp,
    /// The movers: the largest score and follower changes between snapshots.
    ToggleMovers,
    StartFilter,
    StartCommand,
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    FocusNext,
    OpenDetail,
    /// The detail, or the log when it has focus, over the whole screen (or back).
    ToggleZoom,
    Back,
    CycleSort,
    ReverseSort,
    ShowCounter(ScreenCounter),
    ClearFilters,
    StartHarvest,
    TogglePause,
    ToggleFreeze,
    Reharvest,
    Merge,
    Rollback,
    /// Opens (or closes) the candidates view.
    ToggleCandidates,
    /// The candidates view lists only these.
    FilterCandidates(CandidateFilter),
    /// Asks why, then admits or excludes the selected candidate.
    DecideCandidate(Decision),
    /// Opens the command line at `:discover `.
    StartDiscovery,
    /// A character typed into the filter or the command line.
    Type(char),
    Erase,
    /// Enter in the filter, the command line or a dialog.
    Submit,
    /// Moves focus between a dialog's buttons.
    ToggleChoice,
    Resize(u16, u16),
    Tick(DateTime<Utc>),
    Engine(HarvestEvent),
    /// The engine's event channel closed.
    EngineGone,
    /// A pipeline operation failed; the words go to the log pane.
    OperationFailed(String),
    /// What a harvest of these handles would send and cost (the answer to a plan effect).
    HarvestPlanned(Result<(Vec<String>, CostPlan), String>),
    MergePlanned(Result<MergePlanView, String>),
    MergeApplied(Result<String, String>),
    /// The merge published its version, but the history did not take it (the words say the
    /// version and why): the batches are merged all the same.
    MergePublishedNotRecorded(String),
    RolledBack(Result<String, String>),
    /// Every candidate as stored now.
    CandidatesLoaded(Result<Vec<Candidate>, String>),
    /// The operator's word was recorded (the words) or not (why).
    CandidateDecided(Result<String, String>),
    DiscoveryPlanned(Result<(DiscoveryAsk, DiscoveryPlanView), String>),
    /// What the detail pane shows for a row (the answer to a detail effect).
    DetailReady(Box<DetailAnswer>),
    /// The dataset and pending batches as stored now (after a merge or rollback).
    Reloaded {
        dataset: Box<LoadedRows>,
        pending: Vec<BatchLine>,
    },
}
