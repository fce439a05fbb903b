//! The integration tests, one crate: each module is the specification of one area, and
//! `common` holds the helpers they share (the binary, handle lists, fast retries, waiting on
//! files). One crate links once instead of once per file.

mod audit;
mod cli_conventions;
mod common;
mod console_rows;
mod crash;
mod custody;
mod dataset;
mod discover;
mod discover_cli;
mod e2e_tmux;
mod facts_agree;
mod harvest;
mod harvest_cli;
mod history;
mod merge;
mod merge_stream;
mod money;
mod placeholders;
mod refresh;
mod release;
mod schema_quick;
mod score;
mod score_line;
mod sim;
mod sim_discovery;
mod ui_candidates;
mod ui_eta;
mod ui_pause;
mod ui_reading;
mod ui_snapshots;
