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
pub mod distribution;
pub mod export;
pub mod harvest;
pub mod history;
pub mod jobs;
pub mod lake;
pub mod layout;
pub mod merge;
pub mod parquet;
pub mod ranks;
pub mod refresh;
pub mod release;
pub mod score;
