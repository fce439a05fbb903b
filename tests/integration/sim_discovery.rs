//! The simulator's discovery endpoints over real HTTP: a list, its members and an account's
//! followings, paged, rate-limited per endpoint and billed in the lookups' ledger.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use influx::sim::{
    AI_LIST, EndpointWindow, Fault, NEWS_LIST, PRIVATE_LIST_ID, SEED_FOLLOWING, SEED_HANDLE,
    SimConfig, SimServer, TWITTER_EPOCH_MS,
};
use serde_json::Value;

const TOKEN: &str = "sim-discovery-token";
const FIELDS: &str = "created_at,description,public_metrics,verified,verified_type,protected,url,location,profile_image_url";
const NEW_FIELDS: &str =
    "most_recent_tweet_id,verified_followers_count,is_identity_verified,parody,affiliation";

fn config() -> SimConfig {
    SimConfig {
        token: Some(TOKEN.to_string()),
        not_found_rate: 0.0,
        suspended_rate: 0.0,
        tweet_error_rate: 0.0,
        seed: 42,
        ..SimConfig::default()
    }
}

async fn start(config: SimConfig) -> SimServer {
    SimServer::start(config).await.expect("simulator starts")
}

async fn get_json(server: &SimServer, path: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", server.base_url()))
        .bearer_auth(TOKEN)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("an answer");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body: Value = r.json().await.expect("a JSON body");
    (status, headers, body)
}

fn header_u64(h: &reqwest::header::HeaderMap, name: &str) -> u64 {
    h[name].to_str().unwrap().parse().unwrap()
}

fn ids_of(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|u| u["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Every page of a paged endpoint, following `next_token` to the end.
async fn all_pages(server: &SimServer, path: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &token {
            Some(t) => format!("{path}{sep}pagination_token={t}"),
            None => path.to_string(),
        };
        let (status, _, body) = get_json(server, &url).await;
        assert_eq!(status, 200, "{body}");
        pages += 1;
        let page = ids_of(&body);
        assert_eq!(
            body["meta"]["result_count"].as_u64(),
            Some(page.len() as u64)
        );
        ids.extend(page);
        match body["meta"]["next_token"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => return (ids, pages),
        }
    }
}

async fn seed_id(server: &SimServer) -> String {
    let (status, _, body) = get_json(server, &format!("/2/users/by/username/{SEED_HANDLE}")).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn list_members_page_to_a_last_page_without_next_token_and_cover_every_member_once() {
    let server = start(config()).await;
    let (ids, pages) = all_pages(
        &server,
        &format!("/2/lists/{}/members?max_results=40", AI_LIST.id),
    )
    .await;
    assert_eq!(pages, 4, "150 members at 40 a page");
    assert_eq!(ids.len(), AI_LIST.members);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), AI_LIST.members);
}

#[tokio::test]
async fn the_seeds_following_is_two_pages_at_a_thousand() {
    let server = start(config()).await;
    let id = seed_id(&server).await;
    let (ids, pages) = all_pages(
        &server,
        &format!("/2/users/{id}/following?max_results=1000"),
    )
    .await;
    assert_eq!((pages, ids.len()), (2, SEED_FOLLOWING));
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), SEED_FOLLOWING);
    let (_, _, seed) = get_json(
        &server,
        &format!("/2/users/{id}?user.fields=public_metrics"),
    )
    .await;
    assert_eq!(
        seed["data"]["public_metrics"]["following_count"].as_u64(),
        Some(SEED_FOLLOWING as u64)
    );
}

