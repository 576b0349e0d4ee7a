//! `/v2/verifications`: trigger an SMS, read a verification, list a
//! number's, and check a code by id or by number.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::models::{
    Errors, ResponseCode, TriggerSms, VerificationJson, VerificationList, VerificationResponse,
    VerifyAnswer, VerifyById, VerifyByPhone, VerifyResponse, page_of, paging,
};
use super::{ApiError, Body, Caller};
use crate::otp::OtpCode;
use crate::phone::PhoneNumber;
use crate::state::AppState;
use crate::verification::{Ended, Verification, VerificationId};
use crate::verifier::{Checked, Reading, Requester, VerifyError};
use crate::webhooks::events::EventKind;

/// The shortest and longest `timeout_secs` a caller may ask for: long
/// enough for a slow SMS, short enough to stay a one-time code.
const TIMEOUT_BOUNDS: std::ops::RangeInclusive<u64> = 60..=1800;

/// A path segment, percent-decoded (`+` stays `+`); one that does not
/// decode names nothing.
pub(super) fn segment(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(segment)| segment)
        .map_err(|_| ApiError::NotFound { pointer: None })
}

/// A query's pairs, `page%5Bsize%5D` read as `page[size]`.
pub(super) fn query_pairs(query: Option<&str>) -> Result<HashMap<String, String>, ApiError> {
    serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|_| ApiError::BadRequest("The query string is not readable."))
}

/// A JSON object body as `T`; unknown fields are ignored, as Telnyx does.
fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(object @ Value::Object(_)) => serde_json::from_value(object)
            .map_err(|_| ApiError::BadRequest("The body must be a JSON object.")),
        _ => Err(ApiError::BadRequest("The body must be a JSON object.")),
    }
}

/// A text field: absent or null is `None`; a number is read as its digits.
fn text(value: &Option<Value>, pointer: &'static str) -> Result<Option<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(_) => Err(ApiError::invalid(
            pointer,
            format!("{} must be a string.", &pointer[1..]),
        )),
    }
}

fn required(value: &Option<Value>, pointer: &'static str) -> Result<String, ApiError> {
    text(value, pointer)?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::missing(pointer))
}

/// `+` and digits, as Telnyx wants numbers.
fn e164(text: &str) -> Result<&str, ApiError> {
    let digits = text.strip_prefix('+').unwrap_or_default();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::Invalid {
            pointer: "/phone_number",
            code: "10016",
            title: "Phone number must be in +E.164 format",
            detail: "The specified phone number parameter must be in +E.164 format.".to_owned(),
        });
    }
    Ok(text)
}

/// A number named in a path: any valid E.164 number.
fn number_in_path(app: &AppState, text: &str) -> Result<PhoneNumber, ApiError> {
    let rules = &app.verifier.rules().phone;
    PhoneNumber::parse(e164(text)?, &rules.default_country).map_err(ApiError::phone)
}

fn timeout(value: &Option<Value>) -> Result<Option<Duration>, ApiError> {
    let seconds = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => value.as_u64().filter(|s| TIMEOUT_BOUNDS.contains(s)),
    };
    seconds
        .map(|s| Some(Duration::from_secs(s)))
        .ok_or_else(|| {
            ApiError::invalid(
                "/timeout_secs",
                format!(
                    "timeout_secs must be a whole number from {} to {}.",
                    TIMEOUT_BOUNDS.start(),
                    TIMEOUT_BOUNDS.end()
                ),
            )
        })
}

/// Trigger an SMS verification: a code is texted to the number.
#[utoipa::path(post, path = "/v2/verifications/sms", tag = "Verifications",
    request_body = TriggerSms,
    responses(
        (status = 200, description = "The code was texted", body = VerificationResponse),
        (status = 400, description = "A body that is not a JSON object", body = Errors),
        (status = 401, description = "A missing or unknown API key", body = Errors),
        (status = 408, description = "A body not sent whole within server.client_timeout_secs", body = Errors),
        (status = 413, description = "A body over 16 KiB", body = Errors),
        (status = 404, description = "An unknown verify_profile_id", body = Errors),
        (status = 422, description = "A field that cannot be used; source.pointer names it", body = Errors),
        (status = 429, description = "A limit; Retry-After says when to try again", body = Errors),
        (status = 502, description = "The SMS could not be sent", body = Errors),
        (status = 503, description = "Too many pending verifications, or briefly unavailable", body = Errors)))]
