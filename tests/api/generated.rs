//! Generated input: whatever a client sends to the POST routes, the
//! sign-in link or UserInfo gets a 4xx (a page for the pages, JSON for the
//! JSON endpoints) or a real answer, never a 5xx or a panic.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use tower::ServiceExt;

use crate::helpers::{cookie_of, settings_env};

const REDIRECT: &str = "https://app.example.com/callback";
const API_KEY: &str = "generated-api-key-0123456789";

/// One app for all cases (console provider: nothing leaves the machine),
/// driven in-process, plus a session cookie and its token for half the cases.
struct Target {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    cookie: String,
    csrf: String,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let (router, cookie, csrf) = runtime.block_on(async {
            let key = format!(
                "{}/tests/fixtures/oidc-test-key.pem",
                env!("CARGO_MANIFEST_DIR")
            );
            let env = settings_env(&[&[
                ("TWOFA_SERVER__PUBLIC_URL", "https://verify.example.com"),
                ("TWOFA_OIDC__SIGNING_KEY_FILE", &key),
                ("TWOFA_OIDC__CLIENTS__WEB__SECRET", "web-secret-0123456789"),
                ("TWOFA_OIDC__CLIENTS__WEB__REDIRECT_URIS", REDIRECT),
                ("TWOFA_OIDC__CLIENTS__SPA__REDIRECT_URIS", REDIRECT),
                ("TWOFA_SMS__PROVIDER", "console"),
                ("TWOFA_API__KEYS", API_KEY),
                ("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "0"),
                ("TWOFA_LIMITS__SENDS_PER_PHONE_PER_HOUR", "1000000"),
                ("TWOFA_LIMITS__SENDS_PER_IP_PER_HOUR", "1000000"),
            ]]);
            let settings =
                telnyx_2fa::settings::Settings::load(telnyx_2fa::settings::ConfigFile::None, &env)
                    .expect("valid");
            let app = telnyx_2fa::startup::Application::build(settings)
                .await
                .expect("starts");
            let router = app.router();
            let home = router
                .clone()
                .oneshot(Request::get("/").body(Body::empty()).expect("request"))
                .await;
            let home = home.expect("infallible");
            let cookie = cookie_of(home.headers()).expect("a cookie");
            let body = axum::body::to_bytes(home.into_body(), usize::MAX)
                .await
                .expect("body");
            let html = String::from_utf8_lossy(&body);
            let csrf = html
                .split("name=\"csrf\" value=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("a token");
            (router, cookie, csrf.to_owned())
        });
        Target {
            runtime,
            router,
            cookie,
            csrf,
        }
    })
}

fn send(
    path: &str,
    content_type: Option<&str>,
    with_session: bool,
    body: Vec<u8>,
) -> (StatusCode, String) {
    let mut request = Request::post(path);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    answer(request, with_session, body)
}

/// The status, content type and `Location` of the app's answer.
fn answer(
    request: axum::http::request::Builder,
    with_session: bool,
    body: Vec<u8>,
) -> (StatusCode, String) {
    let (status, content_type, _) = answer_with_location(request, with_session, body);
    (status, content_type)
}

fn answer_with_location(
    mut request: axum::http::request::Builder,
    with_session: bool,
    body: Vec<u8>,
) -> (StatusCode, String, String) {
    let target = target();
    if with_session {
        request = request.header("cookie", &target.cookie);
    }
    let request = request.body(Body::from(body)).expect("a request");
    let response = target
        .runtime
        .block_on(target.router.clone().oneshot(request))
        .expect("infallible");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    (
        response.status(),
        header("content-type"),
        header("location"),
    )
}

fn path() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "/request",
        "/verify",
        "/resend",
        "/sign-in/cancel",
        "/token",
    ])
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        Just("application/x-www-form-urlencoded".to_owned()),
        Just("application/x-www-form-urlencoded; charset=utf-8".to_owned()),
        Just("multipart/form-data; boundary=x".to_owned()),
        Just("application/json".to_owned()),
        "[ -~]{0,40}",
    ])
}

