//! The accounts that lists and followings are made of, one kind at a time: people above and
//! below 50k followers, companies, news outlets, government bodies, protected, parody, dormant,
//! silent and sample accounts, with bios in many languages. Each is a generated profile (so its
//! id and age agree) with the traits of its kind laid over it. Not here: who is in which list
//! (see `lists`).

use std::collections::HashSet;

use chrono::Duration;

use super::draw::{Draws, hash_key};
use super::extras;
use super::profiles::{self, Affiliation, Profile, ProfileKnobs};

/// What an account is, which decides its name, bio, audience and activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A person with 50k followers or more.
    Notable,
    /// A person below 50k followers.
    Rising,
    /// A person with a bought checkmark and 30k-50k followers, just under the usual bar.
    BlueMid,
    Company,
    Outlet,
    Government,
    Protected,
    Parody,
    /// Last post more than 180 days ago.
    Dormant,
    /// Never posted.
    Silent,
    /// Sample data: `Sample User 12`, `test_account3`.
    Sample,
}

/// A people's naming and writing: first names, last names, bios (in its language), places.
struct Culture {
    first: &'static [&'static str],
    last: &'static [&'static str],
    bios: &'static [&'static str],
    places: &'static [&'static str],
}

const CULTURES: &[Culture] = &[
    Culture {
        first: &[
            "Maya", "Ethan", "Priya", "Jordan", "Claire", "Marcus", "Nina", "Owen",
        ],
        last: &[
            "Chen", "Brooks", "Patel", "Reyes", "Walsh", "Foster", "Kim", "Hughes",
        ],
        bios: &[
            "Research scientist working on large language models. Views my own.",
            "ML engineer. Building evals and inference infra. Previously at a big lab.",
            "Professor of computer science. Robustness, alignment, and good coffee.",
        ],
        places: &["San Francisco, CA", "London", "Seattle, WA", "Boston, MA"],
    },
    Culture {
        first: &["Lucía", "Diego", "Carmen", "Javier", "Elena", "Pablo"],
        last: &[
            "García",
            "Martínez",
            "López",
            "Sánchez",
            "Romero",
            "Navarro",
        ],
        bios: &[
            "Investigadora en aprendizaje automático. Opiniones propias.",
            "Ingeniero de IA en Madrid. Hablo de modelos, datos y producto.",
        ],
        places: &["Madrid", "Barcelona", "Ciudad de México", "Buenos Aires"],
    },
    Culture {
        first: &["Camille", "Julien", "Léa", "Antoine", "Chloé", "Hugo"],
        last: &[
            "Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent",
        ],
        bios: &[
            "Chercheuse en intelligence artificielle. Passionnée de recherche ouverte.",
            "Ingénieur ML à Paris. Je parle d'apprentissage profond et de startups.",
        ],
        places: &["Paris", "Lyon", "Montréal"],
    },
    Culture {
        first: &["Lena", "Jonas", "Anna", "Felix", "Marie", "Lukas"],
        last: &["Schmidt", "Müller", "Weber", "Fischer", "Wagner", "Becker"],
        bios: &[
            "Forscherin für maschinelles Lernen in Berlin. Meinungen sind meine eigenen.",
            "KI-Ingenieur. Schreibt über Sprachmodelle und offene Software.",
        ],
        places: &["Berlin", "München", "Zürich"],
    },
    Culture {
        first: &["Ana", "João", "Beatriz", "Rafael", "Mariana", "Thiago"],
        last: &["Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira"],
        bios: &[
            "Pesquisadora de inteligência artificial. Café e código.",
            "Engenheiro de aprendizado de máquina em São Paulo.",
        ],
        places: &["São Paulo", "Lisboa", "Rio de Janeiro"],
    },
    Culture {
        first: &["Yuki", "Haruto", "Sakura", "Ren", "Aoi", "Sota"],
        last: &["Tanaka", "Sato", "Suzuki", "Takahashi", "Ito", "Watanabe"],
        bios: &[
            "機械学習の研究者です。東京在住。",
            "大規模言語モデルを作っています。意見は個人のものです。",
        ],
        places: &["Tokyo", "Kyoto", "Osaka"],
    },
    Culture {
        first: &["Giulia", "Marco", "Chiara", "Luca", "Francesca", "Matteo"],
        last: &["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano"],
        bios: &[
            "Ricercatrice di intelligenza artificiale a Milano.",
            "Ingegnere di machine learning. Scrivo di modelli linguistici.",
        ],
        places: &["Milano", "Roma", "Torino"],
    },
    Culture {
        first: &["Sanne", "Daan", "Emma", "Bram", "Lotte", "Thijs"],
        last: &["de Vries", "Jansen", "Bakker", "Visser", "Smit", "de Boer"],
        bios: &[
            "Onderzoeker kunstmatige intelligentie in Amsterdam.",
            "ML-engineer. Schrijft over taalmodellen en open data.",
        ],
        places: &["Amsterdam", "Utrecht", "Delft"],
    },
    Culture {
        first: &["Dmitri", "Anastasia", "Ivan", "Olga", "Sergei", "Natalia"],
        last: &[
            "Ivanov",
            "Petrova",
            "Smirnov",
            "Volkova",
            "Kuznetsov",
            "Sokolova",
        ],
        bios: &[
            "Исследователь машинного обучения. Мнения мои собственные.",
            "Инженер по ИИ. Пишу о языковых моделях.",
        ],
        places: &["Moscow", "Tbilisi", "Belgrade"],
    },
    Culture {
        first: &["Minji", "Jihoon", "Seoyeon", "Hyun", "Jiwoo", "Dohyun"],
        last: &["Kim", "Lee", "Park", "Choi", "Jung", "Kang"],
        bios: &[
            "인공지능 연구자입니다. 서울 거주.",
            "머신러닝 엔지니어. 언어 모델을 만듭니다.",
        ],
        places: &["Seoul", "Busan", "Pangyo"],
    },
    Culture {
        first: &["Wei", "Xin", "Jing", "Hao", "Mei", "Lei"],
        last: &["Wang", "Li", "Zhang", "Liu", "Chen", "Yang"],
        bios: &[
            "人工智能研究员，专注于大语言模型。",
            "机器学习工程师，观点仅代表个人。",
        ],
        places: &["Beijing", "Shanghai", "Shenzhen", "Hong Kong"],
    },
];

