//! The users-lookup client: builds `GET /2/users/by` requests, sends them with explicit
//! timeouts, and hands back the answer as received (status, body bytes, rate-limit headers).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;

use super::{Token, USER_FIELDS};
use crate::pipeline::harvest::page::PageAsk;

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
    /// What the run's "handles" are: usernames (`/2/users/by`), or account ids (`/2/users`),
    /// which find an account that changed its username.
    pub lookup_by: LookupBy,
}

/// The key a lookup asks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LookupBy {
    #[default]
    Usernames,
    Ids,
}

impl ClientConfig {
    pub fn new(base_url: &str, token: Token) -> ClientConfig {
        ClientConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            token,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            lookup_by: LookupBy::Usernames,
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
    pub(crate) fn from_headers(headers: &HeaderMap) -> RateHeaders {
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
    lookup_by: LookupBy,
}

impl XClient {
    pub(crate) fn new(config: &ClientConfig) -> Result<XClient, ClientError> {
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
            lookup_by: config.lookup_by,
        })
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn lookup_by(&self) -> LookupBy {
        self.lookup_by
    }

    /// Sends one `/2/users/by` request (`/2/users?ids=` when the run asks by id) and reads the
    /// whole body.
    pub(crate) async fn lookup(&self, handles: &[String]) -> Result<RawAnswer, TransportError> {
        let path = match self.lookup_by {
            LookupBy::Usernames => lookup_path(handles),
            LookupBy::Ids => ids_path(handles),
        };
        self.get(path).await
    }

    /// Sends one page request of a paged source (list members, a seed's followings).
    pub(crate) async fn page(&self, page: &PageAsk) -> Result<RawAnswer, TransportError> {
        self.get(page.path()).await
    }

    /// Sends `GET {base}{path}` with the bearer token and reads the whole body.
    pub(crate) async fn get(&self, path: String) -> Result<RawAnswer, TransportError> {
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

/// `/2/users?ids=1,2&user.fields=...`. Ids are digits, so they need no escaping.
pub fn ids_path(ids: &[String]) -> String {
    format!(
        "/2/users?ids={}&user.fields={}",
        ids.join(","),
        USER_FIELDS.replace(',', "%2C")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handles(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
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
