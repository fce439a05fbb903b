//! Deterministic, plausible user profiles: everything about an account is drawn from
//! (seed, lowercase handle), so the same handle always looks the same, whatever its casing in
//! the request. Known dataset records override what they carry. Not here: which handles exist
//! (see `directory`) or how a profile is written as JSON (see `user_view`).

use chrono::{DateTime, TimeZone, Utc};

use super::config::SimConfig;
use super::draw::{Draws, hash_key};
use super::ids;
use crate::dataset::Record;

/// A metric that the API may omit or send as null; absent is not zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Metric {
    Absent,
    Null,
    Count(u64),
}

/// An organization badge on a person's profile: the person is affiliated with the account
/// `user_id`, which is not thereby an organization account itself.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Affiliation {
    pub description: String,
    pub url: String,
    pub badge_url: String,
    pub user_id: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Profile {
    pub id: u64,
    /// Canonical casing.
    pub username: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub description: String,
    pub location: String,
    pub url: String,
    pub profile_image_url: String,
    /// `blue`, `business`, `government` or `none`.
    pub verified_type: &'static str,
    pub protected: bool,
    pub followers: u64,
    pub following: u64,
    pub tweets: u64,
    pub listed: u64,
    pub likes: Metric,
    pub media: Metric,
    /// Spell `tweet_count` as `post_count` (spec 2.167).
    pub post_count_spelling: bool,
    pub pinned_tweet_id: Option<u64>,
    /// The pinned post is gone: answers carry a `resource_type: "tweet"` error beside the user.
    pub pinned_tweet_deleted: bool,
    /// The newest post; `None` for protected accounts and accounts that never posted.
    pub most_recent_post_id: Option<u64>,
    pub verified_followers: u64,
    pub identity_verified: bool,
    /// A declared parody, commentary or fan account.
    pub parody: bool,
    pub affiliation: Option<Affiliation>,
}

/// The knobs of generation that come from the configuration.
#[derive(Debug, Clone, Copy)]
pub(super) struct ProfileKnobs {
    pub seed: u64,
    pub until: DateTime<Utc>,
    pub post_count_rate: f64,
    pub tweet_error_rate: f64,
    /// Last posts are dated back from here.
    pub posts_until: DateTime<Utc>,
}

impl ProfileKnobs {
    pub(super) fn of(config: &SimConfig) -> ProfileKnobs {
        let midnight = || {
            let today = Utc::now().date_naive();
            today
                .and_hms_opt(0, 0, 0)
                .map_or_else(Utc::now, |t| t.and_utc())
        };
        ProfileKnobs {
            seed: config.seed,
            until: config.profiles_until,
            post_count_rate: config.post_count_rate,
            tweet_error_rate: config.tweet_error_rate,
            posts_until: config.posts_until.unwrap_or_else(midnight),
        }
    }
}

const TOPICS: &[&str] = &[
    "AI",
    "machine learning",
    "crypto",
    "web3",
    "VC",
    "startups",
    "security",
    "design",
    "climate",
    "biotech",
    "open source",
    "fintech",
    "robotics",
    "space",
    "policy",
    "gaming",
    "media",
    "product",
];
const ROLES: &[&str] = &[
    "Founder",
    "Partner",
    "Researcher",
    "Engineer",
    "Investor",
    "Designer",
    "Reporter",
    "Builder",
    "CTO",
    "Writer",
    "PM",
];
const ORGS: &[&str] = &[
    "Northwind Labs",
    "Tessellate",
    "Arcadia Ventures",
    "Bitforge",
    "Helix Bio",
    "Quiet Systems",
    "Open Orbit",
    "Fieldwork",
    "Lattice Capital",
    "Studio Meridian",
];
const LOCATIONS: &[&str] = &[
    "San Francisco, CA",
    "New York, NY",
    "London",
    "Berlin",
    "Singapore",
    "Toronto",
    "Bangalore",
    "Paris",
    "Austin, TX",
    "Lagos",
    "Tokyo",
    "São Paulo",
    "Earth",
];
const NAME_SUFFIXES: &[&str] = &["", "", "", "", " 🚀", " | AI", " (parody)", " 🇺🇸", " e/acc"];
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn lognormal(d: &mut Draws, mu: f64, sigma: f64, lo: f64, hi: f64) -> u64 {
    (mu + sigma * d.normal()).exp().clamp(lo, hi) as u64
}

fn base62(d: &mut Draws, len: usize) -> String {
    (0..len).map(|_| *d.pick(BASE62) as char).collect()
}

