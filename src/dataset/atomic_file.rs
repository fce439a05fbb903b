//! Writing a file all or nothing: a reader sees the old file or the new one, never half of one.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use tempfile::TempPath;

use super::writeback::WritebackFile;
use super::{DatasetError, Record, is_gz};

/// Writes a file atomically: to a temporary name beside it, fsynced, renamed over the target,
/// then the directory fsynced. A reader sees the old file or the new one, never half of one.
/// The temporary file is `tempfile`'s (a unique name, created exclusively, removed when the
/// writer is dropped uncommitted); the fsyncs around its rename are ours, because `persist`
/// alone does not make the rename survive a crash.
pub struct AtomicFile {
    target: PathBuf,
    tmp: Option<TempPath>,
    out: Option<Box<dyn FinishWrite>>,
}

/// A writer that can be flushed all the way to disk (gzip trailer included).
pub trait FinishWrite: Write + Send {
    fn finish_to_disk(self: Box<Self>) -> io::Result<()>;

    /// Writes the buffers in order (see [`AtomicFile::write_gathered`]).
    fn write_gathered(&mut self, buffers: &[&[u8]]) -> io::Result<()> {
        buffers.iter().try_for_each(|b| self.write_all(b))
    }
}

impl FinishWrite for BufWriter<WritebackFile> {
    fn finish_to_disk(self: Box<Self>) -> io::Result<()> {
        let file = self.into_inner().map_err(|e| e.into_error())?;
        file.into_file().sync_all()
    }

    fn write_gathered(&mut self, buffers: &[&[u8]]) -> io::Result<()> {
        let total: usize = buffers.iter().map(|b| b.len()).sum();
        if total < self.capacity() {
            return buffers.iter().try_for_each(|b| self.write_all(b));
        }
        // Past the buffer's size: straight to the kernel, after what the buffer holds.
        self.flush()?;
        self.get_mut().write_all_gathered(buffers)
    }
}

impl FinishWrite for GzEncoder<BufWriter<WritebackFile>> {
    fn finish_to_disk(self: Box<Self>) -> io::Result<()> {
        let buffered = (*self).finish()?;
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.into_file().sync_all()
    }
}

impl AtomicFile {
    /// Starts writing `target` (gzip when it ends in `.gz`).
    pub(crate) fn create(target: &Path) -> Result<Self, DatasetError> {
        let err = |source| DatasetError::Write {
            path: target.to_path_buf(),
            source,
        };
        let dir = parent_dir(target);
        std::fs::create_dir_all(&dir).map_err(err)?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // The file replaces one that others read: the mode a plain create gives, not 0600.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
        let (file, tmp) = builder.tempfile_in(&dir).map_err(err)?.into_parts();
        let buffered = BufWriter::with_capacity(1 << 20, WritebackFile::new(file));
        let out: Box<dyn FinishWrite> = if is_gz(target) {
            Box::new(GzEncoder::new(buffered, Compression::default()))
        } else {
            Box::new(buffered)
        };
        Ok(AtomicFile {
            target: target.to_path_buf(),
            tmp: Some(tmp),
            out: Some(out),
        })
    }

    /// Replaces `target` with `bytes`, all or nothing (a small state or metrics file).
    pub(crate) fn write_bytes(target: &Path, bytes: &[u8]) -> Result<(), DatasetError> {
        let mut file = AtomicFile::create(target)?;
        file.writer()
            .write_all(bytes)
            .map_err(|source| DatasetError::Write {
                path: target.to_path_buf(),
                source,
            })?;
        file.commit()
    }

    pub(crate) fn writer(&mut self) -> &mut dyn Write {
        self.out.as_mut().expect("writer used after commit")
    }

    /// Writes the buffers in order; when together they outgrow the write buffer they go to
    /// the kernel in one gathered write instead of being copied into it first.
    pub(crate) fn write_gathered(&mut self, buffers: &[&[u8]]) -> io::Result<()> {
        self.out
            .as_mut()
            .expect("writer used after commit")
            .write_gathered(buffers)
    }

    /// Writes one record as a canonical JSONL line.
    pub(crate) fn write_record(&mut self, record: &Record) -> Result<(), DatasetError> {
        let line = record.to_line();
        self.write_line(&line)
    }

    pub(crate) fn write_line(&mut self, line: &str) -> Result<(), DatasetError> {
        let target = self.target.clone();
        let w = self.writer();
        w.write_all(line.as_bytes())
            .and_then(|_| w.write_all(b"\n"))
            .map_err(|source| DatasetError::Write {
                path: target,
                source,
            })
    }

    /// Flushes, fsyncs, renames into place and fsyncs the directory.
    pub(crate) fn commit(mut self) -> Result<(), DatasetError> {
        let err = |source| DatasetError::Write {
            path: self.target.clone(),
            source,
        };
        let out = self.out.take().expect("commit called once");
        out.finish_to_disk().map_err(err)?;
        let tmp = self.tmp.take().expect("commit called once");
        tmp.persist(&self.target).map_err(|e| err(e.error))?;
        sync_dir(&parent_dir(&self.target)).map_err(err)
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// fsyncs a directory so that a rename inside it survives a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes records to `path` atomically, one canonical line each.
pub fn write_dataset<'a>(
    path: &Path,
    records: impl IntoIterator<Item = &'a Record>,
) -> Result<(), DatasetError> {
    let mut out = AtomicFile::create(path)?;
    for r in records {
        out.write_record(r)?;
    }
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_uncommitted_file_leaves_the_old_one_and_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("latest.jsonl");
        std::fs::write(&target, "old\n").unwrap();
        let mut file = AtomicFile::create(&target).unwrap();
        file.write_line("new").unwrap();
        assert_eq!(
            names_in(dir.path()).len(),
            2,
            "the temporary sits beside the target"
        );
        drop(file);
        assert_eq!(names_in(dir.path()), ["latest.jsonl"]);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old\n");
    }

    #[test]
    fn a_committed_file_replaces_the_old_one_with_the_mode_a_plain_create_gives() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("latest.jsonl");
        std::fs::write(&target, "old\n").unwrap();
        let mut file = AtomicFile::create(&target).unwrap();
        file.write_line("new").unwrap();
        file.commit().unwrap();
        assert_eq!(names_in(dir.path()), ["latest.jsonl"]);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            let plain = dir.path().join("plain");
            File::create(&plain).unwrap();
            assert_eq!(mode(&target), mode(&plain), "not tempfile's private 0600");
        }
    }
}
