//! The documented shapes of the X API v2 users-lookup answers (reference/x-api-v2.md), as types:
//! the users body of a 200, its user objects and error entries, and the problem body of a
//! refused request. Fields the API may add later are kept as received in `other`.
//!
//! Each user object is also kept as the exact bytes the API sent (`text`): the record's
//! `meta.provenance_hash` is the SHA-256 of those bytes, so anyone can check it with
//! `jq -c '.body.data[N]' responses.jsonl | tr -d '\n' | sha256sum` on a compact answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The body of a 200 answer: `data` (the users found; absent when none is), `errors` (handles
/// not found or suspended, and entries about expanded objects such as a deleted pinned post),
/// and any other top-level key (`includes`) kept as sent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UsersBody {
    pub data: Vec<ReceivedUser>,
    pub errors: Vec<ApiError>,
    pub other: Map<String, Value>,
}

/// One element of `data`: its bytes as received and, when it has the documented shape, its
/// typed reading.
#[derive(Debug, Clone)]
pub struct ReceivedUser {
    pub text: Box<RawValue>,
    pub user: Result<ApiUser, String>,
}

// `RawValue` has no `PartialEq`: two received users are equal when their bytes are.
impl PartialEq for ReceivedUser {
    fn eq(&self, other: &Self) -> bool {
        self.text.get() == other.text.get() && self.user == other.user
    }
}

/// A user object as `/2/users/by` documents it when asked for [`USER_FIELDS`](super::USER_FIELDS).
/// `id`, `username` and `name` are always sent; the rest only when asked for and known.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ApiUser {
    pub id: String,
    /// The canonical casing of the handle, whatever casing was asked for.
    pub username: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `2013-12-14T04:35:55.000Z`, sometimes without the milliseconds.
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub profile_image_url: Option<String>,
    /// Protected accounts come back in `data` with `true`.
    #[serde(default)]
    pub protected: Option<bool>,
    /// The pre-2023 checkmark when `verified_type` is absent.
    #[serde(default)]
    pub verified: Option<bool>,
    /// `blue`, `business`, `government` or `none`.
    #[serde(default)]
    pub verified_type: Option<String>,
    /// `followers_count`, `following_count`, `listed_count`, `tweet_count` (or `post_count`
    /// since spec 2.167), `like_count` and `media_count`, each optional and possibly null:
    /// kept as a map, in the order sent, because absent and null are facts to keep, not zeros.
    #[serde(default, deserialize_with = "present")]
    pub public_metrics: Option<Value>,
    /// Every field not named above (`pinned_tweet_id`, `is_identity_verified`, ...).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One entry of `errors`: a partial error of a 200 (about a user or an expanded object) or an
/// entry of a refused request (`message`, `code`, `parameters`).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ApiError {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    /// The problem type URI, on either host (`api.twitter.com`, `api.x.com`).
    #[serde(default, rename = "type")]
    pub type_uri: Option<String>,
    /// `user` for entries about requested handles.
    #[serde(default)]
    pub resource_type: Option<String>,
    /// The handle (or id) the entry is about.
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(default)]
    pub parameter: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The body of a refused request (4xx, 5xx): an RFC 7807 problem, or the older
/// `{"errors":[{"code":88,"message":...}]}`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ProblemBody {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default, rename = "type")]
    pub type_uri: Option<String>,
    #[serde(default)]
    pub errors: Vec<ApiError>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl ProblemBody {
    /// What a person should read: `detail`, else `title`, else the first error's message.
    pub(crate) fn shown(&self) -> String {
        self.detail
            .clone()
            .or_else(|| self.title.clone())
            .or_else(|| {
                self.errors
                    .first()
                    .and_then(|e| e.message.clone().or_else(|| e.detail.clone()))
            })
            .unwrap_or_default()
    }
}

