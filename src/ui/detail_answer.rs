//! The detail pane's answer: what `pipeline::audit::author_detail` says of the selected row's
//! record, computed when the selection changes (never while drawing) and kept in `App::detail`.

use std::sync::Arc;

use super::record_store::RowRecord;
use crate::pipeline::audit::{AuthorDetail, author_detail};
use crate::pipeline::custody::AnswerIndex;

/// The detail pane's answer for one row of one generation of records.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailAnswer {
    pub generation: u64,
    pub row: usize,
    /// The record could not be read again: the words why.
    pub detail: Result<Arc<AuthorDetail>, String>,
}

/// The answer to a detail request (`App::detail_wanted`): reads the row's record again and
/// computes what the detail pane shows, its custody proved against `answers` when the console
/// has them. Called off the draw path (the event loop runs it on a blocking thread; tests call
/// it directly).
pub fn answer_detail(
    record: &RowRecord,
    answers: Option<&AnswerIndex>,
    generation: u64,
    row: usize,
) -> DetailAnswer {
    let detail = match record.read() {
        Ok(record) => Ok(Arc::new(author_detail(&record, answers))),
        Err(e) => Err(e.to_string()),
    };
    DetailAnswer {
        generation,
        row,
        detail,
    }
}

/// Answers the pending detail request at once, on this thread, as the event loop does on a
/// blocking one. For tests and benchmarks, which drive the reducer without an event loop.
pub fn answer_details_now(app: &mut super::app::App) {
    if let Some((generation, row)) = app.detail_wanted.take()
        && let Some(record) = app.records.row(row)
    {
        let answer = answer_detail(&record, app.answers.as_deref(), generation, row);
        super::update::update(app, super::action::Action::DetailReady(Box::new(answer)));
    }
}
