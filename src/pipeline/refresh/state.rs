//! What a refresh keeps in `DIR/refresh/`: the lock that makes it one at a time per data
//! directory (`lock`), the run it is working on until that run is merged (`pending.json`, so
//! that a refresh killed by SIGKILL or a reboot is finished by the next one), and what the last
//! one did (`last.json`, which the console and the metrics file show).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::RefreshError;
use crate::dataset::AtomicFile;
use crate::dataset::lock_file::{LockError, LockFile, holder_note};
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::ledger::run_name;

/// Held for as long as a refresh runs; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct RefreshLock {
    _lock: LockFile,
}

impl RefreshLock {
    pub fn take(data_dir: &DataDir) -> Result<RefreshLock, RefreshError> {
        match LockFile::take(&data_dir.refresh_lock(), &holder_note("")) {
            Ok(lock) => Ok(RefreshLock { _lock: lock }),
            Err(LockError::Busy { holder, .. }) => Err(RefreshError::Busy {
                dir: data_dir.root().to_path_buf(),
                holder,
            }),
            Err(LockError::Io { path, source }) => Err(RefreshError::Io { path, source }),
        }
    }
}

/// The run a refresh started and has not merged yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// Kept as `runs/<run>`, relative to the data directory (see `ledger::run_name`), and read
    /// back against the directory it is in now: a copied or moved directory finishes its own
    /// run, never the original's.
    pub run_dir: PathBuf,
    pub started_at: DateTime<Utc>,
    /// Chosen authors per reason, as the census said when the run started.
    pub selected: Vec<(String, usize)>,
}

fn write_json(p: &Path, value: &impl Serialize) -> Result<(), RefreshError> {
    let mut text = serde_json::to_vec_pretty(value).expect("plain data");
    text.push(b'\n');
    AtomicFile::write_bytes(p, &text).map_err(RefreshError::Dataset)
}

fn read_json<T: for<'de> Deserialize<'de>>(p: &Path) -> Result<Option<T>, RefreshError> {
    match std::fs::read(p) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| RefreshError::Corrupt {
                path: p.to_path_buf(),
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(RefreshError::Io {
            path: p.to_path_buf(),
            source,
        }),
    }
}

impl Pending {
    pub(crate) fn read(data_dir: &DataDir) -> Result<Option<Pending>, RefreshError> {
        Ok(
            read_json::<Pending>(&data_dir.refresh_pending())?.map(|mut p| {
                let name = run_name(&p.run_dir);
                if name.is_relative() {
                    p.run_dir = data_dir.root().join(name);
                }
                p
            }),
        )
    }

    pub(crate) fn write(&self, data_dir: &DataDir) -> Result<(), RefreshError> {
        let kept = Pending {
            run_dir: run_name(&self.run_dir),
            ..self.clone()
        };
        write_json(&data_dir.refresh_pending(), &kept)
    }

    /// The run is merged: the next refresh starts afresh.
    pub(crate) fn clear(data_dir: &DataDir) -> Result<(), RefreshError> {
        let p = data_dir.refresh_pending();
        match std::fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(RefreshError::Io { path: p, source }),
        }
    }
}

/// What the last refresh did, for the console and the metrics file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastRefresh {
    pub finished_at: DateTime<Utc>,
    /// 0, 1 or 2, as the command exited.
    pub exit: u8,
    pub run_dir: Option<PathBuf>,
    pub selected: usize,
    pub refreshed: usize,
    pub left_out: usize,
    pub spend_usd: f64,
    pub requests: u64,
    pub throttled: u64,
    /// The last refresh that exited 0 (this one, or an earlier one).
    pub last_success_at: Option<DateTime<Utc>>,
    /// When the next author goes stale, as the census after the merge saw it.
    pub next_stale_at: Option<DateTime<Utc>>,
    /// The refresh in a line of words.
    pub words: String,
}

impl LastRefresh {
    pub(crate) fn read(data_dir: &DataDir) -> Result<Option<LastRefresh>, RefreshError> {
        read_json(&data_dir.refresh_last())
    }

    pub(crate) fn write(&self, data_dir: &DataDir) -> Result<(), RefreshError> {
        write_json(&data_dir.refresh_last(), self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_refresh_of_a_directory_is_refused_naming_the_first() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path());
        let _first = RefreshLock::take(&dir).unwrap();
        let e = RefreshLock::take(&dir).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "names the running one: {text}"
        );
    }

    #[test]
    fn the_pending_run_survives_until_it_is_cleared() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path());
        assert_eq!(Pending::read(&dir).unwrap(), None);
        let p = Pending {
            run_dir: dir.runs_dir().join("x"),
            started_at: Utc::now(),
            selected: vec![("stale".into(), 3)],
        };
        p.write(&dir).unwrap();
        assert_eq!(Pending::read(&dir).unwrap(), Some(p));
        let kept = std::fs::read_to_string(dir.refresh_pending()).unwrap();
        assert!(
            kept.contains("\"runs/x\""),
            "named inside the directory: {kept}"
        );
        Pending::clear(&dir).unwrap();
        assert_eq!(Pending::read(&dir).unwrap(), None);
    }
}
