//! The discovery world: which lists exist, who is in them, and whom the seed account follows.
//! Fixed sizes and ids (so tests and the demo can name them), members drawn from the seed.
//! Some accounts sit in two sources, as in life, so dedup and same-day-free billing show.
//! Not here: what the accounts look like (see `cast`) or how pages are served (see `discover`).

use std::collections::HashMap;

use super::cast::{Casting, Kind};
use super::draw::{Draws, hash_key};
use super::extras;
use super::profiles::{Profile, ProfileKnobs};

/// A list the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimList {
    pub id: &'static str,
    pub name: &'static str,
    /// Members served when no configured not-found or suspended handle hides one.
    pub members: usize,
}

/// AI researchers and engineers, with the companies, outlets and odd accounts such lists gather.
pub const AI_LIST: SimList = SimList {
    id: "1700000000000000001",
    name: "AI researchers & engineers",
    members: 150,
};

/// Mostly news outlets and reporters; five members are also on the AI list.
pub const NEWS_LIST: SimList = SimList {
    id: "1700000000000000002",
    name: "Tech news",
    members: 60,
};

/// A private list of the seed account: answered as not found, like an unknown id.
pub const PRIVATE_LIST_ID: &str = "1700000000000000003";

/// The seed account, owner of the AI list, whose following the simulator serves.
pub const SEED_HANDLE: &str = "ada_lindqvist";

/// How many accounts the seed follows: two pages at 1,000 a page. 30 of them are on the AI
/// list and 10 on the news list.
pub const SEED_FOLLOWING: usize = 1_200;

/// Kinds in a list, repeated in this proportion.
const AI_MIX: &[(Kind, usize)] = &[
    (Kind::Company, 3),
    (Kind::Notable, 10),
    (Kind::Rising, 6),
    (Kind::BlueMid, 2),
    (Kind::Outlet, 1),
    (Kind::Government, 1),
    (Kind::Protected, 2),
    (Kind::Parody, 1),
    (Kind::Dormant, 2),
    (Kind::Silent, 1),
    (Kind::Sample, 1),
];
const NEWS_MIX: &[(Kind, usize)] = &[
    (Kind::Outlet, 6),
    (Kind::Notable, 2),
    (Kind::Rising, 2),
    (Kind::Dormant, 1),
];
const FOLLOWING_MIX: &[(Kind, usize)] = &[
    (Kind::Company, 1),
    (Kind::Notable, 12),
    (Kind::Rising, 18),
    (Kind::BlueMid, 2),
    (Kind::Outlet, 1),
    (Kind::Protected, 2),
    (Kind::Parody, 1),
    (Kind::Dormant, 2),
    (Kind::Silent, 1),
];

/// AI-list members also on the news list, and AI and news members the seed follows.
const AI_IN_NEWS: usize = 5;
const AI_FOLLOWED: usize = 30;
const NEWS_FOLLOWED: usize = 10;

/// One list: its members by lowercase handle, in the order pages serve them.
#[derive(Debug)]
pub(super) struct ListEntry {
    pub name: &'static str,
    pub owner: String,
    pub private: bool,
    pub members: Vec<String>,
}

/// Every discovery account, every list, every following.
#[derive(Debug)]
pub(super) struct World {
    /// The seed, every member and following, and the organizations affiliations name.
    pub accounts: Vec<Profile>,
    lists: HashMap<u64, ListEntry>,
    following: HashMap<String, Vec<String>>,
}

fn list_id(text: &str) -> u64 {
    text.parse().expect("list ids are numbers")
}

/// New accounts of a mix, `n` in all, shuffled.
fn group(c: &mut Casting, d: &mut Draws, mix: &[(Kind, usize)], n: usize) -> Vec<Profile> {
    let per_round: usize = mix.iter().map(|(_, k)| k).sum();
    let rounds = n.div_ceil(per_round);
    // Kind by kind, so companies exist before the people affiliated with them.
    let mut out: Vec<Profile> = mix
        .iter()
        .flat_map(|&(kind, k)| std::iter::repeat_n(kind, k * rounds))
        .map(|kind| c.account(kind))
        .collect();
    out.truncate(n);
    shuffle(d, &mut out);
    out
}