const EMOJI_BIOS: &[&str] = &["🤖🧠📈", "🚀✨", "🌱💻☕️", "🔬🧬"];

const COMPANY_HEADS: &[&str] = &[
    "Acme",
    "Northwind",
    "Bluepeak",
    "Vertex",
    "Quanta",
    "Lumen",
    "Cobalt",
    "Juniper",
    "Nimbus",
    "Polaris",
    "Kestrel",
    "Tidal",
];
const COMPANY_TRADES: &[&str] = &[
    "Cloud", "Robotics", "AI", "Data", "Labs", "Systems", "Compute",
];
const OUTLET_HEADS: &[&str] = &[
    "Tech", "Daily", "Global", "Silicon", "Byte", "Signal", "Circuit", "Pixel", "Frontier", "Metro",
];
const OUTLET_TAILS: &[&str] = &[
    "Wire", "Post", "Ledger", "Dispatch", "Herald", "Times", "Brief",
];
const GOVERNMENT: &[(&str, &str)] = &[
    ("Office of Science and Technology", "ostp_gov"),
    ("National AI Safety Institute", "aisafety_inst"),
    ("Ministry of Digital Affairs", "digitalaffairs"),
    ("European AI Office", "eu_aioffice"),
    ("Data Protection Authority", "dpa_official"),
    ("Ministère du Numérique", "numerique_gouv"),
];
const SAMPLE_STYLES: &[(&str, &str)] = &[
    ("Sample User", "sample_user_"),
    ("Test Account", "test_account"),
    ("Demo Author", "demo_author_"),
];