/// Why a 200's body is not a users body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("body is not JSON ({bytes} bytes): {reason}")]
    NotJson { bytes: usize, reason: String },
    #[error("a JSON {0} instead of an object")]
    NotAnObject(&'static str),
    #[error("`{key}` is not in the documented shape: {reason}")]
    Shape { key: &'static str, reason: String },
}

impl UsersBody {
    /// Reads a 200's body. A user object that is not in the documented shape does not spoil
    /// the others: it is kept with the reason, and its handle fails with that reason.
    pub(crate) fn parse(body: &[u8]) -> Result<UsersBody, BodyError> {
        let whole: Box<RawValue> =
            serde_json::from_slice(body).map_err(|e| BodyError::NotJson {
                bytes: body.len(),
                reason: e.to_string(),
            })?;
        let kind = json_kind_of_text(whole.get());
        if kind != "object" {
            return Err(BodyError::NotAnObject(kind));
        }
        let mut top: BTreeMap<String, Box<RawValue>> =
            serde_json::from_str(whole.get()).map_err(|e| BodyError::NotJson {
                bytes: body.len(),
                reason: e.to_string(),
            })?;
        let shape = |key: &'static str| {
            move |e: serde_json::Error| BodyError::Shape {
                key,
                reason: e.to_string(),
            }
        };
        let data = match top.remove("data") {
            None => Vec::new(),
            // The single-user endpoints answer with one object instead of a list.
            Some(one) if json_kind_of_text(one.get()) == "object" => vec![one],
            Some(list) => {
                serde_json::from_str::<Vec<Box<RawValue>>>(list.get()).map_err(shape("data"))?
            }
        };
        let errors = match top.remove("errors") {
            None => Vec::new(),
            Some(list) => serde_json::from_str(list.get()).map_err(shape("errors"))?,
        };
        let mut other = Map::new();
        for (key, text) in top {
            let value = serde_json::from_str(text.get()).expect("checked as JSON above");
            other.insert(key, value);
        }
        let data = data
            .into_iter()
            .map(|text| {
                let user = serde_json::from_str::<ApiUser>(text.get()).map_err(|e| e.to_string());
                ReceivedUser { text, user }
            })
            .collect();
        Ok(UsersBody {
            data,
            errors,
            other,
        })
    }

    /// The exact bytes of each user object in a 200's body, borrowed from it and not read
    /// further: what custody hashes, at a fraction of [`UsersBody::parse`]'s cost (the body is
    /// JSON already checked, so it is only walked: no copies, no typed reading). `None` when the
    /// body is not an object or its `data` neither a list nor one object.
    pub(crate) fn user_texts(body: &RawValue) -> Option<Vec<&str>> {
        use crate::dataset::raw_object::Raw;
        // A repeated key: the last one counts, as in `parse`.
        let data = Raw::of(body.get()).object()?.get("data");
        let Some(data) = data else {
            return Some(Vec::new());
        };
        if data.get().starts_with('{') {
            return Some(vec![data.get()]);
        }
        Some(data.items()?.into_iter().map(|raw| raw.get()).collect())
    }

    /// The (id, username) of every user in `data`, each once, as X bills them.
    pub(crate) fn billed(&self) -> Vec<(String, String)> {
        let mut users: Vec<(String, String)> = Vec::new();
        for u in self.data.iter().filter_map(|r| r.user.as_ref().ok()) {
            if !users.iter().any(|(id, _)| *id == u.id) {
                users.push((u.id.clone(), u.username.clone()));
            }
        }
        users
    }
}

impl ReceivedUser {
    /// The account id this object answers, read even when the object is not in the
    /// documented shape.
    pub(crate) fn id(&self) -> Option<String> {
        match &self.user {
            Ok(u) => Some(u.id.clone()),
            Err(_) => serde_json::from_str::<Value>(self.text.get())
                .ok()?
                .get("id")?
                .as_str()
                .map(str::to_string),
        }
    }

    /// The handle this object answers, read even when the object is not in the documented
    /// shape (so that its handle can fail with the reason instead of "missing").
    pub(crate) fn username(&self) -> Option<String> {
        match &self.user {
            Ok(u) => Some(u.username.clone()),
            Err(_) => serde_json::from_str::<Value>(self.text.get())
                .ok()?
                .get("username")?
                .as_str()
                .map(str::to_string),
        }
    }
}