#[tokio::test]
async fn the_following_window_is_independent_of_the_lookup_window() {
    let server = start(SimConfig {
        following_window: EndpointWindow {
            limit: 15,
            length: Duration::from_secs(20),
        },
        ..config()
    })
    .await;
    let id = seed_id(&server).await;
    for i in 0..15 {
        let (status, h, _) = get_json(&server, &format!("/2/users/{id}/following")).await;
        assert_eq!(status, 200);
        assert_eq!(header_u64(&h, "x-rate-limit-limit"), 15);
        assert_eq!(header_u64(&h, "x-rate-limit-remaining"), 14 - i);
    }
    let (status, h, _) = get_json(&server, &format!("/2/users/{id}/following")).await;
    assert_eq!(status, 429);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(header_u64(&h, "x-rate-limit-reset") <= now + 21);
    let (status, h, _) = get_json(&server, "/2/users/by?usernames=alice_w").await;
    assert_eq!(status, 200, "lookups still answer");
    assert_eq!(header_u64(&h, "x-rate-limit-limit"), 300);
    assert_eq!(
        header_u64(&h, "x-rate-limit-remaining"),
        298,
        "the seed lookup and this one"
    );
    let (status, h, _) = get_json(&server, &format!("/2/lists/{}/members", AI_LIST.id)).await;
    assert_eq!(status, 200, "members still answer");
    assert_eq!(header_u64(&h, "x-rate-limit-limit"), 900);
    let (status, h, _) = get_json(&server, &format!("/2/lists/{}", AI_LIST.id)).await;
    assert_eq!(status, 200, "list lookups still answer");
    assert_eq!(header_u64(&h, "x-rate-limit-limit"), 75);
    let stats = server.stats();
    assert_eq!(stats.by_endpoint.following.requests, 16);
    assert_eq!(stats.by_endpoint.following.rate_limited, 1);
    assert_eq!(stats.by_endpoint.users_lookup.requests, 2);
    assert_eq!(stats.by_endpoint.list_members.requests, 1);
    assert_eq!(stats.by_endpoint.list.requests, 1);
    assert_eq!(stats.requests, 20);
    assert_eq!(stats.rate_limited.window, 1);
}

#[tokio::test]
async fn a_user_read_twice_the_same_utc_day_is_billed_once_across_endpoints() {
    let server = start(SimConfig {
        credits: Some(100_000_000),
        ..config()
    })
    .await;
    let (_, _, page) = get_json(&server, &format!("/2/lists/{}/members", AI_LIST.id)).await;
    assert_eq!(ids_of(&page).len(), 100);
    assert_eq!(server.stats().billing.users_billed, 100);
    let handles: Vec<&str> = page["data"].as_array().unwrap()[..3]
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    let (status, _, _) = get_json(
        &server,
        &format!("/2/users/by?usernames={}", handles.join(",")),
    )
    .await;
    assert_eq!(status, 200);
    // The news list shares five members with the AI list.
    let (_, _, news) = get_json(&server, &format!("/2/lists/{}/members", NEWS_LIST.id)).await;
    let ai_all: HashSet<String> = {
        let (_, _, rest) = get_json(
            &server,
            &format!(
                "/2/lists/{}/members?pagination_token={}",
                AI_LIST.id,
                page["meta"]["next_token"].as_str().unwrap()
            ),
        )
        .await;
        ids_of(&page).into_iter().chain(ids_of(&rest)).collect()
    };
    let shared = ids_of(&news)
        .iter()
        .filter(|id| ai_all.contains(*id))
        .count();
    assert_eq!(shared, 5);
    let b = server.stats().billing;
    assert_eq!(b.users_billed, 150 + 60 - 5, "every distinct user once");
    assert_eq!(b.free_rereads, 3 + 5);
    assert_eq!(b.billed_micros, (150 + 60 - 5) * 10_000);
}

#[tokio::test]
async fn list_metadata_counts_the_members_the_list_serves_and_costs_nothing() {
    let server = start(config()).await;
    for list in [AI_LIST, NEWS_LIST] {
        let (status, _, body) = get_json(
            &server,
            &format!(
                "/2/lists/{}?list.fields=member_count,name,owner_id",
                list.id
            ),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["id"], list.id);
        assert_eq!(body["data"]["name"], list.name);
        let (served, _) = all_pages(&server, &format!("/2/lists/{}/members", list.id)).await;
        assert_eq!(
            body["data"]["member_count"].as_u64(),
            Some(served.len() as u64)
        );
        assert!(body["data"]["owner_id"].is_string());
    }
    let (_, _, plain) = get_json(&server, &format!("/2/lists/{}", AI_LIST.id)).await;
    let keys: Vec<&String> = plain["data"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["id", "name"],
        "only the asked fields besides id and name"
    );
    let (_, _, owned) = get_json(
        &server,
        &format!("/2/lists/{}?list.fields=owner_id", AI_LIST.id),
    )
    .await;
    assert_eq!(
        owned["data"]["owner_id"].as_str(),
        Some(seed_id(&server).await.as_str())
    );
    let stats = server.stats();
    assert_eq!(stats.by_endpoint.list.users_returned, 0);
    assert_eq!(
        stats.billing.users_billed,
        150 + 60 - 5 + 1,
        "members and the seed, not the metadata"
    );
}

