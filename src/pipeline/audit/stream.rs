//! Auditing a file while reading it: lines are read in blocks on one thread while the lines of
//! the previous block are checked in parallel (raw where that is certain, parsed otherwise), each
//! reduced to its [`RecordFacts`], folded into partial tallies and absorbed in file order; no
//! record is kept whole. Duplicated handles are only known at the end, so
//! their copies are read again, and only theirs, for the conflicting values. Not here: what the
//! checks are (`facts`) or how totals are kept (`tally`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::facts::{RecordFacts, facts_of, facts_of_line};
use super::tally::{DuplicateCopies, Tally};
use super::{AuditReport, DuplicateGroup, Gates, duplicates};
use crate::dataset::{
    DatasetError, LineBlock, LineBlocks, LineError, Lines, Record, is_gz, parse_line,
};
use crate::pipeline::custody::AnswerIndex;

/// Bytes of whole lines handed to the parallel checks at a time: large enough to keep both cores
/// busy between hand-overs, small enough not to matter for memory.
const BLOCK_BYTES: usize = 4 << 20;
/// Lines folded into one partial tally: a block is cut into stretches of this many for the cores.
const PART_LINES: usize = 512;
/// Completed duplicate groups whose conflicts are worked out together.
const GROUPS_AT_ONCE: usize = 256;

/// Why a file could not be audited.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("{}: line {line} changed while the file was being audited; audit it again", path.display())]
    Changed { path: PathBuf, line: usize },
}

/// Parses one line into a record, for the lines the raw check leaves to a full parse and for the
/// copies of duplicated handles.
fn read_record(line: usize, text: &str) -> Result<Record, LineError> {
    parse_line(line, text)
}

/// One line's facts: read raw when that is certain to give the parsed record's facts, parsed
/// otherwise (which also words the error of a line that is not a record).
fn check_line(
    line: usize,
    text: &str,
    answers: Option<&AnswerIndex>,
) -> Result<RecordFacts, LineError> {
    match facts_of_line(text, answers) {
        Some(facts) => Ok(facts),
        None => read_record(line, text).map(|r| facts_of(r, answers)),
    }
}

/// Audits a JSONL (or `.jsonl.gz`) file, its unreadable lines named by number in the report.
pub fn audit_file(path: &Path, gates: &Gates) -> Result<AuditReport, AuditError> {
    audit_in_blocks(path, gates, None, BLOCK_BYTES)
}

/// [`audit_file`], each record that claims an API source also proved against `answers`
/// (reported under `provenance`, gated by `mismatch` and `unverifiable`).
pub fn audit_file_against(
    path: &Path,
    gates: &Gates,
    answers: &AnswerIndex,
) -> Result<AuditReport, AuditError> {
    audit_in_blocks(path, gates, Some(answers), BLOCK_BYTES)
}

fn audit_in_blocks(
    path: &Path,
    gates: &Gates,
    answers: Option<&AnswerIndex>,
    block_bytes: usize,
) -> Result<AuditReport, AuditError> {
    let blocks = LineBlocks::open(path, block_bytes)?;
    let mut tally = Tally::default();
    std::thread::scope(|s| -> Result<(), AuditError> {
        let rx = blocks.read_ahead(s);
        // The parts of one block are absorbed while the next block is checked; emptied, they
        // are filled again two blocks on.
        let mut checked: Vec<Tally> = Vec::new();
        let mut spare: Vec<Tally> = Vec::new();
        for block in rx {
            let block = block?;
            if tally.is_empty() && checked.is_empty() {
                tally.reserve(expected_records(path, &block));
            }
            let absorb = || {
                checked
                    .drain(..)
                    .map(|part| tally.absorb(part))
                    .collect::<Vec<_>>()
            };
            let (emptied, parts) = rayon::join(absorb, || check_block(&block, &mut spare, answers));
            spare.extend(emptied);
            checked = parts;
        }
        for part in checked {
            tally.absorb(part);
        }
        Ok(())
    })?;
    let groups = duplicate_groups(path, tally.duplicated())?;
    Ok(tally.finish(groups, gates))
}

/// Checks a block's lines in stretches, each folded into a tally of its own (in block order),
/// the emptied tallies of `spare` first.
fn check_block(
    block: &LineBlock,
    spare: &mut Vec<Tally>,
    answers: Option<&AnswerIndex>,
) -> Vec<Tally> {
    let stretches: Vec<std::ops::Range<usize>> = (0..block.len())
        .step_by(PART_LINES)
        .map(|start| start..(start + PART_LINES).min(block.len()))
        .collect();
    let parts: Vec<Tally> = (0..stretches.len())
        .map(|_| spare.pop().unwrap_or_default())
        .collect();
    stretches
        .into_par_iter()
        .zip(parts)
        .map(|(stretch, mut part)| {
            for k in stretch {
                let (line, text) = block.line(k);
                match text.and_then(|t| check_line(line, t, answers)) {
                    Ok(facts) => part.add(line, facts),
                    Err(e) => part.add_error(&e),
                }
            }
            part
        })
        .collect()
}

