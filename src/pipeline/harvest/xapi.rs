//! The X API v2 users-lookup client: builds `GET /2/users/by` requests, sends them with explicit
//! timeouts, and reads the answer (body, rate-limit headers) into what happened to every handle.
//!
//! Not here: pacing (see `budget`), retries and runs (see `harvest`). The bearer token lives only
//! inside [`Token`], whose `Debug` is redacted and which is never put into a URL.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde_json::{Map, Value, json};

use crate::dataset::{Record, format_time};

/// Default host of the X API.
pub const DEFAULT_API_BASE: &str = "https://api.x.com";
/// The most handles one `/2/users/by` request may carry.
pub const MAX_BATCH: usize = 100;
/// The fields the record and M2 need; without them only id, name and username come back.
pub const USER_FIELDS: &str = "created_at,description,public_metrics,verified,verified_type,protected,url,location,profile_image_url";

/// The bearer token. Never printed: `Debug` shows `Token(<redacted>)` and there is no `Display`.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no bearer token: set X_BEARER_TOKEN or pass --token-file FILE")]
    Missing,
    #[error("cannot read token file {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("token file {path} is empty")]
    EmptyFile { path: PathBuf },
    #[error("the bearer token holds characters that cannot go into an HTTP header")]
    NotHeaderSafe,
}

impl Token {
    /// Wraps a token, trimming the whitespace a file or a shell adds.
    pub fn new(raw: &str) -> Result<Token, TokenError> {
        let t = raw.trim();
        if t.is_empty() {
            return Err(TokenError::Missing);
        }
        if !t.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(TokenError::NotHeaderSafe);
        }
        Ok(Token(t.to_string()))
    }

    /// The token file when given, else `X_BEARER_TOKEN`.
    pub fn from_file_or_env(file: Option<&Path>) -> Result<Token, TokenError> {
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| TokenError::Unreadable {
                path: path.to_path_buf(),
                source,
            })?;
            return Token::new(&text).map_err(|e| match e {
                TokenError::Missing => TokenError::EmptyFile {
                    path: path.to_path_buf(),
                },
                other => other,
            });
        }
        match std::env::var("X_BEARER_TOKEN") {
            Ok(v) if !v.trim().is_empty() => Token::new(&v),
            _ => Err(TokenError::Missing),
        }
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

/// How to reach the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Scheme and host (and port), without a trailing `/2/...`: `https://api.x.com`.
    pub base_url: String,
    pub token: Token,
    pub connect_timeout: Duration,
    /// Longest silence while reading an answer.
    pub read_timeout: Duration,
    /// Longest a whole request may take, so a slow drip of bytes cannot hang a batch.
    pub request_timeout: Duration,
}

impl ClientConfig {
    pub fn new(base_url: &str, token: Token) -> ClientConfig {
        ClientConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            token,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot build the HTTP client: {0}")]
    Build(#[source] reqwest::Error),
    #[error("API base URL {0:?} must start with http:// or https://")]
    BadBase(String),
}

/// The `x-rate-limit-*` and 24-hour headers of one answer; absent headers are `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RateHeaders {
    pub limit: Option<u32>,
    pub remaining: Option<u32>,
    /// Unix seconds.
    pub reset: Option<i64>,
    pub day_limit: Option<u32>,
    pub day_remaining: Option<u32>,
    pub day_reset: Option<i64>,
}

impl RateHeaders {
    pub fn from_headers(headers: &HeaderMap) -> RateHeaders {
        let num = |name: &str| -> Option<f64> {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v >= 0.0)
        };
        let count = |name: &str| num(name).map(|v| v.min(u32::MAX as f64) as u32);
        let secs = |name: &str| num(name).map(|v| v.ceil() as i64);
        let day = |suffix: &str| {
            num(&format!("x-app-limit-24hour-{suffix}"))
                .or_else(|| num(&format!("x-user-limit-24hour-{suffix}")))
        };
        RateHeaders {
            limit: count("x-rate-limit-limit"),
            remaining: count("x-rate-limit-remaining"),
            reset: secs("x-rate-limit-reset"),
            day_limit: day("limit").map(|v| v as u32),
            day_remaining: day("remaining").map(|v| v as u32),
            day_reset: day("reset").map(|v| v.ceil() as i64),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == RateHeaders::default()
    }
}

/// One answer as received, before interpretation.
#[derive(Debug, Clone)]
pub struct RawAnswer {
    /// Path and query of the request (no host, no token).
    pub path: String,
    pub status: u16,
    pub rate: RateHeaders,
    pub body: Vec<u8>,
    pub sent_at: DateTime<Utc>,
    pub latency: Duration,
}

/// A request that got no complete answer: refused or reset connection, timeout, truncated body.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind}: {detail}")]
pub struct TransportError {
    pub path: String,
    pub kind: &'static str,
    pub detail: String,
    pub sent_at: DateTime<Utc>,
    pub latency: Duration,
}

/// The users-lookup client. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct XClient {
    http: reqwest::Client,
    base_url: String,
    token: Token,
}

