//! The Verify API over HTTP, with JSON shaped as Telnyx's Verify API v2
//! (`../shared/reference/telnyx-verify-api.md`).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::helpers::{
    PHONE_E164, TestApp, code_in, spawn_app_against, spawn_app_with, telnyx_answers, telnyx_error,
};

pub const KEY: &str = "api-key-0123456789abcdef";

/// The app with the Verify API on, and `extra` settings.
pub async fn api_app(extra: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![("TWOFA_API__KEYS", KEY)];
    settings.extend_from_slice(extra);
    spawn_app_with(&settings).await
}

/// A JSON client holding the key.
pub struct Json<'a> {
    app: &'a TestApp,
    key: Option<&'a str>,
}

/// A JSON answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The first error's `code` and `source.pointer`.
    fn error(&self) -> (String, String) {
        let error = &self.body["errors"][0];
        (
            error["code"].as_str().unwrap_or_default().to_owned(),
            error["source"]["pointer"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }
}

impl<'a> Json<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            key: Some(KEY),
        }
    }

    fn with_key(app: &'a TestApp, key: Option<&'a str>) -> Self {
        Self { app, key }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let request = match self.key {
            Some(key) => request.bearer_auth(key),
            None => request,
        };
        let response = request.send().await.expect("the app answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        let url = format!("{}/v2{path}", self.app.address);
        self.send(reqwest::Client::new().get(url)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        let url = format!("{}/v2{path}", self.app.address);
        self.send(reqwest::Client::new().post(url).json(&body))
            .await
    }
}

async fn trigger(api: &Json<'_>, body: Value) -> Answer {
    api.post("/verifications/sms", body).await
}

fn sms_to(phone: &str) -> Value {
    json!({"phone_number": phone, "verify_profile_id": "default"})
}

#[tokio::test]
async fn triggering_an_sms_texts_a_code_and_answers_a_pending_verification() {
    let app = api_app(&[]).await;
    let api = Json::new(&app);
    let answer = trigger(&api, sms_to(PHONE_E164)).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let data = &answer.body["data"];
    assert_eq!(data["record_type"], "verification");
    assert_eq!(data["type"], "sms");
    assert_eq!(data["phone_number"], PHONE_E164);
    assert_eq!(data["verify_profile_id"], "default");
    assert_eq!(data["status"], "pending");
    assert_eq!(data["timeout_secs"], 600);
    assert_eq!(data["custom_code"], Value::Null);
    for stamp in ["created_at", "updated_at"] {
        let text = data[stamp].as_str().expect("a timestamp");
        assert!(
            text.len() >= 20 && text.ends_with('Z') && text.contains('T'),
            "{text}"
        );
    }
    let id = data["id"].as_str().expect("an id");
    let retrieved = api.get(&format!("/verifications/{id}")).await;
    assert_eq!(retrieved.status, StatusCode::OK);
    assert_eq!(retrieved.body["data"]["id"], id);
    assert_eq!(app.sent_messages().await.len(), 1);
    assert!(
        app.last_text()
            .await
            .starts_with("Your verification code is ")
    );
}

#[tokio::test]
async fn a_code_is_accepted_once_and_a_wrong_one_rejected_with_a_200() {
    let app = api_app(&[]).await;
    let api = Json::new(&app);
    let id = trigger(&api, sms_to(PHONE_E164)).await.body["data"]["id"].clone();
    let id = id.as_str().expect("an id");
    let code = app.last_code().await;
    let verify = format!("/verifications/{id}/actions/verify");
    let wrong = api.post(&verify, json!({"code": "000000x"})).await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert_eq!(
        wrong.body["data"],
        json!({"phone_number": PHONE_E164, "response_code": "rejected"})
    );
    let right = api.post(&verify, json!({"code": code})).await;
    assert_eq!(right.body["data"]["response_code"], "accepted");
    let status = api.get(&format!("/verifications/{id}")).await;
    assert_eq!(status.body["data"]["status"], "accepted");
    let again = api.post(&verify, json!({"code": code})).await;
    assert_eq!(
        again.body["data"]["response_code"], "rejected",
        "single use"
    );
}

#[tokio::test]
async fn five_wrong_codes_make_a_verification_invalid_and_expiry_makes_it_expired() {
    let app = api_app(&[]).await;
    let api = Json::new(&app);
    let id = trigger(&api, sms_to(PHONE_E164)).await.body["data"]["id"].clone();
    let id = id.as_str().expect("an id");
    let code = app.last_code().await;
    let verify = format!("/verifications/{id}/actions/verify");
    let wrong = if code == "111111" { "222222" } else { "111111" };
    for _ in 0..5 {
        let answer = api.post(&verify, json!({"code": wrong})).await;
        assert_eq!(answer.body["data"]["response_code"], "rejected");
    }
    assert_eq!(
        api.post(&verify, json!({"code": code})).await.body["data"]["response_code"],
        "rejected"
    );
    assert_eq!(
        api.get(&format!("/verifications/{id}")).await.body["data"]["status"],
        "invalid"
    );

    let other = "+12015550199";
    let id = trigger(&api, sms_to(other)).await.body["data"]["id"].clone();
    let id = id.as_str().expect("an id");
    let code = app.last_code().await;
    app.clock.advance(Duration::from_secs(600));
    assert_eq!(
        api.get(&format!("/verifications/{id}")).await.body["data"]["status"],
        "expired"
    );
    let late = api
        .post(
            &format!("/verifications/{id}/actions/verify"),
            json!({"code": code}),
        )
        .await;
    assert_eq!(late.body["data"]["response_code"], "rejected");
}

#[tokio::test]
async fn a_custom_code_is_texted_and_checked_and_its_caller_may_settle_it() {
    let app = api_app(&[]).await;
    let api = Json::new(&app);
    let mut body = sms_to(PHONE_E164);
    body["custom_code"] = json!("424242");
    body["timeout_secs"] = json!(300);
    let created = trigger(&api, body).await;
    assert_eq!(created.body["data"]["timeout_secs"], 300);
    assert_eq!(
        created.body["data"]["custom_code"],
        Value::Null,
        "never given back"
    );
    assert_eq!(code_in(&app.last_text().await), "424242");
    let id = created.body["data"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let verify = format!("/verifications/{id}/actions/verify");
    let answer = api.post(&verify, json!({"code": "424242"})).await;
    assert_eq!(answer.body["data"]["response_code"], "accepted");

    let mut body = sms_to("+12015550199");
    body["custom_code"] = json!("135790");
    let id = trigger(&api, body).await.body["data"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let settled = api
        .post(
            &format!("/verifications/{id}/actions/verify"),
            json!({"status": "rejected"}),
        )
        .await;
    assert_eq!(settled.body["data"]["response_code"], "rejected");
    assert_eq!(
        api.get(&format!("/verifications/{id}")).await.body["data"]["status"],
        "invalid"
    );

    let ours = trigger(&api, sms_to("+12015550188")).await.body["data"]["id"].clone();
    let refused = api
        .post(
            &format!(
                "/verifications/{}/actions/verify",
                ours.as_str().expect("an id")
            ),
            json!({"status": "accepted"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error().1, "/status");
}

#[tokio::test]
async fn a_numbers_verifications_are_listed_newest_first_with_paging_and_checked_by_number() {
    let app = api_app(&[("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "0")]).await;
    let api = Json::new(&app);
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(trigger(&api, sms_to(PHONE_E164)).await.body["data"]["id"].clone());
        app.clock.advance(Duration::from_secs(1));
    }
    let code = app.last_code().await;
    for path in [
        "/verifications/by_phone_number/+12015550123",
        "/verifications/by_phone_number/%2B12015550123",
    ] {
        let listed = api.get(path).await;
        assert_eq!(listed.status, StatusCode::OK, "{path}: {:?}", listed.body);
        assert_eq!(listed.body["data"][0]["id"], ids[2]);
        assert_eq!(
            listed.body["meta"],
            json!({"page_number": 1, "page_size": 25, "total_pages": 1, "total_results": 3})
        );
    }
    let page = api
        .get("/verifications/by_phone_number/+12015550123?page%5Bnumber%5D=2&page%5Bsize%5D=2")
        .await;
    assert_eq!(page.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(page.body["data"][0]["id"], ids[0]);
    assert_eq!(page.body["meta"]["total_pages"], 2);
    let verify = "/verifications/by_phone_number/+12015550123/actions/verify";
    let answer = api
        .post(
            verify,
            json!({"code": code, "verify_profile_id": "default"}),
        )
        .await;
    assert_eq!(
        answer.body["data"]["response_code"], "accepted",
        "{:?}",
        answer.body
    );
    let status = api
        .get(&format!(
            "/verifications/{}",
            ids[2].as_str().unwrap_or_default()
        ))
        .await;
    assert_eq!(status.body["data"]["status"], "accepted");
    let nobody = api
        .post(
            "/verifications/by_phone_number/+12015550177/actions/verify",
            json!({"code": code, "verify_profile_id": "default"}),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_code_by_number_that_is_no_code_or_finds_nothing_to_check_changes_nothing() {
    let app = api_app(&[]).await;
    let api = Json::new(&app);
    let id = trigger(&api, sms_to(PHONE_E164)).await.body["data"]["id"].clone();
    let code = app.last_code().await;
    let verify = "/verifications/by_phone_number/+12015550123/actions/verify";
    let typed = |code: &str, profile: &str| json!({"code": code, "verify_profile_id": profile});
    let path = format!("/verifications/{}", id.as_str().unwrap_or_default());
    let before = api.get(&path).await.body["data"].clone();
    // Not a code at all: rejected, naming the number, and no try spent.
    let malformed = api.post(verify, typed("?!", "default")).await;
    assert_eq!(malformed.status, StatusCode::OK);
    assert_eq!(malformed.body["data"]["response_code"], "rejected");
    assert_eq!(malformed.body["data"]["phone_number"], PHONE_E164);
    // Under a profile the number has no verification of: not found.
    let elsewhere = api.post(verify, typed(&code, "another")).await;
    assert_eq!(
        elsewhere.status,
        StatusCode::NOT_FOUND,
        "{:?}",
        elsewhere.body
    );
    assert_eq!(api.get(&path).await.body["data"], before);
    // Used, then nothing can take a code: rejected, naming the number.
    let accepted = api.post(verify, typed(&code, "default")).await;
    assert_eq!(accepted.body["data"]["response_code"], "accepted");
    for again in [code.as_str(), "?!"] {
        let answer = api.post(verify, typed(again, "default")).await;
        assert_eq!(answer.status, StatusCode::OK, "{again}");
        assert_eq!(answer.body["data"]["response_code"], "rejected", "{again}");
        assert_eq!(answer.body["data"]["phone_number"], PHONE_E164, "{again}");
    }
}

#[tokio::test]
async fn profiles_are_listed_and_their_rules_apply() {
    let app = api_app(&[
        ("TWOFA_VERIFY_PROFILES__ACME__NAME", "Acme"),
        ("TWOFA_VERIFY_PROFILES__ACME__APP_NAME", "Acme"),
        ("TWOFA_VERIFY_PROFILES__ACME__CODE_LENGTH", "8"),
        ("TWOFA_VERIFY_PROFILES__ACME__TIMEOUT_SECS", "300"),
        (
            "TWOFA_VERIFY_PROFILES__ACME__WHITELISTED_DESTINATIONS",
            "US",
        ),
        (
            "TWOFA_VERIFY_PROFILES__GLOBEX__WHITELISTED_DESTINATIONS",
            "GB",
        ),
    ])
    .await;
    let api = Json::new(&app);
    let listed = api.get("/verify_profiles").await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["meta"]["total_results"], 2);
    let acme = api.get("/verify_profiles/acme").await;
    let data = &acme.body["data"];
    assert_eq!(data["record_type"], "verification_profile");
    assert_eq!(data["name"], "Acme");
    assert_eq!(data["sms"]["code_length"], 8);
    assert_eq!(data["sms"]["default_verification_timeout_secs"], 300);
    assert_eq!(data["sms"]["whitelisted_destinations"], json!(["US"]));
    let past_the_end = api.get("/verify_profiles?page%5Bnumber%5D=3").await;
    assert_eq!(past_the_end.body["data"], json!([]));
    assert_eq!(
        api.get("/verify_profiles/default").await.status,
        StatusCode::NOT_FOUND
    );

    let created = trigger(
        &api,
        json!({"phone_number": PHONE_E164, "verify_profile_id": "acme"}),
    )
    .await;
    assert_eq!(created.body["data"]["timeout_secs"], 300);
    let text = app.last_text().await;
    assert!(
        text.starts_with("Your Acme verification code is "),
        "{text}"
    );
    assert_eq!(code_in(&text).len(), 8);
    let refused = trigger(
        &api,
        json!({"phone_number": PHONE_E164, "verify_profile_id": "globex"}),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error(), ("10002".into(), "/phone_number".into()));
    let unknown = trigger(
        &api,
        json!({"phone_number": PHONE_E164, "verify_profile_id": "nobody"}),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.error(),
        ("10005".into(), "/verify_profile_id".into())
    );
}

#[tokio::test]
async fn a_profiles_language_picks_the_sms_language_whatever_the_caller_speaks() {
    let app = api_app(&[("TWOFA_VERIFY_PROFILES__ACME__LANGUAGE", "es-MX")]).await;
    let api = Json::new(&app);
    let acme = api.get("/verify_profiles/acme").await;
    assert_eq!(acme.body["data"]["language"], "es");
    trigger(
        &api,
        json!({"phone_number": PHONE_E164, "verify_profile_id": "acme"}),
    )
    .await;
    let text = app.last_text().await;
    assert!(text.starts_with("Tu código es "), "{text}");
    // Without a language, a profile texts in the app's default.
    let app = api_app(&[("TWOFA_I18N__DEFAULT_LANGUAGE", "fr")]).await;
    trigger(&Json::new(&app), sms_to(PHONE_E164)).await;
    let text = app.last_text().await;
    assert!(text.starts_with("Votre code"), "{text}");
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_401_and_without_keys_the_api_is_404() {
    let app = api_app(&[]).await;
    for key in [None, Some("not-the-key-at-all-0000"), Some("")] {
        let api = Json::with_key(&app, key);
        let answer = trigger(&api, sms_to(PHONE_E164)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{key:?}");
        assert_eq!(answer.error().0, "10009");
        assert_eq!(
            api.get("/verify_profiles").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert!(app.sent_messages().await.is_empty());
    let off = spawn_app_with(&[]).await;
    let answer = Json::new(&off).get("/verify_profiles").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.error().0, "10005");
}

#[tokio::test]
async fn a_second_trigger_inside_the_cooldown_is_429_with_retry_after() {
    let app = api_app(&[("TWOFA_LIMITS__SENDS_PER_API_KEY_PER_HOUR", "2")]).await;
    let api = Json::new(&app);
    assert_eq!(
        trigger(&api, sms_to(PHONE_E164)).await.status,
        StatusCode::OK
    );
    let again = trigger(&api, sms_to(PHONE_E164)).await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(again.error().0, "10011");
    assert_eq!(again.headers["retry-after"], "30");
    assert!(
        again.headers.get("x-should-retry").is_none(),
        "30 s is worth waiting for"
    );
    assert_eq!(
        trigger(&api, sms_to("+12015550199")).await.status,
        StatusCode::OK
    );
    let key_spent = trigger(&api, sms_to("+12015550188")).await;
    assert_eq!(
        key_spent.status,
        StatusCode::TOO_MANY_REQUESTS,
        "two an hour per key"
    );
    assert_eq!(
        key_spent.headers["x-should-retry"], "false",
        "30 minutes is not"
    );
    assert_eq!(app.sent_messages().await.len(), 2);
}

#[tokio::test]
async fn bad_fields_get_422_with_a_pointer_and_nothing_is_sent() {
    let app = api_app(&[]).await;
    let api = Json::new(&app);
    let cases = [
        (
            json!({"verify_profile_id": "default"}),
            "10004",
            "/phone_number",
        ),
        (
            json!({"phone_number": PHONE_E164}),
            "10004",
            "/verify_profile_id",
        ),
        (sms_to("2015550123"), "10016", "/phone_number"),
        (sms_to("+1 201 555 0123"), "10016", "/phone_number"),
        (sms_to("+15551234567"), "10002", "/phone_number"),
        (sms_to("+19005550123"), "10002", "/phone_number"),
        (sms_to("+447400123456"), "10002", "/phone_number"),
        (
            json!({"phone_number": 12015550123u64, "verify_profile_id": "default"}),
            "10016",
            "/phone_number",
        ),
        (
            json!({"phone_number": PHONE_E164, "verify_profile_id": "default", "custom_code": "12ab"}),
            "10015",
            "/custom_code",
        ),
        (
            json!({"phone_number": PHONE_E164, "verify_profile_id": "default", "timeout_secs": 5}),
            "10015",
            "/timeout_secs",
        ),
        (
            json!({"phone_number": PHONE_E164, "verify_profile_id": "default", "timeout_secs": 86400}),
            "10015",
            "/timeout_secs",
        ),
        (
            json!({"phone_number": ["x"], "verify_profile_id": "default"}),
            "10015",
            "/phone_number",
        ),
    ];
    for (body, code, pointer) in cases {
        let answer = trigger(&api, body.clone()).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            answer.error(),
            (code.to_owned(), pointer.to_owned()),
            "{body}"
        );
    }
    let not_json = reqwest::Client::new()
        .post(format!("{}/v2/verifications/sms", app.address))
        .bearer_auth(KEY)
        .body("phone_number=+12015550123")
        .send()
        .await
        .expect("answers");
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    assert!(app.sent_messages().await.is_empty());
    let unknown = api.get("/verifications/not-an-id").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.error().0, "10005");
}

#[tokio::test]
async fn a_body_over_16_kib_is_413_in_telnyxs_error_shape_and_nothing_is_sent() {
    let app = api_app(&[]).await;
    let api = Json::new(&app);
    let padded = json!({
        "phone_number": PHONE_E164,
        "verify_profile_id": "default",
        "padding": "x".repeat(17 * 1024),
    });
    let answer = trigger(&api, padded).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{:?}",
        answer.body
    );
    assert!(
        answer.headers[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .starts_with("application/json"),
        "{:?}",
        answer.headers
    );
    assert!(
        answer.body["errors"][0]["title"].is_string(),
        "{:?}",
        answer.body
    );
    assert!(app.sent_messages().await.is_empty());
}

#[tokio::test]
async fn under_v2_an_unknown_path_is_a_json_404_and_a_wrong_method_a_json_405() {
    let app = api_app(&[]).await;
    let api = Json::new(&app);
    for path in [
        "",
        "/",
        "/nothing-here",
        "/verifications",
        "/verifications/x/y/z",
    ] {
        let answer = api.get(path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "/v2{path}");
        assert_eq!(answer.error().0, "10005", "/v2{path}: {:?}", answer.body);
    }
    for path in [
        "/verifications/sms",
        "/verifications/some-id/actions/verify",
    ] {
        let answer = api.get(path).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "/v2{path}");
        assert!(
            answer.body["errors"][0]["title"].is_string(),
            "/v2{path}: {:?}",
            answer.body
        );
    }
    let answer = api.post("/verify_profiles", json!({})).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        answer.body["errors"][0]["title"].is_string(),
        "{:?}",
        answer.body
    );
}

#[tokio::test]
async fn a_telnyx_that_refuses_is_502_and_says_not_to_retry() {
    let telnyx = wiremock::MockServer::start().await;
    telnyx_answers(
        &telnyx,
        ResponseTemplate::new(401).set_body_json(telnyx_error("10009", "Authentication failed")),
    )
    .await;
    let app = spawn_app_against(telnyx, &[("TWOFA_API__KEYS", KEY)]).await;
    let answer = trigger(&Json::new(&app), sms_to(PHONE_E164)).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
    assert_eq!(answer.headers["x-should-retry"], "false");
}

#[tokio::test]
async fn past_capacity_a_trigger_is_503() {
    let app = api_app(&[("TWOFA_LIMITS__MAX_PENDING", "1")]).await;
    let api = Json::new(&app);
    assert_eq!(
        trigger(&api, sms_to(PHONE_E164)).await.status,
        StatusCode::OK
    );
    let answer = trigger(&api, sms_to("+12015550199")).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.sent_messages().await.len(), 1);
}

#[tokio::test]
async fn the_pages_and_the_api_share_the_rules_but_not_their_verifications() {
    let mut app = api_app(&[]).await;
    app.browser.request_code(crate::helpers::PHONE).await;
    // The number's cooldown holds whichever face asks.
    let answer = trigger(&Json::new(&app), sms_to(PHONE_E164)).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    let listed = Json::new(&app)
        .get("/verifications/by_phone_number/+12015550123")
        .await;
    assert_eq!(
        listed.body["data"],
        json!([]),
        "a page's verification is not the API's"
    );
}

#[tokio::test]
async fn the_openapi_document_is_served_without_a_key() {
    let app = api_app(&[]).await;
    let answer = Json::with_key(&app, None).get("/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(answer.body["openapi"], "3.1.0");
    assert!(answer.body["paths"]["/v2/verifications/sms"]["post"].is_object());
}

#[tokio::test]
async fn when_telnyx_may_have_taken_the_sms_the_verification_stands() {
    let telnyx = wiremock::MockServer::start().await;
    telnyx_answers(
        &telnyx,
        ResponseTemplate::new(500).set_body_json(telnyx_error("10007", "Unexpected error")),
    )
    .await;
    let app = spawn_app_against(telnyx, &[("TWOFA_API__KEYS", KEY)]).await;
    let api = Json::new(&app);
    let answer = trigger(&api, sms_to(PHONE_E164)).await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "a code may arrive: it works if it does"
    );
    let id = answer.body["data"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let code = app.last_code().await;
    let verify = api
        .post(
            &format!("/verifications/{id}/actions/verify"),
            json!({"code": code}),
        )
        .await;
    assert_eq!(verify.body["data"]["response_code"], "accepted");
}
