//! Reading a merged version for what its recording needs when the merge says which records it
//! wrote anew: every record counted into the version's distribution, on both cores, and the
//! snapshots of the rewritten and new records only (the copied ones were recorded with the
//! base version). Not here: writing them (see `store`).

use std::path::Path;

use rayon::prelude::*;

use super::snapshot::Snapshot;
use crate::dataset::{DatasetError, LineBlock, LineBlocks, ReadLine};
use crate::pipeline::distribution::DistributionBuilder;
use crate::pipeline::merge::VersionDelta;

/// Bytes of whole lines read at a time: enough work for both cores between two reads.
const BLOCK_BYTES: usize = 4 << 20;
/// Lines one core reads before it takes the next stretch of a block.
const STRETCH_LINES: usize = 1024;

/// What the recording of a version needs from its file, given the merge's `delta`: the
/// distribution of every record, the snapshots of the records not copied from the base, and
/// how many lines describe no moment (counted over every line, as a whole recording counts
/// them). Each stretch of lines gives one, folded into the file's in order.
#[derive(Default)]
pub(super) struct ChangedRead {
    pub distribution: DistributionBuilder,
    pub snapshots: Vec<Snapshot>,
    pub skipped: u64,
}

impl ChangedRead {
    fn absorb(&mut self, other: ChangedRead) {
        self.distribution.absorb(other.distribution);
        self.snapshots.extend(other.snapshots);
        self.skipped += other.skipped;
    }
}

/// Reads `file` (version `version`) once, in blocks, each block's lines on both cores.
pub(super) fn read_changed(
    file: &Path,
    version: u64,
    delta: &VersionDelta,
) -> Result<ChangedRead, DatasetError> {
    let blocks = LineBlocks::open(file, BLOCK_BYTES)?;
    let mut total = ChangedRead::default();
    std::thread::scope(|scope| -> Result<(), DatasetError> {
        let mut ordinal = 0u64;
        for block in blocks.read_ahead(scope) {
            let block = block?;
            total.absorb(read_block(&block, ordinal, version, delta));
            ordinal += block.len() as u64;
        }
        Ok(())
    })?;
    Ok(total)
}

/// One block's lines, whose first is the file's record `first` (0-based), in stretches.
fn read_block(block: &LineBlock, first: u64, version: u64, delta: &VersionDelta) -> ChangedRead {
    (0..block.len())
        .step_by(STRETCH_LINES)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|start| {
            let mut part = ChangedRead::default();
            for k in start..(start + STRETCH_LINES).min(block.len()) {
                let ordinal = first + k as u64;
                let (_, text) = block.line(k);
                let Some(read) = text.ok().and_then(|t| ReadLine::read_record(t).ok()) else {
                    part.skipped += 1;
                    continue;
                };
                part.distribution.add(&read.view);
                match Snapshot::of_view(&read.view, read.meta.as_ref(), version) {
                    Some(s) if !delta.is_copied(ordinal) => part.snapshots.push(s),
                    Some(_) => {}
                    None => part.skipped += 1,
                }
            }
            part
        })
        .reduce(ChangedRead::default, |mut a, b| {
            a.absorb(b);
            a
        })
}
