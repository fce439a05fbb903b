//! The simulator's routes: which handler answers which path of the X API v2 (the users lookups
//! in `server`, the discovery endpoints in `discover`; both go through `server`'s gate).

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use super::discover;
use super::server::{Shared, user_by_id, user_by_username, users_by_ids, users_by_usernames};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/2/users/by", get(users_by_usernames))
        .route("/2/users", get(users_by_ids))
        .route("/2/users/by/username/{username}", get(user_by_username))
        .route("/2/users/{id}", get(user_by_id))
        .route("/2/lists/{id}", get(discover::list))
        .route("/2/lists/{id}/members", get(discover::members))
        .route("/2/users/{id}/following", get(discover::following))
        .with_state(shared)
}