/// Absent stays `None`; present (null included) is `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The kind of a JSON text already known to be valid, from its first byte.
fn json_kind_of_text(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b't' | b'f') => "boolean",
        Some(b'n') => "null",
        _ => "number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_reading_of_a_body_finds_the_bytes_the_full_parse_keeps() {
        let bodies = [
            r#"{"data":[{"id":"1","username":"a"},{"id":"2","username":"b","name":"\u00e9 \"q\""}],"errors":[{"value":"x"}]}"#,
            r#"{ "data" : [ {"id":"1", "username":"a"} ,{"id":"2","username":"b"} ] }"#,
            r#"{"data":{"id":"3","username":"one"}}"#,
            r#"{"errors":[{"value":"ghost"}]}"#,
            r#"{"data":[{"id":"1","username":"a"}],"data":[{"id":"9","username":"z"}]}"#,
        ];
        for body in bodies {
            let raw: Box<RawValue> = serde_json::from_str(body).unwrap();
            let quick = UsersBody::user_texts(&raw).expect(body);
            let full = UsersBody::parse(body.as_bytes()).unwrap();
            let kept: Vec<&str> = full.data.iter().map(|u| u.text.get()).collect();
            assert_eq!(quick, kept, "{body}");
        }
        let not_users: Box<RawValue> = serde_json::from_str(r#"{"data":"x"}"#).unwrap();
        assert_eq!(UsersBody::user_texts(&not_users), None);
    }

    #[test]
    fn a_user_object_keeps_its_bytes_as_received_and_reads_typed() {
        let body = br#"{"data":[{"id":"1","name":"A","username":"alice","protected":true,"pinned_tweet_id":"9",
            "public_metrics":{"followers_count":10,"like_count":null}}],"includes":{"tweets":[]}}"#;
        let parsed = UsersBody::parse(body).unwrap();
        let first = &parsed.data[0];
        assert!(first.text.get().starts_with(r#"{"id":"1","name":"A""#));
        let user = first.user.as_ref().unwrap();
        assert_eq!(user.username, "alice");
        assert_eq!(user.protected, Some(true));
        assert_eq!(user.other["pinned_tweet_id"], "9");
        let metrics = user.public_metrics.as_ref().unwrap();
        assert_eq!(metrics["like_count"], Value::Null);
        assert!(metrics.get("media_count").is_none());
        assert!(parsed.other.contains_key("includes"));
    }

    #[test]
    fn a_user_object_out_of_shape_is_kept_with_its_reason_and_the_others_read() {
        let body = br#"{"data":[{"id":1,"name":"A","username":"bad"},{"id":"2","name":"B","username":"good"}]}"#;
        let parsed = UsersBody::parse(body).unwrap();
        assert!(
            parsed.data[0]
                .user
                .as_ref()
                .unwrap_err()
                .contains("invalid type")
        );
        assert_eq!(parsed.data[0].username().as_deref(), Some("bad"));
        assert_eq!(parsed.billed(), vec![("2".to_string(), "good".to_string())]);
    }

    #[test]
    fn bodies_that_are_not_a_users_object_say_what_they_are() {
        assert_eq!(
            UsersBody::parse(b"[1]"),
            Err(BodyError::NotAnObject("array"))
        );
        assert!(matches!(
            UsersBody::parse(br#"{"data":[{"id":"1""#),
            Err(BodyError::NotJson { .. })
        ));
        assert!(matches!(
            UsersBody::parse(br#"{"data":"x"}"#),
            Err(BodyError::Shape { key: "data", .. })
        ));
    }

    #[test]
    fn a_user_billed_twice_in_one_answer_is_billed_once_and_one_object_counts_as_a_list() {
        let many = br#"{"data":[{"id":"1","name":"A","username":"a"},{"id":"1","name":"A","username":"a"},{"id":"2","name":"B","username":"b"}]}"#;
        assert_eq!(UsersBody::parse(many).unwrap().billed().len(), 2);
        let one = br#"{"data":{"id":"9","name":"Z","username":"z"}}"#;
        assert_eq!(
            UsersBody::parse(one).unwrap().billed(),
            vec![("9".to_string(), "z".to_string())]
        );
    }

    #[test]
    fn a_problem_body_shows_its_detail_then_title_then_first_message() {
        let p: ProblemBody =
            serde_json::from_str(r#"{"errors":[{"code":88,"message":"Rate limit exceeded"}]}"#)
                .unwrap();
        assert_eq!(p.shown(), "Rate limit exceeded");
        assert_eq!(p.errors[0].other["code"], 88);
        let p: ProblemBody = serde_json::from_str(
            r#"{"title":"UsageCapExceeded","period":"Monthly","detail":"Usage cap exceeded"}"#,
        )
        .unwrap();
        assert_eq!(p.shown(), "Usage cap exceeded");
        assert_eq!(p.other["period"], "Monthly");
    }
}
