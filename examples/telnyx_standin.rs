//! A stand-in for Telnyx's `POST /v2/messages`, for benchmarks: answers every
//! message like Telnyx does, after a configurable delay.
//!
//! `cargo run --release --example telnyx_standin -- PORT DELAY_MS`

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;

const SENT: &str = r#"{"data":{"record_type":"message","direction":"outbound","id":"40317f8e-7fc1-4b6b-9d8b-1d5f0a6f3b1e","type":"SMS","from":{"phone_number":"+15550001111","carrier":"Telnyx","line_type":"Wireless"},"to":[{"phone_number":"+12015550123","status":"queued","carrier":"T-Mobile","line_type":"Wireless"}],"parts":1,"encoding":"GSM-7","cost":null,"errors":[]}}"#;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|a| a.parse().ok()).unwrap_or(4010);
    let delay = Duration::from_millis(args.next().and_then(|a| a.parse().ok()).unwrap_or(0));
    let app = Router::new().route(
        "/v2/messages",
        post(move || async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            (StatusCode::OK, [("content-type", "application/json")], SENT).into_response()
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await
}
