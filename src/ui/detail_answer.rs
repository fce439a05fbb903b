//! The detail pane's question and answer: which row's record to explain (asked when the
//! selection changes, never while drawing), and what `pipeline::audit::author_detail` says of
//! it with the author's snapshots over time, kept in `App::detail`. The console's `Operations`
//! compute the answer (`Operations::detail`); this is only what travels.

use std::sync::Arc;

use super::record_store::RowRecord;
use crate::pipeline::audit::AuthorDetail;
use crate::pipeline::custody::AnswerIndex;
use crate::pipeline::history::{Growth, SinceStored, Snapshot};

/// What the detail pane asks of the pipeline: row `row` of generation `generation` of records,
/// where its record is, and the answers its custody is proved against.
#[derive(Debug, Clone)]
pub struct DetailAsk {
    pub generation: u64,
    pub row: usize,
    pub record: RowRecord,
    /// The answers the rows were loaded with (`None`: custody was not looked at).
    pub answers: Option<Arc<AnswerIndex>>,
}

/// The detail pane's answer for one row of one generation of records.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailAnswer {
    pub generation: u64,
    pub row: usize,
    /// The record could not be read again: the words why.
    pub detail: Result<Arc<AuthorDetail>, String>,
    /// The author's snapshots in the data directory's history (`None`: no history, or the
    /// record has no id; `Err`: the history could not be read).
    pub timeline: Option<Result<Arc<Timeline>, String>>,
    /// What a harvest in this session changed against the stored record (`None`: the row was
    /// not re-harvested; `Err`: the stored record could not be read again).
    pub since_stored: Option<Result<Arc<SinceStored>, String>>,
}

/// One author over time: the history's snapshots, oldest first, and their growth.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub snapshots: Vec<Snapshot>,
    pub growth: Growth,
}
