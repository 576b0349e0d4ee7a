//! The JSON the Verify API answers with, field for field as Telnyx's (see
//! `../shared/reference/telnyx-verify-api.md` and Telnyx's SDK models).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use super::ApiError;
use crate::clock::Timestamp;
use crate::verification::{Status, Verification, VerificationId};
use crate::verifier::Profile;

/// Every answer wraps its object in `data`; lists carry `meta` too.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationResponse {
    pub data: VerificationJson,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationList {
    pub data: Vec<VerificationJson>,
    pub meta: Meta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    pub data: VerifyAnswer,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileResponse {
    pub data: ProfileJson,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileList {
    pub data: Vec<ProfileJson>,
    pub meta: Meta,
}

/// Where a page is in the whole list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Meta {
    pub page_number: usize,
    pub page_size: usize,
    pub total_pages: usize,
    pub total_results: usize,
}

/// `POST /v2/verifications/sms`. Each field is read and checked by hand,
/// so a bad one is named in the error.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TriggerSms {
    /// E.164, e.g. `+13035551234`.
    #[schema(value_type = String, examples("+13035551234"))]
    pub phone_number: Option<Value>,
    #[schema(value_type = String, examples("default"))]
    pub verify_profile_id: Option<Value>,
    /// 4 to 10 digits, texted instead of a code of ours.
    #[schema(value_type = Option<String>)]
    pub custom_code: Option<Value>,
    /// 60 to 1800; the profile's when absent.
    #[schema(value_type = Option<u64>)]
    pub timeout_secs: Option<Value>,
}

/// `POST /v2/verifications/{id}/actions/verify`: a code, or for a
/// verification with a `custom_code`, the caller's own verdict.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct VerifyById {
    #[schema(value_type = Option<String>)]
    pub code: Option<Value>,
    /// `accepted` or `rejected`.
    #[schema(value_type = Option<String>)]
    pub status: Option<Value>,
}

/// `POST /v2/verifications/by_phone_number/{phone_number}/actions/verify`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct VerifyByPhone {
    #[schema(value_type = String)]
    pub code: Option<Value>,
    #[schema(value_type = String)]
    pub verify_profile_id: Option<Value>,
}

/// Telnyx's error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct Errors {
    pub errors: Vec<ErrorEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEntry {
    /// Telnyx's code, e.g. `10005`.
    pub code: &'static str,
    pub title: &'static str,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub source: Option<ErrorSource>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorSource {
    /// A JSON pointer to the field at fault, e.g. `/phone_number`.
    pub pointer: &'static str,
}

/// A verification, as Telnyx's `Verification`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationJson {
    pub id: String,
    /// Always `verification`.
    pub record_type: &'static str,
    /// Always `sms`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// E.164.
    pub phone_number: String,
    #[schema(required)]
    pub verify_profile_id: Option<String>,
    /// Never given back: only an HMAC of a code is kept.
    #[schema(required)]
    pub custom_code: Option<String>,
    pub timeout_secs: u64,
    pub status: VerificationStatus,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    Pending,
    Accepted,
    /// Too many wrong codes (or rejected by its caller).
    Invalid,
    Expired,
}

/// The answer to a code: `accepted` or `rejected`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyAnswer {
    pub phone_number: String,
    pub response_code: ResponseCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponseCode {
    Accepted,
    Rejected,
}

/// `GET /v2/public_key`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicKeyResponse {
    pub data: PublicKeyJson,
}

/// The key that signs this server's webhooks.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicKeyJson {
    /// Base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
    /// Always `public_key`.
    pub record_type: &'static str,
}

/// A verify profile, as Telnyx's `VerifyProfile` (SMS only).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileJson {
    pub id: String,
    pub name: String,
    /// Always `verification_profile`.
    pub record_type: &'static str,
    pub language: Option<String>,
    pub webhook_url: Option<String>,
    pub webhook_failover_url: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub sms: ProfileSms,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileSms {
    pub messaging_template_id: Option<String>,
    pub app_name: Option<String>,
    pub alpha_sender: Option<String>,
    pub code_length: usize,
    pub default_verification_timeout_secs: u64,
    pub whitelisted_destinations: Vec<String>,
}

/// `2026-11-28T03:12:59.123Z`
pub fn rfc3339(at: Timestamp) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.as_millis()) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

impl VerificationJson {
    pub fn new(id: &VerificationId, v: &Verification, now: Timestamp) -> Self {
        let status = match v.status {
            Status::Used => VerificationStatus::Accepted,
            Status::Locked => VerificationStatus::Invalid,
            Status::Pending if now >= v.expires => VerificationStatus::Expired,
            Status::Pending => VerificationStatus::Pending,
        };
        Self {
            id: id.encode(),
            record_type: "verification",
            kind: "sms",
            phone_number: v.phone.e164().to_owned(),
            verify_profile_id: v.profile.as_ref().map(|p| p.as_str().to_owned()),
            custom_code: None,
            timeout_secs: v.created.until(v.expires).as_secs(),
            status,
            created_at: rfc3339(v.created),
            updated_at: rfc3339(v.updated),
        }
    }
}

impl ProfileJson {
    pub fn new(profile: &Profile) -> Self {
        Self {
            id: profile.id.as_str().to_owned(),
            name: profile.name.clone(),
            record_type: "verification_profile",
            language: profile.language.map(|l| l.tag().to_owned()),
            webhook_url: profile.webhook_url.as_ref().map(|url| url.to_string()),
            webhook_failover_url: None,
            created_at: None,
            updated_at: None,
            sms: ProfileSms {
                messaging_template_id: None,
                app_name: profile.app_name.clone(),
                alpha_sender: None,
                code_length: profile.code.length,
                default_verification_timeout_secs: profile.ttl.as_secs(),
                whitelisted_destinations: profile.whitelisted_destinations.clone(),
            },
        }
    }
}

/// The most a page may hold.
const MAX_PAGE_SIZE: usize = 250;
const DEFAULT_PAGE_SIZE: usize = 25;

/// `page[number]` and `page[size]` of a query, checked.
pub fn paging(query: &HashMap<String, String>) -> Result<(usize, usize), ApiError> {
    let read = |name: &'static str, default: usize, max: usize| match query.get(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or(ApiError::BadRequest(
                "page[number] must be a whole number from 1, and page[size] from 1 to 250.",
            )),
    };
    Ok((
        read("page[number]", 1, usize::MAX)?,
        read("page[size]", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?,
    ))
}

/// One page of `all`, and where it is; past the last page, an empty one.
pub fn page_of<T>(all: Vec<T>, number: usize, size: usize) -> (Vec<T>, Meta) {
    let total_results = all.len();
    let data = all
        .into_iter()
        .skip((number - 1).saturating_mul(size))
        .take(size)
        .collect();
    let meta = Meta {
        page_number: number,
        page_size: size,
        total_pages: total_results.div_ceil(size),
        total_results,
    };
    (data, meta)
}
