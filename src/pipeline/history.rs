//! The index over time: one snapshot of each author's public metrics and score per merged
//! version, kept in `DIR/history.sqlite`, and what the snapshots say about growth (the change
//! per day, and review flags for follower spikes and drops). A merge publishes a version first
//! and records it here second; whatever a crash left unrecorded between the two is recorded the
//! next time the history is opened, from the versions the store still holds. Nothing here prints.

mod anomalies;
mod changed;
pub(crate) mod growth;
mod since;
mod snapshot;
mod store;

pub(crate) use anomalies::{Anomalies, anomalies};
pub use growth::{Change, Growth, GrowthFlag, GrowthRules, analyse};
pub use since::{CountMove, SinceStored, since_stored};
pub use snapshot::Snapshot;
pub use store::{
    AuthorHistory, FlaggedAuthor, History, HistoryError, IMPORTED, Mover, Movers, Recorded,
    run_records,
};
