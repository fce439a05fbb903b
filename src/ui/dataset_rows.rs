//! Reading a dataset file into the authors table: one [`AuthorRow`] per record, built from the
//! line read raw on both cores (the ordinary parse where raw reading cannot be sure), in file
//! order, plus a [`RecordStore`] of where each line is, so that no record is held whole. Lines
//! that are not records are reported by number and the others still load. Not here: the derived
//! state (duplicates, counters, orders: `App::rows_changed`) or reading a record again.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::author::AuthorRow;
use super::record_store::RecordStore;
use crate::dataset::{DatasetError, LineBlock, LineBlocks, LineError, is_gz, parse_line};
use crate::pipeline::custody::AnswerIndex;

/// Bytes of whole lines handed to the cores at a time (as the audit reads).
pub(super) const BLOCK_BYTES: usize = 4 << 20;
/// Lines one core takes at a time within a block.
pub(super) const STRETCH_LINES: usize = 256;

/// A dataset file as the console shows it.
#[derive(Debug, Clone, Default)]
pub struct LoadedRows {
    /// The file, as named to [`load_rows`].
    pub path: PathBuf,
    /// One row per record, in file order.
    pub rows: Vec<AuthorRow>,
    /// The record behind each row, same order.
    pub records: RecordStore,
    /// The lines that are not records, by number; every other line is in `rows`.
    pub bad_lines: Vec<LineError>,
    /// The answers the rows were proved against (their `unverified` flags), kept for the
    /// detail pane's custody chain. `None`: custody was not looked at.
    pub answers: Option<Arc<AnswerIndex>>,
    /// The stored file no longer matches its manifest, in words (see `merge::external_edit`).
    pub external_edit: Option<String>,
    /// The directory's history (`DIR/history.sqlite`), when it has one: the detail pane draws
    /// the selected author's snapshots from it.
    pub history_file: Option<PathBuf>,
    /// The previous version's scores in the histogram's ten bins, from the history (the
    /// histogram draws them beside the current ones): (version, bins).
    pub previous_bins: Option<(u64, [u64; 10])>,
    /// The largest score and follower changes, from the history (the movers overlay).
    pub movers: Option<crate::pipeline::history::Movers>,
    /// What the directory's last `influx refresh` did (`DIR/refresh/last.json`).
    pub last_refresh: Option<crate::pipeline::refresh::LastRefresh>,
    /// The refresh's census of the dataset, made when it was read: the authors `s` harvests
    /// are its candidates, chosen by the refresh's own rule (`pipeline::refresh::census`).
    pub census: Option<crate::pipeline::refresh::Census>,
}

impl LoadedRows {
    /// Each bad line in words, with the file and the line number.
    pub fn bad_line_words(&self) -> impl Iterator<Item = String> + '_ {
        self.bad_lines
            .iter()
            .map(|e| format!("{}: {e}", self.path.display()))
    }
}

/// Why a dataset file could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("{}: cannot open: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}: the console reads its lines again by place, which a compressed file does not allow; un-gzip it",
        path.display()
    )]
    Compressed { path: PathBuf },
    #[error("{}: changed while it was being loaded; open it again", path.display())]
    Changed { path: PathBuf },
}

/// Loads `path` (a plain JSONL file). A symbolic link is followed once, before reading, so that
/// the rows and the store's offsets are of the same file even if the link moves meanwhile.
pub fn load_rows(path: &Path) -> Result<LoadedRows, LoadError> {
    load_in_blocks(path, BLOCK_BYTES, None)
}

/// [`load_rows`], each record proved against `answers` (`pipeline::custody`): a record that
/// claims an API source its answer does not prove is flagged `unverified`.
pub(crate) fn load_rows_proved(
    path: &Path,
    answers: Arc<AnswerIndex>,
) -> Result<LoadedRows, LoadError> {
    let mut loaded = load_in_blocks(path, BLOCK_BYTES, Some(&answers))?;
    loaded.answers = Some(answers);
    Ok(loaded)
}

fn load_in_blocks(
    path: &Path,
    block_bytes: usize,
    answers: Option<&AnswerIndex>,
) -> Result<LoadedRows, LoadError> {
    if is_gz(path) {
        return Err(LoadError::Compressed {
            path: path.to_path_buf(),
        });
    }
    let open_err = |source| LoadError::Open {
        path: path.to_path_buf(),
        source,
    };
    let target = std::fs::canonicalize(path).map_err(open_err)?;
    let file = File::open(&target).map_err(open_err)?;
    let file_len = file.metadata().map_err(open_err)?.len();
    let mut out = LoadedRows {
        path: path.to_path_buf(),
        records: RecordStore::for_file(path, file).map_err(open_err)?,
        ..LoadedRows::default()
    };
    let blocks = LineBlocks::open(&target, block_bytes)?;
    let mut offset: u64 = 0;
    std::thread::scope(|s| -> Result<(), LoadError> {
        for block in blocks.read_ahead(s) {
            let block = block?;
            if offset == 0 {
                let expected = block.lines_in_file(file_len);
                out.rows.reserve(expected);
                out.records.reserve(expected);
            }
            for (k, row) in rows_of_block(&block, answers).into_iter().enumerate() {
                match row {
                    Ok((line, row)) => {
                        let range = block.range(k);
                        out.records
                            .push_line(offset + range.start as u64, range.len(), line);
                        out.rows.push(row);
                    }
                    Err(e) => out.bad_lines.push(e),
                }
            }
            offset += block.byte_len() as u64;
        }
        Ok(())
    })?;
    // The last block gains a line end when the file lacks one.
    if offset != file_len && offset != file_len + 1 {
        return Err(LoadError::Changed {
            path: path.to_path_buf(),
        });
    }
    Ok(out)
}

/// The rows of a block's lines with their line numbers, in block order, built in stretches on
/// all cores.
fn rows_of_block(
    block: &LineBlock,
    answers: Option<&AnswerIndex>,
) -> Vec<Result<(usize, AuthorRow), LineError>> {
    (0..block.len())
        .into_par_iter()
        .with_min_len(STRETCH_LINES)
        .map(|k| {
            let (line, text) = block.line(k);
            let text = text?;
            let row = match AuthorRow::from_line(text, answers) {
                Some(row) => row,
                None => AuthorRow::from_record(&parse_line(line, text)?, answers),
            };
            Ok((line, row))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_blocks_give_the_same_rows_and_places_as_large_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.jsonl");
        let mut text = String::new();
        for i in 0..50 {
            text.push_str(&crate::generate::record(5, i).to_line());
            text.push_str(if i % 7 == 0 { "\n\n  \n" } else { "\n" });
        }
        text.push_str("{\"handle\":\"last\",\"meta\":{}}");
        std::fs::write(&path, &text).unwrap();
        let large = load_in_blocks(&path, 1 << 20, None).unwrap();
        let small = load_in_blocks(&path, 300, None).unwrap();
        assert_eq!(large.rows.len(), 51);
        assert_eq!(small.rows, large.rows);
        for row in 0..51 {
            let (a, b) = (small.records.get(row), large.records.get(row));
            assert_eq!(a.unwrap().unwrap(), b.unwrap().unwrap(), "row {row}");
        }
    }
}
