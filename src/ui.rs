//! The operations console: terminal lifecycle, event loop, state + reducer, the key registry and
//! one module per pane. It drives the pipeline through [`ops::Operations`] and the engine's
//! channels, and does no pipeline work itself. The modules are the crate's own; what the benches
//! and the integration tests name is re-exported here.

pub(crate) mod action;
pub(crate) mod app;
pub(crate) mod author;
pub(crate) mod batch_file;
pub(crate) mod batches;
pub(crate) mod candidate_view;
pub(crate) mod dataset_rows;
pub(crate) mod detail_answer;
pub(crate) mod event_loop;
pub(crate) mod histogram;
pub(crate) mod keys;
pub(crate) mod log_ring;
pub(crate) mod ops;
pub(crate) mod panes;
pub(crate) mod record_store;
pub(crate) mod render;
pub(crate) mod row_index;
pub(crate) mod row_order;
pub(crate) mod terminal;
pub(crate) mod theme;
pub(crate) mod update;
pub(crate) mod wide_tails;
pub(crate) mod wrap;

pub use action::{Action, ScreenCounter};
pub use app::{App, Confirm, Effect, Eta, Focus, Mode, RunState, Settings, Zoomed};
pub use author::{AuthorRow, RowFlags};
pub use batches::{BatchLine, BatchState};
pub use candidate_view::CandidateFilter;
pub use dataset_rows::LoadError;
pub use keys::{action_for, in_candidates_view, on_main_screen, registry};
pub use log_ring::LogLevel;
pub use ops::{DiscoveryAsk, DiscoveryPlanView, MergePlanView, Operations};
pub use render::{layout, render};
pub use row_index::SortKey;
pub use row_order::full_order;
pub use update::update;

#[cfg(test)]
mod tests;
