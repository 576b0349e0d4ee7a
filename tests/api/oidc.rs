//! The app as an OpenID Connect provider, driven by a real relying party
//! (the `openidconnect` crate, configured with only the issuer URL, client
//! id and secret, and redirect URI) and a browser going through the pages.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AsyncHttpClient, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpClientError, HttpRequest, HttpResponse,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use reqwest::StatusCode;

use crate::helpers::{OWN_ADDRESS, PHONE, PHONE_E164, TestApp, spawn_app_with, wrong_code};

const WEB_SECRET: &str = "webapp-secret-0123456789abcdef";
const WEB_CALLBACK: &str = "https://app.example.com/callback";
pub const SPA_CALLBACK: &str = "http://127.0.0.1:9/spa/callback";

/// openidconnect's HTTP over this project's reqwest, never following redirects.
struct Rp(reqwest::Client);

impl<'c> AsyncHttpClient<'c> for Rp {
    type Error = HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(Box::new)?;
            let response = self.0.execute(request).await.map_err(Box::new)?;
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await.map_err(Box::new)?.to_vec();
            builder.body(body).map_err(HttpClientError::Http)
        })
    }
}

fn rp() -> Rp {
    Rp(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client"))
}

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

fn key_file() -> String {
    format!(
        "{}/tests/fixtures/oidc-test-key.pem",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The app with two clients: a website with a secret, and a single-page
/// app without one (public).
async fn provider_with(extra: &[(&str, &str)]) -> TestApp {
    let key = key_file();
    let mut settings = vec![
        ("TWOFA_SERVER__PUBLIC_URL", OWN_ADDRESS),
        ("TWOFA_OIDC__SIGNING_KEY_FILE", key.as_str()),
        ("TWOFA_OIDC__CLIENTS__WEBAPP__NAME", "Example App"),
        ("TWOFA_OIDC__CLIENTS__WEBAPP__SECRET", WEB_SECRET),
        ("TWOFA_OIDC__CLIENTS__WEBAPP__REDIRECT_URIS", WEB_CALLBACK),
        ("TWOFA_OIDC__CLIENTS__SPA__NAME", "Single Page App"),
        ("TWOFA_OIDC__CLIENTS__SPA__REDIRECT_URIS", SPA_CALLBACK),
    ];
    settings.extend_from_slice(extra);
    spawn_app_with(&settings).await
}

async fn provider() -> TestApp {
    provider_with(&[]).await
}

/// A relying party configured the way its documentation says: issuer URL,
/// client id and secret, redirect URI.
async fn client(app: &TestApp, id: &str, secret: Option<&str>, redirect: &str) -> Client {
    let issuer = IssuerUrl::new(app.address.clone()).expect("an issuer URL");
    let metadata = CoreProviderMetadata::discover_async(issuer, &rp())
        .await
        .expect("discovery works");
    CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(id.to_owned()),
        secret.map(|s| ClientSecret::new(s.to_owned())),
    )
    .set_redirect_uri(RedirectUrl::new(redirect.to_owned()).expect("a URL"))
}

async fn website(app: &TestApp) -> Client {
    client(app, "webapp", Some(WEB_SECRET), WEB_CALLBACK).await
}

/// What the relying party keeps while the person is away.
struct Started {
    path: String,
    state: CsrfToken,
    nonce: Nonce,
    verifier: PkceCodeVerifier,
}

fn start(client: &Client, scopes: &[&str]) -> Started {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in scopes {
        request = request.add_scope(Scope::new((*scope).to_owned()));
    }
    let (url, state, nonce) = request.url();
    let path = format!("{}?{}", url.path(), url.query().unwrap_or_default());
    Started {
        path,
        state,
        nonce,
        verifier,
    }
}

/// Where a response sends the browser.
fn location(page: &crate::helpers::Page) -> String {
    page.header("location").to_owned()
}

/// The query of an address the app sent the browser to.
fn query(location: &str) -> HashMap<String, String> {
    let url = reqwest::Url::parse(location).expect("an absolute URL");
    url.query_pairs().into_owned().collect()
}

/// The browser follows the sign-in link, verifies its number on the pages,
/// and is sent back: the address it is sent back to.
async fn through_the_pages(app: &mut TestApp, path: &str) -> String {
    let page = app.browser.get(path).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    assert_eq!(location(page), "/sign-in");
    let page = app.browser.get("/sign-in").await;
    assert!(
        page.contains("wants to confirm your phone number"),
        "{}",
        page.html
    );
    app.browser.submit("/request", &[("phone", PHONE)]).await;
    let code = app.last_code().await;
    let page = app.browser.enter_code(&code).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    location(page)
}

#[tokio::test]
async fn a_standard_client_signs_a_person_in_with_a_verified_phone_number() {
    let mut app = provider().await;
    let client = website(&app).await;
    let started = start(&client, &["phone"]);
    let back = through_the_pages(&mut app, &started.path).await;
    assert!(back.starts_with(&format!("{WEB_CALLBACK}?")), "{back}");
    let answer = query(&back);
    assert_eq!(answer["state"], *started.state.secret());
    assert_eq!(answer["iss"], app.address);

    let tokens = client
        .exchange_code(AuthorizationCode::new(answer["code"].clone()))
        .expect("a token endpoint")
        .set_pkce_verifier(started.verifier)
        .request_async(&rp())
        .await
        .expect("the code is exchanged");
    let id_token = tokens.id_token().expect("an id_token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &started.nonce)
        .expect("signature, issuer, audience, expiry and nonce check out");
    assert_eq!(claims.phone_number().map(|p| p.as_str()), Some(PHONE_E164));
    assert_eq!(claims.phone_number_verified(), Some(true));
    let amr: Vec<String> = claims
        .auth_method_refs()
        .map(|refs| refs.iter().map(|r| r.as_str().to_owned()).collect())
        .unwrap_or_default();
    assert_eq!(amr, ["sms"]);
    assert!(claims.auth_time().is_some());
    let subject = claims.subject().as_str();
    assert!(
        !subject.contains("5550123"),
        "the sub is not the number: {subject}"
    );

    let info: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().to_owned(),
            Some(claims.subject().clone()),
        )
        .expect("a UserInfo endpoint")
        .request_async(&rp())
        .await
        .expect("UserInfo answers");
    assert_eq!(info.phone_number().map(|p| p.as_str()), Some(PHONE_E164));
    assert_eq!(info.phone_number_verified(), Some(true));
}

#[tokio::test]
async fn client_secret_post_and_a_public_client_with_pkce_sign_in_too() {
    let mut app = provider().await;
    let post = website(&app).await.set_auth_type(AuthType::RequestBody);
    let public = client(&app, "spa", None, SPA_CALLBACK).await;
    for client in [post, public] {
        let started = start(&client, &["phone"]);
        let back = through_the_pages(&mut app, &started.path).await;
        let tokens = client
            .exchange_code(AuthorizationCode::new(query(&back)["code"].clone()))
            .expect("a token endpoint")
            .set_pkce_verifier(started.verifier)
            .request_async(&rp())
            .await
            .expect("the code is exchanged");
        let claims = tokens
            .id_token()
            .expect("an id_token")
            .claims(&client.id_token_verifier(), &started.nonce)
            .expect("valid");
        assert_eq!(claims.phone_number_verified(), Some(true));
        app.clock.advance(Duration::from_secs(30));
    }
}

#[tokio::test]
async fn without_the_phone_scope_the_id_token_carries_no_number() {
    let mut app = provider().await;
    let client = website(&app).await;
    let started = start(&client, &[]);
    let back = through_the_pages(&mut app, &started.path).await;
    let tokens = client
        .exchange_code(AuthorizationCode::new(query(&back)["code"].clone()))
        .expect("a token endpoint")
        .set_pkce_verifier(started.verifier)
        .request_async(&rp())
        .await
        .expect("exchanged");
    let claims = tokens
        .id_token()
        .expect("an id_token")
        .claims(&client.id_token_verifier(), &started.nonce)
        .expect("valid");
    assert_eq!(claims.phone_number(), None);
}

/// Signs in once through `client` and returns the `sub`.
async fn subject_of(app: &mut TestApp, client: &Client, phone: &str) -> String {
    let started = start(client, &["phone"]);
    app.browser.get(&started.path).await;
    app.browser.get("/sign-in").await;
    app.browser.submit("/request", &[("phone", phone)]).await;
    let code = app.last_code().await;
    let back = location(app.browser.enter_code(&code).await);
    app.clock.advance(Duration::from_secs(30));
    let tokens = client
        .exchange_code(AuthorizationCode::new(query(&back)["code"].clone()))
        .expect("a token endpoint")
        .set_pkce_verifier(started.verifier)
        .request_async(&rp())
        .await
        .expect("exchanged");
    let claims = tokens
        .id_token()
        .expect("an id_token")
        .claims(&client.id_token_verifier(), &started.nonce)
        .expect("valid");
    claims.subject().as_str().to_owned()
}

#[tokio::test]
async fn the_subject_is_stable_per_number_and_client_and_differs_between_them() {
    let mut app = provider_with(&[("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "0")]).await;
    let web = website(&app).await;
    let spa = client(&app, "spa", None, SPA_CALLBACK).await;
    let first = subject_of(&mut app, &web, PHONE).await;
    assert_eq!(subject_of(&mut app, &web, PHONE).await, first);
    assert_ne!(subject_of(&mut app, &spa, PHONE).await, first);
    assert_ne!(subject_of(&mut app, &web, "+1 201 555 0199").await, first);
}

#[tokio::test]
async fn discovery_and_keys_say_what_clients_need() {
    let app = provider().await;
    let http = reqwest::Client::new();
    let configuration: serde_json::Value = http
        .get(format!("{}/.well-known/openid-configuration", app.address))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(configuration["issuer"], app.address);
    assert_eq!(
        configuration["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        configuration["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post", "none"])
    );
    let keys: serde_json::Value = http
        .get(configuration["jwks_uri"].as_str().expect("a jwks_uri"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    let key = &keys["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["use"], "sig");
    assert!(key["kid"].as_str().is_some_and(|kid| !kid.is_empty()));
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(
            key.get(private).is_none(),
            "{private} must not be published"
        );
    }
}

/// The authorization endpoint with `params` (each `name=value`, encoded).
fn authorize_path(params: &[(&str, &str)]) -> String {
    let query = serde_urlencoded::to_string(params).expect("encodable");
    format!("/authorize?{query}")
}

fn spa_request(challenge: Option<&str>) -> Vec<(&'static str, String)> {
    let mut params = vec![
        ("response_type", "code".to_owned()),
        ("client_id", "spa".to_owned()),
        ("redirect_uri", SPA_CALLBACK.to_owned()),
        ("scope", "openid phone".to_owned()),
        ("state", "state-123".to_owned()),
    ];
    if let Some(challenge) = challenge {
        params.push(("code_challenge", challenge.to_owned()));
        params.push(("code_challenge_method", "S256".to_owned()));
    }
    params
}

fn as_pairs<'a>(params: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    params.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[tokio::test]
async fn an_unknown_client_or_an_unregistered_redirect_uri_gets_a_page_and_never_a_redirect() {
    let mut app = provider().await;
    let good = spa_request(Some(CHALLENGE));
    let mut cases: Vec<Vec<(&'static str, String)>> = Vec::new();
    let mut unknown = good.clone();
    unknown[1].1 = "nobody".into();
    cases.push(unknown);
    for redirect in [
        "https://evil.example/callback",
        "http://127.0.0.1:9/spa/callback/",
        "http://127.0.0.1:9/spa/Callback",
        "http://127.0.0.1:9/spa/callback?next=/",
    ] {
        let mut bad = good.clone();
        bad[2].1 = redirect.into();
        cases.push(bad);
    }
    let mut missing = good.clone();
    missing.remove(2);
    cases.push(missing);
    let mut twice = good.clone();
    twice.push(("client_id", "spa".into()));
    cases.push(twice);
    for params in cases {
        let page = app.browser.get(&authorize_path(&as_pairs(&params))).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{params:?}");
        assert!(page.header("location").is_empty(), "{params:?}");
        assert!(page.contains("sign-in link"), "{}", page.html);
    }
}

#[tokio::test]
async fn other_bad_requests_go_back_to_the_client_with_an_error_and_the_state() {
    let mut app = provider().await;
    let good = spa_request(Some(CHALLENGE));
    let with = |name: &'static str, value: &str| {
        let mut params = good.clone();
        params.retain(|(n, _)| *n != name);
        params.push((name, value.to_owned()));
        params
    };
    let without = |name: &str| {
        let mut params = good.clone();
        params.retain(|(n, _)| *n != name);
        params
    };
    let cases = [
        (spa_request(None), "invalid_request"),
        (with("response_type", "token"), "unsupported_response_type"),
        (with("scope", "phone"), "invalid_scope"),
        (without("scope"), "invalid_scope"),
        (with("code_challenge_method", "plain"), "invalid_request"),
        (without("code_challenge_method"), "invalid_request"),
        (with("code_challenge", "short"), "invalid_request"),
        (with("prompt", "none"), "login_required"),
        (with("request", "eyJ"), "request_not_supported"),
        (with("nonce", &"n".repeat(600)), "invalid_request"),
    ];
    for (params, error) in cases {
        let page = app.browser.get(&authorize_path(&as_pairs(&params))).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{params:?}");
        let back = location(page);
        assert!(back.starts_with(SPA_CALLBACK), "{back}");
        let answer = query(&back);
        assert_eq!(answer["error"], error, "{params:?}");
        assert_eq!(answer["state"], "state-123");
        assert_eq!(answer["iss"], app.address);
    }
    assert!(app.sent_messages().await.is_empty());
}

#[tokio::test]
async fn cancelling_sends_the_person_back_with_access_denied() {
    let mut app = provider().await;
    for texted_first in [false, true] {
        app.browser
            .get(&authorize_path(&as_pairs(&spa_request(Some(CHALLENGE)))))
            .await;
        let page = app.browser.get("/sign-in").await;
        assert!(page.form_fields("/sign-in/cancel").is_some());
        if texted_first {
            let page = app.browser.submit("/request", &[("phone", PHONE)]).await;
            assert!(page.contains("Single Page App"), "branded: {}", page.html);
            assert!(
                page.contains("href=\"/sign-in\""),
                "a different number stays in the sign-in"
            );
        }
        let forged: &[(&str, &str)] = &[];
        let page = app.browser.post_form("/sign-in/cancel", forged).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "the pages' CSRF check holds"
        );
        app.browser.get("/sign-in").await;
        let page = app.browser.submit("/sign-in/cancel", &[]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        let answer = query(&location(page));
        assert_eq!(answer["error"], "access_denied");
        assert_eq!(answer["state"], "state-123");
        // The sign-in is over: /sign-in leads to the standalone flow.
        let page = app.browser.get("/sign-in").await;
        assert_eq!(location(page), "/");
    }
}

#[tokio::test]
async fn the_sign_in_pages_fill_in_the_login_hint_and_the_home_page_drops_the_sign_in() {
    let mut app = provider().await;
    let mut params = spa_request(Some(CHALLENGE));
    params.push(("login_hint", "+1 201 555 0123".into()));
    app.browser.get(&authorize_path(&as_pairs(&params))).await;
    let page = app.browser.get("/sign-in").await;
    let fields = page.form_fields("/request").expect("the phone form");
    assert!(
        fields.contains(&("phone".into(), "+1 201 555 0123".into())),
        "{fields:?}"
    );
    assert!(page.contains("<strong>Single Page App</strong> wants to confirm your phone number"));
    // Browsers hold the redirect after a form to the page's form-action.
    let policy = page.header("content-security-policy");
    assert!(
        policy.contains("form-action 'self' http://127.0.0.1:9;"),
        "{policy}"
    );
    let page = app.browser.get("/").await;
    assert!(!page.contains("wants to confirm"), "the standalone flow");
    let policy = page.header("content-security-policy");
    assert!(policy.contains("form-action 'self';"), "{policy}");
    let page = app.browser.submit("/request", &[("phone", PHONE)]).await;
    assert!(!page.contains("wants to confirm"));
    let code = app.last_code().await;
    let page = app.browser.enter_code(&code).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "verified here, not sent anywhere"
    );
}

/// A code the website got, its PKCE verifier, and the website's client.
async fn code_for_website(app: &mut TestApp) -> (Client, String, PkceCodeVerifier) {
    let client = website(app).await;
    let started = start(&client, &["phone"]);
    let back = through_the_pages(app, &started.path).await;
    (client, query(&back)["code"].clone(), started.verifier)
}

async fn exchange(
    client: &Client,
    code: &str,
    verifier: PkceCodeVerifier,
) -> Result<openidconnect::core::CoreTokenResponse, String> {
    client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .expect("a token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&rp())
        .await
        .map_err(|error| match error {
            openidconnect::RequestTokenError::ServerResponse(response) => {
                response.error().to_string()
            }
            other => format!("{other:?}"),
        })
}

fn same(verifier: &PkceCodeVerifier) -> PkceCodeVerifier {
    PkceCodeVerifier::new(verifier.secret().clone())
}

#[tokio::test]
async fn a_code_used_twice_is_refused_and_revokes_the_access_token_it_gave() {
    let mut app = provider().await;
    let (client, code, verifier) = code_for_website(&mut app).await;
    let tokens = exchange(&client, &code, same(&verifier))
        .await
        .expect("the first use works");
    let userinfo = format!("{}/userinfo", app.address);
    let token = tokens.access_token().secret().clone();
    let http = reqwest::Client::new();
    let answer = http
        .get(&userinfo)
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        exchange(&client, &code, verifier).await.err().as_deref(),
        Some("invalid_grant")
    );
    let answer = http
        .get(&userinfo)
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "revoked");
}

#[tokio::test]
async fn refused_token_requests_stay_below_the_operators_level_and_a_code_used_twice_is_a_warning()
{
    let mut app = provider().await;
    let (client, code, verifier) = code_for_website(&mut app).await;
    let http = reqwest::Client::new();
    for _ in 0..3 {
        let refused = http
            .post(format!("{}/token", app.address))
            .form(&[("grant_type", "authorization_code"), ("code", "nonsense")])
            .send()
            .await
            .expect("answers");
        assert!(refused.status().is_client_error());
    }
    exchange(&client, &code, same(&verifier))
        .await
        .expect("the first use works");
    let again = PkceCodeVerifier::new(verifier.secret().clone());
    assert!(exchange(&client, &code, verifier).await.is_err());
    // A third try revokes nothing more, and is a refusal like any other.
    assert!(exchange(&client, &code, again).await.is_err());

    let logs = crate::helpers::captured_logs();
    let loud: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("OIDC refused") && !l.contains("DEBUG"))
        .collect();
    assert!(loud.is_empty(), "{loud:#?}");
    assert!(
        logs.lines()
            .any(|l| l.contains(" WARN ") && l.contains("redeemed again")),
        "the reuse is warned of"
    );
}

#[tokio::test]
async fn a_wrong_code_verifier_is_invalid_grant_and_uses_the_code_up() {
    let mut app = provider().await;
    let (client, code, verifier) = code_for_website(&mut app).await;
    let wrong = PkceCodeVerifier::new("x".repeat(43));
    assert_eq!(
        exchange(&client, &code, wrong).await.err().as_deref(),
        Some("invalid_grant")
    );
    assert_eq!(
        exchange(&client, &code, verifier).await.err().as_deref(),
        Some("invalid_grant")
    );
}

#[tokio::test]
async fn a_code_is_refused_after_sixty_seconds() {
    let mut app = provider().await;
    let (client, code, verifier) = code_for_website(&mut app).await;
    app.clock.advance(Duration::from_secs(60));
    assert_eq!(
        exchange(&client, &code, verifier).await.err().as_deref(),
        Some("invalid_grant")
    );
}

#[tokio::test]
async fn a_wrong_secret_or_another_client_is_refused() {
    let mut app = provider().await;
    let (_, code, verifier) = code_for_website(&mut app).await;
    let wrong_secret = client(&app, "webapp", Some("not-the-secret-at-all"), WEB_CALLBACK).await;
    let refused = wrong_secret
        .exchange_code(AuthorizationCode::new(code.clone()))
        .expect("a token endpoint")
        .set_pkce_verifier(same(&verifier))
        .request_async(&rp())
        .await;
    match refused {
        Err(openidconnect::RequestTokenError::ServerResponse(response)) => {
            assert_eq!(response.error().to_string(), "invalid_client");
        }
        other => panic!("{other:?}"),
    }
    // By hand, to see the status and the challenge.
    let answer = reqwest::Client::new()
        .post(format!("{}/token", app.address))
        .basic_auth("webapp", Some("not-the-secret-at-all"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", WEB_CALLBACK),
            ("code_verifier", verifier.secret().as_str()),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert!(answer.headers().contains_key("www-authenticate"));
    assert_eq!(answer.headers()["cache-control"], "no-store");
    // A public client cannot redeem another client's code.
    let spa = client(&app, "spa", None, WEB_CALLBACK).await;
    let stolen = spa
        .exchange_code(AuthorizationCode::new(code))
        .expect("a token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&rp())
        .await;
    assert!(stolen.is_err());
}

#[tokio::test]
async fn a_token_request_over_16_kib_is_refused_with_an_rfc_6749_error() {
    let app = provider().await;
    let answer = reqwest::Client::new()
        .post(format!("{}/token", app.address))
        .basic_auth("webapp", Some(WEB_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &"c".repeat(17 * 1024)),
            ("redirect_uri", WEB_CALLBACK),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = answer.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_request", "{body}");
}

#[tokio::test]
async fn a_token_request_whose_body_comes_too_slowly_is_refused_with_an_rfc_6749_error() {
    use tokio::io::AsyncWriteExt;
    let app = provider_with(&[("TWOFA_SERVER__CLIENT_TIMEOUT_SECS", "1")]).await;
    let mut stream = crate::security::raw_connection(&app.address).await;
    let head = "POST /token HTTP/1.1\r\nHost: localhost\r\n\
                Content-Type: application/x-www-form-urlencoded\r\n\
                Content-Length: 100\r\nConnection: close\r\n\r\ngrant_type=";
    stream.write_all(head.as_bytes()).await.expect("write");
    let answer = crate::security::read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("\"invalid_request\""), "{answer}");
}

#[tokio::test]
async fn userinfo_answers_only_a_valid_access_token() {
    let mut app = provider().await;
    let (client, code, verifier) = code_for_website(&mut app).await;
    let tokens = exchange(&client, &code, verifier).await.expect("exchanged");
    let token = tokens.access_token().secret().clone();
    let userinfo = format!("{}/userinfo", app.address);
    let http = reqwest::Client::new();
    let answer = http.get(&userinfo).send().await.expect("answers");
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert!(
        answer.headers()["www-authenticate"]
            .to_str()
            .is_ok_and(|v| v.starts_with("Bearer"))
    );
    for bad in ["nonsense", "", "Basic abc"] {
        let answer = http
            .get(&userinfo)
            .header("authorization", format!("Bearer {bad}"))
            .send()
            .await
            .expect("answers");
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{bad:?}");
    }
    let answer = http
        .post(&userinfo)
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), StatusCode::OK, "POST works too");
    app.clock.advance(Duration::from_secs(300));
    let answer = http
        .get(&userinfo)
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "expired");
    assert!(
        answer.headers()["www-authenticate"]
            .to_str()
            .is_ok_and(|v| v.contains("invalid_token"))
    );
}

#[tokio::test]
async fn the_token_endpoint_refuses_malformed_requests_with_rfc_6749_errors() {
    let app = provider().await;
    let http = reqwest::Client::new();
    let token = format!("{}/token", app.address);
    let post = |body: &'static str| {
        http.post(&token)
            .basic_auth("webapp", Some(WEB_SECRET))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    for (body, error) in [
        (
            "grant_type=password&username=a&password=b",
            "unsupported_grant_type",
        ),
        ("code=abc&redirect_uri=x", "invalid_request"),
        (
            "grant_type=authorization_code&redirect_uri=x",
            "invalid_request",
        ),
        (
            "grant_type=authorization_code&code=abc&code=def&redirect_uri=x",
            "invalid_request",
        ),
        (
            "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback",
            "invalid_grant",
        ),
    ] {
        let answer = post(body).await.expect("answers");
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{body}");
        let json: serde_json::Value = answer.json().await.expect("JSON");
        assert_eq!(json["error"], error, "{body}");
    }
    let answer = http
        .post(&token)
        .json(&serde_json::json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(
        answer.status(),
        StatusCode::BAD_REQUEST,
        "JSON is not a form"
    );
}

#[tokio::test]
async fn without_registered_clients_the_provider_is_off() {
    let mut app = spawn_app_with(&[]).await;
    for path in [
        "/.well-known/openid-configuration",
        "/jwks.json",
        "/authorize",
        "/userinfo",
    ] {
        assert_eq!(
            app.browser.get(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_websites_ui_locales_choose_the_sign_in_language_over_the_browsers_until_the_person_picks()
 {
    let mut app = provider().await;
    app.browser
        .headers
        .push(("accept-language".into(), "en-US,en;q=0.9".into()));
    let mut params = spa_request(Some(CHALLENGE));
    params.push(("ui_locales", "it de-CH fr".into()));
    let page = app.browser.get(&authorize_path(&as_pairs(&params))).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = app.browser.get("/sign-in").await;
    assert!(
        page.contains(r#"<html lang="de" dir="ltr">"#),
        "{}",
        page.html
    );
    let page = app.browser.get("/language/pt-BR?back=/sign-in").await;
    assert_eq!(page.header("location"), "/sign-in");
    let page = app.browser.get("/sign-in").await;
    assert!(
        page.contains(r#"<html lang="pt-BR" dir="ltr">"#),
        "{}",
        page.html
    );
    // A link we cannot follow is answered in the language it asks for.
    let mut unknown = spa_request(Some(CHALLENGE));
    unknown[1].1 = "nobody".into();
    unknown.push(("ui_locales", "ar".into()));
    let page = app.browser.get(&authorize_path(&as_pairs(&unknown))).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains(r#"<html lang="ar" dir="rtl">"#),
        "{}",
        page.html
    );
    let discovery = reqwest::get(format!("{}/.well-known/openid-configuration", app.address))
        .await
        .expect("an answer")
        .json::<serde_json::Value>()
        .await
        .expect("JSON");
    assert_eq!(
        discovery["ui_locales_supported"],
        serde_json::json!(crate::helpers::languages_in_locales())
    );
}

#[tokio::test]
async fn a_page_made_outside_the_pages_layer_speaks_the_default_language() {
    let mut app = provider_with(&[("TWOFA_I18N__DEFAULT_LANGUAGE", "de")]).await;
    let page = app.browser.get("/token").await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        page.contains(r#"<html lang="de" dir="ltr">"#),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn a_sign_in_asked_for_in_spanish_or_arabic_meets_no_english_word_from_link_to_cancel() {
    use crate::languages::{assert_no_english, assert_no_english_in_sms};
    for tag in ["es", "ar"] {
        let mut app = provider().await;
        app.browser
            .headers
            .push(("accept-language".into(), "en-US,en;q=0.9".into()));
        let client = ["Single", "Page", "App"];
        let mut params = spa_request(Some(CHALLENGE));
        params.push(("ui_locales", tag.into()));
        let link = authorize_path(&as_pairs(&params));
        let page = app.browser.get(&link).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        let page = app.browser.get("/sign-in").await;
        assert!(page.contains("Single Page App"), "{}", page.html);
        assert_no_english(page, tag, &client);
        // Another link, which asks for no language and cannot be followed,
        // is answered in the browser's, not in this sign-in's.
        let mut other = spa_request(Some(CHALLENGE));
        other[1].1 = "nobody".into();
        let page = app.browser.get(&authorize_path(&as_pairs(&other))).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        assert!(page.contains(r#"<html lang="en""#), "{}", page.html);
        let page = app.browser.get("/sign-in").await;
        assert_no_english(page, tag, &client);
        let page = app.browser.submit("/request", &[("phone", "12")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_no_english(page, tag, &client);
        let page = app.browser.submit("/request", &[("phone", PHONE)]).await;
        assert!(page.contains("Single Page App"), "{}", page.html);
        assert_no_english(page, tag, &client);
        assert_no_english_in_sms(&app.last_text().await, tag);
        let code = app.last_code().await;
        let page = app.browser.enter_code(&wrong_code(&code)).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_no_english(page, tag, &client);
        // Cancelling goes back to the website, which hears access_denied.
        let page = app.browser.get("/sign-in").await;
        assert_no_english(page, tag, &client);
        let page = app.browser.submit("/sign-in/cancel", &[]).await;
        assert_eq!(query(&location(page))["error"], "access_denied");
        // And a link we cannot follow is a page in the link's language.
        let mut unknown = params.clone();
        unknown[1].1 = "nobody".into();
        let page = app.browser.get(&authorize_path(&as_pairs(&unknown))).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        assert_no_english(page, tag, &[]);
    }
}

/// Every face's layers are laid on per face (`routes::router`): each must
/// still answer with the security headers and a request id, and only the
/// OpenID Connect endpoints with CORS.
#[tokio::test]
async fn every_face_answers_with_the_security_headers_and_an_id_and_only_oidc_allows_any_origin() {
    let receipts_key = crate::receipts::telnyx_public_key();
    let app = provider_with(&[
        ("TWOFA_API__KEYS", "face-test-key-0123456789abcdef"),
        ("TWOFA_TELNYX__PUBLIC_KEY", receipts_key.as_str()),
    ])
    .await;
    let client = reqwest::Client::new();
    let origin = "https://elsewhere.example";
    let answers = [
        ("GET", "/", "the phone form"),
        ("DELETE", "/", "a page's 405"),
        ("GET", "/nope", "the pages' 404"),
        ("GET", "/v2/verify_profiles", "the Verify API"),
        ("DELETE", "/v2/verify_profiles", "the Verify API's 405"),
        ("GET", "/v2/nope", "the Verify API's 404"),
        ("GET", "/health/alive", "the liveness probe"),
        ("POST", "/webhooks/telnyx", "the receipts' webhook"),
        ("GET", "/.well-known/openid-configuration", "discovery"),
        ("GET", "/jwks.json", "the keys"),
        ("POST", "/token", "the token endpoint"),
    ];
    for (method, path, what) in answers {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let response = client
            .request(method, format!("{}{path}", app.address))
            .header("Origin", origin)
            .send()
            .await
            .expect("an answer");
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(
            header("content-security-policy").contains("default-src 'self'"),
            "{what}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
        assert!(!header("x-request-id").is_empty(), "{what}");
        let cors = header("access-control-allow-origin");
        let oidc = path.starts_with("/.well-known") || path == "/jwks.json" || path == "/token";
        assert_eq!(cors == "*", oidc, "{what}: {cors:?}");
    }
    let preflight = client
        .request(reqwest::Method::OPTIONS, format!("{}/token", app.address))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .expect("an answer");
    assert_eq!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("*")
    );
}
