//! The pipeline: every step a plain library function or stream, called alike by the headless
//! commands and by the console. Nothing here draws or prints.

pub mod audit;
pub mod budget;
pub mod data_dir;
pub mod events;
pub mod handles;
pub mod harvest;
pub mod journal;
pub mod merge;
pub mod placeholders;
pub mod schema;
pub mod score;
pub mod xapi;
