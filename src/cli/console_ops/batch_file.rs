//! A pending batch file's figures for the console's batch table, read in blocks on both cores
//! straight from the lines: no record is held, so the pending records of a 100k-author harvest
//! cost a few megabytes instead of gigabytes. Lines that are not records are skipped, as the
//! table always did: the merge plan names them.

use std::path::Path;

use rayon::prelude::*;

// Read the way the console reads the dataset itself.
use super::rows::{BLOCK_BYTES, STRETCH_LINES};
use crate::dataset::{DatasetError, LineBlock, LineBlocks, ReadLine, parse_line};
use crate::ui::batch_file::{BatchContents, RecordFigures};

/// The figures of the records of the JSONL(.gz) file at `path`, the same as
/// [`BatchContents::of_records`] on the records `read_dataset` reads from it.
pub(crate) fn read_batch_contents(path: &Path) -> Result<BatchContents, DatasetError> {
    let blocks = LineBlocks::open(path, BLOCK_BYTES)?;
    let mut out = BatchContents::default();
    std::thread::scope(|s| -> Result<(), DatasetError> {
        for block in blocks.read_ahead(s) {
            let block = block?;
            let facts: Vec<Option<RecordFigures>> = (0..block.len())
                .into_par_iter()
                .with_min_len(STRETCH_LINES)
                .map(|k| line_facts(&block, k))
                .collect();
            for f in facts.into_iter().flatten() {
                out.add(f);
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// The facts of line `k`, read raw where that is certain to give the parsed record's answer,
/// else parsed; `None` when the line is not a record.
fn line_facts(block: &LineBlock, k: usize) -> Option<RecordFigures> {
    let (line, text) = block.line(k);
    let text = text.ok()?;
    match ReadLine::read_record(text) {
        Ok(read) => Some(RecordFigures::of(&read.view)),
        Err(_) => parse_line(line, text)
            .ok()
            .map(|record| RecordFigures::of(&record.view())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::read_dataset;
    use std::io::Write;

    const FIXTURES: [&str; 3] = [
        "tests/fixtures/latest-2025-11-14.jsonl",
        "tests/fixtures/prefetched.sample.jsonl",
        "tests/fixtures/placeholder-batch.jsonl",
    ];

    fn read_whole(path: &Path) -> BatchContents {
        BatchContents::of_records(&read_dataset(path).unwrap().records)
    }

    #[test]
    fn a_batch_file_read_in_blocks_has_the_figures_of_its_records_read_whole() {
        for fixture in FIXTURES {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
            let streamed = read_batch_contents(&path).unwrap();
            assert_eq!(streamed, read_whole(&path), "{fixture}");
            assert!(streamed.records > 0, "{fixture}");
        }
    }

    #[test]
    fn the_sample_batch_counts_its_placeholders_and_the_crisis_dataset_its_scores() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let sample = read_batch_contents(&dir.join("placeholder-batch.jsonl")).unwrap();
        assert!(sample.placeholder_records > 0);
        let crisis = read_batch_contents(&dir.join("latest-2025-11-14.jsonl")).unwrap();
        assert_eq!(crisis.records, 531);
        assert_eq!(
            crisis.scores.len(),
            531,
            "every row of the crisis file has a score"
        );
    }

    #[test]
    fn lines_that_are_not_records_are_skipped_and_gz_files_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let fixture = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/placeholder-batch.jsonl"),
        )
        .unwrap();
        // A broken line, an array, a line that is not UTF-8, a blank line, a number the raw
        // reader leaves to the full parse, and a `meta` that is not an object.
        let mut text = fixture.clone().into_bytes();
        text.extend_from_slice(b"{\"handle\":\"broken\"\n[1,2]\n\xff\xfe\n\n");
        text.extend_from_slice(b"{\"handle\":\"exp\",\"meta\":{\"score\":4.5e1}}\n");
        text.extend_from_slice(b"{\"handle\":\"odd_meta\",\"meta\":[1]}\n");
        let plain = dir.path().join("batch.jsonl");
        std::fs::write(&plain, &text).unwrap();
        let gz = dir.path().join("batch.jsonl.gz");
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        enc.write_all(&text).unwrap();
        enc.finish().unwrap();

        let streamed = read_batch_contents(&plain).unwrap();
        assert_eq!(streamed, read_whole(&plain));
        assert_eq!(streamed.records, fixture.lines().count() + 2);
        assert_eq!(
            streamed.scores.last(),
            Some(&45.0),
            "the exponent score is read"
        );
        assert_eq!(read_batch_contents(&gz).unwrap(), streamed);
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let err = read_batch_contents(Path::new("/nonexistent/batch.jsonl")).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/batch.jsonl"),
            "{err}"
        );
    }
}