/// The canonical casing of a handle: lowercase, Capitalised, Word_Cased or SHOUTED.
fn canonical_casing(handle: &str, d: &mut Draws) -> String {
    let style = d.unit();
    if style < 0.45 {
        return handle.to_string();
    }
    if style < 0.9 {
        let every_word = style >= 0.7;
        let mut out = String::with_capacity(handle.len());
        let mut start = true;
        for c in handle.chars() {
            if start && c.is_ascii_alphabetic() {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            start = every_word && !c.is_ascii_alphabetic();
        }
        return out;
    }
    if handle.len() <= 8 {
        handle.to_ascii_uppercase()
    } else {
        handle.to_string()
    }
}

fn display_name(username: &str, d: &mut Draws) -> String {
    let words: Vec<String> = username
        .split(|c: char| c == '_' || c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &cs.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect();
    let base = if words.is_empty() {
        username.to_string()
    } else {
        words.join(" ")
    };
    base + *d.pick(NAME_SUFFIXES)
}

fn description(d: &mut Draws) -> String {
    if d.chance(0.06) {
        return String::new();
    }
    let t1 = d.pick(TOPICS);
    let mut t2 = d.pick(TOPICS);
    if t2 == t1 {
        t2 = &"whatever comes next";
    }
    match d.between(0, 3) {
        0 => format!(
            "{} at {}. Writing about {t1} and {t2}.",
            d.pick(ROLES),
            d.pick(ORGS)
        ),
        1 => format!("{t1} / {t2}. Opinions my own."),
        2 => format!(
            "{} in {t1}. Previously {}. {t2} nerd.",
            d.pick(ROLES),
            d.pick(ORGS)
        ),
        _ => format!("Thinking about {t1}, {t2} and the people who build them."),
    }
}

fn created_at(d: &mut Draws, until: DateTime<Utc>) -> DateTime<Utc> {
    let start = ids::first_day().timestamp();
    let end = until.timestamp().max(start + 1);
    // Skewed towards the early 2010s, when most of today's large accounts were opened.
    let u = d.unit().powf(0.85);
    let s = start + ((end - start) as f64 * u) as i64;
    Utc.timestamp_opt(s, 0).single().unwrap_or(until)
}

fn verified_type(followers: u64, d: &mut Draws) -> &'static str {
    let (blue, business, government) = match followers {
        f if f >= 1_000_000 => (0.45, 0.2, 0.05),
        f if f >= 10_000 => (0.2, 0.06, 0.01),
        _ => (0.08, 0.015, 0.002),
    };
    let u = d.unit();
    if u < blue {
        "blue"
    } else if u < blue + business {
        "business"
    } else if u < blue + business + government {
        "government"
    } else {
        "none"
    }
}

fn optional_metric(d: &mut Draws, p_null: f64, p_absent: f64, value: u64) -> Metric {
    let u = d.unit();
    if u < p_null {
        Metric::Null
    } else if u < p_null + p_absent {
        Metric::Absent
    } else {
        Metric::Count(value)
    }
}

/// A generated profile without the extra fields (`extras` draws them, and they may themselves
/// name another generated account).
pub(super) fn base(handle_lower: &str, knobs: &ProfileKnobs) -> Profile {
    let mut d = Draws::new(hash_key(knobs.seed, "profile", handle_lower.as_bytes()));
    let username = canonical_casing(handle_lower, &mut d);
    let name = display_name(&username, &mut d);
    let created_at = created_at(&mut d, knobs.until);
    let id = ids::id_for(created_at, d.next_u64());
    let followers = lognormal(&mut d, 6.0, 2.4, 10.0, 1e8);
    let following = if d.chance(0.02) {
        0
    } else {
        lognormal(&mut d, 5.6, 1.4, 1.0, 500_000.0)
    };
    let age_years = ((knobs.until - created_at).num_days().max(1) as f64) / 365.0;
    let tweets = lognormal(&mut d, 6.5 + (1.0 + age_years).ln(), 1.7, 0.0, 2_000_000.0);
    let listed = (followers as f64 * (0.0005 + 0.02 * d.unit())) as u64;
    let like_value = lognormal(&mut d, 7.8, 1.9, 0.0, 3_000_000.0);
    let likes = optional_metric(&mut d, 0.12, 0.08, like_value);
    let media_value = (tweets as f64 * (0.02 + 0.3 * d.unit())) as u64;
    let media = optional_metric(&mut d, 0.10, 0.12, media_value);
    let verified_type = verified_type(followers, &mut d);
    let protected = d.chance(if followers < 10_000 { 0.06 } else { 0.01 });
    let description = description(&mut d);
    let location = if d.chance(0.3) {
        String::new()
    } else {
        d.pick(LOCATIONS).to_string()
    };
    let url = if d.chance(0.4) {
        String::new()
    } else {
        format!("https://t.co/{}", base62(&mut d, 10))
    };
    let image_id = ids::id_for(knobs.until, d.next_u64());
    let profile_image_url = format!(
        "https://pbs.twimg.com/profile_images/{image_id}/{}_normal.jpg",
        base62(&mut d, 8)
    );
    let pinned_tweet_id = d
        .chance(0.35)
        .then(|| ids::id_for(knobs.until, d.next_u64()).max(id + 1));
    let pinned_tweet_deleted = pinned_tweet_id.is_some()
        && chance_of(
            knobs.seed,
            "pinned-deleted",
            handle_lower,
            knobs.tweet_error_rate / 0.35,
        );
    let post_count_spelling = chance_of(
        knobs.seed,
        "post-count",
        handle_lower,
        knobs.post_count_rate,
    );
    Profile {
        id,
        username,
        name,
        created_at,
        description,
        location,
        url,
        profile_image_url,
        verified_type,
        protected,
        followers,
        following,
        tweets,
        listed,
        likes,
        media,
        post_count_spelling,
        pinned_tweet_id,
        pinned_tweet_deleted,
        most_recent_post_id: None,
        verified_followers: 0,
        identity_verified: false,
        parody: false,
        affiliation: None,
    }
}

/// A draw of its own per purpose, so that changing one rate does not reshuffle other traits.
pub(super) fn chance_of(seed: u64, purpose: &str, handle_lower: &str, p: f64) -> bool {
    p > 0.0 && super::draw::unit_of(hash_key(seed, purpose, handle_lower.as_bytes())) < p
}

/// The API's `verified_type` for the dataset's `verified` values.
fn api_verified_type(v: &str) -> &'static str {
    match v.to_ascii_lowercase().as_str() {
        "blue" => "blue",
        "business" | "org" => "business",
        "government" => "government",
        // Legacy verification no longer shows as a checkmark in API v2.
        _ => "none",
    }
}

