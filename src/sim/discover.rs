//! The discovery endpoints: a list's metadata, a list's members and an account's followings,
//! paged like the real API. Each goes through the same gate as the lookups (token, credits, its
//! own window, faults) and every user returned is billed in the same ledger.

use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::bodies;
use super::conn::ConnHandle;
use super::directory::Lookup;
use super::endpoints::Endpoint;
use super::paging::{self, BadPaging};
use super::profiles::Profile;
use super::server::{
    Admitted, JSON, RequestTally, Shared, admit, deliver, respond_json, user_fields, valid_id,
};
use super::user_view::{UserFields, UserView};

/// Every `list.fields` value the real API accepts; the simulator models `member_count` and
/// `owner_id` and leaves the others out.
const LIST_FIELDS: &[&str] = &[
    "created_at",
    "description",
    "follower_count",
    "id",
    "member_count",
    "name",
    "owner_id",
    "private",
];

/// Page sizes: (default, largest) of `max_results`.
const MEMBERS_PAGE: (usize, usize) = (100, 100);
const FOLLOWING_PAGE: (usize, usize) = (100, 1000);

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    #[serde(rename = "list.fields")]
    list_fields: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PageQuery {
    max_results: Option<String>,
    pagination_token: Option<String>,
    #[serde(rename = "user.fields")]
    user_fields: Option<String>,
}

#[derive(Serialize)]
struct PageBody<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    data: Vec<UserView<'a>>,
    meta: Meta,
}

#[derive(Serialize)]
struct Meta {
    result_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_token: Option<String>,
}

/// Early answers short-circuit a handler (boxed: an answer is large beside what it replaces).
type Step<T> = Result<T, Box<Response>>;

/// A paged request, checked: what to render, whose page, which page.
struct PagedAsk {
    fields: UserFields,
    id: u64,
    page: paging::Page,
    /// The source tokens belong to: `list/ID` or `following/ID`.
    source: String,
}

fn invalid(s: &Shared, admitted: &Admitted, parameter: &str, value: &str, msg: &str) -> Response {
    let body = bodies::invalid_request(parameter, &[value.to_string()], msg, s.x_host(value));
    respond_json(s, 400, JSON, &body, Some(admitted.rate))
}

fn bad_paging(s: &Shared, admitted: &Admitted, e: BadPaging) -> Response {
    invalid(s, admitted, e.parameter, &e.value, &e.message)
}

/// A path id that is not 1-19 digits fails the whole request, as in the lookups.
fn path_id(s: &Shared, admitted: &Admitted, id: &str) -> Step<u64> {
    match id.parse::<u64>() {
        Ok(n) if valid_id(id) => Ok(n),
        _ => {
            let msg =
                format!("The `id` query parameter value [{id}] does not match ^[0-9]{{1,19}}$");
            Err(Box::new(invalid(s, admitted, "id", id, &msg)))
        }
    }
}

/// The members or followings that exist as served: configured not-found or suspended handles
/// drop out, as suspended accounts drop out of real lists.
fn resolve(s: &Shared, handles: &[String]) -> Vec<Arc<Profile>> {
    handles
        .iter()
        .filter_map(|h| match s.directory.by_handle(h) {
            Lookup::Found(p) => Some(p),
            _ => None,
        })
        .collect()
}

