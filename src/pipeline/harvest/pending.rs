//! The batches a harvest has yet to send, and what sending them could cost at worst: the count
//! of their handles that would be billed, kept as batches come and go instead of worked out
//! over the whole queue at every spend event (which made a 100k-handle harvest quadratic: 30%
//! of its samples in the ledger's look-ups, 2026-12-04). Not here: pricing, or the ledger.

use std::collections::VecDeque;

use super::batch::Batch;

/// The batches not yet sent, in the order they go, each with how many of its handles would be
/// billed as counted when it was queued. A handle can only become free later (read today by
/// another batch), so the sum stays an upper bound: a worst case.
#[derive(Debug, Default)]
pub struct Pending {
    batches: VecDeque<(Batch, u64)>,
    billable: u64,
}

impl Pending {
    /// Queues a batch last; `billable` is how many of its handles would be billed now.
    pub fn push_back(&mut self, batch: Batch, billable: u64) {
        self.billable += billable;
        self.batches.push_back((batch, billable));
    }

    /// Queues a batch to go next (a batch put back, a re-harvest asked for).
    pub fn push_front(&mut self, batch: Batch, billable: u64) {
        self.billable += billable;
        self.batches.push_front((batch, billable));
    }

    pub fn pop_front(&mut self) -> Option<Batch> {
        let (batch, billable) = self.batches.pop_front()?;
        self.billable -= billable;
        Some(batch)
    }

    /// Batches queued.
    pub fn len(&self) -> usize {
        self.batches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// Handles queued.
    pub fn handles(&self) -> usize {
        self.batches.iter().map(|(b, _)| b.handles.len()).sum()
    }

    /// Handles queued that would be billed, at worst.
    pub fn billable(&self) -> u64 {
        self.billable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(number: usize, n: usize) -> Batch {
        Batch {
            number,
            handles: (0..n).map(|i| format!("h{number}_{i}")).collect(),
        }
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
}
