//! The operations console: terminal lifecycle, event loop, state + reducer, the key registry and
//! one module per pane. It drives the pipeline through [`ops::Operations`] and the engine's
//! channels, and does no pipeline work itself.

pub mod action;
pub mod app;
pub mod author;
pub(crate) mod batch_file;
pub mod batches;
pub mod candidate_view;
pub mod dataset_rows;
pub mod detail_answer;
pub(crate) mod event_loop;
pub(crate) mod histogram;
pub mod keys;
pub mod log_ring;
pub mod ops;
pub mod panes;
pub(crate) mod record_store;
pub mod render;
pub mod row_index;
pub mod row_order;
pub(crate) mod terminal;
pub(crate) mod theme;
pub mod update;
pub mod wide_tails;
pub mod wrap;

pub use app::{App, Settings};
pub use render::render;
pub use update::update;
