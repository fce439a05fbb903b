//! The paged sources a run can read besides lookups: the members of an X list and the accounts
//! a seed follows. Each answer is a page of full user objects (`data`) with `meta.next_token`
//! naming the next page; the last page has none. What a page asks for, the endpoint whose own
//! rate window it counts against, and how its answer says where to go on are here; sending,
//! pricing and journaling a page are the engine's, as for any batch (see `batch`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::xapi::{USER_FIELDS, UsersBody};

/// The endpoints a run sends to, each with its own rate window (x-api-v2.md: "Windows are per
/// endpoint"): a 429 on the followings does not slow the list reads, and the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `GET /2/users/by`, `/2/users`: 300 requests / 15 min (app).
    Lookup,
    /// `GET /2/lists/:id/members`: 900 requests / 15 min.
    ListMembers,
    /// `GET /2/users/:id/following`: 15 requests / 15 min, the tight one.
    Following,
}

impl Endpoint {
    /// The app-only window X documents for the endpoint: (requests, seconds). The headers win
    /// where they disagree.
    pub(crate) fn documented_window(self) -> (u32, u64) {
        match self {
            Endpoint::Lookup => (300, 900),
            Endpoint::ListMembers => (900, 900),
            Endpoint::Following => (15, 900),
        }
    }

    /// The most users one page may ask for (`max_results`).
    pub(crate) fn page_size(self) -> u32 {
        match self {
            Endpoint::Lookup => 100,
            Endpoint::ListMembers => 100,
            Endpoint::Following => 1000,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Endpoint::Lookup => "lookup",
            Endpoint::ListMembers => "list members",
            Endpoint::Following => "following",
        }
    }
}

/// Where candidates are read from, page by page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum PageSource {
    /// The members of an X list (at most 5,000).
    List { list: String },
    /// The accounts a seed follows: its handle, and the numeric id the endpoint is asked by.
    Following { seed: String, seed_id: String },
}

impl PageSource {
    pub(crate) fn endpoint(&self) -> Endpoint {
        match self {
            PageSource::List { .. } => Endpoint::ListMembers,
            PageSource::Following { .. } => Endpoint::Following,
        }
    }

    /// The source in words: `list 1700000000000000001`, `following of @karpathy`.
    pub(crate) fn label(&self) -> String {
        match self {
            PageSource::List { list } => format!("list {list}"),
            PageSource::Following { seed, .. } => format!("following of @{seed}"),
        }
    }

    /// The source as a record's `meta.discovered` entry names it (without the time).
    pub(crate) fn discovered_entry(&self) -> serde_json::Map<String, Value> {
        let mut entry = serde_json::Map::new();
        match self {
            PageSource::List { list } => {
                entry.insert("source".into(), Value::from("list"));
                entry.insert("list".into(), Value::from(list.as_str()));
            }
            PageSource::Following { seed, .. } => {
                entry.insert("source".into(), Value::from("following"));
                entry.insert("seed".into(), Value::from(seed.as_str()));
            }
        }
        entry
    }
}

/// One page to ask for: its source, the token of the page (`None` for the first), and how many
/// users it may return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageAsk {
    #[serde(flatten)]
    pub source: PageSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub max_results: u32,
}

impl PageAsk {
    /// The first page of a source, as large as its endpoint allows.
    pub(crate) fn first(source: PageSource) -> PageAsk {
        let max_results = source.endpoint().page_size();
        PageAsk {
            source,
            token: None,
            max_results,
        }
    }

    /// The page after this one, named by the answer's `next_token`.
    pub(crate) fn next(&self, token: String) -> PageAsk {
        PageAsk {
            source: self.source.clone(),
            token: Some(token),
            max_results: self.source.endpoint().page_size(),
        }
    }

    /// Path and query of the request (no host, no token). Tokens are opaque: escaped.
    pub(crate) fn path(&self) -> String {
        let base = match &self.source {
            PageSource::List { list } => format!("/2/lists/{}/members", escape(list)),
            PageSource::Following { seed_id, .. } => {
                format!("/2/users/{}/following", escape(seed_id))
            }
        };
        let mut path = format!(
            "{base}?max_results={}&user.fields={}",
            self.max_results,
            USER_FIELDS.replace(',', "%2C")
        );
        if let Some(token) = &self.token {
            path.push_str("&pagination_token=");
            path.push_str(&escape(token));
        }
        path
    }
}

/// `meta.next_token` of a page's answer: the next page, or `None` on the last.
pub(crate) fn next_token(body: &UsersBody) -> Option<String> {
    body.other
        .get("meta")
        .and_then(|m| m.get("next_token"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for ids and tokens that
/// go into a path or a query.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_page_asks_for_its_members_with_the_user_fields_and_its_token() {
        let first = PageAsk::first(PageSource::List {
            list: "1700000000000000001".into(),
        });
        assert_eq!(first.max_results, 100);
        assert!(first.path().starts_with(
            "/2/lists/1700000000000000001/members?max_results=100&user.fields=created_at"
        ));
        assert!(!first.path().contains("pagination_token"));
        let next = first.next("7140dibdnow9c7btw3z2b".into());
        assert!(
            next.path()
                .ends_with("&pagination_token=7140dibdnow9c7btw3z2b")
        );
    }

    #[test]
    fn a_following_page_is_asked_by_the_seeds_id_a_thousand_at_a_time() {
        let page = PageAsk::first(PageSource::Following {
            seed: "karpathy".into(),
            seed_id: "33836629".into(),
        });
        assert_eq!(page.source.endpoint(), Endpoint::Following);
        assert!(
            page.path()
                .starts_with("/2/users/33836629/following?max_results=1000&")
        );
        assert_eq!(page.source.label(), "following of @karpathy");
    }

    #[test]
    fn the_next_token_is_read_from_meta_and_the_last_page_has_none() {
        let body = |text: &str| super::super::xapi::UsersBody::parse(text.as_bytes()).unwrap();
        let more = body(r#"{"data":[],"meta":{"result_count":0,"next_token":"abc"}}"#);
        assert_eq!(next_token(&more).as_deref(), Some("abc"));
        let last = body(r#"{"meta":{"result_count":0}}"#);
        assert_eq!(next_token(&last), None);
    }

    #[test]
    fn opaque_tokens_are_escaped_in_the_query() {
        assert_eq!(escape("a b/c+d=="), "a%20b%2Fc%2Bd%3D%3D");
    }
}
