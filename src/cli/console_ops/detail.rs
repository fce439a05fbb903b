//! The detail pane's answer, computed for the console off its draw path: the row's record read
//! again, what `pipeline::audit::author_detail` says of it, the author's snapshots in the
//! history and what a harvest in this session changed against the stored record.

use std::path::Path;
use std::sync::Arc;

use super::records::{read_record, read_stored};
use crate::pipeline::audit::author_detail;
use crate::pipeline::history::{GrowthRules, History, analyse, since_stored};
use crate::ui::detail_answer::{DetailAnswer, DetailAsk, Timeline};

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

/// The answer to `ask`, its custody proved against the answers the rows were loaded with, the
/// timeline read from the history file at `history` when there is one.
pub(crate) fn answer_detail(ask: &DetailAsk, history: Option<&Path>) -> DetailAnswer {
    let (detail, timeline, since) = match read_record(&ask.record) {
        Ok(current) => {
            let timeline = match (history, current.id()) {
                (Some(path), Some(id)) => timeline_of(path, id, current.handle())
                    .map(|t| t.map(Arc::new))
                    .transpose(),
                _ => None,
            };
            let since = read_stored(&ask.record).map(|stored| {
                stored
                    .map(|before| Arc::new(since_stored(&before, &current)))
                    .map_err(|e| e.to_string())
            });
            let detail = Ok(Arc::new(author_detail(&current, ask.answers.as_deref())));
            (detail, timeline, since)
        }
        Err(e) => (Err(e.to_string()), None, None),
    };
    DetailAnswer {
        generation: ask.generation,
        row: ask.row,
        detail,
        timeline,
        since_stored: since,
    }
}