/// Builds cast accounts: unique handles, kinds laid over generated profiles.
pub(super) struct Casting {
    knobs: ProfileKnobs,
    d: Draws,
    taken: HashSet<String>,
    companies: Vec<Profile>,
    samples: u32,
    outlets: usize,
    governments: usize,
}

fn handle_of(text: &str) -> String {
    let h: String = text
        .chars()
        .filter_map(|c| {
            let c = fold_accent(c);
            (c.is_ascii_alphanumeric() || c == '_').then(|| c.to_ascii_lowercase())
        })
        .collect();
    h.chars().take(15).collect()
}

/// The handle letter of an accented one (handles are ASCII).
fn fold_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ã' => 'a',
        'é' | 'è' | 'ê' => 'e',
        'í' => 'i',
        'ó' | 'ô' | 'õ' => 'o',
        'ú' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        'ö' => 'o',
        'ä' => 'a',
        other => other,
    }
}

impl Casting {
    pub(super) fn new(knobs: ProfileKnobs) -> Casting {
        Casting {
            knobs,
            d: Draws::new(hash_key(knobs.seed, "cast", b"")),
            taken: HashSet::new(),
            companies: Vec::new(),
            samples: 0,
            outlets: 0,
            governments: 0,
        }
    }

    /// Keeps a handle that another part of the world owns out of the cast.
    pub(super) fn reserve(&mut self, handle: &str) {
        self.taken.insert(handle.to_ascii_lowercase());
    }

    /// Claims the first free handle among `candidates`, or the first with a number added.
    fn claim(&mut self, candidates: &[String]) -> String {
        // Handles are at most 15 characters: long names are cut, as people cut them.
        let candidates: Vec<String> = candidates.iter().map(|c| handle_of(c)).collect();
        for c in &candidates {
            if !c.is_empty() && self.taken.insert(c.clone()) {
                return c.clone();
            }
        }
        let stem: String = candidates[0].chars().take(12).collect();
        (2..)
            .map(|n| format!("{stem}{n}"))
            .find(|h| self.taken.insert(h.clone()))
            .unwrap_or_default()
    }

    /// A notable person under a fixed handle, for the accounts tests and demos name.
    pub(super) fn named(&mut self, handle: &str, name: &str, bio: &str) -> Profile {
        self.taken.insert(handle.to_string());
        let mut p = self.base(handle, name.to_string(), bio.to_string());
        p.verified_type = "blue";
        p.location = "Stockholm".to_string();
        self.audience(&mut p, 80_000, 400_000);
        p
    }

    /// One new account of `kind`.
    pub(super) fn account(&mut self, kind: Kind) -> Profile {
        match kind {
            Kind::Company => self.company(),
            Kind::Outlet => self.outlet(),
            Kind::Government => self.government(),
            Kind::Sample => self.sample(),
            Kind::Parody => self.parody(),
            _ => self.person(kind),
        }
    }

    /// A generated profile under `handle`, with the extra fields of an active account.
    fn base(&mut self, handle: &str, name: String, description: String) -> Profile {
        let mut p = profiles::base(handle, &self.knobs);
        p.username = handle.to_string();
        p.name = name;
        p.description = description;
        p.protected = false;
        p.pinned_tweet_deleted = false;
        p.tweets = p.tweets.max(1);
        self.active(&mut p, 0, 30);
        p
    }

    /// Dates the last post `lo..=hi` days back, recent days likelier.
    fn active(&mut self, p: &mut Profile, lo: u64, hi: u64) {
        let days = lo as f64 + (hi - lo) as f64 * self.d.unit().powi(2);
        let age = Duration::minutes((days * 24.0 * 60.0) as i64);
        let t = extras::last_post_time(p, self.knobs.posts_until, age);
        p.most_recent_post_id = extras::newest_post(p, t, self.d.next_u64());
    }

