//! The release directory: `release/<n>/` per release, never changed once named, and
//! `release/current`, a relative symlink replaced with rename(2), the merge store's technique
//! (`swap`). A reader that opens `release/current/...` sees one whole release. The current
//! release and the one before it are kept; older ones are removed.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::ReleaseError;
use super::manifest::{MANIFEST_FILE, ReleaseManifest};
use crate::pipeline::swap::{Staged, SwapError, point_link};

pub(crate) const CURRENT: &str = "current";
const STAGING_PREFIX: &str = ".staging-";
const LINK_TMP_PREFIX: &str = ".current.tmp-";
/// Releases kept: the current one and the one before it.
const KEEP: usize = 2;

fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> ReleaseError + 'a {
    move |e| ReleaseError::Io {
        action,
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn swap_err(e: SwapError) -> ReleaseError {
    ReleaseError::Io {
        action: e.action,
        path: e.path,
        reason: e.source.to_string(),
    }
}

/// A release directory and the lock of its one writer.
pub(super) struct ReleaseDir {
    dir: PathBuf,
    _lock: File,
}

impl ReleaseDir {
    /// Opens (creating) `dir` and waits for its writer lock; removes what a writer killed
    /// half-way left.
    pub(super) fn lock(dir: &Path) -> Result<ReleaseDir, ReleaseError> {
        fs::create_dir_all(dir).map_err(io_err("cannot create", dir))?;
        let path = dir.join(".lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err("cannot open", &path))?;
        file.lock().map_err(io_err("cannot lock", &path))?;
        for entry in fs::read_dir(dir)
            .map_err(io_err("cannot list", dir))?
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if name.starts_with(STAGING_PREFIX) {
                fs::remove_dir_all(&path).map_err(io_err("cannot remove", &path))?;
            } else if name.starts_with(LINK_TMP_PREFIX) {
                fs::remove_file(&path).map_err(io_err("cannot remove", &path))?;
            }
        }
        Ok(ReleaseDir {
            dir: dir.to_path_buf(),
            _lock: file,
        })
    }

    /// The numbered releases, lowest first.
    pub(super) fn releases(&self) -> Result<Vec<u64>, ReleaseError> {
        let mut out: Vec<u64> = fs::read_dir(&self.dir)
            .map_err(io_err("cannot list", &self.dir))?
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect();
        out.sort_unstable();
        Ok(out)
    }

    /// The manifest of the release `current` points at, if any.
    pub(super) fn current(&self) -> Result<Option<ReleaseManifest>, ReleaseError> {
        let path = self.dir.join(CURRENT).join(MANIFEST_FILE);
        if !path.exists() {
            return Ok(None);
        }
        ReleaseManifest::read(&path).map(Some)
    }

    pub(super) fn stage(&self) -> Result<Staged, ReleaseError> {
        let dir = self
            .dir
            .join(format!("{STAGING_PREFIX}{}", std::process::id()));
        Staged::create(dir).map_err(swap_err)
    }

    /// Names the staged release `n` and points `current` at it: the one instant the release
    /// changes. Then removes releases older than the previous one.
    pub(super) fn publish(&self, staging: Staged, n: u64) -> Result<PathBuf, ReleaseError> {
        let name = n.to_string();
        let final_dir = self.dir.join(&name);
        staging.name(&final_dir).map_err(swap_err)?;
        point_link(&self.dir, CURRENT, Path::new(&name), LINK_TMP_PREFIX).map_err(swap_err)?;
        let releases = self.releases()?;
        let cut = releases.len().saturating_sub(KEEP);
        for old in releases.into_iter().take(cut) {
            let path = self.dir.join(old.to_string());
            fs::remove_dir_all(&path).map_err(io_err("cannot remove", &path))?;
        }
        Ok(final_dir)
    }
}
