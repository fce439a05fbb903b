//! A compressed file's decompressed bytes, written aside to an unnamed file as they are read
//! once, so that its lines can then be read again by position like a plain file's (a merge's
//! batch rows) instead of being held in memory: a merge holding a million records took 18 GB.
//! The file has no name: it vanishes when the process ends or dies, and nobody else can write
//! to it.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// `dir` if it exists, else the nearest directory above it that does (the system's temp dir
/// when none does). Spools go on a real disk near the work rather than in a `/tmp` that may be
/// a tmpfs, which would be memory again.
pub(crate) fn nearest_dir(dir: &Path) -> PathBuf {
    // Absolute first: the ancestors of a relative `data` end in "", which is no directory.
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    dir.ancestors()
        .find(|d| d.is_dir())
        .map_or_else(std::env::temp_dir, Path::to_path_buf)
}

/// An unnamed file in `dir`, falling back to the system's temp dir when `dir` refuses one
/// (read-only, say). The error names the directory tried first.
pub(crate) fn create(dir: &Path) -> io::Result<File> {
    tempfile::tempfile_in(dir).or_else(|first| {
        tempfile::tempfile().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "no room for its decompressed rows in {} ({first}) or the temp dir ({e})",
                    dir.display()
                ),
            )
        })
    })
}

/// Hands out what `inner` reads and writes the same bytes, in order, to the spool.
pub(super) struct Tee<R> {
    inner: R,
    spool: File,
}

impl<R: Read> Tee<R> {
    pub(super) fn new(inner: R, spool: File) -> Self {
        Tee { inner, spool }
    }
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        // A spool that cannot take the bytes fails the read: a row the merge could not read
        // again must not be planned.
        self.spool.write_all(&buf[..n]).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("writing its decompressed rows aside: {e}"),
            )
        })?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt;

    #[test]
    fn the_spool_holds_exactly_the_bytes_read_through_the_tee() {
        let dir = tempfile::tempdir().unwrap();
        let spool = create(dir.path()).unwrap();
        let text: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let mut tee = Tee::new(&text[..], spool.try_clone().unwrap());
        let mut read = Vec::new();
        // Small reads, as a decoder hands them out.
        let mut buf = [0u8; 777];
        loop {
            let n = tee.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            read.extend_from_slice(&buf[..n]);
        }
        assert_eq!(read, text);
        let mut back = vec![0u8; text.len()];
        spool.read_exact_at(&mut back, 0).unwrap();
        assert_eq!(back, text);
    }

    #[test]
    fn the_spool_leaves_no_file_behind_in_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let spool = create(dir.path()).unwrap();
        spool.write_at(b"rows", 0).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_directory_not_made_yet_spools_in_the_nearest_one_that_is() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("not/yet/there");
        assert_eq!(nearest_dir(&data), dir.path());
        assert_eq!(nearest_dir(dir.path()), dir.path());
    }

    #[test]
    fn a_relative_directory_not_made_yet_spools_in_the_working_dir_not_the_temp_dir() {
        // `influx merge x.jsonl.gz` into the default `--data data` before a first import.
        let data = Path::new("no-such-data-dir-made-by-this-test/data");
        assert!(!data.exists());
        assert_eq!(nearest_dir(data), std::env::current_dir().unwrap());
    }
}
