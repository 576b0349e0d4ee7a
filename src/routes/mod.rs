//! The HTTP surface: the tutorial's routes plus `/resend`, the stylesheet,
//! and pages for everything else; and the layers every response goes through.

mod extract;
mod language;
mod phone;
mod sign_in;
mod verify;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::cors::{Any, CorsLayer};
use tower_http::csrf::CsrfLayer;

use crate::api;
use crate::around::AroundLayer;
use crate::assets;
use crate::errors::{AppError, status_page_if_needed};
use crate::i18n;
use crate::oidc;
use crate::ops;
use crate::pages::{CodeFormPage, FormTarget};
use crate::session::Session;
use crate::state::AppState;
use crate::verification::Verification;
use crate::verifier::PendingCode;
use crate::webhooks;

/// Forms are a few hundred bytes; anything near this is not one of ours.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Set on every response. The policy allows no inline script or style,
/// nothing from elsewhere, and no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'; object-src 'none'";

const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// The whole app: the pages (behind the CSRF check), the Verify API and
/// the OpenID Connect endpoints (which take no cookies, so need none), and
/// the layers every response goes through.
pub fn router(state: Arc<AppState>) -> Router {
    let hsts = state.hsts;
    // Each face's stack is applied once, in one `Router::layer` call: each
    // call wraps every route it finds in a boxed service of its own, which
    // is cloned (boxed again) per request at every level, so a stack laid
    // on in two calls costs every request a level of boxing for nothing.
    // The first layer is the outermost. The request's id on every log line
    // it causes, the HTTP metrics by route, and what every response gets on
    // its way out. The request log itself is at debug: under a flood of
    // wrong codes, a line per request costs more than the request.
    let observe = ops::Observe::layer(state.clone(), hsts);
    let app = pages(&state, observe.clone()).merge(
        api::router(state.api.is_some())
            .merge(ops::health())
            .merge(webhooks::receipts::router(state.receipts.is_some()))
            .layer(observe.clone()),
    );
    let app = if state.oidc.is_some() {
        // For browser-based clients: any origin, never with cookies.
        let cors = CorsLayer::new()
            .allow_origin(Any)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]);
        app.merge(oidc::router().layer(ServiceBuilder::new().layer(observe).layer(cors)))
    } else {
        app
    };
    app.with_state(state)
}

/// The pages, behind `observe` and then the cross-site check: tower-http's
/// `CsrfLayer`, which trusts `server.public_url`'s origin.
fn pages(state: &Arc<AppState>, observe: AroundLayer<ops::Observe>) -> Router<Arc<AppState>> {
    let mut csrf = CsrfLayer::new();
    if let Some(origin) = &state.public_origin {
        match csrf.clone().add_trusted_origin(origin.clone()) {
            Ok(trusting) => csrf = trusting,
            Err(error) => tracing::warn!("server.public_url is not usable as an origin: {error}"),
        }
    }
    Router::new()
        .route("/", get(phone::show_form))
        .route("/request", post(phone::request_code))
        .route("/resend", post(phone::resend_code))
        .route(
            "/verify",
            get(verify::show_code_page).post(verify::check_code),
        )
        .route("/verify/status", get(verify::delivery_status))
        .route("/verified", get(verify::show_verified))
        .route("/authorize", get(sign_in::authorize))
        .route("/sign-in", get(sign_in::show_form))
        .route("/sign-in/cancel", post(sign_in::cancel))
        .route("/language/{tag}", get(language::switch))
        .route("/static/{file}", get(static_file))
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        // One `Router::layer`, as in `router`: what every response gets,
        // then the language, then the cross-site check.
        .layer(
            ServiceBuilder::new()
                .layer(observe)
                .layer(language::Speak::layer(state.clone()))
                .layer(csrf),
        )
}

/// The fingerprinted files of `assets`, cached for a year.
async fn static_file(uri: Uri) -> Result<impl IntoResponse, AppError> {
    let (content_type, body) = assets::lookup(uri.path()).ok_or(AppError::NotFound)?;
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
    ];
    Ok((headers, body))
}

/// The code page for the code this browser is waiting on, with the time
/// it has left; with its verification as stored, also the wait, if any,
/// before "Send the code again" will send, and what Telnyx said of the SMS.
fn code_page(
    app: &AppState,
    session: &Session,
    pending: &PendingCode,
    verification: Option<&Verification>,
) -> CodeFormPage {
    let now = app.verifier.clock().now();
    let mut page = CodeFormPage::new(
        session,
        &pending.phone,
        now.until(pending.expires),
        app.verifier.rules().code,
    );
    page.resent = session.news.resent;
    let Some(verification) = verification else {
        return page;
    };
    let wait = app.verifier.resend_wait(verification);
    page.resend_wait_secs = wait.map(|wait| wait.as_secs_f64().ceil() as u64);
    if session.news.uncertain {
        let language = i18n::current();
        page.notice = Some(match wait {
            Some(wait) => {
                let wait = language.duration(wait);
                language.fill("code-uncertain", &[("wait", &wait)])
            }
            None => language.text("code-uncertain-now").into_owned(),
        });
    }
    page.delivery = verification.delivery;
    page.watch_delivery = app.receipts.is_some();
    page
}

/// Served over https: browsers come back over https only, for a year.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// What every response gets on its way out: a page if a layer produced an
/// error without one (a CSRF refusal), and the security headers (with
/// `hsts`, HSTS too).
pub fn finish_response(response: Response, hsts: bool) -> Response {
    let mut response = status_page_if_needed(response);
    let form_target = response.extensions().get::<FormTarget>().cloned();
    let headers = response.headers_mut();
    // One growth of the map for all that follows, not one per doubling.
    headers.reserve(SECURITY_HEADERS.len() + 4);
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // A sign-in's forms lead back to the website that asked, too.
    if let Some(FormTarget(origin)) = form_target
        && let Ok(policy) = HeaderValue::from_str(&CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'",
            &format!("form-action 'self' {origin}"),
        ))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    // Pages of the flow are never cached; the fingerprinted assets set their own.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
