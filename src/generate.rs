//! A deterministic generator of realistic author records, for benchmarks and load tests
//! (`influx gen`). Same seed, same records, byte for byte, on every machine and every version of
//! `rand`: that is why it carries its own small PRNG. Not a simulator of the API (see src/sim/).

use std::io::Write;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use crate::dataset::SNOWFLAKE_EPOCH_MS;
use crate::dataset::{Record, format_time};
use crate::pipeline::checks::placeholders::snowflake_users_since;
use crate::pipeline::history::Snapshot;

/// SplitMix64: tiny, fast and stable; quality is ample for synthetic test data.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

const TOPICS: &[&str] = &[
    "AI research",
    "machine learning",
    "venture capital",
    "crypto",
    "security",
    "open source",
    "design",
    "startups",
    "climate",
    "robotics",
    "product",
    "data engineering",
];

const TAGS: &[&str] = &[
    "ai_core",
    "vc_investing",
    "security",
    "crypto",
    "devtools",
    "design",
];

/// The fetch time every generated record claims: fixed, so scores do not drift between runs.
pub(crate) fn generated_as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0)
        .single()
        .expect("valid date")
}

/// Record number `n` of the stream seeded with `seed`: realistic, long-tailed metrics, a snowflake
/// id that agrees with `created_at` for post-2016 accounts, API-shaped `public_metrics`.
pub fn record(seed: u64, n: u64) -> Record {
    let mut rng = SplitMix64::new(seed ^ n.wrapping_mul(0xA24B_AED4_963E_E407));
    let as_of = generated_as_of();
    let start = Utc
        .with_ymd_and_hms(2007, 1, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let span = (as_of - start).num_seconds() - 86_400 * 30;
    let created = start + chrono::Duration::seconds(rng.below(span as u64) as i64);
    let created_ms = created.timestamp_millis();
    // User ids are snowflakes from the day the detectors know; older accounts keep small ones.
    let id = if created >= snowflake_users_since() {
        (((created_ms - SNOWFLAKE_EPOCH_MS) as u64) << 22) | rng.below(1 << 22)
    } else {
        // Pre-snowflake accounts had small sequential ids.
        1_000 + (created_ms.max(0) as u64 / 1_000) % 300_000_000
    };

    let followers = (10f64.powf(2.0 + 1.1 * rng.normal().abs() + 1.5 * rng.unit())).min(2e8) as u64;
    let following = (10f64.powf(1.5 + 1.2 * rng.unit())) as u64;
    let tweets = (10f64.powf(2.0 + 2.5 * rng.unit())) as u64;
    let listed = ((followers as f64) * (0.001 + 0.02 * rng.unit())) as u64;
    let likes = (10f64.powf(1.5 + 3.0 * rng.unit())) as u64;
    let media = tweets / (2 + rng.below(20));
    let handle = format!("gen_{seed:x}_{n}");
    let topic = TOPICS[rng.below(TOPICS.len() as u64) as usize];
    let tag = TAGS[rng.below(TAGS.len() as u64) as usize];
    let verified = ["none", "none", "none", "blue", "blue", "business"][rng.below(6) as usize];
    let fetched = format_time(as_of);

    let value: Value = json!({
        "id": id.to_string(),
        "handle": handle,
        "name": format!("Author {n}"),
        "verified": verified,
        "followers_count": followers,
        "is_org": verified == "business",
        "is_official": false,
        "lang_primary": "en",
        "topic_tags": [tag],
        "created_at": format_time(created),
        "description": format!("Writing about {topic} and {}.", TOPICS[rng.below(TOPICS.len() as u64) as usize]),
        "public_metrics": {
            "followers_count": followers,
            "following_count": following,
            "tweet_count": tweets,
            "listed_count": listed,
            "like_count": likes,
            "media_count": media,
        },
        "meta": {
            "last_refresh_at": fetched,
            "sources": [{"method": "x-api-v2", "fetched_at": fetched, "evidence": format!("generated seed {seed} #{n}")}],
            "provenance_hash": format!("{:016x}{:016x}{:016x}{:016x}", rng.next_u64(), rng.next_u64(), rng.next_u64(), rng.next_u64()),
        },
    });
    Record::from_value(value).expect("generated records are objects")
}

/// Writes `count` records starting at number `first` as JSONL.
pub fn write_records(
    out: &mut dyn Write,
    seed: u64,
    first: u64,
    count: u64,
) -> std::io::Result<()> {
    for n in first..first + count {
        out.write_all(record(seed, n).to_line().as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// A year of weekly history for the stream's first `count` authors: `weeks` snapshots each,
/// the last one a week before [`generated_as_of`] (so that the records [`record`] writes are the
/// next snapshot), followers growing steadily towards the record's count. In author-id order,
/// the order the store keeps them in, so that building a large history appends.
pub fn history(seed: u64, first: u64, count: u64, weeks: u32) -> impl Iterator<Item = Snapshot> {
    let mut authors: Vec<(String, u64)> = (first..first + count)
        .map(|n| (record(seed, n).id().unwrap_or_default().to_string(), n))
        .collect();
    authors.sort();
    let as_of = generated_as_of();
    authors.into_iter().flat_map(move |(id, n)| {
        let r = record(seed, n);
        let m = r.metrics();
        let handle = r.handle().map(str::to_string);
        (0..weeks).map(move |w| {
            let back = i64::from(weeks - w);
            let at = as_of - chrono::Duration::weeks(back);
            // About 0.4% a week of growth, older snapshots smaller.
            let shrink =
                |v: Option<u64>| v.map(|c| (c as f64 * (1.0 - 0.004 * back as f64)) as u64);
            Snapshot {
                author_id: id.clone(),
                handle: handle.clone(),
                fetched_at: format_time(at),
                fetched_unix_ms: at.timestamp_millis(),
                followers_count: shrink(m.followers),
                following_count: m.following,
                tweet_count: shrink(m.tweets),
                listed_count: shrink(m.listed),
                score: None,
                score_state: None,
                score_version: None,
                version: u64::from(w) + 1,
                run: None,
                response_line: None,
                aliases: Vec::new(),
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_record_byte_for_byte() {
        assert_eq!(record(7, 42).to_line(), record(7, 42).to_line());
        assert_ne!(record(7, 42).to_line(), record(8, 42).to_line());
    }

    #[test]
    fn generated_records_carry_full_metrics_and_a_fetch_time() {
        let m = record(1, 3).metrics();
        assert!(m.has_activity());
        assert!(m.followers.is_some() && m.tweets.is_some() && m.listed.is_some());
        assert_eq!(m.as_of, Some(generated_as_of()));
    }

    #[test]
    fn snowflake_ids_decode_to_their_creation_time() {
        for n in 0..200 {
            let r = record(3, n);
            let id: u64 = r.id().unwrap().parse().unwrap();
            let created = r.metrics().created_at.unwrap().timestamp_millis();
            if id > 1 << 40 {
                let decoded = (id >> 22) as i64 + SNOWFLAKE_EPOCH_MS;
                assert!((decoded - created).abs() < 1000, "record {n}");
            }
        }
    }
}
