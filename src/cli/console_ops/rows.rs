//! Reading a dataset file into the console's authors table: one [`AuthorRow`] per record,
//! built from the line read raw on both cores (the ordinary parse where raw reading cannot be
//! sure), in file order, plus a [`RecordStore`] of where each line is, so that no record is held
//! whole. Lines that are not records are reported by number and the others still load.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use crate::dataset::{LineBlock, LineBlocks, LineError, PinnedFile, is_gz, parse_line};
use crate::pipeline::custody::AnswerIndex;
use crate::ui::author::AuthorRow;
use crate::ui::dataset_rows::{LoadError, LoadedRows};
use crate::ui::record_store::RecordStore;

/// Bytes of whole lines handed to the cores at a time (as the audit reads).
pub(super) const BLOCK_BYTES: usize = 4 << 20;
/// Lines one core takes at a time within a block.
pub(super) const STRETCH_LINES: usize = 256;

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
        records: RecordStore::for_file(PinnedFile::new(path, file).map_err(open_err)?),
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
            let (a, b) = (small.records.row(row), large.records.row(row));
            let read = |r: Option<_>| super::super::records::read_record(&r.unwrap()).unwrap();
            assert_eq!(read(a), read(b), "row {row}");
        }
    }
}