#[tokio::test]
async fn an_unknown_or_private_list_answers_resource_not_found() {
    let server = start(config()).await;
    for id in ["1700000000000000999", PRIVATE_LIST_ID] {
        for path in [format!("/2/lists/{id}"), format!("/2/lists/{id}/members")] {
            let (status, _, body) = get_json(&server, &path).await;
            assert_eq!(status, 200);
            assert!(body.get("data").is_none(), "{body}");
            let e = &body["errors"][0];
            assert_eq!(e["value"], id);
            assert_eq!(e["resource_id"], id);
            assert_eq!(e["detail"], format!("Could not find list with id: [{id}]."));
            assert_eq!(e["title"], "Not Found Error");
            assert_eq!(e["resource_type"], "list");
            assert_eq!(e["parameter"], "id");
            assert!(
                e["type"]
                    .as_str()
                    .unwrap()
                    .ends_with("/2/problems/resource-not-found")
            );
        }
    }
}

#[tokio::test]
async fn an_unknown_user_has_no_following_but_a_not_found_error() {
    let server = start(config()).await;
    let (status, _, body) = get_json(&server, "/2/users/4242/following").await;
    assert_eq!(status, 200);
    assert!(body.get("data").is_none());
    assert_eq!(body["errors"][0]["resource_type"], "user");
    assert_eq!(
        body["errors"][0]["detail"],
        "Could not find user with id: [4242]."
    );
}

#[tokio::test]
async fn page_sizes_out_of_range_and_forged_tokens_fail_with_invalid_request() {
    let server = start(config()).await;
    let id = seed_id(&server).await;
    for path in [
        format!("/2/lists/{}/members?max_results=0", AI_LIST.id),
        format!("/2/lists/{}/members?max_results=101", AI_LIST.id),
        format!("/2/users/{id}/following?max_results=1001"),
        format!(
            "/2/lists/{}/members?pagination_token=7140dibdnow9c7b",
            AI_LIST.id
        ),
    ] {
        let (status, h, body) = get_json(&server, &path).await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(body["title"], "Invalid Request");
        assert!(
            body["type"]
                .as_str()
                .unwrap()
                .ends_with("/2/problems/invalid-request")
        );
        assert!(h.contains_key("x-rate-limit-remaining"));
    }
    // A token of the AI list is no token of the news list.
    let (_, _, first) = get_json(&server, &format!("/2/lists/{}/members", AI_LIST.id)).await;
    let t = first["meta"]["next_token"].as_str().unwrap();
    let (status, _, _) = get_json(
        &server,
        &format!("/2/lists/{}/members?pagination_token={t}", NEWS_LIST.id),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_new_user_fields_come_back_only_when_asked() {
    let server = start(config()).await;
    let (_, _, plain) = get_json(&server, &format!("/2/lists/{}/members", AI_LIST.id)).await;
    for u in plain["data"].as_array().unwrap() {
        let keys: Vec<&String> = u.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "name", "username"]);
    }
    let (_, _, rich) = get_json(
        &server,
        &format!(
            "/2/lists/{}/members?user.fields=protected,{NEW_FIELDS}",
            AI_LIST.id
        ),
    )
    .await;
    let users = rich["data"].as_array().unwrap();
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let mut with_post = 0;
    for u in users {
        assert!(u["verified_followers_count"].is_u64(), "{u}");
        assert!(u["is_identity_verified"].is_boolean() && u["parody"].is_boolean());
        match u["most_recent_tweet_id"].as_str() {
            Some(t) => {
                with_post += 1;
                assert_eq!(u["protected"], false, "{u}");
                let ms = (t.parse::<u64>().unwrap() >> 22) as i64 + TWITTER_EPOCH_MS;
                assert!(ms <= now_ms, "{u}");
            }
            None => assert!(u.get("most_recent_tweet_id").is_none()),
        }
    }
    assert!(with_post > 80, "most members posted: {with_post}");
    assert!(
        users
            .iter()
            .any(|u| u["protected"] == true && u.get("most_recent_tweet_id").is_none())
    );
    assert!(
        users
            .iter()
            .any(|u| u["parody"] == true && u["name"].as_str().unwrap().ends_with("(Parody)"))
    );
    let affiliated = users
        .iter()
        .find(|u| u.get("affiliation").is_some())
        .expect("someone affiliated");
    let a = &affiliated["affiliation"];
    assert!(a["url"].as_str().unwrap().starts_with("https://x.com/"));
    assert!(a["description"].is_string() && a["badge_url"].is_string());
    let org = a["user_id"][0].as_str().unwrap();
    let (_, _, org_body) = get_json(
        &server,
        &format!("/2/users/{org}?user.fields=verified_type"),
    )
    .await;
    assert_eq!(org_body["data"]["verified_type"], "business", "{org_body}");

    let (_, _, renamed) = get_json(
        &server,
        &format!("/2/users/by/username/{SEED_HANDLE}?user.fields=most_recent_post_id"),
    )
    .await;
    assert!(
        renamed["data"]["most_recent_post_id"].is_string(),
        "{renamed}"
    );
    assert!(renamed["data"].get("most_recent_tweet_id").is_none());
    let (_, _, generated) = get_json(
        &server,
        &format!("/2/users/by?usernames=alice_w,bob_builder&user.fields={NEW_FIELDS}"),
    )
    .await;
    for u in generated["data"].as_array().unwrap() {
        assert!(
            u["verified_followers_count"].is_u64() && u["parody"].is_boolean(),
            "{u}"
        );
    }
}

