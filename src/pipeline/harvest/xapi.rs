//! The X API v2 users-lookup client: builds `GET /2/users/by` requests, sends them with explicit
//! timeouts, and reads the answer (body, rate-limit headers) into what happened to every handle.
//!
//! Not here: pacing (see `budget`), retries and runs (see `harvest`). The bearer token lives only
//! inside [`Token`], whose `Debug` is redacted and which is never put into a URL.
//!
//! The parts: `token` (the bearer token), `client` (requests, timeouts, rate-limit headers),
//! `shapes` (the documented answer shapes, typed), `answer` (what an answer means for the run
//! and for each handle),
//! `user_record` (the dataset record built from one user object).

pub(crate) mod answer;
pub(crate) mod client;
pub(crate) mod shapes;
pub(crate) mod token;
pub(crate) mod user_record;

pub(crate) use answer::{Answer, Reconciled, classify, reconcile_by};
pub use client::{
    ClientConfig, ClientError, LookupBy, RateHeaders, RawAnswer, TransportError, XClient, ids_path,
    lookup_path,
};
pub use shapes::{ApiError, ApiUser, BodyError, ProblemBody, ReceivedUser, UsersBody};
pub use token::{Token, TokenError};
pub use user_record::{
    ANSWER_FIELDS, AnswerPlace, UserSource, author_record, author_record_owned, last_post_at,
    run_id, verified_label, verified_label_of,
};

/// Default host of the X API.
pub(crate) const DEFAULT_API_BASE: &str = "https://api.x.com";
/// The most handles one `/2/users/by` request may carry.
pub(crate) const MAX_BATCH: usize = 100;
/// The fields the record, M2 and the admission rules need; without them only id, name and
/// username come back. Every one comes with the user read at no extra cost; no expansion is
/// asked for (`expansions=most_recent_tweet_id` would return the posts, billed as post reads).
pub(crate) const USER_FIELDS: &str = "created_at,description,public_metrics,verified,verified_type,protected,url,location,profile_image_url,most_recent_tweet_id,verified_followers_count,is_identity_verified,parody,affiliation";

/// The keys the id of an author's newest post comes under: spec 2.167 renamed
/// `most_recent_tweet_id` to `most_recent_post_id`; live answers still say the first.
pub(crate) const MOST_RECENT_POST_KEYS: [&str; 2] = ["most_recent_tweet_id", "most_recent_post_id"];

/// User fields kept in the record as the answer gave them (besides those the record names).
pub const KEPT_USER_FIELDS: [&str; 6] = [
    "most_recent_tweet_id",
    "most_recent_post_id",
    "verified_followers_count",
    "is_identity_verified",
    "parody",
    "affiliation",
];

/// The success body of reference/x-api-v2.md, which the tests of every part read.
#[cfg(test)]
pub(crate) const DOCUMENTED_SUCCESS: &str = r#"{"data":[{"id":"2244994945","name":"X Developers","username":"XDevelopers",
  "created_at":"2013-12-14T04:35:55.000Z","description":"The voice of the X developer community",
  "verified":true,"verified_type":"business","protected":false,
  "public_metrics":{"followers_count":583423,"following_count":2048,"tweet_count":14052,
                    "listed_count":1672,"like_count":3140,"media_count":812}}]}"#;
