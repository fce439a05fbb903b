//! The pipeline: every step a plain library function or stream, called alike by the headless
//! commands and by the console. Nothing here draws or prints. The data's way, in order:
//! `harvest` (handles → X API → records), `score`, `audit`, `merge`; `checks` holds the rules
//! on a record that more than one step applies (schema, placeholder detection).

pub mod admission;
pub mod audit;
pub mod candidates;
pub mod checks;
pub mod custody;
pub mod data_dir;
pub(crate) mod distribution;
pub(crate) mod export;
pub mod harvest;
pub mod history;
pub mod jobs;
pub mod lake;
pub mod merge;
pub(crate) mod parquet;
pub(crate) mod pending_batches;
pub(crate) mod ranks;
pub mod refresh;
pub(crate) mod release;
pub mod score;
pub(crate) mod swap;
