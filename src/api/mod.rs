//! The Verify API face: JSON shaped exactly like Telnyx's Verify API v2, so
//! a program written for Telnyx's hosted Verify, with Telnyx's own SDKs,
//! runs against this server by changing only the base URL and the key.
//!
//! Handlers translate JSON to `Verifier` calls and back; the rules (expiry,
//! tries, limits, countries, capacity) are the core's, the same as the
//! pages'. Callers are counted by API key, not by address: the address is
//! their backend's, shared by everyone it serves. The API takes no cookies,
//! so no CSRF check applies.

mod errors;
mod models;
mod openapi;
mod profiles;
mod verifications;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::routing::{MethodRouter, any, get, post};
use secrecy::{ExposeSecret, SecretString};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

pub use errors::ApiError;
pub use models::rfc3339;

use crate::body::{BodyProblem, WholeBody};
use crate::limits::{Asker, KeyTag};
use crate::state::AppState;
use crate::verification::{Delivery, Verification, VerificationId};
use crate::verifier::{Profile, Requester};
use crate::webhooks::events::EventKind;

/// The API's keys and profiles.
#[derive(Debug)]
pub struct Api {
    /// Each key with its tag, made once rather than for every request.
    keys: Vec<(SecretString, KeyTag)>,
    profiles: Vec<Profile>,
}

impl Api {
    /// `None` when no key is configured: then the API answers 404.
    pub fn new(keys: Vec<SecretString>, profiles: Vec<Profile>) -> Option<Self> {
        let keys: Vec<_> = keys
            .into_iter()
            .map(|key| {
                let tag = KeyTag::of(key.expose_secret());
                (key, tag)
            })
            .collect();
        (!keys.is_empty()).then_some(Self { keys, profiles })
    }

    fn profile(&self, id: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.id.as_str() == id)
    }

    /// The tag of `presented` if it is one of the keys: every key is
    /// compared, each in constant time, and the tag chosen without a
    /// branch, so the time taken says nothing about which.
    fn tag_of(&self, presented: &str) -> Option<KeyTag> {
        let (known, tag) =
            self.keys
                .iter()
                .fold((Choice::from(0), 0u64), |(known, chosen), (key, tag)| {
                    let same = key.expose_secret().as_bytes().ct_eq(presented.as_bytes());
                    let tag = u64::from_be_bytes(tag.0);
                    (known | same, u64::conditional_select(&chosen, &tag, same))
                });
        bool::from(known).then(|| KeyTag(tag.to_be_bytes()))
    }
}

/// Sends `kind` about an API verification to its profile's `webhook_url`,
/// if it has one: the verification as the API shows it, plus the fields
/// of Telnyx's Verify events (`profile_id`, `delivery_status`).
pub fn announce(app: &AppState, kind: EventKind, id: &VerificationId, verification: &Verification) {
    let profile = verification
        .profile
        .as_ref()
        .and_then(|profile| app.api.as_ref()?.profile(profile.as_str()));
    let Some(url) = profile.and_then(|p| p.webhook_url.as_ref()) else {
        return;
    };
    let now = app.verifier.clock().now();
    let Ok(mut payload) =
        serde_json::to_value(models::VerificationJson::new(id, verification, now))
    else {
        return;
    };
    let delivery_status = match verification.delivery {
        Delivery::Unknown | Delivery::Sent => "sent",
        Delivery::Delivered => "delivered",
        Delivery::Failed => "failed",
    };
    if let Some(fields) = payload.as_object_mut() {
        fields.insert("profile_id".into(), fields["verify_profile_id"].clone());
        fields.insert("delivery_status".into(), delivery_status.into());
    }
    app.events.announce(kind, url, payload);
}

/// A caller that showed a valid key: `Authorization: Bearer <key>`.
pub struct Caller(Requester);

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<AppState>) -> Result<Self, ApiError> {
        let api = app
            .api
            .as_ref()
            .ok_or(ApiError::NotFound { pointer: None })?;
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, key)| key.trim())
            .ok_or(ApiError::Unauthorized)?;
        let tag = api.tag_of(presented).ok_or(ApiError::Unauthorized)?;
        Ok(Caller(Requester {
            asker: Asker::ApiKey(tag),
            language: app.languages.default_language(),
            origin_host: None,
        }))
    }
}