pub async fn trigger_sms(
    State(app): State<Arc<AppState>>,
    Caller(requester): Caller,
    Body(bytes): Body,
) -> Result<Json<VerificationResponse>, ApiError> {
    let api = app
        .api
        .as_ref()
        .ok_or(ApiError::NotFound { pointer: None })?;
    let request: TriggerSms = body(&bytes)?;
    let phone_number = required(&request.phone_number, "/phone_number")?;
    let profile_id = required(&request.verify_profile_id, "/verify_profile_id")?;
    let profile = api.profile(&profile_id).ok_or(ApiError::NotFound {
        pointer: Some("/verify_profile_id"),
    })?;
    let phone = profile
        .phone
        .parse(e164(&phone_number)?)
        .map_err(ApiError::phone)?;
    let custom_code = text(&request.custom_code, "/custom_code")?
        .map(|code| {
            OtpCode::custom(&code).ok_or_else(|| {
                ApiError::invalid("/custom_code", "custom_code must be 4 to 10 digits.")
            })
        })
        .transpose()?;
    let ttl = timeout(&request.timeout_secs)?;
    let sent = app
        .verifier
        .start_for(phone, &requester, profile, custom_code, ttl)
        .await?;
    if !sent.uncertain {
        super::announce(&app, EventKind::Sent, &sent.pending.id, &sent.verification);
    }
    let now = app.verifier.clock().now();
    let data = VerificationJson::new(&sent.pending.id, &sent.verification, now);
    Ok(Json(VerificationResponse { data }))
}

/// An API verification by its id; a page's, or an unknown id, is not found.
async fn api_verification(app: &AppState, id: &VerificationId) -> Result<Verification, ApiError> {
    match app.verifier.status(id).await? {
        verification if verification.profile.is_some() => Ok(verification),
        _ => Err(ApiError::NotFound { pointer: None }),
    }
}

fn verification_id(text: &str) -> Result<VerificationId, ApiError> {
    VerificationId::decode(text).ok_or(ApiError::NotFound { pointer: None })
}

/// Retrieve a verification.
#[utoipa::path(get, path = "/v2/verifications/{id}", tag = "Verifications",
    params(("id" = String, Path, description = "The verification's id")),
    responses(
        (status = 200, description = "The verification", body = VerificationResponse),
        (status = 401, description = "A missing or unknown API key", body = Errors),
        (status = 404, description = "No such verification", body = Errors)))]
pub async fn retrieve(
    State(app): State<Arc<AppState>>,
    _: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<VerificationResponse>, ApiError> {
    let id = verification_id(&segment(id)?)?;
    let verification = api_verification(&app, &id).await?;
    let now = app.verifier.clock().now();
    let data = VerificationJson::new(&id, &verification, now);
    Ok(Json(VerificationResponse { data }))
}

/// List a number's verifications, newest first.
#[utoipa::path(get, path = "/v2/verifications/by_phone_number/{phone_number}", tag = "Verifications",
    params(
        ("phone_number" = String, Path, description = "E.164", example = "+13035551234"),
        ("page[number]" = Option<u32>, Query, description = "From 1", minimum = 1),
        ("page[size]" = Option<u32>, Query, description = "1 to 250; 25 by default", minimum = 1, maximum = 250)),
    responses(
        (status = 200, description = "The number's verifications", body = VerificationList),
        (status = 401, description = "A missing or unknown API key", body = Errors),
        (status = 422, description = "Not an E.164 number", body = Errors)))]
pub async fn by_phone_number(
    State(app): State<Arc<AppState>>,
    _: Caller,
    phone_number: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Json<VerificationList>, ApiError> {
    let (number, size) = paging(&query_pairs(query.as_deref())?)?;
    let phone = number_in_path(&app, &segment(phone_number)?)?;
    let now = app.verifier.clock().now();
    let all = app
        .verifier
        .list(&phone)
        .await?
        .iter()
        .map(|(id, v)| VerificationJson::new(id, v, now))
        .collect();
    let (data, meta) = page_of(all, number, size);
    Ok(Json(VerificationList { data, meta }))
}

/// Check a code by the verification's id, or report the caller's own
/// verdict on a verification with a custom_code. A wrong code is a 200
/// with `response_code: rejected`.
#[utoipa::path(post, path = "/v2/verifications/{id}/actions/verify", tag = "Verifications",
    params(("id" = String, Path, description = "The verification's id")),
    request_body = VerifyById,
    responses(
        (status = 200, description = "accepted or rejected", body = VerifyResponse),
        (status = 400, description = "A body that is not a JSON object", body = Errors),
        (status = 401, description = "A missing or unknown API key", body = Errors),
        (status = 408, description = "A body not sent whole within server.client_timeout_secs", body = Errors),
        (status = 413, description = "A body over 16 KiB", body = Errors),
        (status = 404, description = "No such verification", body = Errors),
        (status = 422, description = "No code, or a status for a verification without a custom_code", body = Errors),
        (status = 429, description = "Too many wrong codes with this key", body = Errors)))]