/// One page of `users`, billed per user returned.
fn page_of(
    s: &Shared,
    conn: &ConnHandle,
    admitted: Admitted,
    endpoint: Endpoint,
    ask: &PagedAsk,
    users: &[Arc<Profile>],
) -> Response {
    let (source, page, fields) = (ask.source.as_str(), &ask.page, ask.fields);
    let start = page.offset.min(users.len());
    let end = (start + page.size).min(users.len());
    let slice = &users[start..end];
    let meta = Meta {
        result_count: slice.len(),
        next_token: (end < users.len()).then(|| paging::token(s.seed, source, end)),
        previous_token: (start > 0)
            .then(|| paging::token(s.seed, source, start.saturating_sub(page.size))),
    };
    let body = PageBody {
        data: slice
            .iter()
            .map(|p| UserView { profile: p, fields })
            .collect(),
        meta,
    };
    let tally = RequestTally {
        ids: slice.iter().map(|p| p.id).collect(),
        ..RequestTally::default()
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    deliver(s, conn, admitted, endpoint, 200, bytes, tally)
}

fn not_found(
    s: &Shared,
    conn: &ConnHandle,
    admitted: Admitted,
    endpoint: Endpoint,
    entry: Value,
) -> Response {
    let bytes = serde_json::to_vec(&json!({ "errors": [entry] })).unwrap_or_default();
    deliver(
        s,
        conn,
        admitted,
        endpoint,
        200,
        bytes,
        RequestTally::default(),
    )
}

/// `GET /2/lists/{id}`: the list's name and, when asked, its member count and owner.
pub(super) async fn list(
    State(s): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let admitted = match admit(&s, &conn, &headers, Endpoint::List).await {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let (mut member_count, mut owner_id) = (false, false);
    for name in q
        .list_fields
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|n| !n.is_empty())
    {
        match name {
            "member_count" => member_count = true,
            "owner_id" => owner_id = true,
            other if LIST_FIELDS.contains(&other) => {}
            other => {
                let msg = format!(
                    "The `list.fields` query parameter value [{other}] is not one of [{}]",
                    LIST_FIELDS.join(",")
                );
                return invalid(&s, &admitted, "list.fields", other, &msg);
            }
        }
    }
    let n = match path_id(&s, &admitted, &id) {
        Ok(n) => n,
        Err(answer) => return *answer,
    };
    let Some(l) = s.world.list(n) else {
        let entry = bodies::list_not_found_entry(&id, s.x_host(&id));
        return not_found(&s, &conn, admitted, Endpoint::List, entry);
    };
    let mut data = Map::new();
    data.insert("id".into(), json!(id));
    data.insert("name".into(), json!(l.name));
    if member_count {
        data.insert("member_count".into(), json!(resolve(&s, &l.members).len()));
    }
    if owner_id && let Lookup::Found(owner) = s.directory.by_handle(&l.owner) {
        data.insert("owner_id".into(), json!(owner.id.to_string()));
    }
    let bytes = serde_json::to_vec(&json!({ "data": data })).unwrap_or_default();
    // List metadata is not a user read: nothing is billed.
    deliver(
        &s,
        &conn,
        admitted,
        Endpoint::List,
        200,
        bytes,
        RequestTally::default(),
    )
}

/// `GET /2/lists/{id}/members`: the members as full user objects, 1-100 a page.
pub(super) async fn members(
    State(s): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let endpoint = Endpoint::ListMembers;
    let admitted = match admit(&s, &conn, &headers, endpoint).await {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let ask = match paged_request(&s, &admitted, &id, &q, "list", MEMBERS_PAGE) {
        Ok(v) => v,
        Err(answer) => return *answer,
    };
    let Some(l) = s.world.list(ask.id) else {
        let entry = bodies::list_not_found_entry(&id, s.x_host(&id));
        return not_found(&s, &conn, admitted, endpoint, entry);
    };
    let users = resolve(&s, &l.members);
    page_of(&s, &conn, admitted, endpoint, &ask, &users)
}

/// `GET /2/users/{id}/following`: whom the account follows, 1-1000 a page.
pub(super) async fn following(
    State(s): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let endpoint = Endpoint::Following;
    let admitted = match admit(&s, &conn, &headers, endpoint).await {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let ask = match paged_request(&s, &admitted, &id, &q, "following", FOLLOWING_PAGE) {
        Ok(v) => v,
        Err(answer) => return *answer,
    };
    let Lookup::Found(user) = s.directory.by_id(ask.id) else {
        let entry = bodies::not_found_entry(&id, "id", s.x_host(&id));
        return not_found(&s, &conn, admitted, endpoint, entry);
    };
    let users = resolve(&s, s.world.following(&user.username.to_ascii_lowercase()));
    page_of(&s, &conn, admitted, endpoint, &ask, &users)
}

/// The checks both paged endpoints make before looking anything up: user fields, the path id,
/// `max_results` and the token (which belongs to one source: `kind/id`).
fn paged_request(
    s: &Shared,
    admitted: &Admitted,
    id: &str,
    q: &PageQuery,
    kind: &str,
    (default, max): (usize, usize),
) -> Step<PagedAsk> {
    let fields = user_fields(s, q.user_fields.as_deref(), admitted.rate)?;
    let n = path_id(s, admitted, id)?;
    let source = format!("{kind}/{n}");
    let page = paging::page(
        s.seed,
        &source,
        q.max_results.as_deref(),
        q.pagination_token.as_deref(),
        default,
        max,
    )
    .map_err(|e| Box::new(bad_paging(s, admitted, e)))?;
    Ok(PagedAsk {
        fields,
        id: n,
        page,
        source,
    })
}
