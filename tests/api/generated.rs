//! Generated input: whatever a client sends to the POST routes gets a 4xx
//! page (or a real answer), never a 5xx or a panic.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use tower::ServiceExt;

use crate::helpers::{cookie_of, settings_env};

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
            let env = settings_env(&[&[
                ("TWOFA_SMS__PROVIDER", "console"),
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
    let target = target();
    let mut request = Request::post(path);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    if with_session {
        request = request.header("cookie", &target.cookie);
    }
    let request = request.body(Body::from(body)).expect("a request");
    let response = target
        .runtime
        .block_on(target.router.clone().oneshot(request))
        .expect("infallible");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (response.status(), content_type)
}

fn path() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["/request", "/verify", "/resend"])
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
        "[a-z%]{0,8}",
    ];
    let value = prop_oneof![
        "[0-9 ()+.-]{0,20}",
        "\\PC{0,30}",
        "%[0-9A-Fa-f]{0,2}",
        Just("+1 201 555 0123".to_owned()),
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
        if !status.is_success() {
            prop_assert!(status.is_client_error(), "{status}");
            prop_assert!(content_type.starts_with("text/html"), "{status} came as {content_type:?}");
        }
    }
}