fn shuffle<T>(d: &mut Draws, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = d.between(0, i as u64) as usize;
        items.swap(i, j);
    }
}

fn keys(profiles: &[Profile]) -> Vec<String> {
    profiles
        .iter()
        .map(|p| p.username.to_ascii_lowercase())
        .collect()
}

impl World {
    pub(super) fn new(knobs: ProfileKnobs) -> World {
        let mut c = Casting::new(knobs);
        let orgs = extras::org_accounts(&knobs);
        for org in &orgs {
            c.reserve(&org.username);
        }
        let mut d = Draws::new(hash_key(knobs.seed, "lists", b""));
        let mut seed = c.named(
            SEED_HANDLE,
            "Ada Lindqvist",
            "Building retrieval systems. I follow too many people and curate lists of the rest.",
        );
        seed.following = SEED_FOLLOWING as u64;
        let ai = group(&mut c, &mut d, AI_MIX, AI_LIST.members);
        let news_own = group(&mut c, &mut d, NEWS_MIX, NEWS_LIST.members - AI_IN_NEWS);
        let followed_own = group(
            &mut c,
            &mut d,
            FOLLOWING_MIX,
            SEED_FOLLOWING - AI_FOLLOWED - NEWS_FOLLOWED,
        );
        let ai_keys = keys(&ai);
        let news_own_keys = keys(&news_own);
        let mut news_keys: Vec<String> = ai_keys[..AI_IN_NEWS].to_vec();
        news_keys.extend(news_own_keys.iter().cloned());
        shuffle(&mut d, &mut news_keys);
        let mut followed: Vec<String> = ai_keys[AI_IN_NEWS..AI_IN_NEWS + AI_FOLLOWED].to_vec();
        followed.extend(news_own_keys[..NEWS_FOLLOWED].iter().cloned());
        followed.extend(keys(&followed_own));
        shuffle(&mut d, &mut followed);
        let seed_key = SEED_HANDLE.to_string();
        let news_owner = news_own
            .iter()
            .find(|p| p.name.ends_with(" News"))
            .map_or_else(|| seed_key.clone(), |p| p.username.to_ascii_lowercase());
        let lists = HashMap::from([
            (
                list_id(AI_LIST.id),
                ListEntry {
                    name: AI_LIST.name,
                    owner: seed_key.clone(),
                    private: false,
                    members: ai_keys,
                },
            ),
            (
                list_id(NEWS_LIST.id),
                ListEntry {
                    name: NEWS_LIST.name,
                    owner: news_owner,
                    private: false,
                    members: news_keys,
                },
            ),
            (
                list_id(PRIVATE_LIST_ID),
                ListEntry {
                    name: "close friends",
                    owner: seed_key.clone(),
                    private: true,
                    members: keys(&followed_own[..20]),
                },
            ),
        ]);
        let following = HashMap::from([(seed_key, followed)]);
        let mut accounts = vec![seed];
        accounts.extend(ai);
        accounts.extend(news_own);
        accounts.extend(followed_own);
        accounts.extend(orgs);
        World {
            accounts,
            lists,
            following,
        }
    }

    /// A public list; private ones are hidden like unknown ids.
    pub(super) fn list(&self, id: u64) -> Option<&ListEntry> {
        self.lists.get(&id).filter(|l| !l.private)
    }