pub async fn verify_by_id(
    State(app): State<Arc<AppState>>,
    Caller(requester): Caller,
    id: Result<Path<String>, PathRejection>,
    Body(bytes): Body,
) -> Result<Json<VerifyResponse>, ApiError> {
    let id = verification_id(&segment(id)?)?;
    let request: VerifyById = body(&bytes)?;
    if let Some(status) = text(&request.status, "/status")? {
        let accepted = match status.as_str() {
            "accepted" => true,
            "rejected" => false,
            _ => {
                return Err(ApiError::invalid(
                    "/status",
                    "status must be accepted or rejected.",
                ));
            }
        };
        // One step of the store, which finds only the API's verifications
        // and answers an ended one with itself, to name its number.
        let settled = app.verifier.settle(&id, accepted).await;
        let phone = match &settled {
            Ok(v) => v.phone,
            Err(VerifyError::Ended(_, Some(v))) => v.phone,
            Err(_) => {
                return Err(settled
                    .err()
                    .map_or(ApiError::NotFound { pointer: None }, Into::into));
            }
        };
        let verdict = settled.map(|v| {
            if accepted {
                Checked::Verified(v)
            } else {
                Checked::Malformed(v)
            }
        });
        return answer(&phone, verdict);
    }
    let code = required(&request.code, "/code")?;
    check(&app, &id, &code, &requester).await
}

/// Check a code by number: the newest pending verification of that
/// number under the profile.
#[utoipa::path(post, path = "/v2/verifications/by_phone_number/{phone_number}/actions/verify",
    tag = "Verifications",
    params(("phone_number" = String, Path, description = "E.164", example = "+13035551234")),
    request_body = VerifyByPhone,
    responses(
        (status = 200, description = "accepted or rejected", body = VerifyResponse),
        (status = 400, description = "A body that is not a JSON object", body = Errors),
        (status = 401, description = "A missing or unknown API key", body = Errors),
        (status = 408, description = "A body not sent whole within server.client_timeout_secs", body = Errors),
        (status = 413, description = "A body over 16 KiB", body = Errors),
        (status = 404, description = "No verification of this number under the profile", body = Errors),
        (status = 422, description = "A missing field, or not an E.164 number", body = Errors)))]
pub async fn verify_by_phone_number(
    State(app): State<Arc<AppState>>,
    Caller(requester): Caller,
    phone_number: Result<Path<String>, PathRejection>,
    Body(bytes): Body,
) -> Result<Json<VerifyResponse>, ApiError> {
    let phone_number = segment(phone_number)?;
    let request: VerifyByPhone = body(&bytes)?;
    let code = required(&request.code, "/code")?;
    let profile_id = required(&request.verify_profile_id, "/verify_profile_id")?;
    let phone = number_in_path(&app, &phone_number)?;
    let checked = app
        .verifier
        .check_by_number(&phone, &profile_id, &code, &requester)
        .await;
    answer_check(checked)
}

/// Checks `code` for verification `id`: a wrong code, or a verification
/// that can take none, is `rejected`, as Telnyx answers.
async fn check(
    app: &AppState,
    id: &VerificationId,
    code: &str,
    requester: &Requester,
) -> Result<Json<VerifyResponse>, ApiError> {
    let checked = app
        .verifier
        .check(id, code, Reading::Loose, requester)
        .await;
    answer_check(checked)
}

/// A check's answer: `rejected` names the verification's number, so one
/// that was never read (refused first) is the error that refused it.
fn answer_check(checked: Result<Checked, VerifyError>) -> Result<Json<VerifyResponse>, ApiError> {
    let named = match &checked {
        Ok(
            Checked::Verified(v)
            | Checked::Wrong {
                verification: v, ..
            }
            | Checked::Malformed(v),
        ) => Some(v),
        // Nothing was checked, but the store read it: the answer names it.
        Err(VerifyError::Ended(_, Some(v))) => Some(v.as_ref()),
        Err(_) => None,
    };
    let phone = match named {
        // The store's check finds no page's verification for an API key,
        // but a malformed code is answered from a plain read, which does.
        Some(v) if v.profile.is_none() => return Err(ApiError::NotFound { pointer: None }),
        Some(v) => v.phone,
        // Refused before a verification was read: a limit, none at all, or
        // the store.
        None => {
            return Err(checked
                .err()
                .map_or(ApiError::NotFound { pointer: None }, Into::into));
        }
    };
    answer(&phone, checked)
}

/// `accepted` for a verified code, `rejected` for anything that is not an
/// error of ours.
fn answer(
    phone: &PhoneNumber,
    checked: Result<Checked, VerifyError>,
) -> Result<Json<VerifyResponse>, ApiError> {
    match checked {
        Ok(Checked::Verified(_)) => Ok(Json(VerifyResponse {
            data: VerifyAnswer {
                phone_number: phone.e164().to_owned(),
                response_code: ResponseCode::Accepted,
            },
        })),
        Ok(_) | Err(VerifyError::Ended(Ended::Expired | Ended::Used | Ended::Locked, _)) => {
            Ok(rejected(phone))
        }
        Err(error) => Err(error.into()),
    }
}

fn rejected(phone: &PhoneNumber) -> Json<VerifyResponse> {
    Json(VerifyResponse {
        data: VerifyAnswer {
            phone_number: phone.e164().to_owned(),
            response_code: ResponseCode::Rejected,
        },
    })
}
