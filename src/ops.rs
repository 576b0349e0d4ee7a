//! What an operator needs beside the faces: an id on every request (and on
//! every log line it causes), the HTTP metrics, the health probes on the
//! public listener, and `/metrics` on the admin listener only.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rand::RngExt;

use crate::around::{Answer, Around, AroundLayer, Behind, Inner};
use crate::i18n;
use crate::logs;
use crate::pages;
use crate::routes;
use crate::state::AppState;

/// The header a request's id comes in (from a proxy that made one) and
/// goes back out in.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How long the store has to answer a readiness probe.
const READY_WITHIN: Duration = Duration::from_secs(1);

/// The health probes' prefix: they are left out of the request log.
const HEALTH: &str = "/health/";

/// Marks a response as whole already, so the last layer does not swap it
/// for a page: the probes' plain-text answers.
#[derive(Debug, Clone, Copy)]
pub struct Answered;

/// The request's id as given, if it is one a log can hold safely: 1 to 64
/// of letters, digits and `-._:`.
fn given_id(request: &Request) -> Option<HeaderValue> {
    let value = request.headers().get(&REQUEST_ID)?;
    let bytes = value.as_bytes();
    let sane = (1..=64).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'));
    sane.then(|| value.clone())
}

/// 128 random bits as 32 hex digits.
fn new_id() -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes: [u8; 16] = rand::rng().random();
    let mut text = [0u8; 32];
    for (i, byte) in bytes.iter().enumerate() {
        text[2 * i] = HEX[usize::from(byte >> 4)];
        text[2 * i + 1] = HEX[usize::from(byte & 0xf)];
    }
    HeaderValue::from_bytes(&text).unwrap_or(HeaderValue::from_static("0"))
}

/// Around every request: gives it an id (which every log line it causes
/// carries), echoes the id, counts the request by route template and
/// status, and finishes its response (`routes::finish_response`: a page
/// for a bare error, the security headers).
#[derive(Clone)]
pub struct Observe {
    app: Arc<AppState>,
    /// Whether responses carry HSTS (the app is served over https).
    hsts: bool,
}

impl Observe {
    pub fn layer(app: Arc<AppState>, hsts: bool) -> AroundLayer<Self> {
        AroundLayer(Self { app, hsts })
    }
}

impl Around for Observe {
    fn around<S: Behind>(
        self,
        request: Request,
        inner: Inner<S>,
    ) -> impl Future<Output = Answer> + Send + 'static {
        observe(self.app, self.hsts, request, inner)
    }
}

async fn observe<S: Behind>(
    app: Arc<AppState>,
    hsts: bool,
    request: Request,
    inner: Inner<S>,
) -> Answer {
    let started = Instant::now();
    // Nothing behind this layer reads the id from the request: it goes on
    // the log's lines and back out on the response. The request's own header is
    // left as the client sent it, so it must not be trusted further in.
    let id = given_id(&request).unwrap_or_else(new_id);
    // A template such as `/v2/verifications/{id}`, never the path itself;
    // what no route matched is one label.
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = request.method().clone();
    // Pages made outside the pages' own layer (a JSON face's bare 405)
    // speak the default language; inside it, `Speak` switches this scope
    // to the person's for the rest of the request.
    let default_language = app
        .languages
        .page(app.languages.default_language(), "/verify");
    let answered = async {
        let response = routes::finish_response(inner.answer(request).await, hsts);
        let took = started.elapsed();
        let status = response.status();
        app.verifier
            .metrics()
            .http_request(route, status.as_u16(), took);
        if !route.starts_with(HEALTH) {
            tracing::debug!(
                target: "telnyx_2fa::requests",
                %method,
                route = %route,
                status = status.as_u16(),
                took_ms = took.as_secs_f64() * 1000.0,
                "answered"
            );
        }
        response
    };
    let page = pages::branded(
        app.page_kit.clone(),
        i18n::speaking(default_language, answered),
    );
    // The id rides with the request's future (every line logged while it
    // runs carries it) and comes back out with the response.
    let mut answering = std::pin::pin!(logs::for_request(id, page));
    let mut response = answering.as_mut().await;
    let id = answering.as_mut().take_value().unwrap_or_else(new_id);
    response.headers_mut().insert(REQUEST_ID, id);
    Ok(response)
}

/// The probes, on the public listener: `/health/alive` answers while the
/// process serves; `/health/ready` while the store answers too.
pub fn health() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/health/alive",
            get(|| async { plain(StatusCode::OK, "alive") }),
        )
        .route("/health/ready", get(ready))
}

async fn ready(State(app): State<Arc<AppState>>) -> Response {
    match tokio::time::timeout(READY_WITHIN, app.verifier.ping()).await {
        Ok(Ok(())) => plain(StatusCode::OK, "ready"),
        Ok(Err(error)) => {
            tracing::debug!("not ready: {error}");
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: the store is unavailable",
            )
        }
        Err(_) => plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the store did not answer within 1 s",
        ),
    }
}

/// A one-line plain-text answer, never cached.
fn plain(status: StatusCode, line: &'static str) -> Response {
    let mut response = (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!("{line}\n"),
    )
        .into_response();
    response.extensions_mut().insert(Answered);
    response
}

/// The admin listener's app: `GET /metrics`, and nothing else.
pub fn admin(app: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(app)
}

async fn metrics(State(app): State<Arc<AppState>>) -> Response {
    let text = app.verifier.scrape().await;
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        Body::from(text),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_id(id: &str) -> Request {
        Request::builder()
            .header(REQUEST_ID, id)
            .body(Body::empty())
            .unwrap_or_default()
    }

    #[test]
    fn a_proxy_s_request_id_is_kept_when_it_is_short_and_plain() {
        for id in ["abc", "f47ac10b-58cc-4372-a567-0e02b2c3d479", "lb:1.2_3"] {
            assert_eq!(
                given_id(&with_id(id)).as_ref().map(|v| v.as_bytes()),
                Some(id.as_bytes())
            );
        }
    }

    #[test]
    fn a_request_id_too_long_or_with_odd_characters_is_replaced() {
        for id in ["", "a b", "x\"y", "<script>", &"a".repeat(65), "ü"] {
            let Ok(value) = HeaderValue::from_bytes(id.as_bytes()) else {
                continue;
            };
            let mut request = Request::new(Body::empty());
            request.headers_mut().insert(REQUEST_ID, value);
            assert!(given_id(&request).is_none(), "{id:?}");
        }
    }

    #[test]
    fn a_made_id_is_32_hex_digits_and_new_each_time() {
        let (one, two) = (new_id(), new_id());
        assert_eq!(one.len(), 32);
        assert!(one.as_bytes().iter().all(u8::is_ascii_hexdigit));
        assert_ne!(one, two);
    }
}
