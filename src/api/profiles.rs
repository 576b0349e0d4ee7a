//! `/v2/verify_profiles`: the profiles of the settings, read-only.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};

use super::models::{
    Errors, ProfileJson, ProfileList, ProfileResponse, PublicKeyJson, PublicKeyResponse, page_of,
    paging,
};
use super::verifications::{query_pairs, segment};
use super::{ApiError, Caller};
use crate::state::AppState;

/// List the verify profiles.
#[utoipa::path(get, path = "/v2/verify_profiles", tag = "Verify profiles",
    params(
        ("page[number]" = Option<u32>, Query, description = "From 1", minimum = 1),
        ("page[size]" = Option<u32>, Query, description = "1 to 250; 25 by default", minimum = 1, maximum = 250),
        ("filter[name]" = Option<String>, Query, description = "Only the profile of this name")),
    responses(
        (status = 200, description = "The profiles", body = ProfileList),
        (status = 401, description = "A missing or unknown API key", body = Errors)))]
pub async fn list(
    State(app): State<Arc<AppState>>,
    _: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<ProfileList>, ApiError> {
    let api = app
        .api
        .as_ref()
        .ok_or(ApiError::NotFound { pointer: None })?;
    let query = query_pairs(query.as_deref())?;
    let (number, size) = paging(&query)?;
    let name = query.get("filter[name]");
    let all = api
        .profiles
        .iter()
        .filter(|p| name.is_none_or(|name| &p.name == name))
        .map(ProfileJson::new)
        .collect();
    let (data, meta) = page_of(all, number, size);
    Ok(Json(ProfileList { data, meta }))
}

/// Retrieve a verify profile.
#[utoipa::path(get, path = "/v2/verify_profiles/{id}", tag = "Verify profiles",
    params(("id" = String, Path, description = "The profile's id")),
    responses(
        (status = 200, description = "The profile", body = ProfileResponse),
        (status = 401, description = "A missing or unknown API key", body = Errors),
        (status = 404, description = "No such profile", body = Errors)))]
pub async fn retrieve(
    State(app): State<Arc<AppState>>,
    _: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ProfileResponse>, ApiError> {
    let api = app
        .api
        .as_ref()
        .ok_or(ApiError::NotFound { pointer: None })?;
    let profile = api
        .profile(&segment(id)?)
        .ok_or(ApiError::NotFound { pointer: None })?;
    Ok(Json(ProfileResponse {
        data: ProfileJson::new(profile),
    }))
}

/// The Ed25519 public key that signs the events sent to profiles'
/// `webhook_url`s, as Telnyx's portal shows its own: base64 of 32 bytes.
#[utoipa::path(get, path = "/v2/public_key", tag = "Verify profiles",
    responses(
        (status = 200, description = "The key", body = PublicKeyResponse),
        (status = 401, description = "A missing or unknown API key", body = Errors)))]
pub async fn public_key(State(app): State<Arc<AppState>>, _: Caller) -> Json<PublicKeyResponse> {
    Json(PublicKeyResponse {
        data: PublicKeyJson {
            public_key: app.events.public_key().to_owned(),
            record_type: "public_key",
        },
    })
}
