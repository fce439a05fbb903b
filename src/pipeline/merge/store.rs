//! Versioned storage of the dataset: every version is a directory `DIR/versions/<seq>-<time>/`
//! holding `latest.jsonl` and `manifest.json`, never changed once it has its name, and
//! `DIR/latest` is a relative symlink to the current one, replaced with rename(2). A reader that
//! opens `DIR/latest/...` therefore sees one whole version, whatever instant a writer died at.
//! Not here: what goes into a version (see `plan` and the merge functions).

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use chrono::Utc;

use super::manifest::{Manifest, ManifestError};
use crate::pipeline::data_dir::{DataDir, LATEST_LINK, VERSIONS_DIR};
use crate::pipeline::swap::{Staged, SwapError, point_link};

pub(crate) use crate::pipeline::data_dir::DATA_FILE;
pub(crate) const MANIFEST_FILE: &str = "manifest.json";
const STAGING_PREFIX: &str = ".staging-";
const LINK_TMP_PREFIX: &str = ".latest.tmp-";
/// Version directories kept besides the current one and the one a rollback would restore.
const KEEP_VERSIONS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Swap(#[from] SwapError),
    #[error(
        "{path} is a plain directory, not a link to a stored version: move it aside and merge its latest.jsonl as a batch"
    )]
    NotVersioned { path: PathBuf },
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The version `DIR/latest` points at.
#[derive(Debug, Clone)]
pub(crate) struct CurrentVersion {
    /// The directory name inside `DIR/versions/`.
    pub name: String,
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl CurrentVersion {
    pub(crate) fn data_file(&self) -> PathBuf {
        self.dir.join(DATA_FILE)
    }
}

/// A dataset directory (`DIR`).
#[derive(Debug, Clone)]
pub(crate) struct Store {
    dir: DataDir,
}

/// Holds the dataset directory's lock: one writer at a time. Released when dropped (or when the
/// process dies: the kernel drops the lock with the file).
#[derive(Debug)]
pub(crate) struct WriterLock {
    _file: File,
}

impl Store {
    pub(crate) fn new(dir: &DataDir) -> Store {
        Store { dir: dir.clone() }
    }

    fn versions(&self) -> PathBuf {
        self.dir.versions_dir()
    }

    /// The current version, or None when nothing was ever merged here.
    pub(crate) fn current(&self) -> Result<Option<CurrentVersion>, StoreError> {
        let link = self.dir.latest_link();
        let target = match fs::read_link(&link) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                return Err(StoreError::NotVersioned { path: link });
            }
            Err(e) => return Err(io_err("cannot read the link", &link)(e)),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = self.dir.root().join(&target);
        let manifest = Manifest::read(&dir.join(MANIFEST_FILE))?;
        Ok(Some(CurrentVersion {
            name,
            dir,
            manifest,
        }))
    }

    /// Waits for, then takes, the writer lock of this dataset directory.
    pub(crate) fn lock(&self) -> Result<WriterLock, StoreError> {
        fs::create_dir_all(self.versions()).map_err(io_err("cannot create", &self.versions()))?;
        let path = self.dir.merge_lock();
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err("cannot open", &path))?;
        file.lock().map_err(io_err("cannot lock", &path))?;
        Ok(WriterLock { _file: file })
    }

    /// Removes what a writer killed half-way left behind. Call only while holding the lock.
    pub(crate) fn remove_leftovers(&self, _lock: &WriterLock) -> Result<(), StoreError> {
        for (dir, prefix) in [
            (self.versions(), STAGING_PREFIX),
            (self.dir.root().to_path_buf(), LINK_TMP_PREFIX),
        ] {
            let entries = match fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err("cannot list", &dir)(e)),
            };
            for entry in entries.flatten() {
                if !entry.file_name().to_string_lossy().starts_with(prefix) {
                    continue;
                }
                let path = entry.path();
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                let removed = if is_dir {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                removed.map_err(io_err("cannot remove the leftover", &path))?;
            }
        }
        Ok(())
    }

    /// A fresh hidden directory to write the next version into.
    pub(crate) fn stage(&self, _lock: &WriterLock) -> Result<Staged, StoreError> {
        let stamp = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        let dir = self
            .versions()
            .join(format!("{STAGING_PREFIX}{}-{stamp}", std::process::id()));
        Ok(Staged::create(dir)?)
    }

    /// The sequence number for the next version: above every version ever stored here.
    pub(crate) fn next_version(&self, current: Option<&CurrentVersion>) -> Result<u64, StoreError> {
        let highest = self
            .version_dirs()?
            .into_iter()
            .map(|(seq, _)| seq)
            .chain(current.map(|c| c.manifest.version))
            .max()
            .unwrap_or(0);
        Ok(highest + 1)
    }

    /// Every stored version directory, by sequence number.
    pub(crate) fn version_dirs(&self) -> Result<Vec<(u64, PathBuf)>, StoreError> {
        let dir = self.versions();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err("cannot list", &dir)(e)),
        };
        let mut out: Vec<(u64, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let seq = name.split('-').next()?.parse().ok()?;
                Some((seq, e.path()))
            })
            .collect();
        out.sort();
        Ok(out)
    }

    pub(crate) fn find_version(&self, seq: u64) -> Result<Option<PathBuf>, StoreError> {
        Ok(self
            .version_dirs()?
            .into_iter()
            .find(|(s, _)| *s == seq)
            .map(|(_, p)| p))
    }

    /// Names the staged version and points `DIR/latest` at it: the one instant the dataset changes.
    pub(crate) fn publish(
        &self,
        _lock: &WriterLock,
        staging: Staged,
        version: u64,
    ) -> Result<PathBuf, StoreError> {
        let name = format!("{version:08}-{}", Utc::now().format("%Y%m%dT%H%M%S%.3fZ"));
        let final_dir = self.versions().join(&name);
        staging.name(&final_dir)?;
        point_link(
            self.dir.root(),
            LATEST_LINK,
            &Path::new(VERSIONS_DIR).join(&name),
            LINK_TMP_PREFIX,
        )?;
        Ok(final_dir)
    }

    /// Deletes old versions, keeping the newest few, the current one and `protect`.
    pub(crate) fn prune(&self, _lock: &WriterLock, protect: &[u64]) -> Result<(), StoreError> {
        let dirs = self.version_dirs()?;
        let cut = dirs.len().saturating_sub(KEEP_VERSIONS + 1);
        for (seq, path) in dirs.into_iter().take(cut) {
            if !protect.contains(&seq) {
                fs::remove_dir_all(&path).map_err(io_err("cannot remove", &path))?;
            }
        }
        Ok(())
    }
}

/// Writes `bytes` to `dir/name` durably (temporary name, fsync, rename, fsync dir).
pub(crate) fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    let path = dir.join(name);
    crate::dataset::AtomicFile::write_bytes(&path, bytes).map_err(|e| StoreError::Io {
        action: "cannot write",
        path: path.clone(),
        source: io::Error::other(e.to_string()),
    })
}
