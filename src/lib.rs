//! influx: harvest, score, audit and merge an index of influential X authors, headless or from a
//! live console. Every step is a library function here; `main.rs` only parses the command line.

#![warn(unreachable_pub)]
pub mod cli;
pub(crate) mod config;
pub mod dataset;
pub(crate) mod digest;
pub mod generate;
pub mod pipeline;
pub(crate) mod plural;
pub mod sim;
pub mod ui;