/// About how many records the file holds, judged from its size and its first block (0 when it
/// is compressed): reserving room for them once spares copying a million rows as lists grow.
fn expected_records(path: &Path, first: &LineBlock) -> usize {
    match std::fs::metadata(path) {
        Ok(meta) if !is_gz(path) => first.lines_in_file(meta.len()),
        _ => 0,
    }
}

/// Reads the copies of each duplicated handle again (only those lines are parsed) and builds
/// each group as soon as its last copy is read, so that only the text of unfinished groups is held.
fn duplicate_groups(
    path: &Path,
    dups: Vec<DuplicateCopies>,
) -> Result<Vec<DuplicateGroup>, AuditError> {
    if dups.is_empty() {
        return Ok(Vec::new());
    }
    let mut wanted: HashMap<usize, (usize, usize)> = HashMap::new();
    for (g, d) in dups.iter().enumerate() {
        for (k, &line) in d.lines.iter().enumerate() {
            wanted.insert(line, (g, k));
        }
    }
    let mut texts: Vec<Vec<String>> = dups
        .iter()
        .map(|d| vec![String::new(); d.lines.len()])
        .collect();
    let mut missing: Vec<usize> = dups.iter().map(|d| d.lines.len()).collect();
    let mut out: Vec<Option<DuplicateGroup>> = (0..dups.len()).map(|_| None).collect();
    let mut ready: Vec<usize> = Vec::new();
    let mut left = wanted.len();
    let changed = |line| AuditError::Changed {
        path: path.to_path_buf(),
        line,
    };
    for item in Lines::open(path)? {
        let (line, text) = item?;
        let Some(&(g, k)) = wanted.get(&line) else {
            continue;
        };
        texts[g][k] = text.map_err(|_| changed(line))?;
        missing[g] -= 1;
        left -= 1;
        if missing[g] == 0 {
            ready.push(g);
        }
        if ready.len() >= GROUPS_AT_ONCE || left == 0 {
            build_groups(&mut ready, &dups, &mut texts, &mut out, &changed)?;
        }
        if left == 0 {
            break;
        }
    }
    out.into_iter()
        .enumerate()
        .map(|(g, group)| {
            // A copy never came back: the file is shorter than when it was first read.
            let unread = texts[g].iter().position(String::is_empty).unwrap_or(0);
            group.ok_or_else(|| changed(dups[g].lines[unread]))
        })
        .collect()
}

fn build_groups(
    ready: &mut Vec<usize>,
    dups: &[DuplicateCopies],
    texts: &mut [Vec<String>],
    out: &mut [Option<DuplicateGroup>],
    changed: &(dyn Fn(usize) -> AuditError + Sync),
) -> Result<(), AuditError> {
    let work: Vec<(usize, Vec<String>)> = ready
        .drain(..)
        .map(|g| (g, std::mem::take(&mut texts[g])))
        .collect();
    let built: Vec<Result<(usize, DuplicateGroup), AuditError>> = work
        .into_par_iter()
        .map(|(g, copies)| {
            let d = &dups[g];
            let records = copies
                .iter()
                .zip(&d.lines)
                .map(|(text, &line)| read_record(line, text).map_err(|_| changed(line)))
                .collect::<Result<Vec<Record>, _>>()?;
            // The copies must still share the handle the first read grouped them by.
            let key = records[0].handle_key();
            if let Some(r) = records
                .iter()
                .zip(&d.lines)
                .find(|(r, _)| r.handle_key() != key)
            {
                return Err(changed(*r.1));
            }
            let refs: Vec<&Record> = records.iter().collect();
            Ok((
                g,
                duplicates::group(&refs, d.lines.clone(), d.indices.clone()),
            ))
        })
        .collect();
    for b in built {
        let (g, group) = b?;
        out[g] = Some(group);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_does_not_depend_on_how_the_file_is_cut_into_blocks() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/latest-2025-11-14.jsonl");
        let whole = serde_json::to_value(audit_file(&path, &Gates::default()).unwrap()).unwrap();
        for block_bytes in [1, 3000, 64 << 10] {
            let cut = audit_in_blocks(&path, &Gates::default(), None, block_bytes).unwrap();
            assert_eq!(
                serde_json::to_value(cut).unwrap(),
                whole,
                "blocks of {block_bytes}"
            );
        }
    }
}