    /// Whom an account (by lowercase handle) follows; nobody for accounts outside the world.
    pub(super) fn following(&self, handle_lower: &str) -> &[String] {
        self.following.get(handle_lower).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use chrono::{TimeZone, Utc};

    use super::*;

    fn world(seed: u64) -> World {
        World::new(ProfileKnobs {
            seed,
            until: Utc.with_ymd_and_hms(2025, 11, 14, 0, 0, 0).unwrap(),
            post_count_rate: 0.0,
            tweet_error_rate: 0.0,
            posts_until: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
        })
    }

    #[test]
    fn lists_and_following_have_their_announced_sizes_and_no_member_twice() {
        let w = world(1);
        for (list, n) in [(AI_LIST, 150), (NEWS_LIST, 60)] {
            let members = &w.list(list_id(list.id)).expect("public").members;
            assert_eq!(members.len(), n);
            assert_eq!(members.iter().collect::<HashSet<_>>().len(), n);
        }
        let f = w.following(SEED_HANDLE);
        assert_eq!(f.len(), SEED_FOLLOWING);
        assert_eq!(f.iter().collect::<HashSet<_>>().len(), SEED_FOLLOWING);
        assert!(w.list(list_id(PRIVATE_LIST_ID)).is_none());
    }

    #[test]
    fn some_accounts_sit_in_two_sources() {
        let w = world(2);
        let ai: HashSet<_> = w
            .list(list_id(AI_LIST.id))
            .unwrap()
            .members
            .iter()
            .collect();
        let news: HashSet<_> = w
            .list(list_id(NEWS_LIST.id))
            .unwrap()
            .members
            .iter()
            .collect();
        let followed: HashSet<_> = w.following(SEED_HANDLE).iter().collect();
        assert_eq!(ai.intersection(&news).count(), AI_IN_NEWS);
        assert_eq!(ai.intersection(&followed).count(), AI_FOLLOWED);
        assert_eq!(news.intersection(&followed).count(), NEWS_FOLLOWED);
    }

    #[test]
    fn the_ai_list_is_a_realistic_mix() {
        let w = world(3);
        let by_key: HashMap<String, &Profile> = w
            .accounts
            .iter()
            .map(|p| (p.username.to_ascii_lowercase(), p))
            .collect();
        let members: Vec<&Profile> = w
            .list(list_id(AI_LIST.id))
            .unwrap()
            .members
            .iter()
            .map(|k| by_key[k])
            .collect();
        let count = |f: &dyn Fn(&Profile) -> bool| members.iter().filter(|p| f(p)).count();
        assert!(count(&|p| p.verified_type == "none" && p.followers >= 50_000) > 0);
        assert!(count(&|p| p.followers < 50_000) > 20);
        assert!(
            count(&|p| p.verified_type == "blue" && (30_000..50_000).contains(&p.followers)) > 0
        );
        assert!(
            count(&|p| p.verified_type == "business"
                && p.description.starts_with("The official account of"))
                > 0
        );
        assert!(count(&|p| p.name.ends_with(" News")) > 0);
        assert!(count(&|p| p.verified_type == "government") > 0);
        assert!(count(&|p| p.protected) > 0);
        assert!(count(&|p| p.parody && p.name.ends_with("(Parody)")) > 0);
        assert!(count(&|p| p.name.starts_with("Sample User")) > 0);
        assert!(count(&|p| p.affiliation.is_some()) > 0);
        assert!(count(&|p| p.tweets == 0 && p.most_recent_post_id.is_none()) > 0);
        let scripts = [
            "機",
            "人工",
            "인공",
            "Исслед",
            "Investig",
            "Cherche",
            "Forsch",
            "Ricerca",
        ];
        for s in scripts {
            assert!(
                w.accounts.iter().any(|p| p.description.contains(s)),
                "a bio with {s}"
            );
        }
        let bare = |p: &&Profile| !p.description.contains(' ') && !p.description.is_empty();
        assert!(
            w.accounts
                .iter()
                .filter(bare)
                .any(|p| p.description.starts_with("https://"))
        );
        assert!(
            w.accounts
                .iter()
                .filter(bare)
                .any(|p| !p.description.is_ascii())
        );
    }
}