/// A request's body, read whole (`body::WholeBody`); one that cannot be is
/// answered in Telnyx's error shape, not with the page the pages answer.
pub struct Body(pub Bytes);

impl FromRequest<Arc<AppState>> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, app: &Arc<AppState>) -> Result<Self, ApiError> {
        let Ok(WholeBody(read)) = WholeBody::from_request(request, app).await;
        match read {
            Ok(bytes) => Ok(Body(bytes)),
            Err(BodyProblem::TooLarge) => Err(ApiError::TooLarge),
            Err(BodyProblem::TooSlow) => Err(ApiError::TooSlow),
            Err(BodyProblem::Unreadable) => {
                Err(ApiError::BadRequest("The body could not be read."))
            }
        }
    }
}

/// Everything under `/v2`. Without keys, every path there is a JSON 404.
///
/// Routed with the app's other routes, each by its whole path, rather than
/// nested under `/v2`: a nested router is a second routing of every API
/// request, with its path cut and its URI built again.
pub fn router(enabled: bool) -> Router<Arc<AppState>> {
    let not_found = || async { ApiError::NotFound { pointer: None } };
    let not_allowed = || async { ApiError::MethodNotAllowed };
    let everything_else = Router::new()
        .route("/v2", any(not_found))
        .route("/v2/", any(not_found))
        .route("/v2/{*rest}", any(not_found));
    if !enabled {
        return everything_else;
    }
    // A method a path does not take is a JSON 405, not the pages' 405.
    let only = |method: MethodRouter<Arc<AppState>>| method.fallback(not_allowed);
    everything_else
        .route(
            "/v2/verifications/sms",
            only(post(verifications::trigger_sms)),
        )
        .route("/v2/verifications/{id}", only(get(verifications::retrieve)))
        .route(
            "/v2/verifications/by_phone_number/{phone_number}",
            only(get(verifications::by_phone_number)),
        )
        .route(
            "/v2/verifications/{id}/actions/verify",
            only(post(verifications::verify_by_id)),
        )
        .route(
            "/v2/verifications/by_phone_number/{phone_number}/actions/verify",
            only(post(verifications::verify_by_phone_number)),
        )
        .route("/v2/verify_profiles", only(get(profiles::list)))
        .route("/v2/verify_profiles/{id}", only(get(profiles::retrieve)))
        .route("/v2/public_key", only(get(profiles::public_key)))
        .route("/v2/openapi.json", only(get(openapi::document)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(keys: &[&str]) -> Option<Api> {
        Api::new(
            keys.iter().map(|k| SecretString::from(*k)).collect(),
            vec![],
        )
    }

    #[test]
    fn each_key_is_known_by_the_tag_of_its_own_digest_and_no_other_is() {
        let Some(api) = api(&["first-key-0123456789", "second-key-0123456789"]) else {
            panic!("keys were given");
        };
        assert_eq!(
            api.tag_of("first-key-0123456789"),
            Some(KeyTag::of("first-key-0123456789"))
        );
        assert_eq!(
            api.tag_of("second-key-0123456789"),
            Some(KeyTag::of("second-key-0123456789"))
        );
        assert_ne!(
            KeyTag::of("first-key-0123456789"),
            KeyTag::of("second-key-0123456789")
        );
        for unknown in [
            "",
            "first-key-012345678",
            "first-key-0123456789x",
            "FIRST-KEY-0123456789",
        ] {
            assert_eq!(api.tag_of(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn a_key_tag_is_the_first_eight_bytes_of_the_keys_sha_256() {
        // SHA-256("abc") = ba7816bf 8f01cfea ...
        assert_eq!(
            KeyTag::of("abc").0,
            [0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea]
        );
    }

    #[test]
    fn without_keys_there_is_no_api() {
        assert!(api(&[]).is_none());
    }
}
