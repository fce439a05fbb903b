//! How a directory of files is published all or nothing, the one technique of the merge store
//! (`DIR/latest` -> `versions/<n>-<time>/`) and the release store (`release/current` -> `<n>/`):
//! the files are written into a hidden staging directory, which is named once whole (rename(2)),
//! and a relative symlink is pointed at it with a second rename. A reader that opens a path
//! through the link sees the whole old directory or the whole new one, never a mix, whatever
//! instant a writer dies at; what a killed writer leaves is only hidden names, removed by the
//! next one.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::dataset::sync_dir;

/// What failed, and on which path.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}: {source}")]
pub struct SwapError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> SwapError + 'a {
    move |source| SwapError {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// A directory being written, invisible under its hidden name until [`Staged::name`] gives it
/// its own; removed when dropped unnamed (a failed write leaves nothing behind).
#[derive(Debug)]
pub(crate) struct Staged {
    pub dir: PathBuf,
    named: bool,
}

impl Staged {
    /// Creates the staging directory `dir` (a hidden name the store's reader never lists).
    pub(crate) fn create(dir: PathBuf) -> Result<Staged, SwapError> {
        fs::create_dir_all(&dir).map_err(io_err("cannot create", &dir))?;
        Ok(Staged { dir, named: false })
    }

    /// Makes the files durable, then gives the directory its final name `to` (and makes the
    /// name durable): from here on it is never changed.
    pub(crate) fn name(mut self, to: &Path) -> Result<(), SwapError> {
        sync_dir(&self.dir).map_err(io_err("cannot sync", &self.dir))?;
        fs::rename(&self.dir, to).map_err(io_err("cannot name", to))?;
        self.named = true;
        if let Some(parent) = to.parent() {
            sync_dir(parent).map_err(io_err("cannot sync", parent))?;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.named {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Points the symlink `dir/link` at `target` (relative to `dir`): a new link under the hidden
/// name `dir/<tmp_prefix><pid>`, renamed over the old one, the one instant readers switch.
pub(crate) fn point_link(
    dir: &Path,
    link: &str,
    target: &Path,
    tmp_prefix: &str,
) -> Result<(), SwapError> {
    let tmp_link = dir.join(format!("{tmp_prefix}{}", std::process::id()));
    let _ = fs::remove_file(&tmp_link);
    std::os::unix::fs::symlink(target, &tmp_link)
        .map_err(io_err("cannot create the link", &tmp_link))?;
    let link = dir.join(link);
    fs::rename(&tmp_link, &link).map_err(io_err("cannot replace", &link))?;
    sync_dir(dir).map_err(io_err("cannot sync", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staged_directory_dropped_unnamed_leaves_nothing_behind() {
        let root = tempfile::tempdir().unwrap();
        let staged = Staged::create(root.path().join(".staging-1")).unwrap();
        fs::write(staged.dir.join("a"), "half").unwrap();
        drop(staged);
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_link_moves_from_one_whole_directory_to_the_next() {
        let root = tempfile::tempdir().unwrap();
        for (n, text) in [("1", "first"), ("2", "second")] {
            let staged = Staged::create(root.path().join(".staging-x")).unwrap();
            fs::write(staged.dir.join("file"), text).unwrap();
            staged.name(&root.path().join(n)).unwrap();
            point_link(root.path(), "current", Path::new(n), ".tmp-").unwrap();
            let read = fs::read_to_string(root.path().join("current/file")).unwrap();
            assert_eq!(read, text);
        }
        assert_eq!(
            fs::read_link(root.path().join("current")).unwrap(),
            Path::new("2"),
            "relative, so the directory can be moved whole"
        );
        let names: Vec<String> = fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(names.is_empty(), "no hidden name left: {names:?}");
    }
}
