//! Batch detectors for things distinct accounts cannot share: snowflake ids within 2^22 of each
//! other (same millisecond, same worker), an identical metric vector, the same creation instant.
//! Copies of one account (same id) are not distinct accounts and never collide with themselves.

use rayon::prelude::*;

use super::ids::SNOWFLAKE_MIN;
use super::{BatchFlag, BatchView, Severity};
use crate::dataset::format_time;

/// Two snowflakes closer than this were minted in the same millisecond by the same worker.
const SAME_MILLISECOND: u64 = 1 << 22;

pub(super) fn sequential_ids(view: &BatchView, out: &mut Vec<BatchFlag>) {
    let mut ids: Vec<(u64, usize)> = (0..view.len())
        .filter_map(|i| {
            view.rows[i]
                .id
                .as_deref()?
                .parse::<u64>()
                .ok()
                .map(|id| (id, i))
        })
        .filter(|(id, _)| *id >= SNOWFLAKE_MIN)
        .collect();
    ids.sort_unstable();
    ids.dedup_by_key(|(id, _)| *id);
    let mut cluster: Vec<(u64, usize)> = Vec::new();
    let mut flush = |cluster: &mut Vec<(u64, usize)>| {
        if cluster.len() >= 2 {
            let idx: Vec<usize> = cluster.iter().map(|(_, i)| *i).collect();
            let (lo, hi) = (cluster[0].0, cluster[cluster.len() - 1].0);
            out.push(BatchFlag {
                detector: "sequential_ids",
                severity: Severity::Strong,
                reason: format!(
                    "{} distinct accounts have snowflake ids within {} of each other \
                     ({lo} to {hi}): X never mints user ids that close ({})",
                    idx.len(),
                    hi - lo,
                    view.labels(&idx)
                ),
                records: idx,
            });
        }
        cluster.clear();
    };
    for &(id, i) in &ids {
        if cluster
            .last()
            .is_some_and(|(prev, _)| id - prev >= SAME_MILLISECOND)
        {
            flush(&mut cluster);
        }
        cluster.push((id, i));
    }
    flush(&mut cluster);
}

pub(super) fn duplicate_metric_vectors(view: &BatchView, out: &mut Vec<BatchFlag>) {
    type Vector = [Option<u64>; 6];
    let keyed: Vec<(Vector, usize)> = (0..view.len())
        .into_par_iter()
        .filter_map(|i| {
            if !view.metrics(i).has_activity() {
                return None;
            }
            let v: Vector = std::array::from_fn(|c| view.value(i, c));
            // Brand-new accounts really do share (0, 0, 0, ...): not evidence of anything.
            (!v.iter().all(|x| x.unwrap_or(0) == 0)).then_some((v, i))
        })
        .collect();
    let mut found: Vec<(Vector, Vec<usize>)> = shared_keys(keyed)
        .filter(|(_, idx)| distinct_ids(view, idx) >= 2)
        .collect();
    found.sort_by_key(|(_, idx)| idx[0]);
    for (v, idx) in found {
        let shown: Vec<String> = v
            .iter()
            .map(|x| x.map_or("-".to_string(), |n| n.to_string()))
            .collect();
        out.push(BatchFlag {
            detector: "duplicate_metric_vector",
            severity: Severity::Strong,
            reason: format!(
                "{} accounts with different ids have the identical metrics \
                 (followers, following, tweets, listed, likes, media) = ({}): {}",
                distinct_ids(view, &idx),
                shown.join(", "),
                view.labels(&idx)
            ),
            records: idx,
        });
    }
}

/// The keys more than one record has, in key order, each with its records in file order. Sorting
/// (in parallel) instead of grouping in a map: a million records make a million groups of one.
fn shared_keys<K: Ord + Copy + Send>(
    mut keyed: Vec<(K, usize)>,
) -> impl Iterator<Item = (K, Vec<usize>)> {
    keyed.par_sort_unstable();
    let mut groups = Vec::new();
    for run in keyed.chunk_by(|a, b| a.0 == b.0) {
        if run.len() >= 2 {
            groups.push((run[0].0, run.iter().map(|&(_, i)| i).collect()));
        }
    }
    groups.into_iter()
}

pub(super) fn shared_created_at(view: &BatchView, out: &mut Vec<BatchFlag>) {
    let keyed: Vec<(chrono::DateTime<chrono::Utc>, usize)> = (0..view.len())
        .into_par_iter()
        .filter_map(|i| Some((view.metrics(i).created_at?, i)))
        .collect();
    let groups = shared_keys(keyed);
    for (t, idx) in groups {
        let n = distinct_ids(view, &idx);
        if n >= 2 {
            out.push(BatchFlag {
                detector: "timestamp_collision",
                severity: Severity::Strong,
                reason: format!(
                    "{n} accounts with different ids were all created at {}: {}",
                    format_time(t),
                    view.labels(&idx)
                ),
                records: idx,
            });
        }
    }
}

/// How many different accounts (by id, else by position) a group holds.
fn distinct_ids(view: &BatchView, idx: &[usize]) -> usize {
    let mut keys: Vec<String> = idx
        .iter()
        .map(|&i| view.rows[i].id.clone().unwrap_or_else(|| format!("#{i}")))
        .collect();
    keys.sort();
    keys.dedup();
    keys.len()
}
