//! influx: harvest, score, audit and merge an index of influential X authors, headless or from a
//! live console. Every step is a library function here; `main.rs` only parses the command line.
//!
//! The public face is what the binary, the benches and the integration tests use, and nothing
//! more: a module or item is `pub` only when one of them names it, everything else is
//! `pub(crate)`. `unreachable_pub` holds that line: a `pub` item nobody outside can reach is a
//! warning (and CI's clippy runs with `-D warnings`), so the face cannot grow by accident.

#![warn(unreachable_pub)]

pub mod cli;
pub mod dataset;
pub mod generate;
pub mod pipeline;
pub mod sim;
pub mod ui;

pub(crate) mod config;
pub(crate) mod digest;
pub(crate) mod plural;
