//! The user fields past the lookup basics: the newest post, verified followers, identity
//! verification, parody and affiliation. Drawn from a stream of their own, so adding them left
//! every older trait of a generated profile as it was.

use chrono::{DateTime, Duration, Utc};

use super::draw::{Draws, hash_key};
use super::ids;
use super::profiles::{self, Affiliation, Profile, ProfileKnobs};

impl Affiliation {
    /// A badge pointing at the account `org`.
    pub(super) fn of(org: &Profile, d: &mut Draws) -> Affiliation {
        Affiliation {
            description: org.name.clone(),
            url: format!("https://x.com/{}", org.username),
            badge_url: badge_url(org.id, d),
            user_id: org.id,
        }
    }
}

/// The profile of a handle nobody configured, from (seed, lowercase handle) alone, with its
/// extra fields.
pub(super) fn generate(handle_lower: &str, knobs: &ProfileKnobs) -> Profile {
    let mut p = profiles::base(handle_lower, knobs);
    fill(&mut p, handle_lower, knobs);
    p
}

/// The profile of a known record (see `profiles::from_known`), its extra fields drawn once
/// protection, name and counts are the record's.
pub(super) fn from_known(record: &crate::dataset::Record, knobs: &ProfileKnobs) -> Option<Profile> {
    let mut p = profiles::from_known(record, knobs)?;
    let key = p.username.to_ascii_lowercase();
    fill(&mut p, &key, knobs);
    Some(p)
}

/// The organizations a generated person may be affiliated with: (handle, name).
const ORG_ACCOUNTS: &[(&str, &str)] = &[
    ("northwindlabs", "Northwind Labs"),
    ("tessellate", "Tessellate"),
    ("arcadiavc", "Arcadia Ventures"),
    ("bitforge", "Bitforge"),
    ("helixbio", "Helix Bio"),
    ("quietsystems", "Quiet Systems"),
    ("openorbit", "Open Orbit"),
];

/// The account of an organization of `ORG_ACCOUNTS`.
fn org_account(handle: &str, name: &str, knobs: &ProfileKnobs) -> Profile {
    let mut p = profiles::base(handle, knobs);
    p.username = handle.to_string();
    p.name = name.to_string();
    p.description = format!("The official account of {name}.");
    p.verified_type = "business";
    p.protected = false;
    fill(&mut p, handle, knobs);
    p
}

/// Every organization an affiliation may name, so that its `user_id` is found by id too.
pub(super) fn org_accounts(knobs: &ProfileKnobs) -> Vec<Profile> {
    ORG_ACCOUNTS
        .iter()
        .map(|(handle, name)| org_account(handle, name, knobs))
        .collect()
}

fn badge_url(org_id: u64, d: &mut Draws) -> String {
    let key: String = (0..6)
        .map(|_| *d.pick(b"abcdefghijklmnopqrstuvwxyz0123456789") as char)
        .collect();
    format!("https://pbs.twimg.com/semantic_core_img/{org_id}/{key}?format=png&name=orig")
}

/// When an account last posted, `age` before `until`, but never before the account existed.
pub(super) fn last_post_time(p: &Profile, until: DateTime<Utc>, age: Duration) -> DateTime<Utc> {
    (until - age).max(p.created_at + Duration::hours(1))
}

/// The newest post's id for a post at `t`, or none when the API shows none: protected accounts
/// and accounts that never posted.
pub(super) fn newest_post(p: &Profile, t: DateTime<Utc>, low: u64) -> Option<u64> {
    (!p.protected && p.tweets > 0).then(|| ids::post_id_at(t, low))
}

/// A share of the followers that are verified: a few percent for most accounts, more for
/// verified ones, whose audiences lean towards other verified accounts.
pub(super) fn verified_followers(p: &Profile, d: &mut Draws) -> u64 {
    let share = if p.verified_type == "none" {
        0.002 + 0.03 * d.unit()
    } else {
        0.02 + 0.13 * d.unit()
    };
    (p.followers as f64 * share) as u64
}

/// Fills the extra fields of a generated or known profile from (seed, handle).
pub(super) fn fill(p: &mut Profile, handle_lower: &str, knobs: &ProfileKnobs) {
    let mut d = Draws::new(hash_key(
        knobs.seed,
        "profile-extras",
        handle_lower.as_bytes(),
    ));
    // Most accounts someone looks up are active: a last post within days; a few went quiet.
    let age = if d.chance(0.08) {
        Duration::days(d.between(181, 1500) as i64)
    } else {
        Duration::minutes((d.unit().powi(3) * 60.0 * 24.0 * 60.0) as i64)
    };
    let t = last_post_time(p, knobs.posts_until, age);
    p.most_recent_post_id = newest_post(p, t, d.next_u64());
    p.verified_followers = verified_followers(p, &mut d);
    p.identity_verified = p.verified_type == "blue" && d.chance(0.3);
    p.parody = p.name.to_ascii_lowercase().contains("(parody)");
    p.affiliation = None;
    let is_org = ORG_ACCOUNTS.iter().any(|(h, _)| *h == handle_lower);
    if !is_org && p.verified_type != "business" && d.chance(0.04) {
        let (handle, name) = *d.pick(ORG_ACCOUNTS);
        let org = org_account(handle, name, knobs);
        p.affiliation = Some(Affiliation::of(&org, &mut d));
    }
}
