//! `influx rollback [--data DIR]`: restores the dataset version before the last merge.
//! Exit 0 restored, 2 nothing to roll back (or the stored version is unusable).

use std::path::PathBuf;

use serde_json::json;

use super::Exit;
use super::output::{Mode, json_line};
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::merge::{self, MergeError};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Dataset directory (holds latest/ and versions/).
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data: PathBuf,
    /// JSON lines even on a terminal.
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    match merge::rollback(&DataDir::new(&args.data)) {
        Ok(outcome) => {
            match mode {
                Mode::JsonLines => json_line(&json!({"event": "rolled_back", "outcome": outcome})),
                Mode::Human => println!(
                    "rolled back: version {} now holds version {}'s {} (sha256 {})",
                    outcome.version,
                    outcome.restored_version,
                    crate::plural::count(outcome.count, "record", "records"),
                    outcome.sha256
                ),
            }
            Ok(Exit::Ok)
        }
        Err(e @ MergeError::NothingToRollBack { .. }) => {
            match mode {
                Mode::JsonLines => {
                    json_line(&json!({"event": "nothing_to_roll_back", "reason": e.to_string()}))
                }
                Mode::Human => eprintln!("{e}"),
            }
            Ok(Exit::Unusable)
        }
        Err(e) => Err(e.into()),
    }
}
