//! The exact JSON bodies of the API's error answers and partial-error entries, as recorded from
//! the real service (see x-api-v2.md). Problem `type` URIs use either host, as the real API does.

use serde_json::{Value, json};

/// `https://api.twitter.com/2/problems/...` or `https://api.x.com/2/problems/...`.
pub(super) fn problem_type(x_host: bool, problem: &str) -> String {
    let host = if x_host {
        "api.x.com"
    } else {
        "api.twitter.com"
    };
    format!("https://{host}/2/problems/{problem}")
}

pub(super) fn unauthorized() -> Value {
    json!({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"})
}

/// 429 shape 1.
pub(super) fn too_many_requests() -> Value {
    json!({"title":"Too Many Requests","type":"about:blank","status":429,"detail":"Too Many Requests"})
}

/// 429 shape 2 (the v1.1-style body some gateways still send).
pub(super) fn rate_limit_code88() -> Value {
    json!({"errors":[{"code":88,"message":"Rate limit exceeded"}]})
}

/// 429 shape 3: the monthly product cap.
pub(super) fn usage_capped(x_host: bool) -> Value {
    json!({"title":"UsageCapExceeded","period":"Monthly","scope":"Product",
        "detail":"Usage cap exceeded: Monthly product cap",
        "type":problem_type(x_host, "usage-capped")})
}

/// 402: the pay-per-use balance is spent. Always on api.x.com, as recorded.
pub(super) fn credits_depleted(account_id: u64) -> Value {
    json!({"title":"CreditsDepleted",
        "detail":format!("Your enrolled account [{account_id}] does not have any credits to fulfill this request."),
        "type":"https://api.x.com/2/problems/credits"})
}

pub(super) fn server_error(status: u16) -> Value {
    let title = match status {
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Internal Server Error",
    };
    json!({"title":title,"type":"about:blank","status":status,"detail":title})
}

/// 400 invalid-request naming the offending parameter values.
pub(super) fn invalid_request(
    parameter: &str,
    values: &[String],
    message: &str,
    x_host: bool,
) -> Value {
    json!({"errors":[{"parameters":{parameter: values},"message":message}],
        "title":"Invalid Request",
        "detail":"One or more parameters to your request was invalid.",
        "type":problem_type(x_host, "invalid-request")})
}

/// A partial error: the user does not exist. `parameter` is `usernames`, `username`, `ids` or `id`.
pub(super) fn not_found_entry(value: &str, parameter: &str, x_host: bool) -> Value {
    json!({"value":value,
        "detail":format!("Could not find user with {parameter}: [{value}]."),
        "title":"Not Found Error","resource_type":"user","parameter":parameter,
        "resource_id":value,"type":problem_type(x_host, "resource-not-found")})
}

/// A partial error: the user is suspended (same `type` as not found, different title).
pub(super) fn suspended_entry(
    value: &str,
    canonical: &str,
    parameter: &str,
    x_host: bool,
) -> Value {
    json!({"value":value,
        "detail":format!("User has been suspended: [{canonical}]."),
        "title":"Forbidden","resource_type":"user","parameter":parameter,
        "resource_id":value,"type":problem_type(x_host, "resource-not-found")})
}

/// An error about an expanded object beside a found user: the pinned post is gone.
pub(super) fn deleted_pinned_tweet_entry(tweet_id: u64, x_host: bool) -> Value {
    let id = tweet_id.to_string();
    json!({"value":id,
        "detail":format!("Could not find tweet with pinned_tweet_id: [{id}]."),
        "title":"Not Found Error","resource_type":"tweet","parameter":"pinned_tweet_id",
        "resource_id":id,"type":problem_type(x_host, "resource-not-found")})
}

/// The list does not exist or is private: the same answer for both, so private lists stay hidden.
pub(super) fn list_not_found_entry(value: &str, x_host: bool) -> Value {
    json!({"value":value,
        "detail":format!("Could not find list with id: [{value}]."),
        "title":"Not Found Error","resource_type":"list","parameter":"id",
        "resource_id":value,"type":problem_type(x_host, "resource-not-found")})
}