/// Form-ish bodies: fields the app knows, duplicated, missing, huge, or
/// broken percent-encoding and raw bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let field = prop_oneof![
        Just("phone".to_owned()),
        Just("token".to_owned()),
        Just("csrf".to_owned()),
        Just("grant_type".to_owned()),
        Just("code".to_owned()),
        Just("redirect_uri".to_owned()),
        Just("code_verifier".to_owned()),
        Just("client_id".to_owned()),
        Just("client_secret".to_owned()),
        "[a-z%_]{0,8}",
    ];
    let value = prop_oneof![
        "[0-9 ()+.-]{0,20}",
        "\\PC{0,30}",
        "%[0-9A-Fa-f]{0,2}",
        Just("+1 201 555 0123".to_owned()),
        Just("authorization_code".to_owned()),
        Just("web".to_owned()),
        Just("spa".to_owned()),
        Just("https%3A%2F%2Fapp.example.com%2Fcallback".to_owned()),
        Just("1".repeat(20_000)),
    ];
    let form = prop::collection::vec((field, value), 0..6).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes()
    });
    prop_oneof![form, prop::collection::vec(any::<u8>(), 0..600)]
}

/// `text` as it can stand in a URI's query: bytes outside the characters
/// a URI allows there are percent-encoded; `%` is left alone, so broken
/// escapes reach the app as a client could send them.
fn uri_safe(text: &str) -> String {
    text.bytes()
        .map(|b| {
            let allowed = b.is_ascii_alphanumeric() || b"-._~%+=/:?,;@!$'()*".contains(&b);
            if allowed {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn no_post_body_gets_a_server_error_or_a_bare_answer(
        path in path(),
        content_type in content_type(),
        with_session in any::<bool>(),
        with_token in any::<bool>(),
        body in body(),
    ) {
        // Half the cases carry the real token, so the fields behind the CSRF
        // check are reached too.
        let body = if with_token {
            [format!("csrf={}&", target().csrf).into_bytes(), body].concat()
        } else {
            body
        };
        let (status, content_type) = send(path, content_type.as_deref(), with_session, body);
        prop_assert!(!status.is_server_error(), "{status}");
        if !status.is_success() && !status.is_redirection() {
            prop_assert!(status.is_client_error(), "{status}");
            let expected = if path == "/token" { "application/json" } else { "text/html" };
            prop_assert!(content_type.starts_with(expected), "{status} came as {content_type:?}");
        }
    }

    #[test]
    fn no_sign_in_link_gets_a_server_error_or_a_redirect_elsewhere(
        pairs in prop::collection::vec((
            prop::sample::select(vec![
                "response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
                "code_challenge", "code_challenge_method", "login_hint", "prompt", "ui_locales", "x",
            ]),
            prop_oneof![
                Just("code".to_owned()), Just("web".to_owned()), Just("spa".to_owned()),
                Just(REDIRECT.to_owned()), Just("openid phone".to_owned()), Just("S256".to_owned()),
                Just("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned()),
                "\\PC{0,40}", "%[0-9A-Fa-f]{0,2}",
            ],
        ), 0..9),
        with_session in any::<bool>(),
    ) {
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", uri_safe(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::get(format!("/authorize?{query}"));
        let (status, content_type, location) = answer_with_location(request, with_session, Vec::new());
        prop_assert!(!status.is_server_error(), "{status}");
        if status.is_redirection() {
            prop_assert!(
                location == "/sign-in" || location.starts_with(REDIRECT),
                "sent to {location:?}"
            );
        } else {
            prop_assert!(status.is_client_error(), "{status}");
            prop_assert!(content_type.starts_with("text/html"), "{content_type:?}");
        }
    }

    #[test]
    fn no_accept_language_or_language_switch_gets_a_server_error_or_a_redirect_elsewhere(
        accept in prop_oneof![
            "\\PC{0,120}",
            "([a-zA-Z*]{1,8}(-[a-zA-Z0-9]{1,8})?(;q=(0|1|0\\.[0-9]{1,3}|NaN|nan|inf|-1|1e400))?, ?){0,12}",
        ],
        tag in prop_oneof![Just("es".to_owned()), Just("pt-BR".to_owned()), "\\PC{0,12}"],
        back in prop_oneof![Just("/verify".to_owned()), "\\PC{0,40}"],
        with_session in any::<bool>(),
    ) {
        let mut request = Request::get(format!("/language/{}?back={}", uri_safe(&tag), uri_safe(&back)));
        let mut page = Request::get("/");
        if let Ok(value) = axum::http::HeaderValue::from_str(&accept) {
            request = request.header("accept-language", value.clone());
            page = page.header("accept-language", value);
        }
        let (status, content_type) = answer(page, with_session, Vec::new());
        prop_assert_eq!(status, StatusCode::OK);
        prop_assert!(content_type.starts_with("text/html"), "{content_type:?}");
        let (status, content_type, location) = answer_with_location(request, with_session, Vec::new());
        prop_assert!(!status.is_server_error(), "{status}");
        if status.is_redirection() {
            prop_assert!(["/", "/sign-in", "/verify", "/verified"].contains(&location.as_str()), "sent to {location:?}");
        } else {
            prop_assert!(status.is_client_error(), "{status}");
            prop_assert!(content_type.starts_with("text/html"), "{content_type:?}");
        }
    }

    #[test]
    fn no_authorization_header_gets_userinfo_to_fail_badly(header in "\\PC{0,80}") {
        let mut request = Request::get("/userinfo");
        if let Ok(value) = axum::http::HeaderValue::from_str(&header) {
            request = request.header("authorization", value);
        }
        let (status, content_type) = answer(request, false, Vec::new());
        prop_assert_eq!(status, StatusCode::UNAUTHORIZED);
        prop_assert!(content_type.starts_with("application/json"), "{content_type:?}");
    }
}

/// JSON-ish bodies for the Verify API: the fields it reads, with values of
/// every JSON type, or raw bytes.
fn api_body() -> impl Strategy<Value = Vec<u8>> {
    let value = prop_oneof![
        Just(serde_json::json!("+12015550123")),
        Just(serde_json::json!("default")),
        Just(serde_json::json!(null)),
        Just(serde_json::json!(123456)),
        Just(serde_json::json!(-1)),
        Just(serde_json::json!(1e300)),
        Just(serde_json::json!([1, 2])),
        Just(serde_json::json!({"a": 1})),
        "\\PC{0,20}".prop_map(serde_json::Value::from),
        "[0-9]{0,12}".prop_map(serde_json::Value::from),
    ];
    let field = prop::sample::select(vec![
        "phone_number",
        "verify_profile_id",
        "custom_code",
        "timeout_secs",
        "code",
        "status",
        "x",
    ]);
    let object = prop::collection::vec((field, value), 0..6).prop_map(|pairs| {
        let map: serde_json::Map<String, serde_json::Value> =
            pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        serde_json::to_vec(&map).unwrap_or_default()
    });
    prop_oneof![object, prop::collection::vec(any::<u8>(), 0..200)]
}

fn api_path() -> impl Strategy<Value = String> {
    let id = prop_oneof![
        Just("AAAAAAAAAAAAAAAAAAAAAA".to_owned()),
        Just("%2B12015550123".to_owned()),
        Just("+12015550123".to_owned()),
        "[a-zA-Z0-9%+._-]{0,30}",
    ];
    (prop::sample::select(vec![0usize, 1, 2, 3, 4, 5, 6]), id).prop_map(|(route, id)| match route {
        0 => "/v2/verifications/sms".to_owned(),
        1 => format!("/v2/verifications/{id}"),
        2 => format!("/v2/verifications/by_phone_number/{id}"),
        3 => format!("/v2/verifications/{id}/actions/verify"),
        4 => format!("/v2/verifications/by_phone_number/{id}/actions/verify"),
        5 => format!("/v2/verify_profiles?page%5Bnumber%5D={id}"),
        _ => format!("/v2/verify_profiles/{id}"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn nothing_sent_to_the_verify_api_gets_a_server_error_or_a_non_json_answer(
        path in api_path(),
        post in any::<bool>(),
        with_key in any::<bool>(),
        body in api_body(),
    ) {
        let mut request = if post { Request::post(&path) } else { Request::get(&path) };
        request = request.header("content-type", "application/json");
        if with_key {
            request = request.header("authorization", format!("Bearer {API_KEY}"));
        }
        let (status, content_type) = answer(request, false, body);
        prop_assert!(!status.is_server_error(), "{status} for {path}");
        prop_assert!(content_type.starts_with("application/json"), "{status} came as {content_type:?}");
    }
}
