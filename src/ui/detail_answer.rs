//! The detail pane's answer: what `pipeline::audit::author_detail` says of the selected row's
//! record and the author's snapshots over time, computed when the selection changes (never while
//! drawing) and kept in `App::detail`.

use std::path::Path;
use std::sync::Arc;

use super::record_store::RowRecord;
use crate::pipeline::audit::{AuthorDetail, author_detail};
use crate::pipeline::custody::AnswerIndex;
use crate::pipeline::history::{
    Growth, GrowthRules, History, SinceStored, Snapshot, analyse, since_stored,
};

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

/// The timeline of the author with `id` and `handle` in the history file at `path`: its own
/// snapshots, never those of another handle claiming the same id.
fn timeline_of(path: &Path, id: &str, handle: Option<&str>) -> Result<Option<Timeline>, String> {
    let history = History::open_file(path).map_err(|e| e.to_string())?;
    let snapshots = history
        .snapshots_of(id, handle)
        .map_err(|e| e.to_string())?;
    if snapshots.is_empty() {
        return Ok(None);
    }
    let growth = analyse(&snapshots, &GrowthRules::bundled());
    Ok(Some(Timeline { snapshots, growth }))
}

/// The answer to a detail request (`App::detail_wanted`): reads the row's record again and
/// computes what the detail pane shows, its custody proved against `answers` when the console
/// has them. Called off the draw path (the event loop runs it on a blocking thread; tests call
/// it directly).
pub fn answer_detail(
    record: &RowRecord,
    answers: Option<&AnswerIndex>,
    history: Option<&Path>,
    generation: u64,
    row: usize,
) -> DetailAnswer {
    let (detail, timeline, since) = match record.read() {
        Ok(current) => {
            let timeline = match (history, current.id()) {
                (Some(path), Some(id)) => timeline_of(path, id, current.handle())
                    .map(|t| t.map(Arc::new))
                    .transpose(),
                _ => None,
            };
            let since = record.read_stored().map(|stored| {
                stored
                    .map(|before| Arc::new(since_stored(&before, &current)))
                    .map_err(|e| e.to_string())
            });
            let detail = Ok(Arc::new(author_detail(&current, answers)));
            (detail, timeline, since)
        }
        Err(e) => (Err(e.to_string()), None, None),
    };
    DetailAnswer {
        generation,
        row,
        detail,
        timeline,
        since_stored: since,
    }
}

/// Answers the pending detail request at once, on this thread, as the event loop does on a
/// blocking one. For tests and benchmarks, which drive the reducer without an event loop.
pub fn answer_details_now(app: &mut super::app::App) {
    if let Some((generation, row)) = app.detail_wanted.take()
        && let Some(record) = app.records.row(row)
    {
        let answer = answer_detail(
            &record,
            app.answers.as_deref(),
            app.history_file.as_deref(),
            generation,
            row,
        );
        super::update::update(app, super::action::Action::DetailReady(Box::new(answer)));
    }
}