#[tokio::test]
async fn a_list_member_is_found_by_a_lookup_as_the_same_object() {
    let server = start(config()).await;
    let all = format!("{FIELDS},{NEW_FIELDS},pinned_tweet_id");
    let (_, _, page) = get_json(
        &server,
        &format!(
            "/2/lists/{}/members?max_results=5&user.fields={all}",
            NEWS_LIST.id
        ),
    )
    .await;
    for member in page["data"].as_array().unwrap() {
        let handle = member["username"].as_str().unwrap().to_ascii_uppercase();
        let (_, _, found) = get_json(
            &server,
            &format!("/2/users/by?usernames={handle}&user.fields={all}"),
        )
        .await;
        assert_eq!(&found["data"][0], member);
    }
}

#[tokio::test]
async fn faults_and_a_spent_balance_reach_the_discovery_endpoints_too() {
    let server = start(SimConfig {
        credits: Some(1),
        ..config()
    })
    .await;
    server.faults().push(Fault::ServerError(503));
    let (status, _, _) = get_json(&server, &format!("/2/lists/{}/members", AI_LIST.id)).await;
    assert_eq!(status, 503);
    let (status, _, _) = get_json(
        &server,
        &format!("/2/lists/{}/members?max_results=2", AI_LIST.id),
    )
    .await;
    assert_eq!(status, 200, "charged in full past zero");
    let (status, h, body) = get_json(&server, &format!("/2/lists/{}", AI_LIST.id)).await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["title"], "CreditsDepleted");
    assert_eq!(header_u64(&h, "x-rate-limit-limit"), 75);
    server.top_up(1_000_000);
    server.faults().push(Fault::UsageCap);
    let (status, _, body) = get_json(&server, &format!("/2/lists/{}", AI_LIST.id)).await;
    assert_eq!(
        (status, body["title"].as_str()),
        (429, Some("UsageCapExceeded"))
    );
}

#[tokio::test]
async fn a_generated_persons_affiliation_names_an_organization_found_by_id() {
    let server = start(config()).await;
    let handles: Vec<String> = (0..100).map(|i| format!("person{i}")).collect();
    let (_, _, body) = get_json(
        &server,
        &format!(
            "/2/users/by?usernames={}&user.fields=affiliation",
            handles.join(",")
        ),
    )
    .await;
    let users = body["data"].as_array().unwrap();
    let affiliated: Vec<&Value> = users
        .iter()
        .filter(|u| u.get("affiliation").is_some())
        .collect();
    assert!(
        !affiliated.is_empty() && affiliated.len() < 15,
        "a few: {}",
        affiliated.len()
    );
    for u in affiliated {
        let org = u["affiliation"]["user_id"][0].as_str().unwrap();
        let (status, _, found) = get_json(
            &server,
            &format!("/2/users/{org}?user.fields=verified_type"),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(found["data"]["verified_type"], "business", "{found}");
        let url = u["affiliation"]["url"].as_str().unwrap();
        let handle = found["data"]["username"].as_str().unwrap();
        assert!(
            url.eq_ignore_ascii_case(&format!("https://x.com/{handle}")),
            "{url}"
        );
    }
}
