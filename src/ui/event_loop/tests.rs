//! The event loop reaches the pipeline only through `Operations`: a test implementation that
//! touches no file hands over the dataset, the pending batches and the detail pane's answer, and
//! the console shows what it handed over.

use std::sync::{Arc, Mutex};

use chrono::Utc;
use tokio::sync::mpsc;

use super::dispatch;
use crate::dataset::Record;
use crate::pipeline::admission::Decision;
use crate::pipeline::candidates::Candidate;
use crate::pipeline::harvest::CostPlan;
use crate::ui::action::Action;
use crate::ui::app::{App, Effect};
use crate::ui::author::AuthorRow;
use crate::ui::batches::{BatchLine, BatchState};
use crate::ui::dataset_rows::LoadedRows;
use crate::ui::detail_answer::{DetailAnswer, DetailAsk};
use crate::ui::ops::{
    DiscoveryAsk, DiscoveryPlanView, EngineLink, MergeDone, MergePlanView, Operations, OpsError,
    RollbackDone,
};
use crate::ui::record_store::RecordStore;
use crate::ui::update::update;

/// Answers from memory and notes every detail asked of it.
#[derive(Default)]
struct InMemoryOps {
    records: Vec<Record>,
    asked: Mutex<Vec<(u64, usize)>>,
}

/// What the operations this test does not drive say.
fn not_here() -> OpsError {
    OpsError::NothingToMerge { left_out: 0 }
}

impl Operations for InMemoryOps {
    fn load(&self) -> Result<(LoadedRows, Vec<BatchLine>), OpsError> {
        let loaded = LoadedRows {
            path: "in-memory".into(),
            rows: self
                .records
                .iter()
                .map(|r| AuthorRow::from_record(r, None))
                .collect(),
            records: RecordStore::in_memory(self.records.clone()),
            ..LoadedRows::default()
        };
        let pending = vec![BatchLine::new("from-the-seam.jsonl", BatchState::Pending)];
        Ok((loaded, pending))
    }

    fn detail(&self, ask: &DetailAsk) -> DetailAnswer {
        self.asked.lock().unwrap().push((ask.generation, ask.row));
        DetailAnswer {
            generation: ask.generation,
            row: ask.row,
            detail: Err(format!("answered by the seam for row {}", ask.row)),
            timeline: None,
            since_stored: None,
        }
    }

    fn plan_harvest(&self, _: &[String]) -> Result<CostPlan, OpsError> {
        Err(not_here())
    }
    fn start_harvest(&self, _: Vec<String>) -> Result<EngineLink, OpsError> {
        Err(not_here())
    }
    fn plan_merge(&self) -> Result<MergePlanView, OpsError> {
        Err(not_here())
    }
    fn apply_merge(&self) -> Result<MergeDone, OpsError> {
        Err(not_here())
    }
    fn rollback(&self) -> Result<RollbackDone, OpsError> {
        Err(not_here())
    }
    fn candidates(&self) -> Result<Vec<Candidate>, OpsError> {
        Ok(Vec::new())
    }
    fn decide_candidate(&self, _: &str, _: Decision, _: &str) -> Result<Candidate, OpsError> {
        Err(not_here())
    }
    fn plan_discovery(&self, _: &DiscoveryAsk) -> Result<DiscoveryPlanView, OpsError> {
        Err(not_here())
    }
    fn start_discovery(&self, _: DiscoveryAsk) -> Result<EngineLink, OpsError> {
        Err(not_here())
    }
}

/// Runs what the app asked for, as the event loop does, and folds the first answer back in.
async fn step(
    app: &mut App,
    ops: &Arc<dyn Operations>,
    answers: &mut mpsc::UnboundedReceiver<Action>,
    tx: &mpsc::UnboundedSender<Action>,
) {
    dispatch(app, ops, &mut None, tx).await;
    let action = answers.recv().await.expect("the operation answers");
    update(app, action);
}

#[tokio::test]
async fn the_dataset_the_batches_and_the_detail_come_through_the_operations_and_no_file() {
    let records: Vec<Record> = (0..3).map(|i| crate::generate::record(7, i)).collect();
    let fake = Arc::new(InMemoryOps {
        records: records.clone(),
        ..InMemoryOps::default()
    });
    let ops: Arc<dyn Operations> = fake.clone();
    let (tx, mut answers) = mpsc::unbounded_channel();
    let mut app = App::new(Default::default(), Utc::now());
    assert!(app.rows.is_empty());

    // A reload asks the operations for the dataset and the batches.
    app.outbox.push(Effect::Reload);
    step(&mut app, &ops, &mut answers, &tx).await;
    assert_eq!(app.rows.len(), 3);
    assert!(app.batches.iter().any(|b| b.name == "from-the-seam.jsonl"));

    // The selected row's detail is asked of the operations, once, and shown as they answered.
    let row = app.selected_row().expect("a row is selected");
    assert_eq!(app.rows[row].handle, records[row].handle().unwrap());
    step(&mut app, &ops, &mut answers, &tx).await;
    assert_eq!(
        app.detail_of(row),
        Some(Err(format!("answered by the seam for row {row}").as_str()))
    );
    dispatch(&mut app, &ops, &mut None, &tx).await;
    assert_eq!(
        fake.asked.lock().unwrap().len(),
        1,
        "asked once per selection"
    );
}
