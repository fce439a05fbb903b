//! The batches a harvest has yet to send, and what sending them could cost at worst: the count
//! of their handles that would be billed, kept as batches come and go instead of worked out
//! over the whole queue at every spend event (which made a 100k-handle harvest quadratic: 30%
//! of its samples in the ledger's look-ups; docs/perf-log.md). Not here: pricing, or the ledger.

use std::collections::VecDeque;

use super::batch::Batch;

/// The batches not yet sent, in the order they go, each with how many of its handles would be
/// billed as counted when it was queued. Within a day a handle can only become free later (read
/// today by another batch), so the sum stays an upper bound: a worst case. A new day bills
/// yesterday's reads again: the engine then counts the queue again ([`Pending::recount`]).
#[derive(Debug, Default)]
pub(super) struct Pending {
    batches: VecDeque<(Batch, u64)>,
    billable: u64,
}

impl Pending {
    /// Queues a batch last; `billable` is how many of its handles would be billed now.
    pub(super) fn push_back(&mut self, batch: Batch, billable: u64) {
        self.billable += billable;
        self.batches.push_back((batch, billable));
    }

    /// Queues a batch to go next (a batch put back, a re-harvest asked for).
    pub(super) fn push_front(&mut self, batch: Batch, billable: u64) {
        self.billable += billable;
        self.batches.push_front((batch, billable));
    }

    pub(super) fn pop_front(&mut self) -> Option<Batch> {
        let (batch, billable) = self.batches.pop_front()?;
        self.billable -= billable;
        Some(batch)
    }

    /// Batches queued.
    pub(super) fn len(&self) -> usize {
        self.batches.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// Handles queued.
    pub(super) fn handles(&self) -> usize {
        self.batches.iter().map(|(b, _)| b.handles.len()).sum()
    }

    /// Pages of paged sources queued.
    pub(super) fn pages(&self) -> usize {
        self.batches
            .iter()
            .filter(|(b, _)| b.page.is_some())
            .count()
    }

    /// Counts every queued batch again with `billable` (a new day began).
    pub(super) fn recount(&mut self, billable: impl Fn(&Batch) -> u64) {
        self.billable = 0;
        for (batch, count) in &mut self.batches {
            *count = billable(batch);
            self.billable += *count;
        }
    }

    /// Handles queued that would be billed, at worst.
    pub(super) fn billable(&self) -> u64 {
        self.billable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(number: usize, n: usize) -> Batch {
        Batch::lookup(number, (0..n).map(|i| format!("h{number}_{i}")).collect())
    }

    #[test]
    fn the_worst_case_follows_the_batches_in_and_out() {
        let mut pending = Pending::default();
        pending.push_back(batch(1, 3), 3);
        pending.push_back(batch(2, 2), 1);
        assert_eq!(
            (pending.len(), pending.handles(), pending.billable()),
            (2, 5, 4)
        );
        let first = pending.pop_front().unwrap();
        assert_eq!(first.number, 1);
        assert_eq!(pending.billable(), 1);
        pending.push_front(first, 2);
        assert_eq!(pending.billable(), 3, "counted again as it is now");
        assert_eq!(pending.pop_front().unwrap().number, 1);
        assert_eq!(pending.pop_front().unwrap().number, 2);
        assert!(pending.is_empty());
        assert_eq!(pending.billable(), 0);
        assert!(pending.pop_front().is_none());
    }

    #[test]
    fn a_new_day_counts_the_queue_again() {
        let mut pending = Pending::default();
        pending.push_back(batch(1, 3), 0);
        pending.push_back(batch(2, 2), 1);
        // Yesterday's reads are billed again: every handle counts.
        pending.recount(|b| b.handles.len() as u64);
        assert_eq!(pending.billable(), 5);
        assert_eq!(pending.pop_front().unwrap().number, 1);
        assert_eq!(pending.billable(), 2, "the batch leaves with its new count");
    }
}
