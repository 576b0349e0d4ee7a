//! The API's OpenAPI 3.1 document, generated from the handlers'
//! `#[utoipa::path]` attributes and the models' `ToSchema`.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{profiles, verifications};

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "telnyx-2fa Verify API",
        description = "A self-hosted subset of Telnyx's Verify API v2 (SMS): point Telnyx's SDKs' base URL at /v2.",
    ),
    paths(
        verifications::trigger_sms,
        verifications::retrieve,
        verifications::by_phone_number,
        verifications::verify_by_id,
        verifications::verify_by_phone_number,
        profiles::list,
        profiles::retrieve,
        profiles::public_key,
    ),
    modifiers(&BearerKey),
    security(("bearer" = [])),
    tags((name = "Verifications"), (name = "Verify profiles")),
)]
struct ApiDoc;

/// Made once: it does not change while the app runs.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|_| "{}".to_owned())
});

/// `GET /v2/openapi.json`, without a key: it describes, it reveals nothing.
pub async fn document() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_route_and_a_bearer_key() {
        let document: serde_json::Value =
            serde_json::from_str(&DOCUMENT).expect("the document is JSON");
        assert_eq!(document["openapi"], "3.1.0");
        let paths = document["paths"].as_object().expect("paths");
        for path in [
            "/v2/verifications/sms",
            "/v2/verifications/{id}",
            "/v2/verifications/by_phone_number/{phone_number}",
            "/v2/verifications/{id}/actions/verify",
            "/v2/verifications/by_phone_number/{phone_number}/actions/verify",
            "/v2/verify_profiles",
            "/v2/verify_profiles/{id}",
        ] {
            assert!(paths.contains_key(path), "{path}");
        }
        assert_eq!(
            document["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        let verification = &document["components"]["schemas"]["VerificationJson"];
        assert_eq!(
            verification["properties"]["custom_code"]["type"],
            serde_json::json!(["string", "null"])
        );
    }
}