/// The profile of a known record: its id, handle, name, followers and metrics as recorded;
/// whatever it lacks is filled from the generated profile, scaled to fit its follower count.
/// `None` when the record has no handle.
pub(super) fn from_known(record: &Record, knobs: &ProfileKnobs) -> Option<Profile> {
    let username = record.handle()?.trim().trim_start_matches('@').to_string();
    if username.is_empty() {
        return None;
    }
    let mut p = base(&username.to_ascii_lowercase(), knobs);
    let m = record.metrics();
    if let Some(id) = record.id().and_then(|s| s.trim().parse::<u64>().ok()) {
        p.id = id;
        p.created_at = m.created_at.unwrap_or_else(|| ids::time_for(id));
    } else if let Some(t) = m.created_at {
        p.created_at = t;
        p.id = ids::id_for(t, p.id);
    }
    p.username = username;
    if let Some(name) = record.name() {
        p.name = name.to_string();
    }
    if let Some(desc) = record.description() {
        p.description = desc.to_string();
    }
    if let Some(v) = record.verified() {
        p.verified_type = api_verified_type(v);
    }
    p.protected = record
        .get("protected")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    if let Some(f) = m.followers {
        // Listed count follows audience size; keep the generated ratio.
        let ratio = p.listed as f64 / p.followers.max(1) as f64;
        p.followers = f;
        p.listed = (f as f64 * ratio) as u64;
    }
    p.following = m.following.unwrap_or(p.following);
    p.tweets = m.tweets.unwrap_or(p.tweets);
    p.listed = m.listed.unwrap_or(p.listed);
    if let Some(l) = m.likes {
        p.likes = Metric::Count(l);
    }
    if let Some(md) = m.media {
        p.media = Metric::Count(md);
    }
    if p.pinned_tweet_id.is_some_and(|t| t <= p.id) {
        p.pinned_tweet_id = Some(p.id + 1);
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knobs(seed: u64) -> ProfileKnobs {
        ProfileKnobs {
            seed,
            until: Utc.with_ymd_and_hms(2025, 11, 14, 0, 0, 0).unwrap(),
            post_count_rate: 0.0,
            tweet_error_rate: 0.02,
            posts_until: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn canonical_casing_changes_only_the_case_of_the_handle() {
        for h in ["jack", "some_handle_9", "abc"] {
            let p = base(h, &knobs(3));
            assert_eq!(p.username.to_ascii_lowercase(), h);
        }
    }

    #[test]
    fn followers_are_long_tailed_between_ten_and_a_hundred_million() {
        let f: Vec<u64> = (0..5000)
            .map(|i| base(&format!("user{i}"), &knobs(1)).followers)
            .collect();
        assert!(f.iter().all(|v| (10..=100_000_000).contains(v)));
        let small = f.iter().filter(|v| **v < 10_000).count();
        let large = f.iter().filter(|v| **v >= 100_000).count();
        let huge = f.iter().filter(|v| **v >= 1_000_000).count();
        assert!(small > 3000, "most accounts are small: {small}");
        assert!(large > 20, "some are large: {large}");
        assert!(huge >= 1, "a few are huge: {huge}");
    }

    #[test]
    fn a_known_record_keeps_its_id_handle_name_and_followers() {
        let rec = crate::dataset::parse_line(
            1,
            r#"{"id":"12","handle":"jack","name":"jack","verified":"blue","followers_count":6500000}"#,
        )
        .unwrap();
        let p = from_known(&rec, &knobs(0)).unwrap();
        assert_eq!(
            (p.id, p.username.as_str(), p.name.as_str(), p.followers),
            (12, "jack", "jack", 6_500_000)
        );
        assert_eq!(p.verified_type, "blue");
        assert!(p.created_at < Utc.with_ymd_and_hms(2006, 4, 1, 0, 0, 0).unwrap());
    }
}
