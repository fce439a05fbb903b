//! What an answer means: its status and body read into an [`Answer`], and a users body matched
//! to every requested handle ([`reconcile`]).

use std::collections::HashMap;

use super::client::LookupBy;
use super::shapes::{ApiUser, ProblemBody, UsersBody};

/// What an answer means for the run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    /// 200 with a users body: reconcile it.
    Users(UsersBody),
    /// 429 of the "too many requests" kinds: wait for the window.
    RateLimited { detail: String },
    /// 429 UsageCapExceeded: waiting does not help.
    UsageCapped { detail: String },
    /// 401: the token is wrong.
    Unauthorized { detail: String },
    /// 403: the app may not use this endpoint.
    Forbidden { detail: String },
    /// 400: a parameter was refused (should not happen: handles are validated first).
    InvalidRequest { detail: String },
    /// 402 CreditsDepleted: the pay-per-use account has no credits left.
    CreditsDepleted { detail: String },
    /// Another 4xx that no retry can fix: 404 on the endpoint (a wrong base URL), 402 that is
    /// not about credits, 405, 410, 413, 414, 422...
    ClientError { status: u16, detail: String },
    /// 5xx, or another status worth another try.
    ServerError { status: u16, detail: String },
    /// 200 whose body is not the JSON object it should be (truncated, malformed).
    Malformed { detail: String },
}

impl Answer {
    #[cfg(test)]
    /// Stops the whole run: no other batch can succeed either.
    pub(crate) fn is_fatal(&self) -> bool {
        matches!(
            self,
            Answer::UsageCapped { .. }
                | Answer::Unauthorized { .. }
                | Answer::Forbidden { .. }
                | Answer::CreditsDepleted { .. }
                | Answer::ClientError { .. }
        )
    }
}

/// True when a problem `type` URI ends with `/2/problems/{name}`, whatever the host.
pub(crate) fn problem_is(type_uri: &str, name: &str) -> bool {
    type_uri
        .strip_suffix(name)
        .is_some_and(|head| head.ends_with("/2/problems/"))
}

/// Reads status and body into an [`Answer`].
pub(crate) fn classify(status: u16, body: &[u8]) -> Answer {
    if status == 200 {
        return match UsersBody::parse(body) {
            Ok(users) => Answer::Users(users),
            Err(e) => Answer::Malformed {
                detail: e.to_string(),
            },
        };
    }
    let problem: Option<ProblemBody> = serde_json::from_slice(body).ok();
    let detail = match &problem {
        Some(p) => p.shown(),
        None => String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
    };
    let says = |title: &str, problem_name: &str| {
        problem.as_ref().is_some_and(|p| {
            p.title.as_deref() == Some(title)
                || p.type_uri
                    .as_deref()
                    .is_some_and(|t| problem_is(t, problem_name))
        })
    };
    match status {
        429 if says("UsageCapExceeded", "usage-capped") => Answer::UsageCapped { detail },
        429 => Answer::RateLimited { detail },
        401 => Answer::Unauthorized { detail },
        403 => Answer::Forbidden { detail },
        400 => Answer::InvalidRequest { detail },
        402 if says("CreditsDepleted", "credits") => Answer::CreditsDepleted { detail },
        // 408 (the server gave up waiting) and 5xx are worth another try; every other 4xx
        // will answer the same however often it is asked.
        402..=499 if status != 408 => Answer::ClientError { status, detail },
        _ => Answer::ServerError { status, detail },
    }
}

/// What the answer said about one requested handle.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reconciled {
    /// In `data`; protected accounts are found too, with `protected: true`. `sha256` is the
    /// hash of the user object's bytes as received.
    Found {
        user: Box<ApiUser>,
        sha256: String,
        protected: bool,
    },
    NotFound {
        detail: String,
    },
    Suspended {
        detail: String,
    },
    /// In neither `data` nor `errors`, or in a shape we cannot read.
    Failed {
        reason: String,
    },
}

#[cfg(test)]
/// Matches every requested handle to `data` and `errors` (case-insensitively), in request order.
/// Error entries about anything but users (a deleted pinned post) are ignored.
pub(crate) fn reconcile(requested: &[String], body: &UsersBody) -> Vec<(String, Reconciled)> {
    reconcile_owned(requested, body.clone())
}

#[cfg(test)]
/// [`reconcile`] taking the body, so each user object moves into its outcome instead of being
/// copied (a 100-user answer is the bulk of a batch's allocations).
pub(crate) fn reconcile_owned(requested: &[String], body: UsersBody) -> Vec<(String, Reconciled)> {
    reconcile_by(requested, body, LookupBy::Usernames)
}