    fn audience(&mut self, p: &mut Profile, lo: u64, hi: u64) {
        let (l, h) = ((lo as f64).ln(), (hi as f64).ln());
        p.followers = (l + (h - l) * self.d.unit()).exp() as u64;
        p.listed = (p.followers as f64 * (0.001 + 0.01 * self.d.unit())) as u64;
        p.verified_followers = extras::verified_followers(p, &mut self.d);
    }

    fn person(&mut self, kind: Kind) -> Profile {
        let c = self.d.pick(CULTURES);
        let (first, last) = (*self.d.pick(c.first), *self.d.pick(c.last));
        let (f, l) = (handle_of(first), handle_of(last));
        let candidates = [
            format!("{f}_{l}"),
            format!("{f}{l}"),
            handle_of(&format!("{}{l}", &f[..1])),
            format!("{l}_{f}"),
            handle_of(&format!("{f}_{l}_ai")),
        ];
        let handle = self.claim(&candidates);
        let bio = match self.d.between(0, 24) {
            0 => self.d.pick(EMOJI_BIOS).to_string(),
            1 => format!("https://{handle}.dev"),
            _ => self.d.pick(c.bios).to_string(),
        };
        let mut p = self.base(&handle, format!("{first} {last}"), bio);
        p.location = self.d.pick(c.places).to_string();
        p.verified_type = "none";
        match kind {
            Kind::Notable => {
                self.audience(&mut p, 50_000, 3_000_000);
                if self.d.chance(0.5) {
                    p.verified_type = "blue";
                }
            }
            Kind::BlueMid => {
                self.audience(&mut p, 30_000, 49_999);
                p.verified_type = "blue";
            }
            _ => self.audience(&mut p, 200, 49_999),
        }
        match kind {
            Kind::Protected => {
                p.protected = true;
                p.most_recent_post_id = None;
            }
            Kind::Dormant => self.active(&mut p, 181, 2_000),
            Kind::Silent => {
                p.tweets = 0;
                p.pinned_tweet_id = None;
                p.most_recent_post_id = None;
            }
            _ => {}
        }
        p.identity_verified = p.verified_type == "blue" && self.d.chance(0.4);
        if !self.companies.is_empty() && self.d.chance(0.25) {
            let org =
                self.companies[self.d.between(0, self.companies.len() as u64 - 1) as usize].clone();
            p.affiliation = Some(Affiliation::of(&org, &mut self.d));
        }
        p
    }

    fn company(&mut self) -> Profile {
        let head = *self.d.pick(COMPANY_HEADS);
        let trade = *self.d.pick(COMPANY_TRADES);
        let brand = format!("{head} {trade}");
        let handle = self.claim(&[
            handle_of(&brand),
            handle_of(&format!("{brand}hq")),
            handle_of(&format!("{brand}inc")),
        ]);
        let name = if self.d.chance(0.5) {
            format!("{brand} Inc.")
        } else {
            brand.clone()
        };
        let bio = format!(
            "The official account of {brand}. {trade} for teams that ship. Support: @{}",
            handle_of(&format!("{brand}help"))
        );
        let mut p = self.base(&handle, name, bio);
        p.verified_type = "business";
        p.url = format!("https://{}.com", handle_of(&brand));
        self.audience(&mut p, 20_000, 5_000_000);
        self.companies.push(p.clone());
        p
    }

    fn outlet(&mut self) -> Profile {
        let i = self.outlets;
        self.outlets += 1;
        let head = OUTLET_HEADS[i % OUTLET_HEADS.len()];
        let tail = OUTLET_TAILS[(i / OUTLET_HEADS.len() + i) % OUTLET_TAILS.len()];
        let name = format!("{head} {tail} News");
        let handle = self.claim(&[
            handle_of(&format!("{head}{tail}news")),
            handle_of(&format!("{head}{tail}")),
        ]);
        let bio =
            "Breaking news and analysis on technology, science and the business of AI.".to_string();
        let mut p = self.base(&handle, name, bio);
        p.verified_type = if self.d.chance(0.6) {
            "business"
        } else {
            "none"
        };
        self.audience(&mut p, 10_000, 8_000_000);
        self.active(&mut p, 0, 1);
        p
    }

