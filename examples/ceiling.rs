//! The ceilings for benchmarks: a bare axum app that answers each
//! benchmarked route with the app's own answer, byte for byte (status,
//! headers and body, captured from the running app with `curl -D`), and does
//! nothing else. The app can at best match it.
//!
//! For `POST /request` it is the send-path ceiling: before answering, it
//! makes the one JSON POST to the Telnyx stand-in that a send makes, with a
//! keep-alive client, as the app does.
//!
//! `cargo run --release --example ceiling -- PORT CAPTURES_DIR STANDIN_URL`
//!
//! `CAPTURES_DIR` holds `NAME.head` (curl's `-D` output) and `NAME.body` for
//! `home`, `verify`, `request` and `api_verify`.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

/// An answer as the app gave it. `date` and `content-length` are left to
/// hyper, which writes them for the app too.
#[derive(Clone)]
struct Captured {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl Captured {
    fn read(dir: &Path, name: &str) -> Self {
        let head = std::fs::read_to_string(dir.join(format!("{name}.head"))).unwrap_or_default();
        let body = std::fs::read(dir.join(format!("{name}.body"))).unwrap_or_default();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|code| code.parse().ok())
            .unwrap_or(StatusCode::OK);
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .filter(|(name, _)| {
                !matches!(
                    name.to_ascii_lowercase().as_str(),
                    "date" | "content-length"
                )
            })
            .filter_map(|(name, value)| {
                Some((
                    HeaderName::from_bytes(name.trim().as_bytes()).ok()?,
                    HeaderValue::from_str(value.trim()).ok()?,
                ))
            })
            .collect();
        Self {
            status,
            headers,
            body: body.into(),
        }
    }

    fn answer(&self) -> Response {
        let mut response = (self.status, self.body.clone()).into_response();
        let headers = response.headers_mut();
        headers.clear();
        for (name, value) in &self.headers {
            headers.append(name.clone(), value.clone());
        }
        response
    }
}

struct Ceiling {
    home: Captured,
    verify: Captured,
    request: Captured,
    api_verify: Captured,
    http: reqwest::Client,
    standin: String,
}

/// The send path at its barest: one POST to the stand-in, then the page.
async fn request(State(ceiling): State<Arc<Ceiling>>) -> Response {
    let sent = ceiling
        .http
        .post(&ceiling.standin)
        .bearer_auth("KEY_bench")
        .json(&serde_json::json!({
            "from": "+15550001111",
            "to": "+12012345678",
            "text": "Your verification code is 123456\n\n@verify.example.com #123456",
        }))
        .send()
        .await;
    match sent {
        Ok(answer) => {
            let _ = answer.bytes().await;
            ceiling.request.answer()
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port: u16 = args.first().and_then(|p| p.parse().ok()).unwrap_or(4020);
    let dir = Path::new(args.get(1).map_or(".", String::as_str)).to_owned();
    let standin = format!(
        "{}/v2/messages",
        args.get(2).map_or("http://127.0.0.1:4310", String::as_str)
    );
    let ceiling = Arc::new(Ceiling {
        home: Captured::read(&dir, "home"),
        verify: Captured::read(&dir, "verify"),
        request: Captured::read(&dir, "request"),
        api_verify: Captured::read(&dir, "api_verify"),
        http: reqwest::Client::new(),
        standin,
    });
    let app = Router::new()
        .route(
            "/",
            get(|State(c): State<Arc<Ceiling>>| async move { c.home.answer() }),
        )
        .route(
            "/verify",
            post(|State(c): State<Arc<Ceiling>>| async move { c.verify.answer() }),
        )
        .route("/request", post(request))
        .route(
            "/v2/verifications/{id}/actions/verify",
            post(|State(c): State<Arc<Ceiling>>| async move { c.api_verify.answer() }),
        )
        .with_state(ceiling);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await
}
