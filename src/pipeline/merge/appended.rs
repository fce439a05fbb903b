//! The new authors of a plan as the pieces `write_version` appends after the stored rows: a run
//! of batch rows that are written as they stand, one after another in their file, is copied by
//! position like untouched stored rows; every other new author is serialised, a chunk at a time
//! on every core (a batch row is read again, parsed and merged alone, exactly as the plan did).
//! Not here: deciding who is new (see `plan`), writing (see `write`).

use std::fs::File;

use rayon::prelude::*;

use super::MergeError;
use super::batch::{BatchRows, merged_alone};
use super::plan::NewAuthor;
use super::write::Tail;

/// New authors serialised together; bounds what is held while a chunk waits to be written.
const CHUNK_AUTHORS: usize = 4096;

/// The pieces, in plan order. `opened` are the batch files, opened and checked unchanged.
pub(super) struct Appended<'p> {
    authors: &'p [NewAuthor],
    batch: &'p BatchRows,
    opened: &'p [Option<File>],
    at: usize,
}

impl<'p> Appended<'p> {
    pub(super) fn new(
        authors: &'p [NewAuthor],
        batch: &'p BatchRows,
        opened: &'p [Option<File>],
    ) -> Self {
        Appended {
            authors,
            batch,
            opened,
            at: 0,
        }
    }

    /// The opened file a batch row can be copied from as it stands, if it can.
    fn copyable(&self, author: &NewAuthor) -> Option<(u32, &'p File)> {
        let NewAuthor::Row(i) = author else {
            return None;
        };
        let row = self.batch.rows[*i as usize];
        if !row.verbatim {
            return None;
        }
        let file = self.opened.get(row.file as usize)?.as_ref()?;
        Some((*i, file))
    }

    /// The run of copyable rows starting at `self.at`, each following the last in one file.
    fn run(&mut self, first: u32, file: &'p File) -> Tail<'p> {
        let row = self.batch.rows[first as usize];
        let (start, mut end, mut rows) = (row.span.start, row.span.end(), 1);
        self.at += 1;
        while let Some(next) = self.authors.get(self.at) {
            match self.copyable(next) {
                Some((i, _)) => {
                    let r = self.batch.rows[i as usize];
                    if r.file != row.file || r.span.start != end + 1 {
                        break;
                    }
                    end = r.span.end();
                    rows += 1;
                    self.at += 1;
                }
                None => break,
            }
        }
        Tail::Copy {
            file,
            path: &self.batch.files[row.file as usize].path,
            start,
            end,
            rows,
        }
    }

    /// Up to `CHUNK_AUTHORS` authors from `self.at` that cannot be copied, serialised.
    fn serialised(&mut self) -> Result<Tail<'p>, MergeError> {
        let from = self.at;
        while self.at < self.authors.len()
            && self.at - from < CHUNK_AUTHORS
            && self.copyable(&self.authors[self.at]).is_none()
        {
            self.at += 1;
        }
        let (batch, opened) = (self.batch, self.opened);
        let lines: Vec<String> = self.authors[from..self.at]
            .par_iter()
            .map(|author| match author {
                NewAuthor::Merged(record) => Ok(record.to_line()),
                NewAuthor::Row(i) => Ok(merged_alone(batch.record(*i, opened)?).to_line()),
            })
            .collect::<Result<_, MergeError>>()?;
        let mut bytes = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for line in &lines {
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
        }
        Ok(Tail::Lines {
            bytes,
            count: lines.len() as u64,
        })
    }
}

impl<'p> Iterator for Appended<'p> {
    type Item = Result<Tail<'p>, MergeError>;

    fn next(&mut self) -> Option<Self::Item> {
        let author = self.authors.get(self.at)?;
        Some(match self.copyable(author) {
            Some((first, file)) => Ok(self.run(first, file)),
            None => self.serialised(),
        })
    }
}
