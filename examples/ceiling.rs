//! The ceiling for benchmarks: a bare axum app that answers each route of
//! telnyx-2fa with a fixed page of the same size as the app's, and does
//! nothing else. The app can at best match it.
//!
//! `cargo run --release --example ceiling -- PORT GET_ROOT_BYTES POST_VERIFY_BYTES POST_REQUEST_BYTES`

use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::{get, post};

fn page(bytes: usize) -> &'static str {
    Box::leak("x".repeat(bytes).into_boxed_str())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut next = || args.next().and_then(|a| a.parse::<usize>().ok());
    let port = next().unwrap_or(4020) as u16;
    let (home, verify, request) = (
        page(next().unwrap_or(1500)),
        page(next().unwrap_or(2300)),
        page(next().unwrap_or(2100)),
    );
    let app = Router::new()
        .route("/", get(move || async move { Html(home) }))
        .route(
            "/verify",
            post(move || async move { (StatusCode::UNPROCESSABLE_ENTITY, Html(verify)) }),
        )
        .route("/request", post(move || async move { Html(request) }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await
}
