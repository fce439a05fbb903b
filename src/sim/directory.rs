//! Which accounts exist: the configured not-found and suspended lists, known dataset records,
//! the discovery cast (see `lists`), then a hash of (seed, handle) for everything else. Also remembers the ids
//! it has handed out, so that `/2/users?ids=` finds the same accounts again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::config::SimConfig;
use super::extras;
use super::profiles::{Profile, ProfileKnobs, chance_of};
use crate::dataset::Record;

/// What a handle or id turns out to be.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Lookup {
    Found(Arc<Profile>),
    NotFound,
    /// Carries the canonical handle, which the API names in the error detail.
    Suspended(String),
}

const ID_SHARDS: usize = 16;
/// Ids remembered at most, so a long benchmark cannot grow the server without bound.
const ID_MEMORY: usize = 2_000_000;

#[derive(Debug)]
pub(super) struct Directory {
    knobs: ProfileKnobs,
    known: HashMap<String, Arc<Profile>>,
    known_ids: HashMap<u64, Arc<Profile>>,
    /// Accounts of lists and followings: they always exist, whatever the random rates.
    cast: HashMap<String, Arc<Profile>>,
    cast_ids: HashMap<u64, Arc<Profile>>,
    not_found: HashSet<String>,
    suspended: HashSet<String>,
    not_found_rate: f64,
    suspended_rate: f64,
    issued: Vec<Mutex<HashMap<u64, String>>>,
}

/// Of several records for one handle, the one with the most metrics; the later one on a tie.
fn richer(a: &Record, b: &Record) -> bool {
    let count = |r: &Record| {
        let m = r.metrics();
        7 - m.missing().len()
    };
    count(b) >= count(a)
}

impl Directory {
    pub(super) fn new(config: &SimConfig, knobs: ProfileKnobs, cast: &[Profile]) -> Directory {
        let mut chosen: HashMap<String, &Record> = HashMap::new();
        for r in &config.known {
            let Some(key) = r.handle_key() else { continue };
            match chosen.get(&key) {
                Some(prev) if !richer(prev, r) => {}
                _ => {
                    chosen.insert(key, r);
                }
            }
        }
        let mut known = HashMap::new();
        let mut known_ids = HashMap::new();
        for (key, r) in chosen {
            if let Some(p) = extras::from_known(r, &knobs) {
                let p = Arc::new(p);
                known_ids.entry(p.id).or_insert_with(|| p.clone());
                known.insert(key, p);
            }
        }
        let mut cast_keys = HashMap::new();
        let mut cast_ids = HashMap::new();
        for p in cast {
            let p = Arc::new(p.clone());
            cast_ids.insert(p.id, p.clone());
            cast_keys.insert(p.username.to_ascii_lowercase(), p);
        }
        let fold = |v: &Vec<String>| -> HashSet<String> {
            v.iter()
                .map(|h| h.trim().trim_start_matches('@').to_ascii_lowercase())
                .collect()
        };
        Directory {
            knobs,
            known,
            known_ids,
            cast: cast_keys,
            cast_ids,
            not_found: fold(&config.not_found),
            suspended: fold(&config.suspended),
            not_found_rate: config.not_found_rate,
            suspended_rate: config.suspended_rate,
            issued: (0..ID_SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    /// Looks a (valid) handle up, case-insensitively.
    pub(super) fn by_handle(&self, handle: &str) -> Lookup {
        let key = handle.to_ascii_lowercase();
        if self.not_found.contains(&key) {
            return Lookup::NotFound;
        }
        if self.suspended.contains(&key) {
            let p = self.profile(&key);
            return Lookup::Suspended(p.username.clone());
        }
        if let Some(p) = self.known.get(&key).or_else(|| self.cast.get(&key)) {
            return Lookup::Found(p.clone());
        }
        if chance_of(self.knobs.seed, "not-found", &key, self.not_found_rate) {
            return Lookup::NotFound;
        }
        let p = Arc::new(extras::generate(&key, &self.knobs));
        if chance_of(self.knobs.seed, "suspended", &key, self.suspended_rate) {
            return Lookup::Suspended(p.username.clone());
        }
        self.remember(p.id, key);
        Lookup::Found(p)
    }

    /// Looks an id up: a known record's id, or one this server has answered before.
    pub(super) fn by_id(&self, id: u64) -> Lookup {
        if let Some(p) = self.known_ids.get(&id).or_else(|| self.cast_ids.get(&id)) {
            return self.by_handle(&p.username);
        }
        let handle = self.shard(id).get(&id).cloned();
        match handle {
            Some(h) => self.by_handle(&h),
            None => Lookup::NotFound,
        }
    }

    fn profile(&self, key: &str) -> Arc<Profile> {
        match self.known.get(key).or_else(|| self.cast.get(key)) {
            Some(p) => p.clone(),
            None => Arc::new(extras::generate(key, &self.knobs)),
        }
    }

    fn shard(&self, id: u64) -> std::sync::MutexGuard<'_, HashMap<u64, String>> {
        self.issued[(id % ID_SHARDS as u64) as usize]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn remember(&self, id: u64, key: String) {
        let mut shard = self.shard(id);
        if shard.len() < ID_MEMORY / ID_SHARDS {
            shard.insert(id, key);
        }
    }
}