/// [`reconcile_owned`] for a request by usernames or by ids: each user is matched to what was
/// asked (its username, or its id).
pub(crate) fn reconcile_by(
    requested: &[String],
    body: UsersBody,
    by: LookupBy,
) -> Vec<(String, Reconciled)> {
    let mut found: HashMap<String, Reconciled> = HashMap::new();
    for received in body.data {
        let key = match by {
            LookupBy::Usernames => received.username(),
            LookupBy::Ids => received.id(),
        };
        let Some(name) = key else {
            continue;
        };
        let outcome = match received.user {
            Ok(user) => Reconciled::Found {
                sha256: crate::digest::sha256_hex(received.text.get().as_bytes()),
                protected: user.protected == Some(true),
                user: Box::new(user),
            },
            Err(why) => Reconciled::Failed {
                reason: format!("user object not in the documented shape: {why}"),
            },
        };
        found.insert(name.to_ascii_lowercase(), outcome);
    }
    let mut errored: HashMap<String, Reconciled> = HashMap::new();
    for e in body.errors {
        if e.resource_type.as_deref() != Some("user") {
            continue;
        }
        let Some(value) = e.value.or(e.resource_id) else {
            continue;
        };
        let detail = e.detail.unwrap_or_default();
        let title = e.title.as_deref().unwrap_or_default();
        let kind = e.type_uri.as_deref().unwrap_or_default();
        let outcome = if title == "Forbidden" || detail.contains("suspended") {
            Reconciled::Suspended { detail }
        } else if problem_is(kind, "resource-not-found") || title == "Not Found Error" {
            Reconciled::NotFound { detail }
        } else {
            Reconciled::Failed {
                reason: format!("error entry of type {kind:?}: {detail}"),
            }
        };
        errored.insert(value.to_ascii_lowercase(), outcome);
    }
    // Where each found user went, so a handle asked twice (in two casings) gets it twice.
    let mut given: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<(String, Reconciled)> = Vec::with_capacity(requested.len());
    for h in requested {
        let key = h.to_ascii_lowercase();
        let outcome = if let Some(user) = found.remove(&key) {
            given.insert(key, out.len());
            user
        } else if let Some(&at) = given.get(&key) {
            out[at].1.clone()
        } else if let Some(e) = errored.remove(&key) {
            e
        } else {
            Reconciled::Failed {
                reason: "missing from response".into(),
            }
        };
        out.push((h.clone(), outcome));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::pipeline::harvest::xapi::DOCUMENTED_SUCCESS as SUCCESS;

    const PARTIAL: &str = r#"{"data":[{"id":"2244994945","name":"Twitter Dev","username":"TwitterDev"}],
     "errors":[{"value":"xn47mzh437","detail":"Could not find user with usernames: [xn47mzh437].",
       "title":"Not Found Error","resource_type":"user","parameter":"usernames","resource_id":"xn47mzh437",
       "type":"https://api.twitter.com/2/problems/resource-not-found"}]}"#;

    fn handles(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_success_body_is_users_and_its_handle_is_found_whatever_the_request_casing() {
        let Answer::Users(body) = classify(200, SUCCESS.as_bytes()) else {
            panic!("not users")
        };
        let r = reconcile(&handles(&["xdevelopers"]), &body);
        assert!(
            matches!(&r[0].1, Reconciled::Found { protected: false, user, .. } if user.username == "XDevelopers")
        );
    }

    #[test]
    fn partial_errors_give_not_found_beside_found() {
        let Answer::Users(body) = classify(200, PARTIAL.as_bytes()) else {
            panic!()
        };
        let r = reconcile(&handles(&["TwitterDev", "xn47mzh437"]), &body);
        assert!(matches!(r[0].1, Reconciled::Found { .. }));
        assert!(matches!(r[1].1, Reconciled::NotFound { .. }));
    }

    #[test]
    fn a_handle_asked_in_two_casings_gets_its_user_both_times_and_an_error_only_once() {
        let Answer::Users(body) = classify(200, PARTIAL.as_bytes()) else {
            panic!()
        };
        let r = reconcile_owned(
            &handles(&["TwitterDev", "twitterdev", "xn47mzh437", "XN47MZH437"]),
            body,
        );
        assert!(matches!(&r[0].1, Reconciled::Found { user, .. } if user.id == "2244994945"));
        assert_eq!(r[0].1, r[1].1);
        assert!(matches!(r[2].1, Reconciled::NotFound { .. }));
        assert_eq!(
            r[3].1,
            Reconciled::Failed {
                reason: "missing from response".into()
            }
        );
    }

    #[test]
    fn suspended_users_are_told_apart_from_missing_ones_on_either_host() {
        let body = UsersBody::parse(
            br#"{"errors":[{"value":"gone","detail":"User has been suspended: [gone].","title":"Forbidden",
            "resource_type":"user","parameter":"usernames","resource_id":"gone",
            "type":"https://api.x.com/2/problems/resource-not-found"}]}"#,
        )
        .unwrap();
        let r = reconcile(&handles(&["Gone"]), &body);
        assert!(matches!(r[0].1, Reconciled::Suspended { .. }));
    }

    #[test]
    fn errors_about_tweets_are_ignored_and_a_handle_in_neither_list_fails_loudly() {
        let body = UsersBody::parse(
            br#"{"data":[{"id":"1","name":"A","username":"alice","protected":true}],
            "errors":[{"value":"99","detail":"Could not find tweet with pinned_tweet_id: [99].",
            "title":"Not Found Error","resource_type":"tweet","parameter":"pinned_tweet_id",
            "resource_id":"99","type":"https://api.twitter.com/2/problems/resource-not-found"}]}"#,
        )
        .unwrap();
        let r = reconcile(&handles(&["alice", "bob"]), &body);
        assert!(matches!(
            r[0].1,
            Reconciled::Found {
                protected: true,
                ..
            }
        ));
        assert_eq!(
            r[1].1,
            Reconciled::Failed {
                reason: "missing from response".into()
            }
        );
    }

    #[test]
    fn no_data_key_at_all_means_every_handle_comes_from_errors() {
        let body = UsersBody::parse(
            br#"{"errors":[{"value":"a","title":"Not Found Error","resource_type":"user",
            "type":"https://api.twitter.com/2/problems/resource-not-found","detail":"x"}]}"#,
        )
        .unwrap();
        let r = reconcile(&handles(&["a"]), &body);
        assert!(matches!(r[0].1, Reconciled::NotFound { .. }));
    }

    #[test]
    fn the_three_429_shapes_are_told_apart_from_the_usage_cap() {
        for body in [
            r#"{"title":"Too Many Requests","type":"about:blank","status":429,"detail":"Too Many Requests"}"#,
            r#"{"errors":[{"code":88,"message":"Rate limit exceeded"}]}"#,
            "",
        ] {
            assert!(
                matches!(classify(429, body.as_bytes()), Answer::RateLimited { .. }),
                "{body}"
            );
        }
        let cap = r#"{"title":"UsageCapExceeded","period":"Monthly","scope":"Product","detail":"Usage cap exceeded: Monthly product cap","type":"https://api.twitter.com/2/problems/usage-capped"}"#;
        let answer = classify(429, cap.as_bytes());
        assert_eq!(
            answer,
            Answer::UsageCapped {
                detail: "Usage cap exceeded: Monthly product cap".into()
            }
        );
        assert!(answer.is_fatal());
    }

    #[test]
    fn auth_errors_stop_the_run_and_server_errors_do_not() {
        let unauthorized =
            r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#;
        assert!(classify(401, unauthorized.as_bytes()).is_fatal());
        assert!(classify(403, b"{}").is_fatal());
        assert!(!classify(503, b"upstream").is_fatal());
        assert!(matches!(
            classify(502, b""),
            Answer::ServerError { status: 502, .. }
        ));
    }

    #[test]
    fn a_402_is_credits_depleted_and_stops_the_run_like_other_4xx_no_retry_can_fix() {
        let body = r#"{"title":"CreditsDepleted","detail":"Your enrolled account [1] does not have any credits to fulfill this request.","type":"https://api.x.com/2/problems/credits"}"#;
        let answer = classify(402, body.as_bytes());
        assert!(
            matches!(&answer, Answer::CreditsDepleted { detail } if detail.contains("credits"))
        );
        assert!(answer.is_fatal());
        assert!(matches!(
            classify(402, b"{}"),
            Answer::ClientError { status: 402, .. }
        ));
        assert!(classify(404, b"").is_fatal());
        assert!(!classify(408, b"").is_fatal());
        assert!(!classify(500, b"").is_fatal());
    }

    #[test]
    fn truncated_or_non_object_bodies_are_malformed() {
        assert!(matches!(
            classify(200, &SUCCESS.as_bytes()[..40]),
            Answer::Malformed { .. }
        ));
        assert!(matches!(classify(200, b"[1,2]"), Answer::Malformed { .. }));
    }

    #[test]
    fn problem_types_match_by_suffix_only_under_problems() {
        assert!(problem_is(
            "https://api.x.com/2/problems/usage-capped",
            "usage-capped"
        ));
        assert!(problem_is(
            "https://api.twitter.com/2/problems/usage-capped",
            "usage-capped"
        ));
        assert!(!problem_is("about:blank", "usage-capped"));
        assert!(!problem_is(
            "https://api.x.com/2/problems/not-usage-capped",
            "usage-capped"
        ));
    }
}