    fn government(&mut self) -> Profile {
        let (name, handle) = GOVERNMENT[self.governments % GOVERNMENT.len()];
        self.governments += 1;
        let handle = self.claim(&[handle.to_string()]);
        let bio =
            format!("Official account of the {name}. Terms of use: https://gov.example/terms");
        let mut p = self.base(&handle, name.to_string(), bio);
        p.verified_type = "government";
        self.audience(&mut p, 5_000, 2_000_000);
        p
    }

    fn parody(&mut self) -> Profile {
        let c = self.d.pick(CULTURES);
        let (first, last) = (*self.d.pick(c.first), *self.d.pick(c.last));
        let l = handle_of(last);
        let handle = self.claim(&[
            format!("not_{l}"),
            format!("{l}_parody"),
            format!("fake{l}"),
        ]);
        let bio = format!("Parody account. Not affiliated with the real {first} {last}.");
        let mut p = self.base(&handle, format!("{first} {last} (Parody)"), bio);
        p.verified_type = if self.d.chance(0.3) { "blue" } else { "none" };
        p.parody = true;
        self.audience(&mut p, 1_000, 400_000);
        p
    }

    fn sample(&mut self) -> Profile {
        self.samples += 1;
        let n = self.samples;
        let (name, stem) = SAMPLE_STYLES[(n as usize - 1) % SAMPLE_STYLES.len()];
        let handle = self.claim(&[format!("{stem}{n}")]);
        let mut p = self.base(
            &handle,
            format!("{name} {n}"),
            "Lorem ipsum dolor sit amet.".to_string(),
        );
        p.verified_type = "none";
        // Typed by hand: round counts.
        p.followers = 1_000 * u64::from(n);
        p.following = 100;
        p.tweets = 10 * u64::from(n);
        p.listed = 0;
        p.verified_followers = 0;
        p
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn casting() -> Casting {
        Casting::new(ProfileKnobs {
            seed: 5,
            until: Utc.with_ymd_and_hms(2025, 11, 14, 0, 0, 0).unwrap(),
            post_count_rate: 0.0,
            tweet_error_rate: 0.0,
            posts_until: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
        })
    }

    #[test]
    fn every_cast_handle_is_a_valid_unique_handle() {
        let mut c = casting();
        let kinds = [
            Kind::Notable,
            Kind::Company,
            Kind::Outlet,
            Kind::Parody,
            Kind::Sample,
        ];
        let mut seen = HashSet::new();
        for i in 0..600 {
            let p = c.account(kinds[i % kinds.len()]);
            assert!(
                (1..=15).contains(&p.username.len())
                    && p.username
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "{}",
                p.username
            );
            assert!(seen.insert(p.username.clone()), "{} twice", p.username);
        }
    }

    #[test]
    fn sample_accounts_are_what_the_placeholder_checks_flag() {
        let mut c = casting();
        for _ in 0..3 {
            let p = c.account(Kind::Sample);
            let line = format!(
                r#"{{"id":"{}","handle":"{}","name":"{}","followers_count":{}}}"#,
                p.id, p.username, p.name, p.followers
            );
            let record = crate::dataset::parse_line(1, &line).expect("a record");
            let flags = crate::pipeline::checks::placeholders::record_flags(&record);
            assert!(!flags.is_empty(), "{} / {} not flagged", p.username, p.name);
        }
    }

    #[test]
    fn protected_and_silent_accounts_show_no_newest_post_and_dormant_ones_an_old_one() {
        let mut c = casting();
        assert_eq!(c.account(Kind::Protected).most_recent_post_id, None);
        assert_eq!(c.account(Kind::Silent).most_recent_post_id, None);
        let dormant = c
            .account(Kind::Dormant)
            .most_recent_post_id
            .expect("posted");
        let t = crate::sim::ids::snowflake_time(dormant).expect("a snowflake");
        assert!(c.knobs.posts_until - t > Duration::days(180), "{t}");
    }
}
