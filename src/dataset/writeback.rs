//! A file writer that asks the kernel to start writing its pages to disk every few megabytes,
//! so that the fsync at commit finds little left to do: without it a 1.4 GB output waits about
//! a second and a half, after all the work, for the disk to catch up. Advisory only: a failed or
//! unsupported hint changes nothing, the fsync at commit still decides. Not here: atomicity
//! (see `AtomicFile`).

use std::fs::File;
use std::io::{self, Write};

/// Bytes written between two write-back hints: large enough that the hints cost nothing, small
/// enough that the disk starts early and the dirty pages never pile up.
const HINT_BYTES: u64 = 16 << 20;

pub(crate) struct WritebackFile {
    file: File,
    /// Bytes written so far.
    written: u64,
    /// Where the last hint ended.
    hinted: u64,
}

impl WritebackFile {
    pub(crate) fn new(file: File) -> WritebackFile {
        WritebackFile {
            file,
            written: 0,
            hinted: 0,
        }
    }

    pub(crate) fn into_file(self) -> File {
        self.file
    }

    /// Writes the buffers in order, in as few gathered writes (writev) as the kernel takes.
    pub(crate) fn write_all_gathered(&mut self, buffers: &[&[u8]]) -> io::Result<()> {
        let mut slices: Vec<io::IoSlice<'_>> =
            buffers.iter().map(|b| io::IoSlice::new(b)).collect();
        let mut rest = slices.as_mut_slice();
        io::IoSlice::advance_slices(&mut rest, 0);
        while !rest.is_empty() {
            match self.write_vectored(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => io::IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn hint(&mut self) {
        if self.written - self.hinted >= HINT_BYTES {
            start_writeback(&self.file, self.hinted, self.written - self.hinted);
            self.hinted = self.written;
        }
    }
}

impl Write for WritebackFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        self.hint();
        Ok(n)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let n = self.file.write_vectored(bufs)?;
        self.written += n as u64;
        self.hint();
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Starts the write-back of `len` bytes at `offset` without waiting for it.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open for as long as `file` lives; the call only reads its
    // arguments. Its result is ignored on purpose: this is a hint.
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            offset as libc::off64_t,
            len as libc::off64_t,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_written_reaches_the_file_in_order_across_hints() {
        let dir = std::env::temp_dir().join(format!("influx-writeback-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.bin");
        let mut w = WritebackFile::new(File::create(&path).unwrap());
        let chunk: Vec<u8> = (0..=255u8).cycle().take(3 << 20).collect();
        for _ in 0..12 {
            w.write_all(&chunk).unwrap();
        }
        assert!(w.hinted >= HINT_BYTES, "a hint was given");
        w.write_all_gathered(&[b"gath", b"", b"ered\n"]).unwrap();
        w.into_file().sync_all().unwrap();
        let back = std::fs::read(&path).unwrap();
        assert_eq!(back.len(), 12 * chunk.len() + 9);
        assert!(back.ends_with(b"gathered\n"));
        assert!(
            back.chunks(chunk.len())
                .take(12)
                .all(|c| c == chunk.as_slice())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