impl XClient {
    pub fn new(config: &ClientConfig) -> Result<XClient, ClientError> {
        if !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://")) {
            return Err(ClientError::BadBase(config.base_url.clone()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("influx/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ClientError::Build)?;
        Ok(XClient {
            http,
            base_url: config.base_url.clone(),
            token: config.token.clone(),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Sends one `/2/users/by` request and reads the whole body.
    pub async fn lookup(&self, handles: &[String]) -> Result<RawAnswer, TransportError> {
        let path = lookup_path(handles);
        let sent_at = Utc::now();
        let started = Instant::now();
        let fail = |kind: &'static str, e: reqwest::Error| TransportError {
            path: path.clone(),
            kind,
            detail: error_chain(&e),
            sent_at,
            latency: started.elapsed(),
        };
        let response = self
            .http
            .get(format!("{}{}", self.base_url, path))
            .header(reqwest::header::AUTHORIZATION, self.token.bearer())
            .send()
            .await
            .map_err(|e| fail(transport_kind(&e), e))?;
        let status = response.status().as_u16();
        let rate = RateHeaders::from_headers(response.headers());
        let body = response.bytes().await.map_err(|e| fail(body_kind(&e), e))?;
        Ok(RawAnswer {
            path,
            status,
            rate,
            body: Vec::from(body),
            sent_at,
            latency: started.elapsed(),
        })
    }
}

fn transport_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect failed"
    } else {
        "connection lost"
    }
}

fn body_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout reading body"
    } else {
        "truncated body"
    }
}

/// The error and its causes on one line: reqwest's own message is often only "error sending request".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `/2/users/by?usernames=a,b&user.fields=...`. Handles are validated, so they need no escaping.
pub fn lookup_path(handles: &[String]) -> String {
    format!(
        "/2/users/by?usernames={}&user.fields={}",
        handles.join(","),
        USER_FIELDS.replace(',', "%2C")
    )
}

/// What an answer means for the run.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// 200 with a users body: reconcile it.
    Users(Value),
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
    /// Stops the whole run: no other batch can succeed either.
    pub fn is_fatal(&self) -> bool {
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
pub fn problem_is(type_uri: &str, name: &str) -> bool {
    type_uri
        .strip_suffix(name)
        .is_some_and(|head| head.ends_with("/2/problems/"))
}

fn detail_of(body: &Value) -> String {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    text(body, "detail")
        .or_else(|| text(body, "title"))
        .or_else(|| {
            body.get("errors")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|e| text(e, "message").or_else(|| text(e, "detail")))
        })
        .unwrap_or_default()
}

/// Reads status and body into an [`Answer`].
pub fn classify(status: u16, body: &[u8]) -> Answer {
    let parsed: Result<Value, _> = serde_json::from_slice(body);
    let shown = |v: &Result<Value, serde_json::Error>| match v {
        Ok(v) => detail_of(v),
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
    };
    match status {
        200 => match parsed {
            Ok(v @ Value::Object(_)) => Answer::Users(v),
            Ok(other) => Answer::Malformed {
                detail: format!("a JSON {} instead of an object", json_kind(&other)),
            },
            Err(e) => Answer::Malformed {
                detail: format!("body is not JSON ({} bytes): {e}", body.len()),
            },
        },
        429 => {
            let capped = parsed.as_ref().ok().is_some_and(|v| {
                v.get("title").and_then(Value::as_str) == Some("UsageCapExceeded")
                    || v.get("type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| problem_is(t, "usage-capped"))
            });
            let detail = shown(&parsed);
            if capped {
                Answer::UsageCapped { detail }
            } else {
                Answer::RateLimited { detail }
            }
        }
        401 => Answer::Unauthorized {
            detail: shown(&parsed),
        },
        403 => Answer::Forbidden {
            detail: shown(&parsed),
        },
        400 => Answer::InvalidRequest {
            detail: shown(&parsed),
        },
        402 => {
            let credits = parsed.as_ref().ok().is_some_and(|v| {
                v.get("title").and_then(Value::as_str) == Some("CreditsDepleted")
                    || v.get("type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| problem_is(t, "credits"))
            });
            if credits {
                Answer::CreditsDepleted {
                    detail: shown(&parsed),
                }
            } else {
                Answer::ClientError {
                    status,
                    detail: shown(&parsed),
                }
            }
        }
        // 408 (the server gave up waiting) and 5xx are worth another try; every other 4xx
        // will answer the same however often it is asked.
        404..=499 if status != 408 => Answer::ClientError {
            status,
            detail: shown(&parsed),
        },
        _ => Answer::ServerError {
            status,
            detail: shown(&parsed),
        },
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// What the answer said about one requested handle.
#[derive(Debug, Clone, PartialEq)]
pub enum Reconciled {
    /// In `data`; protected accounts are found too, with `protected: true`.
    Found {
        user: Value,
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

/// Matches every requested handle to `data` and `errors` (case-insensitively), in request order.
/// Error entries about anything but users (a deleted pinned post) are ignored.
pub fn reconcile(requested: &[String], body: &Value) -> Vec<(String, Reconciled)> {
    reconcile_owned(requested, body.clone())
}

/// [`reconcile`] taking the body, so each user object moves into its outcome instead of being
/// copied (a 100-user answer is the bulk of a batch's allocations).
pub fn reconcile_owned(requested: &[String], mut body: Value) -> Vec<(String, Reconciled)> {
    let mut found: std::collections::HashMap<String, Value> = std::collections::HashMap::new();
    if let Some(Value::Array(data)) = body.get_mut("data").map(Value::take) {
        for user in data {
            if let Some(name) = user.get("username").and_then(Value::as_str) {
                found.insert(name.to_ascii_lowercase(), user);
            }
        }
    }
    let mut errored: std::collections::HashMap<String, Reconciled> =
        std::collections::HashMap::new();
    if let Some(errors) = body.get("errors").and_then(Value::as_array) {
        for e in errors {
            if e.get("resource_type").and_then(Value::as_str) != Some("user") {
                continue;
            }
            let Some(value) = e
                .get("value")
                .or_else(|| e.get("resource_id"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            let detail = e
                .get("detail")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let title = e.get("title").and_then(Value::as_str).unwrap_or_default();
            let kind = e.get("type").and_then(Value::as_str).unwrap_or_default();
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
    }
    // Where each found user went, so a handle asked twice (in two casings) gets it twice.
    let mut given: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out: Vec<(String, Reconciled)> = Vec::with_capacity(requested.len());
    for h in requested {
        let key = h.to_ascii_lowercase();
        let outcome = if let Some(user) = found.remove(&key) {
            given.insert(key, out.len());
            Reconciled::Found {
                protected: user.get("protected").and_then(Value::as_bool) == Some(true),
                user,
            }
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

/// The dataset's `verified` for an API user.
///
/// `business`→`business`, `government`→`org`, `blue`→`blue`, `none`→`none`. Without
/// `verified_type`, `verified: true` means the pre-2023 checkmark (`legacy`), anything else `none`.
pub fn verified_label(user: &Value) -> &'static str {
    match user.get("verified_type").and_then(Value::as_str) {
        Some("business") => "business",
        Some("government") => "org",
        Some("blue") => "blue",
        Some(_) => "none",
        None if user.get("verified").and_then(Value::as_bool) == Some(true) => "legacy",
        None => "none",
    }
}

/// Builds the dataset record for one API user (not yet scored).
///
/// Metrics are copied as the API gave them: a `null` stays `null`, an absent one stays absent,
/// `post_count` is not renamed. `lang_primary` is not set: the lookup does not say it.
pub fn author_record(user: &Value, fetched_at: DateTime<Utc>, evidence: &str) -> Record {
    author_record_owned(user.clone(), fetched_at, evidence)
}

/// [`author_record`] taking the user object, so its fields move into the record uncopied.
pub fn author_record_owned(user: Value, fetched_at: DateTime<Utc>, evidence: &str) -> Record {
    let provenance = provenance_hash(&user);
    let verified = verified_label(&user);
    let verified_type = user.get("verified_type").and_then(Value::as_str);
    let is_org = matches!(verified_type, Some("business" | "government"));
    let is_official = verified_type == Some("government");
    let followers = user
        .get("public_metrics")
        .and_then(|m| m.get("followers_count"))
        .filter(|v| v.is_u64())
        .cloned();
    let mut user = match user {
        Value::Object(map) => map,
        // Not an object: nothing to copy but what is derived above.
        _ => Map::new(),
    };
    let mut fields = Map::new();
    let mut take = |fields: &mut Map<String, Value>, key: &str, as_key: &str| {
        if let Some(v) = user.remove(key) {
            fields.insert(as_key.to_string(), v);
        }
    };
    take(&mut fields, "id", "id");
    take(&mut fields, "username", "handle");
    take(&mut fields, "name", "name");
    fields.insert("verified".into(), Value::from(verified));
    if let Some(f) = followers {
        fields.insert("followers_count".into(), f);
    }
    fields.insert("is_org".into(), Value::Bool(is_org));
    fields.insert("is_official".into(), Value::Bool(is_official));
    fields.insert("topic_tags".into(), Value::Array(Vec::new()));
    for key in [
        "created_at",
        "description",
        "url",
        "location",
        "protected",
        "public_metrics",
    ] {
        take(&mut fields, key, key);
    }
    let when = format_time(fetched_at);
    fields.insert(
        "meta".into(),
        json!({
            "last_refresh_at": when,
            "sources": [{"method": "x-api-v2", "fetched_at": when, "evidence": evidence}],
            "provenance_hash": provenance,
        }),
    );
    Record::from_map(fields)
}

/// SHA-256 of the user object exactly as the API sent it (its compact JSON text, the bytes of
/// `user.to_string()`), so a record can be traced to its answer. Streamed into the hasher.
fn provenance_hash(user: &Value) -> String {
    use sha2::{Digest, Sha256};
    struct Hashing(Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hashing = Hashing(Sha256::new());
    serde_json::to_writer(&mut hashing, user).expect("a JSON value always serialises");
    crate::digest::to_hex(&hashing.0.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUCCESS: &str = r#"{"data":[{"id":"2244994945","name":"X Developers","username":"XDevelopers",
      "created_at":"2013-12-14T04:35:55.000Z","description":"The voice of the X developer community",
      "verified":true,"verified_type":"business","protected":false,
      "public_metrics":{"followers_count":583423,"following_count":2048,"tweet_count":14052,
                        "listed_count":1672,"like_count":3140,"media_count":812}}]}"#;

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
            matches!(&r[0].1, Reconciled::Found { protected: false, user } if user["username"] == "XDevelopers")
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
        assert!(matches!(&r[0].1, Reconciled::Found { user, .. } if user["id"] == "2244994945"));
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
        let body: Value = serde_json::from_str(
            r#"{"errors":[{"value":"gone","detail":"User has been suspended: [gone].","title":"Forbidden",
            "resource_type":"user","parameter":"usernames","resource_id":"gone",
            "type":"https://api.x.com/2/problems/resource-not-found"}]}"#,
        )
        .unwrap();
        let r = reconcile(&handles(&["Gone"]), &body);
        assert!(matches!(r[0].1, Reconciled::Suspended { .. }));
    }

    #[test]
    fn errors_about_tweets_are_ignored_and_a_handle_in_neither_list_fails_loudly() {
        let body: Value = serde_json::from_str(
            r#"{"data":[{"id":"1","name":"A","username":"alice","protected":true}],
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
        let body: Value = serde_json::from_str(
            r#"{"errors":[{"value":"a","title":"Not Found Error","resource_type":"user",
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

    #[test]
    fn a_record_keeps_the_api_casing_and_metrics_as_given() {
        let body: Value = serde_json::from_str(SUCCESS).unwrap();
        let user = &body["data"][0];
        let at = crate::dataset::parse_time("2026-01-02T03:04:05Z").unwrap();
        let rec = author_record(user, at, "GET /2/users/by batch 7");
        assert_eq!(rec.handle(), Some("XDevelopers"));
        assert_eq!(rec.id(), Some("2244994945"));
        assert_eq!(rec.get("verified"), Some(&json!("business")));
        assert_eq!(rec.get("followers_count"), Some(&json!(583423)));
        assert_eq!(rec.get("public_metrics"), user.get("public_metrics"));
        let src = &rec.sources()[0];
        assert_eq!(src.method, "x-api-v2");
        assert_eq!(src.evidence.as_deref(), Some("GET /2/users/by batch 7"));
        assert_eq!(rec.metrics().tweets, Some(14052));
    }

    #[test]
    fn null_and_absent_metrics_stay_null_and_absent_and_post_count_is_read() {
        let user = json!({"id":"5","username":"p","name":"P",
            "public_metrics":{"followers_count":10,"following_count":1,"post_count":7,"listed_count":0,"like_count":null}});
        let rec = author_record(&user, Utc::now(), "e");
        let pm = rec.get("public_metrics").unwrap();
        assert_eq!(pm.get("like_count"), Some(&Value::Null));
        assert_eq!(pm.get("media_count"), None);
        let m = rec.metrics();
        assert_eq!(m.tweets, Some(7));
        assert_eq!(m.likes, None);
        assert_eq!(m.media, None);
    }

    #[test]
    fn verified_types_map_onto_the_dataset_vocabulary() {
        let label = |v: Value| verified_label(&v);
        assert_eq!(label(json!({"verified_type":"government"})), "org");
        assert_eq!(label(json!({"verified_type":"blue"})), "blue");
        assert_eq!(
            label(json!({"verified_type":"none","verified":false})),
            "none"
        );
        assert_eq!(label(json!({"verified":true})), "legacy");
        assert_eq!(label(json!({})), "none");
    }

    #[test]
    fn rate_headers_are_read_including_the_24_hour_ones() {
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-limit", "300".parse().unwrap());
        h.insert("x-rate-limit-remaining", "0".parse().unwrap());
        h.insert("x-rate-limit-reset", "1700000900".parse().unwrap());
        h.insert("x-app-limit-24hour-remaining", "12".parse().unwrap());
        let r = RateHeaders::from_headers(&h);
        assert_eq!(r.limit, Some(300));
        assert_eq!(r.remaining, Some(0));
        assert_eq!(r.reset, Some(1_700_000_900));
        assert_eq!(r.day_remaining, Some(12));
        assert_eq!(r.day_limit, None);
    }

    #[test]
    fn the_token_never_shows_in_debug_output_nor_in_the_request_path() {
        let token = Token::new("  SECRET-abc123 \n").unwrap();
        let config = ClientConfig::new("http://127.0.0.1:1/", token);
        let client = XClient::new(&config).unwrap();
        let shown = format!("{config:?} {client:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert_eq!(client.base_url(), "http://127.0.0.1:1");
        let path = lookup_path(&handles(&["a", "b"]));
        assert!(path.starts_with("/2/users/by?usernames=a,b&user.fields=created_at"));
    }
}
