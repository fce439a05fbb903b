//! The jobs that combine steps, in one layer that the CLI, the console and cron call alike, so
//! that no front end strings the steps together itself: driving a harvest run to its end
//! (`drive`), and discovering candidates (`discover`: plan, read the sources through the same
//! harvest engine, decide, merge the admitted). Not here: the steps themselves (see `harvest`,
//! `admission`, `merge`) or how a front end shows what happens.

pub mod discover;
mod drive;
mod merge_record;

pub(crate) use drive::{DriveError, RunWatcher, Stop, drive, drive_with};
pub(crate) use merge_record::{MergeRecordError, merge_and_record};
