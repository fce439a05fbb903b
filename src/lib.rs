//! influx: harvest, score, audit and merge an index of influential X authors, headless or from a
//! live console. Every step is a library function here; `main.rs` only parses the command line.

pub mod cli;
pub mod config;
pub mod dataset;
pub mod digest;
pub mod generate;
pub mod pipeline;
pub mod plural;
pub mod sim;
pub mod ui;
